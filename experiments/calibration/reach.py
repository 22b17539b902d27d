"""A reach study: before calibrating, which targets can the priors meet, and which priors
move each target?

Evaluates every target of a calibration file at seeded draws over the priors (a Latin
hypercube over each prior's uniform range, one simulation seed per draw, as a particle
of the calibration gets) and prints, per target, the range of its statistic over the
draws, the share of draws inside the case range, and the Spearman rank correlation of
the statistic with each prior::

    python -m alliancesim.experiments.calibration.reach experiments/calibrations/shipped.toml \\
        --draws 40 --seed 1

A target no draw reaches cannot be met by these priors (the posterior will sit at the
edge nearest the case); a target whose correlations are all near zero does not constrain
them. The file is read and checked as ``alliancesim calibrate`` reads it (``config.py``);
only its ``[[priors]]`` and ``[[targets]]`` tables are used.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from alliancesim.experiments.calibration.config import (
    PRIOR_PREFIX,
    CalibrationError,
    CaseTarget,
    Prior,
    load_calibration,
)
from alliancesim.experiments.calibration.targets import TARGETS
from scipy import stats
from scipy.stats import qmc


def draws(priors: Sequence[Prior], n: int, seed: int) -> np.ndarray:
    """``n`` Latin-hypercube draws over the priors' uniform ranges (rows: draws)."""
    unit = qmc.LatinHypercube(d=len(priors), seed=np.random.default_rng(seed)).random(n)
    low = np.array([p.low for p in priors])
    high = np.array([p.high for p in priors])
    return low + unit * (high - low)


def run_seeds(seed: int, n: int) -> list[int]:
    """One simulation seed per draw, derived from the study's seed."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n)]


@dataclass(frozen=True)
class TargetReach:
    name: str
    low: float
    high: float
    values: tuple[float, ...]
    correlations: tuple[float, ...]  # Spearman, one per prior (nan: the statistic is flat)

    @property
    def finite(self) -> list[float]:
        return [v for v in self.values if math.isfinite(v)]

    @property
    def inside(self) -> float:
        return sum(self.low <= v <= self.high for v in self.finite) / len(self.values)


def reach(
    priors: Sequence[Prior], targets: Sequence[CaseTarget], n: int, seed: int
) -> list[TargetReach]:
    """Every target's statistic at every draw, with its rank correlation to each prior."""
    points = draws(priors, n, seed)
    seeds = run_seeds(seed, n)
    values = {t.name: [] for t in targets}
    for point, run_seed in zip(points, seeds, strict=True):
        overrides = {p.key: float(x) for p, x in zip(priors, point, strict=True)}
        for t in targets:
            values[t.name].append(float(TARGETS[t.name].statistic(overrides, run_seed)))
    found = []
    for t in targets:
        ys = np.asarray(values[t.name])
        ok = np.isfinite(ys)
        rhos = []
        for k in range(len(priors)):
            if ok.sum() < 3 or len(set(ys[ok])) < 2:
                rhos.append(float("nan"))
            else:
                rhos.append(float(stats.spearmanr(points[ok, k], ys[ok]).statistic))
        found.append(TargetReach(t.name, t.low, t.high, tuple(ys.tolist()), tuple(rhos)))
    return found


def short(key: str) -> str:
    return key[len(PRIOR_PREFIX) :] if key.startswith(PRIOR_PREFIX) else key


def table(priors: Sequence[Prior], found: Sequence[TargetReach], n: int) -> str:
    """The reach table, one row per target."""
    head = ["target", "case range", "min", "median", "max", "inside", "nan"]
    head += [f"rho {short(p.key)}" for p in priors]
    rows = []
    for r in found:
        xs = r.finite
        row = [
            r.name,
            f"[{r.low:g}, {r.high:g}]",
            *(
                f"{v:.4g}"
                for v in ((min(xs), float(np.median(xs)), max(xs)) if xs else [math.nan] * 3)
            ),
            f"{r.inside:.0%}",
            str(len(r.values) - len(xs)),
            *(f"{rho:+.2f}" if math.isfinite(rho) else "flat" for rho in r.correlations),
        ]
        rows.append(row)
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
    lines = [
        "  ".join(x.ljust(w) for x, w in zip(line, widths, strict=True)) for line in [head, *rows]
    ]
    ranges = ", ".join(f"{short(p.key)} [{p.low:g}, {p.high:g}]" for p in priors)
    note = (
        f"{n} Latin-hypercube draws over {ranges}; one simulation seed per draw. "
        "inside: share of draws in the case range; rho: Spearman rank correlation with the "
        "prior; flat: the statistic did not vary over the draws."
    )
    return "\n".join([*lines, "", note])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m alliancesim.experiments.calibration.reach",
        description="Evaluate a calibration file's targets over its priors before calibrating.",
    )
    parser.add_argument("file", help="the calibration file (TOML)")
    parser.add_argument("--draws", type=int, default=40, help="prior draws (default 40)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the draws and the runs")
    args = parser.parse_args(argv)
    if args.draws < 3:
        print(f"--draws: {args.draws}; allowed: at least 3", file=sys.stderr)
        return 2
    try:
        calibration = load_calibration(args.file)
    except CalibrationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    priors, targets = calibration.priors, calibration.targets
    print(table(priors, reach(priors, targets, args.draws, args.seed), args.draws))
    return 0


if __name__ == "__main__":
    sys.exit(main())
