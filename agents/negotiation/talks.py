"""One negotiation, month by month: the proposal, then each stage in turn, then the result.

:class:`Negotiation` holds the state of the talks (members, risk sharers, the terms on
the table, months, costs, the trace of events) and runs the stages in order
(:meth:`~Negotiation.run`): preparing the financial model, joining the overlay
(:mod:`.overlay`), screening and bargaining the risk share (:mod:`.bargaining`) or
settling the outcome-linked share (:mod:`.outcome_share`), approvals (:mod:`.timeline`),
with shocks arriving as months pass (:mod:`.shocks`) and reopening the terms up to
``negotiation.max_reopenings`` times, and the result (:mod:`.agreement`). Each stage is a
part of the class kept in the module of its job; this module composes them.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from alliancesim.agents.negotiation.agreement import Agreement, Closing
from alliancesim.agents.negotiation.bargaining import RiskShareBargaining
from alliancesim.agents.negotiation.inputs import Decide, Economics, Party, Proposal
from alliancesim.agents.negotiation.outcome_share import OutcomeShareTerms
from alliancesim.agents.negotiation.overlay import OverlayMembership
from alliancesim.agents.negotiation.shocks import Shocks
from alliancesim.agents.negotiation.timeline import Timeline
from alliancesim.agents.negotiation.valuation import PackageValues
from alliancesim.model.ordering import largest


class Negotiation(
    PackageValues,
    OverlayMembership,
    RiskShareBargaining,
    OutcomeShareTerms,
    Timeline,
    Shocks,
    Closing,
):
    """One negotiation, run month by month; :meth:`run` returns an :class:`Agreement`."""

    def __init__(
        self,
        proposal: Proposal,
        parties: dict[str, Party],
        economics: Economics,
        params: Any,  # NegotiationSpec
        rng: random.Random,
        decide: Decide | None = None,
    ):
        self.proposal = proposal
        self.decide = decide  # outside decisions for some parties (role-play); None: the model
        self.parties = parties
        self.economics = economics
        self.params = params
        self.rng = rng
        self.month = 0.0
        self.events: list[dict[str, Any]] = []
        self.cost: dict[str, int] = {name: 0 for name in parties}
        self.declined: dict[str, str] = {}
        self.shocks: list[tuple[float, str, str]] = []
        self.leadership: list[str] = []
        self.rounds = 0
        self.ended: str | None = None
        self.commissioners = [p for p in parties.values() if p.is_commissioner]
        # the commissioner with the largest scope leads (ties by name), not the first listed
        self.lead_commissioner = largest({c.name: c.value_pence for c in self.commissioners})
        self.members = [m for m in proposal.members if m in parties]
        self.outcome_share = proposal.outcome_share
        # NHS commissioners are "not a formal risk sharer" (seed 000 L1776): one that
        # does not share risk proposes that providers carry all of an overspend
        # (seed 000 L1113: an overspend is "a matter resolved by the providers")
        shares = any(c.shares_risk for c in self.commissioners)
        self.pain_share = proposal.pain_share if shares else 1.0
        self.gain_share = proposal.gain_share
        self.risk_members: list[str] = []
        self.target = proposal.target_savings
        self.lead_block = False  # the lead declined capitation risk: paid by block instead
        self.pending_rework = 0.0
        self.reopened = False
        self.overlay_only: set[str] = set()  # signed the agreement, kept out of the money

    def say(self, actor: str, kind: str, text: str, **details: Any) -> None:
        text = text if text.endswith(".") else text + "."
        self.events.append(
            dict(
                month=round(self.month, 1),
                actor=actor,
                kind=f"negotiation.{kind}",
                text=text,
                **details,
            )
        )

    def ask(self, name: str, question: str, target: float) -> Any:
        """An outside decision for ``name`` this round (the dashboard's role-play), or
        None when the model decides. ``decide`` sees the party's position: reserves,
        risk appetite, loss capacity and what the terms are worth to it a year."""
        if self.decide is None:
            return None
        party = self.parties[name]
        if party.is_commissioner:
            worth = self.commissioner_gain(target)
        else:
            worth = self.member_value(name, target, self.risk_members) * party.value_pence
        position = dict(
            question=question,
            round=self.rounds,
            month=round(self.month, 1),
            target=target,
            outcome_share=self.outcome_share,
            gain_share=self.gain_share,
            pain_share=self.pain_share,
            risk_members=tuple(self.risk_members),
            worth_pence=round(worth),
            value_pence=party.value_pence,
            reserves_pence=party.reserves_pence,
            loss_capacity_pence=party.loss_capacity_pence,
            risk_appetite=party.risk_appetite,
            events=len(self.events),
        )
        return self.decide(name, position)

    def scope(self, members: Iterable[str]) -> int:
        return sum(self.parties[m].value_pence for m in members)

    def run(self) -> Agreement:
        p = self.params
        prop = self.proposal
        c = self.lead_commissioner
        self.say(
            c,
            "proposal",
            f"{c} proposes {describe_proposal(prop, self.pain_share)} to "
            f"{', '.join(self.members)}.",
            vehicle=prop.vehicle,
            target_savings=prop.target_savings,
            outcome_share=prop.outcome_share,
            pain_share=self.pain_share,
        )
        # baseline and financial model work: consultants and finance teams
        # (seed 000 L1182-1186), longer with more parties round the table
        self.spend_months(p.preparation_months + p.months_per_party * len(self.parties))
        if self.ended is None:
            self.join_overlay()
        if self.ended is None and prop.has_risk_share:
            self.screen_risk_share()
        for _attempt in range(p.max_reopenings + 1):
            self.reopened = False
            if self.ended is None and prop.has_risk_share:
                self.bargain()
            elif self.ended is None:
                self.settle_outcome_share()
            if self.ended is None:
                self.approve()
            if self.ended is not None or not self.reopened:
                break
            self.say(c, "reopen", "A shock during the talks reopens the terms agreed so far.")
        return self.result()


def describe_proposal(prop: Proposal, pain_share: float) -> str:
    parts = [f"a {prop.duration_years}-year {prop.vehicle.replace('_', ' ')}"]
    if prop.lead:
        parts.append(f"led by {prop.lead}")
    if prop.has_risk_share:
        parts.append(
            f"with a savings target of {prop.target_savings:.1%}; providers take "
            f"{prop.gain_share:.0%} of any underspend and {pain_share:.0%} of any overspend"
        )
    if prop.outcome_share > 0:
        parts.append(f"and {prop.outcome_share:.1%} of value linked to outcomes")
    return " ".join(parts)


def negotiate(
    proposal: Proposal,
    parties: dict[str, Party],
    economics: Economics,
    params: Any,
    rng: random.Random,
    decide: Decide | None = None,
) -> Agreement:
    """Run one negotiation (see the module docstring). ``decide``, if given, is asked
    for each party's decision at each round (see :meth:`Negotiation.ask`)."""
    return Negotiation(proposal, parties, economics, params, rng, decide).run()
