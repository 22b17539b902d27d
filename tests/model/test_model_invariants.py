"""The Mesa model: determinism, common random numbers, conservation of money,
reserves, failure and returned risk, bounded trust and finite outputs."""

import math
from collections import defaultdict

import pytest
from alliancesim.agents.commissioner import Commissioner
from alliancesim.experiments.replication import run_replication
from alliancesim.model.economy import HealthEconomy
from alliancesim.model.payment.ledger import OUTSIDE_ACCOUNTS, check_entries
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.model.stages import choices
from alliancesim.model.stages.booking import RETURNED_RISK_PREMIUM

MODELS = ("status_quo", "alliance", "lead_provider", "outcomes_based")
# line items of money paid to outside accounts (staff and suppliers, advisers, write-offs)
COST_ITEMS = {
    "delivery_cost",
    "integration_work",
    "outcome_work",
    "gaming",
    "returned_services",
    "contract_management",
    "outcome_monitoring",
    "transaction_cost",
    "dispute",
    "write_off",
}


# ------------------------------------------------------------------ determinism
def test_same_seed_gives_identical_rows_ledger_and_events(short_scenario):
    first = run_replication(short_scenario, seed=7)
    second = run_replication(short_scenario, seed=7)
    assert first.runs == second.runs
    assert first.periods == second.periods
    assert first.ledger == second.ledger
    assert first.events == second.events


def test_different_seeds_give_different_economies(short_scenario):
    a = run_replication(short_scenario, seed=7, models=["status_quo"])
    b = run_replication(short_scenario, seed=8, models=["status_quo"])
    assert [r["acute_activity"] for r in a.periods] != [r["acute_activity"] for r in b.periods]
    assert a.ledger != b.ledger


def test_ledger_switch_changes_only_the_ledger(short_scenario):
    kept = run_replication(short_scenario, seed=5, ledger=True)
    dropped = run_replication(short_scenario, seed=5, ledger=False)
    assert kept.ledger and not dropped.ledger
    assert kept.runs == dropped.runs
    assert kept.periods == dropped.periods
    assert kept.events == dropped.events


def test_status_quo_is_always_run_first_as_the_counterfactual(short_scenario):
    result = run_replication(short_scenario, seed=2, models=["alliance"])
    assert [r["contract_model"] for r in result.runs] == ["status_quo", "alliance"]
    assert result.runs[0]["savings_pence"] == 0
    alliance = result.runs[1]
    assert alliance["savings_pence"] == result.runs[0]["spend_pence"] - alliance["spend_pence"]


# ------------------------------------------------------- common random numbers
def test_every_contract_model_faces_the_same_demand_on_one_seed(short_scenario, monkeypatch):
    drawn: list[tuple[int, dict]] = []
    original = HealthEconomy.draw_demand

    def recording(self, period):
        demand = original(self, period)
        drawn.append((period, dict(demand)))
        return demand

    monkeypatch.setattr(HealthEconomy, "draw_demand", recording)
    by_model = {}
    activity = {}
    for name in MODELS:
        drawn.clear()
        model = HealthEconomyModel(short_scenario, name, seed=11).run()
        by_model[name] = list(drawn)
        activity[name] = [r["acute_activity"] for r in model.rows]
    assert len(by_model["status_quo"]) == short_scenario.economy.periods
    for name in MODELS[1:]:
        assert by_model[name] == by_model["status_quo"], name
    # the demand is shared but the models do behave differently on it
    assert activity["alliance"] != activity["status_quo"]


def test_demand_stream_does_not_depend_on_behaviour_draws(short_scenario):
    """Turnover draws come from the behaviour stream: more of them leave demand alone."""
    calm = HealthEconomyModel(short_scenario, "status_quo", seed=4)
    churn = HealthEconomyModel(
        short_scenario.with_overrides({"trust.turnover": 1.0}), "status_quo", seed=4
    )
    for _ in range(6):
        assert calm.economy.draw_demand(calm.period) == churn.economy.draw_demand(churn.period)
        churn.random.random()  # an extra behaviour draw must not shift the demand stream


# --------------------------------------------------------------- money
@pytest.fixture(scope="module")
def full_runs(default_scenario):
    """Each contract model over the full ten years (with failures in some)."""
    return {name: HealthEconomyModel(default_scenario, name, seed=1).run() for name in MODELS}


