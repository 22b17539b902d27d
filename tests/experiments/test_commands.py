import pandas as pd
import pytest
from alliancesim.experiments.experiment import parse_experiment
from alliancesim.experiments.runner import run_experiment
from cli_helpers import EXAMPLES, commands_app
from cli_helpers import invoke as _invoke
from experiment_fakes import FakeScenario, failing_replication, fake_replication


@pytest.fixture
def app():
    return commands_app()


def test_bad_experiment_file_exits_2_with_a_clear_message(app, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[experiment]\nname = "x"\nreplications = -3\nseed = 1\n')
    result = _invoke(app, ["sweep", bad, "--out", tmp_path / "out"])
    assert result.exit_code == 2
    assert "bad.toml: key 'experiment.replications' = -3" in result.output
    assert "allowed: a number >= 1" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_unknown_key_names_the_allowed_keys(app, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[experiment]\nname = "x"\nreplications = 3\nseed = 1\nrepeats = 2\n')
    result = _invoke(app, ["sweep", bad])
    assert result.exit_code == 2
    assert "experiment.repeats" in result.output and "replications" in result.output


def test_missing_file_exits_2(app, tmp_path):
    result = _invoke(app, ["sweep", tmp_path / "nope.toml"])
    assert result.exit_code == 2 and "file not found" in result.output


def test_dry_run_prints_the_count_and_writes_nothing(app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = _invoke(app, ["sweep", EXAMPLES / "trust_withhold.toml", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "9 points x 10 replications = 90 runs" in result.output
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("bounds", "named", "allowed"),
    [
        ({"behaviour.effort_costt": [0.1, 0.2]}, "effort_costt", "effort_cost"),
        ({"negotiation.overlay_stake": [0.0, 1.5]}, "overlay_stake", "less than or equal to 1"),
    ],
)
def test_dry_run_checks_sampled_keys_and_both_ends_of_their_bounds(
    app, tmp_path, monkeypatch, bounds, named, allowed
):
    """A misspelt sampled key, or a bound outside a parameter's range, fails the dry run
    (Sobol points need not reach the bound, so the ends are checked themselves)."""
    monkeypatch.chdir(tmp_path)
    lines = ", ".join(f'"{k}" = [{lo}, {hi}]' for k, (lo, hi) in bounds.items())
    path = tmp_path / "bad.toml"
    path.write_text(
        '[experiment]\nname = "bad"\nreplications = 1\nseed = 1\n'
        f'[sampling]\nmethod = "sobol"\nn = 4\nbounds = {{ {lines} }}\n'
    )
    result = _invoke(app, ["sweep", path, "--dry-run"])
    assert result.exit_code == 2, result.output
    assert "bad.toml" in result.output and named in result.output and allowed in result.output
    assert "Traceback" not in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["bad.toml"]


def _sweep(tmp_path, replicate=fake_replication):
    experiment = parse_experiment(
        {
            "experiment": {"name": "t", "replications": 4, "seed": 3},
            "parameters": {"trust.initial": [0.2, 0.5, 0.8]},
        }
    )
    return run_experiment(
        experiment, tmp_path / "o", scenario=FakeScenario(), replicate=replicate, progress=False
    )


def test_compare_report_and_discover_on_a_sweep(app, tmp_path):
    _sweep(tmp_path)
    out = tmp_path / "o"
    result = _invoke(app, ["compare", out, "--metric", "spend_pence"])
    assert result.exit_code == 0, result.output
    assert "alliance" in result.output and (out / "report" / "compare_spend_pence.png").exists()
    result = _invoke(app, ["report", out])
    assert result.exit_code == 0, result.output
    text = (out / "report" / "report.md").read_text()
    assert "timeseries.png" in text and "money_flows.png" in text
    result = _invoke(
        app, ["discover", out, "--outcome", "spend_pence<1380000", "--model", "alliance"]
    )
    assert result.exit_code == 0, result.output
    assert "coverage" in result.output and (out / "discovery.json").exists()


def test_compare_unknown_metric_exits_2(app, tmp_path):
    _sweep(tmp_path)
    result = _invoke(app, ["compare", tmp_path / "o", "--metric", "nonsense"])
    assert result.exit_code == 2 and "allowed" in result.output


def test_discover_rejects_code_in_outcome(app, tmp_path):
    _sweep(tmp_path)
    result = _invoke(app, ["discover", tmp_path / "o", "--outcome", "__import__('os')"])
    assert result.exit_code == 2


def test_report_of_a_missing_directory_exits_2(app, tmp_path):
    result = _invoke(app, ["report", tmp_path / "none"])
    assert result.exit_code == 2 and "manifest.json" in result.output


def test_sensitivity_of_a_sobol_sweep_writes_indices(app, tmp_path):
    experiment = parse_experiment(
        {
            "experiment": {"name": "s", "replications": 2, "seed": 3},
            "sampling": {
                "method": "sobol",
                "n": 16,
                "bounds": {"trust.initial": [0.2, 0.9], "economy.demand_trend": [0.0, 0.05]},
            },
        }
    )
    run_experiment(
        experiment,
        tmp_path / "s",
        scenario=FakeScenario(),
        replicate=fake_replication,
        progress=False,
    )
    result = _invoke(
        app, ["sensitivity", tmp_path / "s", "--metric", "spend_pence", "--model", "alliance"]
    )
    assert result.exit_code == 0, result.output
    assert "economy.demand_trend" in result.output
    assert (tmp_path / "s" / "sensitivity.parquet").exists()
    assert _invoke(app, ["report", tmp_path / "s"]).exit_code == 0
    assert (tmp_path / "s" / "report" / "tornado.png").exists()
    # a second metric joins the table; re-analysing the first replaces its rows
    for metric in ("outcome_true", "spend_pence"):
        result = _invoke(
            app, ["sensitivity", tmp_path / "s", "--metric", metric, "--model", "alliance"]
        )
        assert result.exit_code == 0, result.output
    table = pd.read_parquet(tmp_path / "s" / "sensitivity.parquet")
    assert sorted(set(table["metric"])) == ["outcome_true", "spend_pence"]
    assert len(table) == 2 * 2  # two parameters for each metric, no duplicates
    assert _invoke(app, ["report", tmp_path / "s"]).exit_code == 0
    report = (tmp_path / "s" / "report" / "report.md").read_text()
    for metric in ("outcome_true", "spend_pence"):
        assert (tmp_path / "s" / "report" / f"tornado_{metric}_alliance.png").exists()
        assert f"tornado_{metric}_alliance.png" in report


def test_failed_runs_give_exit_status_1(tmp_path):
    summary = _sweep(tmp_path, replicate=failing_replication)
    assert summary.exit_code == 1
