"""``alliancesim run --posterior DIR``: headlines over a calibration's posterior, their
intervals in two parts, reproducible draws, bad posterior files, and the label that
says results at fixed priors are conditional on them."""

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from alliancesim.cli import build_app

KEY = "behaviour.reciprocity_weight"
# small and short: four organisations, three years
FAST = ["small_economy", "--set", "economy.periods=36", "--no-report"]


@pytest.fixture(scope="module")
def app():
    return build_app()


def invoke(app, *args):
    return CliRunner().invoke(app, [str(a) for a in args])


def write_posterior(folder: Path, values, weights=None) -> Path:
    """A synthetic posterior.parquet as `alliancesim calibrate` writes it."""
    folder.mkdir(parents=True, exist_ok=True)
    n = len(values)
    pd.DataFrame(
        {
            "particle": range(n),
            "weight": weights if weights is not None else [1 / n] * n,
            "distance": [0.05] * n,
            "seed": range(1, n + 1),
            KEY: values,
            "target:v15_saving": [0.2] * n,
        }
    ).to_parquet(folder / "posterior.parquet")
    (folder / "manifest.json").write_text(json.dumps({"name": "fixture"}))
    return folder


def json_rows(result) -> pd.DataFrame:
    payload = json.loads(result.stdout)
    return pd.DataFrame(payload["rows"])


def saving_row(rows: pd.DataFrame, model="alliance") -> pd.Series:
    found = rows[(rows["table"] == "policy") & (rows["contract_model"] == model)]
    return found[found["measure"] == "savings_pence"].iloc[0]


