"""Exit as well as failure (issue 11 part 6): requests, relief, handback, a new vehicle's floor."""

import statistics

from alliancesim.experiments.replication import run_replication
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.model.stages import contract_year, failure_exit
from alliancesim.model.stages.failure_exit import REPROCUREMENT_MONTHS
from alliancesim.scenario import load_scenario

PRESET = "older_people_lead_bid"


# a commissioner with money to spare, and a lead with £10m of working capital to see it
# through its first winter while the relief comes in
RICH = {"organisations.ccg.reserves_pence": 10**12, "organisations.lead.reserves_pence": 10**9}


def run(overrides=None, model="lead_bid", seed=2, periods=None):
    scenario = load_scenario(PRESET, overrides)
    model = HealthEconomyModel(scenario, model, seed)
    for _ in range(periods or scenario.economy.periods):
        model.advance_period()
    return model


def test_a_refused_request_hands_the_contract_back_and_the_status_quo_goes_on():
    model = run(periods=14)
    kinds = [e["kind"] for e in model.events if e["actor"] == "lead"]
    assert "request_more_money" in kinds and "handback" in kinds
    request = next(e for e in model.events if e["kind"] == "request_more_money")
    handback = next(e for e in model.events if e["kind"] == "handback")
    assert request["decision"] == "refused" and handback["period"] == request["period"]
    # what it asked is more than the commissioner could find, weighted by trust
    assert int(request["request_pence"]) > float(request["trust"]) * int(request["can_find_pence"])
    # termination, not insolvency: no failure, the lead is still in the economy
    assert not model.orgs["lead"].failed
    assert all(e["kind"] != "failure" for e in model.events)
    # the economy goes on under status-quo contracts: no lead, the lead paid line by line
    assert model.active_model == "status_quo" and contract_year.lead_name(model) is None
    assert all(c.name.startswith("status_quo") for c in model.contracts)
    assert any(p.provider == "lead" for c in model.contracts for p in c.payments)


def test_the_commissioner_pays_to_reprocure_and_a_premium_on_the_services_it_takes_back():
    model = run(periods=14)
    handback = next(e for e in model.events if e["kind"] == "handback")
    period = handback["period"]
    price = int(next(e for e in model.events if e["kind"] == "request_more_money")["price_pence"])
    share = model.scenario_spec.negotiation.commissioner_cost_share
    assert int(handback["reprocurement_pence"]) == round(share * price * REPROCUREMENT_MONTHS / 12)
    rows = {r["period"]: r for r in model.rows}
    assert rows[period]["transaction_pence"] >= int(handback["reprocurement_pence"])
    # the premium runs for the take-back months after the handback, then stops
    assert rows[period]["returned_risk_pence"] == 0
    assert all(rows[p]["returned_risk_pence"] > 0 for p in range(period + 1, period + 7))
    assert rows[period + 7]["returned_risk_pence"] == 0


def test_a_commissioner_that_can_find_the_money_grants_it_and_pays_it_on_the_ledger():
    model = run(RICH, periods=12)
    request = next(e for e in model.events if e["kind"] == "request_more_money")
    assert request["decision"] == "granted"
    assert all(e["kind"] != "handback" for e in model.events)
    relief = [entry for entry in model.ledger if entry.line_item == "relief"]
    start = request["period"]
    # paid each period after the decision to the end of the contract year
    assert [e.period for e in relief] == list(range(start + 1, 12))
    assert {(e.payer, e.payee) for e in relief} == {("ccg", "lead")}
    monthly = round(int(request["loss_pence"]) / 12)
    gap = int(request["shortfall_pence"])
    assert int(request["request_pence"]) == int(request["loss_pence"]) + gap
    # the shortfall below its floor with the first payment, then the loss month by month
    assert [e.amount for e in relief] == [monthly + gap] + [monthly] * (len(relief) - 1)
    # and so the vehicle it saved is still in business
    assert not model.orgs["lead"].failed


def test_a_new_vehicle_fails_at_its_own_reserves_only_while_it_holds_the_contract():
    holding = HealthEconomyModel(load_scenario(PRESET), "lead_at_budget", 0)
    holding.advance_period()
    sq = HealthEconomyModel(load_scenario(PRESET), "status_quo", 0)
    sq.advance_period()
    assert sq.orgs["lead"].failure_threshold == -0.3  # a community trust's floor
    if holding.active_model == "lead_at_budget":  # not yet handed back
        assert holding.orgs["lead"].failure_threshold == 0.0
    fresh = HealthEconomyModel(load_scenario(PRESET), "lead_bid", 0)
    contract_year.open_contract_year(fresh)
    assert fresh.orgs["lead"].failure_threshold == 0.0
    # an explicit threshold wins over the vehicle default
    given = load_scenario(PRESET, {"organisations.lead.failure_threshold": -0.05})
    explicit = HealthEconomyModel(given, "lead_bid", 0)
    contract_year.open_contract_year(explicit)
    assert explicit.orgs["lead"].failure_threshold == -0.05


