"""Calibration targets: a pattern's statistic, simulated at given prior values.

A target is the simulator side of one calibration target. The calibration file
(``CALIBRATION.toml``) says which targets to use, the value or range the cases
report, and the tolerance; this registry says how the model produces the statistic.
A target's statistic must be the same quantity its validation pattern tests, computed
by the same code, so a calibration can only fit what the validation suite ties to a
mechanism.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from alliancesim.experiments.validation.behaviour_patterns import v7_negotiated_share, v7_talks
from alliancesim.experiments.validation.case_patterns import (
    V15_PRESET,
    V16_PRESET,
    V16Seed,
    v15_seed,
    v16_seed,
)
from alliancesim.experiments.validation.common import preset
from alliancesim.experiments.validation.negotiation_patterns import negotiated, v3_seed
from alliancesim.experiments.validation.suite import active_overrides, prior_overrides
from alliancesim.scenario import Scenario, load_scenario

# (prior values by dotted scenario key, e.g. {"behaviour.reciprocity_weight": 0.4}, seed)
Statistic = Callable[[Mapping[str, float], int], float]


@dataclass(frozen=True)
class Target:
    """How the model produces one calibration statistic."""

    name: str  # the key a calibration file uses, e.g. "v15_saving_three_years"
    pattern: str  # the validation pattern it comes from, e.g. "V15"
    description: str  # one line in plain words, with its unit
    statistic: Statistic


TARGETS: dict[str, Target] = {}


def target(name: str, pattern: str, description: str) -> Callable[[Statistic], Statistic]:
    """Register a statistic under ``name``."""

    def register(statistic: Statistic) -> Statistic:
        if name in TARGETS:
            raise ValueError(f"calibration target '{name}' registered twice")
        TARGETS[name] = Target(name, pattern, description, statistic)
        return statistic

    return register


# ----------------------------------------------------------------------------------------
# The targets. Each reads ONE seed of its pattern's per-seed statistic (the function the
# pattern averages over its seeds), with the particle's prior values applied, through
# ``suite.prior_overrides``, to every scenario the statistic loads (``common.preset``).

Overrides = Mapping[str, float]


def _key(overrides: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((str(k), v) for k, v in overrides.items()))


def _loaded(name: str, overrides: Overrides) -> Scenario:
    """A pattern's preset with the prior values in force, as the pattern loads it."""
    with prior_overrides(overrides):
        return preset(name)


@lru_cache(maxsize=1024)
def _v16_runs(in_force: tuple[tuple[str, Any], ...], seed: int) -> V16Seed:
    """One paired V16 replication under every override in force; cached so the three V16
    targets of one particle share its two 120-month runs (the runs are deterministic in
    the seed and the overrides). Room for every particle of a worker's share of a
    generation: their jobs take turns (``sampler.seeded_jobs``), so a particle's three
    targets are computed with hundreds of other particles' in between."""
    return v16_seed(load_scenario(V16_PRESET, dict(in_force) or None), seed)


def _v16(overrides: Overrides, seed: int) -> V16Seed:
    """The V16 replication at these prior values, with any knock-out in force (part of
    the cache key, so a knocked-out evaluation never reuses a run made without it)."""
    with prior_overrides(overrides):
        return _v16_runs(_key(active_overrides()), seed)


@target(
    "v15_saving_three_years",
    "V15",
    "mental_health_alliance, alliance as agreed vs status quo: year-3 commissioner spend "
    "saving (share of the status quo's year-3 spend)",
)
def v15_saving_three_years(overrides: Overrides, seed: int) -> float:
    return v15_seed(_loaded(V15_PRESET, overrides), seed).saving


@target(
    "v16_bed_fall",
    "V16",
    "over65s_alliance, overlay as signed vs status quo: reduction in last-year bed-based "
    "activity (bed days; share)",
)
def v16_bed_fall(overrides: Overrides, seed: int) -> float:
    return _v16(overrides, seed).bed_fall


@target(
    "v16_admission_fall",
    "V16",
    "over65s_alliance, overlay as signed vs status quo: reduction in last-year emergency "
    "(acute) admissions (share; negative = admissions rose)",
)
def v16_admission_fall(overrides: Overrides, seed: int) -> float:
    return _v16(overrides, seed).admission_fall


@target(
    "v16_saving",
    "V16",
    "over65s_alliance, overlay as signed vs status quo: last-year commissioner spend "
    "saving (share)",
)
def v16_saving(overrides: Overrides, seed: int) -> float:
    return _v16(overrides, seed).saving


@target(
    "v7_outcome_share",
    "V7",
    "default preset, outcomes-based contract negotiated from a 15% withhold: the outcome-"
    "linked share it settles on (share of contract value; nan when the talks are abandoned, "
    "seeds the pattern skips)",
)
def v7_outcome_share(overrides: Overrides, seed: int) -> float:
    with prior_overrides(overrides):
        talks = v7_talks()
    share = v7_negotiated_share(talks, seed)
    return float("nan") if share is None else share


@target(
    "v3_negotiation_months",
    "V3",
    "default preset, alliance negotiated: length of the negotiation (months)",
)
def v3_negotiation_months(overrides: Overrides, seed: int) -> float:
    with prior_overrides(overrides):
        scenario = negotiated()
    return v3_seed(scenario, seed).months
