"""The runner on the two engines (issue 14): the same tables either way, on every backend;
the choice of engine, what the manifest says of it, and the fall-back to agents."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from alliancesim.experiments import replication
from alliancesim.experiments.experiment import ExperimentError
from alliancesim.experiments.runner import (
    ENSEMBLE_MIN_REPLICATIONS,
    TABLES,
    choose_engine,
    describe_engines,
    plan_tasks,
    run_tasks,
)
from alliancesim.scenario import load_preset

POINTS = [{}, {"trust.initial": 0.3}]


def _scenario(preset: str = "small_economy"):
    return load_preset(preset, economy__periods=24)


def _frames(out_dir) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(out_dir / f"{name}.parquet") for name in TABLES}


def _run(out_dir, engine, preset="small_economy", reps=5, **kwargs):
    tasks = plan_tasks(POINTS, reps, 77, ledger="full")
    return run_tasks(
        tasks, _scenario(preset), out_dir, progress=False, root_seed=77, engine=engine, **kwargs
    )


def _assert_same(a: dict, b: dict) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(a[name], b[name])


def test_the_tables_are_the_same_on_either_engine_and_any_backend(tmp_path):
    from distributed import LocalCluster

    agents = _run(tmp_path / "agents", "agents")
    ensemble = _run(tmp_path / "ensemble", "ensemble")
    _run(tmp_path / "joblib", "ensemble", workers=2, chunk_size=3)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        _run(tmp_path / "dask", "ensemble", cluster=cluster)
    assert agents.manifest["engine"] == "agents"
    assert ensemble.manifest["engine"] == "ensemble"
    assert ensemble.manifest["engines"]["ensemble"] == len(POINTS) * 5
    frames = _frames(tmp_path / "agents")
    assert len(frames["ledger"]) > 0
    for other in ("ensemble", "joblib", "dask"):
        _assert_same(frames, _frames(tmp_path / other))


def test_replications_that_leave_the_ensemble_are_counted_and_still_match(tmp_path):
    """In the lead bid the holder asks for more money in every seed and the commissioner
    refuses: replications refused in another month than the rest leave the ensemble at
    the handback and the agent model finishes them (5 replications a point: some do)."""
    agents = _run(tmp_path / "a", "agents", preset="older_people_lead_bid", reps=5)
    ensemble = _run(tmp_path / "e", "ensemble", preset="older_people_lead_bid", reps=5)
    _assert_same(_frames(tmp_path / "a"), _frames(tmp_path / "e"))
    assert agents.manifest["engines"]["finished_by_agents"] == 0
    assert ensemble.manifest["engines"]["finished_by_agents"] > 0
    left = [t for t in ensemble.manifest["tasks"] if "finished_by_agents" in t]
    assert all("request was refused" in t["finished_by_agents"] for t in left)
    assert "finished by the agent model" in describe_engines(ensemble.manifest)


def test_a_point_the_ensemble_cannot_run_falls_back_to_agents(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise NotImplementedError("not on arrays yet")

    _run(tmp_path / "a", "agents")
    monkeypatch.setattr(replication, "run_replication_tables", broken)
    summary = _run(tmp_path / "e", "ensemble")
    _assert_same(_frames(tmp_path / "a"), _frames(tmp_path / "e"))
    assert summary.manifest["engines"]["ensemble_failed"] == len(POINTS) * 5
    assert all(
        t["ensemble_error"] == "NotImplementedError: not on arrays yet"
        for t in summary.manifest["tasks"]
    )


def test_auto_takes_the_ensemble_when_a_point_has_enough_replications():
    many = plan_tasks([{}], ENSEMBLE_MIN_REPLICATIONS, 1)
    few = plan_tasks([{}, {"trust.initial": 0.3}], ENSEMBLE_MIN_REPLICATIONS - 1, 1)
    assert choose_engine("auto", many) == "ensemble"
    assert choose_engine("auto", few) == "agents"
    assert choose_engine("agents", many) == "agents"
    assert choose_engine("ensemble", few) == "ensemble"
    # points that differ only in prior values are stepped together; in a channel, not
    priors = [{"behaviour.effort_cost": 0.1 + i / 100} for i in range(ENSEMBLE_MIN_REPLICATIONS)]
    assert choose_engine("auto", plan_tasks(priors, 1, 1)) == "ensemble"
    channels = [
        {"behaviour.effort_cost": 0.1, "behaviour.channels.reciprocity": bool(i % 2)}
        for i in range(ENSEMBLE_MIN_REPLICATIONS)
    ]
    assert choose_engine("auto", plan_tasks(channels, 1, 1)) == "agents"


def test_an_engine_that_cannot_be_used_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ExperimentError, match="--engine"):
        choose_engine("turbo", plan_tasks([{}], 2, 1))
    out = tmp_path / "out"
    with pytest.raises(ExperimentError):
        run_tasks(plan_tasks([{}], 2, 1), _scenario(), out, progress=False, engine="turbo")
    assert not out.exists()


def test_a_resumed_run_keeps_the_engine_and_chunks_it_started_with(tmp_path):
    out = tmp_path / "r"
    _run(out, "ensemble")
    again = _run(out, "agents", resume=True)
    assert again.n_skipped == len(POINTS) * 5
    plan = json.loads((out / "manifest.json").read_text())
    assert plan["engine"] == "ensemble"


def _run_point(out_dir, engine, scenario, point, reps, models=None):
    tasks = plan_tasks([point], reps, 5, ledger="full")
    return run_tasks(
        tasks, scenario, out_dir, progress=False, root_seed=5, engine=engine, models=models
    )


def test_failures_regrouped_and_finished_by_agents_give_the_same_tables(tmp_path, monkeypatch):
    """A provider that fails early in many seeds: some replications leave the ensemble
    together and are stepped again as an ensemble of their own, a few are finished by
    the agent model, the rest stay; the tables (ledger included) come out the same,
    rows in the same order, as every seed run by the agent model."""
    from alliancesim.model.ensemble import runs

    stepped = []

    def counted(*args, **kwargs):
        many = run_many(*args, **kwargs)
        stepped.append((many.groups, many.ensembles))
        return many

    run_many = runs.run_many
    monkeypatch.setattr(runs, "MIN_REGROUPED", 2)
    monkeypatch.setattr(runs, "run_many", counted)
    scenario = load_preset("default")
    point = {"organisations.gp_federation.reserves_pence": 2_000_000}  # it fails early, often
    _run_point(tmp_path / "a", "agents", scenario, point, 24, ["lead_provider"])
    ensemble = _run_point(tmp_path / "e", "ensemble", scenario, point, 24, ["lead_provider"])
    frames = _frames(tmp_path / "a")
    assert len(frames["ledger"]) > 0
    _assert_same(frames, _frames(tmp_path / "e"))
    assert any(ensembles > groups for groups, ensembles in stepped)  # stepped again
    assert 0 < ensemble.manifest["engines"]["finished_by_agents"] < 24


def test_negotiated_replications_in_ensembles_of_their_own_give_the_same_tables(tmp_path):
    """In mental_health_alliance every replication negotiates its own terms (an ensemble
    of one each) and some reopen the envelope (finished by the agent model)."""
    scenario = load_preset("mental_health_alliance")
    _run_point(tmp_path / "a", "agents", scenario, {}, 16)
    ensemble = _run_point(tmp_path / "e", "ensemble", scenario, {}, 16)
    _assert_same(_frames(tmp_path / "a"), _frames(tmp_path / "e"))
    assert ensemble.manifest["engines"]["finished_by_agents"] > 0


def test_a_design_over_prior_values_is_stepped_together_with_the_same_tables(tmp_path):
    """One replication at each of 18 points that differ in three priors (a Sobol or
    posterior design): one ensemble, each replication with its own values, and the
    tables (parameters included) the agent engine gives."""
    points = [
        {
            "behaviour.reciprocity_weight": 0.05 * (i % 7),
            "behaviour.effort_cost": 0.1 + 0.01 * i,
            "economy.max_shift": 0.2 + 0.02 * (i % 5),
        }
        for i in range(18)
    ]
    for engine in ("agents", "ensemble"):
        tasks = plan_tasks(points, 1, 9, ledger="full")
        summary = run_tasks(
            tasks, _scenario(), tmp_path / engine, progress=False, root_seed=9, engine=engine
        )
        assert summary.manifest["engine"] == engine
    _assert_same(_frames(tmp_path / "agents"), _frames(tmp_path / "ensemble"))
    assert summary.manifest["engines"]["ensemble"] == 18


def test_a_custom_replication_function_has_its_runs_made_together(tmp_path):
    """The channel decomposition's replication function (only the runs table): called
    for each task in turns, its runs made together, the same rows as on agents."""
    from alliancesim.experiments.decomposition import RunsOnly
    from alliancesim.experiments.replication import run_replication

    reps = 2 * ENSEMBLE_MIN_REPLICATIONS  # two chunks on one worker, each enough to batch
    for engine in ("agents", "auto"):
        tasks = plan_tasks([{}], reps, 3)
        summary = run_tasks(
            tasks,
            _scenario(),
            tmp_path / engine,
            progress=False,
            root_seed=3,
            engine=engine,
            replicate=RunsOnly(run_replication),
        )
    assert summary.manifest["engine"] == "ensemble"
    assert summary.manifest["engines"]["ensemble"] == reps
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "agents" / "runs.parquet"),
        pd.read_parquet(tmp_path / "auto" / "runs.parquet"),
    )
