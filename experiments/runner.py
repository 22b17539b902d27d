"""Run many replications, stream the rows to Parquet, resume after a crash.

A *task* is one replication of one scenario point: ``(point_id, overrides,
replication, seed)``; the replication function runs every contract model of
the scenario on that seed. Tasks are numbered in ``(point_id, replication)``
order and cut into contiguous *chunks*; a chunk is the unit of work sent to a
worker and the unit written to disk.

Output layout of ``out_dir``::

    parts/plan.json                         the task plan (seeds, overrides) and its fingerprint
    parts/index/part-00007.json             commit marker: chunk 7 is on disk (statuses, timings)
    parts/{runs,periods,ledger,events}/part-00007.parquet
    runs.parquet periods.parquet ledger.parquet events.parquet points.parquet
    manifest.json

``parts/`` exists only while the run can still be resumed: once every task has
succeeded and the final files are written, it is removed (the manifest keeps the
plan's fingerprint, so ``resume=True`` on a finished run is a no-op). A run with
failed tasks keeps its parts for the resume that retries them.

Crash safety: every file is written to a temporary name and renamed. A chunk
counts as done only once its marker exists, and the marker is written after
its part files, so a run killed at any moment leaves whole chunks or orphan
parts that the resume overwrites. ``resume=True`` skips committed chunks whose
tasks all succeeded and re-runs the rest (failed tasks are retried). The final
files are rebuilt from the parts in chunk order, one part at a time, so memory
stays flat and the rows are identical to an uninterrupted run, whatever the
backend or worker count.

Ledger rule (``ledger=``): ``"full"`` keeps the journal of every run;
``"none"`` keeps none; ``"sample"`` (default) keeps the full journal when the
plan has at most :data:`LEDGER_SAMPLE_TASKS` tasks, otherwise that many tasks
spread evenly over the plan (always including the first). The chosen tasks are
fixed by the plan, never by timing, and are listed in the manifest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import math
import os
import shutil
import subprocess
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from alliancesim.experiments.columns import TableColumns, repeated, rows_to_columns
from alliancesim.experiments.experiment import ExperimentError
from alliancesim.experiments.seeding import check_root_seed, task_seed
from alliancesim.model.ensemble import ENGINES, MIN_REPLICATIONS
from alliancesim.scenario import PRIOR_FIELDS

TABLES = ("runs", "periods", "ledger", "events")
SORT_KEYS = ("point_id", "replication", "contract_model", "period")
LEDGER_RULES = ("full", "sample", "none")
LEDGER_SAMPLE_TASKS = 50
# A chunk is a few seconds of work: small enough that the last chunks do not leave
# a worker idle for long at the end of a run, large enough that parts stay few.
MAX_CHUNK_SIZE = 20
PARAM_PREFIX = "param."

# The ensemble engine (model/ensemble) pays its per-period work once for all the
# replications of a point in a chunk, so its chunks are larger (about two a worker);
# below ENSEMBLE_MIN_REPLICATIONS of a point the agent model is about as fast.
ENSEMBLE_MAX_CHUNK = 200
ENSEMBLE_MIN_REPLICATIONS = MIN_REPLICATIONS

Replicate = Callable[..., Any]


@dataclass
class Task:
    """One replication of one scenario point."""

    task_id: int
    point_id: int
    replication: int
    seed: int
    overrides: dict[str, Any] = field(default_factory=dict)
    ledger: bool = False

    def record(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def labels(self) -> dict[str, Any]:
        """Columns every row of this task carries besides point, replication and seed."""
        return {}


@dataclass
class DrawTask(Task):
    """One replication of one draw from a posterior (``run --posterior``): the point is
    the draw; its rows carry ``draw``, ``particle`` (the posterior particle drawn) and
    ``setting`` (the first particle with the same prior values)."""

    draw: int = 0
    particle: int = 0
    setting: int = 0

    def labels(self) -> dict[str, Any]:
        return {"draw": self.draw, "particle": self.particle, "setting": self.setting}


@dataclass
class RunSummary:
    """What a call to :func:`run_tasks` did."""

    out_dir: Path
    n_tasks: int
    n_ok: int
    n_failed: int
    n_skipped: int
    failures: list[dict[str, Any]]
    elapsed_s: float
    manifest: dict[str, Any]

    @property
    def exit_code(self) -> int:
        return 1 if self.n_failed else 0


def plan_tasks(
    points: Sequence[dict[str, Any]],
    reps: int,
    root_seed: int,
    ledger: str = "sample",
) -> list[Task]:
    """Tasks for every (point, replication), seeds from :func:`seeding.task_seed`."""
    root = check_root_seed(root_seed)
    if ledger not in LEDGER_RULES:
        raise ExperimentError("ledger", "ledger", ledger, ", ".join(LEDGER_RULES))
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
        raise ExperimentError("reps", "replications", reps, "an integer >= 1")
    with_ledger = ledger_tasks(len(points) * reps, ledger)
    tasks = []
    for point_id, overrides in enumerate(points):
        for replication in range(reps):
            task_id = point_id * reps + replication
            tasks.append(
                Task(
                    task_id=task_id,
                    point_id=point_id,
                    replication=replication,
                    seed=task_seed(root, point_id, replication),
                    overrides=dict(overrides),
                    ledger=task_id in with_ledger,
                )
            )
    return tasks


def ledger_tasks(n: int, ledger: str) -> set[int]:
    """The task ids (of ``n``) that keep their ledger under the rule ``ledger``."""
    if ledger == "full" or (ledger == "sample" and n <= LEDGER_SAMPLE_TASKS):
        return set(range(n))
    if ledger == "sample":
        return {int(i) for i in np.linspace(0, n - 1, LEDGER_SAMPLE_TASKS).round()}
    return set()


def plan_draw_tasks(draws: Sequence[Any], root_seed: int, ledger: str = "sample") -> list[Task]:
    """Tasks for every (draw, replication) of a posterior run: the draw is the point, so
    the seed of replication r of draw d is :func:`seeding.task_seed` ``(root, d, r)``,
    and every contract model of it runs on that seed (paired within the draw)."""
    root = check_root_seed(root_seed)
    if ledger not in LEDGER_RULES:
        raise ExperimentError("ledger", "ledger", ledger, ", ".join(LEDGER_RULES))
    with_ledger = ledger_tasks(sum(d.replications for d in draws), ledger)
    tasks: list[Task] = []
    for draw in draws:
        for replication in range(draw.replications):
            task_id = len(tasks)
            tasks.append(
                DrawTask(
                    task_id=task_id,
                    point_id=draw.draw,
                    replication=replication,
                    seed=task_seed(root, draw.draw, replication),
                    overrides=dict(draw.overrides),
                    ledger=task_id in with_ledger,
                    draw=draw.draw,
                    particle=draw.particle,
                    setting=draw.setting,
                )
            )
    return tasks


# --------------------------------------------------------------------------- worker side


def _rows_to_table(rows: list[dict], task: Task, with_params: bool) -> pa.Table:
    """Rows (dicts) to an Arrow table, column by column: a key missing from a row is a
    null. Going straight to Arrow, not through a DataFrame, halves the cost of
    turning a replication's 480 period rows into a part."""
    return _columns_to_table(rows_to_columns([rows]), [task], with_params)


