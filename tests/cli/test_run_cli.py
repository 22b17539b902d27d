"""``alliancesim run``: the README's main job, its outputs, and bad input."""

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from alliancesim.cli import build_app

TABLES = ("runs", "periods", "ledger", "events")
MODELS = {"status_quo", "alliance", "lead_provider", "outcomes_based"}
SHORT = ["--set", "economy.periods=24"]


@pytest.fixture(scope="module")
def app():
    return build_app()


def invoke(app, *args):
    return CliRunner().invoke(app, [str(a) for a in args])


def read(out: Path, table: str) -> pd.DataFrame:
    return pd.read_parquet(out / f"{table}.parquet")


def test_run_writes_every_table_and_the_manifest(app, tmp_path):
    out = tmp_path / "out"
    result = invoke(app, "run", "default", "--reps", 2, "--seed", 3, "--out", out, "--no-report")
    assert result.exit_code == 0, result.output
    for table in TABLES:
        assert (out / f"{table}.parquet").is_file(), table
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["root_seed"] == 3
    assert manifest["status"] == "complete"
    runs = read(out, "runs")
    assert set(runs["contract_model"]) == MODELS
    assert len(runs) == 2 * len(MODELS)
    assert runs.groupby("contract_model")["seed"].nunique().eq(2).all()
    # paired: both replications use the same seed in every contract model
    seeds = runs.groupby("replication")["seed"].nunique()
    assert seeds.eq(1).all()
    periods = read(out, "periods")
    assert len(periods) == 2 * len(MODELS) * 120
    assert not (out / "report").exists()
    # the printed comparison names every contract model
    for name in MODELS:
        assert name in result.output


