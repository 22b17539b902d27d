"""Bids held for the term, scheduled shocks and their validation (issue 11 part 5)."""

from importlib import resources
from pathlib import Path

import pytest
from alliancesim.model.contracts import (
    ContractBuilder,
    bid_price_pence,
    indexed_pence,
    priced_value,
)
from alliancesim.model.economy import HealthEconomy
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.model.streams import Streams
from alliancesim.scenario import PriceSpec, ScenarioError, load_scenario

PRESET = "older_people_lead_bid"
TEXT = (resources.files("alliancesim.scenario") / "presets" / f"{PRESET}.toml").read_text(
    encoding="utf-8"
)


def edited(tmp_path: Path, old: str, new: str) -> Path:
    assert old in TEXT, f"the preset no longer contains {old!r}"
    path = tmp_path / "bad.toml"
    path.write_text(TEXT.replace(old, new, 1), encoding="utf-8")
    return path


def error_for(path: Path) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return str(caught.value)


# ---------------------------------------------------------------- price arithmetic
def test_a_bid_under_the_maximum_is_priced_to_the_penny():
    # UnitingCare (anchors P5): 3.5% under a £752m maximum is £725.68m, the £726m bid
    assert bid_price_pence(75_200_000_000, -0.035) == 72_568_000_000
    assert bid_price_pence(75_200_000_000, 0.0) == 75_200_000_000


def test_bid_rounding_takes_halves_away_from_zero():
    assert bid_price_pence(1, 0.5) == 2  # 1.5p
    assert bid_price_pence(3, -0.5) == 2  # 1.5p
    assert bid_price_pence(-3, 0.5) == -5  # -4.5p
    # 0.035 is read as a decimal: 1,000,000p x 0.965 is 965,000p exactly
    assert bid_price_pence(1_000_000, -0.035) == 965_000


def test_indexation_compounds_and_rounds_once():
    # £1,000 x 0.977^2 = £954.529 -> 95,453p
    assert indexed_pence(100_000, -0.023, 2) == 95_453
    assert indexed_pence(100_000, 0.05, 0) == 100_000


def test_a_held_price_ignores_this_years_budget_and_a_rebased_one_follows_it():
    held = PriceSpec(bid=-0.1, rebase="never", indexation=0.02)
    rebased = PriceSpec(bid=-0.1)
    # first year budget £100, this year's (re-planned) budget £130, year 2
    assert priced_value(13_000, 10_000, held, 2, 0.032) == 9_364  # 9,000 x 1.02^2 = 9,363.6
    assert priced_value(13_000, 10_000, rebased, 2, 0.032) == 11_700
    trend = PriceSpec(rebase="never")  # indexation "demand_trend"
    assert priced_value(13_000, 10_000, trend, 1, 0.032) == 10_320


# ----------------------------------------------------------- the builder
def lead_scope_value(scenario, model_name: str, year: int, economy: HealthEconomy) -> int:
    builder = ContractBuilder(scenario, economy.lines)
    (contract,) = builder.build(model_name, year)
    (payment,) = contract.payments
    assert payment.line == "whole_scope"
    return payment.terms.rate_per_head_pence * payment.terms.reference_population


def test_a_held_bid_is_not_rebased_when_outturn_moves_the_plan():

    scenario = load_scenario(PRESET)
    economy = HealthEconomy(scenario.economy, Streams(0))
    builder = ContractBuilder(scenario, economy.lines)
    budget = sum(
        round(line.planned_per_year * builder.growth(0) * line.unit_cost_pence)
        for line in economy.lines
    )
    first = lead_scope_value(scenario, "lead_bid", 0, economy)
    # capitation per head is rounded to the penny: within half a penny a head
    population = scenario.economy.population
    assert abs(first - bid_price_pence(budget, -0.035)) <= population / 2
    # outturn 20% over plan on every line; a re-based price would follow it
    economy.replan(
        {line.name: 1.2 for line in economy.lines},
        dict.fromkeys((line.name for line in economy.lines), 1.0),
    )
    second = lead_scope_value(scenario, "lead_bid", 1, economy)
    assert abs(second - indexed_pence(bid_price_pence(budget, -0.035), -0.023, 1)) <= population
    rebased = scenario.with_overrides(
        {
            "contract_models.lead_bid.price.rebase": "outturn",
            "contract_models.lead_bid.price.indexation": "demand_trend",
        }
    )
    moved = lead_scope_value(rebased, "lead_bid", 1, economy)
    assert moved > 1.15 * second


def test_default_price_terms_leave_existing_presets_priced_at_plan():
    scenario = load_scenario("older_people_prime_provider")
    assert scenario.contract_models["prime_provider"].price == PriceSpec()


# ------------------------------------------------------------ shocks in a run
# a commissioner rich enough to grant any request keeps the lead's contract in force
RICH = {"organisations.ccg.reserves_pence": 10**12}


