"""Contract terms as a composition of parts, validated on construction.

A contract model is not a class per name: it is a vehicle, a payment basis per
service line, an optional outcome component, an optional risk share, governance
terms and a duration (seed 001 L21 in the domain notes: "these combine freely";
Salford is an alliance with a prime provider inside it). So a user can write
"an alliance with capitation and a 10% outcome withhold" in a scenario file.

Money is integer pence everywhere (fields end in ``_pence``). Shares are
fractions in [0, 1]; where shares are split between parties they must sum to 1.
Every model rejects unknown keys, so a typo in a scenario file is an error that
names the key, never a silently ignored term.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

import numpy as np
from alliancesim.model.elementwise import maximum, minimum
from alliancesim.model.payment.pence import round_pence
from pydantic import BaseModel, ConfigDict, Field, model_validator

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Pence = Annotated[int, Field(ge=0, strict=True)]
SHARE_TOLERANCE = 1e-9


class Frozen(BaseModel):
    """Base for every term: immutable, no unknown keys, validated on construction."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def holds_array(value: Any) -> bool:
    """True when a field's value is, or holds in a dict, tuple, list or nested terms, a
    numpy array (a number that differs between the replications an ensemble steps
    together)."""
    if isinstance(value, np.ndarray):
        return True
    if isinstance(value, dict):
        return any(holds_array(v) for v in value.values())
    if isinstance(value, (tuple, list)):
        return any(holds_array(v) for v in value)
    if isinstance(value, BaseModel):
        return any(holds_array(v) for v in value.__dict__.values())
    return False


def terms_of[T: BaseModel](cls: type[T], **fields: Any) -> T:
    """``cls(**fields)``, validated, when every number is one number (the agent model).

    When any field holds per-replication numbers (numpy arrays with a leading replication
    axis, issue 14), ``cls.model_construct(**fields)``: pydantic's constructor without
    field validation (an array would fail a scalar type check), defaults filled in. The
    model's own checks still run where the terms are nested in a validated model (a
    ``ServicePayment``, ``ContractTerms``), row by row: figures set, shares summing to 1.
    Terms holding arrays must not be compared with ``==`` or hashed (an array has no
    single truth value): compare them by identity."""
    for value in fields.values():
        if holds_array(value):
            return cls.model_construct(**fields)
    return cls(**fields)


def check_shares_sum_to_one(shares: dict[str, float], what: str) -> None:
    """Raise ``ValueError`` naming ``what`` when the shares do not sum to one."""
    if not shares:
        return
    total = sum(shares.values())
    if holds_array(total):  # shares per replication (issue 14): each row must sum to 1
        if bool(np.any(np.abs(total - 1.0) > 1e-6)):
            raise ValueError(f"{what} must sum to 1 in every replication (got {total})")
        return
    if abs(total - 1.0) > 1e-6:
        parts = ", ".join(f"{k}={v:g}" for k, v in shares.items())
        raise ValueError(f"{what} must sum to 1 (got {total:g}: {parts})")


def is_set(value: Any) -> bool:
    """A figure set above zero: in every replication when it is per replication."""
    if isinstance(value, np.ndarray):
        return bool(np.all(value != 0))
    return bool(value)


class Vehicle(StrEnum):
    """How the commissioner contracts (seed 000 section 1; seed 001 L45, L290, L390)."""

    BILATERAL = "bilateral"  # one NHS Standard Contract per provider: the baseline
    ALLIANCE = "alliance"  # overlay agreement over the service contracts, members as equals
    LEAD_PROVIDER = "lead_provider"  # one provider holds the contract, delivers and subcontracts
    PRIME_CONTRACTOR = "prime_contractor"  # an integrator that delivers nothing, paid a fee


class Basis(StrEnum):
    """Payment basis of one service line (seed 001 L606-608, L724-742)."""

    BLOCK = "block"
    TARIFF = "tariff"
    MARGINAL_RATE = "marginal_rate"
    BLENDED = "blended"
    CAPITATION = "capitation"
    COST_PLUS_FEE = "cost_plus_fee"


