"""Scenario files: one local health economy and the contract models to compare on it.

A scenario is TOML read with ``tomllib`` and validated with pydantic. Unknown keys
are rejected and every error names the file, the key, the value and what is
allowed, so a typo never silently becomes a default. Money is integer pence
(keys end in ``_pence``); TOML allows ``200_000_000_00`` for readability.

The schema reference in ``docs/user-guide.md`` is checked against these models
by a test, so the two cannot drift.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from alliancesim.model.payment.terms import (
    Basis,
    ContractTerms,
    GainBand,
    GovernanceTerms,
    Share,
    Vehicle,
    check_shares_sum_to_one,
)
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

PositiveInt = Annotated[int, Field(gt=0)]
Pence = Annotated[int, Field(ge=0, strict=True)]
SignedPence = Annotated[int, Field(strict=True)]


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def prior(default: float, low: float, high: float, source: str, **bounds: Any) -> Any:
    """A prior: a behaviour or economy number no case pins down. Its default, the
    plausible range a calibration will search, and its source (a seed or anchor, or
    "judgement"). ``bounds`` are the validation limits."""
    return Field(
        default=default,
        description=source,
        json_schema_extra={"prior_range": [low, high], "source": source},
        **bounds,
    )


def is_prior(info: Any) -> bool:
    """True for a field declared with :func:`prior`."""
    extra = info.json_schema_extra
    return isinstance(extra, dict) and "prior_range" in extra


class OrgKind(StrEnum):
    CCG = "ccg"
    COUNCIL = "council"
    ACUTE = "acute"
    COMMUNITY = "community"
    MENTAL_HEALTH = "mental_health"
    GP_FEDERATION = "gp_federation"
    VCS = "vcs"
    INDEPENDENT = "independent"


COMMISSIONER_KINDS = frozenset({OrgKind.CCG, OrgKind.COUNCIL})
NHS_TRUST_KINDS = frozenset({OrgKind.ACUTE, OrgKind.COMMUNITY, OrgKind.MENTAL_HEALTH})

# Defaults by provider kind (docs/odd.md §2; seed 000 s3.2-3.3, docs/sources.md):
# fixed-cost share is high for acute and bed-based care; charities may be barred
# from loss sharing by their constitution (seed 000 L1335, L1422); NHS trusts are
# held to individual control totals (seed 000 L1359-1361). An NHS trust in deficit
# is put in financial special measures rather than closed (seed 000 L590), so its
# failure floor is far deeper than a charity's or a federation's.
KIND_DEFAULTS: dict[OrgKind, dict[str, Any]] = {
    OrgKind.ACUTE: dict(
        fixed_cost_share=0.6,
        failure_threshold=-0.3,
        risk_appetite=0.35,
        incentive_weight=0.3,
        may_bear_losses=True,
        control_total=True,
    ),
    OrgKind.COMMUNITY: dict(
        fixed_cost_share=0.4,
        failure_threshold=-0.3,
        risk_appetite=0.45,
        incentive_weight=0.45,
        may_bear_losses=True,
        control_total=True,
    ),
    OrgKind.MENTAL_HEALTH: dict(
        fixed_cost_share=0.5,
        failure_threshold=-0.3,
        risk_appetite=0.45,
        incentive_weight=0.45,
        may_bear_losses=True,
        control_total=True,
    ),
    OrgKind.GP_FEDERATION: dict(
        fixed_cost_share=0.3,
        failure_threshold=-0.08,
        risk_appetite=0.25,
        incentive_weight=0.5,
        may_bear_losses=True,
        control_total=False,
    ),
    OrgKind.VCS: dict(
        fixed_cost_share=0.3,
        failure_threshold=-0.08,
        risk_appetite=0.15,
        incentive_weight=0.65,
        may_bear_losses=False,
        control_total=False,
    ),
    OrgKind.INDEPENDENT: dict(
        fixed_cost_share=0.3,
        failure_threshold=-0.08,
        risk_appetite=0.6,
        incentive_weight=0.15,
        may_bear_losses=True,
        control_total=False,
    ),
}


# A company formed for the contract (a limited liability partnership or joint venture
# company, like UnitingCare's, seed 001 L338; seed 000 L417) has no statutory backstop: it
# fails when its own reserves run out, not at an NHS trust's deficit floor (seed 000 L590).
NEW_VEHICLE_FAILURE_THRESHOLD = 0.0


class OrganisationSpec(Strict):
    """An organisation: a commissioner (``ccg``, ``council``) or a provider (other kinds).

    Provider fields left out take the defaults of their kind (``KIND_DEFAULTS``);
    commissioner fields are ignored for providers and vice versa.
    """

    name: str
    kind: OrgKind
    reserves_pence: SignedPence = 0
    # provider
    fixed_cost_share: Share | None = None
    capacity: Annotated[float, Field(gt=0.0, le=5.0)] = 1.15
    quality: Share = 0.7
    risk_appetite: Share | None = None
    incentive_weight: Share | None = None
    may_bear_losses: bool | None = None
    control_total: bool | None = None
    distress_threshold: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.0
    failure_threshold: Annotated[float, Field(ge=-1.0, le=1.0)] | None = None
    new_vehicle: bool = Field(
        default=False,
        description=(
            "a company formed for the contract (e.g. a lead provider LLP or joint venture "
            "company) with no reserves but its own: while it holds a contract of the model "
            "in force its failure_threshold defaults to 0 (it fails when its reserves go "
            "below zero), not its kind's default; under the status quo it is its kind"
        ),
    )
    # commissioner
    savings_target: Share = 0.04  # seed 000 L590: "just under 4%" a year
    capability: Share = 0.7
    leniency: Share = 0.5
    shares_risk: bool = False  # docs/odd.md §2: NHS commissioners do not share risk by default

    @property
    def is_commissioner(self) -> bool:
        return self.kind in COMMISSIONER_KINDS

    def trait(self, name: str) -> Any:
        """A provider trait, falling back to the default of its kind."""
        value = getattr(self, name)
        if value is None:
            return KIND_DEFAULTS[self.kind][name]
        return value

    def failure_floor(self, holds_contract: bool) -> float:
        """Its failure threshold (reserves as a share of income): as given, else 0 for a
        new vehicle while it holds the contract it was formed for (it has no reserves but
        its own), else its kind's default (where no vehicle exists, e.g. under the status
        quo, it is the organisation its kind says)."""
        if self.failure_threshold is None and self.new_vehicle and holds_contract:
            return NEW_VEHICLE_FAILURE_THRESHOLD
        return self.trait("failure_threshold")


class Setting(StrEnum):
    """Where care happens; integration moves demand from the first two to the others."""

    ACUTE = "acute"
    BED_BASED = "bed_based"
    COMMUNITY = "community"
    PRIMARY = "primary"
    MENTAL_HEALTH = "mental_health"
    PLACEMENT = "placement"


SHIFTABLE_SETTINGS = frozenset({Setting.ACUTE, Setting.BED_BASED, Setting.PLACEMENT})
RECEIVING_SETTINGS = frozenset({Setting.COMMUNITY, Setting.PRIMARY, Setting.MENTAL_HEALTH})


class ServiceLineSpec(Strict):
    """A service line: who delivers it, who pays for it, its unit cost and demand."""

    name: str
    setting: Setting
    provider: str
    commissioner: str
    unit_cost_pence: Annotated[int, Field(gt=0, strict=True)]
    demand_per_1000_per_year: Annotated[float, Field(gt=0.0)]
    basis: Basis = Basis.BLOCK  # how the status quo pays it


class ShockSpec(Strict):
    """A scheduled shock: a cost or demand rise on named service lines over a span of months.

    ``size`` is the rise as a share (0.2 = 20% more cost, or 20% more demand, on each named
    line); months count from the start of the run (0 = the first month) and the shock
    lasts while ``start_month <= month < end_month`` (no ``end_month``: to the end of the
    run). A cost shock raises what each line costs its provider to deliver and is not
    paid for by the contract (an unfunded cost, e.g. a VAT liability: anchors P5); a
    demand shock raises the need that presents on the lines. A cost that arises from a
    contract's structure (a lead vehicle's VAT) names the ``contract_models`` it arises
    under.
    """

    @model_validator(mode="after")
    def _demand_falls_whatever_the_contract(self) -> ShockSpec:
        if self.kind == "demand" and self.contract_models:
            raise ValueError(
                f"shocks.{self.name}.contract_models applies to cost shocks only; "
                "a demand shock falls on the economy whatever the contract "
                "(allowed: leave contract_models out)"
            )
        return self

    name: str
    kind: Literal["cost", "demand"]
    lines: tuple[str, ...] = Field(min_length=1)
    size: Annotated[float, Field(gt=-1.0, le=5.0)]
    start_month: Annotated[int, Field(ge=0, le=14400)] = 0
    end_month: Annotated[int, Field(gt=0, le=14400)] | None = None
    contract_models: tuple[str, ...] = Field(
        default=(),
        description=(
            "cost shocks only: the contract models under which the cost arises (e.g. a VAT "
            "liability of a lead vehicle); it stops when another model is in force (after "
            "a handback); empty = under every contract model"
        ),
    )

    def periods(self, periods_per_year: int) -> tuple[int, int | None]:
        """(first period, period it ends or None) at the economy's period length."""
        start = self.start_month * periods_per_year // 12
        end = None if self.end_month is None else self.end_month * periods_per_year // 12
        return start, end


