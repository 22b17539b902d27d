"""The economy and the delivery stage over R replications at once (issue 14).

An economy built on ``EnsembleStreams([1, 2, 3, 4])`` and driven with the inputs four
agent-model runs (seeds 1 to 4) gave their economies, stacked into arrays, must give in
each replication, period by period and bit for bit, what that run's economy gave: the
need drawn, the expected need, the shock count, the integration, every field of the
delivery, the re-plan and the plan. The delivery stage's rules (costs in whole pence, the
true outcome, the work shares) on arrays must give, row by row, what they give on each
row's numbers.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from alliancesim.model.economy import (
    HealthEconomy,
    min_headroom,
    shift_fraction,
    shift_sensitivity,
)
from alliancesim.model.elementwise import count, exp, least
from alliancesim.model.ensemble.streams import EnsembleStreams
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.model.stages import care_delivery
from alliancesim.model.stages.demand_draw import SHOCK_LENGTH_PERIODS, shock_periods_left
from alliancesim.scenario import ShockSpec, load_preset
from hypothesis import given, settings
from hypothesis import strategies as st

SEEDS = [1, 2, 3, 4]
RECORDED = ("draw_demand", "advance_integration", "deliver", "replan")


def bits(value) -> list[int]:
    """The float64 bit patterns (signed zeros and NaN payloads told apart)."""
    return np.asarray(value, dtype=np.float64).reshape(-1).view(np.int64).tolist()


def assert_rows(together, alone: list) -> None:
    """Row r of ``together`` (an array (R,) or a value common to all) is ``alone[r]``."""
    together = np.broadcast_to(np.asarray(together, dtype=np.float64), (len(alone),))
    assert bits(together) == bits([float(a) for a in alone])


def with_shocks():
    """The default preset with frequent random demand shocks and a scheduled demand shock
    and cost shock, so shocks start and end at different periods in different seeds."""
    scenario = load_preset("default")
    economy = scenario.economy
    shiftable = economy.service_lines[0].name
    receiving = economy.service_lines[-1].name
    shocks = (
        ShockSpec(name="flu", kind="demand", lines=(shiftable,), size=0.25, start_month=5),
        ShockSpec(
            name="wages", kind="cost", lines=(receiving,), size=0.1, start_month=9, end_month=40
        ),
    )
    economy = economy.model_copy(update={"shock_hazard": 0.2, "shocks": shocks})
    return scenario.model_copy(update={"economy": economy})


SCENARIOS = {
    "default": lambda: load_preset("default"),
    "small_economy": lambda: load_preset("small_economy"),
    "older_people_lead_bid": lambda: load_preset("older_people_lead_bid"),  # a cost shock
    "default with shocks": with_shocks,
}


def recorded_run(scenario, contract_model: str, seed: int) -> list[tuple]:
    """Run the agent model, recording each call to its economy's drawing, integration,
    delivery and re-plan: (method, inputs, what the economy held or returned after)."""
    model = HealthEconomyModel(scenario, contract_model, seed, record_ledger=False)
    economy = model.economy
    calls: list[tuple] = []

    def draw_demand(period, _draw=economy.draw_demand):
        demand = _draw(period)
        after = (dict(demand), economy.expected_shiftable_need, economy.shock_left)
        calls.append(("draw_demand", (period,), after))
        return demand

    def advance_integration(effort, _advance=economy.advance_integration):
        result = _advance(effort)
        calls.append(("advance_integration", (effort,), result))
        return result

    def deliver(period, demand, cooperation, push, capacity, quality, let_go_floor):
        inputs = (period, dict(demand), dict(cooperation), dict(push), dict(capacity))
        delivery = HealthEconomy.deliver(
            economy, period, demand, cooperation, push, capacity, quality, let_go_floor
        )
        plan = dict(economy.plan_for(period))
        calls.append(("deliver", (*inputs, quality, let_go_floor), (delivery, plan)))
        return delivery

    def replan(activity, planned, _replan=economy.replan):
        _replan(activity, planned)
        after = {line.name: line.planned_per_year for line in economy.lines}
        calls.append(("replan", (dict(activity), dict(planned)), after))

    economy.draw_demand = draw_demand
    economy.advance_integration = advance_integration
    economy.deliver = deliver
    economy.replan = replan
    model.run()
    return calls


def stacked(values: list):
    """One array (R,) of the replications' values; a dict of such arrays for dicts."""
    if isinstance(values[0], dict):
        return {key: np.array([v[key] for v in values]) for key in values[0]}
    return np.array(values)