def _columns_to_table(table: TableColumns, tasks: Sequence[Task], with_params: bool) -> pa.Table:
    """Columns of the rows of ``tasks`` (``table.counts`` rows each, in order) to an
    Arrow table, with the columns every row of a task carries (its point, replication,
    seed, labels and, with ``with_params``, its overrides): the table each task's rows
    would make, these tables put end to end (a column in the order it first appears)."""
    columns = dict(table.columns)

    def each_row(values: Iterable[Any]) -> Any:
        return repeated(list(values), table.counts)

    labels = [t.labels() for t in tasks]
    params = [
        {PARAM_PREFIX + key: value for key, value in t.overrides.items()} if with_params else {}
        for t in tasks
    ]
    order: dict[str, None] = {}
    for keys, count, own_labels, own_params in zip(
        table.keys, table.counts, labels, params, strict=True
    ):
        if count:  # a task with no rows makes no table
            order.update(dict.fromkeys(keys))
            order.update(dict.fromkeys(("point_id", "replication", "seed")))
            order.update(dict.fromkeys(own_labels))
            order.update(dict.fromkeys(own_params))
    columns["point_id"] = each_row(t.point_id for t in tasks)
    columns["replication"] = each_row(t.replication for t in tasks)
    columns["seed"] = each_row(t.seed for t in tasks)
    for key in dict.fromkeys(chain(*labels)):
        columns[key] = each_row(own.get(key) for own in labels)
    for key in dict.fromkeys(chain(*params)):
        columns[key] = each_row(own.get(key) for own in params)
    return pa.table({key: columns[key] for key in order})


def _sorted(table: pa.Table) -> pa.Table:
    keys = [(k, "ascending") for k in SORT_KEYS if k in table.column_names]
    order = pc.sort_indices(table, sort_keys=keys)  # a stable sort
    if np.array_equal(order.to_numpy(), np.arange(table.num_rows)):
        return table  # already in order (an ensemble's periods): no copy
    return table.take(order)


def run_chunk(
    tasks: Sequence[Task],
    scenario: Any,
    models: Sequence[str] | None,
    replicate: Replicate,
    on_task_done: Callable[[], None] | None = None,
    engine: str = "agents",
) -> dict[str, Any]:
    """Run the tasks of one chunk; one task failing never stops the others.

    ``engine``: ``"agents"`` runs each task with ``replicate``; ``"ensemble"`` runs the
    chunk's tasks that can be stepped together as one ensemble a group
    (``replication.run_replication_tables``; a custom ``replicate`` through
    ``_together``), and a group whose ensemble fails falls back to ``replicate`` task by
    task.

    Returns ``{"tables": {name: pyarrow.Table | None}, "statuses": [...]}``; Arrow
    tables pickle compactly between processes.
    """
    parts: dict[str, list[pa.Table]] = {name: [] for name in TABLES}
    statuses = []
    for task, result, status in _task_results(tasks, scenario, models, replicate, engine):
        if isinstance(result, EnsembleTables):  # a point's tasks at once, with the first
            for name in TABLES:
                if result.tables.get(name) is not None:
                    parts[name].append(result.tables[name])
        elif result is not None:
            for name in TABLES:
                rows = getattr(result, name, None) or []
                if rows:
                    parts[name].append(_rows_to_table(rows, task, with_params=name == "runs"))
        statuses.append(status)
        if on_task_done is not None:
            on_task_done()
    tables = {}
    for name in TABLES:
        if parts[name]:
            tables[name] = _sorted(pa.concat_tables(parts[name], promote_options="permissive"))
        else:
            tables[name] = None
    return {"tables": tables, "statuses": statuses}


