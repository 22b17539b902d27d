"""Pre-contract negotiation: a process over months that ends agreed, scaled down or abandoned.

MODEL.md s3 step 1. The commissioner proposes a design (vehicle, members,
outcome-linked share, gain and pain shares, savings target, duration). Every
party values it against its outside option, the status quo, in certainty
equivalents as a share of its own annual income (CARA, anchors s2.1):

    CE_i = E[payoff_i] - (r_i / 2) Var[payoff_i]

with r_i from its risk appetite, reserves and distress
(:func:`alliancesim.agents.decisions.risk_aversion`), trust in the partners
(how much of the saving it expects them to deliver), trust in the commissioner
(how much of a promised gain it believes will be paid: anchors s2.7, "shrink
the value of promises by trust"), and trust in the financial model
(``trust.data_quality``: a doubtful baseline is an error that persists over
every year of the term, so its variance grows with the square of the duration).

The savings target is bargained by Zeuthen's concession protocol between the
commissioner and the members who share risk (anchors s2.7): each round the side
whose own offer gives the smaller weighted Nash product (the side with less to
lose from a breakdown) concedes part of the gap. The protocol converges to the
asymmetric Nash bargaining solution (Harsanyi 1956) and leaves a trace a
student can follow round by round; :func:`nash_split` is the closed form it
approaches, pinned by a hand-worked test. Bargaining power is size (annual
contract value): the negotiations were "dominated by the CCG and its largest
provider" (seed 000 L121).

Each month costs every party staff time and advisers' fees, with a fixed part
that weighs more on small parties (seed 000 L1178: legal advice "costly for the
smaller of the contractual parties"). Approvals go through each member's
internal governance, at the pace of the slowest member. Outside shocks
(policy change, leadership change, commissioner finances) arrive with a
Weibull hazard that grows with the months already spent (docs/case-figures.md
s7: shape 2.5, scale 29 months) and reopen, reshape or end the deal.

Everything here is plain-Python scalar maths on the model's ``random`` stream;
a negotiation costs well under a millisecond.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from alliancesim.agents.decisions import risk_aversion
from alliancesim.agents.trust import evidence_for, staff_turnover
from alliancesim.model import streams
from alliancesim.model.ordering import canonical_scenario, largest
from alliancesim.scenario import BehaviourSpec

AGREED = "agreed"
SCALED_DOWN = "scaled_down"
ABANDONED = "abandoned"
RESULTS = (AGREED, SCALED_DOWN, ABANDONED)

# an outside decision (role-play): (party, position) -> "accept", "refuse", a counter
# offer (float) or None for the model's own decision
Decide = Callable[[str, dict[str, Any]], Any]
Z_95 = 1.645  # one-sided 1-in-20 loss


# ------------------------------------------------------------------ inputs
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


# ------------------------------------------------------------------ rules
def normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def normal_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def expected_positive(mean: float, sd: float) -> float:
    """E[max(X, 0)] for X ~ N(mean, sd^2): the expected underspend against a target."""
    if sd <= 0:
        return max(mean, 0.0)
    z = mean / sd
    return mean * normal_cdf(z) + sd * normal_pdf(z)


def promise_honoured(trust_in_commissioner: float, doubt: float) -> float:
    """Share of a promised gain a party believes it will be paid (anchors s2.7: u x T).

    Trust 1 gives 1; trust 0 gives ``1 - doubt``. Losses need no belief: they are taken.
    """
    return 1.0 - doubt * (1.0 - trust_in_commissioner)


def risk_share_value(
    exposure: float,
    gain_share: float,
    pain_share: float,
    mean_saving: float,
    target: float,
    economics: Economics,
    years: int,
    honoured: float,
    aversion: float,
) -> float:
    """Certainty equivalent a year, as a share of income, of a gain/pain share.

    ``exposure`` is the party's part of the provider side's share, times the
    scope's value over its own income (1 when shares go by value). The system
    saving against plan is N(mean_saving, spend_sd^2) a year; the gain above the
    target is paid at ``gain_share`` (believed ``honoured``), the loss below it
    taken at ``pain_share``. The variance adds the baseline error, which persists
    over all ``years`` of the term (its variance in the total grows with years^2,
    so per year with years): long deals are riskier (V2).
    """
    mu = mean_saving - target
    sd = economics.spend_sd
    gain = expected_positive(mu, sd)
    loss = gain - mu
    expected = exposure * (gain_share * honoured * gain - pain_share * loss)
    variance = (exposure * 0.5 * (gain_share + pain_share)) ** 2 * (
        sd**2 + years * economics.baseline_sd**2
    )
    return expected - 0.5 * aversion * variance


def outcome_value(
    share: float, leniency: float, attainment: float, attainment_sd: float, aversion: float
) -> float:
    """Certainty equivalent a year (share of income) of an outcome-linked withhold.

    Money is lost only when the commissioner is not lenient and attainment falls
    short (seed 000 L1430, L1440: paid "regardless of performance").
    """
    at_risk = share * (1.0 - leniency)
    return -at_risk * (1.0 - attainment) - 0.5 * aversion * (at_risk * attainment_sd) ** 2


def overlay_value(
    weight_on_system: float,
    trust_in_partners: float,
    data_quality: float,
    savings_belief: float,
    loss_fear: float,
    running_cost: float,
    stake: float = 1.0,
) -> float:
    """Value a year (share of income) of joining the alliance, before any money at risk is priced.

    Best for service: the system saving it expects partners to help deliver.
    Best for self: the fear that its money or activity is "lost" in a system it
    does not trust and whose numbers it doubts (seed 000 L740, L1295-1297),
    times ``stake``, how much of its money the design puts in joint hands: 1
    when money is pooled or passes through a lead, ``negotiation.overlay_stake``
    (a judgement prior, 0.25 by default) for the alliance agreement alone, which
    leaves its service contract as it is (seed 000 L147, L1087).
    """
    service = weight_on_system * trust_in_partners
    fear = (1.0 - weight_on_system) * (1.0 - trust_in_partners) * (1.0 - data_quality) * loss_fear
    return savings_belief * (service - stake * fear) - running_cost


def one_in_twenty_loss(
    exposure: float, pain_share: float, mean_saving: float, target: float, sd: float
) -> float:
    """The loss a year (share of income) it would have to cover one year in twenty."""
    return max(0.0, exposure * pain_share * (target - mean_saving + Z_95 * sd))


def bargaining_power(sizes: dict[str, float], exponent: float = 1.0) -> dict[str, float]:
    """Power from size: theta_j proportional to size_j ** exponent, summing to one."""
    weighted = {k: max(v, 0.0) ** exponent for k, v in sizes.items()}
    total = sum(weighted.values())
    if total <= 0:
        return {k: 1.0 / len(sizes) for k in sizes}
    return {k: v / total for k, v in weighted.items()}


def nash_split(
    surplus: float, disagreement: dict[str, float], power: dict[str, float]
) -> dict[str, float]:
    """Asymmetric Nash bargaining over a transferable surplus (anchors s2.7).

    Each party gets its disagreement payoff plus its power's share of what is
    left: ``x_i = d_i + theta_i (S - sum d)``. Two parties with S = 100,
    d = (20, 10), theta = (0.6, 0.4) get 62 and 38. No agreement when the
    surplus does not cover the disagreement payoffs (returns {}).
    """
    rest = surplus - sum(disagreement.values())
    if rest < 0:
        return {}
    total = sum(power.values()) or 1.0
    return {k: disagreement[k] + power[k] / total * rest for k in disagreement}


def nash_product(gains: Iterable[float], powers: Iterable[float]) -> float:
    """Weighted Nash product of gains over disagreement; zero if any gain is not positive."""
    product = 1.0
    for gain, power in zip(gains, powers, strict=True):
        if gain <= 0:
            return 0.0
        product *= gain**power
    return product


def zeuthen_concedes(product_at_first_offer: float, product_at_second_offer: float) -> int:
    """Which side concedes (0 the first, 1 the second): the one whose own offer
    gives the smaller Nash product, i.e. with the smaller risk limit (Harsanyi's
    reading of Zeuthen). Ties: the first side (the proposer) concedes."""
    return 0 if product_at_first_offer <= product_at_second_offer else 1


def shock_probability(month: float, shape: float, scale: float) -> float:
    """Chance of an outside shock in the month ending at ``month`` (Weibull hazard).

    Cumulative hazard H(m) = (m / scale) ** shape; shape > 1 makes the hazard
    grow with the length of negotiation (docs/case-figures.md s7: shape 2.5 and
    scale 29 give P(shock by 18 months) ~ 0.25 and by 30 months ~ 0.65).
    """
    if month <= 0:
        return 0.0
    start = max(0.0, month - 1.0)
    increment = (month / scale) ** shape - (start / scale) ** shape
    return 1.0 - math.exp(-increment)


def approval_pace(months_by_member: dict[str, float]) -> tuple[str, float]:
    """Approvals at the pace of the slowest member's internal governance."""
    slowest = max(months_by_member, key=lambda k: (months_by_member[k], k))
    return slowest, months_by_member[slowest]