def replay(scenario, runs: list[list[tuple]]) -> int:
    """Drive one economy over every seed at once with the runs' stacked inputs and compare
    each result with each run's own. Returns how many calls were compared."""
    economy = HealthEconomy(scenario.economy, EnsembleStreams(SEEDS))
    assert {len(calls) for calls in runs} == {len(runs[0])}
    for step in zip(*runs, strict=True):
        method = {call[0] for call in step}
        assert len(method) == 1, "the runs called their economies in different orders"
        method = method.pop()
        inputs = [call[1] for call in step]
        after = [call[2] for call in step]
        if method == "draw_demand":
            (period,) = {i[0] for i in inputs}
            demand = economy.draw_demand(period)
            for name, units in demand.items():
                assert_rows(units, [a[0][name] for a in after])
            assert_rows(economy.expected_shiftable_need, [a[1] for a in after])
            assert np.broadcast_to(economy.shock_left, (len(SEEDS),)).tolist() == [
                a[2] for a in after
            ]
            assert np.asarray(economy.shock_left).dtype == np.int64
            drawn = demand
        elif method == "advance_integration":
            integration = economy.advance_integration(stacked([i[0] for i in inputs]))
            assert_rows(integration, after)
            assert_rows(economy.integration, after)
        elif method == "deliver":
            (period,) = {i[0] for i in inputs}
            (floor,) = {i[6] for i in inputs}
            for name, units in stacked([i[1] for i in inputs]).items():
                assert_rows(drawn[name], units.tolist())  # the need drawn is what is delivered
            delivery = economy.deliver(
                period,
                drawn,
                stacked([i[2] for i in inputs]),
                stacked([i[3] for i in inputs]),
                stacked([i[4] for i in inputs]),
                stacked([i[5] for i in inputs]),
                floor,
            )
            alone = [a[0] for a in after]
            for name in delivery.activity:
                assert_rows(delivery.activity[name], [d.activity[name] for d in alone])
                assert_rows(delivery.demand[name], [d.demand[name] for d in alone])
            assert_rows(delivery.avoided, [d.avoided for d in alone])
            assert_rows(delivery.outcome_true, [d.outcome_true for d in alone])
            assert_rows(delivery.overload, [d.overload for d in alone])
            plan = economy.plan_for(period)
            for name, units in plan.items():
                assert_rows(units, [a[1][name] for a in after])
        else:
            economy.replan(stacked([i[0] for i in inputs]), stacked([i[1] for i in inputs]))
            for line in economy.lines:
                assert_rows(line.planned_per_year, [a[line.name] for a in after])
    return len(runs[0])


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_one_economy_over_four_seeds_is_each_seeds_economy(name):
    scenario = SCENARIOS[name]()
    integration_differed = False
    for contract_model in scenario.contract_models:
        runs = [recorded_run(scenario, contract_model, seed) for seed in SEEDS]
        calls = replay(scenario, runs)
        periods = scenario.economy.periods
        assert calls >= 3 * periods  # drawn, integrated and delivered every period
        # the replications did differ: otherwise an array of one value would pass
        first = [next(call[2][0] for call in run if call[0] == "draw_demand") for run in runs]
        assert len({tuple(demand.values()) for demand in first}) == len(SEEDS)
        paths = {tuple(call[2] for call in run if call[0] == "advance_integration") for run in runs}
        integration_differed |= len(paths) == len(SEEDS)
    assert integration_differed


