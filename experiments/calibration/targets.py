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