def negotiation_cost_month(
    party: Party, commissioner_share: float, provider_share: float, fixed_pence: int
) -> int:
    """Staff time and advisers' fees for one month of negotiation, in pence.

    A proportional part (staff time grows with the stake) and a fixed part
    (legal advice, a seat at every meeting) that weighs more on small parties.
    """
    share = commissioner_share if party.is_commissioner else provider_share
    return round(fixed_pence + share * party.value_pence / 12.0)


# ------------------------------------------------------------------ result
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

    @property
    def reshaped_by_shock(self) -> bool:
        return bool(self.shocks)

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


# ------------------------------------------------------------------ process
class Negotiation:
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
        self.commissioner_shares_risk = shares
        self.risk_members: list[str] = []
        self.target = proposal.target_savings
        self.lead_block = False  # the lead declined capitation risk: paid by block instead
        self.pending_rework = 0.0
        self.reopened = False
        self.overlay_only: set[str] = set()  # signed the agreement, kept out of the money

    # -------------------------------------------------------------- helpers
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
            worth = self.commissioner_gain(target, self.risk_members)
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

    def spend_months(self, months: float) -> None:
        """Time passes: every party pays for it, and outside shocks may arrive."""
        p = self.params
        end = self.month + months
        while self.month < end - 1e-9 and self.ended is None:
            step = min(1.0, end - self.month)
            self.month += step
            for name, party in self.parties.items():
                self.cost[name] += round(
                    step
                    * negotiation_cost_month(
                        party,
                        p.commissioner_cost_share,
                        p.provider_cost_share,
                        p.fixed_monthly_cost_pence,
                    )
                )
            if self.rng.random() < step * shock_probability(
                self.month, p.shock_shape, p.shock_scale_months
            ):
                self.shock()
                end += self.pending_rework
                self.pending_rework = 0.0
            if self.month >= p.max_months and self.ended is None:
                self.ended = "deadline"

    def scope(self, members: Iterable[str]) -> int:
        return sum(self.parties[m].value_pence for m in members)

    def expected_saving(self, party: Party, partners: Iterable[str]) -> float:
        """The saving it expects: the belief, scaled by the cooperation it expects."""
        return self.economics.savings_belief * party.mean_trust(partners)

    def member_value(self, name: str, target: float, risk_members: list[str]) -> float:
        """A member's certainty equivalent a year (share of income) of the whole package."""
        party = self.parties[name]
        p = self.params
        aversion = party.aversion * (p.control_total_aversion if party.control_total else 1.0)
        value = 0.0
        if name in risk_members:
            # losses on the whole scope fall on the risk sharers, by value
            exposure = self.scope(self.members) / max(1, self.scope(risk_members))
            value += risk_share_value(
                exposure,
                self.gain_share,
                self.pain_share,
                self.expected_saving(party, self.members),
                target,
                self.economics,
                self.proposal.duration_years,
                promise_honoured(party.trust_in(self.lead_commissioner), p.promise_doubt),
                aversion,
            )
        if name == self.proposal.lead and self.proposal.lead_capitation and not self.lead_block:
            # a lead on capitation carries the whole scope's overspend and underspend
            value += risk_share_value(
                self.scope(self.members) / max(1, party.value_pence),
                1.0,
                1.0,
                self.expected_saving(party, self.members),
                0.0,
                self.economics,
                self.proposal.duration_years,
                1.0,
                aversion,
            )
        if self.outcome_share > 0:
            attainment = 0.5 + 0.5 * self.economics.data_quality * party.trust_in(
                self.lead_commissioner
            )
            value += outcome_value(
                self.outcome_share,
                self.parties[self.lead_commissioner].leniency,
                attainment,
                p.outcome_attainment_sd,
                aversion,
            )
        return value

    def commissioner_gain(self, target: float, risk_members: list[str]) -> float:
        """The commissioners' expected gain (pence a year) over the overlay alone."""
        commissioner = self.parties[self.lead_commissioner]
        scope = self.scope(self.members)
        mean = self.expected_saving(commissioner, self.members)
        sd = self.economics.spend_sd
        mu = mean - target
        gain = expected_positive(mu, sd)
        loss = gain - mu
        with_share = mean - self.gain_share * gain + self.pain_share * loss
        overlay_only = mean * self.params.overlay_saving_share
        return scope * (with_share - overlay_only)

    def providers_gain(self, target: float, risk_members: list[str]) -> float:
        return sum(
            self.member_value(m, target, risk_members) * self.parties[m].value_pence
            for m in risk_members
        )

    def powers(self, risk_members: list[str]) -> tuple[float, float]:
        sizes = {
            "commissioners": float(sum(c.value_pence for c in self.commissioners)),
            "providers": float(self.scope(risk_members)),
        }
        power = bargaining_power(sizes, self.params.power_exponent)
        return power["commissioners"], power["providers"]

    # ------------------------------------------------------------ stages
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

    def join_overlay(self, who: Iterable[str] | None = None) -> None:
        """Each invited provider decides whether to join at all, and on what footing.

        It values the design as proposed (fear scaled by the money the design puts in
        joint hands) and, in an alliance whose design moves money, the agreement alone
        (``negotiation.overlay_stake``). The first worth having: it joins in full; only the
        second: it signs the overlay and declines the payment mechanism (seed 000 L627:
        the agreement signed, no multilateral gain/loss share); neither: it withdraws.
        """
        for name in list(who or self.members):
            if name not in self.members:
                continue
            trust = self.parties[name].mean_trust(m for m in self.members if m != name)
            full = self.overlay_worth(name, self.design_stake())
            if full >= 0 and name not in self.overlay_only:
                if who is None:
                    self.say(name, "join", f"{name} agrees to work in the {self.proposal.vehicle}.")
                continue
            bare = (
                self.overlay_worth(name, self.params.overlay_stake)
                if self.proposal.overlay_alone_possible
                else full
            )
            if bare >= 0 and self.proposal.moves_money:
                if name not in self.overlay_only:
                    self.join_overlay_only(name, trust)
            elif bare < 0:
                self.withdraw(
                    name,
                    f"{name} {'will not join' if who is None else 'leaves'}: it trusts its "
                    f"partners only {trust:.2f} and doubts the financial model, so it fears "
                    "its money would be lost in the system more than it values the joint work",
                )
        self.check_viable()

    def design_stake(self) -> float:
        """How much of a member's money the design as proposed puts in joint hands."""
        return 1.0 if self.proposal.moves_money else self.params.overlay_stake

    def overlay_worth(self, name: str, stake: float) -> float:
        """:func:`overlay_value` for one party, with the trust it holds today."""
        party = self.parties[name]
        return overlay_value(
            party.incentive_weight * (0.5 if party.distressed else 1.0),
            party.mean_trust(m for m in self.members if m != name),
            self.economics.data_quality,
            self.economics.savings_belief,
            self.params.loss_fear,
            self.params.running_cost_share,
            stake,
        )

    def join_overlay_only(self, name: str, trust: float) -> None:
        """It signs the alliance agreement and shared governance but keeps its money out."""
        self.overlay_only.add(name)
        self.say(name, "join", f"{name} agrees to work in the alliance.")
        self.decline_risk(
            name,
            f"{name} signs the alliance agreement but keeps its money out of the payment "
            f"mechanism: it trusts its partners only {trust:.2f} and doubts the financial "
            "model, but values the joint work under its own contract (seed 000 L147, L627)",
        )

    def withdraw(self, name: str, reason: str) -> None:
        if name in self.members:
            self.members.remove(name)
        if name in self.risk_members:
            self.risk_members.remove(name)
        self.declined[name] = reason
        self.say(name, "withdraw", reason)

    def main_provider(self) -> str:
        """The invited provider the commissioners pay most in scope (ties: by name)."""
        return max(self.proposal.members, key=lambda m: (self.parties[m].value_pence, m))

    def check_viable(self) -> None:
        """Too few members, too little of the scope, or the main provider gone: abandoned.

        Talks are "dominated by binary relationships between the NHS commissioner and
        NHS provider who was the main recipient of their funding" (seed 000 L121, L1704),
        the provider whose activity the redesign is to move (L113): an alliance without
        it has nothing to reconfigure. Losing a smaller member reshapes the deal; the
        more members a deal has, the more of them it can lose and go on.
        """
        p = self.params
        total = self.scope(self.proposal.members)
        if self.proposal.lead_pays_members:
            if self.proposal.lead not in self.members:
                self.ended = "lead_withdrew"
        elif len(self.members) < p.min_members or self.scope(self.members) < (
            p.min_scope_share * total
        ):
            self.ended = "too_few_members"
        elif self.main_provider() not in self.members:
            self.ended = "main_provider_withdrew"

    def screen_risk_share(self) -> None:
        """Constraints first: who cannot share losses at all (seed 000 L119, L1335)."""
        p = self.params
        self.risk_members = []
        for name in self.members:
            party = self.parties[name]
            if name in self.overlay_only:
                continue  # declined when it joined
            if not party.may_bear_losses:
                self.decline_risk(
                    name,
                    f"{name} declines to share losses: its constitution bars spending "
                    "charitable funds on statutory services",
                )
                continue
            exposure = self.scope(self.members) / max(
                1, self.scope([m for m in self.members if self.parties[m].may_bear_losses])
            )
            loss = (
                one_in_twenty_loss(
                    exposure,
                    self.pain_share,
                    self.expected_saving(party, self.members),
                    self.target,
                    math.sqrt(
                        self.economics.spend_sd**2
                        + self.proposal.duration_years * self.economics.baseline_sd**2
                    ),
                )
                * party.value_pence
            )
            if loss > p.reserve_cover * party.loss_capacity_pence:
                self.decline_risk(
                    name,
                    f"{name} declines to share losses: a bad year could cost it "
                    f"£{loss / 100:,.0f}, more than it could absorb "
                    f"(£{party.loss_capacity_pence / 100:,.0f}); it is too small to share "
                    "the financial risk",
                )
                continue
            self.risk_members.append(name)

    def decline_risk(self, name: str, reason: str) -> None:
        if name in self.risk_members:
            self.risk_members.remove(name)
        self.declined[name] = reason
        self.say(name, "decline_risk", reason)

    def bargain(self) -> None:
        """Zeuthen rounds over the savings target between commissioners and risk sharers."""
        p = self.params
        c = self.lead_commissioner
        offer_c = self.proposal.target_savings  # the commissioner's offer
        offer_p = 0.0  # the providers' opening ask: a target at plan, no saving built in
        rounds = 0
        while self.ended is None and self.risk_members:
            if rounds >= p.max_rounds:
                self.say(
                    c,
                    "stalemate",
                    "The parties could not agree the financial model after "
                    f"{rounds} rounds; the risk share is dropped.",
                )
                self.risk_members = []
                return
            rounds += 1
            self.rounds += 1
            powers = self.powers(self.risk_members)

            def product(t: float, powers: tuple[float, float] = powers) -> float:
                return nash_product(
                    (
                        self.commissioner_gain(t, self.risk_members),
                        self.providers_gain(t, self.risk_members),
                    ),
                    powers,
                )

            at_c, at_p = product(offer_c), product(offer_p)
            if at_c <= 0 and at_p <= 0 and offer_c - offer_p > p.tolerance:
                # each side opens at the edge of the zone of agreement, if there is one
                grid = [offer_p + (offer_c - offer_p) * k / 20 for k in range(21)]
                zone = [t for t in grid if product(t) > 0]
                if zone:
                    offer_p, offer_c = zone[0], zone[-1]
                    at_c, at_p = product(offer_c), product(offer_p)
            offer_c, offer_p, asked = self.outside_offers(offer_c, offer_p)
            if asked == "refused":
                if not self.risk_members:
                    return
                self.spend_months(p.round_months)
                continue
            if asked:
                at_c, at_p = product(offer_c), product(offer_p)
            gap = offer_c - offer_p
            if at_c <= 0 and at_p <= 0:
                # no target suits both sides: the commissioner first cuts the
                # outcome-linked share, then the member who gains least drops out
                if not self.concede_outcome():
                    worst = self.least_willing(offer_p)
                    self.decline_risk(worst, self.risk_reason(worst, offer_p))
            elif gap <= p.tolerance:
                self.target = 0.5 * (offer_c + offer_p)
                worst = self.least_willing(self.target)
                if self.member_value(worst, self.target, self.risk_members) >= 0:
                    self.say(
                        c,
                        "terms",
                        f"Round {self.rounds}: terms agreed in principle: savings target "
                        f"{self.target:.1%}; providers take {self.gain_share:.0%} of any "
                        f"underspend and {self.pain_share:.0%} of any overspend, shared by "
                        f"{', '.join(self.risk_members)}; outcome-linked share "
                        f"{self.outcome_share:.1%}.",
                        target_savings=round(self.target, 4),
                    )
                    self.spend_months(p.round_months)
                    return
                if not self.concede_outcome():
                    self.decline_risk(worst, self.risk_reason(worst, self.target))
                offer_c = offer_p = self.target
            else:
                trust = sum(
                    self.parties[m].mean_trust(self.members + [c]) for m in self.risk_members
                ) / len(self.risk_members)
                # suspicious parties concede in smaller steps (they haggle longer)
                step = p.concession_rate * (0.5 + trust) * gap
                if zeuthen_concedes(at_c, at_p) == 0:
                    offer_c -= step
                    self.say(
                        c,
                        "round",
                        f"Round {self.rounds}: the providers ask for a savings target of "
                        f"{offer_p:.1%}; {c} has more to lose from a breakdown and lowers "
                        f"its target to {offer_c:.1%}.",
                        offer_commissioner=round(offer_c, 4),
                        offer_providers=round(offer_p, 4),
                    )
                else:
                    offer_p += step
                    self.say(
                        ", ".join(self.risk_members),
                        "round",
                        f"Round {self.rounds}: {c} asks for a savings target of {offer_c:.1%}; "
                        f"the risk-sharing providers have more to lose from a breakdown and "
                        f"raise their offer to {offer_p:.1%}.",
                        offer_commissioner=round(offer_c, 4),
                        offer_providers=round(offer_p, 4),
                    )
            self.spend_months(p.round_months)
            if self.reopened:
                # a policy shock: the commissioner re-proposes its opening target
                offer_c, offer_p = self.proposal.target_savings, 0.0
                self.reopened = False

    def outside_offers(self, offer_c: float, offer_p: float) -> tuple[float, float, str]:
        """Outside decisions this round (role-play): "accept" takes the other side's
        offer, "refuse" walks away from the risk share, a number counters within the
        offers on the table. Returns the offers and what happened ("" if nothing)."""
        if self.decide is None:
            return offer_c, offer_p, ""
        c = self.lead_commissioner
        answer = self.ask(c, "savings_target", offer_p)
        if answer == "refuse":
            self.say(
                c,
                "stalemate",
                f"Round {self.rounds}: {c} refuses the providers' {offer_p:.1%}; the risk "
                "share is dropped.",
            )
            self.risk_members = []
            return offer_c, offer_p, "refused"
        if answer == "accept":
            return offer_p, offer_p, "accepted"
        if isinstance(answer, float):
            return min(offer_c, max(answer, offer_p)), offer_p, "countered"
        for name in list(self.risk_members):
            answer = self.ask(name, "share_risk", offer_c)
            if answer == "refuse":
                self.decline_risk(
                    name,
                    f"Round {self.rounds}: {name} refuses to share losses at a "
                    f"{offer_c:.1%} savings target",
                )
                return offer_c, offer_p, "refused"
            if answer == "accept":
                return offer_c, offer_c, "accepted"
            if isinstance(answer, float):
                return offer_c, max(offer_p, min(answer, offer_c)), "countered"
        return offer_c, offer_p, ""

    def least_willing(self, target: float) -> str:
        return min(
            self.risk_members, key=lambda m: (self.member_value(m, target, self.risk_members), m)
        )

    def concede_outcome(self) -> bool:
        """The commissioner halves the outcome-linked share before losing a member."""
        p = self.params
        if self.outcome_share <= p.min_outcome_share:
            return False
        old = self.outcome_share
        self.outcome_share = old / 2 if old / 2 >= p.min_outcome_share else 0.0
        self.say(
            self.lead_commissioner,
            "concede_outcome",
            f"{self.lead_commissioner} cuts the outcome-linked share from {old:.1%} to "
            f"{self.outcome_share:.1%} to keep the providers at the table.",
        )
        return True

    def risk_reason(self, name: str, target: float) -> str:
        party = self.parties[name]
        why = []
        if party.control_total:
            why.append("it is held to its own control total")
        if party.trust_in(self.lead_commissioner) < 0.5:
            why.append(
                f"it doubts {self.lead_commissioner} would pay a gain "
                f"(trust {party.trust_in(self.lead_commissioner):.2f})"
            )
        why.append(
            f"it expects its partners to deliver only part of the saving "
            f"(trust {party.mean_trust(self.members):.2f})"
        )
        return (
            f"{name} declines to share losses at a {target:.1%} savings target: the "
            f"possible loss outweighs the expected gain because " + "; ".join(why)
        )

    def settle_outcome_share(self) -> None:
        """No risk share: the outcome-linked share (and a lead's capitation risk) is
        conceded until every member accepts it."""
        p = self.params
        while self.ended is None and self.members:
            self.rounds += 1
            worst = min(self.members, key=lambda m: (self.member_value(m, 0.0, []), m))
            # an outside refusal (role-play) counts only while there is a share to refuse
            refusing = [m for m in self.members if self.ask(m, "outcome_share", 0.0) == "refuse"]
            refusing = refusing if self.outcome_share > 0 else []
            worst = refusing[0] if refusing else worst
            if not refusing and self.member_value(worst, 0.0, []) >= -p.outcome_tolerance:
                self.say(
                    worst,
                    "accept",
                    f"Round {self.rounds}: every provider accepts the terms "
                    f"(outcome-linked share {self.outcome_share:.1%}).",
                )
                self.spend_months(p.round_months)
                return
            if self.outcome_share > 0:
                self.say(
                    worst,
                    "reject_outcome",
                    f"Round {self.rounds}: {worst} rejects having {self.outcome_share:.1%} "
                    "of its income at risk on outcomes it doubts it can reach.",
                )
                if not self.concede_outcome():
                    self.outcome_share = 0.0
            elif worst == self.proposal.lead and self.proposal.lead_capitation:
                self.lead_block = True
                self.declined[worst] = (
                    f"{worst} declines to hold the capitated budget: it would carry the whole "
                    "scope's overspend; it leads on a block contract instead"
                )
                self.say(worst, "decline_risk", self.declined[worst])
            else:
                self.say(worst, "accept", f"Round {self.rounds}: {worst} accepts.")
                self.spend_months(p.round_months)
                return
            self.spend_months(p.round_months)

    def approve(self) -> None:
        """Each party's board (and regulator) approves; the slowest sets the pace."""
        p = self.params
        # drawn in name order, so the listing order does not decide who gets which draw
        signatories = sorted([c.name for c in self.commissioners] + list(self.members))
        months = {
            name: p.approval_months.get(self.parties[name].kind, 3.0)
            * (0.75 + 0.5 * self.rng.random())
            for name in signatories
        }
        slowest, pace = approval_pace(months)
        self.say(
            slowest,
            "approval",
            f"The agreement goes to each organisation's board; {slowest} is the slowest "
            f"and takes {pace:.1f} months.",
        )
        self.spend_months(pace)

    def shock(self) -> None:
        """An outside shock: policy change, leadership change or commissioner finances."""
        p = self.params
        draw = self.rng.random()
        names = sorted(self.parties)
        if draw < p.policy_shock_share:
            kind, who = "policy", self.lead_commissioner
            self.shocks.append((self.month, kind, who))
            self.say(
                who,
                "shock",
                f"Month {self.month:.0f}: national policy changes; the design must be "
                f"reworked ({p.shock_rework_months:.0f} months) and the terms reopen.",
            )
            self.pending_rework += p.shock_rework_months
            self.reopened = True
        elif draw < p.policy_shock_share + p.leadership_shock_share:
            who = names[int(self.rng.random() * len(names))]
            kind = "leadership"
            self.shocks.append((self.month, kind, who))
            party = self.parties[who]
            party.trust = {
                k: staff_turnover(evidence_for(v, party.prior_evidence)).trust
                for k, v in party.trust.items()
            }
            self.leadership.append(who)
            self.say(
                who,
                "shock",
                f"Month {self.month:.0f}: {who} changes its leadership; the new leaders "
                "know their partners less well and review the deal.",
            )
            if party.is_commissioner:
                self.review_mechanism(who)
            elif who in self.members:
                self.review_membership(who)
        else:
            kind, who = "finances", self.lead_commissioner
            self.shocks.append((self.month, kind, who))
            for c in self.commissioners:
                c.distressed = True
            old = self.outcome_share
            self.outcome_share = 0.0
            self.say(
                who,
                "shock",
                f"Month {self.month:.0f}: {who}'s finances worsen; with no new money it "
                f"withdraws the outcome-linked payments ({old:.1%}) and presses for "
                "savings (seed 000 L1381).",
            )

    def review_membership(self, who: str) -> None:
        """New leaders at a member review the deal, the money first (seed 000 L1202: the
        models were "substantially remodelled", the payment models never resolved).

        They keep out of the payment mechanism if the design as proposed is no longer
        worth it, or its gain/pain share no longer pays; they leave only if even the
        overlay alone is worth less than nothing to them. The talks end only if the
        deal is no longer viable without them (:meth:`check_viable`): in a deal with
        many members most exits reshape it, in a small one any exit ends it.
        """
        self.join_overlay([who])
        if who in self.risk_members and self.member_value(who, self.target, self.risk_members) < 0:
            self.decline_risk(who, self.risk_reason(who, self.target))

    def review_mechanism(self, who: str) -> None:
        """New commissioner leaders back outcome payments less (seed 000 L1383: a change
        of CCG leadership "weakened commissioner support for the development of outcome
        payments"): the outcome-linked share is dropped, the talks go on."""
        if self.outcome_share <= 0:
            return
        old = self.outcome_share
        self.outcome_share = 0.0
        self.say(
            who,
            "drop_outcome",
            f"{who}'s new leaders back outcome payments less; the outcome-linked share "
            f"({old:.1%}) is dropped and the talks go on (seed 000 L1383).",
        )

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