def test_the_shocks_differ_between_seeds_and_replans_become_arrays():
    """The stacked replay above is only a test if replications really differ in the
    shock count and the plan; this pins that they do for the shocked scenario."""
    scenario = with_shocks()
    economy = HealthEconomy(scenario.economy, EnsembleStreams(SEEDS))
    lefts = []
    for period in range(24):
        economy.draw_demand(period)
        lefts.append(np.asarray(economy.shock_left).copy())
    assert any(len(set(left.tolist())) > 1 for left in lefts)
    assert all(left.shape == (len(SEEDS),) for left in lefts)
    names = [line.name for line in economy.lines]
    activity = {n: np.array([10.0, 12.0, 8.0, 30.0]) for n in names}
    planned = {n: 10.0 for n in names}
    before = {line.name: line.planned_per_year for line in economy.lines}
    economy.replan(activity, planned)
    for line in economy.lines:
        assert bits(line.planned_per_year) == bits(
            [before[line.name] * f for f in (1.0, 12.0 / 10.0, 8.0 / 10.0, 1.5)]
        )
    plan = economy.plan_for(24)
    assert all(np.shape(units) == (len(SEEDS),) for units in plan.values())


def test_a_zero_plan_is_not_replanned_in_the_replications_where_it_is_zero():
    scenario = load_preset("small_economy")
    economy = HealthEconomy(scenario.economy, None)
    line = economy.lines[0]
    start = line.planned_per_year
    economy.replan({line.name: np.array([5.0, 5.0])}, {line.name: np.array([0.0, 10.0])})
    assert bits(line.planned_per_year) == bits([start, start * 0.5])


# ------------------------------------------------------------ the pure rules


UNIT = st.floats(0.0, 1.0)
WIDE = st.floats(-2.0, 3.0, allow_nan=False)
R = st.integers(1, 6)


@settings(max_examples=60, deadline=None)
@given(st.lists(WIDE, min_size=1, max_size=6))
def test_shift_fraction_and_sensitivity_are_the_float_rules_row_by_row(integration):
    spec = load_preset("default").economy
    together = np.array(integration)
    assert_rows(shift_fraction(together, spec), [shift_fraction(i, spec) for i in integration])
    assert_rows(
        shift_sensitivity(together, spec), [shift_sensitivity(i, spec) for i in integration]
    )
    assert_rows(exp(together), [math.exp(i) for i in integration])


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=5), R)
def test_least_is_min_row_by_row(values, size):
    rows = [[v * (r + 1) - r for v in values] for r in range(size)]
    columns = [np.array(column) for column in zip(*rows, strict=True)]
    assert_rows(least(columns), [min(row) for row in rows])


@given(st.lists(st.lists(st.booleans(), min_size=3, max_size=3), max_size=5))
def test_count_is_the_number_of_flags_row_by_row(flags):
    together = count([np.array(f) for f in flags] + [True])
    assert np.broadcast_to(together, (3,)).tolist() == [
        sum(1 for f in [*(row[r] for row in flags), True] if f) for r in range(3)
    ]
    assert count([True, False, True]) == 2 and type(count([True])) is int


@given(
    st.lists(st.integers(0, 3), min_size=1, max_size=6),
    st.lists(st.floats(0.0, 50.0), min_size=1, max_size=6),
)
def test_the_shock_count_is_the_int_rule_row_by_row(lefts, draws):
    size = min(len(lefts), len(draws))
    lefts, draws = lefts[:size], [d / 50.0 for d in draws[:size]]
    together = shock_periods_left(np.array(lefts), np.array(draws), 0.3)
    assert together.dtype == np.int64
    assert together.tolist() == [
        shock_periods_left(a, d, 0.3) for a, d in zip(lefts, draws, strict=True)
    ]
    # a scalar count (no shock yet) against drawn arrays: an array (R,)
    from_zero = shock_periods_left(0, np.array(draws), 0.3)
    assert from_zero.tolist() == [SHOCK_LENGTH_PERIODS if d < 0.3 else 0 for d in draws]


@given(
    st.lists(
        st.tuples(st.floats(-0.5, 1.5), st.integers(0, 4), st.floats(0.0, 0.3)),
        min_size=1,
        max_size=6,
    )
)
def test_true_outcome_is_the_float_rule_row_by_row(cases):
    cases = [*cases, (1.0, 0, 0.0), (0.004, 1, 0.0), (0.999, 0, 0.01)]
    outcome, squeezed, improvement = (np.array(c) for c in zip(*cases, strict=True))
    assert_rows(
        care_delivery.true_outcome(outcome, squeezed, improvement),
        [care_delivery.true_outcome(o, s, i) for o, s, i in cases],
    )


