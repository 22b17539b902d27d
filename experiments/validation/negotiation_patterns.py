"""Validation patterns V1-V6 and V14 (docs/validation.md: negotiation and formation; governance).

Imported by the registry loader (``experiments/validation/__init__.py``
``PATTERN_MODULES``), which fills ``suite.REGISTRY`` through ``@pattern``.

Every pattern compares conditions on common random numbers: the same run seeds
(derived with ``numpy.random.SeedSequence``) in every condition, so the shock
and approval draws are paired, and reports a paired difference or a share with
its 95% interval. The conditions differ only in initial conditions or terms;
the results come out of the negotiation's mechanisms (valuation, Zeuthen
rounds, constraints, approvals, shocks), never from a rule written for the
test. Patterns about negotiation run only the negotiation phase
(:func:`negotiate_scenario`), so each takes well under a second in quick mode.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from alliancesim.agents.negotiation import AGREED, Agreement, negotiate_scenario, scope_values
from alliancesim.experiments.validation.common import (
    bootstrap_interval,
    pattern_result,
    per_seed,
    preset,
    run,
    trend,
)
from alliancesim.experiments.validation.common import mean_interval as t_interval
from alliancesim.experiments.validation.suite import PatternResult, pattern
from alliancesim.scenario import Scenario

QUICK_PAIRS = 60
FULL_PAIRS = 400
Z = 1.959963984540054


def run_seeds(seed: int, n: int) -> list[int]:
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n)]


def mean_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean and 95% normal interval of paired differences (n >= 60 in quick mode)."""
    n = len(values)
    mean = statistics.fmean(values)
    if n < 2:
        return mean, mean, mean
    half = Z * statistics.stdev(values) / math.sqrt(n)
    return mean, mean - half, mean + half


def wilson(successes: int, n: int) -> tuple[float, float, float]:
    p = successes / n
    denom = 1 + Z * Z / n
    centre = (p + Z * Z / (2 * n)) / denom
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / denom
    return p, max(0.0, centre - half), min(1.0, centre + half)


def negotiated(overrides: dict[str, Any] | None = None, model: str = "alliance") -> Scenario:
    """The default preset with ``model`` negotiated, plus initial-condition overrides."""
    return preset("default").with_overrides(
        {f"contract_models.{model}.negotiate": True, **(overrides or {})}, source="pattern"
    )


HIGH_TRUST = {"trust.initial": 0.85, "trust.commissioner_provider": 0.85, "trust.pairs": []}
MID_TRUST = {"trust.initial": 0.7, "trust.commissioner_provider": 0.7, "trust.pairs": []}
LOW_TRUST = {"trust.initial": 0.3, "trust.commissioner_provider": 0.3, "trust.pairs": []}


def paired(
    a: Scenario,
    b: Scenario,
    seeds: list[int],
    stat: Callable[[Agreement], float],
    model: str = "alliance",
) -> list[float]:
    return [
        stat(negotiate_scenario(a, model, s)) - stat(negotiate_scenario(b, model, s)) for s in seeds
    ]


def pairs(quick: bool) -> int:
    return QUICK_PAIRS if quick else FULL_PAIRS


