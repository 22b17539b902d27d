"""Trust between organisations: beta reputation with forgetting.

Names: Jøsang & Ismail (2002) beta reputation; forgetting from subjective logic
(anchors s2.4). After r positive and s negative observations, trust is
``T = (r + 1) / (r + s + 2)``. Each period the evidence decays by ``forgetting``
and the new observation ``o`` in [0, 1] is added with weight ``w`` (how much the
two worked together that period), so trust grows from joint work whether or not
a contract is signed (VALIDATION V13) and falls with defection.

The commissioner and its main provider keep a sticky rift: good news between them
counts only ``rift_stickiness`` as much as bad news (seed 000 s3.1 in the domain
notes: the commissioner-acute rift did not heal by contract alone).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import NamedTuple

import numpy as np


class Evidence(NamedTuple):
    """Beta-reputation evidence one organisation holds about another."""

    positive: float
    negative: float

    @property
    def trust(self) -> float:
        return (self.positive + 1.0) / (self.positive + self.negative + 2.0)

    @property
    def uncertainty(self) -> float:
        return 2.0 / (self.positive + self.negative + 2.0)


def evidence_for(trust: float, prior_evidence: float) -> Evidence:
    """Evidence equivalent to an initial trust level held with ``prior_evidence`` weight."""
    trust = min(max(trust, 0.0), 1.0)
    total = prior_evidence + 2.0
    positive = max(0.0, trust * total - 1.0)
    negative = max(0.0, prior_evidence - positive)
    return Evidence(positive, negative)


def beta_step(positive, negative, observation, weight, forgetting, good_news=1.0):
    """One period of beta-reputation updating with forgetting, on numbers or arrays.

    ``observation`` in [0, 1]: 1 a fully kept promise or full cooperation, 0 a
    defection. ``weight`` in [0, 1]: how much was observed. ``good_news`` < 1
    makes a rift sticky. Returns the new (positive, negative) evidence.
    """
    return (
        forgetting * positive + weight * good_news * observation,
        forgetting * negative + weight * (1.0 - observation),
    )


def update_evidence(
    evidence: Evidence,
    observation: float,
    weight: float,
    forgetting: float,
    good_news_weight: float = 1.0,
) -> Evidence:
    """:func:`beta_step` for one pair, with the observation clipped to [0, 1]."""
    observation = min(max(observation, 0.0), 1.0)
    return Evidence(
        *beta_step(
            evidence.positive,
            evidence.negative,
            observation,
            weight,
            forgetting,
            good_news_weight,
        )
    )


def staff_turnover(evidence: Evidence) -> Evidence:
    """A change of leadership loses half the good will built up (seed 000 s3.1)."""
    return Evidence(evidence.positive * 0.5, evidence.negative)


def conduct_seen(own_effort, partner_effort, partner_push):
    """How a provider reads a partner's conduct this period, in [0, 1] (numbers or arrays).

    Reciprocal fairness (anchors s2.3-2.4: trust from kept promises, Schniter et
    al.): ``0.5 + partner's effort - half of one's own``. Working together reads
    well (both at 0.8: 0.9); being left to do the work alone reads as defection
    (0.8 against 0.1: 0.2); two organisations doing little read as neutral (both
    at 0.1: 0.55). ``partner_push`` in [0, 1] (share of the maximum admission
    push) is keeping admissions up against the shift: defection, halving it.
    """
    # minimum/maximum rather than np.clip: the same numbers, several times faster on
    # the small arrays the model passes every period
    seen = np.minimum(np.maximum(0.5 + partner_effort - 0.5 * own_effort, 0.0), 1.0)
    return seen * (1.0 - 0.5 * partner_push)


def provider_seen_by_commissioner(effort, push):
    """A commissioner's reading of a provider: ``0.4 + 0.6 effort``, halved by full push."""
    return (0.4 + 0.6 * np.minimum(np.maximum(effort, 0.0), 1.0)) * (1.0 - 0.5 * push)


