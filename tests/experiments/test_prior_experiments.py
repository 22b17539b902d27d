"""The prior-sensitivity experiment files (docs/sensitivity.md) load, validate and plan.

Planning only: no run here, so the tests stay fast.
"""

import pytest
from alliancesim.experiments.experiment import (
    expand,
    load_experiment,
    load_experiment_scenario,
)
from cli_helpers import EXAMPLES, commands_app
from cli_helpers import invoke as _invoke


@pytest.fixture
def app():
    return commands_app()


ALLIANCE = ["status_quo", "alliance"]
OTHERS = ["status_quo", "lead_provider", "outcomes_based"]


@pytest.mark.parametrize(
    "name,method,n_params,points,reps,models",
    [
        # Morris: trajectories x (parameters + 1)
        ("morris_priors.toml", "morris", 14, 50 * 15, 4, ALLIANCE),
        ("morris_priors_other_models.toml", "morris", 13, 40 * 14, 3, OTHERS),
        # Sobol without second order: base sample x (parameters + 2)
        ("sobol_priors.toml", "sobol", 5, 512 * 7, 2, ALLIANCE),
    ],
)
def test_prior_experiment_files_validate_and_plan_the_expected_points(
    name, method, n_params, points, reps, models
):
    experiment = load_experiment(EXAMPLES / name)
    assert experiment.sampling.method == method
    assert len(experiment.sampling.bounds) == n_params
    assert experiment.experiment.models == models
    planned = expand(experiment)
    assert len(planned) == points == experiment.count_points()
    assert experiment.count_runs() == points * reps
    # every point is a valid scenario (raises ScenarioError naming the key otherwise)
    load_experiment_scenario(experiment)
    for key, (low, high) in experiment.sampling.bounds.items():
        # the samplers rescale from [0, 1], so an end may be off by a rounding error
        assert all(low - 1e-12 <= point[key] <= high + 1e-12 for point in planned)


def test_sobol_priors_are_a_subset_of_the_morris_priors_with_the_same_ranges():
    morris = load_experiment(EXAMPLES / "morris_priors.toml").sampling.bounds
    sobol = load_experiment(EXAMPLES / "sobol_priors.toml").sampling.bounds
    assert {key: morris[key] for key in sobol} == sobol


@pytest.mark.parametrize(
    "name,count",
    [("morris_priors.toml", "750 points x 4"), ("sobol_priors.toml", "3584 points x 2")],
)
def test_dry_run_prints_the_planned_count(app, tmp_path, monkeypatch, name, count):
    monkeypatch.chdir(tmp_path)
    result = _invoke(app, ["sweep", EXAMPLES / name, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert count in result.output
    assert not any(tmp_path.iterdir())


def test_dry_run_rejects_a_point_the_scenario_rejects(app, tmp_path):
    # A misspelt key used to pass --dry-run and fail only when the sweep started.
    text = (EXAMPLES / "morris_priors.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('"trust.forgetting"', '"trust.forgeting"'), encoding="utf-8")
    result = _invoke(app, ["sweep", bad, "--dry-run"])
    assert result.exit_code == 2, result.output
    assert "trust.forgeting" in result.output
    assert "Traceback" not in result.output


def test_sensitivity_help_names_the_sampling_table(app):
    # Rich read "[sampling]" as markup and printed "Experiment TOML with , or a sweep DIR".
    result = _invoke(app, ["sensitivity", "--help"])
    assert result.exit_code == 0
    assert "TOML with [sampling]" in result.output