class EconomySpec(Strict):
    """The cohort and its demand (docs/odd.md §2 and §7.1)."""

    population: PositiveInt
    periods: Annotated[int, Field(gt=0, le=1200)] = 120
    periods_per_year: Literal[4, 12, 52] = 12
    # seed 004 L109: emergency admissions rose 37% in a decade,
    # i.e. about 3.2% a year compound.
    demand_trend: Annotated[float, Field(ge=-0.2, le=0.5)] = 0.032
    seasonality: Annotated[float, Field(ge=0.0, le=0.5)] = 0.08
    noise: Annotated[float, Field(ge=0.0, le=0.5)] = 0.03
    shock_hazard: Share = 0.01
    shock_size: Annotated[float, Field(ge=0.0, le=2.0)] = 0.15
    max_shift: Share = prior(
        0.35,
        0.15,
        0.8,
        "judgement: the most of avoidable demand full integration can move; no case gives "
        "it (the shipped calibration infers it, docs/calibration.md)",
    )
    integration_lag_periods: Annotated[int, Field(ge=1, le=60)] = 6
    integration_returns: Annotated[float, Field(gt=0.0, le=20.0)] = 2.5
    contacts_per_avoided_unit: Annotated[float, Field(ge=0.0, le=100.0)] = 4.0
    outcome_base: Share = 0.55
    outcome_gain_from_integration: Share = 0.25
    service_lines: tuple[ServiceLineSpec, ...]
    shocks: tuple[ShockSpec, ...] = Field(
        default=(),
        description=(
            "scheduled shocks, a list of {name, kind = 'cost' | 'demand', lines, size, "
            "start_month, end_month}; see ShockSpec"
        ),
    )

    @model_validator(mode="after")
    def _shocks_name_lines_in_the_run(self) -> EconomySpec:
        lines = [line.name for line in self.service_lines]
        months = self.periods * 12 // self.periods_per_year
        seen: set[str] = set()
        for shock in self.shocks:
            where = f"shocks.{shock.name}"
            if shock.name in seen:
                raise ValueError(f"{where}: shock names must be unique (got '{shock.name}' twice)")
            seen.add(shock.name)
            for line in shock.lines:
                if line not in lines:
                    raise ValueError(f"{where}.lines names '{line}'; allowed: {', '.join(lines)}")
            if shock.start_month >= months:
                raise ValueError(
                    f"{where}.start_month is {shock.start_month}, after the run ends; "
                    f"allowed: 0 to {months - 1} (the run has {months} months)"
                )
            if shock.end_month is not None and shock.end_month <= shock.start_month:
                raise ValueError(
                    f"{where}.end_month is {shock.end_month}; allowed: more than "
                    f"start_month ({shock.start_month}), or leave it out for the rest of the run"
                )
        return self


