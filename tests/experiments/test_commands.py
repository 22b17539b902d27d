from pathlib import Path

import pytest
import typer
from alliancesim.experiments import commands
from alliancesim.experiments.experiment import parse_experiment
from alliancesim.experiments.runner import run_experiment
from experiment_fakes import FakeScenario, failing_replication, fake_replication
from typer.testing import CliRunner

EXAMPLES = Path(__file__).resolve().parents[2] / "experiments" / "experiment_files"


@pytest.fixture
def app():
    app = typer.Typer()
    commands.register(app)
    return app


def _invoke(app, args):
    return CliRunner().invoke(app, [str(a) for a in args])


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


def test_failed_runs_give_exit_status_1(tmp_path):
    summary = _sweep(tmp_path, replicate=failing_replication)
    assert summary.exit_code == 1
