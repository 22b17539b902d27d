"""Governance during the contract: votes, latency, informal cover, disputes, exits, renegotiation.

MODEL.md s2 (governance) and s3 step 6. An alliance decides by its decision
rule (seed 000 L970: unanimity, with a majority vote "where the Board must come
to a decision"; L1496: strict unanimity, equal say in Case B) at the pace of
its members' internal governance. The decisions it takes here:

- covering a member's overspend informally (Case B: the council gave money
  back to the mental health trust, seed 000 L1422), voted by the relational
  rule of anchors s2.3: a member helps iff its share of the cost is no more
  than the trust-weighted value of the relationship to come;
- disputes over a settled pain share, escalated internal -> facilitator ->
  terminate or agree to disagree (an alliance) or mediation -> expert
  determination (a standard contract);
- exits at the year end of members for whom the deal is no longer worth it,
  and exclusion of a member the others no longer trust (a commissioner
  reserved matter, so the lead commissioner must agree);
- renegotiation of the savings target when the payment core's demand trigger
  fires (seed 000 L1113) and at renewal.

Rules here are small pure functions; :class:`Governance` applies them to the model.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from alliancesim.agents.decisions import shadow_of_future
from alliancesim.model.elementwise import ARRAY, anywhere, maximum, select, total
from alliancesim.model.payment.ledger import row_note
from alliancesim.model.payment.terms import DecisionRule, GovernanceTerms
from alliancesim.model.streams import DISPUTE, draws_where

if TYPE_CHECKING:
    from alliancesim.model.simulation import HealthEconomyModel

FALLBACK_MONTHS = 1.0  # a blocked unanimity vote goes to a majority at the next board
# Value a year of a working relationship, as a share of income, at full trust and full
# weight on the system (judgement; the relational condition of anchors s2.3 needs a scale)
RELATIONSHIP_VALUE = 0.01


@dataclass(frozen=True)
class Decision:
    passed: bool
    months: float  # how long the decision took
    yes: tuple[str, ...]
    no: tuple[str, ...]
    how: str  # "unanimous", "majority", "lead", "blocked" ...


def decide(
    rule: DecisionRule | str,
    votes: dict[str, bool],
    latency: dict[str, float],
    lead: str | None = None,
) -> Decision:
    """Apply a decision rule to the members' votes; latency is each member's approval time.

    unanimity: all must agree, at the pace of the slowest; majority: more than
    half, decided once the fastest majority has approved; majority fallback:
    unanimity first, a majority vote one board later if blocked; lead decides:
    the lead's vote, at its pace.
    """
    rule = DecisionRule(rule)
    yes = tuple(sorted(m for m, v in votes.items() if v))
    no = tuple(sorted(m for m, v in votes.items() if not v))
    slowest = max(latency.values(), default=0.0)
    majority = len(yes) * 2 > len(votes)
    quorum = sorted(latency.values())[len(votes) // 2] if votes else 0.0
    match rule:
        case DecisionRule.UNANIMITY:
            return Decision(not no, slowest, yes, no, "unanimous" if not no else "blocked")
        case DecisionRule.MAJORITY:
            return Decision(majority, quorum, yes, no, "majority" if majority else "rejected")
        case DecisionRule.MAJORITY_FALLBACK:
            if not no:
                return Decision(True, slowest, yes, no, "unanimous")
            return Decision(
                majority,
                slowest + FALLBACK_MONTHS,
                yes,
                no,
                "majority after unanimity failed" if majority else "rejected",
            )
        case DecisionRule.LEAD_DECIDES:
            if lead is None or lead not in votes:
                return decide(DecisionRule.MAJORITY, votes, latency)
            return Decision(votes[lead], latency.get(lead, 0.0), yes, no, "lead")
    raise ValueError(rule)  # pragma: no cover


def helps_cover(
    cost_share_of_income: float,
    trust_in_member: float,
    years_left: float,
    weight_on_system: float,
) -> bool:
    """Relational contract condition (anchors s2.3): an informal favour b is given iff
    b <= delta / (1 - delta) x the value of the relationship, here the trust-weighted
    weight on the system (delta from the years left, decisions.shadow_of_future)."""
    delta = min(0.95, shadow_of_future(years_left))
    return (
        cost_share_of_income
        <= delta / (1.0 - delta) * trust_in_member * weight_on_system * RELATIONSHIP_VALUE
    )


def transfer_vote(
    beneficiary: str,
    amount: float,
    sizes: dict[str, float],
    trust: dict[str, dict[str, float]],
    weight_on_system: dict[str, float],
    years_left: float,
) -> dict[str, bool]:
    """Votes on moving ``amount`` to ``beneficiary``, paid by the others in proportion
    to their size; the beneficiary votes yes."""
    payers = {m: s for m, s in sizes.items() if m != beneficiary}
    total = sum(payers.values()) or 1.0
    votes = {beneficiary: True}
    for member, size in payers.items():
        share = amount * size / total / max(1.0, size)
        votes[member] = helps_cover(
            share, trust[member].get(beneficiary, 0.5), years_left, weight_on_system[member]
        )
    return votes


def escalate(
    trust: float,
    draws: list[float],
    levels: tuple[str, ...] = ("mediation",),
    final: str = "expert_determination",
) -> tuple[str, int]:
    """Dispute escalation: each level resolves it with probability ``trust``.

    ``levels`` and ``final`` are the contract's governance terms (seed 000 L1010):
    the NHS Standard Contract goes to mediation, then expert determination (which
    always decides); an alliance agreement to its own governance and a facilitator,
    then its senior body terminates or agrees to disagree (likelier with trust).
    """
    for depth, (level, draw) in enumerate(zip(levels, draws, strict=False)):
        if draw < trust:
            return f"resolved by {level}", depth + 1
    if final == "terminate_or_agree_to_disagree":
        last = draws[len(levels)] if len(draws) > len(levels) else 0.5
        return ("agree to disagree" if last < 0.5 + 0.5 * trust else "terminate"), len(levels) + 1
    return "expert determination", len(levels) + 1


class CoverPlan(NamedTuple):
    """One replication's vote on covering a member's overspend, and who pays what."""

    decision: Decision
    parts: dict[str, int]  # payer -> pence, in payer order; empty if the vote failed


def cover_plan(
    name: str,
    members: list[str],
    deficit: float,
    surplus: dict[str, float],
    income: dict[str, float],
    trust: dict[str, dict[str, float]],
    weights: dict[str, float],
    years_left: float,
    rule: DecisionRule,
    latency: dict[str, float],
    lead: str | None,
) -> CoverPlan | None:
    """The vote on covering ``name``'s overspend ``deficit`` in one replication (its own
    numbers), or None when there is nothing to vote on."""
    if not deficit > 0:
        return None
    # only members with a surplus this year can cover a partner's overspend
    able = [m for m in members if m == name or surplus[m] > 0]
    if len(able) < 2:
        return None
    sizes = {m: float(max(1, income[m])) for m in able}
    trust_able = {m: {n: trust[m][n] for n in able} for m in able}
    weights_able = {m: weights[m] for m in able}
    votes = transfer_vote(name, deficit, sizes, trust_able, weights_able, years_left)
    votes.update({m: False for m in members if m not in able})  # no surplus to give
    decision = decide(rule, votes, latency, lead)
    parts: dict[str, int] = {}
    if decision.passed:
        payers = {m: s for m, s in sizes.items() if m != name and votes.get(m)}
        whole = sum(payers.values())
        parts = {m: round(deficit * s / whole) for m, s in sorted(payers.items())}
    return CoverPlan(decision, parts)


def dispute_plan(
    pain: float, trust: float, draws: list[float], terms: GovernanceTerms
) -> tuple[str, int, int]:
    """One replication's dispute: (outcome, levels escalated, cost in pence)."""
    outcome, levels = escalate(trust, draws, terms.dispute_levels, terms.dispute_final)
    # advisers and staff time, 1% of the contested sum a level (judgement, 0.5-3%), rounded
    # once to whole pence (half to even)
    return outcome, levels, round(0.01 * pain * levels)