class TrustPair(Strict):
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    value: Share


class TrustSpec(Strict):
    """Initial trust and the beta-reputation update (anchors s2.4)."""

    initial: Share = 0.6
    commissioner_provider: Share | None = None
    pairs: tuple[TrustPair, ...] = ()
    # anchors s6: lambda ~ 0.9 per period [L, assumption] for quarterly periods;
    # 0.98 a month keeps about the same memory (0.98^12 ~ 0.78 a year)
    forgetting: Share = 0.98
    prior_evidence: Annotated[float, Field(gt=0.0, le=1000.0)] = 10.0
    rift_stickiness: Share = 0.25  # weight of good news between commissioner and main provider
    turnover: Share = 0.01
    data_quality: Share = 0.6  # belief in the shared financial model


class ChannelsSpec(Strict):
    """Behavioural channels a scenario can switch off, one at a time (docs/odd.md §7.3).

    Each is on by default. Switching one off removes that term from every
    organisation's decisions, so a result can be attributed to its channels by
    knock-out runs on the same seeds (``run``'s channel decomposition) and the
    validation suite can show what produces each pattern.
    """

    payment_incentive: bool = True  # the margin the payment terms put on effort
    reciprocity: bool = True  # the trust-weighted value of partners' expected cooperation
    system_benefit: bool = True  # the weight on the system/patient good
    admission_push: bool = True  # keeping admissions up where paid per unit
    gaming: bool = True  # reporting outcomes better than they are
    risk_aversion: bool = True  # variance of profit valued as a cost


CHANNELS = tuple(ChannelsSpec.model_fields)