# ------------------------------------------------------------- from a scenario
def proposal_from_spec(
    model_name: str, spec: Any, providers: Iterable[str], lead_pays_members: bool = False
) -> Proposal:
    """The commissioner's opening design, read from a contract model spec.

    ``lead_pays_members``: the contracts the spec builds pass the members' money through
    a lead's subcontracts (:func:`subcontracted`)."""
    rs = spec.risk_share
    members = tuple(spec.members) if spec.members else tuple(providers)
    if spec.lead and spec.lead not in members:
        members = (spec.lead, *members)
    outcome = max(spec.outcome.withhold_by_year) if spec.outcome else 0.0
    return Proposal(
        model_name=model_name,
        vehicle=str(spec.vehicle),
        members=members,
        lead=spec.lead,
        has_risk_share=rs is not None,
        gain_share=rs.provider_gain_share if rs else 0.0,
        pain_share=rs.provider_pain_share if rs else 0.0,
        target_savings=rs.target_savings if rs else 0.0,
        outcome_share=outcome,
        duration_years=spec.duration_years,
        lead_capitation=spec.lead is not None and spec.lead_payment == "capitation",
        overlay_fallback=spec.governance.overlay_fallback,
        lead_pays_members=lead_pays_members,
    )


def subcontracted(scenario: Any, model_name: str, spec: Any = None) -> bool:
    """Whether the contracts a model's spec builds (year 0) hold subcontracts: read from
    who pays whom in the terms, not from the vehicle's name."""
    from alliancesim.model.contracts import ContractBuilder
    from alliancesim.model.economy import ServiceLine

    population = scenario.economy.population
    lines = [ServiceLine.from_spec(s, population) for s in scenario.economy.service_lines]
    contracts = ContractBuilder(scenario, lines).build(model_name, 0, spec=spec)
    return any(c.subcontracts for c in contracts)


