"""Partners cannot vote their lead provider out of the contract it holds.

Found when negotiation was forced on the lead-provider presets: low trust in the lead led
governance to exclude it, and the next contract year failed ("lead 'prime' is not one of
the members"). A lead that cannot carry the contract hands it back (agents/exit.py).
"""

import pytest
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.scenario import load_preset


@pytest.mark.parametrize(
    ("preset", "contract_model", "seed"),
    [("older_people_prime_provider", "prime_provider", 1), ("small_economy", "lead_provider", 2)],
)
def test_negotiated_lead_contract_runs_and_keeps_its_lead(preset, contract_model, seed):
    scenario = load_preset(preset).with_overrides(
        {f"contract_models.{contract_model}.negotiate": True}
    )
    model = HealthEconomyModel(scenario, contract_model, seed).run()
    lead = model.active_spec.lead if model.active_spec else None
    excluded = [e["actor"] for e in model.events if e["kind"] == "exclusion"]
    assert lead is None or lead not in excluded
    assert model.period == model.periods  # the run reached its end