class BehaviourSpec(Strict):
    """Weights of the decision rules (docs/odd.md §7.3); the behaviour-priors table.

    Every number that drives effort, shift, trust or gaming is a field here with a default,
    the plausible range a calibration will search, and its source; ``docs/priors.md`` is
    built from these fields (``python -m alliancesim.experiments.priors --write
    docs/priors.md``) and a test checks it is current."""

    channels: ChannelsSpec = ChannelsSpec()

    # Drives are shares of a provider's income a year, a few per cent; c = 0.15 and a
    # reciprocity weight of 0.2 keep best-response efforts inside (0, 1) on the default
    # preset (docs/odd.md "Calibration of the behavioural priors").
    effort_cost: Annotated[float, Field(gt=0.0)] = prior(
        0.15, 0.08, 0.3, "judgement: keeps best-response efforts interior (docs/odd.md 7.3)"
    )
    reciprocity_weight: Annotated[float, Field(ge=0.0, le=10.0)] = prior(
        0.2, 0.0, 0.6, "judgement; the form is the relational contract of anchors s2.3"
    )
    system_benefit_weight: Annotated[float, Field(ge=0.0, le=10.0)] = prior(
        0.5, 0.0, 1.0, "judgement; weight on the system/patient good (docs/odd.md §7.3)"
    )
    gaming_max: Share = prior(
        0.15, 0.05, 0.27, "anchors s2.9: official vs survey gaps of 20-27 points"
    )
    admission_push_max: Share = prior(
        0.08, 0.0, 0.15, "judgement; direction from seed 001 L606-608 (PbR keeps admissions up)"
    )
    squeeze_probability: Share = prior(0.5, 0.2, 0.8, "anchors s2.10: p_sq = 0.5")
    target_margin: Annotated[float, Field(ge=-1.0, le=1.0)] = prior(
        0.02, 0.01, 0.03, "anchors s6: about 1-3% for the NHS"
    )
    capability_decay: Share = prior(
        0.01, 0.0, 0.03, "judgement; per period while a lead provider is a black box"
    )
    renewal_belief: Share = prior(
        0.58,
        0.4,
        0.8,
        "anchors s2.3 (Board 2011, citing Kelman 1990): 58% of contracts re-awarded to the "
        "incumbent",
    )
    monitoring_cost_share: Share = prior(
        0.002, 0.001, 0.005, "judgement; of contract value a year per metric x audit"
    )
    contract_management_pence: Annotated[int, Field(ge=0, strict=True)] = prior(
        2_000_000,
        1_000_000,
        5_000_000,
        "judgement; managing one contract for a year (anchors s2.6: purchaser-provider "
        "transaction costs up to 14% of NHS costs, an upper bound)",
    )
    # ------------------------------------------------ shift and joint effort (docs/odd.md 7.2)
    let_go_floor: Share = prior(
        0.3,
        0.1,
        0.6,
        "judgement: the share of the avoidable demand integration would move that goes even "
        "when its provider does not cooperate (let go = floor + (1 - floor) x cooperation; a "
        "provider's own effort releases 1 - floor of it on its own lines)",
    )
    joint_effort_floor: Share = prior(
        0.4,
        0.2,
        0.7,
        "judgement: what community and primary care's effort achieves without the acute "
        "side's cooperation (joint effort = community x (floor + (1 - floor) x acute))",
    )
    # ------------------------------------------------ decision rules (docs/odd.md 7.3)
    effort_spend_share: Share = prior(
        0.01,
        0.005,
        0.03,
        "judgement: money spent on integration work at full effort, share of income a year",
    )
    push_patient_weight: Annotated[float, Field(ge=0.0, le=10.0)] = prior(
        0.5,
        0.25,
        1.0,
        "judgement; anchors s2.1 (Hennig-Schmidt 2011): patient benefit still weighs against "
        "over-provision; push drive = (1 - a) x unit margin - weight x a",
    )
    distress_system_weight: Share = prior(
        0.5,
        0.25,
        1.0,
        "judgement; direction seed 000 s3.3 (distress turns a provider inward): multiplies "
        "the weight on the system good while distressed",
    )
    risk_aversion_scale: Annotated[float, Field(ge=0.0, le=100.0)] = prior(
        4.0,
        1.0,
        8.0,
        "judgement: CARA coefficient on income shares of a provider with no risk appetite",
    )
    risk_cushion_floor: Annotated[float, Field(gt=0.0, le=10.0)] = prior(
        0.5,
        0.25,
        1.0,
        "judgement: aversion x 1 / (floor + slope x reserves share); thin reserves raise it",
    )
    risk_cushion_slope: Annotated[float, Field(ge=0.0, le=100.0)] = prior(
        10.0, 5.0, 20.0, "judgement: how fast reserves (share of income) cushion aversion"
    )
    risk_distress_multiplier: Annotated[float, Field(ge=1.0, le=10.0)] = prior(
        2.0, 1.0, 3.0, "judgement; direction seed 000 s3.2 (distress raises aversion)"
    )
    effort_return_cv: Annotated[float, Field(ge=0.0, le=10.0)] = prior(
        0.5,
        0.25,
        1.0,
        "judgement: spread of the pooled money (gain/pain share, outcome withhold) a unit of "
        "effort earns, as a share of its expected size; variance = (cv x pooled part)^2",
    )
    # ------------------------------------------------ trust and the relational channel (7.4)
    everyday_contact: Share = prior(
        0.05,
        0.0,
        0.15,
        "judgement: observation weight a month between providers serving one cohort, with "
        "no joint work and no forum",
    )
    commissioner_watch: Share = prior(
        0.2, 0.1, 0.4, "judgement: weight a month of a commissioner's view of a provider it pays"
    )
    distant_watch: Share = prior(
        0.1,
        0.0,
        0.2,
        "judgement: weight of a commissioner's view of a provider it does not pay directly "
        "(a subcontractor behind a lead)",
    )
    provider_judging: Share = prior(
        0.1, 0.05, 0.3, "judgement: weight a month of a provider's view of a commissioner"
    )
    forum_contact: Share = prior(
        0.2,
        0.05,
        0.5,
        "judgement; direction seed 000 L121, L1708, L1636 (trust from working together): "
        "observation weight a month a leadership team meeting monthly adds between each pair "
        "at its table (pro rata to meetings a year, at most monthly)",
    )
    forum_clarity: Share = prior(
        0.4,
        0.2,
        0.6,
        "judgement: how clearly conduct is seen at a forum with neither open book nor shared "
        "data (1 = as seen in joint work, 0 = nothing learnt)",
    )
    open_book_clarity: Share = prior(
        0.3, 0.1, 0.4, "judgement; open book (seed 000 L981-984, seed 004 L301) adds clarity"
    )
    shared_data_clarity: Share = prior(
        0.3, 0.1, 0.4, "judgement; sharing data (seed 000 L984) adds clarity"
    )
    relational_tie: Annotated[float, Field(ge=0.0, le=10.0)] = prior(
        0.5,
        0.0,
        1.0,
        "judgement; seed 000 L1822, L1636 (relationships and shared vision carried the "
        "alliances): the tie a monthly leadership team with shared objectives adds, spread "
        "over the partners at its table",
    )

    # ------------------------------------------------ outcome payment (docs/outcomes-based.md)
    outcome_effort_gain: Share = prior(
        0.05,
        0.02,
        0.10,
        "judgement; outcome-index points a provider's full quality-improvement programme "
        "adds on its own patients (pay for performance moves measured quality by a few "
        "points; anchors s5 P3, s8 Cattel et al. 2018)",
    )
    outcome_effort_cost: Annotated[float, Field(gt=0.0, le=10.0)] = prior(
        0.02,
        0.01,
        0.05,
        "judgement; c_q, convex cost of that work, c_q q^2 / 2 of income a year (a full "
        "programme costs about 1% of income)",
    )
    gaming_cost: Annotated[float, Field(gt=0.0, le=100.0)] = prior(
        0.3,
        0.1,
        1.0,
        "judgement; c_g, convex cost of gaming, c_g g^2 / 2 of income for g points; below "
        "real improvement's cost per point, so gaming crowds in as the withhold grows "
        "(anchors s2.9, Bevan & Hood 2006)",
    )
    attainment_belief_sd: Annotated[float, Field(ge=0.0, le=1.0)] = prior(
        0.05,
        0.02,
        0.15,
        "judgement; sd of the attainment a provider expects this year: how sharply the pull "
        "of the money fades as the measured outcome nears its target",
    )