def economics_from_scenario(scenario: Any) -> Economics:
    """Spread of a year's spend against plan: demand noise, outside shocks and the
    uncertainty of what integration saves (judgement, NegotiationSpec)."""
    economy = scenario.economy
    params = scenario.negotiation
    ppy = economy.periods_per_year
    demand_var = economy.noise**2 / ppy + economy.shock_hazard * ppy * (economy.shock_size / 2) ** 2
    spend_sd = math.sqrt(demand_var + params.saving_uncertainty**2)
    dq = scenario.trust.data_quality
    return Economics(
        savings_belief=params.savings_belief,
        spend_sd=spend_sd,
        baseline_sd=params.baseline_error * (1.0 - dq),
        data_quality=dq,
    )


def scenario_trust(scenario: Any) -> Callable[[str, str], float]:
    """Initial trust between two organisations, as the model's network sets it."""
    spec = scenario.trust
    commissioners = {o.name for o in scenario.organisations if o.is_commissioner}
    pairs = {(p.source, p.target): p.value for p in spec.pairs}

    def trust(source: str, target: str) -> float:
        if (source, target) in pairs:
            return pairs[(source, target)]
        crosses = (source in commissioners) != (target in commissioners)
        if crosses and spec.commissioner_provider is not None:
            return spec.commissioner_provider
        return spec.initial

    return trust