def test_runs_record_requests_exits_and_their_periods():
    result = run_replication(load_scenario(PRESET), seed=2, ledger=False)
    rows = {r["contract_model"]: r for r in result.runs}
    handbacks = [
        e for e in result.events if e["kind"] == "handback" and e["contract_model"] == "lead_bid"
    ]
    assert rows["lead_bid"]["exits"] == len(handbacks) == 1
    assert rows["lead_bid"]["exit_period"] == handbacks[0]["period"]
    assert rows["lead_bid"]["money_requests"] >= 1
    assert rows["status_quo"]["exits"] == 0 and rows["status_quo"]["exit_period"] is None
    assert rows["status_quo"]["failure_period"] is None


def test_report_how_often_the_underpriced_lead_hands_back_in_its_first_year(capsys):
    """A report, not a pass mark: over 20 seeds, does the lead that bid 3.5% under ask for
    more money and hand the contract back within its first year (anchors P5)? Only the
    bid being held and the records being consistent are asserted."""
    scenario = load_scenario(PRESET)
    months, requests, shares = [], 0, []
    for seed in range(20):
        model = HealthEconomyModel(scenario, "lead_bid", seed, record_ledger=False)
        held = next(p.terms for c in model.contracts for p in c.payments if p.line == "whole_scope")
        for _ in range(12):
            model.advance_period()
            if model.active_model == "lead_bid":
                now = next(
                    p for c in model.contracts for p in c.payments if p.line == "whole_scope"
                )
                assert now.terms == held  # held within the year, never re-based
        asked = [e for e in model.events if e["kind"] == "request_more_money"]
        requests += bool(asked)
        shares += [float(e["share_of_price"]) for e in asked]
        gone = [e["period"] for e in model.events if e["kind"] == "handback"]
        if gone:
            months.append(gone[0] + 1)
    with capsys.disabled():
        median = statistics.median(months) if months else None
        print(
            f"\n{PRESET} lead_bid, 20 seeds, first year: asked {requests}/20, "
            f"handed back {len(months)}/20, median month {median}, "
            f"request median {statistics.median(shares) if shares else 0:.1%} of price"
        )


def test_in_a_run_the_bid_is_held_into_the_next_year_and_only_indexed():
    from alliancesim.model.contracts import bid_price_pence, indexed_pence

    model = run(RICH, periods=13)
    assert model.active_model == "lead_bid"
    builder = model.builder
    budget = sum(
        round(line.plan_at_start * builder.growth(0) * line.unit_cost_pence)
        for line in model.economy.lines
    )
    (scope,) = [p for c in model.contracts for p in c.payments if p.line == "whole_scope"]
    value = scope.terms.rate_per_head_pence * scope.terms.reference_population
    expected = indexed_pence(bid_price_pence(budget, -0.035), -0.023, 1)
    assert abs(value - expected) <= scope.terms.reference_population / 2
    # the plan itself was re-based on year one's outturn: a re-based price would differ
    replanned = sum(
        round(line.planned_per_year * builder.growth(1) * line.unit_cost_pence)
        for line in model.economy.lines
    )
    assert abs(bid_price_pence(replanned, -0.035) - value) > scope.terms.reference_population


def test_a_winter_month_is_read_net_of_the_season():
    """At the winter peak a lead pays its subcontractors for 8% more acute activity than
    the season-free level; that is the season, not a loss on the contract."""
    import pytest
    from alliancesim.model.economy import season_factor

    model = HealthEconomyModel(
        load_scenario(PRESET, {"organisations.ccg.reserves_pence": 10**12}), "lead_bid", 4
    )
    model.advance_period()
    spec = model.scenario_spec.economy
    assert season_factor(spec, 0) == pytest.approx(1.0 + spec.seasonality)
    model.period = 0  # read the first month's activity as the review did
    season = season_factor(spec, 0)
    delivery_activity = {k: v for k, v in model.rows[-1].items() if k.startswith("activity__")}
    # the lead pays the tariff (unit cost) per unit of each acute line it subcontracts
    expected = -sum(
        line.unit_cost_pence * delivery_activity["activity__" + line.name] * (1 - 1 / season)
        for line in model.economy.lines
        if line.shiftable
    )

    class Seen:
        activity = {k.removeprefix("activity__"): v for k, v in delivery_activity.items()}

    assert failure_exit.seasonal_surplus(model, "lead", Seen) == pytest.approx(expected, rel=1e-9)
    assert expected < 0
    flat = load_scenario(PRESET, {"economy.seasonality": 0.0})
    calm = HealthEconomyModel(flat, "lead_bid", 4)
    calm.advance_period()
    assert failure_exit.seasonal_surplus(calm, "lead", Seen) == 0.0