BEHAVIOUR_PRIORS = tuple(name for name in BehaviourSpec.model_fields if name != "channels")
ECONOMY_PRIORS = tuple(name for name, info in EconomySpec.model_fields.items() if is_prior(info))
# every prior by its dotted scenario key: the table a sensitivity analysis or a
# calibration may vary, with the part of the scenario that holds it
PRIOR_FIELDS: dict[str, tuple[type[BaseModel], str]] = {
    **{f"behaviour.{name}": (BehaviourSpec, name) for name in BEHAVIOUR_PRIORS},
    **{f"economy.{name}": (EconomySpec, name) for name in ECONOMY_PRIORS},
}


class RiskShareSpec(Strict):
    """Shorthand risk share; the builder turns it into ``RiskShareTerms``."""

    target_savings: Annotated[float, Field(ge=-0.5, le=0.9)] = 0.04
    measure: Literal["payments", "costs"] = "payments"
    provider_gain_share: Share = 0.5
    provider_pain_share: Share = 0.5
    shares: Literal["by_value", "equal"] | dict[str, Share] = "by_value"
    pain_cap: Literal["fee", "none"] | Pence = "none"
    excluded: tuple[str, ...] = ()
    netting: bool = True
    year_one_underspend_to_commissioner: bool = False
    demand_trigger: Share | None = None
    # RiskShareTerms.gain_bands. Bedfordshire (seed 001 L253): the prime keeps the first 5% of
    # surplus and splits the rest 50/50: provider_gain_share = 1.0 and one band below 0.95.
    gain_bands: tuple[GainBand, ...] = Field(
        default=(),
        description=(
            "tiered gain share: a list of {below_ratio, provider_share}; for the part of a "
            "gain that takes the measure below below_ratio x target, the provider side takes "
            "provider_share instead of provider_gain_share; below_ratio decreasing; "
            "empty = one flat share"
        ),
    )

    @field_validator("gain_bands")
    @classmethod
    def _bands_decrease(cls, bands: tuple[GainBand, ...]) -> tuple[GainBand, ...]:
        ratios = [band.below_ratio for band in bands]
        if ratios != sorted(set(ratios), reverse=True):
            shown = ", ".join(f"{r:g}" for r in ratios)
            raise ValueError(
                f"below_ratio must decrease from one band to the next (got {shown}); "
                "allowed: strictly decreasing values in (0, 1]"
            )
        return bands

    @model_validator(mode="after")
    def _given_shares_sum_to_one(self) -> RiskShareSpec:
        if isinstance(self.shares, dict):
            check_shares_sum_to_one(self.shares, "risk_share.shares")
        return self