@pattern(
    "V1",
    "Pre-existing trust enables risk sharing",
    mechanism="risk aversion: a party weighs the variance of a pain share it doubts, more so at low trust",
    knockout={"behaviour.channels.risk_aversion": False},
)
def trust_enables_risk_sharing(quick: bool, seed: int) -> PatternResult:
    """Runs the negotiation of the default preset's alliance with every trust at 0.85 and
    at 0.3, on paired seeds.

    Evidence: the small trusting alliance of Case B agreed its financial model (seed 000
    L642-681); where trust between commissioner and main provider was poor, talks ended
    without the financial mechanism (seed 000 L627, L740).

    Statistic: paired difference in P(multilateral gain/pain share agreed), high minus low
    trust, mean and 95% interval. Pass: lower bound above zero.
    """
    seeds = run_seeds(seed, pairs(quick))
    high, low = negotiated(HIGH_TRUST), negotiated(LOW_TRUST)
    diff = paired(high, low, seeds, lambda a: float(a.result == AGREED))
    est, lo, hi = mean_interval(diff)
    low_without = sum(negotiate_scenario(low, "alliance", s).result != AGREED for s in seeds)
    return PatternResult(
        "V1",
        "Pre-existing trust enables risk sharing",
        f"default preset, alliance negotiated, all trust 0.85 vs 0.3, {len(seeds)} paired seeds",
        "paired difference in P(multilateral gain/pain share agreed), high - low trust",
        est,
        lo,
        hi,
        passed=lo > 0,
        note=f"low trust ended without the financial mechanism in {low_without}/{len(seeds)}",
    )


V2_LEVELS = {
    # contract value: the population served (every line's value scales, reserves held)
    "value": ("economy.population", (40_000, 60_000, 120_000)),
    # duration of the term in years
    "duration": ("contract_models.alliance.duration_years", (3, 10, 15)),
}
# scope: the services brought into the deal, widening from the main provider and its
# nearest partner to every provider of the default preset (the charities stay out,
# so the constitutional bar cannot move the statistic)
V2_SCOPES = (
    ("acute_trust", "community_trust"),
    ("acute_trust", "community_trust", "mental_health_trust"),
    ("acute_trust", "community_trust", "mental_health_trust", "gp_federation"),
)


def agreed(scenario: Scenario, seed: int) -> float:
    return float(negotiate_scenario(scenario, "alliance", seed).result == AGREED)


@pattern(
    "V2",
    "Scale lowers risk appetite",
    mechanism="risk aversion against the reserves a party could lose: a larger, wider or longer "
    "deal puts more of its reserves at risk (decisions.risk_aversion, the 1-in-20 loss screen)",
    knockout={"behaviour.channels.risk_aversion": False, "negotiation.reserve_cover": 10.0},
)
def scale_lowers_risk_appetite(quick: bool, seed: int) -> PatternResult:
    """Runs the negotiation of the default preset's alliance with every trust fixed at 0.7
    (a risk share forms in nearly every run at the preset's own scale; at the default
    trust none does, V1, so no level could lower it), over three levels each of contract value
    (population 40k, 60k, 120k; reserves held), scope (members: acute and community trusts;
    plus the mental health trust; plus the GP federation) and duration (3, 10, 15 years),
    one dimension at a time with the others at the preset's values, on paired seeds.

    Evidence: only "the large statutory organisations were feasibly able to bear the
    magnitude of risks" (seed 000 L1702); small parties found the risk too great for their
    size (seed 000 L119).

    Statistic: for each dimension, the mean per-seed slope of P(financial model agreed)
    on the level index (0, 1, 2), with its 95% t interval. Pass: all three slopes' upper
    bounds below zero. The row shows the weakest of the three."""
    seeds = run_seeds(seed, pairs(quick))
    base = {**MID_TRUST}
    conditions: dict[str, list[Scenario]] = {
        name: [negotiated({**base, key: level}) for level in levels]
        for name, (key, levels) in V2_LEVELS.items()
    }
    conditions["scope"] = [
        negotiated({**base, "contract_models.alliance.members": list(members)})
        for members in V2_SCOPES
    ]
    outcomes = {
        name: [[agreed(c, s) for c in scenarios] for s in seeds]
        for name, scenarios in conditions.items()
    }
    trends = {name: trend((0, 1, 2), rows) for name, rows in outcomes.items()}
    weakest = max(trends, key=lambda n: trends[n].high)
    shares = {
        name: "/".join(f"{sum(r[k] for r in rows) / len(rows):.2f}" for k in range(3))
        for name, rows in outcomes.items()
    }
    note = "; ".join(
        f"{name}: slope {trends[name]}, P(agreed) by level {shares[name]}" for name in trends
    )
    return pattern_result(
        "V2",
        "Scale lowers risk appetite",
        f"default preset, alliance negotiated at trust 0.7; value, scope and duration each "
        f"at 3 levels, the others held; {len(seeds)} paired seeds",
        f"slope of P(financial model agreed) per level ({weakest}, the weakest of value, "
        "scope, duration)",
        trends[weakest],
        all(t.below(0) for t in trends.values()),
        note + ". Pass: every slope's upper bound below zero.",
    )


