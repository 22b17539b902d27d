"""Outcome payment: work on the measured outcomes and gaming, by hand and in short runs.

The rules (agents/decisions.py, docs/outcomes-based.md) are principal-agent best
responses to the money one more point of the outcome index brings a provider:
``(1 - l) x stake x dE[paid]/dA / target``. Each expected value below is worked out
beside it.
"""

from __future__ import annotations

import statistics

import pytest
from alliancesim.agents.decisions import (
    attainment_slope,
    gaming,
    outcome_effort,
    outcome_gain,
    outcome_money_per_point,
)
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.scenario import load_preset


# ------------------------------------------------------------------ by hand
def test_money_per_point_is_the_stake_not_paid_regardless_over_the_target():
    # (1 - 0.5) * 1_000 * 0.8 / 0.5 = 800
    assert outcome_money_per_point(1_000.0, 0.5, 0.8, 0.5) == pytest.approx(800.0)
    # the commissioner always pays regardless: no money rides on the outcome
    assert outcome_money_per_point(1_000.0, 1.0, 0.8, 0.5) == 0.0


def test_the_pull_fades_as_attainment_nears_and_passes_its_cap():
    assert attainment_slope(1.0, 0.05) == pytest.approx(0.5)  # at the cap: half
    assert attainment_slope(0.9, 0.05) == pytest.approx(0.97725, abs=1e-5)  # Phi(2)
    assert attainment_slope(1.1, 0.05) == pytest.approx(0.02275, abs=1e-5)  # Phi(-2)
    assert attainment_slope(0.99, 0.0) == 1.0 and attainment_slope(1.0, 0.0) == 0.0


def test_outcome_effort_is_the_best_response_with_diminishing_returns():
    # q* = 2v / (c + 2v): v = 0.01, c = 0.02 -> 0.02 / 0.04 = 0.5
    assert outcome_effort(0.01, 0.02) == pytest.approx(0.5)
    # v = 0.03 -> 0.06 / 0.08 = 0.75: tripling the money adds half as much again
    assert outcome_effort(0.03, 0.02) == pytest.approx(0.75)
    assert outcome_effort(0.0, 0.02) == 0.0
    # f(q) = 2q - q^2: half the effort achieves three quarters of the gain
    assert outcome_gain(0.5) == pytest.approx(0.75)
    assert outcome_gain(1.0) == 1.0


def test_outcome_effort_rises_with_the_money_at_a_falling_rate():
    efforts = [outcome_effort(v, 0.02) for v in (0.0, 0.005, 0.01, 0.015, 0.02)]
    steps = [b - a for a, b in zip(efforts, efforts[1:], strict=False)]
    assert all(s > 0 for s in steps)
    assert all(b < a for a, b in zip(steps, steps[1:], strict=False))


def test_gaming_rises_with_the_money_and_falls_with_audit_and_trust():
    # g* = v (1 - a)(1 - t) / c_g = 0.1 * 0.5 * 0.5 / 0.5 = 0.05
    assert gaming(0.1, 0.5, 0.5, 0.5, 0.15) == pytest.approx(0.05)
    assert gaming(0.2, 0.5, 0.5, 0.5, 0.15) == pytest.approx(0.10)
    assert gaming(0.1, 0.8, 0.5, 0.5, 0.15) < gaming(0.1, 0.5, 0.5, 0.5, 0.15)
    assert gaming(0.1, 0.5, 0.8, 0.5, 0.15) < gaming(0.1, 0.5, 0.5, 0.5, 0.15)
    assert gaming(0.1, 1.0, 0.0, 0.5, 0.15) == 0.0  # full audit
    assert gaming(0.1, 0.0, 1.0, 0.5, 0.15) == 0.0  # full trust
    assert gaming(10.0, 0.0, 0.0, 0.5, 0.15) == 0.15  # Bevan & Hood's gap caps it


