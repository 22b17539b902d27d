"""The calibration machinery (issue 13) on stand-in targets with a known answer: this
checks pyabc's set-up, the outputs and the command, not the model."""

import json
import sqlite3

import numpy as np
import pandas as pd
import pytest
import typer
from alliancesim.experiments.calibration import commands, targets
from alliancesim.experiments.calibration.config import parse_calibration
from alliancesim.experiments.calibration.sampler import simulation_seed
from calibration_fakes import EFFORT, RECIPROCITY, STAND_INS, TOML, TRUTH
from typer.testing import CliRunner

pytest.importorskip("pyabc")


@pytest.fixture(autouse=True)
def stand_in_targets(monkeypatch):
    for name, stand_in in STAND_INS.items():
        monkeypatch.setitem(targets.TARGETS, name, stand_in)


def app() -> typer.Typer:
    typer_app = typer.Typer()
    commands.register(typer_app)
    typer_app.command("noop", hidden=True)(lambda: None)  # keep the command's name
    return typer_app


def invoke(*args):
    return CliRunner().invoke(app(), ["calibrate", *map(str, args)])


def write(tmp_path, text=None, particles=40, generations=4, name="tiny.toml"):
    path = tmp_path / name
    path.write_text(text or TOML.format(particles=particles, generations=generations))
    return path


def weighted(posterior: pd.DataFrame, key: str) -> tuple[float, float]:
    w = posterior["weight"].to_numpy()
    x = posterior[key].to_numpy()
    mean = float(np.sum(w * x))
    return mean, float(np.sqrt(np.sum(w * (x - mean) ** 2)))


def test_posterior_concentrates_on_the_truth(tmp_path):
    out = tmp_path / "out"
    result = invoke(write(tmp_path, particles=60, generations=5), "--out", out)
    assert result.exit_code == 0, result.output
    posterior = pd.read_parquet(out / "posterior.parquet")
    prior_sd = {RECIPROCITY: 0.6 / np.sqrt(12), EFFORT: 0.22 / np.sqrt(12)}
    for key, truth in TRUTH.items():
        mean, sd = weighted(posterior, key)
        assert abs(mean - truth) < 0.03, (key, mean)
        assert sd < 0.35 * prior_sd[key], (key, sd)
    generations = pd.read_parquet(out / "generations.parquet")
    assert generations["epsilon"].is_monotonic_decreasing
    assert "generation 4: epsilon" in result.output  # progress, one line a generation
    report = (out / "diagnostics.md").read_text()
    assert "Posterior predictive check" in report
    assert (out / "figures" / "marginals.png").stat().st_size > 0
    assert (out / "figures" / "pairs.png").stat().st_size > 0


def test_posterior_schema_weights_and_recorded_seeds(tmp_path):
    out = tmp_path / "out"
    calibration_file = write(tmp_path, particles=20, generations=2)
    assert invoke(calibration_file, "--out", out).exit_code == 0
    posterior = pd.read_parquet(out / "posterior.parquet")
    assert list(posterior.columns) == [
        "particle",
        "weight",
        "distance",
        "seed",
        RECIPROCITY,
        EFFORT,
        "target:stand_in_sum",
        "target:stand_in_difference",
    ]
    assert str(posterior["seed"].dtype) == "int64"
    assert str(posterior["particle"].dtype) == "int64"
    assert posterior[RECIPROCITY].dtype == float
    assert len(posterior) == 20
    assert posterior["weight"].sum() == pytest.approx(1.0)
    # every particle's statistic is re-simulated exactly from its recorded seed
    calibration = parse_calibration(calibration_file.read_text(), calibration_file)
    for row in posterior.head(5).itertuples(index=False):
        values = {RECIPROCITY: row[4], EFFORT: row[5]}
        assert row.seed == simulation_seed(calibration.seed, values)
        assert STAND_INS["stand_in_sum"].statistic(values, row.seed) == row[6]
    particles = pd.read_parquet(out / "particles.parquet")
    assert sorted(particles["generation"].unique()) == [0, 1]
    generations = pd.read_parquet(out / "generations.parquet")
    assert list(generations.columns) == [
        "generation",
        "epsilon",
        "particles",
        "simulations",
        "acceptance_rate",
        "seconds",
    ]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sampler"] == "SingleCoreSampler"
    assert manifest["simulations"] >= generations["simulations"].sum()
    assert manifest["seed"] == 7
    assert manifest["stopped_because"] == "reached 2 generations"
    assert (out / "calibration.toml").read_text() == calibration_file.read_text()


def test_one_worker_is_reproducible(tmp_path):
    calibration_file = write(tmp_path, particles=15, generations=2)
    for name in ("a", "b"):
        assert invoke(calibration_file, "--out", tmp_path / name).exit_code == 0
    a = pd.read_parquet(tmp_path / "a" / "particles.parquet")
    b = pd.read_parquet(tmp_path / "b" / "particles.parquet")
    pd.testing.assert_frame_equal(a, b)


def _generations_in_db(out) -> int:
    with sqlite3.connect(out / "calibration.db") as db:
        return db.execute("select count(*) from populations where t >= 0").fetchone()[0]


def test_resume_continues_a_stopped_calibration(tmp_path):
    out = tmp_path / "out"
    assert invoke(write(tmp_path, particles=15, generations=2), "--out", out).exit_code == 0
    assert _generations_in_db(out) == 2
    result = invoke(write(tmp_path, particles=15, generations=3), "--out", out, "--resume")
    assert result.exit_code == 0, result.output
    assert _generations_in_db(out) == 3
    assert sorted(pd.read_parquet(out / "particles.parquet")["generation"].unique()) == [0, 1, 2]
    # resumed in one process, the same as three generations at once
    whole = tmp_path / "whole"
    assert invoke(write(tmp_path, particles=15, generations=3), "--out", whole).exit_code == 0
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "posterior.parquet"), pd.read_parquet(whole / "posterior.parquet")
    )


