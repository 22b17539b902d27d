"""Shared tools of the pattern checks: paired seeds, intervals, scenario variants, runs.

Every comparison is paired on common random numbers: one seed per replication,
derived with ``numpy.random.SeedSequence`` from the pattern's seed, and the same
seed for every condition compared, so the demand stream is identical and the
difference is the design's, not the noise's.

A pattern's statistic for one seed is written for one run at a time (``run``); the
pattern applies it to all its seeds through ``per_seed``, which makes the runs of every
seed together (``model/ensemble/batches.py``): on the ensemble engine where a scenario
and contract model have at least 16 seeds asking (``auto``), or as ``engine_in_force``
says. A run is the same on either engine, so the statistic is too.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from alliancesim.experiments.validation.suite import PatternResult, active_overrides
from alliancesim.model.ensemble import ENGINES, batches
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.scenario import Scenario, load_scenario, validate_scenario
from scipy import stats

QUICK_PAIRS = 8  # quick mode: the tests directory (patterns and knock-outs) in about a minute
FULL_PAIRS = 100


def paired_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent run seeds derived from one pattern seed."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n)]


def pairs(quick: bool) -> int:
    return QUICK_PAIRS if quick else FULL_PAIRS


@dataclass(frozen=True)
class Interval:
    """A mean with its 95% interval (t interval over paired replications)."""

    estimate: float
    low: float
    high: float
    n: int

    def above(self, value: float = 0.0) -> bool:
        return self.low > value

    def below(self, value: float = 0.0) -> bool:
        return self.high < value

    def __str__(self) -> str:
        return f"{self.estimate:.4g} [{self.low:.4g}, {self.high:.4g}] (n={self.n})"


def mean_interval(values: Sequence[float]) -> Interval:
    """Mean and 95% t interval; a degenerate sample gives a zero-width interval."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    mean = float(x.mean()) if n else float("nan")
    if n < 2 or float(x.std(ddof=1)) == 0.0:
        return Interval(mean, mean, mean, n)
    half = float(stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return Interval(mean, mean - half, mean + half, n)


def wilson_interval(successes: int, n: int) -> Interval:
    """A share with its 95% Wilson score interval."""
    if n == 0:
        return Interval(float("nan"), 0.0, 1.0, 0)
    z = 1.959963984540054
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Interval(p, min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half)), n)


def variant(scenario: Scenario, overrides: dict[str, Any], source: str) -> Scenario:
    """The scenario with dotted-key overrides (initial conditions or terms, never results)."""
    return scenario.with_overrides(overrides, source=source) if overrides else scenario


def with_models(scenario: Scenario, models: dict[str, dict], source: str) -> Scenario:
    """The scenario with contract models added or replaced (shorthand dicts)."""
    raw = scenario.model_dump(mode="json", by_alias=True, exclude_unset=False)
    for name, spec in models.items():
        raw["contract_models"][name] = spec
    return validate_scenario(raw, source)


def model_spec(scenario: Scenario, name: str, **changes: Any) -> dict:
    """A contract model's spec as a dict, with some fields changed."""
    spec = scenario.contract_models[name].model_dump(mode="json", by_alias=True)
    spec.update(changes)
    return spec


def preset(name: str, overrides: dict[str, Any] | None = None) -> Scenario:
    """A preset with initial-condition overrides, and the prior values and knock-out in
    force (if any, ``suite.prior_overrides`` and ``suite.knocked_out``): every pattern
    loads its scenarios here, so its knock-out run switches the mechanism off, and a
    calibration target's prior values apply, in every condition it compares."""
    return load_scenario(name, {**(overrides or {}), **active_overrides()} or None)


def run(scenario: Scenario, contract_model: str, seed: int) -> HealthEconomyModel:
    """One finished run of one contract model (no ledger: the patterns read outputs only):
    the agent model's at once, or inside ``per_seed`` the run made with the other seeds'
    (an ensemble's replication reads like a finished ``HealthEconomyModel``)."""
    return batches.run(scenario, contract_model, seed)


def stepped(scenario: Scenario, contract_model: str, seed: int) -> HealthEconomyModel:
    """An agent model a pattern steps by hand (reading it between periods): always the
    agent model, counted as a run of it (``batches.counting``)."""
    batches.count("agents", 1)
    return HealthEconomyModel(scenario, contract_model, seed, record_ledger=False)


_ENGINE: contextvars.ContextVar[str] = contextvars.ContextVar("validation_engine", default="auto")


