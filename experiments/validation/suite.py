"""The pattern suite of docs/validation.md: a registry of named pattern checks.

Each pattern is a function ``(quick: bool, seed: int) -> PatternResult`` that
runs what it needs on common random numbers, computes its statistic from the
model's outputs, and returns pass or fail with the figure. It must never set
the outcome it tests: the verdict comes out of the mechanisms.

Register with the decorator::

    @pattern("V8", "Activity tariffs resist the shift")
    def tariffs_resist_shift(quick: bool, seed: int) -> PatternResult: ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class PatternResult:
    """One row of the validation table."""

    pattern: str  # "V8"
    title: str
    what_was_run: str  # e.g. "default preset, status quo vs alliance, 40 paired seeds"
    statistic: str  # e.g. "paired difference in acute activity share"
    estimate: float
    low: float  # 95% interval
    high: float
    passed: bool
    note: str = ""

    def as_row(self) -> dict:
        return asdict(self)


PatternCheck = Callable[[bool, int], PatternResult]
REGISTRY: dict[str, tuple[str, PatternCheck]] = {}


def pattern(code: str, title: str) -> Callable[[PatternCheck], PatternCheck]:
    """Register a pattern check under its code in docs/validation.md (V1 ... V17)."""

    def register(check: PatternCheck) -> PatternCheck:
        if code in REGISTRY:
            raise ValueError(f"pattern {code} registered twice")
        REGISTRY[code] = (title, check)
        return check

    return register