class LinePayment(Frozen):
    """How one provider is paid for one service line, per contract year.

    Which fields matter depends on ``basis``:

    - ``block``: ``annual_value_pence``, paid in equal instalments.
    - ``tariff``: ``price_pence`` per unit of activity.
    - ``marginal_rate``: ``price_pence`` up to ``baseline_activity`` a year, then
      ``marginal_rate`` x price above it (MRET: 30%, anchors s2.8).
    - ``blended``: ``annual_value_pence`` fixed for ``planned_activity``, plus
      ``variable_share`` x price x (activity - plan), either way (API: 20% for
      urgent and emergency care 2019/20, anchors s2.8).
    - ``capitation``: ``rate_per_head_pence`` a year x ``reference_population``;
      paid on the actual population only outside the ``tolerance`` band.
    - ``cost_plus_fee``: actual cost reimbursed (alliance limb 1) plus ``fee_share``
      x cost (limb 2), anchors s2.2.

    ``planned_activity`` (units a year) also sizes the contract value of tariff
    lines, which outcome withholds are a share of.
    """

    basis: Basis
    price_pence: Pence = 0
    annual_value_pence: Pence = 0
    planned_activity: Annotated[float, Field(ge=0.0)] = 0.0
    baseline_activity: Annotated[float, Field(ge=0.0)] = 0.0
    marginal_rate: Share = 0.3  # anchors s2.8: MRET paid 30% of tariff above baseline
    variable_share: Share = 0.2  # anchors s2.8: API UEC variable rate 20% (2019/20)
    rate_per_head_pence: Pence = 0
    reference_population: Annotated[int, Field(ge=0)] = 0
    tolerance: Share = 0.02
    fee_share: Share = 0.0
    # Added by the payment core: share of the provider's period cost that a
    # cost_plus_fee line reimburses (ProviderActuals has one cost per provider).
    cost_share: Share = 1.0

    @model_validator(mode="after")
    def _basis_has_its_figures(self) -> LinePayment:
        needs: dict[Basis, tuple[str, ...]] = {
            Basis.BLOCK: ("annual_value_pence",),
            Basis.TARIFF: ("price_pence",),
            Basis.MARGINAL_RATE: ("price_pence", "baseline_activity"),
            Basis.BLENDED: ("annual_value_pence", "price_pence", "planned_activity"),
            Basis.CAPITATION: ("rate_per_head_pence", "reference_population"),
            Basis.COST_PLUS_FEE: (),
        }
        missing = [name for name in needs[self.basis] if not is_set(getattr(self, name))]
        if missing:
            raise ValueError(
                f"basis '{self.basis.value}' needs {', '.join(missing)} to be set above zero"
            )
        return self


class ServicePayment(Frozen):
    """One payment stream: ``payer`` pays ``provider`` for ``line`` on ``terms``."""

    payer: str
    provider: str
    line: str
    terms: LinePayment


class Subcontract(Frozen):
    """A lead provider or prime contractor paying a subcontractor for a line.

    ``squeeze_share`` is the share of the subcontract price the lead holds back
    when its own margin is under target (anchors s2.10, the Bedford and Carillion
    evidence); ``payment_delay_periods`` is how late it pays (Carillion: up to
    126 days, i.e. about 4 monthly periods).
    """

    lead: str
    subcontractor: str
    line: str
    terms: LinePayment
    squeeze_share: Share = 0.0
    payment_delay_periods: Annotated[int, Field(ge=0, le=12)] = 0


class OutcomeTerms(Frozen):
    """Share of contract value withheld and paid on weighted outcome metrics.

    ``withhold_by_year`` gives the share per contract year (e.g. (0, 0.10, 0.10,
    0.15, 0.15) for the older people's prime provider, seed 001 L342, L364-366);
    years past the end use the last value. ``leniency`` is the probability the
    commissioner pays the outcome money regardless of performance (seed 000
    L1440: a "credit note ... regardless of performance"). ``split`` divides an
    outcome pot between providers (seed 000 L1103: 40/40/10/10); empty means in
    proportion to each provider's base contract value. With ``pain_equals_gain``
    (seed 000 L1105) attainment below ``neutral_attainment`` makes providers pay
    back up to the same pot.
    """

    withhold_by_year: tuple[Share, ...]
    metrics: dict[str, Share] = Field(default_factory=lambda: {"outcome_index": 1.0})
    quality_gate: Share = 0.0
    leniency: Share = 0.0
    mode: Literal["withhold", "pot"] = "withhold"
    split: dict[str, Share] = Field(default_factory=dict)
    pain_equals_gain: bool = False
    neutral_attainment: Share = 0.5
    # Added by the payment core: share of each year's outcome money that depends
    # on attainment; the rest is paid regardless. Empty = all of it, every year;
    # the last value carries on. Bedfordshire (seed 001 L269): year one measured
    # only and paid in full as a mobilisation fee (0.0), year two ramping quarter
    # by quarter to full risk (mean 0.625), then 1.0.
    at_risk_by_year: tuple[Share, ...] = ()

    @model_validator(mode="after")
    def _shares_sum(self) -> OutcomeTerms:
        if not self.withhold_by_year:
            raise ValueError("withhold_by_year needs at least one contract year")
        if self.neutral_attainment >= 1.0 and self.pain_equals_gain:
            raise ValueError("neutral_attainment must be below 1 when pain_equals_gain is set")
        check_shares_sum_to_one(self.metrics, "outcome metric weights")
        check_shares_sum_to_one(self.split, "outcome pot split")
        return self