def known_engine(engine: str) -> str:
    """``engine`` if it is one (``auto``, ``agents``, ``ensemble``), else a ValueError
    naming the allowed values."""
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r}: allowed values are {', '.join(ENGINES)}")
    return engine


@contextlib.contextmanager
def engine_in_force(engine: str) -> Iterator[None]:
    """Within the block, ``per_seed`` makes its runs on ``engine``: ``auto`` (the ensemble
    for a scenario and contract model asked for by at least 16 seeds at once, else the
    agent model), ``agents`` or ``ensemble``."""
    token = _ENGINE.set(known_engine(engine))
    try:
        yield
    finally:
        _ENGINE.reset(token)


def per_seed[T](seeds: Sequence[int], statistic: Callable[[int], T]) -> list[T]:
    """``statistic(seed)`` for every seed, in order, with the runs they ask for (``run``)
    made together on the engine in force (``engine_in_force``)."""
    return batches.together([partial(statistic, s) for s in seeds], engine=_ENGINE.get())


def total(model: HealthEconomyModel, column: str, last_year: bool = False) -> float:
    rows = model.rows
    if last_year:
        year = rows[-1]["year"]
        rows = [r for r in rows if r["year"] == year]
    return float(sum(r[column] for r in rows))


def shiftable_activity(model: HealthEconomyModel, last_year: bool = True) -> float:
    return total(model, "acute_activity", last_year)


def paired(
    seeds: Sequence[int], statistic: Callable[[int], float | None]
) -> tuple[Interval, list[float]]:
    """Apply a per-seed paired statistic and summarise it (``None`` values are skipped)."""
    values = [v for v in per_seed(seeds, statistic) if v is not None]
    return mean_interval(values), values


def negotiation_fields(model: HealthEconomyModel) -> dict[str, Any]:
    """Negotiation outputs, if the negotiation layer has attached any to the model."""
    found = {}
    for name in ("negotiation_result", "negotiation_months", "negotiation_members"):
        value = getattr(model, name, None)
        if value is not None:
            found[name] = value
    return found


def pattern_result(
    code: str, title: str, run_text: str, statistic: str, primary: Interval, passed: bool, note: str
) -> PatternResult:
    """A validation table row from the pattern's primary statistic and its interval."""
    return PatternResult(
        code,
        title,
        run_text,
        statistic,
        primary.estimate,
        primary.low,
        primary.high,
        bool(passed),
        note,
    )


def slope(levels: Sequence[float], values: Sequence[float]) -> float:
    """Least-squares slope of ``values`` on ``levels`` (one replication's dose-response)."""
    x = np.asarray(levels, dtype=float)
    y = np.asarray(values, dtype=float)
    dx = x - x.mean()
    return float((dx * (y - y.mean())).sum() / (dx * dx).sum())


def trend(levels: Sequence[float], per_seed: Sequence[Sequence[float]]) -> Interval:
    """A dose-response on paired seeds: the mean of the per-seed slopes over ``levels``
    (at least three) with its 95% t interval. ``per_seed`` holds, for each seed, the
    response at every level, all on that seed's common random numbers."""
    if len(levels) < 3:
        raise ValueError("a dose-response needs at least three levels")
    return mean_interval([slope(levels, row) for row in per_seed])


def spearman(levels: Sequence[float], per_seed: Sequence[Sequence[float]]) -> float:
    """Spearman rank correlation of the response with the level, over every replication
    (for the record beside :func:`trend`; nan if the response never varies)."""
    x = [lv for row in per_seed for lv in levels[: len(row)]]
    y = [v for row in per_seed for v in row]
    if len(set(y)) < 2:
        return float("nan")
    return float(stats.spearmanr(x, y).statistic)


def bootstrap_interval(
    seeds_values: Sequence[Any], statistic: Callable[[Sequence[Any]], float], draws: int = 400
) -> Interval:
    """A statistic of the whole sample (e.g. a ratio of sums) with a 95% percentile
    bootstrap interval over the paired replications (resampled whole, so pairs stay
    pairs). The resampling stream is fixed, so the interval is reproducible."""
    n = len(seeds_values)
    estimate = statistic(seeds_values)
    if n < 2:
        return Interval(estimate, estimate, estimate, n)
    rng = np.random.default_rng(20240601)
    values = []
    for _ in range(draws):
        picks = rng.integers(0, n, n)
        value = statistic([seeds_values[i] for i in picks])
        if not math.isnan(value):
            values.append(value)
    if not values:
        return Interval(estimate, float("nan"), float("nan"), n)
    low, high = np.percentile(values, [2.5, 97.5])
    return Interval(estimate, float(min(low, estimate)), float(max(high, estimate)), n)
