import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from alliancesim.experiments.experiment import ExperimentError
from alliancesim.experiments.runner import (
    TABLES,
    load_results,
    plan_tasks,
    run_scenario,
    run_tasks,
)
from experiment_fakes import (
    FakeScenario,
    Interrupting,
    failing_replication,
    fake_replication,
)

POINTS = [{"trust.initial": 0.3}, {"trust.initial": 0.8}, {"economy.demand_trend": 0.05}]


def _frames(out_dir: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(out_dir / f"{name}.parquet") for name in TABLES}


def _run(out_dir, **kwargs):
    tasks = plan_tasks(POINTS, 4, 2024, ledger="full")
    kwargs.setdefault("replicate", fake_replication)
    return run_tasks(tasks, FakeScenario(), out_dir, progress=False, root_seed=2024, **kwargs)


def _assert_same(a: dict, b: dict) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(a[name], b[name], check_like=False)


def test_outputs_identical_serial_joblib_and_dask(tmp_path):
    from distributed import LocalCluster

    _run(tmp_path / "serial", chunk_size=2)
    _run(tmp_path / "joblib", workers=2, chunk_size=3)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        _run(tmp_path / "dask", cluster=cluster)
    serial = _frames(tmp_path / "serial")
    assert len(serial["runs"]) == 3 * 4 * 3
    _assert_same(serial, _frames(tmp_path / "joblib"))
    _assert_same(serial, _frames(tmp_path / "dask"))


def test_outputs_sorted_by_point_replication_model_period(tmp_path):
    _run(tmp_path / "o", workers=2, chunk_size=1)
    periods = _frames(tmp_path / "o")["periods"]
    keys = ["point_id", "replication", "contract_model", "period"]
    assert periods[keys].equals(periods[keys].sort_values(keys).reset_index(drop=True))


def test_same_seed_same_results_on_rerun(tmp_path):
    _run(tmp_path / "a")
    _run(tmp_path / "b", workers=2)
    _assert_same(_frames(tmp_path / "a"), _frames(tmp_path / "b"))


def test_interrupted_sweep_resumes_to_exactly_the_uninterrupted_rows(tmp_path):
    _run(tmp_path / "whole", chunk_size=2)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path / "killed", chunk_size=2, replicate=Interrupting(k=5))
    assert not (tmp_path / "killed" / "manifest.json").exists()
    committed = list((tmp_path / "killed" / "parts" / "index").glob("*.json"))
    assert len(committed) == 2  # 5 runs done = 2 whole chunks + half a chunk lost
    summary = _run(tmp_path / "killed", chunk_size=2, resume=True)
    assert summary.n_skipped == 4 and summary.n_failed == 0
    _assert_same(_frames(tmp_path / "whole"), _frames(tmp_path / "killed"))


def test_sigkilled_subprocess_resumes_without_loss_or_duplicates(tmp_path):
    script = tmp_path / "sweep.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from experiment_fakes import FakeScenario, slow_replication\n"
        "from alliancesim.experiments.runner import plan_tasks, run_tasks\n"
        "tasks = plan_tasks([{}], 60, 5, ledger='full')\n"
        "run_tasks(tasks, FakeScenario(), sys.argv[1], replicate=slow_replication,\n"
        "          progress=False, resume=True, chunk_size=3, root_seed=5)\n"
    )
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, str(script), str(out)])
    index = out / "parts" / "index"
    deadline = time.time() + 30
    while time.time() < deadline and len(list(index.glob("*.json"))) < 3:
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    assert not (out / "manifest.json").exists()
    subprocess.run([sys.executable, str(script), str(out)], check=True)
    tasks = plan_tasks([{}], 60, 5, ledger="full")
    run_tasks(
        tasks,
        FakeScenario(),
        tmp_path / "whole",
        replicate=fake_replication,
        progress=False,
        chunk_size=3,
        root_seed=5,
    )
    _assert_same(_frames(tmp_path / "whole"), _frames(out))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["counts"]["ok"] == 60


def test_failed_run_is_recorded_and_the_rest_complete(tmp_path):
    summary = _run(tmp_path / "o", replicate=failing_replication, workers=2)
    assert summary.n_failed == 3 and summary.exit_code == 1
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    failure = manifest["failures"][0]
    assert failure["replication"] == 2 and "NaN" in failure["error"]
    assert failure["seed"] and "overrides" in failure
    runs = pd.read_parquet(tmp_path / "o" / "runs.parquet")
    assert sorted(runs["replication"].unique()) == [0, 1, 3]
    assert len(runs) == 3 * 3 * 3


def test_resume_retries_failed_runs(tmp_path):
    _run(tmp_path / "o", replicate=failing_replication, chunk_size=2)
    summary = _run(tmp_path / "o", resume=True, chunk_size=2)
    assert summary.n_failed == 0
    _run(tmp_path / "whole")
    _assert_same(_frames(tmp_path / "whole"), _frames(tmp_path / "o"))


def test_existing_sweep_is_not_overwritten_without_resume(tmp_path):
    _run(tmp_path / "o")
    with pytest.raises(ExperimentError, match="holds a finished run"):
        _run(tmp_path / "o")
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path / "stopped", chunk_size=2, replicate=Interrupting(k=5))
    with pytest.raises(ExperimentError, match="sweep --resume"):
        _run(tmp_path / "stopped", chunk_size=2)