@dataclass(frozen=True)
class V3Seed:
    """One negotiation of V3 (default preset, alliance negotiated)."""

    months: float  # length of the negotiation
    cost_gap: float  # cost / annual value in scope, smallest minus largest provider


def v3_parties(scenario: Scenario) -> tuple[str, str]:
    """The smallest and largest providers by annual value in scope."""
    values = scope_values(scenario)
    providers = [o.name for o in scenario.organisations if not o.is_commissioner]
    return min(providers, key=lambda n: values[n]), max(providers, key=lambda n: values[n])


def v3_seed(scenario: Scenario, seed: int) -> V3Seed:
    """V3's statistics from one negotiation seed (the pattern takes the median length and
    the mean cost gap over its seeds; the calibration target ``v3_negotiation_months``
    reads one length)."""
    values = scope_values(scenario)
    smallest, largest = v3_parties(scenario)
    a = negotiate_scenario(scenario, "alliance", seed)
    return V3Seed(
        float(a.months),
        a.cost_by_party[smallest] / values[smallest] - a.cost_by_party[largest] / values[largest],
    )


@pattern(
    "V3",
    "Negotiation is slow and costly, most so for small parties",
    mechanism="a fixed monthly cost of legal advice per party, not shared by size (seed 000 L1178)",
    knockout={"negotiation.fixed_monthly_cost_pence": 0},
)
def negotiation_slow_and_costly(quick: bool, seed: int) -> PatternResult:
    """Runs the negotiation of the default preset's alliance on many seeds.

    Evidence: Case B took 18 months, "nearly a year, 18 months" (seed 000 L1192), others
    two to two and a half years (L1198); legal advice was "costly for the smaller of the
    contractual parties" (L1178).

    Statistic: paired difference, per seed, in negotiation cost over annual value in scope,
    smallest minus largest provider. Pass: lower bound above zero and median length
    18-30 months. The knock-out removes the fixed monthly cost of advice.
    """
    seeds = run_seeds(seed, pairs(quick))
    scenario = negotiated()
    smallest, largest = v3_parties(scenario)
    outcomes = [v3_seed(scenario, s) for s in seeds]
    months = [o.months for o in outcomes]
    diff = [o.cost_gap for o in outcomes]
    est, lo, hi = mean_interval(diff)
    median = statistics.median(months)
    return PatternResult(
        "V3",
        "Negotiation is slow and costly, most so for small parties",
        f"default preset, alliance negotiated, {len(seeds)} seeds",
        f"paired difference in cost / annual value, {smallest} - {largest}",
        est,
        lo,
        hi,
        passed=lo > 0 and 18 <= median <= 30,
        note=f"median {median:.1f} months (18-30 required, seed 000 L1192, L1198)",
    )


V4_PACE = (1.0, 2.0, 3.0)  # internal governance: approval months and round length x this
REDECISIONS = ("negotiation.withdraw", "negotiation.decline_risk")


def redecided_after_shock(agreement: Agreement) -> bool:
    """Whether a party re-decided after a shock and so reshaped or ended the deal: in the
    month of a shock a party withdraws or declines the risk share. A shock followed by no
    re-decision does not count, nor does the commissioner's rule of dropping the outcome
    share."""
    shocked: dict[float, set[str]] = {}
    for event in agreement.events:
        if event["kind"] == "negotiation.shock":
            shocked.setdefault(event["month"], set()).add(event["actor"])
        elif event["kind"] in REDECISIONS and event["month"] in shocked:
            return True
    return False