def parties_from_scenario(
    scenario: Any,
    value_by_org: dict[str, int],
    trust: Callable[[str, str], float] | None = None,
    reserves: dict[str, int] | None = None,
) -> dict[str, Party]:
    """Parties as the scenario starts them (``trust`` and ``reserves`` may come from agents)."""
    trust = trust or scenario_trust(scenario)
    names = [o.name for o in scenario.organisations]
    parties = {}
    for org in scenario.organisations:
        parties[org.name] = Party(
            name=org.name,
            kind=org.kind.value,
            is_commissioner=org.is_commissioner,
            value_pence=value_by_org.get(org.name, 0),
            reserves_pence=(reserves or {}).get(org.name, org.reserves_pence),
            risk_appetite=0.0 if org.is_commissioner else org.trait("risk_appetite"),
            incentive_weight=0.0 if org.is_commissioner else org.trait("incentive_weight"),
            may_bear_losses=True if org.is_commissioner else org.trait("may_bear_losses"),
            control_total=False if org.is_commissioner else org.trait("control_total"),
            leniency=org.leniency,
            shares_risk=org.shares_risk,
            trust={n: trust(org.name, n) for n in names if n != org.name},
            prior_evidence=scenario.trust.prior_evidence,
            failure_floor=0.0 if org.is_commissioner else -org.trait("failure_threshold"),
            behaviour=scenario.behaviour,
        )
    return parties