def test_parts_are_removed_once_the_run_is_finished_and_kept_while_resumable(tmp_path):
    _run(tmp_path / "whole", chunk_size=2)
    assert not (tmp_path / "whole" / "parts").exists()
    assert (tmp_path / "whole" / "runs.parquet").is_file()
    _run(tmp_path / "failed", replicate=failing_replication, chunk_size=2)
    assert (tmp_path / "failed" / "parts" / "plan.json").is_file()  # kept to retry
    _run(tmp_path / "failed", resume=True, chunk_size=2)
    assert not (tmp_path / "failed" / "parts").exists()
    _assert_same(_frames(tmp_path / "whole"), _frames(tmp_path / "failed"))


def test_resuming_a_finished_run_runs_nothing_and_keeps_its_rows(tmp_path):
    _run(tmp_path / "o")
    before = _frames(tmp_path / "o")
    summary = _run(tmp_path / "o", resume=True, replicate=failing_replication)
    assert summary.n_skipped == 12 and summary.n_failed == 0 and summary.n_ok == 12
    _assert_same(before, _frames(tmp_path / "o"))


def test_resume_refuses_a_different_sweep(tmp_path):
    _run(tmp_path / "o")
    tasks = plan_tasks(POINTS, 5, 2024)
    with pytest.raises(ExperimentError, match="differs"):
        run_tasks(
            tasks,
            FakeScenario(),
            tmp_path / "o",
            replicate=fake_replication,
            progress=False,
            resume=True,
        )


def test_bad_worker_count_writes_nothing(tmp_path):
    with pytest.raises(ExperimentError, match="workers"):
        _run(tmp_path / "o", workers=0)
    assert not (tmp_path / "o").exists()


def test_ledger_sample_rule_keeps_a_fixed_subset(tmp_path):
    tasks = plan_tasks([{}], 120, 1, ledger="sample")
    chosen = [t.task_id for t in tasks if t.ledger]
    assert len(chosen) == 50 and chosen[0] == 0 and chosen[-1] == 119
    assert all(t.ledger for t in plan_tasks([{}], 10, 1, ledger="sample"))
    assert not any(t.ledger for t in plan_tasks([{}], 10, 1, ledger="none"))


def test_run_scenario_in_memory_for_notebooks():
    results = run_scenario(
        FakeScenario(), reps=3, seed=9, replicate=fake_replication, progress=False
    )
    assert results.out_dir is None and results.n_failed == 0
    assert set(results.runs["contract_model"]) == {"status_quo", "alliance", "lead_provider"}
    assert results.manifest["root_seed"] == 9


def test_manifest_records_seeds_version_and_timings(tmp_path):
    _run(tmp_path / "o")
    manifest = load_results(tmp_path / "o").manifest
    assert manifest["root_seed"] == 2024
    assert len(manifest["tasks"]) == 12 and all(t["seed"] for t in manifest["tasks"])
    assert manifest["version"] and "git" in manifest and manifest["timings"]["run_s_total"] >= 0


@pytest.mark.parametrize(("n", "size"), [(1, 5), (7, 3), (48, 5), (1000, 20)])
def test_chunks_cover_every_task_once_in_order_and_shrink_at_the_end(n, size):
    from alliancesim.experiments.runner import _chunks

    tasks = plan_tasks([{}], n, 7, ledger="none")
    chunks = _chunks(tasks, size)
    assert [cid for cid, _ in chunks] == list(range(len(chunks)))
    assert [t.task_id for _, ts in chunks for t in ts] == list(range(n))
    sizes = [len(ts) for _, ts in chunks]
    assert max(sizes) <= size and min(sizes) >= 1
    assert sizes == sorted(sizes, reverse=True)  # never a bigger chunk after a smaller one
    if n > 2 * size:
        assert sizes[-1] < size  # the last chunk is a small one
    assert [len(ts) for _, ts in _chunks(tasks, size, taper=False)][:-1] == [size] * (
        -(-n // size) - 1
    )


@pytest.mark.parametrize(("n", "size"), [(40, 20), (100, 40), (1000, 200)])
def test_an_ensembles_chunks_taper_no_further_than_it_pays(n, size):
    """On the ensemble engine the last chunks shrink to 16 tasks, not to one or two
    (a smaller ensemble is slower than the agent model), the last one apart."""
    from alliancesim.experiments.runner import ENSEMBLE_MIN_REPLICATIONS, _chunks

    tasks = plan_tasks([{}], n, 7, ledger="none")
    sizes = [len(ts) for _, ts in _chunks(tasks, size, least=ENSEMBLE_MIN_REPLICATIONS)]
    assert sum(sizes) == n and sizes == sorted(sizes, reverse=True)
    assert min(sizes[:-1]) >= ENSEMBLE_MIN_REPLICATIONS
    assert min(len(ts) for _, ts in _chunks(tasks, size)) < ENSEMBLE_MIN_REPLICATIONS


def test_a_sweep_stored_with_even_chunks_resumes_with_even_chunks(tmp_path):
    """A plan written before chunks tapered (no "chunking" key) is cut the old way on
    resume, so its committed chunks still line up with the tasks they hold."""
    whole = tmp_path / "whole"
    assert _run(whole, chunk_size=5).manifest["chunking"] == "tapered"
    killed = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        _run(killed, chunk_size=5, replicate=Interrupting(k=5))  # chunk 0 (5 tasks) committed
    old = json.loads((killed / "parts" / "plan.json").read_text())
    del old["chunking"]
    (killed / "parts" / "plan.json").write_text(json.dumps(old))
    summary = _run(killed, resume=True)
    assert summary.n_ok == 12 and summary.n_skipped == 5
    assert summary.manifest["chunking"] == "even"
    _assert_same(_frames(whole), _frames(killed))