def cover_text(name: str, deficit: float, how: str, months: float) -> str:
    return (
        f"{name} overspent by £{deficit / 100:,.0f} this year; the alliance "
        f"agreed ({how}, {months:.0f} months) that the "
        "others cover it informally from their surpluses."
    )


def refused_text(name: str, deficit: float, no: str) -> str:
    return (
        f"{name} asked its partners to cover a £{deficit / 100:,.0f} "
        f"overspend; {no} would not, so it carries "
        "the loss."
    )


def dispute_cost_text(levels: int, pain: float) -> str:
    return (
        f"advisers and staff time, {levels} level(s) of escalation over a "
        f"£{pain / 100:,.0f} pain share"
    )


def dispute_text(pain: float, levels: int, outcome: str) -> str:
    return (
        f"Members dispute a pain share of £{pain / 100:,.0f}; escalated through "
        f"{levels} level(s): {outcome}."
    )


def replications(*values: Any) -> int | None:
    """How many replications the values are over (the first array's length), or None
    when all are numbers (one run)."""
    for value in values:
        if isinstance(value, ARRAY) and value.ndim == 1:
            return len(value)
    return None


def own(value: Any, index: int | None) -> Any:
    """Replication ``index``'s part of a value (an array's element as a Python number,
    inside dicts); the value itself in one run (``index`` None)."""
    if index is None:
        return value
    if isinstance(value, ARRAY):
        return value[index].item() if value.ndim == 1 else value.item()
    if isinstance(value, dict):
        return {k: own(v, index) for k, v in value.items()}
    return value


