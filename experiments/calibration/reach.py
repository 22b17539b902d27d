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
them. The file is read minimally here (tomllib): the ``[[priors]]`` and ``[[targets]]``
tables of the calibration schema.
"""

from __future__ import annotations

import argparse
import math
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from alliancesim.experiments.calibration.targets import TARGETS
from alliancesim.scenario import BehaviourSpec
from scipy import stats
from scipy.stats import qmc

PRIOR_PREFIX = "behaviour."


class ReachInputError(ValueError):
    """Bad input: the message names the file, the key and what is allowed."""


@dataclass(frozen=True)
class ReachPrior:
    key: str
    low: float
    high: float


@dataclass(frozen=True)
class ReachTarget:
    name: str
    low: float
    high: float


def prior_range(key: str) -> tuple[float, float]:
    """The priors table's plausible range of a behaviour prior (``prior(...)``)."""
    field = key[len(PRIOR_PREFIX) :] if key.startswith(PRIOR_PREFIX) else None
    info = BehaviourSpec.model_fields.get(field) if field else None
    extra = (info.json_schema_extra if info else None) or {}
    if not isinstance(extra, dict) or "prior_range" not in extra:
        raise KeyError(key)
    low, high = extra["prior_range"]
    return float(low), float(high)


def read(path: str | Path) -> tuple[list[ReachPrior], list[ReachTarget]]:
    """The priors and targets of a calibration file."""
    try:
        raw = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ReachInputError(f"{path}: cannot read the calibration file: {error}") from error
    priors = []
    for i, entry in enumerate(raw.get("priors", [])):
        key = entry.get("key", "")
        try:
            low, high = prior_range(key)
        except KeyError:
            raise ReachInputError(
                f"{path}: key 'priors[{i}].key': '{key}' is not a behaviour prior; allowed: "
                "behaviour.<field> of a prior in the priors table (docs/priors.md)"
            ) from None
        priors.append(ReachPrior(key, float(entry.get("low", low)), float(entry.get("high", high))))
    targets = []
    for i, entry in enumerate(raw.get("targets", [])):
        name = entry.get("name", "")
        if name not in TARGETS:
            raise ReachInputError(
                f"{path}: key 'targets[{i}].name': '{name}' is not a registered target; "
                f"allowed: {', '.join(sorted(TARGETS))}"
            )
        if "value" in entry:
            low = high = float(entry["value"])
        elif "low" in entry and "high" in entry:
            low, high = float(entry["low"]), float(entry["high"])
        else:
            raise ReachInputError(
                f"{path}: key 'targets[{i}]': give value, or both low and high ({name})"
            )
        targets.append(ReachTarget(name, low, high))
    if not priors or not targets:
        raise ReachInputError(f"{path}: needs at least one [[priors]] and one [[targets]] table")
    return priors, targets


def draws(priors: Sequence[ReachPrior], n: int, seed: int) -> np.ndarray:
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
    priors: Sequence[ReachPrior], targets: Sequence[ReachTarget], n: int, seed: int
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


def table(priors: Sequence[ReachPrior], found: Sequence[TargetReach], n: int) -> str:
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
        priors, targets = read(args.file)
    except ReachInputError as error:
        print(error, file=sys.stderr)
        return 2
    print(table(priors, reach(priors, targets, args.draws, args.seed), args.draws))
    return 0


if __name__ == "__main__":
    sys.exit(main())