def commissioner_seen_by_provider(capability, push):
    """A provider's reading of its commissioner: fair dealing rises with its capability;
    a provider keeping admissions up expects (and sees) less of it."""
    return 0.5 + 0.5 * capability * (1.0 - push)


class TrustNetwork:
    """Beta evidence every organisation holds about every other, as two N x N arrays.

    Row i is what organisation i believes about each other one. Observations for
    the period are written into ``observation`` and ``weight`` by the model;
    each organisation then updates its own row with :func:`beta_step`.
    """

    def __init__(self, names: list[str]):
        n = len(names)
        self.names = list(names)
        self.index = {name: i for i, name in enumerate(names)}
        self.positive = np.zeros((n, n))
        self.negative = np.zeros((n, n))
        self.observation = np.full((n, n), 0.5)
        self.weight = np.zeros((n, n))
        self.good_news = np.ones((n, n))
        self._rows: list[list[float]] | None = None
        self._matrix: np.ndarray | None = None

    def get(self, source: str, target: str) -> Evidence:
        i, j = self.index[source], self.index[target]
        return Evidence(float(self.positive[i, j]), float(self.negative[i, j]))

    def set(self, source: str, target: str, evidence: Evidence) -> None:
        i, j = self.index[source], self.index[target]
        self.positive[i, j], self.negative[i, j] = evidence.positive, evidence.negative
        self._rows = self._matrix = None

    def matrix(self) -> np.ndarray:
        """Trust of each row organisation in each column one: (r + 1) / (r + s + 2).

        Computed once per change of evidence; treat it as read-only."""
        if self._matrix is None:
            self._matrix = (self.positive + 1.0) / (self.positive + self.negative + 2.0)
        return self._matrix

    def trust(self, source: str, target: str) -> float:
        return self.row(source)[self.index[target]]

    def row(self, source: str) -> list[float]:
        """Its trust in every organisation, in ``names`` order (cached until evidence changes)."""
        if self._rows is None:
            self._rows = self.matrix().tolist()
        return self._rows[self.index[source]]

    def update_row(self, source: str, forgetting: float) -> None:
        i = self.index[source]
        self.positive[i], self.negative[i] = beta_step(
            self.positive[i],
            self.negative[i],
            self.observation[i],
            self.weight[i],
            forgetting,
            self.good_news[i],
        )
        self._rows = self._matrix = None

    def update(self, forgetting: float) -> None:
        """Every organisation updates its beliefs from this period's observations at once."""
        self.positive, self.negative = beta_step(
            self.positive, self.negative, self.observation, self.weight, forgetting, self.good_news
        )
        self._rows = self._matrix = None

    def turnover(self, source: str) -> None:
        """:func:`staff_turnover` for every belief the organisation holds."""
        self.positive[self.index[source]] *= 0.5
        self._rows = self._matrix = None

    def clear_observations(self) -> None:
        """Nothing seen this period (yet): every weight zero."""
        self.observation.fill(0.5)
        self.weight.fill(0.0)

    def observe(self, source: str, target: str, observation: float, weight: float) -> None:
        """Record one observation for this period (the model writes whole matrices)."""
        i, j = self.index[source], self.index[target]
        self.observation[i, j] = min(max(observation, 0.0), 1.0)
        self.weight[i, j] = weight


class EvidenceView(Mapping):
    """One organisation's beliefs about the others, read from and written to the network."""

    def __init__(self, network: TrustNetwork, owner: str):
        self.network, self.owner = network, owner

    def __getitem__(self, other: str) -> Evidence:
        if other == self.owner or other not in self.network.index:
            raise KeyError(other)
        return self.network.get(self.owner, other)

    def __setitem__(self, other: str, evidence: Evidence) -> None:
        self.network.set(self.owner, other, evidence)

    def __iter__(self) -> Iterator[str]:
        return (name for name in self.network.names if name != self.owner)

    def __len__(self) -> int:
        return len(self.network.names) - 1
