"""Scenario discovery: which inputs lead to an outcome of interest (EMA Workbench PRIM).

Given the inputs of each run and a boolean outcome (the alliance collapsed,
savings were negative ...), PRIM peels the input space down to a box where the
outcome is common (density) while keeping most of the cases of interest
(coverage). EMA Workbench is an optional extra (``pip install
alliancesim[discovery]``) and is imported only when used.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from alliancesim.experiments.analysis import MODEL, with_savings
from alliancesim.experiments.experiment import ExperimentError

PARAM_PREFIX = "param."
_OUTCOME = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(<=|>=|==|!=|<|>)\s*(-?[\d.eE+_-]+)\s*$")
_OPS = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


@dataclass
class DiscoveryResult:
    """The chosen PRIM box: limits per restricted input, coverage, density, mass."""

    box: pd.DataFrame  # columns: parameter, low, high, restricted
    coverage: float
    density: float
    mass: float
    n_cases: int
    n_of_interest: int
    trajectory: pd.DataFrame  # the whole peeling trajectory (coverage, density, mass, res_dim)

    def describe(self) -> str:
        lines = [
            f"cases: {self.n_cases}, of interest: {self.n_of_interest} "
            f"(base rate {self.n_of_interest / max(self.n_cases, 1):.1%})",
            f"box: coverage {self.coverage:.1%}, density {self.density:.1%}, mass {self.mass:.1%}",
        ]
        for _, row in self.box[self.box["restricted"]].iterrows():
            lines.append(f"  {row['low']:.4g} <= {row['parameter']} <= {row['high']:.4g}")
        if not self.box["restricted"].any():
            lines.append("  (no input restricted: the outcome is not concentrated anywhere)")
        return "\n".join(lines)


def _import_prim():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import prim
    except ImportError as exc:
        raise ImportError(
            "scenario discovery needs EMA Workbench: pip install 'alliancesim[discovery]' "
            "(ema-workbench==3.0.0)"
        ) from exc
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return prim


def discover(
    inputs: pd.DataFrame,
    outcome: np.ndarray | pd.Series,
    threshold: float = 0.8,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
) -> DiscoveryResult:
    """Run PRIM and pick, on the peeling trajectory, the box of highest coverage
    whose density reaches ``threshold`` (or the densest box if none does)."""
    prim = _import_prim()
    x = inputs.reset_index(drop=True).copy()
    for col in x.columns:  # PRIM treats float and int columns as numeric; bools as categories
        if pd.api.types.is_bool_dtype(x[col]):
            x[col] = x[col].astype(int)
        elif pd.api.types.is_integer_dtype(x[col]):
            x[col] = x[col].astype(np.int64)
        elif pd.api.types.is_numeric_dtype(x[col]):
            x[col] = x[col].astype(np.float64)
    y = np.asarray(outcome, dtype=bool)
    if y.shape[0] != len(x):
        raise ValueError(f"outcome has {y.shape[0]} rows, inputs {len(x)}")
    if not y.any():
        raise ValueError("no case has the outcome of interest; PRIM needs at least one")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # EMA Workbench's own pandas deprecations
        algorithm = prim.Prim(x, y, peel_alpha=peel_alpha, mass_min=mass_min)
        box = algorithm.find_box()
    trajectory = box.peeling_trajectory.reset_index(drop=True)
    dense = trajectory.index[trajectory["density"] >= threshold]
    if len(dense):
        chosen = int(trajectory.loc[dense, "coverage"].idxmax())
    else:
        chosen = int(trajectory["density"].idxmax())
    box.select(chosen)
    limits = box.box_lims[chosen]
    initial = box.box_lims[0]
    rows = []
    for col in limits.columns:
        low, high = limits[col].iloc[0], limits[col].iloc[1]
        restricted = bool(low != initial[col].iloc[0] or high != initial[col].iloc[1])
        rows.append(
            {"parameter": col, "low": _num(low), "high": _num(high), "restricted": restricted}
        )
    stats = trajectory.iloc[chosen]
    return DiscoveryResult(
        box=pd.DataFrame(rows),
        coverage=float(stats["coverage"]),
        density=float(stats["density"]),
        mass=float(stats["mass"]),
        n_cases=len(x),
        n_of_interest=int(y.sum()),
        trajectory=trajectory[
            [c for c in ("coverage", "density", "mass", "res_dim") if c in trajectory.columns]
        ],
    )


def _num(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def parse_outcome(expression: str, columns: list[str]) -> tuple[str, str | None, float | None]:
    """``"savings_pence<0"`` -> (column, op, number); a bare column name must be boolean.

    Parsed, never evaluated: only ``column OP number``.
    """
    match = _OUTCOME.match(expression)
    if match:
        column, op, number = match.groups()
        try:
            value = float(number.replace("_", ""))
        except ValueError:
            value = None
        if value is None:
            raise ExperimentError(
                "--outcome", "--outcome", expression, "column OP number, e.g. savings_pence<0"
            )
    else:
        column, op, value = expression.strip(), None, None
    if column not in columns:
        raise ExperimentError(
            "runs.parquet",
            "--outcome",
            expression,
            f"a run column ({', '.join(c for c in columns if not c.startswith(PARAM_PREFIX))}) "
            "or 'column OP number' with OP in < <= > >= == !=",
        )
    return column, op, value


def discover_runs(
    out_dir: str | Path,
    outcome: str,
    model: str | None = None,
    threshold: float = 0.8,
    baseline_model: str = "status_quo",
) -> DiscoveryResult:
    """PRIM over a sweep directory: inputs are the swept ``param.*`` columns of each run."""
    out_dir = Path(out_dir)
    path = out_dir / "runs.parquet"
    if not path.is_file():
        raise ExperimentError(
            str(out_dir), "DIR", str(out_dir), "a sweep directory with runs.parquet"
        )
    runs = with_savings(pd.read_parquet(path), baseline_model)
    if model is not None:
        known = list(dict.fromkeys(runs[MODEL]))
        if model not in known:
            raise ExperimentError(str(path), "--model", model, ", ".join(known))
        runs = runs.loc[runs[MODEL] == model]
    runs = runs.copy()
    for c in [c for c in runs.columns if c.startswith(PARAM_PREFIX)]:
        if runs[c].map(lambda v: isinstance(v, list | tuple | np.ndarray)).any():
            # a list-valued parameter (withhold_by_year) becomes a category for PRIM
            runs[c] = runs[c].map(lambda v: str([float(i) for i in v]))
    params = [c for c in runs.columns if c.startswith(PARAM_PREFIX) and runs[c].nunique() > 1]
    if not params:
        raise ExperimentError(
            str(path), "param.*", None, "a sweep that varies at least one parameter"
        )
    column, op, value = parse_outcome(outcome, list(runs.columns))
    if op is None:
        if not pd.api.types.is_bool_dtype(runs[column]):
            raise ExperimentError(
                str(path), "--outcome", outcome, "a boolean column, or 'column OP number'"
            )
        y = runs[column].to_numpy(dtype=bool)
    else:
        y = _OPS[op](runs[column].to_numpy(dtype=float), value)
    inputs = runs[params].rename(columns=lambda c: c.removeprefix(PARAM_PREFIX))
    return discover(inputs, y, threshold=threshold)