def _task_results(
    tasks: Sequence[Task],
    scenario: Any,
    models: Sequence[str] | None,
    replicate: Replicate,
    engine: str,
) -> Iterator[tuple[Task, Any, dict[str, Any]]]:
    """(task, result or None, status) for each task, in order.

    On the ensemble engine the default replication function's tasks are run a group at
    a time (``_ensemble_group``); a custom one (the channel decomposition's) is called
    for every task in turns, its model runs made together (``model/ensemble/batches``)."""
    from alliancesim.experiments.replication import run_replication

    pending = list(tasks)
    fell_back: dict[int, str] = {}  # task id -> why the ensemble did not run it
    if engine == "ensemble" and replicate is not run_replication:
        yield from _together(tasks, scenario, models, replicate)
        return
    if engine == "ensemble":
        pending = []
        for group in _ensemble_groups(tasks):
            try:
                yield from _ensemble_group(group, scenario, models)
            except Exception as exc:  # noqa: BLE001 - the agent model runs them instead
                # a scenario the ensemble cannot run is no reason to lose its runs
                pending.extend(group)
                fell_back.update((t.task_id, f"{type(exc).__name__}: {exc}") for t in group)
    for task in pending:
        result, status = _replicated(task, scenario, models, replicate)
        if task.task_id in fell_back:
            status["ensemble_error"] = fell_back[task.task_id]
        yield task, result, status


def _replicated(
    task: Task, scenario: Any, models: Sequence[str] | None, replicate: Replicate
) -> tuple[Any, dict[str, Any]]:
    """One task by the replication function: its result (None if it failed) and status."""
    started = time.perf_counter()
    status: dict[str, Any] = {"task_id": task.task_id, "status": "ok", "engine": "agents"}
    result = None
    try:
        point = scenario.with_overrides(task.overrides) if task.overrides else scenario
        result = replicate(
            point,
            task.seed,
            replication=task.replication,
            models=list(models) if models else None,
            ledger=task.ledger,
        )
    except Exception as exc:  # a failed run is recorded, the rest go on
        status = {
            "task_id": task.task_id,
            "status": "failed",
            "engine": "agents",
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(limit=20),
        }
    status["elapsed_s"] = round(time.perf_counter() - started, 6)
    return result, status


def _together(
    tasks: Sequence[Task], scenario: Any, models: Sequence[str] | None, replicate: Replicate
) -> Iterator[tuple[Task, Any, dict[str, Any]]]:
    """Every task by a custom replication function, the tasks taking turns so that the
    runs they make through ``replication.run_model`` are made together: on the
    ensemble for groups of at least ``MIN_REPLICATIONS`` runs of one scenario (up to
    prior values) and contract model. Each task's status says which engine made its
    chunk's runs."""
    from alliancesim.model.ensemble.batches import counting, together

    started = time.perf_counter()
    with counting() as counts:
        done = together(
            [functools.partial(_replicated, t, scenario, models, replicate) for t in tasks]
        )
    engine = "ensemble" if counts["ensemble"] else "agents"
    each = round((time.perf_counter() - started) / max(1, len(tasks)), 6)
    for task, (result, status) in zip(tasks, done, strict=True):
        status.update(engine=engine, elapsed_s=each)
        if "ensemble_error" in counts:
            status["ensemble_error"] = counts["ensemble_error"]
        yield task, result, status


def ensemble_key(task: Task) -> tuple:
    """What tasks stepped together must share: their overrides other than prior values
    (``PRIOR_FIELDS``, which an ensemble holds as arrays, one value a replication) and
    the ledger rule."""
    shared = {k: v for k, v in task.overrides.items() if k not in PRIOR_FIELDS}
    return (repr(sorted(shared.items())), task.ledger)


def _ensemble_groups(tasks: Sequence[Task]) -> list[list[Task]]:
    """The chunk's tasks that can be stepped together (``ensemble_key``), in order of
    first task: a point's replications, and the points of a design over prior values."""
    groups: dict[tuple, list[Task]] = {}
    for task in tasks:
        groups.setdefault(ensemble_key(task), []).append(task)
    return list(groups.values())


def group_priors(point: Any, group: Sequence[Task]) -> dict[str, list] | None:
    """Each task's value of every prior some task of the group overrides (the point's
    own value where a task does not): ``run_many``'s ``priors``."""
    from alliancesim.model.ensemble.priors import prior_values

    keys = list(dict.fromkeys(k for t in group for k in t.overrides if k in PRIOR_FIELDS))
    if not keys:
        return None
    own = prior_values(point)
    return {key: [t.overrides.get(key, own[key]) for t in group] for key in keys}


@dataclass
class EnsembleTables:
    """The tables of a point's tasks run together (``_ensemble_group``), made from the
    ensembles' columns: the rows of every task, in task order."""

    tables: dict[str, pa.Table | None]


def _ensemble_group(
    group: list[Task], scenario: Any, models: Sequence[str] | None
) -> list[tuple[Task, Any, dict[str, Any]]]:
    """A group's tasks on the ensemble engine (raises if the ensemble cannot run them):
    one point's, or points that differ only in prior values (``group_priors``). The
    first task carries the tables of all (``EnsembleTables``), the others None."""
    from alliancesim.experiments.replication import run_replication_tables

    started = time.perf_counter()
    first = group[0]
    shared = {k: v for k, v in first.overrides.items() if k not in PRIOR_FIELDS}
    point = scenario.with_overrides(shared) if shared else scenario
    columns, departures = run_replication_tables(
        point,
        [t.seed for t in group],
        [t.replication for t in group],
        models=list(models) if models else None,
        ledger=first.ledger,
        priors=group_priors(point, group),
    )
    tables = {
        name: _columns_to_table(columns[name], group, with_params=name == "runs")
        if columns[name].n_rows
        else None
        for name in TABLES
    }
    each = round((time.perf_counter() - started) / len(group), 6)  # the chunk's time, shared
    done = []
    for task in group:
        status: dict[str, Any] = {"task_id": task.task_id, "status": "ok", "engine": "ensemble"}
        if task.seed in departures:
            period, why = departures[task.seed]
            status["finished_by_agents"] = f"period {period}: {why}"
        status["elapsed_s"] = each
        done.append((task, EnsembleTables(tables) if task is first else None, status))
    return done


