"""Priors as arrays over replications (issue 14): an ensemble whose replications differ
in their prior values, each the agent model's run of its own scenario.

``run_many(scenario, model, seeds, priors={key: values})`` must give, for seed r, what
``HealthEconomyModel(scenario.with_overrides({k: v[r]}), model, seed).run()`` gives:
rows, events, totals, the exit log, reserves and debts (``equivalence.compare``, the same
check and tolerances as ``test_ensemble.py``). Every numeric prior varies at once, drawn
in its plausible range; short runs keep it quick.
"""

from __future__ import annotations

import numpy as np
import pytest
from alliancesim.model.elementwise import per_row, same_values
from alliancesim.model.ensemble import runs
from alliancesim.model.ensemble.engine import EnsembleModel
from alliancesim.model.ensemble.equivalence import compare, main, random_priors
from alliancesim.model.ensemble.priors import prior_arrays
from alliancesim.model.ensemble.runs import agreements_for, run_key, run_many
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.scenario import PRIOR_FIELDS, ScenarioError, load_preset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CASES = [
    ("default", "alliance", 8),  # 8 replications = 8 organisations: a prior broadcast
    ("default", "status_quo", 8),  # along the organisation axis instead would not fail
    ("default", "outcomes_based", 6),
    ("default", "lead_provider", 6),
    ("mental_health_alliance", "alliance", 6),
    ("over65s_alliance", "alliance_overlay", 6),
    ("small_economy", "alliance", 5),  # 5 organisations
]


def short(preset: str, periods: int = 24):
    return load_preset(preset).with_overrides({"economy.periods": periods})


@pytest.mark.parametrize(("preset", "model", "size"), CASES, ids=[f"{p}-{m}" for p, m, _ in CASES])
def test_each_replication_runs_its_own_priors_as_the_agent_model_does(preset, model, size):
    scenario = short(preset, 36 if preset == "default" and model == "alliance" else 24)
    priors = random_priors(size, seed=size + len(model))
    found, departures = compare(scenario, model, range(1, size + 1), priors=priors)
    assert found == []
    assert len(departures) < size  # some stayed in the ensemble: the arrays were stepped


def test_the_priors_change_the_runs():
    """The check above compares like with like: without each replication's own values
    the runs would differ (so the arrays reach the rules)."""
    scenario = short("default")
    priors = random_priors(4)
    with_priors = run_many(scenario, "alliance", range(1, 5), priors=priors)
    shared = run_many(scenario, "alliance", range(1, 5))
    for own, common in zip(with_priors.runs, shared.runs, strict=True):
        assert own.rows != common.rows


def test_the_ensemble_holds_each_varying_prior_as_an_array():
    scenario = load_preset("small_economy")
    priors = {
        "behaviour.effort_cost": np.array([0.1, 0.2, 0.25]),
        "behaviour.contract_management_pence": [1_000_000, 2_500_000, 2_500_000],
        "economy.max_shift": [0.4, 0.4, 0.4],  # the same everywhere: one number
        "behaviour.reciprocity_weight": [0, 1, 0.5],  # ints for a float prior
    }
    model = EnsembleModel(scenario, "status_quo", [1, 2, 3], priors=priors)
    behaviour = model.scenario_spec.behaviour
    assert behaviour.effort_cost.tolist() == [0.1, 0.2, 0.25]
    assert behaviour.contract_management_pence.dtype == np.int64
    assert behaviour.contract_management_pence.tolist() == [1_000_000, 2_500_000, 2_500_000]
    assert behaviour.reciprocity_weight.dtype == np.float64
    assert model.scenario_spec.economy.max_shift == 0.4
    assert isinstance(model.scenario_spec.economy.max_shift, float)
    assert behaviour.gaming_max == scenario.behaviour.gaming_max  # not varied: as it was


def test_each_finished_run_carries_its_own_scenario():
    scenario = short("small_economy")
    priors = {"behaviour.effort_cost": [0.1, 0.2], "economy.max_shift": [0.3, 0.5]}
    many = run_many(scenario, "alliance", [1, 2], priors=priors)
    for r, run in enumerate(many.runs):
        assert run.scenario_spec.behaviour.effort_cost == priors["behaviour.effort_cost"][r]
        assert run.scenario_spec.economy.max_shift == priors["economy.max_shift"][r]


def test_each_replication_negotiates_under_its_own_scenario():
    """The parties' risk aversion in the talks comes from the priors: replications with
    other values may reach other agreements, each the agent model's."""
    scenario = short("mental_health_alliance")
    seeds = list(range(1, 7))
    priors = random_priors(len(seeds), seed=3)
    agreements = agreements_for(
        scenario, "alliance", seeds, prior_arrays(scenario, priors, len(seeds))
    )
    for r, seed in enumerate(seeds):
        own = scenario.with_overrides({k: v[r] for k, v in priors.items()})
        agent = HealthEconomyModel(own, "alliance", seed, record_ledger=False)
        assert run_key(agreements[r]) == run_key(agent.agreement)
        assert agreements[r].events == agent.agreement.events
    many = run_many(scenario, "alliance", seeds, priors=priors)
    assert many.groups == len({run_key(a) for a in agreements}) > 1


