"""The record of a negotiation: how it ended, what it cost, and the terms it agreed.

:class:`Agreement` is what a negotiation produces and what the model reads to run the
contract (``terms``: the fields of the contract model's spec to replace) and to report it
(:meth:`Agreement.summary`: the per-run columns). :class:`Closing` decides the result when
the talks stop: agreed; scaled down (fewer risk sharers than the design needs, an
outcome-linked share cut or a lead on a block; or, when time runs out and the terms allow
it, the overlay signed without its money: seed 000 L627); or abandoned (the status quo
contracts continue).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

AGREED = "agreed"
SCALED_DOWN = "scaled_down"
ABANDONED = "abandoned"
RESULTS = (AGREED, SCALED_DOWN, ABANDONED)


@dataclass
class Agreement:
    """What a negotiation produced: the result, its duration and cost, and the terms."""

    model_name: str  # the contract model the run then uses (status quo when abandoned)
    proposed_model: str
    result: str  # agreed / scaled_down / abandoned
    months: float
    cost_by_party: dict[str, int]
    overlay_members: tuple[str, ...]  # who joined the alliance (or the contract)
    risk_members: tuple[str, ...]  # who joined the gain/pain share
    declined: dict[str, str]  # who declined or withdrew, and why
    target_savings: float | None
    gain_share: float | None
    pain_share: float | None
    outcome_share: float
    rounds: int
    shocks: tuple[tuple[float, str, str], ...]  # (month, kind, who)
    leadership_changes: tuple[str, ...]
    events: list[dict[str, Any]]
    terms: dict[str, Any] = field(default_factory=dict)  # fields to change in the spec

    @property
    def cost_pence(self) -> int:
        return sum(self.cost_by_party.values())

    def summary(self) -> dict[str, Any]:
        """Columns for the per-run output row."""
        return {
            "negotiation_result": self.result,
            "negotiation_months": self.months,
            "negotiation_cost_pence": self.cost_pence,
            "negotiation_rounds": self.rounds,
            "negotiation_shocks": len(self.shocks),
            "members_joined": len(self.overlay_members),
            "risk_members_joined": len(self.risk_members),
            "members_joined_names": ",".join(self.overlay_members),
            "risk_members_names": ",".join(self.risk_members),
            "agreed_target_savings": self.target_savings,
            "agreed_provider_pain_share": self.pain_share,
            "agreed_outcome_share": self.outcome_share,
        }


class Closing:
    """The end of the talks, for :class:`~.talks.Negotiation` (a part of it: reads its
    state and writes the :class:`Agreement`)."""

    def result(self) -> Agreement:
        p = self.params
        prop = self.proposal
        reason = self.ended
        members = tuple(m for m in prop.members if m in self.members)
        risk = tuple(m for m in prop.members if m in self.risk_members)
        if reason in ("too_few_members", "lead_withdrew", "main_provider_withdrew") or not members:
            result = ABANDONED
        elif reason == "deadline":
            # time runs out: the parties sign what they can, the overlay without money
            # (seed 000 L627: signed, but the payment mechanisms never landed)
            result = SCALED_DOWN if prop.overlay_fallback else ABANDONED
            risk = ()
            self.outcome_share = 0.0
        elif prop.has_risk_share:
            result = AGREED if len(risk) >= p.min_risk_members else SCALED_DOWN
        else:
            kept_outcome = self.outcome_share > 0 or prop.outcome_share == 0
            result = AGREED if kept_outcome and not self.lead_block else SCALED_DOWN
        terms: dict[str, Any] = {}
        if result == ABANDONED:
            model_name = p.status_quo_name
        else:
            model_name = prop.model_name
            terms = self.terms(result, members, risk)
        text = {
            AGREED: "The contract is signed as bargained",
            SCALED_DOWN: "A scaled-down agreement is signed",
            ABANDONED: "The negotiation is abandoned; the status quo contracts continue",
        }[result]
        why = {
            "deadline": f" after {p.max_months:.0f} months without agreeing the financial model",
            "too_few_members": ": too few partners are left for the design to work",
            "lead_withdrew": ": the lead provider withdrew",
            "main_provider_withdrew": ": the main provider, whose activity the redesign was "
            "to move, withdrew",
        }.get(reason or "", "")
        cost = self.cost_pence_text()
        self.say(
            self.lead_commissioner,
            "result",
            f"{text}{why}. Months: {self.month:.0f}; members: "
            f"{', '.join(members) or 'none'}; sharing risk: {', '.join(risk) or 'none'}; "
            f"cost {cost}.",
            result=result,
        )
        return Agreement(
            model_name=model_name,
            proposed_model=prop.model_name,
            result=result,
            months=round(self.month, 2),
            cost_by_party=dict(self.cost),
            overlay_members=members if result != ABANDONED else (),
            risk_members=risk if result != ABANDONED else (),
            declined=dict(self.declined),
            target_savings=self.target if risk and result != ABANDONED else None,
            gain_share=self.gain_share if risk and result != ABANDONED else None,
            pain_share=self.pain_share if risk and result != ABANDONED else None,
            outcome_share=self.outcome_share if result != ABANDONED else 0.0,
            rounds=self.rounds,
            shocks=tuple(self.shocks),
            leadership_changes=tuple(self.leadership),
            events=self.events,
            terms=terms,
        )

    def cost_pence_text(self) -> str:
        total = sum(self.cost.values())
        return f"£{total / 100:,.0f} in staff time and advisers' fees"

    def terms(self, result: str, members: tuple[str, ...], risk: tuple[str, ...]) -> dict:
        """Fields of the contract model spec to replace (see ContractBuilder.build)."""
        prop = self.proposal
        terms: dict[str, Any] = {}
        if not prop.lead_pays_members:  # under a lead, membership is its subcontracts
            terms["members"] = members
        scale = self.outcome_share / prop.outcome_share if prop.outcome_share > 0 else 0.0
        terms["outcome_scale"] = scale if (result == AGREED or not prop.has_risk_share) else 0.0
        if prop.has_risk_share and risk:
            value = {m: self.parties[m].value_pence for m in risk}
            total = sum(value.values()) or 1
            terms["risk_share"] = dict(
                target_savings=round(self.target, 5),
                provider_gain_share=self.gain_share,
                provider_pain_share=self.pain_share,
                shares={m: v / total for m, v in value.items()},
                excluded=tuple(m for m in members if m not in risk),
            )
        else:
            terms["risk_share"] = None
        if self.lead_block:
            terms["lead_payment"] = "block"
        return terms
