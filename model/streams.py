"""Named random streams: every draw in a run comes from a stream keyed to a stable name.

A run has one seed. Each random stream is spawned from it with
``numpy.random.SeedSequence(seed, spawn_key=key)``, where ``key`` is a stable hash
(BLAKE2b, not Python's salted ``hash()``) of the stream's *purpose* (``"turnover"``,
``"demand.noise"`` ...) and the *name* of what it draws for (an organisation, a
service line, a contract, a lead and its subcontractor). So:

- a stream depends only on (seed, purpose, name): listing the organisations or
  lines in another order, or adding or removing one, leaves every other one's
  draws untouched;
- the demand streams (``DEMAND_SHOCK``, ``DEMAND_NOISE``) are drawn whatever the
  organisations do, so every contract model on one seed faces the same economy
  (common random numbers) and the status quo is a paired counterfactual;
- behaviour draws (turnover, leniency, squeezes, negotiation, disputes) never
  shift the demand streams or each other.

Nothing here knows the model: it maps names to ``random.Random`` generators.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

import numpy as np

# Purposes: one per kind of draw. The name that goes with each is in brackets.
DEMAND_SHOCK = "demand.shock"  # (none) whether a demand shock starts, once a period
DEMAND_NOISE = "demand.noise"  # (line) the line's demand noise, once a period
TURNOVER = "turnover"  # (organisation) whether its leadership changes, once a period
LENIENCY = "leniency"  # (contract @ contract year) whether outcome money is paid regardless
SQUEEZE = "squeeze"  # (lead > subcontractor) whether the lead squeezes it this period
NEGOTIATION = "negotiation"  # (contract model) the pre-contract talks
REBARGAIN = "rebargain"  # (contract model) rebargaining the target mid-contract
DISPUTE = "dispute"  # (contract model) how far a dispute over pain escalates
MESA = "mesa"  # (none) Mesa's own ``Model.random``; the model draws nothing from it

_KEY_WORDS = 4  # 128 bits of the hash as the spawn key


def stream_key(purpose: str, name: str = "") -> tuple[int, ...]:
    """Spawn key of a stream: 32-bit words of a BLAKE2b hash of purpose and name.

    Stable across processes and Python versions (unlike ``hash()``); the separator
    keeps ``("a", "bc")`` apart from ``("ab", "c")``."""
    digest = hashlib.blake2b(f"{purpose}\x1f{name}".encode(), digest_size=4 * _KEY_WORDS).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, len(digest), 4))


def stream_seed(seed: int, purpose: str, name: str = "") -> int:
    """A 128-bit int seed for the stream (purpose, name) of the run seeded ``seed``."""
    sequence = np.random.SeedSequence(seed, spawn_key=stream_key(purpose, name))
    high, low = (int(word) for word in sequence.generate_state(2, dtype=np.uint64))
    return (high << 64) | low


def stream(seed: int, purpose: str, name: str = "") -> random.Random:
    """A fresh generator for the stream (purpose, name) of the run seeded ``seed``."""
    return random.Random(stream_seed(seed, purpose, name))


def draws_where(rng: Any, count: int, where: Any) -> list[Any]:
    """``count`` uniform draws from a stream, for a branch taken ``where`` the flag holds.
    One run draws when its branch is taken; an ensemble's stream (``model/ensemble``)
    gives each replication its own next draws (nan where it does not draw), so a
    replication's k-th draw is the stream's k-th whenever its branch comes."""
    if hasattr(rng, "random_where"):
        return [rng.random_where(where) for _ in range(count)]
    return [rng.random() for _ in range(count)]


class Streams:
    """The named streams of one run, each made on first use and kept (so successive
    draws on one name continue one sequence)."""

    def __init__(self, seed: int):
        self.seed = seed
        self._made: dict[tuple[str, str], random.Random] = {}

    def __call__(self, purpose: str, name: str = "") -> random.Random:
        key = (purpose, name)
        rng = self._made.get(key)
        if rng is None:
            rng = self._made[key] = stream(self.seed, purpose, name)
        return rng

    def draw(self, purpose: str, name: str = "") -> float:
        """One uniform draw in [0, 1) from a stream used once (no state kept), e.g. a
        contract's leniency in one contract year: ``name`` then carries the year."""
        return stream(self.seed, purpose, name).random()