def test_resume_with_a_different_file_is_refused(tmp_path):
    out = tmp_path / "out"
    assert invoke(write(tmp_path, particles=15, generations=1), "--out", out).exit_code == 0
    other = write(tmp_path, particles=16, generations=2, name="other.toml")
    result = invoke(other, "--out", out, "--resume")
    assert result.exit_code == 2
    assert "different calibration" in result.output and "particles" in result.output
    assert _generations_in_db(out) == 1


def test_a_new_calibration_over_an_old_one_is_refused(tmp_path):
    out = tmp_path / "out"
    calibration_file = write(tmp_path, particles=10, generations=1)
    assert invoke(calibration_file, "--out", out).exit_code == 0
    result = invoke(calibration_file, "--out", out)
    assert result.exit_code == 2 and "--resume" in result.output


BAD = [
    ("seed = 7", "seed = 7\nsede = 8", "calibration.sede", "unknown key"),
    ('name = "stand_in_sum"', 'name = "stand_in_sun"', "targets[0].name", "stand_in_difference"),
    (
        'key = "behaviour.effort_cost"',
        'key = "behaviour.channels.gaming"',
        "priors[1].key",
        "behaviour.reciprocity_weight",
    ),
    (
        'key = "behaviour.effort_cost"',
        'key = "behaviour.effort_cost"\nlow = -0.1',
        "priors[1].low",
        "(0, inf)",
    ),
    (
        'key = "behaviour.reciprocity_weight"',
        'key = "behaviour.reciprocity_weight"\nhigh = 11.0',
        "priors[0].high",
        "[0, 10]",
    ),
    ('source = "judgement: a test target"', 'source = ""', "targets[0].source", "source"),
]


@pytest.mark.parametrize(("old", "new", "key", "allowed"), BAD)
def test_bad_files_exit_2_naming_file_and_key(tmp_path, old, new, key, allowed):
    text = TOML.format(particles=10, generations=1).replace(old, new, 1)
    path = write(tmp_path, text=text, name="bad.toml")
    out = tmp_path / "out"
    result = invoke(path, "--out", out)
    assert result.exit_code == 2
    assert "bad.toml" in result.output
    assert key in result.output
    assert allowed in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_diagnose_remakes_the_report(tmp_path):
    out = tmp_path / "out"
    assert invoke(write(tmp_path, particles=20, generations=2), "--out", out).exit_code == 0
    (out / "diagnostics.md").unlink()
    result = invoke("--diagnose", out)
    assert result.exit_code == 0, result.output
    report = (out / "diagnostics.md").read_text()
    assert "Which targets constrain which priors" in report
    assert "behaviour.reciprocity_weight" in result.output


def test_dask_cluster_runs_end_to_end(tmp_path):
    from distributed import LocalCluster

    out = tmp_path / "out"
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        result = invoke(
            write(tmp_path, particles=15, generations=2),
            "--out",
            out,
            "--cluster",
            cluster.scheduler_address,
        )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sampler"] == "DaskDistributedSampler"
    assert manifest["cluster"].startswith("inproc://") or "://" in manifest["cluster"]
    assert "not reproducible" in manifest["reproducibility"]
    posterior = pd.read_parquet(out / "posterior.parquet")
    assert len(posterior) == 15 and posterior["weight"].sum() == pytest.approx(1.0)


def test_two_workers_run_end_to_end(tmp_path):
    out = tmp_path / "out"
    result = invoke(write(tmp_path, particles=15, generations=2), "--out", out, "--workers", 2)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sampler"].startswith("ConcurrentFutureSampler")
    assert manifest["workers"] == 2
    posterior = pd.read_parquet(out / "posterior.parquet")
    assert posterior["weight"].sum() == pytest.approx(1.0)
    assert len(pd.read_parquet(out / "predictive.parquet")) == 6


def test_a_failing_statistic_exits_1_naming_target_and_seed(tmp_path, monkeypatch):
    from alliancesim.experiments.calibration.targets import Target
    from calibration_fakes import failing_statistic

    monkeypatch.setitem(
        targets.TARGETS,
        "stand_in_sum",
        Target("stand_in_sum", "T1", "fails", failing_statistic),
    )
    result = invoke(write(tmp_path, particles=5, generations=1), "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "target 'stand_in_sum' failed" in result.output and "with seed" in result.output
    assert "the model broke" in result.output


def test_a_low_acceptance_rate_stops_the_calibration_and_says_so(tmp_path):
    text = TOML.format(particles=10, generations=5).replace(
        "predictive_draws = 6", "predictive_draws = 0\nmin_acceptance = 0.95"
    )
    out = tmp_path / "out"
    result = invoke(write(tmp_path, text=text), "--out", out)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert "min_acceptance = 0.95" in manifest["stopped_because"]
    assert len(pd.read_parquet(out / "generations.parquet")) < 5


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--cluster", "scheduler:8786"], "tcp://host:8786"),
        (["--resume"], "--resume needs --out"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(tmp_path, monkeypatch, extra, message):
    monkeypatch.chdir(tmp_path)
    out = ["--out", tmp_path / "out"] if "--resume" not in extra else []
    result = invoke(write(tmp_path, particles=5, generations=1), *out, *extra)
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "results").exists()
