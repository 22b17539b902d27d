"""A calibration's particles taking turns with their runs made together
(``sampler.seeded_jobs``, ``--engine``) give the agent engine's posterior exactly, on one
worker and on two."""

import json

import pandas as pd
import pytest
from alliancesim.experiments.calibration import targets
from calibration_fakes import MODEL_STAND_IN, STAND_INS, TOML
from test_calibrate import invoke, write

pytest.importorskip("pyabc")

# the stand-in sum stays (it knows the answer); the difference is replaced by a statistic
# of real model runs, so the particles ask for runs
WITH_RUNS = TOML.replace(
    'name = "stand_in_difference"\nvalue = 0.1', 'name = "stand_in_spend"\nvalue = 0.99'
)


@pytest.fixture(autouse=True)
def stand_in_targets(monkeypatch):
    for name, stand_in in {**STAND_INS, "stand_in_spend": MODEL_STAND_IN}.items():
        monkeypatch.setitem(targets.TARGETS, name, stand_in)


def calibrated(tmp_path, name, *options):
    out = tmp_path / name
    text = WITH_RUNS.format(particles=16, generations=2)
    result = invoke(write(tmp_path, text=text, name=f"{name}.toml"), "--out", out, *options)
    assert result.exit_code == 0, result.output
    return out, json.loads((out / "manifest.json").read_text()), result.output


def test_runs_made_together_give_the_agent_engines_posterior(tmp_path):
    agents, agents_manifest, _ = calibrated(tmp_path, "agents", "--engine", "agents")
    together, manifest, output = calibrated(tmp_path, "ensemble", "--engine", "ensemble")
    assert agents_manifest["engine"] == "agents" and agents_manifest["engines"] is None
    assert manifest["engine"] == "ensemble"
    assert manifest["engines"]["ensemble"] > 0
    assert "engine: ensemble" in output
    for table in ("particles.parquet", "generations.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(agents / table).drop(columns="seconds", errors="ignore"),
            pd.read_parquet(together / table).drop(columns="seconds", errors="ignore"),
        )
    two, _, _ = calibrated(tmp_path, "two", "--engine", "ensemble", "--workers", "2")
    pd.testing.assert_frame_equal(
        pd.read_parquet(agents / "particles.parquet"), pd.read_parquet(two / "particles.parquet")
    )


def test_an_unknown_engine_exits_2_naming_the_allowed_values(tmp_path):
    result = invoke(
        write(tmp_path, particles=5, generations=1), "--out", tmp_path / "o", "--engine", "fast"
    )
    assert result.exit_code == 2
    assert "--engine: 'fast'; allowed: auto, agents, ensemble" in result.output
    assert not (tmp_path / "o").exists()