# --------------------------------------------------------------------------- files


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _atomic_write_json(path: Path, payload: Any) -> None:
    text = json.dumps(payload, indent=1, sort_keys=False, default=_json_default)
    _atomic_write_bytes(path, text.encode("utf-8"))


def _atomic_write_table(path: Path, table: pa.Table) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    return repr(value)


def _part_name(chunk_id: int, suffix: str) -> str:
    return f"part-{chunk_id:05d}.{suffix}"


def _chunk_id_of(path: Path) -> int:
    return int(path.name.split(".")[0].removeprefix("part-"))


def scenario_record(scenario: Any) -> Any:
    """The scenario's parameters as JSON-ready data (for the manifest and the fingerprint)."""
    if hasattr(scenario, "model_dump"):
        return scenario.model_dump(mode="json", by_alias=True)
    if dataclasses.is_dataclass(scenario) and not isinstance(scenario, type):
        return json.loads(json.dumps(dataclasses.asdict(scenario), default=_json_default))
    return repr(scenario)


def _fingerprint(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, default=_json_default)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def git_commit() -> dict[str, Any]:
    """The git commit of the code (and whether the tree had changes), if in a checkout."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        return {"commit": commit, "dirty": bool(dirty)}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def _version() -> str:
    try:
        from alliancesim import __version__

        return __version__
    except ImportError:  # pragma: no cover
        return "unknown"


# --------------------------------------------------------------------------- backends


def _chunks(
    tasks: Sequence[Task], chunk_size: int, taper: bool = True, least: int = 1
) -> list[tuple[int, list[Task]]]:
    """Contiguous chunks of ``chunk_size`` tasks. With ``taper`` the last ones shrink
    (a quarter of what is left each, once two full chunks or fewer remain, but not
    below ``least``: the ensemble's chunks stay large enough to pay), so that at the
    end of a run no worker is left alone with a full chunk while the others wait. The
    cut depends only on the number of tasks, ``chunk_size`` and ``least``, so a
    resumed sweep cuts its plan the same way."""
    chunks, start = [], 0
    while start < len(tasks):
        remaining = len(tasks) - start
        size = (
            chunk_size
            if not taper or remaining > 2 * chunk_size
            else min(chunk_size, max(least, -(-remaining // 4)))
        )
        chunks.append((len(chunks), list(tasks[start : start + size])))
        start += size
    return chunks


def default_chunk_size(
    n_tasks: int, workers: int, largest: int = MAX_CHUNK_SIZE, per_worker: int = 4
) -> int:
    """About ``per_worker`` chunks per worker, at most ``largest`` tasks each."""
    return max(1, min(largest, math.ceil(n_tasks / (max(workers, 1) * per_worker))))


def engine_counts(task_records: Sequence[dict[str, Any]]) -> dict[str, int]:
    """How the tasks ran: on the ensemble, on agents, and of the ensemble's, how many the
    agent model finished (a structural split) or ran instead (the ensemble failed)."""
    return {
        "ensemble": sum(r.get("engine") == "ensemble" for r in task_records),
        "agents": sum(r.get("engine") == "agents" for r in task_records),
        "finished_by_agents": sum("finished_by_agents" in r for r in task_records),
        "ensemble_failed": sum("ensemble_error" in r for r in task_records),
    }


def describe_engines(manifest: dict[str, Any]) -> str:
    """The engine line of a printout: which engine ran the replications, and how many
    of the ensemble's the agent model finished or ran instead."""
    counts = manifest.get("engines") or {}
    engine = manifest.get("engine", "agents")
    parts = [f"{counts.get(engine, 0):,} of {manifest.get('counts', {}).get('tasks', 0):,} tasks"]
    if counts.get("finished_by_agents"):
        parts.append(
            f"{counts['finished_by_agents']:,} finished by the agent model after a structural "
            "split (a failure, a handback, a governance decision)"
        )
    if counts.get("ensemble_failed"):
        parts.append(f"{counts['ensemble_failed']:,} run on agents: the ensemble failed")
    return f"engine: {engine} ({'; '.join(parts)})"


def choose_engine(requested: str, tasks: Sequence[Task]) -> str:
    """The engine that runs the replications: ``agents`` (one model a run) or
    ``ensemble`` (the replications of a chunk stepped together, ``model/ensemble``: a
    point's, and those of points that differ only in prior values).

    ``auto`` takes the ensemble when it pays: at least :data:`ENSEMBLE_MIN_REPLICATIONS`
    tasks that can be stepped together (``ensemble_key``). A custom replication
    function (the channel decomposition's) is run in turns, its runs made together
    (``_together``). The results are the same either way (the engines' equivalence
    test, ``tests/model/test_ensemble.py``)."""
    if requested not in ENGINES:
        raise ExperimentError("--engine", "engine", requested, ", ".join(ENGINES))
    if requested != "auto":
        return requested
    together: dict[tuple, int] = {}
    for task in tasks:
        key = ensemble_key(task)
        together[key] = together.get(key, 0) + 1
    most = max(together.values(), default=0)
    return "ensemble" if most >= ENSEMBLE_MIN_REPLICATIONS else "agents"


def _chunk_job(chunk_id, tasks, scenario, models, replicate, engine="agents"):
    return chunk_id, run_chunk(tasks, scenario, models, replicate, engine=engine)


def _serial(pending, scenario, models, replicate, tick, engine) -> Iterator[tuple[int, dict]]:
    for chunk_id, tasks in pending:
        yield chunk_id, run_chunk(tasks, scenario, models, replicate, tick, engine)


def _joblib(pending, scenario, models, replicate, workers, engine) -> Iterator[tuple[int, dict]]:
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=workers, backend="loky", return_as="generator_unordered")
    yield from parallel(
        delayed(_chunk_job)(chunk_id, tasks, scenario, models, replicate, engine)
        for chunk_id, tasks in pending
    )