class CorridorBand(Frozen):
    """Above ``from_ratio`` x target, the provider side bears ``provider_share`` of the excess."""

    from_ratio: Annotated[float, Field(ge=1.0)]
    provider_share: Share


class GainBand(Frozen):
    """Below ``below_ratio`` x target, the provider side takes ``provider_share`` of the further gain.

    Added by the payment core for tiered gain shares: Bedfordshire (seed 001
    L253) lets Circle keep the first 5% of surplus and split the rest 50/50 with
    the CCG: ``provider_gain_share=1.0`` and ``GainBand(below_ratio=0.95,
    provider_share=0.5)``.
    """

    below_ratio: Annotated[float, Field(gt=0.0, le=1.0)]
    provider_share: Share


class RiskShareTerms(Frozen):
    """Gain/pain share of the difference between a target and the actual spend.

    ``measure`` says what is compared with the target each contract year:
    ``payments`` (what the commissioners paid under the base terms: a pooled
    envelope, seed 000 L1113) or ``costs`` (the members' actual costs: an
    alliance on cost reimbursement, anchors s2.2). ``gain_shares`` and
    ``pain_shares`` divide the provider side between members; ``provider_gain_share``
    and ``provider_pain_share`` are the provider side's part of a gain or a loss
    (50:50 is the project-alliance convention, anchors s2.2).
    """

    target_annual_pence: Pence
    measure: Literal["payments", "costs"] = "payments"
    provider_gain_share: Share = 0.5
    provider_pain_share: Share = 0.5
    gain_shares: dict[str, Share]
    pain_shares: dict[str, Share]
    pain_cap: Literal["fee", "none"] | Pence = "none"
    gain_cap_pence: Pence | None = None
    corridor: tuple[CorridorBand, ...] = ()
    netting: bool = True
    year_one_underspend_to_commissioner: bool = False  # seed 000 L1115
    underspend_first_call: Literal["offset_overspends", "none"] = "offset_overspends"
    demand_trigger: Share | None = None  # seed 000 L1113: reopen at >= 10% over plan
    excluded: tuple[str, ...] = ()
    commissioner_shares: dict[str, Share] = Field(default_factory=dict)
    gain_bands: tuple[GainBand, ...] = ()  # added by the payment core (tiered gain share)

    @model_validator(mode="after")
    def _shares_sum(self) -> RiskShareTerms:
        ratios = [band.from_ratio for band in self.corridor]
        if ratios != sorted(set(ratios)):
            raise ValueError(f"corridor bands must have increasing from_ratio (got {ratios})")
        ratios = [band.below_ratio for band in self.gain_bands]
        if ratios != sorted(set(ratios), reverse=True):
            raise ValueError(f"gain_bands must have decreasing below_ratio (got {ratios})")
        check_shares_sum_to_one(self.gain_shares, "gain_shares")
        check_shares_sum_to_one(self.pain_shares, "pain_shares")
        check_shares_sum_to_one(self.commissioner_shares, "commissioner_shares")
        for name in self.excluded:
            if np.any(self.pain_shares.get(name, 0.0) > 0):
                raise ValueError(f"member '{name}' is excluded from pain but has a pain share")
        return self


class DecisionRule(StrEnum):
    UNANIMITY = "unanimity"
    MAJORITY = "majority"
    MAJORITY_FALLBACK = "majority_fallback"
    LEAD_DECIDES = "lead_decides"


