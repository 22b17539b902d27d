"""Global sensitivity: SALib Sobol and Morris, over a plain function or a finished sweep.

SALib's own shape is kept: a problem dict, a sample, the outputs, an analysis.
For a sweep, each sample point was run for several replications; the output of
a point is the mean over its replications (so the indices describe the
expected outcome, and replication noise shows up as wider intervals).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from alliancesim.experiments.analysis import MODEL, with_savings
from alliancesim.experiments.experiment import ExperimentError, parse_experiment

PARAM_PREFIX = "param."


def sobol_indices(
    problem: dict[str, Any],
    y: np.ndarray,
    second_order: bool = False,
    seed: int | None = 0,
    num_resamples: int = 200,
) -> pd.DataFrame:
    """First-order and total Sobol indices with bootstrap confidence half-widths.

    Columns: parameter, S1, S1_conf, ST, ST_conf (rows in problem order).
    """
    from SALib.analyze import sobol

    result = sobol.analyze(
        problem,
        np.asarray(y, dtype=float),
        calc_second_order=second_order,
        num_resamples=num_resamples,
        seed=seed,
        print_to_console=False,
    )
    return _indices(problem, result, ("S1", "S1_conf", "ST", "ST_conf"))


def morris_indices(
    problem: dict[str, Any],
    x: np.ndarray,
    y: np.ndarray,
    levels: int = 4,
    seed: int | None = 0,
    num_resamples: int = 200,
) -> pd.DataFrame:
    """Morris elementary effects: mu, mu_star (with confidence), sigma."""
    from SALib.analyze import morris

    result = morris.analyze(
        problem,
        np.asarray(x, dtype=float),
        np.asarray(y, dtype=float),
        num_levels=levels,
        num_resamples=num_resamples,
        seed=seed,
        print_to_console=False,
    )
    return _indices(problem, result, ("mu", "mu_star", "mu_star_conf", "sigma"))


def _indices(problem: dict[str, Any], result: Any, columns: tuple[str, ...]) -> pd.DataFrame:
    """One row per parameter, in problem order, with SALib's ``columns``."""
    return pd.DataFrame({"parameter": problem["names"], **{c: result[c] for c in columns}})


def sobol_of_function(
    func: Callable[[np.ndarray], np.ndarray],
    problem: dict[str, Any],
    n: int,
    seed: int = 0,
    second_order: bool = False,
) -> pd.DataFrame:
    """Sample (Saltelli/Sobol), evaluate ``func`` on the sample matrix, analyse."""
    from SALib.sample import sobol as sobol_sample

    x = sobol_sample.sample(problem, n, calc_second_order=second_order, seed=seed)
    return sobol_indices(problem, np.asarray(func(x)), second_order=second_order, seed=seed)


def morris_of_function(
    func: Callable[[np.ndarray], np.ndarray],
    problem: dict[str, Any],
    n: int,
    levels: int = 4,
    seed: int = 0,
) -> pd.DataFrame:
    """Sample Morris trajectories, evaluate ``func``, analyse."""
    from SALib.sample import morris as morris_sample

    x = morris_sample.sample(problem, n, num_levels=levels, seed=seed)
    return morris_indices(problem, x, np.asarray(func(x)), levels=levels, seed=seed)


def point_outputs(runs: pd.DataFrame, metric: str, model: str, n_points: int) -> np.ndarray:
    """Mean of ``metric`` over replications for each point (0..n_points-1) of one model."""
    rows = runs.loc[runs[MODEL] == model]
    if rows.empty:
        raise ExperimentError(
            "runs.parquet",
            "--model",
            model,
            ", ".join(dict.fromkeys(runs[MODEL])),
            "no runs of this model",
        )
    if metric not in rows.columns:
        raise ExperimentError(
            "runs.parquet",
            "--metric",
            metric,
            ", ".join(c for c in rows.columns if not c.startswith(PARAM_PREFIX)),
        )
    means = rows.groupby("point_id")[metric].mean()
    missing = sorted(set(range(n_points)) - set(means.index))
    if missing:
        raise ExperimentError(
            "runs.parquet",
            "point_id",
            missing[:10],
            "every sample point (some runs failed: "
            "re-run them with `alliancesim sweep ... --resume`)",
            "points without runs",
        )
    return means.reindex(range(n_points)).to_numpy(dtype=float)


def sensitivity_of_sweep(
    out_dir: str | Path,
    metric: str = "savings_pence",
    model: str | None = None,
    baseline_model: str = "status_quo",
) -> pd.DataFrame:
    """Sobol or Morris indices of a finished sampled sweep; also writes them to ``out_dir``.

    The result is saved in ``sensitivity.parquet`` (with method, metric, model
    columns), replacing any earlier result for the same metric and model and
    keeping the others, so analysing several metrics builds one table;
    ``alliancesim report`` draws a tornado chart for each metric and model.
    """
    out_dir = Path(out_dir)
    manifest_path = out_dir / "manifest.json"
    if not manifest_path.is_file():
        raise ExperimentError(
            str(out_dir), "DIR", str(out_dir), "a sweep directory with manifest.json"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    record = dict(manifest.get("experiment") or {})
    source = record.pop("source", str(manifest_path))
    if not record.get("sampling"):
        raise ExperimentError(
            source,
            "sampling",
            None,
            "a sweep made from a [sampling] design (method = 'sobol' or 'morris')",
        )
    experiment = parse_experiment(record, source=source)
    spec = experiment.sampling
    assert spec is not None
    if spec.method == "latin_hypercube":
        raise ExperimentError(source, "sampling.method", spec.method, "sobol, morris")
    names = list(spec.bounds)
    problem = {
        "num_vars": len(names),
        "names": names,
        "bounds": [list(map(float, b)) for b in spec.bounds.values()],
    }
    points = pd.read_parquet(out_dir / "points.parquet").sort_values("point_id")
    x = points[[PARAM_PREFIX + n for n in names]].to_numpy(dtype=float)
    runs = with_savings(pd.read_parquet(out_dir / "runs.parquet"), baseline_model)
    if model is None:
        models = [m for m in dict.fromkeys(runs[MODEL]) if m != baseline_model]
        model = models[0] if models else baseline_model
    y = point_outputs(runs, metric, model, len(points))
    if spec.method == "sobol":
        table = sobol_indices(
            problem, y, second_order=spec.second_order, seed=experiment.experiment.seed
        )
    else:
        table = morris_indices(problem, x, y, levels=spec.levels, seed=experiment.experiment.seed)
    table.insert(0, "method", spec.method)
    table.insert(1, "metric", metric)
    table.insert(2, MODEL, model)
    import pyarrow as pa
    from alliancesim.experiments.runner import _atomic_write_table

    path = out_dir / "sensitivity.parquet"
    kept = table
    if path.is_file():
        earlier = pd.read_parquet(path)
        if {"metric", MODEL} <= set(earlier.columns):
            other = earlier[(earlier["metric"] != metric) | (earlier[MODEL] != model)]
            kept = pd.concat([other, table], ignore_index=True)
    _atomic_write_table(path, pa.Table.from_pandas(kept, preserve_index=False))
    return table