@pytest.mark.parametrize("name", MODELS)
def test_every_journal_entry_is_positive_integer_pence_between_two_parties(full_runs, name):
    model = full_runs[name]
    assert model.ledger
    assert check_entries(model.ledger) == []
    assert all(type(e.amount) is int and e.amount > 0 for e in model.ledger)


@pytest.mark.parametrize("name", MODELS)
def test_contract_money_flows_only_between_parties_to_a_contract(full_runs, name):
    """Settlement money moves between a contract's commissioners and members; money
    to an outside account is a cost, never a contract payment."""
    model = full_runs[name]
    outside = {e.line_item for e in model.ledger if e.payee in OUTSIDE_ACCOUNTS}
    assert outside <= COST_ITEMS
    assert not [e for e in model.ledger if e.payer in OUTSIDE_ACCOUNTS]
    for e in model.ledger:
        if e.payee not in OUTSIDE_ACCOUNTS:
            assert e.line_item not in COST_ITEMS, e
            assert e.payer in model.orgs and e.payee in model.orgs, e
    if name == "lead_provider":
        subcontract = [e for e in model.ledger if e.line_item == "subcontract"]
        assert subcontract, "a lead provider pays its subcontractors"
        lead = model.scenario_spec.contract_models[name].lead
        assert all(e.payer == lead and e.payee != lead for e in subcontract)


@pytest.mark.parametrize("name", MODELS)
def test_period_payments_in_the_rows_are_the_ledger_totals(full_runs, name):
    model = full_runs[name]
    commissioners = {c.name for c in model.commissioners}
    by_period: dict[int, int] = defaultdict(int)
    costs: dict[tuple[int, str], int] = defaultdict(int)
    for entry in model.ledger:
        if entry.payee in OUTSIDE_ACCOUNTS:
            if entry.payer in commissioners:
                costs[entry.period, entry.line_item] += entry.amount
            continue
        if entry.payer in commissioners:
            by_period[entry.period] += entry.amount
        if entry.payee in commissioners:
            by_period[entry.period] -= entry.amount
    for row in model.rows:
        period = row["period"]
        assert row["payments_pence"] == by_period[period]
        assert row["returned_risk_pence"] == costs[period, "returned_services"]
        assert row["monitoring_pence"] == (
            costs[period, "contract_management"] + costs[period, "outcome_monitoring"]
        )
        assert row["spend_pence"] == (
            row["payments_pence"]
            + row["returned_risk_pence"]
            + row["monitoring_pence"]
            + row["transaction_pence"]
        )
        assert row["monitoring_pence"] > 0  # every contract costs something to run


# ------------------------------------------------------- failure and returned risk
@pytest.fixture(scope="module")
def charity_fails(default_scenario):
    """A support charity that starts deep in deficit: it must exit."""
    scenario = default_scenario.with_overrides(
        {"economy.periods": 12, "organisations.support_charity.reserves_pence": -(10**12)}
    )
    return HealthEconomyModel(scenario, "status_quo", seed=3).run()


def test_provider_below_its_floor_for_three_periods_exits(charity_fails):
    model = charity_fails
    failures = [e for e in model.events if e["kind"] == "failure"]
    assert [(e["actor"], e["period"]) for e in failures] == [("support_charity", 2)]
    assert model.orgs["support_charity"].failed
    assert sum(p.failed for p in model.providers) == 1


def test_failed_providers_lines_stop_being_paid(charity_fails):
    model = charity_fails
    after = [e for e in model.ledger if e.period > 2]
    assert after
    assert not [e for e in after if "support_charity" in (e.payer, e.payee)]
    assert [e for e in model.ledger if e.period <= 2 and e.payee == "support_charity"]


def test_commissioner_carries_the_returned_risk_at_a_premium(charity_fails):
    model = charity_fails
    unit_cost = model.economy.by_name["social_support_contacts"].unit_cost_pence
    for row in model.rows:
        activity = row["activity__social_support_contacts"]
        if row["period"] <= 2:
            assert row["returned_risk_pence"] == 0
        else:
            # the council runs the failed charity's service at unit cost x 1.1
            assert activity > 0
            assert row["returned_risk_pence"] == round(unit_cost * activity * RETURNED_RISK_PREMIUM)
    council = model.orgs["council"]
    assert council.returned_risk > 0
    assert isinstance(council, Commissioner)