@contextlib.contextmanager
def _dask_client(cluster: Any) -> Iterator[Any]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - optional extra
        raise ExperimentError(
            "--cluster", "cluster", cluster, "install the 'cluster' extra (dask[distributed])"
        ) from exc
    if isinstance(cluster, Client):
        yield cluster
        return
    owned = []
    try:
        if cluster == "local":
            local = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
            owned.append(local)
            client = Client(local)
        else:
            client = Client(cluster)
        owned.append(client)
        yield client
    finally:
        for thing in reversed(owned):
            with contextlib.suppress(Exception):
                thing.close()


def _dask(pending, scenario, models, replicate, cluster, engine) -> Iterator[tuple[int, dict]]:
    from distributed import as_completed

    with _dask_client(cluster) as client:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        in_flight = 2 * n_workers  # bounded so results never pile up in memory
        scattered = client.scatter(scenario, broadcast=True)
        queue = list(pending)
        futures = [
            client.submit(_chunk_job, cid, tasks, scattered, models, replicate, engine, pure=False)
            for cid, tasks in queue[:in_flight]
        ]
        queue = queue[in_flight:]
        stream = as_completed(futures)
        for future in stream:
            yield future.result()
            future.release()
            if queue:
                cid, tasks = queue.pop(0)
                stream.add(
                    client.submit(
                        _chunk_job, cid, tasks, scattered, models, replicate, engine, pure=False
                    )
                )


# --------------------------------------------------------------------------- run


def _validate_inputs(workers: int, cluster: Any, out_dir: Path) -> None:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ExperimentError("--workers", "workers", workers, "an integer >= 1")
    if out_dir.exists() and not out_dir.is_dir():
        raise ExperimentError(str(out_dir), "--out", str(out_dir), "a directory (this is a file)")
    if cluster is not None and not isinstance(cluster, str):
        try:
            from distributed import Client, LocalCluster
            from distributed.deploy import Cluster
        except ImportError as exc:  # pragma: no cover
            raise ExperimentError("--cluster", "cluster", cluster, "dask installed") from exc
        if isinstance(cluster, LocalCluster | Cluster):
            return
        if not isinstance(cluster, Client):
            raise ExperimentError(
                "--cluster", "cluster", cluster, "'local', 'tcp://host:port', a Cluster or Client"
            )
    elif isinstance(cluster, str) and cluster != "local" and "://" not in cluster:
        raise ExperimentError(
            "--cluster", "cluster", cluster, "'local' or a scheduler address like tcp://host:8786"
        )