def scope_values(scenario: Any) -> dict[str, int]:
    """Annual value at plan of each organisation's lines (commissioners: what they pay)."""
    values: dict[str, int] = {o.name: 0 for o in scenario.organisations}
    population = scenario.economy.population
    for line in scenario.economy.service_lines:
        value = round(population * line.demand_per_1000_per_year / 1000.0 * line.unit_cost_pence)
        values[line.provider] += value
        values[line.commissioner] += value
    return values


def negotiate_scenario(scenario: Any, model_name: str, seed: int) -> Agreement:
    """The negotiation phase alone, on the same stream (and the same canonical order
    of the scenario) the full model would use.

    For validation patterns about negotiation: no 120-period simulation needed.
    """
    scenario = canonical_scenario(scenario)
    rng = streams.stream(seed, streams.NEGOTIATION, model_name)
    spec = scenario.contract_models[model_name]
    providers = [o.name for o in scenario.organisations if not o.is_commissioner]
    parties = parties_from_scenario(scenario, scope_values(scenario))
    return negotiate(
        proposal_from_spec(model_name, spec, providers, subcontracted(scenario, model_name)),
        parties,
        economics_from_scenario(scenario),
        scenario.negotiation.with_status_quo(scenario.scenario.status_quo),
        rng,
    )