def gather(values: list[Any], size: int | None, dtype: Any) -> Any:
    """One replication's values back as one value (one run), or an array over them."""
    if size is None:
        return values[0]
    return np.array(values, dtype=dtype)


class Governance:
    """Applies the rules at each contract year end and when a trigger fires."""

    def __init__(self, model: HealthEconomyModel, params: Any):
        self.model = model
        self.params = params
        self.decisions = 0
        self.decision_months = 0.0
        self.covers = 0
        self.disputes = 0
        self.exits: list[str] = []
        self.exclusions: list[str] = []
        self.renegotiations = 0
        self.reopened_year = -1  # the contract year the envelope was last reopened in

    @property
    def rule(self) -> DecisionRule:
        return (
            self.model.active_spec.governance.decision_rule
            if self.model.active_spec
            else (DecisionRule.UNANIMITY)
        )

    def members(self) -> list[str]:
        alliance = [c for c in self.model.contracts if len(c.members) > 1]
        names = sorted({m for c in alliance for m in c.members})
        return [n for n in names if not self.model.orgs[n].failed]

    def latency(self, members: list[str]) -> dict[str, float]:
        months = self.params.approval_months
        return {m: months.get(self.model.orgs[m].kind, 3.0) for m in members}

    def review(self) -> None:
        """Called after settlement: triggers every period, the rest at year ends."""
        model = self.model
        year = model.period // model.periods_per_year
        for key, value in model.flags.items():
            if (
                key.endswith(".demand_trigger")
                and self.reopened_year != year
                and model.diverges(value, "the demand trigger reopened the envelope")
            ):
                # the envelope is reconsidered once a contract year: the new target
                # applies from the next one (seed 000 L1113)
                self.reopened_year = year
                self.renegotiate(f"demand exceeded plan by the trigger in {key.split('.')[0]}")
                break
        if (model.period + 1) % model.periods_per_year == 0:
            members = self.members()
            if len(members) > 1:
                self.cover_overspends(members)
                self.disputes_over_pain(members)
                self.exits_and_exclusions(members)

    def record(self, actor: str, kind: str, text: str, **details: Any) -> None:
        self.model.record_event(actor, f"governance.{kind}", text, **details)

    def cover_overspends(self, members: list[str]) -> None:
        """Each member that overspent this year asks the others to cover it (one run, or
        every replication of an ensemble at once: the vote is each replication's own)."""
        model = self.model
        years_left = self.years_left()
        rule, latency, lead = self.rule, self.latency(members), self.lead()
        for name in members:
            provider = model.orgs[name]
            deficit = provider.year_cost - provider.year_income
            if not anywhere(deficit > 0):
                continue
            # read now: an earlier member's cover has moved this year's income
            surplus = {m: model.orgs[m].year_income - model.orgs[m].year_cost for m in members}
            income = {m: model.orgs[m].annual_income for m in members}
            trust = {m: {n: model.orgs[m].trust_in(n) for n in members} for m in members}
            weights = {m: model.orgs[m].weight_on_system for m in members}
            size = replications(
                deficit,
                *surplus.values(),
                *income.values(),
                *weights.values(),
                *(t for row in trust.values() for t in row.values()),
            )
            plans = [
                cover_plan(
                    name,
                    members,
                    own(deficit, i),
                    own(surplus, i),
                    own(income, i),
                    own(trust, i),
                    own(weights, i),
                    years_left,
                    rule,
                    latency,
                    lead,
                )
                for i in ([None] if size is None else range(size))
            ]
            self.apply_cover(name, deficit, plans, size)

    def apply_cover(
        self, name: str, deficit: Any, plans: list[CoverPlan | None], size: int | None
    ) -> None:
        """Counters, transfers and events of a member's cover votes (``plans``: one a
        replication, None where it asked for nothing)."""
        model = self.model
        decided = gather([p is not None for p in plans], size, bool)
        if not anywhere(decided):
            return
        passed = gather([p is not None and p.decision.passed for p in plans], size, bool)
        months = gather([p.decision.months if p else 0.0 for p in plans], size, float)
        self.decisions = self.decisions + select(decided, 1, 0)
        self.decision_months = self.decision_months + select(decided, months, 0.0)
        paid: Any = 0
        payers = sorted({m for p in plans if p is not None for m in p.parts})
        if payers:
            contract = next(c.name for c in model.contracts if name in c.members)
        for m in payers:
            part = gather([p.parts.get(m, 0) if p else 0 for p in plans], size, np.int64)
            model.transfer(
                m,
                name,
                part,
                contract,
                "informal_cover",
                "governance_cover",
                f"covering {name}'s overspend",
            )
            paid = paid + maximum(0, part)
        self.covers = self.covers + select(passed, 1, 0)
        how = gather([p.decision.how if p else "" for p in plans], size, str)
        no = gather([", ".join(p.decision.no) if p else "" for p in plans], size, str)
        self.record(
            name,
            "cover",
            row_note(cover_text, name=name, deficit=deficit, how=how, months=months),
            where=passed,
            amount_pence=paid,
        )
        self.record(
            name,
            "cover_refused",
            row_note(refused_text, name=name, deficit=deficit, no=no),
            where=select(passed, False, decided),
        )

    def disputes_over_pain(self, members: list[str]) -> None:
        """A dispute over the pain share settled this year, where it is large enough (one
        run, or every replication of an ensemble at once)."""
        model = self.model
        pain = sum(
            v
            for k, v in model.flags.items()
            if k.endswith(".pain_pence") and isinstance(v, int | float | np.ndarray)
        )
        threshold = 0.001 * sum(model.orgs[m].annual_income for m in members)
        disputed = pain > threshold
        if not anywhere(disputed):
            return
        commissioner = model.lead_commissioner
        trust = total(model.orgs[m].trust_in(commissioner) for m in members) / len(members)
        rng = model.streams(DISPUTE, model.contract_model)  # keyed: no other draw shifts it
        terms = model.active_spec.governance if model.active_spec else GovernanceTerms()
        columns = draws_where(rng, 3, disputed)  # each run's next three draws
        size = replications(*columns)
        plans = [
            dispute_plan(own(pain, i), own(trust, i), [own(c, i) for c in columns], terms)
            if own(disputed, i)
            else ("", 0, 0)
            for i in ([None] if size is None else range(size))
        ]
        outcome = gather([p[0] for p in plans], size, str)
        levels = gather([p[1] for p in plans], size, np.int64)
        cost = gather([p[2] for p in plans], size, np.int64)
        # advisers and staff time, 1% of the contested sum a level (judgement, 0.5-3%),
        # rounded once to whole pence (half to even) and posted to the advisers account
        model.charge_transaction_cost(
            commissioner, cost, "dispute", row_note(dispute_cost_text, levels=levels, pain=pain)
        )
        self.disputes = self.disputes + select(disputed, 1, 0)
        self.record(
            commissioner,
            "dispute",
            row_note(dispute_text, pain=pain, levels=levels, outcome=outcome),
            where=disputed,
            outcome=outcome,
        )

    def exits_and_exclusions(self, members: list[str]) -> None:
        model = self.model
        for name in members:
            if name == self.lead():
                # the lead holds the contract its partners work under: they cannot vote it
                # out; a lead that can no longer carry the contract hands it back
                # (agents/exit.py), which ends the design for all of them
                continue
            others = [m for m in members if m != name]
            trusted = total(model.orgs[m].trust_in(name) for m in others) / max(1, len(others))
            if model.diverges(trusted < self.params.exclusion_trust, "an exclusion vote"):
                votes = {m: model.orgs[m].trust_in(name) < 0.5 for m in others}
                decision = decide(self.rule, votes, self.latency(others), self.lead())
                self.count(decision)
                # membership is a commissioner reserved matter
                agrees = model.orgs[model.lead_commissioner].trust_in(name) < 0.5
                if decision.passed and agrees:
                    self.exclusions.append(name)
                    self.record(
                        name,
                        "exclusion",
                        f"The alliance excludes {name}: its partners trust it only "
                        f"{trusted:.2f}; {model.lead_commissioner} agrees (a reserved "
                        "matter).",
                    )
                    model.remove_member(name)

    def renegotiate(self, why: str) -> None:
        model = self.model
        if model.agreement is None or not model.agreement.risk_members:
            return
        self.renegotiations += 1
        new_target = model.renegotiate_target()
        self.record(
            model.lead_commissioner,
            "renegotiation",
            f"The envelope reopens: {why}. The parties rebargain the savings target "
            f"to {new_target:.1%} from next contract year.",
        )

    def lead(self) -> str | None:
        return self.model.active_spec.lead if self.model.active_spec else None

    def years_left(self) -> float:
        spec = self.model.active_spec
        years = (spec.duration_years + spec.extension_years) if spec else 1
        return max(0.0, years - self.model.period / self.model.periods_per_year)

    def count(self, decision: Decision) -> None:
        self.decisions += 1
        self.decision_months += decision.months

    def summary(self) -> dict[str, Any]:
        """The run's governance figures (in an ensemble, counters may be arrays over
        replications: ``runs.replication_run`` gives each replication its own)."""
        if isinstance(self.decisions, ARRAY):
            with np.errstate(divide="ignore", invalid="ignore"):
                mean_months = np.where(
                    self.decisions > 0, self.decision_months / self.decisions, math.nan
                )
        else:
            mean_months = self.decision_months / self.decisions if self.decisions else math.nan
        return {
            "governance_decisions": self.decisions,
            "governance_mean_decision_months": mean_months,
            "informal_covers": self.covers,
            "disputes": self.disputes,
            "exclusions": len(self.exclusions),
            "renegotiations": self.renegotiations,
        }


