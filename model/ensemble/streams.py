"""The named random streams of R replications at once (issue 14).

Replication r of an ensemble draws exactly the numbers the agent model seeded
``seeds[r]`` draws: each named stream is the same ``random.Random`` the agent model
makes (``model/streams.py``), one a replication, and ``random()`` / ``gauss()`` return
an array of shape (R,) whose element r is replication r's next draw.

Every stream a period draws from is drawn the same number of times in every
replication of an ensemble (the draws in a period depend on the structure of the
contracts, never on a replication's values), so the draws can be made ahead: the
first use of a stream draws a block of ``block`` numbers for each replication, and
later calls read the block column by column. That is one Python call a draw and a
replication, made once, instead of one a period. A stream is read with one method
only (a demand noise stream with ``gauss``, the others with ``random``); mixing them
on one stream would change the sequence, so it is refused.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
from alliancesim.model import streams as named


class EnsembleGenerator:
    """One named stream in every replication: ``random()`` and ``gauss()`` give arrays."""

    def __init__(self, generators: list[random.Random], block: int):
        self._generators = generators
        self._block = block
        self._method: str | None = None
        self._buffer = np.empty((0, len(generators)))
        self._next = 0

    def _take(self, method: str, mu: float = 0.0, sigma: float = 1.0) -> np.ndarray:
        if self._method is None:
            self._method = method
            self._args = (mu, sigma)
        elif (method, (mu, sigma) if method == "gauss" else self._args) != (
            self._method,
            self._args,
        ):
            raise ValueError(
                f"a stream read with {self._method}{self._args} cannot also be read with "
                f"{method}: the sequence would differ from the agent model's"
            )
        if self._next == len(self._buffer):
            self._refill()
        row = self._buffer[self._next]
        self._next += 1
        return row

    def _refill(self) -> None:
        block = self._block
        if self._method == "gauss":
            mu, sigma = self._args
            columns = [[g.gauss(mu, sigma) for _ in range(block)] for g in self._generators]
        else:
            columns = [[g.random() for _ in range(block)] for g in self._generators]
        self._buffer = np.array(columns, dtype=float).T  # (block, R): a row a draw
        self._next = 0

    def random(self) -> np.ndarray:
        """Each replication's next uniform draw in [0, 1)."""
        return self._take("random")

    def gauss(self, mu: float = 0.0, sigma: float = 1.0) -> np.ndarray:
        """Each replication's next normal draw (``random.Random.gauss``, same cache)."""
        return self._take("gauss", mu, sigma)


class EnsembleStreams:
    """The named streams of the replications seeded ``seeds``, each made on first use
    (``model.streams.Streams``, one a replication, read together)."""

    def __init__(self, seeds: Sequence[int], block: int = 120):
        self.seeds = [int(s) for s in seeds]
        self.block = block
        self._made: dict[tuple[str, str], EnsembleGenerator] = {}

    @property
    def size(self) -> int:
        return len(self.seeds)

    def __call__(self, purpose: str, name: str = "") -> EnsembleGenerator:
        key = (purpose, name)
        generator = self._made.get(key)
        if generator is None:
            generator = self._made[key] = EnsembleGenerator(
                [named.stream(seed, purpose, name) for seed in self.seeds], self.block
            )
        return generator

    def draw(self, purpose: str, name: str = "") -> np.ndarray:
        """One uniform draw a replication from a stream used once (``Streams.draw``)."""
        return np.array([named.stream(seed, purpose, name).random() for seed in self.seeds])