def test_replications_failing_together_keep_their_own_priors(monkeypatch):
    """Replications that leave at the same failure are stepped again together, with
    their subset of the prior values, and still match the agent model."""
    scenario = short("default", 36).with_overrides(
        {"organisations.gp_federation.reserves_pence": 2_000_000}  # it fails early, often
    )
    seeds = list(range(1, 13))
    priors = random_priors(len(seeds), seed=5)
    monkeypatch.setattr(runs, "MIN_REGROUPED", 2)
    many = run_many(scenario, "lead_provider", seeds, priors=priors)
    assert many.ensembles > many.groups  # some left together and were stepped again
    found, _ = compare(scenario, "lead_provider", seeds, priors=priors)
    assert found == []


def test_a_key_that_is_not_a_prior_is_refused_naming_the_allowed_keys():
    with pytest.raises(ValueError, match="'behaviour.effort' is not a prior; allowed: .*") as e:
        run_many(
            load_preset("small_economy"), "status_quo", [1, 2], priors={"behaviour.effort": [1, 2]}
        )
    assert "behaviour.effort_cost" in str(e.value) and "economy.max_shift" in str(e.value)
    with pytest.raises(ValueError, match="'trust.initial' is not a prior"):
        EnsembleModel(
            load_preset("small_economy"), "status_quo", [1], priors={"trust.initial": [0.5]}
        )


def test_values_not_one_a_replication_are_refused():
    with pytest.raises(
        ValueError,
        match=r"'behaviour.effort_cost' needs one value a replication \(3\), got 2 values",
    ):
        run_many(
            load_preset("small_economy"),
            "status_quo",
            [1, 2, 3],
            priors={"behaviour.effort_cost": [0.1, 0.2]},
        )
    with pytest.raises(ValueError, match="got text"):
        run_many(
            load_preset("small_economy"),
            "status_quo",
            [1, 2, 3],
            priors={"behaviour.effort_cost": "abc"},
        )


def test_a_bad_value_raises_the_scenarios_own_error():
    scenario = load_preset("small_economy")
    with pytest.raises(ScenarioError, match="behaviour.effort_cost.*greater than 0"):
        run_many(scenario, "status_quo", [1, 2], priors={"behaviour.effort_cost": [0.1, -0.5]})
    with pytest.raises(ScenarioError, match="behaviour.contract_management_pence"):
        run_many(
            scenario, "status_quo", [1, 2], priors={"behaviour.contract_management_pence": [1, 1.5]}
        )


def test_a_negotiated_ensemble_needs_each_replications_agreement():
    with pytest.raises(ValueError, match="negotiated.*agreements_for"):
        EnsembleModel(
            load_preset("mental_health_alliance"),
            "alliance",
            [1, 2],
            priors={"behaviour.effort_cost": [0.1, 0.2]},
        )


def test_the_check_command_runs_with_priors(capsys):
    args = ["--presets", "small_economy", "--models", "status_quo", "--seeds", "3", "--priors"]
    assert main(args) == 0
    assert "small_economy / status_quo: identical" in capsys.readouterr().out


def test_a_prior_meets_a_matrix_along_the_replication_axis():
    """``per_row``: an (R,) prior against (R, n, n) matrices broadcasts by replication
    (with R == n a plain (R,) array would silently run along the organisations)."""
    prior = np.array([1.0, 2.0, 3.0])
    matrix = np.zeros((3, 3, 3))
    assert (matrix + per_row(prior, 2))[:, 0, 0].tolist() == [1.0, 2.0, 3.0]
    assert (matrix + prior)[:, 0, 0].tolist() == [1.0, 1.0, 1.0]  # what it guards against
    assert per_row(0.5, 2) == 0.5


def test_a_cache_key_of_arrays_compares_every_element():
    assert same_values((0.4, 0.5), (0.4, 0.5)) and not same_values((0.4,), (0.5,))
    assert same_values((np.array([0.1, 0.2]), 0.3), (np.array([0.1, 0.2]), 0.3))
    assert not same_values((np.array([0.1, 0.2]),), (np.array([0.1, 0.25]),))


def test_random_priors_cover_every_prior_within_its_range():
    priors = random_priors(5)
    assert set(priors) == set(PRIOR_FIELDS)
    for key, values in priors.items():
        spec, name = PRIOR_FIELDS[key]
        low, high = spec.model_fields[name].json_schema_extra["prior_range"]
        assert len(values) == 5 and all(low <= v <= high for v in values)
        assert len(set(values)) > 1
    assert random_priors(5) == priors  # a fixed seed


@st.composite
def prior_values(draw, size):
    priors = {}
    for key, (spec, name) in sorted(PRIOR_FIELDS.items()):
        field = spec.model_fields[name]
        low, high = field.json_schema_extra["prior_range"]
        values = (
            st.integers(int(low), int(high))
            if field.annotation is int
            else st.floats(low, high, allow_nan=False)
        )
        priors[key] = draw(st.lists(values, min_size=size, max_size=size))
    return priors


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=st.sampled_from(
        [
            ("default", "alliance"),
            ("default", "outcomes_based"),
            ("small_economy", "lead_provider"),
            ("salford_alliance_prime", "status_quo"),
            ("mental_health_alliance", "alliance"),
        ]
    ),
    data=st.data(),
)
def test_the_engines_agree_on_any_prior_values(case, data):
    preset, model = case
    scenario = short(preset)
    priors = data.draw(prior_values(4))
    found, _ = compare(scenario, model, (5, 6, 7, 8), priors=priors)
    assert found == []