def run_tasks(
    tasks: Sequence[Task],
    scenario: Any,
    out_dir: str | Path,
    *,
    workers: int = 1,
    cluster: Any = None,
    models: Sequence[str] | None = None,
    replicate: Replicate | None = None,
    progress: bool = True,
    resume: bool = False,
    chunk_size: int | None = None,
    root_seed: int | None = None,
    ledger_rule: str = "sample",
    experiment: dict[str, Any] | None = None,
    points: Sequence[dict[str, Any]] | None = None,
    posterior: dict[str, Any] | None = None,
    engine: str = "auto",
) -> RunSummary:
    """Run ``tasks`` on one of three backends and stream their rows to ``out_dir``.

    Backend: serial when ``workers == 1`` and no ``cluster``; joblib (loky
    processes) when ``workers > 1``; Dask distributed when ``cluster`` is a
    scheduler address (``"tcp://..."``), ``"local"`` (a two-worker LocalCluster),
    a ``distributed.LocalCluster``/``Cluster`` or a ``Client``.

    ``replicate(scenario, seed, replication=, models=, ledger=)`` must return an
    object with ``runs``, ``periods``, ``ledger`` and ``events`` lists of dicts;
    it defaults to :func:`alliancesim.experiments.replication.run_replication`.
    ``engine`` (``auto``, ``agents``, ``ensemble``): which engine runs the replications
    (:func:`choose_engine`); the results are the same either way.
    Raises :class:`ExperimentError` on bad input before anything is written.
    """
    out_dir = Path(out_dir)
    _validate_inputs(workers, cluster, out_dir)
    engine = choose_engine(engine, tasks)
    if replicate is None:
        from alliancesim.experiments.replication import run_replication

        replicate = run_replication
    if hasattr(cluster, "scheduler_address") and not hasattr(cluster, "submit"):
        cluster_arg: Any = cluster.scheduler_address  # a Cluster object: connect by address
    else:
        cluster_arg = cluster

    plan_path = out_dir / "parts" / "plan.json"
    plan_tasks_records = [t.record() for t in tasks]
    planned = {
        "scenario": scenario_record(scenario),
        "tasks": plan_tasks_records,
        "models": list(models) if models else None,
    }
    if posterior is not None:
        planned["posterior"] = posterior
    fingerprint = _fingerprint(planned)
    manifest_path = out_dir / "manifest.json"
    if plan_path.exists():
        stored = json.loads(plan_path.read_text(encoding="utf-8"))
        if not resume:
            raise ExperimentError(
                str(out_dir),
                "--out",
                str(out_dir),
                "a new or empty folder (this one holds a run that stopped part-way or had "
                "failed runs: `alliancesim sweep --resume` continues a sweep; otherwise choose "
                "another --out, or delete the folder to replace it)",
            )
        same_sweep(stored, fingerprint, out_dir)
        chunk_size = int(stored["chunk_size"])
        taper = stored.get("chunking") == "tapered"  # sweeps stored before tapering: even
        least = int(stored.get("least_chunk", 1))  # plans stored before the floor: 1
        engine = stored.get("engine", "agents")  # a resumed run keeps its engine and chunks
    elif manifest_path.exists():  # a finished run: its parts/ were removed
        stored = json.loads(manifest_path.read_text(encoding="utf-8"))
        if not resume:
            raise ExperimentError(
                str(out_dir),
                "--out",
                str(out_dir),
                "a new or empty folder (this one holds a finished run: choose another "
                "--out, or delete the folder to replace it)",
            )
        same_sweep(stored, fingerprint, out_dir)
        return _finished_summary(out_dir, stored)  # nothing is left to run
    elif resume and out_dir.exists() and any(out_dir.iterdir()):
        raise ExperimentError(
            str(out_dir), "--resume", str(out_dir), "a directory holding an earlier sweep's parts/"
        )
    else:
        taper = True
        least = ENSEMBLE_MIN_REPLICATIONS if engine == "ensemble" else 1
    n_workers = workers if cluster is None else 0
    if chunk_size is None:
        workers_seen = max(workers, 2 if cluster is not None else 1)
        if engine == "ensemble":  # fewer, larger chunks: an ensemble pays by its size
            chunk_size = default_chunk_size(len(tasks), workers_seen, ENSEMBLE_MAX_CHUNK, 2)
        else:
            chunk_size = default_chunk_size(len(tasks), workers_seen)
    if chunk_size < 1:
        raise ExperimentError("chunk_size", "chunk_size", chunk_size, "an integer >= 1")

    # Inputs are valid: from here on we write.
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    parts = out_dir / "parts"
    for sub in ("index", *TABLES):
        (parts / sub).mkdir(parents=True, exist_ok=True)
    for stale in parts.rglob(".*.tmp-*"):
        stale.unlink(missing_ok=True)
    if not plan_path.exists():
        _atomic_write_json(
            plan_path,
            {
                "fingerprint": fingerprint,
                "chunk_size": chunk_size,
                "chunking": "tapered" if taper else "even",
                "least_chunk": least,
                "engine": engine,
                "n_tasks": len(tasks),
                "created": started_at,
            },
        )

    chunks = _chunks(tasks, chunk_size, taper, least)
    statuses: dict[int, dict[str, Any]] = {}
    done_chunks: set[int] = set()
    for marker in sorted((parts / "index").glob("part-*.json")):
        record = json.loads(marker.read_text(encoding="utf-8"))
        if all(s["status"] == "ok" for s in record["statuses"]):
            done_chunks.add(record["chunk"])
            for s in record["statuses"]:
                statuses[s["task_id"]] = s
    pending = [(cid, ts) for cid, ts in chunks if cid not in done_chunks]
    n_skipped = sum(len(ts) for cid, ts in chunks if cid in done_chunks)

    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(tasks),
        initial=n_skipped,
        unit="run",
        desc="runs",
        disable=None if progress else True,
        dynamic_ncols=True,
    )
    serial = cluster is None and workers == 1
    if serial:
        stream = _serial(pending, scenario, models, replicate, lambda: bar.update(1), engine)
        backend = "serial"
    elif cluster is None:
        stream = _joblib(pending, scenario, models, replicate, workers, engine)
        backend = f"joblib-loky({workers})"
    else:
        stream = _dask(pending, scenario, models, replicate, cluster_arg, engine)
        backend = "dask"
    try:
        for chunk_id, result in stream:
            marker = parts / "index" / _part_name(chunk_id, "json")
            marker.unlink(missing_ok=True)  # a retried chunk is uncommitted until rewritten
            counts = {}
            for name in TABLES:
                table = result["tables"][name]
                part = parts / name / _part_name(chunk_id, "parquet")
                if table is None:
                    part.unlink(missing_ok=True)
                    counts[name] = 0
                else:
                    _atomic_write_table(part, table)
                    counts[name] = table.num_rows
            _atomic_write_json(
                marker, {"chunk": chunk_id, "rows": counts, "statuses": result["statuses"]}
            )
            for s in result["statuses"]:
                statuses[s["task_id"]] = s
            if not serial:
                bar.update(len(result["statuses"]))
    finally:
        bar.close()

    for name in TABLES:
        consolidate(parts / name, out_dir / f"{name}.parquet", [cid for cid, _ in chunks])
    if points is None:
        seen: dict[int, dict] = {}
        for t in tasks:
            seen.setdefault(t.point_id, t.overrides)
        points = [seen[k] for k in sorted(seen)]
    _write_points(out_dir / "points.parquet", points)

    elapsed = time.perf_counter() - t0
    task_records = []
    failures = []
    for t in tasks:
        s = statuses.get(t.task_id, {"status": "missing"})
        record = {
            **t.record(),
            "status": s["status"],
            "elapsed_s": s.get("elapsed_s"),
            "engine": s.get("engine", "agents"),
            **{k: s[k] for k in ("finished_by_agents", "ensemble_error") if k in s},
        }
        task_records.append(record)
        if s["status"] != "ok":
            failures.append(
                {
                    **t.record(),
                    "error": s.get("error", "no result"),
                    "traceback": s.get("traceback", ""),
                }
            )
    n_ok = sum(1 for r in task_records if r["status"] == "ok")
    run_seconds = [r["elapsed_s"] for r in task_records if r["elapsed_s"] is not None]
    manifest = {
        "status": "complete" if not failures else "failed",
        "fingerprint": fingerprint,
        "version": _version(),
        "git": git_commit(),
        "created": started_at,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "root_seed": root_seed,
        "models": list(models) if models else None,
        "scenario": scenario_record(scenario),
        "experiment": experiment,
        **({"posterior": posterior} if posterior is not None else {}),
        "points": list(points),
        "backend": backend,
        "engine": engine,
        "engines": engine_counts(task_records),
        "workers": n_workers if cluster is None else None,
        "cluster": str(cluster_arg) if cluster is not None else None,
        "chunk_size": chunk_size,
        "chunking": "tapered" if taper else "even",
        "ledger_rule": ledger_rule,
        "ledger_tasks": [t.task_id for t in tasks if t.ledger],
        "timings": {
            "wall_s_this_session": round(elapsed, 3),
            "run_s_total": round(sum(run_seconds), 3),
            "run_s_mean": round(sum(run_seconds) / len(run_seconds), 6) if run_seconds else None,
            "tasks_resumed": n_skipped,
        },
        "counts": {"tasks": len(tasks), "ok": n_ok, "failed": len(failures)},
        "failures": failures,
        "tasks": task_records,
    }
    _atomic_write_json(manifest_path, manifest)
    if not failures:
        # the parts are only needed to resume; a finished run keeps the consolidated
        # tables alone (a run with failed tasks keeps them for --resume to retry)
        shutil.rmtree(parts, ignore_errors=True)
    return RunSummary(
        out_dir=out_dir,
        n_tasks=len(tasks),
        n_ok=n_ok,
        n_failed=len(failures),
        n_skipped=n_skipped,
        failures=failures,
        elapsed_s=elapsed,
        manifest=manifest,
    )


