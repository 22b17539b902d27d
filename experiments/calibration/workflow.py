"""A whole calibration: check the output folder, start or resume pyabc's run, stream the
tables and the manifest after every generation, then write the diagnostics.

From a notebook::

    from alliancesim.experiments.calibration.config import load_calibration
    from alliancesim.experiments.calibration.workflow import calibrate
    result = calibrate(load_calibration("my.toml"), Path("results/my-calibration"))
    result.posterior  # DataFrame, one row per accepted particle
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import pandas as pd
from alliancesim.experiments.calibration import diagnostics, posterior, sampler
from alliancesim.experiments.calibration.config import (
    Calibration,
    CalibrationError,
    parse_calibration,
)


@dataclass
class CalibrationResult:
    out_dir: Path
    posterior: pd.DataFrame
    generations: pd.DataFrame
    simulations: int
    wall_time_s: float
    summary: list[str]


def default_out(calibration: Calibration, today: dt.date | None = None) -> Path:
    today = today or dt.date.today()
    return Path("results") / f"calibration-{calibration.name}-{today.isoformat()}"


def check_out_dir(calibration: Calibration, out_dir: Path, resume: bool) -> None:
    """Refuse a folder that is a file, a new calibration over an old one, or a resume
    with a calibration file that does not define the same inference."""
    if out_dir.exists() and not out_dir.is_dir():
        raise CalibrationError(out_dir, ["--out: this is a file; allowed: a directory"])
    has_db = (out_dir / posterior.DB).exists()
    if not resume:
        if has_db:
            raise CalibrationError(
                out_dir,
                [
                    "--out: this folder already holds a calibration (calibration.db); "
                    "allowed: --resume to continue it, or another --out"
                ],
            )
        return
    if not has_db:
        raise CalibrationError(
            out_dir, ["--resume: no calibration.db in this folder; nothing to resume"]
        )
    manifest = posterior.read_manifest(out_dir) or {}
    stored = manifest.get("identity")
    if stored != _jsonable(calibration.identity()):
        differing = sorted(
            key
            for key in calibration.identity()
            if (stored or {}).get(key) != _jsonable(calibration.identity()[key])
        )
        raise CalibrationError(
            calibration.file,
            [
                f"--resume: this file defines a different calibration from the one in "
                f"{out_dir.name} (differs in: {', '.join(differing) or 'everything'}); "
                "allowed: the same name, seed, particles, priors and targets (only "
                "generations, min_epsilon, min_acceptance and predictive_draws may change)"
            ],
        )


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value))


def _map_fn(backend: sampler.Backend) -> diagnostics.MapFn | None:
    if backend.client is not None:
        client = backend.client

        def dask_map(fn, items):
            futures = [client.submit(fn, *item, pure=False) for item in items]
            return client.gather(futures)

        return dask_map
    if backend.executor is not None:
        executor = backend.executor

        def loky_map(fn, items):
            return list(executor.map(fn, *zip(*items, strict=True)))

        return loky_map
    return None


def _version() -> str:
    try:
        from alliancesim import __version__

        return __version__
    except ImportError:  # pragma: no cover
        return "unknown"


def calibrate(
    calibration: Calibration,
    out_dir: Path,
    *,
    workers: int = 1,
    cluster: Any = None,
    resume: bool = False,
    command: str = "",
    stream: TextIO | None = None,
    engine: str = "auto",
) -> CalibrationResult:
    """Run (or resume) ``calibration`` into ``out_dir``; progress lines on ``stream``.

    ``engine``: ``agents`` runs each particle's model runs alone; ``ensemble`` makes the
    runs of a worker's particles together (``sampler.seeded_jobs``); ``auto`` does so when
    a generation has at least ``MIN_REPLICATIONS`` particles. The posterior is the same."""
    from alliancesim.experiments.runner import git_commit

    stream = stream or sys.stderr
    engine = sampler.choose_engine(engine, calibration.particles)
    check_out_dir(calibration, out_dir, resume)
    start = time.perf_counter()
    with sampler.backend_for(workers, cluster, engine) as backend:
        created = not out_dir.exists()
        out_dir.mkdir(parents=True, exist_ok=True)
        previous = (posterior.read_manifest(out_dir) or {}) if resume else {}
        earlier_s = float(previous.get("wall_time_s") or 0.0)
        (out_dir / posterior.COPY).write_text(calibration.text, encoding="utf-8")
        manifest: dict[str, Any] = {
            "command": command,
            "alliancesim_version": _version(),
            "git": git_commit(),
            "calibration": calibration.name,
            "seed": calibration.seed,
            "identity": calibration.identity(),
            "pyabc": _pyabc_version(),
            "sampler": backend.label,
            "workers": backend.workers,
            "cluster": backend.cluster,
            "reproducibility": backend.reproducible,
            "engine": engine,
            "engines": None,
            "simulation_seeds": "sha256(calibration seed, prior values) mod 2**32, "
            "recorded per particle in the seed column",
            "resumed": bool(resume),
            "status": "running",
            "simulations": int(previous.get("simulations") or 0),
            "wall_time_s": earlier_s,
        }
        posterior.write_manifest(out_dir, manifest)
        print(f"engine: {sampler.describe_engine(engine)}", file=stream, flush=True)
        abc = sampler.build_abc(calibration, backend)
        url = posterior.db_url(out_dir)
        try:
            if resume:
                abc.load(url, abc_id=1)
            else:
                abc.new(url, sampler.observed(calibration))

            def on_generation(_report: sampler.GenerationReport) -> None:
                posterior.write_tables(abc.history, calibration, out_dir)
                manifest["simulations"] = int(abc.history.total_nr_simulations)
                manifest["wall_time_s"] = earlier_s + time.perf_counter() - start
                manifest["engines"] = backend.sampler.engine_counts
                posterior.write_manifest(out_dir, manifest)

            ran, reason = sampler.run_generations(abc, calibration, backend, on_generation, stream)
        except BaseException:
            manifest["status"] = "stopped"
            manifest["wall_time_s"] = earlier_s + time.perf_counter() - start
            if created and not (out_dir / posterior.DB).exists():
                shutil.rmtree(out_dir, ignore_errors=True)
            else:
                posterior.write_manifest(out_dir, manifest)
            raise
        if ran == 0:
            print(f"nothing to run: {reason} (raise generations to continue it)", file=stream)
        if abc.history.max_t < 0:
            manifest.update(status="stopped", stopped_because=reason)
            posterior.write_manifest(out_dir, manifest)
            raise RuntimeError(f"no generation finished: {reason}")
        table = posterior.write_tables(abc.history, calibration, out_dir)
        summary = diagnostics.write_diagnostics(out_dir, calibration, _map_fn(backend))
        wall = earlier_s + time.perf_counter() - start
        generations = pd.read_parquet(out_dir / posterior.GENERATIONS)
        simulations = int(abc.history.total_nr_simulations)
        manifest.update(
            status="done",
            stopped_because=reason,
            simulations=simulations,
            predictive_simulations=calibration.predictive_draws,
            generations=len(generations),
            wall_time_s=wall,
        )
        posterior.write_manifest(out_dir, manifest)
    last = generations.iloc[-1]
    print(
        f"done ({reason}): {len(generations)} generations, {simulations} simulations, final "
        f"epsilon {last['epsilon']:.4g}, {wall:.1f} s -> {out_dir}",
        file=stream,
    )
    return CalibrationResult(out_dir, table, generations, simulations, wall, summary)


def diagnose(out_dir: Path, workers: int = 1, cluster: Any = None) -> list[str]:
    """Re-make the diagnostics of a finished (or stopped) calibration folder."""
    copy = out_dir / posterior.COPY
    if not (out_dir / posterior.POSTERIOR).exists() or not copy.exists():
        raise CalibrationError(
            out_dir,
            [
                "--diagnose: not a calibration folder; allowed: a folder with posterior.parquet "
                "and calibration.toml (the output of alliancesim calibrate)"
            ],
        )
    calibration = parse_calibration(copy.read_text(encoding="utf-8"), copy)
    with sampler.backend_for(workers, cluster) as backend:
        return diagnostics.write_diagnostics(out_dir, calibration, _map_fn(backend))


def _pyabc_version() -> str:
    try:
        import pyabc

        return str(pyabc.__version__)
    except ImportError:  # pragma: no cover
        return "missing"