@pattern(
    "V4",
    "Long negotiations invite shocks",
    mechanism="a change of leadership during the talks: the new leaders trust their partners "
    "less, value the deal again and keep out of the money or leave (review_membership)",
    knockout={"negotiation.leadership_shock_share": 0.0},
)
def long_negotiations_invite_shocks(quick: bool, seed: int) -> PatternResult:
    """Runs the negotiation of the default preset's alliance at trust 0.7 (as V2 and V5: a
    risk share forms in nearly every run, so there is one to lose) with the members' internal governance at its default pace, twice
    and three times as slow (approval months and the length of a bargaining round x1, x2,
    x3), on paired seeds.

    Evidence: leadership turnover during the talks (seed 000 L734); the models were
    "substantially remodelled" and the payment models never resolved (seed 000 L1202); a
    change of CCG leadership weakened support for outcome payments (seed 000 L1383).

    Statistic: the mean per-seed slope, on the pace index, of whether the deal was
    reshaped or ended by a re-decision after a shock (a party withdraws or declines the
    risk share in the month a shock hits it), with its 95% t interval; a shock that
    changes nothing does not count. Pass: lower bound above zero. The knock-out keeps
    the shocks (policy and finance shocks take the leadership changes' place) but no
    party's valuation changes. The result depends on the starting trust: at 0.85 new
    leaders still value the deal after their trust falls, and no re-decision follows a
    shock at any pace (checked when this pattern was rebuilt)."""
    seeds = run_seeds(seed, pairs(quick))
    default = negotiated(MID_TRUST)
    scenarios = [
        negotiated(
            {
                **MID_TRUST,
                "negotiation.round_months": default.negotiation.round_months * pace,
                "negotiation.approval_months": {
                    k: v * pace for k, v in default.negotiation.approval_months.items()
                },
            }
        )
        for pace in V4_PACE
    ]
    runs = [[negotiate_scenario(sc, "alliance", s) for sc in scenarios] for s in seeds]
    slope_i = trend((0, 1, 2), [[float(redecided_after_shock(a)) for a in row] for row in runs])
    months = [statistics.median(row[k].months for row in runs) for k in range(3)]
    shocked = [sum(bool(row[k].shocks) for row in runs) / len(runs) for k in range(3)]
    redecided = [sum(redecided_after_shock(row[k]) for row in runs) / len(runs) for k in range(3)]
    note = (
        f"median months {'/'.join(f'{m:.1f}' for m in months)}; share with any shock "
        f"{'/'.join(f'{x:.2f}' for x in shocked)}; share reshaped or ended by a re-decision "
        f"after a shock {'/'.join(f'{x:.2f}' for x in redecided)}. Pass: slope's lower bound "
        "above zero."
    )
    return pattern_result(
        "V4",
        "Long negotiations invite shocks",
        f"default preset, alliance negotiated at trust 0.7, internal governance x1, x2, x3 "
        f"slower; {len(seeds)} paired seeds",
        "slope of P(deal reshaped or ended by a re-decision after a shock) per pace level",
        slope_i,
        slope_i.above(0),
        note,
    )


SMALL_KINDS = ("gp_federation", "independent")


def choosers(scenario: Scenario) -> tuple[list[str], list[str], list[str]]:
    """(small parties who choose, large statutory bodies, parties barred by an input).

    Small: GP federations and independents, and any trust smaller than a third of the
    largest provider in scope; barred: parties whose constitution bars bearing losses
    (``may_bear_losses`` false: an input, not a choice)."""
    values = scope_values(scenario)
    providers = [o for o in scenario.organisations if not o.is_commissioner]
    largest = max(values[o.name] for o in providers)
    barred = [o.name for o in providers if not o.trait("may_bear_losses")]
    free = [o for o in providers if o.name not in barred]
    small = [o.name for o in free if o.kind.value in SMALL_KINDS or values[o.name] < largest / 3]
    large = [o.name for o in free if o.name not in small]
    return small, large, barred