def largest_member_share(
    rule: DecisionRule | str,
    sizes: dict[str, float],
    latency: dict[str, float],
    rng: random.Random,
    decisions: int,
    ask_share: float = 0.01,
    spread: float = 0.03,
) -> tuple[float, float, int]:
    """A stream of budget-moving proposals under one decision rule (for V14).

    Each proposal moves ``ask_share`` of the proposer's size to it, paid by the
    others in proportion to theirs; the proposer is drawn in proportion to size
    (a dominant member asks most). Each member votes yes iff its cost, as a
    share of its size, is below a threshold it draws (its view of the case).
    Returns (mean months a decision took, share of passed proposals that favour
    the largest member, passed count).
    """
    names = sorted(sizes)
    largest = max(names, key=lambda n: sizes[n])
    total = sum(sizes.values())
    months = 0.0
    favour = passed = 0
    for _ in range(decisions):
        pick = rng.random() * total
        proposer = names[-1]
        for n in names:
            pick -= sizes[n]
            if pick <= 0:
                proposer = n
                break
        amount = ask_share * sizes[proposer]
        others = total - sizes[proposer]
        votes = {proposer: True}
        for n in names:
            if n == proposer:
                continue
            cost = amount * sizes[n] / others / sizes[n]
            votes[n] = cost < rng.random() * spread
        pace = {n: m * (0.75 + 0.5 * rng.random()) for n, m in latency.items()}
        decision = decide(rule, votes, pace)
        months += decision.months
        if decision.passed:
            passed += 1
            favour += proposer == largest
    return months / max(1, decisions), favour / passed if passed else 0.0, passed