@given(st.lists(st.tuples(UNIT, UNIT, UNIT), min_size=1, max_size=6), UNIT, UNIT, UNIT)
def test_work_shares_are_the_float_rule_row_by_row(cases, spend, outcome_cost, gaming_cost):
    cases = [*cases, (0.42672114373024106, 0.42672114373024106, 0.0)]  # x**2 != x*x
    columns = [np.array(c) for c in zip(*cases, strict=True)]
    together = care_delivery.work_shares(*columns, spend, outcome_cost, gaming_cost)
    alone = [care_delivery.work_shares(*c, spend, outcome_cost, gaming_cost) for c in cases]
    for item in range(3):
        assert_rows(together[item], [a[item] for a in alone])


# ------------------------------------------------------- costs in whole pence


@pytest.fixture(scope="module")
def lead_bid_model():
    """A preset with a scheduled cost shock, at its first period (the shock in force)."""
    model = HealthEconomyModel(
        load_preset("older_people_lead_bid"), "lead_bid", 1, record_ledger=False
    )
    assert model.economy.cost_factors(model.period, model.active_model)  # shock in force
    return model


def cost_view(model, providers, economy, activity):
    view = SimpleNamespace(
        providers=providers,
        economy=economy,
        period=model.period,
        active_model=model.active_model,
        _line_costs=model._line_costs,
        scenario_spec=model.scenario_spec,
        periods_per_year=model.periods_per_year,
    )
    delivery = SimpleNamespace(activity=activity)
    return view, care_delivery.provider_costs(view, delivery)


@settings(max_examples=25, deadline=None)
@given(
    st.data(),
    st.integers(1, 5),
    st.floats(0.5, 1.5),
)
def test_provider_costs_are_each_rows_whole_pence(lead_bid_model, data, size, scale):
    model = lead_bid_model
    names = [line.name for line in model.economy.lines]
    rows = []
    for _ in range(size):
        activity = {n: data.draw(st.floats(0.0, 500.0)) * scale for n in names}
        choices = {
            p.name: data.draw(
                st.tuples(
                    st.sampled_from([0.0, 0.25, 0.6]) | UNIT,
                    st.sampled_from([0.0]) | UNIT,
                    st.sampled_from([0.0]) | UNIT,
                )
            )
            for p in model.providers
        }
        # a re-plan on last year's activity: the plan differs between replications
        ratios = {n: data.draw(st.floats(0.3, 1.8)) for n in names}
        rows.append((activity, choices, ratios))

    def economy_of(ratios):
        economy = HealthEconomy(model.scenario_spec.economy, None)
        economy.replan({n: 100.0 * r for n, r in ratios.items()}, {n: 100.0 for n in names})
        return economy

    def providers_of(choices):
        return [
            SimpleNamespace(
                name=p.name,
                annual_income=p.annual_income,
                effort=choices[p.name][0],
                outcome_effort=choices[p.name][1],
                gaming=choices[p.name][2],
            )
            for p in model.providers
        ]

    alone = [
        cost_view(model, providers_of(c), economy_of(r), a)
        for a, c, r in [(row[0], row[1], row[2]) for row in rows]
    ]
    choices = {
        p.name: tuple(
            np.array(column) for column in zip(*(row[1][p.name] for row in rows), strict=True)
        )
        for p in model.providers
    }
    together_view, together = cost_view(
        model,
        providers_of(choices),
        economy_of(stacked([row[2] for row in rows])),
        stacked([row[0] for row in rows]),
    )
    for name, pence in together.items():
        assert np.asarray(pence).dtype == np.int64
        expected = [costs[name] for _, costs in alone]
        assert all(type(e) is int for e in expected)
        assert np.broadcast_to(pence, (size,)).tolist() == expected
        parts = together_view.period_cost_parts[name]
        for r, (view, _) in enumerate(alone):
            row_parts = view.period_cost_parts[name]
            for key, value in parts.items():
                # a work item a replication does not do is a part of 0.0 there
                assert bits(np.broadcast_to(value, (size,))[r]) == bits(row_parts.get(key, 0.0))
            assert set(row_parts) <= set(parts)


