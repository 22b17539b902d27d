"""Negotiation and governance read terms, never a vehicle's or a contract model's name.

MODEL.md s3b: contract models differ through their terms. The vehicle label may still
decide how the builder lays out the money (that is the term itself), but the talks and
the governance during the contract must act on what the terms say: whether a lead pays
the members, whether the agreement can be signed without its money, which dispute
ladder the agreement sets out.
"""

from __future__ import annotations

import ast
import random
from pathlib import Path

import pytest
from alliancesim.agents.negotiation import (
    ABANDONED,
    economics_from_scenario,
    negotiate,
    negotiate_scenario,
    parties_from_scenario,
    proposal_from_spec,
    scope_values,
)
from alliancesim.model.payment.terms import Vehicle
from alliancesim.scenario import load_preset

AGENTS = Path(__file__).resolve().parents[2] / "agents"
LABELS = {v.value for v in Vehicle} | {"status_quo", "outcomes_based"}


def compared_names(path: Path) -> list[str]:
    """Every ``Vehicle.X`` reference, and every comparison or membership test in which a
    vehicle or contract-model name appears as a string literal."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "Vehicle"
        ):
            found.append(f"Vehicle.{node.attr} (line {node.lineno})")
        if isinstance(node, ast.Compare):
            for part in ast.walk(node):
                if isinstance(part, ast.Constant) and part.value in LABELS:
                    found.append(f"'{part.value}' compared (line {node.lineno})")
                if isinstance(part, ast.Attribute) and part.attr == "vehicle":
                    found.append(f".vehicle compared (line {node.lineno})")
    return found


# the governance module and every module of the negotiation package
MODULES = [
    "governance.py",
    *sorted(p.relative_to(AGENTS).as_posix() for p in (AGENTS / "negotiation").glob("*.py")),
]


def test_the_negotiation_package_is_checked():
    assert "negotiation/__init__.py" in MODULES


@pytest.mark.parametrize("module", MODULES)
def test_no_branch_on_a_vehicle_or_model_name(module):
    assert compared_names(AGENTS / module) == []


def test_the_check_would_catch_a_label_branch(tmp_path):
    source = tmp_path / "labels.py"
    source.write_text(
        'def f(prop):\n    return prop.vehicle == "alliance" or x in (Vehicle.ALLIANCE,)\n'
    )
    assert len(compared_names(source)) >= 2


def outcome(agreement) -> tuple:
    """What a negotiation decided, without its wording (event texts name the vehicle)."""
    return (
        agreement.model_name,
        agreement.result,
        agreement.months,
        agreement.cost_by_party,
        agreement.overlay_members,
        agreement.risk_members,
        tuple(sorted(agreement.declined)),
        agreement.target_savings,
        agreement.gain_share,
        agreement.pain_share,
        agreement.outcome_share,
        agreement.rounds,
        agreement.terms,
        [event["kind"] for event in agreement.events],
    )


@pytest.mark.parametrize("trust", [0.3, 0.6, 0.85])
def test_same_terms_under_another_vehicle_label_negotiate_the_same(trust):
    scenario = load_preset("default").with_overrides(
        {"trust.initial": trust, "trust.commissioner_provider": trust}
    )
    spec = scenario.contract_models["alliance"]
    providers = [o.name for o in scenario.organisations if not o.is_commissioner]
    parties = parties_from_scenario(scenario, scope_values(scenario))
    economics = economics_from_scenario(scenario)
    results = []
    for label in Vehicle:
        proposal = proposal_from_spec("alliance", spec, providers)
        relabelled = proposal.__class__(**{**proposal.__dict__, "vehicle": label.value})
        results.append(
            outcome(
                negotiate(relabelled, parties, economics, scenario.negotiation, random.Random(5))
            )
        )
    assert all(r == results[0] for r in results[1:])


def test_same_money_terms_under_another_vehicle_in_the_scenario_negotiate_the_same():
    # the default alliance has a risk share, so a "bilateral" vehicle with the same
    # terms builds one pooled contract too: only the label differs
    base = load_preset("default").with_overrides({"contract_models.alliance.negotiate": True})
    relabelled = base.with_overrides({"contract_models.alliance.vehicle": "bilateral"})
    for seed in (1, 2, 3):
        a = negotiate_scenario(base, "alliance", seed)
        b = negotiate_scenario(relabelled, "alliance", seed)
        assert outcome(a) == outcome(b)


def test_the_overlay_fallback_term_decides_what_a_deadline_leaves():
    # talks that run out of time: with the overlay term the members sign it alone,
    # without it the talks are abandoned (what the vehicle label used to decide)
    scenario = load_preset("default").with_overrides(
        {"contract_models.alliance.negotiate": True, "negotiation.max_months": 1.0}
    )
    without = scenario.with_overrides(
        {"contract_models.alliance.governance.overlay_fallback": False}
    )
    assert negotiate_scenario(scenario, "alliance", 4).result != ABANDONED
    assert negotiate_scenario(without, "alliance", 4).result == ABANDONED