class GovernanceTerms(Frozen):
    """How the parties decide during the contract (seed 000 section 3.8)."""

    decision_rule: DecisionRule = DecisionRule.UNANIMITY
    reserved_matters: tuple[str, ...] = ("membership", "termination", "new_investment")
    commissioner_shares_risk: bool = False  # docs/odd.md §2: NHS default is no
    # Dispute resolution (seed 000 L1010; domain notes 000 "Dispute resolution"). Each
    # level resolves a dispute with a chance equal to trust; past the last level comes the
    # final step. Default: the NHS Standard Contract (mediation, then binding expert
    # determination). An alliance agreement: its own governance, an independent
    # facilitator, then the senior alliance body terminates or agrees to disagree.
    dispute_levels: tuple[str, ...] = ("mediation",)
    dispute_final: Literal["expert_determination", "terminate_or_agree_to_disagree"] = (
        "expert_determination"
    )
    # Negotiation fallback: the agreement overlays the members' own service contracts
    # (seed 000 L147), so it can be signed without its payment mechanism. A member may
    # sign it and keep its money in its own contract, and talks that run out of time sign
    # the overlay alone (seed 000 L627). False: a deal not agreed is abandoned.
    overlay_fallback: bool = False
    # How the parties work together (MODEL.md s3b, the relational channel; docs/odd.md 7.4)
    leadership_meetings_per_year: Annotated[int, Field(ge=0, le=365)] = Field(
        default=0,
        description=(
            "meetings a year of a leadership team with one member from each party (seed 000 "
            "L960); sets how often they see each other's conduct; 0 = no team, or one that "
            "never meets: no relational channel, whatever the vehicle"
        ),
    )
    open_book: bool = Field(
        default=False,
        description="open-book accounting (seed 000 L956, L981; seed 004 L301): clearer sight",
    )
    shared_objectives: bool = Field(
        default=False,
        description=(
            "shared objectives or a joint work programme (seed 000 L84, L147): with a team "
            "that meets, each partner's conduct is tied to one's own (the relational tie)"
        ),
    )
    shared_data: bool = Field(
        default=False,
        description="shared activity and outcome data (seed 000 L984): clearer sight",
    )
    forum: str = Field(
        default="",
        description=(
            "name of the leadership team; contracts naming the same forum sit at one table; "
            "empty = contracts with the same governance terms share one"
        ),
    )

    @property
    def meets(self) -> bool:
        return self.leadership_meetings_per_year > 0