def test_a_failed_lead_takes_its_contract_down_to_the_status_quo(default_scenario):
    scenario = default_scenario.with_overrides(
        {"economy.periods": 8, "organisations.community_trust.reserves_pence": -(10**13)}
    )
    model = HealthEconomyModel(scenario, "lead_provider", seed=3)
    assert any(c.subcontracts for c in model.contracts)
    model.run()
    assert model.orgs["community_trust"].failed
    assert not model.at_distance  # no commissioner pays through a lead any more
    assert not any(c.subcontracts for c in model.contracts)
    assert all("community_trust" not in c.members for c in model.contracts)
    late = [e for e in model.ledger if e.period >= 4]
    assert late and all("community_trust" not in (e.payer, e.payee) for e in late)


def test_failed_provider_reports_no_income_or_surplus_after_it_exits(charity_fails):
    for row in charity_fails.rows:
        if row["period"] > 2:
            assert row["income_pence__support_charity"] == 0
            assert row["surplus_pence__support_charity"] == 0


def test_surplus_rows_add_up_to_the_change_in_reserves_of_a_failed_provider(charity_fails):
    provider = charity_fails.orgs["support_charity"]
    total = sum(r["surplus_pence__support_charity"] for r in charity_fails.rows)
    assert provider.spec.reserves_pence + total == provider.reserves


@pytest.mark.parametrize("name", MODELS)
def test_surplus_rows_add_up_to_the_change_in_reserves(short_scenario, name):
    model = HealthEconomyModel(short_scenario, name, seed=6).run()
    for provider in model.providers:
        if provider.failed:
            continue
        total = sum(r[f"surplus_pence__{provider.name}"] for r in model.rows)
        assert provider.spec.reserves_pence + total == provider.reserves, provider.name


# --------------------------------------------------------- trust and activation
@pytest.mark.parametrize("name", MODELS)
def test_trust_of_every_organisation_in_every_other_stays_in_unit_interval(short_scenario, name):
    scenario = short_scenario.with_overrides({"trust.turnover": 0.2})
    model = HealthEconomyModel(scenario, name, seed=9)
    while model.running:
        model.step()
        for org in model.orgs.values():
            assert set(org.evidence) == set(model.orgs) - {org.name}
            for other in org.evidence:
                assert 0.0 <= org.trust_in(other) <= 1.0
        for _, _, data in model.network.edges(data=True):
            assert 0.0 <= data["trust"] <= 1.0
        row = model.rows[-1]
        assert 0.0 <= row["min_trust"] <= row["mean_trust"] <= 1.0


def test_network_holds_a_directed_edge_for_every_ordered_pair(short_scenario):
    model = HealthEconomyModel(short_scenario, "status_quo", seed=1)
    n = len(model.orgs)
    assert model.network.number_of_nodes() == n
    assert model.network.number_of_edges() == n * (n - 1)
    assert model.network.edges["icb", "acute_trust"]["trust"] == pytest.approx(0.35)
    assert model.orgs["icb"].trust_in("acute_trust") == pytest.approx(0.35)
    assert model.orgs["community_trust"].trust_in("gp_federation") == pytest.approx(0.6)
    assert model.orgs["icb"].trust_in("community_trust") == pytest.approx(0.5)


@pytest.mark.parametrize("name", ["status_quo", "lead_provider"])
def test_activation_order_does_not_change_the_result(short_scenario, name):
    forward = HealthEconomyModel(short_scenario, name, seed=3).run()
    backward = HealthEconomyModel(short_scenario, name, seed=3)
    backward.providers.reverse()
    backward.run()
    assert forward.rows == backward.rows


def test_alliance_member_puts_in_more_effort_when_its_partners_cooperate(default_scenario):
    """Scripted counterparties: everyone else cooperates fully, or not at all."""
    scenario = default_scenario.with_overrides({"behaviour.effort_cost": 2.0})

    def effort(name: str, partners_cooperate: float) -> float:
        model = HealthEconomyModel(scenario, name, seed=3)
        for org in model.orgs.values():
            org.cooperation = partners_cooperate
        provider = model.orgs["mental_health_trust"]
        provider.decide_effort()
        return provider.effort

    alliance_gap = effort("alliance", 1.0) - effort("alliance", 0.0)
    status_quo_gap = effort("status_quo", 1.0) - effort("status_quo", 0.0)
    assert 0.0 < effort("alliance", 0.0) < effort("alliance", 1.0) < 1.0
    # reciprocity exists only where payoffs are tied (the alliance), so it responds more
    assert alliance_gap > status_quo_gap


