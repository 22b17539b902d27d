"""The envelope's demand trigger in a running alliance (seed 000 L1113: commissioners
"reconsider the financial envelope, if additional demand exceeds the activity and
financial plan by 10% or more")."""

from __future__ import annotations

from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.scenario import load_preset


def _model(**overrides) -> HealthEconomyModel:
    scenario = load_preset("mental_health_alliance").with_overrides(overrides)
    # the first seed on which the members agree a risk share (most do; which ones is
    # down to the random streams, not to what this file tests)
    for seed in range(1, 40):
        model = HealthEconomyModel(scenario, "alliance", seed=seed, record_ledger=False)
        if model.agreement.risk_members:
            break
    assert model.governance is not None and model.agreement.risk_members
    return model


def _reopened(model: HealthEconomyModel) -> list[int]:
    return [e["period"] for e in model.events if e["kind"] == "governance.renegotiation"]


def test_care_the_alliance_avoids_does_not_trip_the_trigger():
    """Without demand shocks the alliance still moves care out of beds and placements
    and the activity plan, re-based on outturn, falls with it: need the alliance keeps
    out of hospital is not demand over plan."""
    model = _model(**{"economy.shock_hazard": 0.0, "economy.noise": 0.0}).run()
    planned = [r[f"planned__{n}"] for r in model.rows[-12:] for n in model._shiftable_names]
    first = [r[f"planned__{n}"] for r in model.rows[:12] for n in model._shiftable_names]
    assert sum(planned) < 0.95 * sum(first)  # the plan has fallen by more than 5%
    assert _reopened(model) == []


def test_a_demand_surge_reopens_the_envelope_once_a_contract_year():
    """Need 30% over what the plan expected from month 14 to 29 trips the 10% trigger:
    the envelope is reconsidered in years 1 and 2, once each, and not in year 0."""
    model = _model(**{"economy.shock_hazard": 0.0})
    draw = model.economy.draw_demand

    def surge(period: int) -> dict[str, float]:
        demand = draw(period)
        return {k: v * 1.3 for k, v in demand.items()} if 14 <= period < 30 else demand

    model.economy.draw_demand = surge
    model.run()
    years = [period // model.periods_per_year for period in _reopened(model)]
    assert years == [1, 2]
    assert model.governance.renegotiations == 2