def same_sweep(stored: dict, fingerprint: str, out_dir: Path) -> None:
    """A resumed sweep must be the one stored in ``out_dir``: same experiment, scenario,
    seed and replications (its fingerprint)."""
    if stored.get("fingerprint") != fingerprint:
        raise ExperimentError(
            str(out_dir),
            "--resume",
            str(out_dir),
            "the same experiment, scenario, seed and replications as the stored sweep "
            "(this one differs; use a new --out)",
        )


def _finished_summary(out_dir: Path, manifest: dict[str, Any]) -> RunSummary:
    """The summary of a finished run asked to resume: every task was already done."""
    n_tasks = int(manifest.get("counts", {}).get("tasks", 0))
    return RunSummary(
        out_dir=out_dir,
        n_tasks=n_tasks,
        n_ok=int(manifest.get("counts", {}).get("ok", n_tasks)),
        n_failed=0,
        n_skipped=n_tasks,
        failures=[],
        elapsed_s=0.0,
        manifest=manifest,
    )


def _write_points(path: Path, points: Sequence[dict[str, Any]]) -> None:
    rows = [
        {"point_id": i, **{PARAM_PREFIX + k: v for k, v in p.items()}} for i, p in enumerate(points)
    ]
    _atomic_write_table(path, pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False))


def consolidate(part_dir: Path, final: Path, chunk_order: Iterable[int]) -> int:
    """Concatenate the committed parts of one table into ``final``, one part at a time.

    Parts are already sorted and chunks are contiguous task ranges, so the
    concatenation in chunk order is globally sorted. Schemas are unified (a
    column missing from a part becomes nulls; int and float promote to float).
    """
    index_dir = part_dir.parent / "index"
    committed = {_chunk_id_of(p) for p in index_dir.glob("part-*.json")}
    files = [
        part_dir / _part_name(cid, "parquet")
        for cid in chunk_order
        if cid in committed and (part_dir / _part_name(cid, "parquet")).exists()
    ]
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    if not files:
        pq.write_table(
            pa.table(
                {
                    "point_id": pa.array([], pa.int64()),
                    "replication": pa.array([], pa.int64()),
                    "seed": pa.array([], pa.int64()),
                }
            ),
            tmp,
        )
        os.replace(tmp, final)
        return 0
    schema = pa.unify_schemas(
        [pq.read_schema(f) for f in files], promote_options="permissive"
    ).remove_metadata()
    rows = 0
    with pq.ParquetWriter(tmp, schema) as writer:
        for f in files:
            table = pq.read_table(f).replace_schema_metadata(None)
            for missing in (n for n in schema.names if n not in table.column_names):
                table = table.append_column(
                    missing, pa.nulls(table.num_rows, schema.field(missing).type)
                )
            writer.write_table(table.select(schema.names).cast(schema))
            rows += table.num_rows
    os.replace(tmp, final)
    return rows


# --------------------------------------------------------------------------- results


@dataclass
class Results:
    """Tidy DataFrames of a finished run directory (or held in memory)."""

    manifest: dict[str, Any]
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    out_dir: Path | None = None

    def table(self, name: str) -> pd.DataFrame:
        if name not in self.frames:
            if self.out_dir is None:
                raise KeyError(name)
            self.frames[name] = pd.read_parquet(self.out_dir / f"{name}.parquet")
        return self.frames[name]

    @property
    def runs(self) -> pd.DataFrame:
        return self.table("runs")

    @property
    def periods(self) -> pd.DataFrame:
        return self.table("periods")

    @property
    def ledger(self) -> pd.DataFrame:
        return self.table("ledger")

    @property
    def events(self) -> pd.DataFrame:
        return self.table("events")

    @property
    def points(self) -> pd.DataFrame:
        return self.table("points")

    @property
    def n_failed(self) -> int:
        return int(self.manifest.get("counts", {}).get("failed", 0))


