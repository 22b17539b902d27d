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

from typing import NamedTuple


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


def update_evidence(
    evidence: Evidence,
    observation: float,
    weight: float,
    forgetting: float,
    good_news_weight: float = 1.0,
) -> Evidence:
    """One period of beta-reputation updating with forgetting.

    ``observation`` in [0, 1]: 1 a fully kept promise or full cooperation, 0 a
    defection. ``weight`` in [0, 1]: how much was observed. ``good_news_weight``
    < 1 makes a rift sticky.
    """
    observation = min(max(observation, 0.0), 1.0)
    return Evidence(
        forgetting * evidence.positive + weight * good_news_weight * observation,
        forgetting * evidence.negative + weight * (1.0 - observation),
    )


def staff_turnover(evidence: Evidence) -> Evidence:
    """A change of leadership loses half the good will built up (seed 000 s3.1)."""
    return Evidence(evidence.positive * 0.5, evidence.negative)


def conduct_seen(own_effort: float, partner_effort: float, partner_push: float) -> float:
    """How a provider reads a partner's conduct this period, in [0, 1].

    Reciprocal fairness (anchors s2.3-2.4: trust from kept promises, Schniter et
    al.): ``0.5 + partner's effort - half of one's own``. Working together reads
    well (both at 0.8: 0.9); being left to do the work alone reads as defection
    (0.8 against 0.1: 0.2); two organisations doing little read as neutral (both
    at 0.1: 0.55). ``partner_push`` in [0, 1] (share of the maximum admission
    push) is keeping admissions up against the shift: defection, halving it.
    """
    seen = 0.5 + partner_effort - 0.5 * own_effort
    return min(1.0, max(0.0, seen)) * (1.0 - 0.5 * partner_push)


def provider_seen_by_commissioner(effort: float, push: float) -> float:
    """A commissioner's reading of a provider: ``0.4 + 0.6 effort``, halved by full push."""
    return (0.4 + 0.6 * min(1.0, max(0.0, effort))) * (1.0 - 0.5 * push)