def test_costs_round_half_to_even_as_python_does():
    model = SimpleNamespace(
        providers=[SimpleNamespace(name="p", annual_income=0.0, effort=0, outcome_effort=0)],
        economy=SimpleNamespace(plan_for=lambda period: {}, cost_factors=lambda *a: {}),
        period=0,
        active_model="m",
        _line_costs=[],
        scenario_spec=SimpleNamespace(behaviour=load_preset("default").behaviour),
        periods_per_year=12,
    )
    halves = np.array([0.5, 1.5, 2.5, -0.5, 2.5000000000000004])
    model._line_costs = [("a", "p", 1.0, 0.0)]
    model.economy.plan_for = lambda period: {"a": halves}
    model.providers[0].gaming = 0.0
    costs = care_delivery.provider_costs(model, SimpleNamespace(activity={"a": 0.0}))
    assert costs["p"].tolist() == [round(h) for h in halves.tolist()] == [0, 2, 2, 0, 3]


def test_min_headroom_is_each_rows_tightest_receiving_line():
    scenario = load_preset("default")
    economy = HealthEconomy(scenario.economy, None)
    plan = economy.plan_for(0)
    capacity = {p: np.array([1.0, 1.2, 0.8]) for p in {line.provider for line in economy.lines}}
    demand = {n: np.array([u * 0.9, u * 1.1, u]) for n, u in plan.items()}
    together = min_headroom(economy, 0, demand, capacity)
    alone = [
        min_headroom(
            economy,
            0,
            {n: float(v[r]) for n, v in demand.items()},
            {p: float(v[r]) for p, v in capacity.items()},
        )
        for r in range(3)
    ]
    assert_rows(together, alone)
    assert alone[0] > 0.0 and alone[2] == 0.0  # at 0.8 of plan capacity nothing is free


# ------------------------------------------------- the delivery stage as a whole

ORIGINAL_DELIVER = care_delivery.deliver
ORIGINAL_COSTS = care_delivery.provider_costs
PROVIDER_FIELDS = ("effort", "push", "capacity", "quality", "outcome_effort", "gaming")


def stage_calls(scenario, contract_model: str, seed: int, monkeypatch) -> list[tuple]:
    """Run the agent model, recording what the delivery stage was given and gave."""
    model = HealthEconomyModel(scenario, contract_model, seed, record_ledger=False)
    calls: list[tuple] = []

    def replan(activity, planned, _replan=model.economy.replan):
        calls.append(("replan", (dict(activity), dict(planned))))
        _replan(activity, planned)

    def deliver(model_, demand):
        if model_ is not model:
            return ORIGINAL_DELIVER(model_, demand)
        providers = [
            dict(
                name=p.name,
                failed=p.failed,
                squeezing=dict(p.squeezing),
                annual_income=p.annual_income,
                **{f: getattr(p, f) for f in PROVIDER_FIELDS},
            )
            for p in model.providers
        ]
        joint = care_delivery.joint_effort(model)
        improved = care_delivery.outcome_improvement(model)
        delivery = ORIGINAL_DELIVER(model, demand)
        done = (model.shiftable_plan, model.shiftable_done, model.above_baseline)
        structure = (model.active_model, model.n_failed)
        calls.append(
            ("deliver", (model.period, providers, structure), (delivery, joint, improved, done))
        )
        return delivery

    def provider_costs(model_, delivery):
        costs = ORIGINAL_COSTS(model_, delivery)
        if model_ is model:
            calls.append(("costs", None, (costs, model.period_cost_parts)))
        return costs

    model.economy.replan = replan
    with monkeypatch.context() as patch:
        patch.setattr(care_delivery, "deliver", deliver)
        patch.setattr(care_delivery, "provider_costs", provider_costs)
        model.run()
    return calls


def stacked_providers(snapshots: list[list[dict]]) -> list[SimpleNamespace]:
    providers = []
    for rows in zip(*snapshots, strict=True):
        (name,) = {row["name"] for row in rows}
        (failed,) = {row["failed"] for row in rows}  # the engine never lets these differ
        subs = sorted({sub for row in rows for sub in row["squeezing"]})
        providers.append(
            SimpleNamespace(
                name=name,
                failed=failed,
                squeezing={
                    s: np.array([row["squeezing"].get(s, False) for row in rows]) for s in subs
                },
                annual_income=np.array([row["annual_income"] for row in rows]),
                **{f: np.array([row[f] for row in rows]) for f in PROVIDER_FIELDS},
            )
        )
    return providers