def load_results(out_dir: str | Path) -> Results:
    """Open a run or sweep directory; tables load on first use."""
    out_dir = Path(out_dir)
    manifest_path = out_dir / "manifest.json"
    if not manifest_path.is_file():
        raise ExperimentError(
            str(out_dir), "DIR", str(out_dir), "a run directory holding manifest.json"
        )
    return Results(json.loads(manifest_path.read_text(encoding="utf-8")), out_dir=out_dir)


def run_scenario(
    scenario: Any,
    reps: int,
    seed: int,
    workers: int = 1,
    out_dir: str | Path | None = None,
    cluster: Any = None,
    models: Sequence[str] | None = None,
    ledger: str = "sample",
    progress: bool = True,
    replicate: Replicate | None = None,
    resume: bool = False,
    engine: str = "auto",
) -> Results:
    """Run ``reps`` replications of one scenario under its contract models.

    ``scenario`` is a ``Scenario`` or a preset name / path. With ``out_dir``
    the outputs stay on disk (and :class:`Results` reads them lazily); without
    it they are written to a temporary directory, read into memory and the
    directory removed. ``Results.n_failed`` tells whether any run failed.
    """
    if isinstance(scenario, str | Path):
        from alliancesim.scenario import load_scenario

        scenario = load_scenario(scenario)
    tasks = plan_tasks([{}], reps, seed, ledger=ledger)
    options: dict[str, Any] = dict(
        workers=workers,
        cluster=cluster,
        models=models,
        replicate=replicate,
        engine=engine,
        progress=progress,
        root_seed=seed,
        ledger_rule=ledger,
    )
    if out_dir is None:
        with tempfile.TemporaryDirectory(prefix="alliancesim-") as tmp:
            run_tasks(tasks, scenario, tmp, **options)
            results = load_results(tmp)
            for name in (*TABLES, "points"):
                results.table(name)
            results.out_dir = None
            return results
    run_tasks(tasks, scenario, out_dir, resume=resume, **options)
    return load_results(out_dir)


def run_over_posterior(
    scenario: Any,
    draws: Sequence[Any],
    seed: int,
    posterior: dict[str, Any],
    out_dir: str | Path,
    workers: int = 1,
    cluster: Any = None,
    models: Sequence[str] | None = None,
    ledger: str = "sample",
    progress: bool = True,
    replicate: Replicate | None = None,
    engine: str = "auto",
) -> Results:
    """Run each posterior draw (``experiments.posterior_draws.Draw``) for its replications.

    Every draw is the scenario with that draw's prior values (``with_overrides``);
    its replications run every contract model on common seeds. Rows carry ``draw``
    and ``particle``; ``draws.parquet`` lists each draw's particle, weight,
    replications and prior values; the manifest keeps ``posterior`` (the folder as
    given, the file's hash) with K and the draws.
    """
    from alliancesim.experiments.posterior_draws import draws_frame

    out_dir = Path(out_dir)
    tasks = plan_draw_tasks(draws, seed, ledger=ledger)
    record = {**posterior, "draws": len(draws), "drawn": [d.record() for d in draws]}
    run_tasks(
        tasks,
        scenario,
        out_dir,
        workers=workers,
        cluster=cluster,
        models=models,
        replicate=replicate,
        engine=engine,
        progress=progress,
        root_seed=seed,
        ledger_rule=ledger,
        points=[d.overrides for d in draws],
        posterior=record,
    )
    _atomic_write_table(
        out_dir / "draws.parquet",
        pa.Table.from_pandas(draws_frame(list(draws)), preserve_index=False),
    )
    return load_results(out_dir)


def remove_outputs(out_dir: str | Path) -> None:
    """Delete a run directory's outputs (used by tests and ``--force`` style callers)."""
    shutil.rmtree(out_dir, ignore_errors=True)


def run_experiment(
    experiment: Any,
    out_dir: str | Path,
    *,
    workers: int = 1,
    cluster: Any = None,
    resume: bool = False,
    progress: bool = True,
    replicate: Replicate | None = None,
    scenario: Any = None,
    engine: str = "auto",
) -> RunSummary:
    """Run every point x replication of an experiment file (or loaded ``Experiment``).

    The scenario and every point are validated first (``ScenarioError`` or
    :class:`ExperimentError`); only then is ``out_dir`` written. ``scenario``
    replaces the experiment's own scenario (tests pass a fake one).
    """
    from alliancesim.experiments.experiment import (
        expand,
        load_experiment,
        load_experiment_scenario,
    )

    if isinstance(experiment, str | Path):
        experiment = load_experiment(experiment)
    points = expand(experiment)
    if scenario is None:
        scenario = load_experiment_scenario(experiment)
    else:
        for point in {repr(sorted(p.items())): p for p in points}.values():
            scenario.with_overrides(point)
    section = experiment.experiment
    tasks = plan_tasks(points, section.replications, section.seed, ledger=section.ledger)
    return run_tasks(
        tasks,
        scenario,
        out_dir,
        workers=workers,
        cluster=cluster,
        models=section.models,
        replicate=replicate,
        engine=engine,
        progress=progress,
        resume=resume,
        root_seed=section.seed,
        ledger_rule=section.ledger,
        experiment=experiment.record(),
        points=points,
    )
