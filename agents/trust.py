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

Every rule here takes numbers (the agent model) or numpy arrays with a leading
replication axis (the ensemble engine, issue 14) and gives the same bits on each
replication; the network holds (n, n) matrices, or (R, n, n) once a value that differs
between replications is written into it (see :class:`TrustNetwork`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import NamedTuple

import numpy as np
from alliancesim.model.elementwise import maximum, minimum


class Evidence(NamedTuple):
    """Beta-reputation evidence one organisation holds about another."""

    positive: float  # or an (R,) array in an ensemble
    negative: float

    @property
    def trust(self) -> float:
        return (self.positive + 1.0) / (self.positive + self.negative + 2.0)

    @property
    def uncertainty(self) -> float:
        return 2.0 / (self.positive + self.negative + 2.0)


def evidence_for(trust: float, prior_evidence: float) -> Evidence:
    """Evidence equivalent to an initial trust level held with ``prior_evidence`` weight
    (numbers or arrays)."""
    trust = minimum(maximum(trust, 0.0), 1.0)  # min(max(trust, 0.0), 1.0), in that order
    total = prior_evidence + 2.0
    positive = maximum(0.0, trust * total - 1.0)
    negative = maximum(0.0, prior_evidence - positive)
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
    """:func:`beta_step` for one pair, with the observation clipped to [0, 1] (numbers or
    arrays)."""
    observation = minimum(maximum(observation, 0.0), 1.0)
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

    Replications (issue 14): the matrices are (n, n) in the agent model. Given
    ``replications`` R, or once a value that differs between replications (an array
    with a leading replication axis) is written into it, the evidence is held as
    (R, n, n): ``positive`` and ``negative`` always, ``observation``, ``weight`` and
    ``good_news`` when what is written into them is (R, n, n) (a value common to all
    replications may stay (n, n) and broadcasts). Readers index with an ellipsis
    (``m[..., i, j]``); :meth:`row` gives, per column, a float or an (R,) array.
    """

    def __init__(self, names: list[str], replications: int | None = None):
        n = len(names)
        self.names = list(names)
        self.index = {name: i for i, name in enumerate(names)}
        shape = (n, n) if replications is None else (replications, n, n)
        self.positive = np.zeros(shape)
        self.negative = np.zeros(shape)
        self.observation = np.full((n, n), 0.5)
        self.weight = np.zeros((n, n))
        self.good_news = np.ones((n, n))
        self._rows: list[list] | None = None
        self._matrix: np.ndarray | None = None

    @property
    def replications(self) -> int | None:
        """R when the evidence is held for R replications, None in the agent model."""
        return self.positive.shape[0] if self.positive.ndim == 3 else None

    def _widen(self, replications: int) -> None:
        """Hold the evidence as (R, n, n): every replication starts from the same beliefs."""
        if self.positive.ndim == 3:
            if self.positive.shape[0] != replications:
                raise ValueError(
                    f"the network holds {self.positive.shape[0]} replications, not {replications}"
                )
            return
        shape = (replications, *self.positive.shape)
        self.positive = np.broadcast_to(self.positive, shape).copy()
        self.negative = np.broadcast_to(self.negative, shape).copy()

    def _widen_for(self, *values) -> None:
        """Widen to the replication axis of any array among ``values`` ((R,) or (R, ...))."""
        for value in values:
            if isinstance(value, np.ndarray) and value.ndim >= 1:
                self._widen(value.shape[0])
                return

    def get(self, source: str, target: str) -> Evidence:
        i, j = self.index[source], self.index[target]
        if self.positive.ndim == 3:
            return Evidence(self.positive[:, i, j].copy(), self.negative[:, i, j].copy())
        return Evidence(float(self.positive[i, j]), float(self.negative[i, j]))

    def set(self, source: str, target: str, evidence: Evidence) -> None:
        i, j = self.index[source], self.index[target]
        self._widen_for(evidence.positive, evidence.negative)
        self.positive[..., i, j], self.negative[..., i, j] = evidence.positive, evidence.negative
        self._rows = self._matrix = None

    def matrix(self) -> np.ndarray:
        """Trust of each row organisation in each column one: (r + 1) / (r + s + 2);
        (n, n), or (R, n, n) for R replications.

        Computed once per change of evidence; treat it as read-only."""
        if self._matrix is None:
            self._matrix = (self.positive + 1.0) / (self.positive + self.negative + 2.0)
        return self._matrix

    def trust(self, source: str, target: str):
        """A float, or an (R,) array for R replications."""
        return self.row(source)[self.index[target]]

    def row(self, source: str) -> list:
        """Its trust in every organisation, in ``names`` order (cached until evidence
        changes): floats, or for R replications an (R,) array per organisation."""
        if self._rows is None:
            matrix = self.matrix()
            if matrix.ndim == 3:  # (R, n, n) -> per row, per column, an (R,) array
                self._rows = [list(row) for row in np.ascontiguousarray(np.moveaxis(matrix, 0, -1))]
            else:
                self._rows = matrix.tolist()
        return self._rows[self.index[source]]

    def update_row(self, source: str, forgetting: float) -> None:
        i = self.index[source]
        positive, negative = beta_step(
            self.positive[..., i, :],
            self.negative[..., i, :],
            self.observation[..., i, :],
            self.weight[..., i, :],
            forgetting,
            self.good_news[..., i, :],
        )
        if positive.ndim == 2:  # this period's observations differ between replications
            self._widen(positive.shape[0])
        self.positive[..., i, :], self.negative[..., i, :] = positive, negative
        self._rows = self._matrix = None

    def update(self, forgetting: float) -> None:
        """Every organisation updates its beliefs from this period's observations at once
        (observations for R replications make the evidence (R, n, n) by broadcasting)."""
        self.positive, self.negative = beta_step(
            self.positive, self.negative, self.observation, self.weight, forgetting, self.good_news
        )
        self._rows = self._matrix = None

    def turnover(self, source: str, where=None) -> None:
        """:func:`staff_turnover` for every belief the organisation holds; with ``where``
        (a flag, or a bool array (R,)) only in the replications where it happened."""
        i = self.index[source]
        if isinstance(where, np.ndarray):
            self._widen(where.shape[0])
            held = self.positive[:, i, :]
            self.positive[:, i, :] = np.where(where[:, None], held * 0.5, held)
        elif where is None or where:
            self.positive[..., i, :] *= 0.5
        else:
            return
        self._rows = self._matrix = None

    def clear_observations(self) -> None:
        """Nothing seen this period (yet): every weight zero."""
        self.observation.fill(0.5)
        self.weight.fill(0.0)

    def observe(self, source: str, target: str, observation: float, weight: float) -> None:
        """Record one observation for this period (the model writes whole matrices);
        numbers, or (R,) arrays for R replications."""
        i, j = self.index[source], self.index[target]
        replications = next(
            (v.shape[0] for v in (observation, weight) if isinstance(v, np.ndarray) and v.ndim),
            None,
        )
        if replications is not None and self.observation.ndim == 2:
            shape = (replications, *self.observation.shape)
            self.observation = np.broadcast_to(self.observation, shape).copy()
            self.weight = np.broadcast_to(self.weight, shape).copy()
        self.observation[..., i, j] = minimum(maximum(observation, 0.0), 1.0)
        self.weight[..., i, j] = weight


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
