"""The dashboard's model without a browser: controls, twins, figures, Reset kwargs."""

from __future__ import annotations

import inspect

from alliancesim.app.classroom import settlement
from alliancesim.app.figures import compare_figure, network_figure
from alliancesim.app.session import DashboardModel, build_scenario, pounds, starting_controls


def test_every_control_is_a_keyword_of_the_model():
    params = inspect.signature(DashboardModel.__init__).parameters
    controls = starting_controls()
    assert set(controls) <= set(params)
    DashboardModel(**controls)


def test_twins_step_in_lock_step_on_one_seed():
    model = DashboardModel(seed=3)
    for _ in range(4):
        model.step()
    assert model.period == model.status_quo.period == model.rival.period == 4
    assert model.status_quo.contract_model == "status_quo"
    assert model.savings_to_date() == sum(r["spend_pence"] for r in model.status_quo.rows) - sum(
        r["spend_pence"] for r in model.rows
    )
    assert settlement(model)[0]
    network_figure(model)
    compare_figure(model, model.rival, model.status_quo)


def test_terms_apply_only_to_the_chosen_model_and_only_when_asked():
    scenario, name, notes = build_scenario(
        contract_model="alliance", set_terms=True, gain_share=0.8, pain_cap="fee"
    )
    rs = scenario.contract_models[name].risk_share
    assert (rs.provider_gain_share, rs.pain_cap) == (0.8, "fee")
    assert scenario.contract_models["status_quo"].risk_share is None
    scenario, _, notes = build_scenario(contract_model="lead_provider", set_terms=True)
    assert any("no risk share" in n for n in notes)
    scenario, _, _ = build_scenario(gain_share=0.9)  # set_terms off: preset terms kept
    assert scenario.contract_models["alliance"].risk_share.provider_gain_share == 0.5


def test_pounds():
    assert pounds(123456789) == "£1,234,568"
    assert pounds(-5000) == "-£50"


def test_controls_left_at_the_presets_values_leave_the_preset_as_it_is():
    """The dashboard's first run must be the run ``alliancesim run`` makes on the preset:
    the starting values come from the preset and change nothing until moved."""
    from alliancesim.app.session import build_scenario
    from alliancesim.scenario import load_preset

    scenario, model_name, notes = build_scenario()
    assert scenario == load_preset("default")
    assert (model_name, notes) == ("alliance", [])
    moved, _, _ = build_scenario(initial_trust=0.3, savings_target=0.05)
    assert moved.trust.initial == 0.3 and moved.trust.commissioner_provider == 0.3
    assert moved.contract_models["alliance"].risk_share.target_savings == 0.05