# ------------------------------------------------------------ finite outputs
EXTREMES = {
    "demand_explodes": {
        "economy.demand_trend": 0.5,
        "economy.noise": 0.5,
        "economy.shock_hazard": 1.0,
        "economy.shock_size": 2.0,
    },
    "no_trust": {"trust.initial": 0.0, "trust.commissioner_provider": 0.0},
    "full_trust": {"trust.initial": 1.0, "trust.commissioner_provider": 1.0},
    "tiny_population": {"economy.population": 1, "economy.noise": 0.5},
    "free_effort_no_memory": {"behaviour.effort_cost": 1e-6, "trust.forgetting": 0.0},
}


@pytest.mark.parametrize("case", EXTREMES)
def test_outputs_stay_finite_under_extreme_parameters(short_scenario, case):
    result = run_replication(short_scenario.with_overrides(EXTREMES[case]), seed=5)
    assert len(result.runs) == len(MODELS)
    for row in result.runs + result.periods:
        for key, value in row.items():
            if isinstance(value, float):
                assert math.isfinite(value), (case, row.get("contract_model"), key)
    for row in result.periods:
        assert 0.0 <= row["outcome_true"] <= 1.0
        assert 0.0 <= row["outcome_reported"] <= 1.0
        assert 0.0 <= row["min_trust"] <= row["mean_trust"] <= 1.0
    assert all(type(e["amount"]) is int and e["amount"] > 0 for e in result.ledger)


# ------------------------------------------- the fast path of the decision rule
@pytest.mark.parametrize("name", MODELS)
def test_marginal_returns_equal_the_reference_incentive_rule(default_scenario, name):
    """The model prices effort from per-line margins prepared once per contract set;
    it must give what ``incentives.marginal_profit`` gives on the same line shifts,
    for every provider, in every period (including after yearly refreshes)."""
    from alliancesim.agents.incentives import marginal_profit

    model = HealthEconomyModel(default_scenario.with_overrides({"economy.periods": 30}), name, 4)
    checked = 0
    while model.running:
        for provider in model.providers:
            if provider.failed:
                continue
            profit, system, slope, _ = model.marginal_returns(provider)
            shifts, reference_slope = choices.effort_shifts(model, provider)
            view = model.views[provider.name]
            expected = marginal_profit(provider.name, view, shifts, model.above_baseline)
            assert profit == pytest.approx(expected, rel=1e-9, abs=1e-6)
            assert system == pytest.approx(-sum(s.units * s.unit_cost for s in shifts), rel=1e-9)
            assert slope == reference_slope
            checked += 1
        model.step()
    assert checked >= 30 * 5


# ------------------------------------- negotiated contracts: governance and costs
@pytest.fixture(scope="module")
def negotiated_runs(default_scenario):
    """The default alliance negotiated at high trust (so it is agreed, with governance)
    and the mental health alliance case: members overspend and ask partners to cover,
    disputes cost advisers' time, the envelope is rebargained on the demand trigger."""
    from alliancesim.scenario import load_scenario

    trusting = default_scenario.with_overrides(
        {
            "contract_models.alliance.negotiate": True,
            "trust.initial": 0.85,
            "economy.periods": 48,
        }
    )
    case_b = load_scenario("mental_health_alliance")
    return [HealthEconomyModel(trusting, "alliance", seed).run() for seed in range(3)] + [
        HealthEconomyModel(case_b, "alliance", seed).run() for seed in range(3)
    ]


def test_money_moved_by_governance_is_in_the_ledger(negotiated_runs):
    covers = [e for m in negotiated_runs for e in m.ledger if e.line_item == "informal_cover"]
    assert covers, "no run had an overspend covered: the test lost its subject"
    for model in negotiated_runs:
        assert not check_entries(model.ledger)


def test_negotiated_runs_reserves_are_initial_plus_surplus_rows(negotiated_runs):
    """Negotiation, rebargaining and dispute costs and informal covers all show in the
    period rows, so a provider's surplus rows add up to the change in its reserves."""
    for model in negotiated_runs:
        for provider in model.providers:
            if provider.failed:
                continue
            total = sum(r[f"surplus_pence__{provider.name}"] for r in model.rows)
            assert provider.spec.reserves_pence + total == provider.reserves


def test_transaction_costs_in_the_rows_add_up_to_the_run_total(negotiated_runs):
    for model in negotiated_runs:
        rows = model.rows
        assert rows[0]["transaction_pence"] > 0  # the negotiation, reported with period 0
        assert (
            sum(r["transaction_pence"] + r["monitoring_pence"] for r in rows)
            == model.totals["transaction"]
        )