@pattern(
    "V5",
    "Small and charitable partners opt out of risk",
    mechanism="risk aversion against thin reserves and low risk appetite, on the income a "
    "party would have at stake (decisions.risk_aversion, the 1-in-20 loss screen)",
    knockout={"behaviour.channels.risk_aversion": False, "negotiation.reserve_cover": 10.0},
)
def small_partners_opt_out(quick: bool, seed: int) -> PatternResult:
    """Runs the negotiation of the default preset's alliance with every trust at 0.7
    (where a risk share forms at all: at default trust no provider shares losses, V1), on
    paired seeds, and reads who declines loss sharing.

    Evidence: "the large statutory organisations were feasibly able to bear the magnitude
    of risks" (seed 000 L1702); financial risks were "borne exclusively by the statutory
    providers" (L1776); small parties were "too small" to share risk (L119).

    Statistic: only the parties who choose. Per seed, the share of the small parties who
    may bear losses (the GP federation, small independents, trusts under a third of the
    largest provider's value) declining loss sharing, minus that share among the large
    statutory bodies; mean and 95% t interval. Pass: lower bound above zero. The
    charities' constitutional bar (``may_bear_losses = false``, seed 000 L1335) is an
    input and is reported separately, not counted."""
    seeds = run_seeds(seed, pairs(quick))
    scenario = negotiated(MID_TRUST)
    small, large, barred = choosers(scenario)
    diff, per_party = [], {n: 0 for n in small + large}
    for s in seeds:
        a = negotiate_scenario(scenario, "alliance", s)
        joined = [n for n in small + large if n in a.overlay_members]
        for n in joined:
            per_party[n] += n not in a.risk_members
        out = [n for n in small if n in joined]
        big = [n for n in large if n in joined]
        if not out or not big:
            continue
        diff.append(
            sum(n not in a.risk_members for n in out) / len(out)
            - sum(n not in a.risk_members for n in big) / len(big)
        )
    result = t_interval(diff)
    declined = ", ".join(f"{n} {k}/{len(seeds)}" for n, k in per_party.items())
    note = (
        f"small parties who choose: {', '.join(small)}; large statutory: {', '.join(large)}; "
        f"runs declining loss sharing: {declined}. Barred by their constitution (an input, "
        f"not counted): {', '.join(barred) or 'none'}. {len(diff)} of {len(seeds)} runs had "
        "both groups in the deal. Pass: lower bound above zero."
    )
    return pattern_result(
        "V5",
        "Small and charitable partners opt out of risk",
        f"default preset at trust 0.7, alliance negotiated, {len(seeds)} seeds",
        "share of small parties who may bear losses declining them, minus that of the large "
        "statutory bodies",
        result,
        result.above(0),
        note,
    )


@pattern(
    "V6",
    "Commissioners do not share risk by default; making them is a lever",
    mechanism="risk aversion: a commissioner sharing the pain halves what each provider carries",
    knockout={"behaviour.channels.risk_aversion": False},
)
def commissioner_risk_lever(quick: bool, seed: int) -> PatternResult:
    """Runs the negotiation of the default preset's alliance with the commissioners not
    sharing risk (the NHS default) and sharing it, on paired seeds.

    Evidence: the commissioner is an alliance member but "is not a formal risk sharer";
    risks were "borne exclusively by the statutory providers" (seed 000 L1776).

    Statistic: paired difference in the number of providers joining the risk share,
    sharing minus default. Pass: lower bound above zero.
    """
    seeds = run_seeds(seed, pairs(quick))
    base = negotiated()
    sharing = negotiated(
        {"organisations.icb.shares_risk": True, "organisations.council.shares_risk": True}
    )
    diff = paired(sharing, base, seeds, lambda a: float(len(a.risk_members)))
    est, lo, hi = mean_interval(diff)
    return PatternResult(
        "V6",
        "Commissioners do not share risk by default; making them is a lever",
        f"default preset, alliance negotiated; commissioners share risk vs NHS default; "
        f"{len(seeds)} paired seeds",
        "paired difference in providers joining the risk share, sharing - default",
        est,
        lo,
        hi,
        passed=lo > 0,
    )