def test_draws_that_differ_in_a_prior_that_matters_widen_the_interval(app, tmp_path):
    posterior = write_posterior(tmp_path / "posterior", [0.0, 0.9])
    out = tmp_path / "out"
    result = invoke(app, "run", *FAST, "--reps", 12, "--posterior-draws", 6, "--seed", 2,
                    "--out", out, "--posterior", posterior, "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    draws = pd.read_parquet(out / "draws.parquet")
    assert set(draws["particle"]) == {0, 1}, "the seed should draw both particles"
    saving = saving_row(json_rows(result))
    half = (saving["ci_high"] - saving["ci_low"]) / 2
    assert saving["param_half"] > 0
    assert half > saving["noise_half"]
    # the parameter part is the spread between the two settings' mean savings
    runs = pd.read_parquet(out / "runs.parquet")
    alliance = runs[runs["contract_model"] == "alliance"]
    by_setting = alliance.groupby(f"param.{KEY}")["savings_pence"].mean() / 1e8
    assert saving["param_half"] < abs(by_setting[0.9] - by_setting[0.0]) * 1.96
    assert saving["param_half"] > abs(by_setting[0.9] - by_setting[0.0]) / 4
    # report.md shows both parts beside each interval
    from alliancesim.experiments.report import build_report

    text = build_report(out).read_text()
    assert "## Over the posterior" in text
    assert f"(parameters ±{saving['param_half']:.1f}, noise ±" in text
    assert "conditional on them" not in text


def test_identical_particles_leave_only_noise(app, tmp_path):
    # three particles with the same values: one prior setting, whichever is drawn
    posterior = write_posterior(tmp_path / "posterior", [0.3, 0.3, 0.3])
    out = tmp_path / "out"
    result = invoke(app, "run", *FAST, "--reps", 6, "--seed", 4, "--out", out,
                    "--posterior", posterior, "--format", "json", "--ledger", "none")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert pd.read_parquet(out / "draws.parquet")["particle"].nunique() > 1
    rows = json_rows(result)
    finite = rows[rows["noise_half"].notna() & (rows["n"] > 1)]
    assert (finite["param_half"] == 0).all()
    half = (finite["ci_high"] - finite["ci_low"]) / 2
    assert half.to_numpy() == pytest.approx(finite["noise_half"].to_numpy(), rel=1e-5)
    assert saving_row(rows)["noise_half"] > 0


def test_same_seed_same_draws_and_numbers_on_one_or_two_workers(app, tmp_path):
    posterior = write_posterior(tmp_path / "posterior", [0.0, 0.3, 0.6, 0.9])
    printed, runs, draws = [], [], []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        result = invoke(app, "run", *FAST, "--reps", 6, "--seed", 9, "--workers", workers,
                        "--out", out, "--posterior", posterior, "--format", "csv")  # fmt: skip
        assert result.exit_code == 0, result.output
        printed.append(result.stdout)
        runs.append(pd.read_parquet(out / "runs.parquet"))
        draws.append(pd.read_parquet(out / "draws.parquet"))
    pd.testing.assert_frame_equal(draws[0], draws[1])
    pd.testing.assert_frame_equal(runs[0], runs[1])
    assert printed[0] == printed[1]
    assert {"draw", "particle", f"param.{KEY}"} <= set(runs[0].columns)


def test_the_manifest_records_the_folder_as_given_its_hash_and_the_draws(
    app, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    write_posterior(Path("cal"), [0.1, 0.5])
    result = invoke(app, "run", *FAST, "--reps", 4, "--seed", 1, "--out", "out",
                    "--posterior", "cal", "--ledger", "none")  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = json.loads(Path("out/manifest.json").read_text())
    record = manifest["posterior"]
    assert record["folder"] == "cal"
    assert record["calibration"] == "fixture"
    assert record["draws"] == 2 and len(record["drawn"]) == 2
    import hashlib

    assert (
        record["sha256"] == hashlib.sha256(Path("cal/posterior.parquet").read_bytes()).hexdigest()
    )
    assert str(tmp_path) not in result.output
    assert "Over the posterior in cal: 2 draws" in result.output
    assert "Of which: parameters ± (half the width of the 95% range" in result.output
    assert "decomposition: skipped under --posterior" in result.output
    assert not Path("out/decomposition.parquet").exists()


@pytest.mark.parametrize(
    ("make", "fragments"),
    [
        (lambda f: f, ["nowhere", "not a folder"]),
        (lambda f: (f.mkdir(), f)[1], ["posterior.parquet", "no posterior.parquet"]),
        (lambda f: write_posterior(f, [0.1, 0.2], weights=[0.5, 0.4]), ["'weight'", "sums to 0.9"]),
        (lambda f: write_posterior(f, [0.1, 0.2], weights=[1.2, -0.2]), ["'weight'", "negative"]),
        (
            lambda f: (f.mkdir(), (f / "posterior.parquet").write_text("x"), f)[2],
            ["nowhere/posterior.parquet: invalid posterior", "not a readable Parquet file"],
        ),
    ],
)
def test_bad_posterior_exits_2_naming_file_and_column_and_writes_nothing(app, tmp_path, make,
                                                                         fragments):  # fmt: skip
    folder = make(tmp_path / "nowhere")
    out = tmp_path / "out"
    result = invoke(app, "run", *FAST, "--reps", 4, "--seed", 1, "--out", out,
                    "--posterior", folder)  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output
    assert not out.exists()


def test_a_column_that_is_no_scenario_key_exits_2_naming_it(app, tmp_path):
    folder = write_posterior(tmp_path / "cal", [0.1, 0.2])
    frame = pd.read_parquet(folder / "posterior.parquet")
    frame["behaviour.reciprocity_wieght"] = [0.1, 0.2]
    frame.to_parquet(folder / "posterior.parquet")
    out = tmp_path / "out"
    result = invoke(app, "run", *FAST, "--reps", 4, "--seed", 1, "--out", out,
                    "--posterior", folder)  # fmt: skip
    assert result.exit_code == 2
    assert "cal/posterior.parquet" in result.output
    assert "column 'behaviour.reciprocity_wieght'" in result.output
    assert "did you mean 'reciprocity_weight'" in result.output
    assert not out.exists()


def test_too_many_draws_or_draws_without_a_posterior_exit_2(app, tmp_path):
    folder = write_posterior(tmp_path / "cal", [0.1, 0.2])
    out = tmp_path / "out"
    result = invoke(app, "run", *FAST, "--reps", 4, "--seed", 1, "--out", out,
                    "--posterior", folder, "--posterior-draws", 3)  # fmt: skip
    assert result.exit_code == 2
    assert "--posterior-draws" in result.output and "allowed: 1 to 2" in result.output
    result = invoke(app, "run", *FAST, "--reps", 4, "--seed", 1, "--out", out,
                    "--posterior-draws", 2)  # fmt: skip
    assert result.exit_code == 2
    assert "needs --posterior" in result.output
    assert not out.exists()


def test_without_a_posterior_the_results_say_they_are_conditional_on_the_priors(app, tmp_path):
    out = tmp_path / "out"
    result = invoke(app, "run", "small_economy", "--set", "economy.periods=24", "--reps", 2,
                    "--seed", 1, "--out", out, "--no-decomposition")  # fmt: skip
    assert result.exit_code == 0, result.output
    label = "At fixed behavioural priors (the scenario's values): results are conditional on them"
    assert label in result.output
    assert label in (out / "report" / "report.md").read_text()
    assert "Over the posterior" not in result.output
