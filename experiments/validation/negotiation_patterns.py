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
import random
import statistics
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from alliancesim.agents.governance import largest_member_share
from alliancesim.agents.negotiation import AGREED, Agreement, negotiate_scenario, scope_values
from alliancesim.experiments.scenario import Scenario
from alliancesim.experiments.validation.common import preset
from alliancesim.experiments.validation.suite import PatternResult, pattern

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


@pattern(
    "V2",
    "Scale lowers risk appetite",
    mechanism="risk aversion: a larger contract puts more of a party's reserves at risk",
    knockout={"behaviour.channels.risk_aversion": False},
)
def scale_lowers_risk_appetite(quick: bool, seed: int) -> PatternResult:
    seeds = run_seeds(seed, pairs(quick))
    small = negotiated({**MID_TRUST, "contract_models.alliance.duration_years": 5})
    large = negotiated(
        {**MID_TRUST, "contract_models.alliance.duration_years": 15, "economy.population": 150_000}
    )
    diff = paired(small, large, seeds, lambda a: float(a.result == AGREED))
    est, lo, hi = mean_interval(diff)
    return PatternResult(
        "V2",
        "Scale lowers risk appetite",
        f"trust fixed at 0.7; 60k people and 5 years vs 150k people (same reserves) and 15 "
        f"years; {len(seeds)} paired seeds",
        "paired difference in P(financial model agreed), small - large",
        est,
        lo,
        hi,
        passed=lo > 0,
    )


@pattern(
    "V3",
    "Negotiation is slow and costly, most so for small parties",
    mechanism="a fixed monthly cost of legal advice per party, not shared by size (seed 000 L1178)",
    knockout={"negotiation.fixed_monthly_cost_pence": 0},
)
def negotiation_slow_and_costly(quick: bool, seed: int) -> PatternResult:
    seeds = run_seeds(seed, pairs(quick))
    scenario = negotiated()
    values = scope_values(scenario)
    providers = [o.name for o in scenario.organisations if not o.is_commissioner]
    smallest = min(providers, key=lambda n: values[n])
    largest = max(providers, key=lambda n: values[n])
    months, diff = [], []
    for s in seeds:
        a = negotiate_scenario(scenario, "alliance", s)
        months.append(a.months)
        diff.append(
            a.cost_by_party[smallest] / values[smallest]
            - a.cost_by_party[largest] / values[largest]
        )
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


@pattern("V4", "Long negotiations invite shocks")
def long_negotiations_invite_shocks(quick: bool, seed: int) -> PatternResult:
    seeds = run_seeds(seed, pairs(quick))
    fast = negotiated()
    slow_approvals = {k: 3 * v for k, v in fast.negotiation.approval_months.items()}
    slow = negotiated(
        {"negotiation.round_months": 2.0, "negotiation.approval_months": slow_approvals}
    )
    lengths = []

    def shocked(a: Agreement) -> float:
        lengths.append(a.months)
        return float(a.reshaped_by_shock)

    diff = paired(slow, fast, seeds, shocked)
    est, lo, hi = mean_interval(diff)
    slow_m = statistics.median(lengths[0::2])
    fast_m = statistics.median(lengths[1::2])
    return PatternResult(
        "V4",
        "Long negotiations invite shocks",
        f"default preset; slow internal governance (approvals x3, 2-month rounds) vs default; "
        f"{len(seeds)} paired seeds",
        "paired difference in P(an outside shock reshaped or ended the deal), slow - fast",
        est,
        lo,
        hi,
        passed=lo > 0,
        note=f"median months {slow_m:.1f} (slow) vs {fast_m:.1f}",
    )


@pattern(
    "V5",
    "Small and charitable partners opt out of risk",
    mechanism="risk aversion: thin reserves and low risk appetite make a pain share cost more than it is worth",
    knockout={"behaviour.channels.risk_aversion": False},
)
def small_partners_opt_out(quick: bool, seed: int) -> PatternResult:
    seeds = run_seeds(seed, pairs(quick))
    scenario = negotiated(HIGH_TRUST)  # where a risk share is agreed at all
    orgs = {o.name: o for o in scenario.organisations}
    small = [n for n, o in orgs.items() if o.kind.value in ("vcs", "gp_federation")]
    statutory = [
        n for n, o in orgs.items() if o.kind.value in ("acute", "community", "mental_health")
    ]
    diff = []
    for s in seeds:
        a = negotiate_scenario(scenario, "alliance", s)
        out_small = sum(n not in a.risk_members for n in small) / len(small)
        out_statutory = sum(n not in a.risk_members for n in statutory) / len(statutory)
        diff.append(out_small - out_statutory)
    est, lo, hi = mean_interval(diff)
    return PatternResult(
        "V5",
        "Small and charitable partners opt out of risk",
        f"default preset at high trust, alliance negotiated, {len(seeds)} seeds",
        "paired difference in share declining loss sharing, small/charitable - statutory",
        est,
        lo,
        hi,
        passed=lo > 0,
    )


@pattern(
    "V6",
    "Commissioners do not share risk by default; making them is a lever",
    mechanism="risk aversion: a commissioner sharing the pain halves what each provider carries",
    knockout={"behaviour.channels.risk_aversion": False},
)
def commissioner_risk_lever(quick: bool, seed: int) -> PatternResult:
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


@pattern("V14", "Unanimity trades speed for equality")
def unanimity_speed_equality(quick: bool, seed: int) -> PatternResult:
    seeds = run_seeds(seed, 40 if quick else 200)
    scenario = preset("default")
    values = scope_values(scenario)
    kinds = {o.name: o.kind.value for o in scenario.organisations if not o.is_commissioner}
    sizes = {n: float(values[n]) for n in kinds}
    latency = {n: scenario.negotiation.approval_months.get(k, 3.0) for n, k in kinds.items()}
    slower, fairer = [], []
    for s in seeds:
        m_u, f_u, _ = largest_member_share("unanimity", sizes, latency, random.Random(s), 50)
        m_m, f_m, _ = largest_member_share("majority", sizes, latency, random.Random(s), 50)
        slower.append(m_u - m_m)
        fairer.append(f_m - f_u)
    est, lo, hi = mean_interval(fairer)
    s_est, s_lo, s_hi = mean_interval(slower)
    return PatternResult(
        "V14",
        "Unanimity trades speed for equality",
        f"default alliance members, 50 budget decisions a stream, {len(seeds)} paired streams",
        "paired difference in share of passed decisions favouring the largest member, "
        "majority - unanimity",
        est,
        lo,
        hi,
        passed=lo > 0 and s_lo > 0,
        note=f"months per decision, unanimity - majority: {s_est:.2f} [{s_lo:.2f}, {s_hi:.2f}]",
    )
