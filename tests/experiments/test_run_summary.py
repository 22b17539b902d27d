"""The run summary's provider surpluses are on an accruals basis: a subcontract payment
the lead still delays when the run ends is the lead's debt, not its profit."""

from __future__ import annotations

from alliancesim.experiments.outputs import run_summary
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.scenario import load_preset


def _runs(overrides: dict):
    scenario = load_preset("default").with_overrides(
        {"economy.periods": 30, "economy.periods_per_year": 12, **overrides}
    )
    sq = HealthEconomyModel(scenario, "status_quo", seed=5, record_ledger=False).run()
    lead = HealthEconomyModel(scenario, "lead_provider", seed=5, record_ledger=False).run()
    return lead, run_summary(lead, sq)


def test_delayed_subcontract_payments_at_the_end_move_from_the_lead_to_its_subcontractors():
    model, summary = _runs({"contract_models.lead_provider.subcontract_delay_periods": 2})
    lead = model.scenario_spec.contract_models["lead_provider"].lead
    delayed = model.delayed_payments()
    assert delayed and all(payer == lead for payer, _, _ in delayed)
    for provider in model.providers:
        name = provider.name
        cash = sum(r[f"surplus_pence__{name}"] for r in model.rows)
        owed_to = sum(a for _, payee, a in delayed if payee == name)
        owed_by = sum(a for payer, _, a in delayed if payer == name)
        assert summary[f"owed_at_end_pence__{name}"] == owed_to - owed_by
        assert summary[f"surplus_pence__{name}"] == cash + owed_to - owed_by
    assert summary[f"owed_at_end_pence__{lead}"] < 0
    # debts only move surplus between providers: the total is the cash total
    names = [p.name for p in model.providers]
    assert sum(summary[f"owed_at_end_pence__{n}"] for n in names) == 0


def test_without_a_delay_nothing_is_owed_at_the_end():
    model, summary = _runs({"contract_models.lead_provider.subcontract_delay_periods": 0})
    assert model.delayed_payments() == []
    for provider in model.providers:
        cash = sum(r[f"surplus_pence__{provider.name}"] for r in model.rows)
        assert summary[f"owed_at_end_pence__{provider.name}"] == 0
        assert summary[f"surplus_pence__{provider.name}"] == cash