class ContractTerms(Frozen):
    """One contract: who pays whom, on what basis, with what at risk, for how long."""

    name: str
    vehicle: Vehicle
    commissioners: tuple[str, ...]
    members: tuple[str, ...]
    lead: str | None = None
    payments: tuple[ServicePayment, ...]
    subcontracts: tuple[Subcontract, ...] = ()
    management_fee_share: Share = 0.0  # seed 001 L253: Bedfordshire 2.5% for management
    outcome: OutcomeTerms | None = None
    risk_share: RiskShareTerms | None = None
    governance: GovernanceTerms = GovernanceTerms()
    duration_years: Annotated[int, Field(ge=1, le=30)] = 5
    extension_years: Annotated[int, Field(ge=0, le=30)] = 0
    # Added by the payment core: the annual contract value that
    # management_fee_share and an outcome pot are shares of. None = the sum of
    # the payment lines at plan (contract_value). Bedfordshire (seed 001 L253)
    # pays 95% up front, so its lines sum to 95% of the contract value.
    reference_value_pence: Pence | None = None

    @model_validator(mode="after")
    def _parties_are_consistent(self) -> ContractTerms:
        if not self.commissioners:
            raise ValueError("a contract needs at least one commissioner")
        members = set(self.members)
        both = members & set(self.commissioners)
        if both:
            raise ValueError(
                f"'{', '.join(sorted(both))}' is both a commissioner and a member: "
                "use a separate name for each role (e.g. council and council_social_care)"
            )
        if len(set(self.members)) != len(self.members):
            raise ValueError("members are listed more than once")
        if self.management_fee_share > 0 and self.lead is None:
            raise ValueError("management_fee_share is paid to the lead: set lead")
        needs_lead = self.vehicle in (Vehicle.LEAD_PROVIDER, Vehicle.PRIME_CONTRACTOR)
        if needs_lead and self.lead is None:
            raise ValueError(f"vehicle '{self.vehicle.value}' needs a lead")
        if self.lead is not None and self.lead not in members:
            raise ValueError(f"lead '{self.lead}' is not one of the members")
        for payment in self.payments:
            if payment.payer not in self.commissioners:
                raise ValueError(
                    f"payment to '{payment.provider}' names payer '{payment.payer}', "
                    f"allowed: {', '.join(self.commissioners)}"
                )
            if payment.provider not in members:
                raise ValueError(f"payment names provider '{payment.provider}', not a member")
        for sub in self.subcontracts:
            if sub.lead != self.lead:
                raise ValueError(f"subcontract for '{sub.subcontractor}' is not let by the lead")
            if sub.subcontractor not in members:
                raise ValueError(f"subcontractor '{sub.subcontractor}' is not a member")
            if sub.subcontractor == sub.lead:
                raise ValueError(f"'{sub.lead}' cannot subcontract to itself")
        cost_shares: dict[str, float] = {}
        for payment in self.payments:
            if payment.terms.basis is Basis.COST_PLUS_FEE:
                cost_shares[payment.provider] = (
                    cost_shares.get(payment.provider, 0.0) + payment.terms.cost_share
                )
        for provider, total in sorted(cost_shares.items()):
            if total > 1.0 + 1e-6:
                raise ValueError(
                    f"cost_plus_fee lines of '{provider}' reimburse cost_share {total:g} "
                    "of its cost: at most 1 allowed"
                )
        if self.outcome is not None:
            if len(self.outcome.withhold_by_year) > self.duration_years + self.extension_years:
                raise ValueError(
                    f"outcome schedule has {len(self.outcome.withhold_by_year)} years, "
                    f"longer than the contract ({self.duration_years} + {self.extension_years})"
                )
            unknown = set(self.outcome.split) - members
            if unknown:
                raise ValueError(f"outcome split names non-members: {', '.join(sorted(unknown))}")
            if len(self.outcome.at_risk_by_year) > self.duration_years + self.extension_years:
                raise ValueError(
                    f"outcome at_risk_by_year has {len(self.outcome.at_risk_by_year)} years, "
                    f"longer than the contract ({self.duration_years} + {self.extension_years})"
                )
        if self.risk_share is not None:
            parties = set(self.risk_share.gain_shares) | set(self.risk_share.pain_shares)
            unknown = parties - members
            if unknown:
                raise ValueError(f"risk share names non-members: {', '.join(sorted(unknown))}")
            unknown = set(self.risk_share.commissioner_shares) - set(self.commissioners)
            if unknown:
                raise ValueError(
                    f"commissioner_shares names non-commissioners: {', '.join(sorted(unknown))}"
                )
        return self

    def withhold_share(self, contract_year: int) -> float:
        """Outcome withhold share in a 0-based contract year (last value carries on)."""
        if self.outcome is None:
            return 0.0
        schedule = self.outcome.withhold_by_year
        return schedule[min(contract_year, len(schedule) - 1)]


def annual_value(line: LinePayment) -> Any:
    """Expected annual value of a payment stream in pence, at planned activity (an
    ``int``, or an ``int64`` array when the terms' numbers are per replication)."""
    match line.basis:
        case Basis.BLOCK | Basis.BLENDED:
            return line.annual_value_pence
        case Basis.TARIFF:
            return round_pence(line.price_pence * line.planned_activity)
        case Basis.MARGINAL_RATE:
            planned = line.planned_activity
            if isinstance(planned, np.ndarray):  # ``planned or baseline``, row by row
                planned = np.where(planned != 0.0, planned, line.baseline_activity)
            else:
                planned = planned or line.baseline_activity
            over = maximum(0.0, planned - line.baseline_activity)
            base = minimum(planned, line.baseline_activity)
            return round_pence(line.price_pence * (base + line.marginal_rate * over))
        case Basis.CAPITATION:
            return line.rate_per_head_pence * line.reference_population
        case Basis.COST_PLUS_FEE:
            return line.annual_value_pence
    raise ValueError(f"unknown basis {line.basis!r}")  # pragma: no cover


def contract_value(terms: ContractTerms) -> Any:
    """Expected annual value in pence of all the commissioner payments in a contract
    (whole pence: a plain integer sum, per replication on arrays)."""
    return sum(annual_value(p.terms) for p in terms.payments)
