"""Class mode and the role-play without a browser: the negotiation's order, the
settlement's sums, the spend reconciliation and the seat's effect on the outcome."""

from __future__ import annotations

from pathlib import Path

import pytest
from alliancesim.app.classroom import (
    Payment,
    Seat,
    negotiation_steps,
    net_flows,
    spend_reconciliation,
    year_end_events,
)
from alliancesim.app.glossary import TERMS
from alliancesim.app.session import (
    DashboardModel,
    build_scenario,
    contract_model_choices,
    rival_choices,
    starting_controls,
)

GLOSSARY = Path(__file__).resolve().parents[2] / "docs" / "glossary.md"


@pytest.fixture(scope="module")
def small():
    return starting_controls("small_economy")


def test_a_preset_starts_from_its_own_terms_and_models():
    controls = starting_controls("mental_health_alliance")
    assert (controls["initial_trust"], controls["savings_target"]) == (0.8, 0.23)
    assert "jv_lead_provider" in contract_model_choices("community_joint_venture")
    assert "alliance_overlay" in contract_model_choices("over65s_alliance")
    assert "alliance" not in rival_choices("default", "alliance")


def test_the_dashboard_negotiates_a_contract_the_preset_imposes():
    scenario, name, notes = build_scenario(negotiate=True)
    assert scenario.contract_models[name].negotiate
    assert any("negotiates" in n for n in notes)
    model = DashboardModel(**starting_controls())
    steps = negotiation_steps(model)
    assert steps[0]["what"] == "proposes" and steps[-1]["what"] == "result"
    months = [float(s["month"]) for s in steps]
    assert months == sorted(months)  # oldest first


def test_net_flows_net_each_organisation_not_both_directions():
    payments = [
        Payment("icb", "trust", "block", "", 1_000),
        Payment("trust", "icb", "pain_share", "", 300),
        Payment("icb", "charity", "block", "", 200),
    ]
    rows = {name: (paid, got, net) for name, paid, got, net in net_flows(payments)}
    assert rows["icb"] == (1_200, 300, -900)
    assert rows["trust"] == (300, 1_000, 700)
    assert rows["charity"] == (0, 200, 200)


def test_spent_so_far_reconciles_with_the_ledger(small):
    model = DashboardModel(**small)
    for _ in range(13):  # past a year end
        model.step()
    parts = dict(spend_reconciliation(model))
    assert parts["spent so far"] == model.cumulative_spend()
    commissioners = {c.name for c in model.commissioners}
    providers = {p.name for p in model.providers}
    net_paid = sum(
        e.amount * ((e.payer in commissioners) - (e.payee in commissioners))
        for e in model.ledger
        if {e.payer, e.payee} & providers  # not staff, suppliers or advisers
    )
    assert parts["payments to providers, net"] == net_paid
    assert parts["negotiating and other staff time"] > 0  # the negotiation's cost is in it
    (year_end,) = year_end_events(model)  # one year end in 13 months, at month 12
    assert year_end["period"] == 11 and "contract year 1" in year_end["text"]


def test_a_seat_without_answers_changes_nothing_and_a_refusal_changes_the_outcome(small):
    plain = DashboardModel(**small)
    seat = Seat("acute_trust")
    watched = DashboardModel(**small, decide=seat)
    assert [e["text"] for e in watched.events] == [e["text"] for e in plain.events]
    assert seat.open is not None and seat.open["question"] == "share_risk"
    assert "acute_trust" in plain.agreement.risk_members
    refused = DashboardModel(**small, decide=Seat("acute_trust", ["refuse"]))
    assert "acute_trust" not in refused.agreement.risk_members
    assert any("acute_trust refuses" in e["text"] for e in refused.events)


def test_the_commissioners_seat_can_take_the_providers_offer(small):
    taken = DashboardModel(**small, decide=Seat("icb", ["accept"]))
    plain = DashboardModel(**small)
    assert taken.agreement.target_savings != plain.agreement.target_savings


def test_glossary_terms_behind_the_tooltips_exist():
    text = GLOSSARY.read_text()
    for term, _ in TERMS.values():
        assert f"**{term}" in text, term


def test_every_line_item_the_ledger_writes_has_a_tooltip(small):
    """A payment the class sees without an explanation is a lesson lost: every line
    item in a year of the model's ledger has a glossary entry."""
    model = DashboardModel(**small)
    for _ in range(13):
        model.step()
    items = {e.line_item for e in model.ledger}
    assert "delivery_cost" in items  # outside accounts are in the ledger too
    assert not items - set(TERMS)
