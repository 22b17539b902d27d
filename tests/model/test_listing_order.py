"""Listing order changes nothing (issue 11 part 9).

Every shipped preset, with its organisations, service lines, trust pairs,
contract models, members, per-line bases, risk shares and outcome splits listed
in another order (reversed, and a seeded shuffle), gives the same rows, ledger
and events on the same seed under each of its contract models. And the random
streams are keyed to names: removing one organisation with its lines leaves the
other organisations' turnover draws and the other lines' demand noise alone.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from alliancesim.model import streams
from alliancesim.model.contracts import ContractBuilder
from alliancesim.model.ordering import canonical_scenario, lead_commissioner
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    validate_scenario,
)

PRESETS = sorted(
    p.stem for p in (Path(__file__).parents[2] / "scenario" / "presets").glob("*.toml")
)
PERIODS = 24  # two contract years: a year-end settlement and a refresh, quickly
SEED = 5


def reorder(items: list | dict, how: str, rng: random.Random) -> Any:
    """``items`` (a list, or a dict's keys) reversed or shuffled."""
    keys = list(items)
    if how == "reversed":
        keys.reverse()
    else:
        rng.shuffle(keys)
    return {k: items[k] for k in keys} if isinstance(items, dict) else keys


def relisted(scenario: Scenario, how: str, seed: int = 0) -> Scenario:
    """The same scenario written with every list of named things in another order."""
    rng = random.Random(seed)
    raw = scenario.model_dump(mode="json", by_alias=True)
    raw["organisations"] = reorder(raw["organisations"], how, rng)
    raw["economy"]["service_lines"] = reorder(raw["economy"]["service_lines"], how, rng)
    raw["trust"]["pairs"] = reorder(raw["trust"]["pairs"], how, rng)
    raw["negotiation"]["approval_months"] = reorder(raw["negotiation"]["approval_months"], how, rng)
    raw["contract_models"] = reorder(raw["contract_models"], how, rng)
    for spec in raw["contract_models"].values():
        if spec["members"] is not None:
            spec["members"] = reorder(spec["members"], how, rng)
        spec["payment"] = reorder(spec["payment"], how, rng)
        if spec["outcome"] is not None:
            spec["outcome"]["split"] = reorder(spec["outcome"]["split"], how, rng)
        if spec["risk_share"] is not None:
            rs = spec["risk_share"]
            if isinstance(rs["shares"], dict):
                rs["shares"] = reorder(rs["shares"], how, rng)
            rs["excluded"] = reorder(rs["excluded"], how, rng)
        spec["contracts"] = reorder(spec["contracts"], how, rng)
    return validate_scenario(raw, f"{scenario.scenario.name} ({how})")


def outputs(scenario: Scenario, model_name: str) -> tuple[list, Counter, list]:
    model = HealthEconomyModel(scenario, model_name, seed=SEED).run()
    return model.rows, Counter(model.ledger), model.events


@pytest.fixture(scope="module", params=PRESETS)
def preset(request) -> Scenario:
    return load_scenario(request.param, {"economy.periods": PERIODS})


def test_the_relisting_really_moves_the_lists(preset):
    """The permutation is not a no-op: the orders the file gives do change."""
    for how in ("reversed", "shuffled"):
        other = relisted(preset, how, seed=1)
        assert [o.name for o in other.organisations] != [o.name for o in preset.organisations]
        assert sorted(o.name for o in other.organisations) == sorted(
            o.name for o in preset.organisations
        )


def test_every_contract_model_gives_identical_results_in_any_listing_order(preset):
    for name in preset.contract_models:
        rows, ledger, events = outputs(preset, name)
        assert rows and ledger, name
        for how in ("reversed", "shuffled"):
            other = relisted(preset, how, seed=len(name))
            other_rows, other_ledger, other_events = outputs(other, name)
            assert other_rows == rows, (name, how)
            assert other_ledger == ledger, (name, how)
            assert other_events == events, (name, how)


def test_canonical_order_is_the_same_for_every_listing():
    scenario = load_scenario("default")
    canonical = canonical_scenario(scenario)
    for how in ("reversed", "shuffled"):
        assert canonical_scenario(relisted(scenario, how, seed=3)) == canonical
    assert [o.name for o in canonical.organisations] == sorted(
        o.name for o in scenario.organisations
    )


def test_the_lead_commissioner_is_the_largest_not_the_first_listed():
    scenario = load_scenario("default")  # icb pays for more care than the council
    assert lead_commissioner(scenario) == "icb"
    council_first = relisted(scenario, "reversed")
    assert [o.name for o in council_first.organisations if o.is_commissioner][0] == "council"
    assert lead_commissioner(council_first) == "icb"
    model = HealthEconomyModel(council_first, "status_quo", seed=1)
    assert model.lead_commissioner == "icb"


def with_explicit_contracts(scenario: Scenario) -> Scenario:
    """The scenario plus contract models given as full terms (``contracts``): the
    status quo's, the alliance's and the lead provider's year-0 terms, written out."""
    economy = HealthEconomyModel(scenario, "status_quo", seed=SEED).economy
    builder = ContractBuilder(scenario, economy.lines)
    raw = scenario.model_dump(mode="json", by_alias=True)
    for name in ("status_quo", "alliance", "lead_provider"):
        terms = builder.build(name, 0)
        raw["contract_models"][f"explicit_{name}"] = {
            "contracts": [t.model_dump(mode="json") for t in terms]
        }
    return validate_scenario(raw, "explicit contracts")


def relisted_terms(scenario: Scenario, how: str, seed: int) -> Scenario:
    """Explicit contract terms with their parties, lines, shares and splits relisted."""
    rng = random.Random(seed)
    raw = scenario.model_dump(mode="json", by_alias=True)
    for spec in raw["contract_models"].values():
        for terms in spec["contracts"]:
            for key in ("commissioners", "members", "payments", "subcontracts"):
                terms[key] = reorder(terms[key], how, rng)
            if terms["outcome"] is not None:
                for key in ("metrics", "split"):
                    terms["outcome"][key] = reorder(terms["outcome"][key], how, rng)
            if terms["risk_share"] is not None:
                rs = terms["risk_share"]
                for key in ("gain_shares", "pain_shares", "commissioner_shares", "excluded"):
                    rs[key] = reorder(rs[key], how, rng)
        spec["contracts"] = reorder(spec["contracts"], how, rng)
    return validate_scenario(raw, f"explicit contracts ({how})")


def test_explicit_contract_terms_give_identical_results_in_any_listing_order():
    scenario = with_explicit_contracts(load_scenario("default", {"economy.periods": PERIODS}))
    assert len(scenario.contract_models["explicit_status_quo"].contracts) > 1
    for name in ("explicit_status_quo", "explicit_alliance", "explicit_lead_provider"):
        rows, ledger, events = outputs(scenario, name)
        for how in ("reversed", "shuffled"):
            other = relisted_terms(relisted(scenario, how, seed=2), how, seed=2)
            assert other.contract_models[name] != scenario.contract_models[name]
            assert outputs(other, name) == (rows, ledger, events), (name, how)


# --------------------------------------------------------- streams keyed to names
def without(scenario: Scenario, organisation: str) -> Scenario:
    """The scenario with one provider and its service lines left out."""
    raw = scenario.model_dump(mode="json", by_alias=True)
    raw["organisations"] = [o for o in raw["organisations"] if o["name"] != organisation]
    raw["economy"]["service_lines"] = [
        line for line in raw["economy"]["service_lines"] if line["provider"] != organisation
    ]
    return validate_scenario(raw, f"without {organisation}")


def test_removing_an_organisation_leaves_the_other_lines_demand_draws_alone():
    """Each line's demand noise comes from its own stream: with a small provider and
    its lines gone, every other line sees exactly the need it saw before, period by
    period (the shock stream is shared and unchanged too)."""
    full = load_scenario("default", {"economy.periods": PERIODS})
    small = without(full, "support_charity")
    economies = [HealthEconomyModel(s, "status_quo", seed=SEED).economy for s in (full, small)]
    kept = [line.name for line in economies[1].lines]
    assert len(kept) < len(economies[0].lines)
    for period in range(PERIODS):
        demand_full, demand_small = (e.draw_demand(period) for e in economies)
        assert {k: demand_full[k] for k in kept} == demand_small


def test_removing_an_organisation_leaves_the_others_leadership_changes_alone():
    """Turnover is drawn from each organisation's own stream: the periods in which
    every remaining organisation changes leadership are the same without the small
    provider (its removal changes trust and money, not the others' draws)."""
    full = load_scenario("default", {"economy.periods": PERIODS, "trust.turnover": 0.2})
    small = without(full, "support_charity")

    def changes(scenario: Scenario) -> set[tuple[int, str]]:
        model = HealthEconomyModel(scenario, "status_quo", seed=SEED).run()
        return {(e["period"], e["actor"]) for e in model.events if e["kind"] == "turnover"}

    before, after = changes(full), changes(small)
    assert len(before) > 10  # enough changes for the comparison to mean something
    assert {c for c in before if c[1] != "support_charity"} == after
    assert any(c[1] == "support_charity" for c in before)


def test_named_streams_do_not_depend_on_each_other():
    """A stream depends only on (seed, purpose, name): drawing from one first does not
    move another, and different purposes or names or seeds give different numbers."""
    one, two = streams.Streams(7), streams.Streams(7)
    for _ in range(5):
        one(streams.TURNOVER, "icb").random()
    assert one(streams.TURNOVER, "council").random() == two(streams.TURNOVER, "council").random()
    firsts = {
        streams.stream(seed, purpose, name).random()
        for seed in (7, 8)
        for purpose in (streams.TURNOVER, streams.DEMAND_NOISE)
        for name in ("icb", "council", "ic", "bcouncil")
    }
    assert len(firsts) == 16


def test_a_trust_pair_listed_twice_is_refused():
    """Listed twice, the later value would win and the listing order would matter."""
    raw = load_scenario("default").model_dump(mode="json", by_alias=True)
    raw["trust"]["pairs"].append({**raw["trust"]["pairs"][0], "value": 0.9})
    with pytest.raises(ScenarioError, match="listed twice"):
        validate_scenario(raw, "twice.toml")