class OutcomeSpec(Strict):
    withhold_by_year: tuple[Share, ...]
    leniency: Share | None = None  # default: the lead commissioner's leniency
    quality_gate: Share = 0.0
    mode: Literal["withhold", "pot"] = "withhold"
    split: dict[str, Share] = Field(default_factory=dict)
    pain_equals_gain: bool = False
    # OutcomeTerms.at_risk_by_year. Bedfordshire (seed 001 L269): year one measured only and
    # paid in full, year two ramping quarter by quarter to full risk: [0.0, 0.625, 1.0].
    at_risk_by_year: tuple[Share, ...] = Field(
        default=(),
        description=(
            "per contract year, the share of the outcome money that depends on attainment "
            "(the rest is paid regardless); the last value carries on; empty = all of it, "
            "every year"
        ),
    )


class PriceSpec(Strict):
    """How a contract model prices the fixed annual payments its holders get.

    Applies to the lead's whole-scope payment (capitation or block) and to any line paid a
    fixed annual amount (block, capitation, blended, cost plus fee); per-unit prices
    (tariff, marginal rate) are national prices and are not bid. The commissioner's
    budget for the scope is its value at plan (planned units x unit cost).

    - ``bid``: the price as a share above (+) or below (-) that budget; UnitingCare bid
      3.5% under the commissioner's maximum (anchors P5): ``bid = -0.035``.
    - ``rebase = "outturn"`` (the default; the NHS yearly refresh, seed 000 L1025): each
      contract year the budget is re-planned on last year's activity, grown by the demand
      trend, and the bid applies to it. ``rebase = "never"``: the price bid at the first
      year's plan is held for the term and moves only by ``indexation`` a year (seed 001
      L342: a five-year value with a forecast of population growth and QIPP built in).
    - ``indexation``: the yearly change of a held price, a share (e.g. -0.011), or
      ``"demand_trend"`` (the economy's planned demand trend, the default).
    """

    bid: Annotated[float, Field(ge=-0.5, le=0.5)] = 0.0
    rebase: Literal["outturn", "never"] = "outturn"
    indexation: Annotated[float, Field(ge=-0.2, le=0.5)] | Literal["demand_trend"] = "demand_trend"

    @model_validator(mode="after")
    def _indexation_needs_a_held_price(self) -> PriceSpec:
        if self.rebase == "outturn" and self.indexation != "demand_trend":
            raise ValueError(
                f"indexation {self.indexation!r} applies only to a held price; allowed: "
                'rebase = "never" with any indexation, or rebase = "outturn" with '
                'indexation "demand_trend" (a re-based price follows the plan)'
            )
        return self

    @property
    def is_neutral(self) -> bool:
        return self.bid == 0.0 and self.rebase == "outturn"


class ContractModelSpec(Strict):
    """A contract model in shorthand, built into ``ContractTerms`` against the economy.

    Either the shorthand (``vehicle``, ``payment``, ``outcome``, ``risk_share`` ...)
    or ``contracts`` (full terms given directly) is used; with ``contracts`` the
    shorthand fields other than ``negotiate`` are ignored.
    """

    vehicle: Vehicle = Vehicle.BILATERAL
    members: tuple[str, ...] | None = None
    lead: str | None = None
    payment: dict[str, Basis] = Field(default_factory=dict)
    lead_payment: Literal["capitation", "block"] = "capitation"
    marginal_rate: Share = 0.3
    variable_share: Share = 0.2
    fee_share: Share = 0.03
    management_fee_share: Share = 0.0
    outcome: OutcomeSpec | None = None
    risk_share: RiskShareSpec | None = None
    governance: GovernanceTerms = GovernanceTerms()
    price: PriceSpec = Field(
        default=PriceSpec(),
        description=(
            "bid, rebase ('outturn' | 'never') and indexation of the fixed annual "
            "payments; see PriceSpec"
        ),
    )
    subcontract_squeeze: Share = 0.02
    subcontract_delay_periods: Annotated[int, Field(ge=0, le=12)] = 2
    duration_years: Annotated[int, Field(ge=1, le=30)] = 10
    extension_years: Annotated[int, Field(ge=0, le=30)] = 0
    negotiate: bool = False
    contracts: tuple[ContractTerms, ...] = ()

    @model_validator(mode="after")
    def _schedule_fits_the_contract(self) -> ContractModelSpec:
        years = self.duration_years + self.extension_years
        if self.outcome is not None and len(self.outcome.withhold_by_year) > years:
            raise ValueError(
                f"outcome.withhold_by_year has {len(self.outcome.withhold_by_year)} years, "
                f"longer than the contract (duration_years {self.duration_years} + "
                f"extension_years {self.extension_years}); allowed: at most {years} years"
            )
        if self.outcome is not None and len(self.outcome.at_risk_by_year) > years:
            raise ValueError(
                f"outcome.at_risk_by_year has {len(self.outcome.at_risk_by_year)} years, "
                f"longer than the contract (duration_years {self.duration_years} + "
                f"extension_years {self.extension_years}); allowed: at most {years} years"
            )
        return self