def test_a_cost_shock_raises_costs_from_its_month_under_its_contract_models_only(tmp_path):
    path = edited(tmp_path, "start_month = 0 ", "start_month = 3 ")
    scenario = load_scenario(path, RICH)
    calm = scenario.with_overrides({"economy.shocks.unfunded_vat.size": 0.0})
    # a run long enough to see the start; the lead asks for nothing before it
    costs = {}
    for label, sc in (("shock", scenario), ("calm", calm)):
        model = HealthEconomyModel(sc, "lead_bid", 3, record_ledger=False)
        costs[label] = []
        for _ in range(5):
            model.advance_period()
            costs[label].append(model.period_costs["lead"])
    assert costs["shock"][:3] == costs["calm"][:3]
    assert all(s > c for s, c in zip(costs["shock"][3:], costs["calm"][3:], strict=True))
    # under the status quo the vehicle's VAT does not arise
    sq = HealthEconomyModel(scenario, "status_quo", 3, record_ledger=False)
    assert sq.economy.cost_factors(4, "status_quo") == {}
    assert sq.economy.cost_factors(4, "lead_bid") == {
        "community_contacts": 1.1,
        "older_people_mental_health": 1.1,
    }


def test_a_shock_start_is_an_event_in_its_month(tmp_path):
    path = edited(tmp_path, "start_month = 0 ", "start_month = 2 ")
    model = HealthEconomyModel(load_scenario(path, RICH), "lead_bid", 1, record_ledger=False)
    for _ in range(4):
        model.advance_period()
    starts = [e for e in model.events if e["kind"] == "shock_start"]
    assert [(e["period"], e["shock"]) for e in starts] == [(2, "unfunded_vat")]


def test_a_demand_shock_multiplies_need_on_its_lines_only():
    scenario = load_scenario(PRESET).with_overrides({})
    raw = scenario.model_dump(mode="json", by_alias=True)
    raw["economy"]["shocks"] = [
        {
            "name": "flu",
            "kind": "demand",
            "lines": ["emergency_admissions"],
            "size": 0.5,
            "start_month": 1,
            "end_month": 2,
        }
    ]
    from alliancesim.scenario import validate_scenario

    shocked = validate_scenario(raw, "test")
    calm = HealthEconomy(scenario.economy, Streams(5))
    hit = HealthEconomy(shocked.economy, Streams(5))
    for period in range(3):
        a, b = calm.draw_demand(period), hit.draw_demand(period)
        factor = 1.5 if period == 1 else 1.0
        assert b["emergency_admissions"] == pytest.approx(a["emergency_admissions"] * factor)
        assert b["community_contacts"] == a["community_contacts"]


# ------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("old", "new", "fragments"),
    [
        (
            'lines = ["community_contacts", "older_people_mental_health"]',
            'lines = ["community_contacts", "vat_line"]',
            ["shocks.unfunded_vat.lines names 'vat_line'", "allowed: emergency_admissions"],
        ),
        (
            'kind = "cost"',
            'kind = "price"',
            ["economy.shocks.unfunded_vat.kind", "'cost' or 'demand'"],
        ),
        (
            "start_month = 0 ",
            "start_month = 60 ",
            ["start_month is 60, after the run ends", "allowed: 0 to 59"],
        ),
        (
            "start_month = 0 ",
            "start_month = 6\nend_month = 6 ",
            ["end_month is 6", "more than start_month (6)"],
        ),
        (
            'contract_models = ["lead_bid", "lead_at_budget"]',
            'contract_models = ["lead_bid", "lead_at_bdget"]',
            ["contract_models names 'lead_at_bdget'", "allowed: status_quo, lead_bid"],
        ),
        (
            'kind = "cost"',
            'kind = "demand"',
            ["contract_models applies to cost shocks only"],
        ),
        (
            'rebase = "never"                    # a five',
            'rebase = "outturn"                    # a five',
            ["indexation -0.023 applies only to a held price", 'rebase = "never"'],
        ),
        (
            'rebase = "never"                    # a five',
            'rebase = "sometimes"                    # a five',
            ["contract_models.lead_bid.price.rebase", "'outturn' or 'never'"],
        ),
        (
            "bid = -0.035",
            "bid = -0.6",
            ["contract_models.lead_bid.price.bid", "greater than or equal to -0.5"],
        ),
        (
            "bid = -0.035",
            "bid = -0.035\nbid_share = 0.1",
            ["contract_models.lead_bid.price.bid_share", "allowed: bid, rebase, indexation"],
        ),
    ],
)
def test_bad_price_and_shock_keys_name_the_key_and_what_is_allowed(tmp_path, old, new, fragments):
    path = edited(tmp_path, old, new)
    message = error_for(path)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