def test_run_ledger_in_the_output_conserves_money(app, tmp_path):
    out = tmp_path / "out"
    result = invoke(
        app, "run", "default", "--reps", 1, "--seed", 4, "--out", out, "--no-report",
        "--ledger", "full", *SHORT,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    ledger = read(out, "ledger")
    assert len(ledger) > 0
    assert (ledger["amount"] > 0).all()
    assert pd.api.types.is_integer_dtype(ledger["amount"])
    for _, entries in ledger.groupby("contract_model"):
        paid = entries.groupby("payer")["amount"].sum()
        received = entries.groupby("payee")["amount"].sum()
        net = received.sub(paid, fill_value=0)
        assert net.sum() == 0


def test_same_seed_gives_the_same_runs_with_one_or_two_workers(app, tmp_path):
    frames = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        result = invoke(
            app, "run", "default", "--reps", 2, "--seed", 9, "--workers", workers,
            "--out", out, "--no-report", *SHORT,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        runs = read(out, "runs").drop(columns=["point_id"], errors="ignore")
        frames.append(runs.sort_values(["replication", "contract_model"]).reset_index(drop=True))
        frames.append(read(out, "decomposition"))
    pd.testing.assert_frame_equal(frames[0], frames[2])
    pd.testing.assert_frame_equal(frames[1], frames[3])


def test_readme_main_command_runs_and_writes_the_report(app, tmp_path):
    out = tmp_path / "run"
    result = invoke(app, "run", "default", "--reps", 2, "--seed", 1, "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / "manifest.json").is_file()
    report = out / "report"
    assert (report / "report.md").is_file()
    figures = list(report.glob("*.png"))
    assert figures and all(f.stat().st_size > 0 for f in figures)
    assert "Who carries the risk" in result.output
    assert "Channel decomposition" in result.output
    text = (report / "report.md").read_text(encoding="utf-8")
    assert "## Channel decomposition" in text and "## What the numbers say" in text


def test_printed_tables_fit_100_columns_and_name_units_horizon_and_interval(app, tmp_path):
    out = tmp_path / "out"
    result = invoke(app, "run", "default", "--reps", 2, "--seed", 5, "--out", out, "--no-report",
                    *SHORT)  # fmt: skip
    assert result.exit_code == 0, result.output
    printed = result.stdout
    assert max(len(line) for line in printed.splitlines()) < 100
    assert "over 2 years (24 months)" in printed
    assert "nominal" in printed
    assert "95% interval (simulation noise)" in printed
    assert "Outcome index" in printed and "[1]" in printed
    assert "spend_pence" not in printed and "savings_share" not in printed
    for name in MODELS:
        assert name in printed


def test_one_replication_prints_no_interval_and_no_nan(app, tmp_path):
    out = tmp_path / "out"
    result = invoke(app, "run", "default", "--reps", 1, "--seed", 5, "--out", out, "--no-report",
                    *SHORT)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "no interval (1 replication)" in result.stdout
    assert "nan" not in result.stdout.lower()


def test_decomposition_is_written_for_every_channel_and_can_be_skipped(app, tmp_path):
    from alliancesim.scenario import CHANNELS

    out = tmp_path / "out"
    result = invoke(app, "run", "default", "--reps", 3, "--seed", 5, "--out", out, "--no-report",
                    "--decomposition-reps", 2, *SHORT)  # fmt: skip
    assert result.exit_code == 0, result.output
    table = read(out, "decomposition")
    assert set(table["contract_model"]) == MODELS - {"status_quo"}
    assert set(CHANNELS) <= set(table["component"])
    assert {"total", "no_channel", "interaction"} <= set(table["component"])
    assert set(table["n"]) == {2}
    knocked = read(out / "decomposition", "runs")
    assert set(knocked["contract_model"]) == MODELS  # the status quo is knocked out too
    runs = read(out, "runs")
    assert set(knocked["seed"]) == set(runs.loc[runs["replication"] < 2, "seed"])
    skipped = tmp_path / "skipped"
    result = invoke(app, "run", "default", "--reps", 2, "--seed", 5, "--out", skipped,
                    "--no-report", "--no-decomposition", *SHORT)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert not (skipped / "decomposition.parquet").exists()
    assert "Channel decomposition" not in result.stdout


def test_csv_and_json_formats_serve_scripts(app, tmp_path):
    import io

    out = tmp_path / "csv"
    result = invoke(app, "run", "default", "--reps", 2, "--seed", 5, "--out", out, "--no-report",
                    "--format", "csv", *SHORT)  # fmt: skip
    assert result.exit_code == 0, result.output
    tidy = pd.read_csv(io.StringIO(result.stdout))
    assert set(tidy["table"]) == {"policy", "risk", "decomposition"}
    assert {"contract_model", "measure", "unit", "mean", "ci_low", "ci_high", "n"} <= set(
        tidy.columns
    )
    out = tmp_path / "json"
    result = invoke(app, "run", "default", "--reps", 2, "--seed", 5, "--out", out, "--no-report",
                    "--format", "json", "--no-decomposition", *SHORT)  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["horizon"] == "over 2 years (24 months)"
    assert {row["table"] for row in payload["rows"]} == {"policy", "risk"}


def test_bad_format_and_too_many_decomposition_reps_exit_2(app, tmp_path):
    out = tmp_path / "out"
    result = invoke(app, "run", "default", "--reps", 2, "--seed", 1, "--out", out,
                    "--format", "xml")  # fmt: skip
    assert_bad_input(result, out, "--format", "xml", "table, csv, json, markdown")
    result = invoke(app, "run", "default", "--reps", 2, "--seed", 1, "--out", out,
                    "--decomposition-reps", 5)  # fmt: skip
    assert_bad_input(result, out, "--decomposition-reps", "5")


# ----------------------------------------------------------------- bad input
def assert_bad_input(result, out: Path, *fragments: str):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, fragment
    assert not out.exists()


def test_missing_file_exits_2_and_writes_nothing(app, tmp_path):
    out = tmp_path / "out"
    missing = tmp_path / "nowhere.toml"
    result = invoke(app, "run", missing, "--reps", 1, "--seed", 1, "--out", out)
    assert_bad_input(result, out, "nowhere.toml", "file not found")


def test_unknown_set_key_exits_2_and_lists_the_allowed_keys(app, tmp_path):
    out = tmp_path / "out"
    result = invoke(
        app, "run", "default", "--reps", 1, "--seed", 1, "--out", out,
        "--set", "trust.intial=0.3",
    )  # fmt: skip
    assert_bad_input(result, out, "trust.intial", "allowed:", "initial")


def test_malformed_toml_exits_2_and_writes_nothing(app, tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text('[scenario\nname = "x"\n', encoding="utf-8")
    out = tmp_path / "out"
    result = invoke(app, "run", bad, "--reps", 1, "--seed", 1, "--out", out)
    assert_bad_input(result, out, "broken.toml", "malformed TOML")


def test_impossible_value_exits_2_naming_key_and_value(app, tmp_path):
    out = tmp_path / "out"
    result = invoke(
        app, "run", "default", "--reps", 1, "--seed", 1, "--out", out,
        "--set", "economy.noise=7",
    )  # fmt: skip
    assert_bad_input(result, out, "economy.noise", "7")


def test_overlay_stake_above_one_exits_2_naming_file_key_value_and_bound(app, tmp_path):
    default = (resources.files("alliancesim.scenario") / "presets" / "default.toml").read_text(
        encoding="utf-8"
    )
    bad = tmp_path / "stake.toml"
    bad.write_text(f"{default}\n[negotiation]\noverlay_stake = 1.5\n", encoding="utf-8")
    out = tmp_path / "out"
    result = invoke(app, "run", bad, "--reps", 1, "--seed", 1, "--out", out)
    assert_bad_input(
        result, out, "stake.toml", "negotiation.overlay_stake", "1.5", "less than or equal to 1"
    )


def test_python_dash_m_alliancesim_help_works(tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, "-m", "alliancesim", "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "run" in result.stdout


def test_the_engine_is_chosen_said_and_changes_no_number(app, tmp_path):
    """``--engine``: the printout and the manifest say which engine ran; the ensemble and
    the agent model write the same tables; a misspelt engine exits 2, nothing written."""
    outs = {}
    for engine in ("agents", "ensemble"):
        out = outs[engine] = tmp_path / engine
        result = invoke(app, "run", "small_economy", *SHORT, "--reps", 3, "--seed", 4, "--out",
                        out, "--no-report", "--no-decomposition", "--engine", engine)  # fmt: skip
        assert result.exit_code == 0, result.output
        assert f"engine: {engine} (3 of 3 tasks" in result.output
        assert json.loads((out / "manifest.json").read_text())["engine"] == engine
    for table in ("runs", "periods", "events"):
        pd.testing.assert_frame_equal(read(outs["agents"], table), read(outs["ensemble"], table))
    out = tmp_path / "bad"
    result = invoke(app, "run", "small_economy", "--reps", 2, "--out", out, "--engine", "gpu")
    assert_bad_input(result, out, "--engine", "gpu", "auto, agents, ensemble")