class NegotiationSpec(Strict):
    """Pre-contract negotiation and governance (docs/odd.md §7.9; package agents/negotiation).

    Used by contract models with ``negotiate = true``. Figures are seeds where a
    seed gives one (cited), otherwise priors or judgements to vary in
    sensitivity analysis (docs/case-figures.md s7, docs/negotiation.md).
    """

    # beliefs about the money, shares of the scope's annual value
    savings_belief: Share = 0.05  # judgement: seed 000 L621 (10-15% over the term), seed 002 L120
    saving_uncertainty: Share = 0.03  # judgement: sd of what integration saves in a year
    baseline_error: Share = 0.04  # x (1 - data_quality); anchors s2.2: outturn +45-55% vs case
    promise_doubt: Share = 0.5  # anchors s2.7: promises shrunk by trust
    overlay_saving_share: Share = 0.5  # saving an overlay makes without money at risk (judgement)
    # constraints and attitudes
    control_total_aversion: Annotated[float, Field(ge=1.0, le=10.0)] = 1.5  # seed 000 L1233-1235
    reserve_cover: Annotated[float, Field(ge=0.0, le=10.0)] = 1.0  # seed 000 L119: "too small"
    loss_fear: Annotated[float, Field(ge=0.0, le=10.0)] = 1.0  # seed 000 L740: money "lost"
    # The alliance agreement "overlays but does not replace existing service contracts"
    # (seed 000 L147, L223, L1692), and in year one "the pre-existing payment structures"
    # stayed in place (L1087): a member that signs the agreement alone keeps its contract
    # money. What it can still lose is activity the redesign moves away from it (L1233,
    # L1309), not its money pooled with partners it doubts (L740, L1295-1297). Judgement
    # prior: the share of the fear of a design that pools money or passes it through a
    # lead (1) that the bare overlay raises; 0 = none. Vary it in sensitivity analysis.
    overlay_stake: Share = 0.25  # judgement prior: bare overlay's share of loss_fear; seed 000 L147
    running_cost_share: Share = 0.003  # alliance leadership time a year, share of income
    outcome_attainment_sd: Share = 0.3
    outcome_tolerance: Share = 0.002  # a small withhold is taken as core income (anchors s5 P3)
    min_outcome_share: Share = 0.005
    min_members: Annotated[int, Field(ge=1)] = 2
    min_risk_members: Annotated[int, Field(ge=1)] = 2  # one alone is a bilateral risk share
    min_scope_share: Share = 0.5  # the design needs most of the scope
    # bargaining (Zeuthen concessions with power from size: anchors s2.7, seed 000 L121)
    power_exponent: Annotated[float, Field(ge=0.0, le=3.0)] = 1.0
    concession_rate: Share = 0.3
    tolerance: Share = 0.002
    max_rounds: Annotated[int, Field(ge=1, le=200)] = 30
    max_reopenings: Annotated[int, Field(ge=0, le=20)] = 3
    # time: 18 months small and trusting, 24-30 large (seed 000 L1192, L1198)
    preparation_months: Annotated[float, Field(ge=0.0, le=60.0)] = 4.0
    months_per_party: Annotated[float, Field(ge=0.0, le=12.0)] = 0.5
    round_months: Annotated[float, Field(ge=0.1, le=12.0)] = 1.0
    approval_months: dict[str, Annotated[float, Field(ge=0.0, le=24.0)]] = Field(
        default_factory=lambda: {
            "ccg": 2.0,
            "council": 3.0,
            "acute": 4.0,
            "community": 3.0,
            "mental_health": 3.0,
            "gp_federation": 2.0,
            "vcs": 2.0,
            "independent": 2.0,
        }
    )
    max_months: Annotated[float, Field(gt=0.0, le=120.0)] = 40.0  # seed 001 L134, L158: ~40
    # outside shocks: Weibull hazard (docs/case-figures.md s7, judgement)
    shock_shape: Annotated[float, Field(gt=0.0, le=10.0)] = 2.5
    shock_scale_months: Annotated[float, Field(gt=0.0, le=600.0)] = 29.0
    shock_rework_months: Annotated[float, Field(ge=0.0, le=24.0)] = 3.0
    policy_shock_share: Share = 0.4
    leadership_shock_share: Share = 0.4  # seed 000 L734: leadership turnover
    # cost a month: staff time and advisers' fees
    commissioner_cost_share: Share = 0.006  # a year; seed 001 L330, L652: ~£1m on £160m
    provider_cost_share: Share = 0.002  # a year; judgement from seed 000 L1194
    fixed_monthly_cost_pence: Pence = 150_000  # legal advice, not shared (seed 000 L1178)
    # governance during the contract
    governance: bool = True
    exclusion_trust: Share = 0.25  # partners' mean trust below which a member may be excluded
    status_quo_name: str = "status_quo"

    def with_status_quo(self, name: str) -> NegotiationSpec:
        return (
            self
            if name == self.status_quo_name
            else self.model_copy(update={"status_quo_name": name})
        )


