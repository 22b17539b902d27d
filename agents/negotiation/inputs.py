"""What a negotiation starts from: the parties, the commissioner's proposal, the economics.

:class:`Party` is a snapshot of a negotiating organisation's agent (its size, reserves,
risk appetite and trust in each other party); :class:`Proposal` is the commissioner's
opening design, read from a contract model's terms; :class:`Economics` is what the parties
believe about the money. ``Decide`` is the shape of an outside decision (the dashboard's
role-play) that may answer for some parties.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from alliancesim.agents.decisions import risk_aversion
from alliancesim.scenario import BehaviourSpec

# an outside decision (role-play): (party, position) -> "accept", "refuse", a counter
# offer (float) or None for the model's own decision
Decide = Callable[[str, dict[str, Any]], Any]


@dataclass
class Party:
    """What a negotiating organisation brings to the table (a snapshot of its agent)."""

    name: str
    kind: str
    is_commissioner: bool
    value_pence: int  # annual contract value in scope (a commissioner: what it pays)
    reserves_pence: int = 0
    risk_appetite: float = 0.5
    incentive_weight: float = 0.5
    may_bear_losses: bool = True
    control_total: bool = False
    distressed: bool = False
    leniency: float = 0.5
    shares_risk: bool = False
    trust: dict[str, float] = field(default_factory=dict)  # trust in each other party
    prior_evidence: float = 10.0
    failure_floor: float = 0.0  # reserves may fall to this share of income before it fails
    behaviour: Any = BehaviourSpec()  # the risk-aversion priors and channel switch

    @property
    def loss_capacity_pence(self) -> int:
        """What it could lose before failing: reserves down to its failure floor (an NHS
        trust goes into special measures well below zero, seed 000 L590; a charity cannot)."""
        return max(0, self.reserves_pence) + round(self.failure_floor * self.value_pence)

    def trust_in(self, other: str) -> float:
        return self.trust.get(other, 0.5)

    def mean_trust(self, others: Iterable[str]) -> float:
        values = [self.trust_in(o) for o in others if o != self.name]
        return sum(values) / len(values) if values else 0.5

    @property
    def aversion(self) -> float:
        """CARA coefficient on shares of its income (decisions.risk_aversion)."""
        income = max(1, self.value_pence)
        return risk_aversion(
            self.risk_appetite, self.reserves_pence / income, self.distressed, self.behaviour
        )


@dataclass(frozen=True)
class Proposal:
    """The commissioner's opening design."""

    model_name: str
    vehicle: str
    members: tuple[str, ...]
    lead: str | None
    has_risk_share: bool
    gain_share: float  # provider side's share of an underspend
    pain_share: float  # provider side's share of an overspend
    target_savings: float
    outcome_share: float  # largest yearly outcome-linked share
    duration_years: int
    lead_capitation: bool = False  # a lead or prime paid by capitation carries the risk
    # the agreement overlays the members' own service contracts and can be signed
    # without its money (GovernanceTerms.overlay_fallback; seed 000 L147, L627)
    overlay_fallback: bool = False
    # the lead holds the contract and pays the other members under subcontracts
    lead_pays_members: bool = False

    @property
    def moves_money(self) -> bool:
        """Money is pooled (a gain/pain share) or passes through a lead that holds the
        contract and pays the other members."""
        return self.has_risk_share or self.lead_capitation or self.lead_pays_members

    @property
    def overlay_alone_possible(self) -> bool:
        """A member can sign the agreement and stay out of the money (seed 000 L147: the
        agreement overlays the service contracts; L1335: charities outside the netting).
        Where the money passes through a lead there is no contract of its own to keep."""
        return self.overlay_fallback and not self.lead_pays_members


@dataclass(frozen=True)
class Economics:
    """What the parties believe about the money (shares of the scope's annual value)."""

    savings_belief: float  # saving a fully cooperating system would make, a year
    spend_sd: float  # sd of a year's spend against plan
    baseline_sd: float  # sd of the error in the baseline, persistent over the term
    data_quality: float