@pytest.mark.parametrize(
    ("name", "contract_model"),
    [
        ("default", "alliance"),
        ("default", "outcomes_based"),  # outcome work moves the true outcome
        ("default", "lead_provider"),  # a lead squeezes its subcontractors
        ("msk_prime_contractor", "prime_contractor"),
        ("small_economy", "status_quo"),
    ],
)
def test_the_delivery_stage_over_four_seeds_is_each_seeds(name, contract_model, monkeypatch):
    """``care_delivery.deliver`` and ``provider_costs`` on a model whose providers hold
    the four runs' choices as arrays and whose economy steps the four seeds together
    give each run's delivery, joint effort, outcome work, activity against plan and
    whole-pence costs, while the runs keep one structure (no failure, no handback)."""
    scenario = load_preset(name)
    assert contract_model in scenario.contract_models
    runs = [stage_calls(scenario, contract_model, seed, monkeypatch) for seed in SEEDS]
    shell = HealthEconomyModel(scenario, contract_model, SEEDS[0], record_ledger=False)
    shell.economy = HealthEconomy(scenario.economy, EnsembleStreams(SEEDS))
    commissioners = {c.name: c for c in shell.commissioners}
    compared = squeezes = improved_somewhere = 0
    delivery = None  # the shell's delivery of the period, for its costs
    for step in zip(*runs, strict=False):
        (kind,) = {call[0] for call in step}
        if kind == "replan":
            shell.economy.replan(stacked([c[1][0] for c in step]), stacked([c[1][1] for c in step]))
            continue
        if kind == "costs":
            costs = ORIGINAL_COSTS(shell, delivery)
            for provider, pence in costs.items():
                assert np.broadcast_to(pence, (len(SEEDS),)).tolist() == [
                    c[2][0][provider] for c in step
                ]
                for key, part in shell.period_cost_parts[provider].items():
                    assert_rows(part, [c[2][1][provider].get(key, 0.0) for c in step])
            continue
        if len({c[1][2] for c in step}) > 1 or step[0][1][2][1]:
            break  # the runs' structures parted (a failure or a handback): the engine splits
        period = step[0][1][0]
        shell.period = period
        shell.providers = stacked_providers([c[1][1] for c in step])
        shell.orgs = {**commissioners, **{p.name: p for p in shell.providers}}
        demand = shell.economy.draw_demand(period)
        joint = care_delivery.joint_effort(shell)
        improved = care_delivery.outcome_improvement(shell)
        delivery = ORIGINAL_DELIVER(shell, demand)
        alone = [c[2] for c in step]
        for i in range(3):
            assert_rows(joint[i], [a[1][i] for a in alone])
        assert_rows(improved, [a[2] for a in alone])
        for line in delivery.activity:
            assert_rows(delivery.activity[line], [a[0].activity[line] for a in alone])
        assert_rows(delivery.avoided, [a[0].avoided for a in alone])
        assert_rows(delivery.outcome_true, [a[0].outcome_true for a in alone])
        assert_rows(delivery.overload, [a[0].overload for a in alone])
        assert_rows(shell.shiftable_plan, [a[3][0] for a in alone])
        assert_rows(shell.shiftable_done, [a[3][1] for a in alone])
        above = np.broadcast_to(shell.above_baseline, (len(SEEDS),))
        assert above.dtype == bool and above.tolist() == [a[3][2] for a in alone]
        squeezes += sum(int(np.any(s)) for p in shell.providers for s in p.squeezing.values())
        improved_somewhere += bool(np.any(np.asarray(improved) != 0.0))
        compared += 1
    assert compared >= 12  # at least a year stepped together
    if contract_model in ("lead_provider", "prime_contractor"):
        assert squeezes > 0  # squeeze flags as arrays were counted
    if contract_model in ("outcomes_based", "prime_contractor"):
        assert improved_somewhere > 0