class ScenarioMeta(Strict):
    name: str
    description: str = ""
    status_quo: str = "status_quo"
    compare: tuple[str, ...] = ()
    source: str = ""


class Scenario(Strict):
    """A validated scenario: economy, organisations, trust, behaviour, contract models."""

    scenario: ScenarioMeta
    economy: EconomySpec
    organisations: tuple[OrganisationSpec, ...]
    trust: TrustSpec = TrustSpec()
    behaviour: BehaviourSpec = BehaviourSpec()
    contract_models: dict[str, ContractModelSpec]
    negotiation: NegotiationSpec = NegotiationSpec()

    @model_validator(mode="after")
    def _references_resolve(self) -> Scenario:
        names = [o.name for o in self.organisations]
        if len(set(names)) != len(names):
            raise ValueError(f"organisation names must be unique (got {names})")
        orgs = {o.name: o for o in self.organisations}
        providers = sorted(n for n, o in orgs.items() if not o.is_commissioner)
        commissioners = sorted(n for n, o in orgs.items() if o.is_commissioner)
        if not commissioners:
            raise ValueError("a scenario needs at least one commissioner (kind ccg or council)")
        for line in self.economy.service_lines:
            if line.provider not in providers:
                raise ValueError(
                    f"service line '{line.name}' names provider '{line.provider}'; "
                    f"allowed: {', '.join(providers)}"
                )
            if line.commissioner not in commissioners:
                raise ValueError(
                    f"service line '{line.name}' names commissioner '{line.commissioner}'; "
                    f"allowed: {', '.join(commissioners)}"
                )
        if self.scenario.status_quo not in self.contract_models:
            raise ValueError(
                f"status_quo '{self.scenario.status_quo}' is not a contract model; "
                f"allowed: {', '.join(self.contract_models)}"
            )
        for model_name in self.scenario.compare:
            if model_name not in self.contract_models:
                raise ValueError(
                    f"compare lists '{model_name}'; allowed: {', '.join(self.contract_models)}"
                )
        for model_name, spec in self.contract_models.items():
            for member in (spec.members or ()) + ((spec.lead,) if spec.lead else ()):
                if member not in providers:
                    raise ValueError(
                        f"contract model '{model_name}' names '{member}'; "
                        f"allowed providers: {', '.join(providers)}"
                    )
            if spec.outcome and spec.outcome.split:
                check_shares_sum_to_one(spec.outcome.split, f"{model_name}.outcome.split")
        for shock in self.economy.shocks:
            for model_name in shock.contract_models:
                if model_name not in self.contract_models:
                    raise ValueError(
                        f"economy.shocks.{shock.name}.contract_models names '{model_name}'; "
                        f"allowed: {', '.join(self.contract_models)}"
                    )
        listed: set[tuple[str, str]] = set()
        for pair in self.trust.pairs:
            for who in (pair.source, pair.target):
                if who not in orgs:
                    raise ValueError(f"trust pair names '{who}'; allowed: {', '.join(names)}")
            # listed twice, the later value would win: listing order would matter
            if (pair.source, pair.target) in listed:
                raise ValueError(
                    f"trust pair from '{pair.source}' to '{pair.target}' is listed twice; "
                    "allowed: each (from, to) pair once"
                )
            listed.add((pair.source, pair.target))
        return self

    @property
    def model_names(self) -> tuple[str, ...]:
        """The contract models to run: ``compare`` if given, else all, status quo first."""
        names = self.scenario.compare or tuple(self.contract_models)
        sq = self.scenario.status_quo
        return (sq,) + tuple(n for n in names if n != sq)

    def with_overrides(self, overrides: dict[str, Any], source: str = "--set") -> Scenario:
        """A copy with dotted keys replaced, e.g. ``{"trust.initial": 0.3}``.

        Lists of named tables are indexed by name: ``organisations.acute.reserves_pence``.
        """
        from alliancesim.scenario.loading import (  # loading reads Scenario
            set_dotted,
            validate_scenario,
        )

        raw = self.model_dump(mode="json", by_alias=True, exclude_unset=False)
        for key, value in overrides.items():
            set_dotted(raw, key, value, source)
        return validate_scenario(raw, source)