def test_gaming_crowds_in_as_the_money_grows():
    # per provider, points of real gain (gain f(q)) against points of gaming, as the
    # money per point v grows: gaming is linear, real work has diminishing returns
    gain, c_q, c_g = 0.05, 0.02, 0.3
    shares = []
    for v in (0.05, 0.1, 0.2, 0.4):
        real = gain * outcome_gain(outcome_effort(v * gain, c_q))
        gamed = gaming(v, 0.5, 0.5, c_g, 1.0)
        shares.append(gamed / (gamed + real))
    assert all(b > a for a, b in zip(shares, shares[1:], strict=False))


def test_at_full_leniency_neither_effort_nor_gaming():
    money = outcome_money_per_point(5_000_000.0, 1.0, 1.0, 0.6)
    assert outcome_effort(money, 0.02) == 0.0
    assert gaming(money, 0.3, 0.3, 0.3, 0.15) == 0.0


# ------------------------------------------------------------ in short runs
def short_run(withhold: float, **overrides) -> dict[str, float]:
    scenario = load_preset(
        "default",
        economy__periods=36,
        contract_models__outcomes_based__outcome__withhold_by_year=[withhold],
        **overrides,
    )
    model = HealthEconomyModel(scenario, "outcomes_based", seed=3, record_ledger=False)
    q, g = [], []
    while model.running:
        model.advance_period()
        q.append(statistics.fmean(p.outcome_effort for p in model.providers))
        g.append(statistics.fmean(p.gaming for p in model.providers))
    rows = model.rows
    true = statistics.fmean(r["outcome_true"] for r in rows)
    reported = statistics.fmean(r["outcome_reported"] for r in rows)
    return dict(q=statistics.fmean(q), g=statistics.fmean(g), true=true, gap=reported - true)


def test_effort_on_outcomes_and_gaming_rise_with_the_withhold():
    runs = [short_run(w) for w in (0.02, 0.10, 0.20)]
    for key in ("q", "g", "true", "gap"):
        values = [r[key] for r in runs]
        assert values[0] > 0
        assert values[0] < values[1] < values[2], (key, values)
    # diminishing returns on the true outcome: the second 10 points of withhold buy
    # less than the first 8
    assert runs[2]["true"] - runs[1]["true"] < runs[1]["true"] - runs[0]["true"]


def test_at_leniency_one_the_withhold_buys_nothing():
    run = short_run(0.20, contract_models__outcomes_based__outcome__leniency=1.0)
    assert run["q"] == 0.0 and run["g"] == 0.0 and run["gap"] == 0.0


def test_channels_switch_gaming_and_the_payment_pull_off():
    no_gaming = short_run(0.10, behaviour__channels__gaming=False)
    assert no_gaming["g"] == 0.0 and no_gaming["gap"] == 0.0 and no_gaming["q"] > 0
    no_pull = short_run(0.10, behaviour__channels__payment_incentive=False)
    assert no_pull["q"] == 0.0 and no_pull["g"] > 0


def test_a_lead_answers_for_its_whole_scope_and_its_subcontractors_for_nothing():
    # a lead paid with a 10% withhold runs the whole pathway: its weight in the index is
    # its own lines plus the lines it subcontracts, and only it has money at stake
    scenario = load_preset(
        "default",
        economy__periods=12,
        contract_models__lead_provider__outcome={"withhold_by_year": [0.10]},
    )
    model = HealthEconomyModel(scenario, "lead_provider", seed=2, record_ledger=False)
    model.run()
    lead, sub = model.orgs["community_trust"], model.orgs["acute_trust"]
    values = {line.name: line.need_per_year * line.unit_cost_pence for line in model.economy.lines}
    scope = sum(values.values())
    own = sum(v for name, v in values.items() if model.economy.by_name[name].provider == lead.name)
    assert model.outcome_weight(lead.name) == pytest.approx(1.0)  # every line runs through it
    assert model.outcome_weight(lead.name) > own / scope
    assert lead.outcome_effort > 0 and lead.gaming > 0
    assert sub.outcome_effort == 0 and sub.gaming == 0