def governance_record(model) -> tuple[float, int, int]:
    """(mean months a decision took, passed decisions, passed decisions favouring the
    largest member) of the alliance governance the model ran (agents/governance.py, read
    through its ``summary``, which an ensemble's replication gives as its own): a passed
    cover moves money to the member whose overspend it covers."""
    gov = model.governance
    summary = gov.summary() if gov is not None else {}
    if not summary.get("governance_decisions"):
        return float("nan"), 0, 0
    largest = max(model.providers, key=lambda p: p.annual_income).name
    covers = [e for e in model.events if e["kind"] == "governance.cover"]
    return (
        summary["governance_mean_decision_months"],
        len(covers),
        sum(e["actor"] == largest for e in covers),
    )


@pattern(
    "V14",
    "Unanimity trades speed for equality",
    mechanism="the decision rule of the alliance's own governance: unanimity waits for the "
    "slowest member's board and gives every member a veto; a majority passes at the median "
    "board and overrides the minority",
    knockout={"negotiation.approval_months": {}},
)
def unanimity_speed_equality(quick: bool, seed: int) -> PatternResult:
    """Runs the default preset's alliance, negotiated, with its governance term
    ``decision_rule`` set to unanimity and to majority, on paired seeds: the governance the
    model itself uses during the contract (agents/governance.py ``Governance``: votes on
    covering a member's overspend, exclusions), at each member's own board pace.

    Evidence: Case B decided by strict unanimity with "an equal say" for each member;
    Case A by unanimity with a majority vote where the board must decide (seed 000 L970);
    talks "dominated by the CCG and its largest provider" (seed 000 L121).

    Statistics: (speed) paired difference in mean months a decision took, unanimity minus
    majority; (equality) the share of passed decisions that favour the largest member
    (money moved to it), majority minus unanimity, pooled over seeds with a 95% bootstrap
    interval over the paired seeds. Pass: both lower bounds above zero. Board paces are
    fixed by kind, so the speed difference may have no spread (deterministic); the
    knock-out gives every board the same pace."""
    seeds = run_seeds(seed, 8 if quick else 60)
    ruled = {
        rule: preset(
            "default",
            {
                "contract_models.alliance.negotiate": True,
                "contract_models.alliance.governance.decision_rule": rule,
            },
        )
        for rule in ("unanimity", "majority")
    }
    records = per_seed(
        seeds,
        lambda s: (
            governance_record(run(ruled["unanimity"], "alliance", s)),
            governance_record(run(ruled["majority"], "alliance", s)),
        ),
    )
    slower = t_interval(
        [u[0] - m[0] for u, m in records if not (math.isnan(u[0]) or math.isnan(m[0]))]
    )

    def favour(sample) -> float:
        def share(k: int) -> float:
            passed = sum(r[k][1] for r in sample)
            return sum(r[k][2] for r in sample) / passed if passed else 0.0

        return share(1) - share(0)

    fairer = bootstrap_interval(records, favour)
    passed = {k: sum(r[k][1] for r in records) for k in (0, 1)}
    note = (
        f"months a decision took, unanimity - majority: {slower}; passed decisions "
        f"unanimity {passed[0]}, majority {passed[1]}. Pass: both lower bounds above zero."
    )
    return pattern_result(
        "V14",
        "Unanimity trades speed for equality",
        f"default preset, alliance negotiated, its governance under unanimity vs majority, "
        f"{len(seeds)} paired seeds",
        "share of passed decisions favouring the largest member, majority - unanimity",
        fairer,
        fairer.above(0) and slower.above(0),
        note,
    )
