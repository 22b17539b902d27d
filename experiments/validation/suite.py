"""The pattern suite of docs/validation.md: a registry of named pattern checks, each with the
mechanism that should produce it and a knock-out that switches that mechanism off.

Each pattern is a function ``(quick: bool, seed: int) -> PatternResult`` that
runs what it needs on common random numbers, computes its statistic from the
model's outputs, and returns pass or fail with the figure. It must never set
the outcome it tests: the verdict comes out of the mechanisms.

Register with the decorator, naming the mechanism and its knock-out: scenario
overrides (a behavioural channel, ``behaviour.channels.<name> = false``, or the term
that creates the incentive), the same switches a user has::

    @pattern(
        "V8",
        "Activity tariffs resist the shift",
        mechanism="the acute provider's margin on each admission under the tariff",
        knockout={"behaviour.channels.payment_incentive": False,
                  "behaviour.channels.admission_push": False},
    )
    def tariffs_resist_shift(quick: bool, seed: int) -> PatternResult: ...

The runner runs every pattern twice: as it is, and with the knock-out in force
(:func:`knocked_out`: every scenario the check loads through
``validation.common.preset`` gets the overrides). A pattern must pass as it is and
fail under its knock-out; one that passes either way is "not tied to a mechanism".
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any


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

    @property
    def deterministic(self) -> bool:
        """A zero-width interval: the statistic did not depend on the seed."""
        return self.low == self.high == self.estimate

    def as_row(self) -> dict:
        return {**asdict(self), "deterministic": self.deterministic}


PatternCheck = Callable[[bool, int], PatternResult]


@dataclass(frozen=True)
class Pattern:
    """A registered pattern: its check, the mechanism meant to produce it, and the
    scenario overrides that switch that mechanism off (empty: none defined yet)."""

    code: str
    title: str
    check: PatternCheck
    mechanism: str = ""
    knockout: Mapping[str, Any] = field(default_factory=dict)


REGISTRY: dict[str, Pattern] = {}


def pattern(
    code: str, title: str, mechanism: str = "", knockout: Mapping[str, Any] | None = None
) -> Callable[[PatternCheck], PatternCheck]:
    """Register a pattern check under its code in docs/validation.md (V1 ... V17)."""

    def register(check: PatternCheck) -> PatternCheck:
        if code in REGISTRY:
            raise ValueError(f"pattern {code} registered twice")
        REGISTRY[code] = Pattern(code, title, check, mechanism, dict(knockout or {}))
        return check

    return register


_KNOCKOUT: contextvars.ContextVar[Mapping[str, Any] | None] = contextvars.ContextVar(
    "knockout", default=None
)
_PRIORS: contextvars.ContextVar[Mapping[str, Any] | None] = contextvars.ContextVar(
    "prior_overrides", default=None
)


@contextmanager
def _overriding(var: contextvars.ContextVar, overrides: Mapping[str, Any]) -> Iterator[None]:
    token = var.set(dict(overrides))
    try:
        yield
    finally:
        var.reset(token)


def knocked_out(overrides: Mapping[str, Any]) -> AbstractContextManager[None]:
    """Within the block, every scenario a pattern loads has ``overrides`` applied."""
    return _overriding(_KNOCKOUT, overrides)


def prior_overrides(overrides: Mapping[str, Any]) -> AbstractContextManager[None]:
    """Within the block, every scenario a pattern loads has the behavioural prior values
    ``overrides`` (dotted keys, e.g. ``behaviour.reciprocity_weight``) applied: how a
    calibration target simulates a pattern's statistic at a particle's prior values."""
    return _overriding(_PRIORS, overrides)


def active_knockout() -> Mapping[str, Any]:
    """The knock-out overrides in force (empty outside :func:`knocked_out`)."""
    return _KNOCKOUT.get() or {}


def active_overrides() -> Mapping[str, Any]:
    """Every override in force for the scenarios a pattern loads: the prior values of
    :func:`prior_overrides`, then the knock-out (which wins: it switches a channel off
    whatever the priors' weights)."""
    return {**(_PRIORS.get() or {}), **active_knockout()}


# The verdicts of a row, from the pattern's run and its knock-out run.
PASS = "pass"
FAIL = "fail"
NOT_TIED = "not tied to a mechanism"
NO_KNOCKOUT = "pass, no knock-out defined"


def verdict(passed: bool, knockout_passed: bool | None) -> str:
    """``pass`` only when the pattern holds and its knock-out breaks it."""
    if not passed:
        return FAIL
    if knockout_passed is None:
        return NO_KNOCKOUT
    return NOT_TIED if knockout_passed else PASS
