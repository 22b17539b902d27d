import pytest
from alliancesim.experiments.experiment import (
    ExperimentError,
    expand,
    load_experiment,
    parse_experiment,
    sample_matrix,
)
from alliancesim.experiments.runner import load_results, run_experiment
from cli_helpers import EXAMPLES
from experiment_fakes import FakeScenario, fake_replication


def _exp(**sections):
    raw = {"experiment": {"name": "t", "replications": 2, "seed": 1}}
    for key, value in sections.items():
        if key == "experiment":
            raw["experiment"].update(value)
        else:
            raw[key] = value
    return raw


def test_factorial_lists_and_ranges_expand_to_every_combination():
    experiment = parse_experiment(
        _exp(
            parameters={
                "trust.initial": [0.3, 0.6],
                "economy.demand_trend": {"min": 0.0, "max": 0.04, "steps": 3},
                "behaviour.gaming_max": 0.1,
            }
        )
    )
    points = expand(experiment)
    assert len(points) == 6 == experiment.count_points()
    assert points[0] == {
        "behaviour.gaming_max": 0.1,
        "trust.initial": 0.3,
        "economy.demand_trend": 0.0,
    }
    assert [p["economy.demand_trend"] for p in points[:3]] == [0.0, 0.02, 0.04]
    assert experiment.count_runs() == 12


def test_list_valued_parameter_is_swept_by_a_list_of_lists():
    experiment = parse_experiment(_exp(parameters={"a.withhold_by_year": [[0.0, 0.1], [0.0, 0.2]]}))
    assert [p["a.withhold_by_year"] for p in expand(experiment)] == [[0.0, 0.1], [0.0, 0.2]]


@pytest.mark.parametrize(
    "method,count", [("sobol", 8 * 4), ("morris", 8 * 3), ("latin_hypercube", 8)]
)
def test_sampled_designs_are_deterministic_and_within_bounds(method, count):
    raw = _exp(
        sampling={
            "method": method,
            "n": 8,
            "bounds": {"trust.initial": [0.2, 0.9], "economy.demand_trend": [0, 0.1]},
        }
    )
    experiment = parse_experiment(raw)
    points = expand(experiment)
    assert len(points) == count == experiment.count_points()
    assert (sample_matrix(experiment) == sample_matrix(parse_experiment(raw))).all()
    assert all(0.2 <= p["trust.initial"] <= 0.9 for p in points)


@pytest.mark.parametrize(
    "raw,key,allowed",
    [
        (_exp(experiment={"replicatons": 3}), "experiment.replicatons", "replications"),
        (_exp(experiment={"replications": 0}), "experiment.replications", ">= 1"),
        (_exp(experiment={"ledger": "some"}), "experiment.ledger", "'sample'"),
        (
            _exp(sampling={"method": "grid", "n": 4, "bounds": {"a": [0, 1]}}),
            "sampling.method",
            "'sobol'",
        ),
        (_exp(sampling={"method": "sobol", "n": 10, "bounds": {"a": [0, 1]}}), "sampling", "16"),
        (_exp(parameters={"a": {"min": 1, "max": 0, "steps": 3}}), "parameters", "below min"),
        (_exp(bogus={}), "bogus", "experiment, parameters, sampling"),
    ],
)
def test_bad_experiment_names_key_value_and_allowed(raw, key, allowed):
    with pytest.raises(ExperimentError) as info:
        parse_experiment(raw, source="x.toml")
    message = str(info.value)
    assert message.startswith("x.toml: key '" + key)
    assert allowed in message


def test_missing_seed_is_an_error_not_a_hidden_default():
    raw = {"experiment": {"name": "t", "replications": 2}}
    with pytest.raises(ExperimentError, match="experiment.seed"):
        parse_experiment(raw, source="x.toml")


def test_malformed_toml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[experiment\nname=")
    with pytest.raises(ExperimentError, match="malformed TOML"):
        load_experiment(bad)
    with pytest.raises(ExperimentError, match="file not found"):
        load_experiment(tmp_path / "nope.toml")


@pytest.mark.parametrize("name", ["trust_withhold.toml", "sobol_drivers.toml"])
def test_example_files_load(name):
    experiment = load_experiment(EXAMPLES / name)
    assert experiment.count_runs() == len(expand(experiment)) * experiment.experiment.replications


def test_run_experiment_tags_runs_with_their_parameters(tmp_path):
    experiment = parse_experiment(_exp(parameters={"trust.initial": [0.2, 0.8]}))
    summary = run_experiment(
        experiment,
        tmp_path / "o",
        scenario=FakeScenario(),
        replicate=fake_replication,
        progress=False,
    )
    assert summary.n_ok == 4
    runs = load_results(tmp_path / "o").runs
    assert sorted(runs["param.trust.initial"].unique()) == [0.2, 0.8]
    assert load_results(tmp_path / "o").manifest["experiment"]["experiment"]["name"] == "t"


def test_a_point_the_scenario_rejects_writes_nothing(tmp_path):
    experiment = parse_experiment(_exp(parameters={"no.such.key": [1, 2]}))
    with pytest.raises(ValueError, match="unknown keys"):
        run_experiment(
            experiment,
            tmp_path / "o",
            scenario=FakeScenario(),
            replicate=fake_replication,
            progress=False,
        )
    assert not (tmp_path / "o").exists()