def summarise(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per contract model: share agreed / scaled down / abandoned, median months and cost.

    ``rows`` are run rows (``runs.parquet`` records) with the negotiation columns.
    """
    by_model: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("negotiation_result") in RESULTS:
            by_model.setdefault(row["contract_model"], []).append(row)
    table = {}
    for name, group in by_model.items():
        n = len(group)
        months = sorted(float(r["negotiation_months"]) for r in group)
        costs = sorted(float(r["negotiation_cost_pence"]) for r in group)
        table[name] = {
            "runs": n,
            **{f"share_{r}": sum(g["negotiation_result"] == r for g in group) / n for r in RESULTS},
            "median_months": median(months),
            "median_cost_pence": median(costs),
        }
    return table


def median(values: list[float]) -> float:
    n = len(values)
    if n == 0:
        return float("nan")
    mid = n // 2
    return values[mid] if n % 2 else 0.5 * (values[mid - 1] + values[mid])


def format_summary(table: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"{'contract model':<18}{'runs':>6}{'agreed':>9}{'scaled':>9}{'abandoned':>11}"
        f"{'months':>9}{'cost £':>13}"
    ]
    for name, row in table.items():
        lines.append(
            f"{name:<18}{row['runs']:>6}{row['share_agreed']:>9.0%}"
            f"{row['share_scaled_down']:>9.0%}{row['share_abandoned']:>11.0%}"
            f"{row['median_months']:>9.1f}{row['median_cost_pence'] / 100:>13,.0f}"
        )
    return "\n".join(lines)


def parties_from_model(model: Any) -> dict[str, Any]:
    """The parties as they stand in a running model: today's trust and reserves."""
    scenario = model.scenario_spec
    return parties_from_scenario(
        scenario,
        scope_values(scenario),
        trust=lambda a, b: model.orgs[a].trust_in(b),
        reserves={name: org.reserves for name, org in model.orgs.items()},
    )


def rebargain_target(model: Any, spec: Any) -> float:
    """Rebargain the savings target mid-contract (a trigger fired, or renewal).

    The same Zeuthen rounds, between the commissioners and the members still in
    the risk share, with the trust they hold today; the rounds cost staff time
    like any negotiation. Returns the new target (the old one if no zone of
    agreement is left).
    """
    scenario = model.scenario_spec
    parties = parties_from_model(model)
    providers = [p.name for p in model.providers if not p.failed]
    proposal = proposal_from_spec(
        model.active_model, spec, providers, any(c.subcontracts for c in model.contracts)
    )
    params = scenario.negotiation.with_status_quo(scenario.scenario.status_quo)
    rng = model.streams(streams.REBARGAIN, model.contract_model)
    talks = Negotiation(proposal, parties, economics_from_scenario(scenario), params, rng)
    talks.month = 0.0
    talks.members = [m for m in proposal.members if m in providers]
    shares = spec.risk_share.shares
    talks.risk_members = [m for m in talks.members if isinstance(shares, dict) and m in shares] or [
        m for m in talks.members if parties[m].may_bear_losses
    ]
    talks.outcome_share = 0.0  # the envelope, not the outcome scheme, is reopened
    old = spec.risk_share.target_savings
    talks.target = old
    talks.bargain()
    for name, cost in talks.cost.items():
        model.charge_transaction_cost(name, cost)
    for event in talks.events:
        model.record_event(event["actor"], event["kind"], event["text"], month=event["month"])
    return talks.target if talks.risk_members else old
