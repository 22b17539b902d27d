"""Each validation pattern in quick mode: it must pass with its mechanism and fail with
the mechanism knocked out, or be marked xfail(strict=True) with what the model lacks
(``experiments/validation/gaps.py``, shown on docs/validation.md), so CI stays green
while a failure stays visible, and an unexpected pass is noticed too."""

from __future__ import annotations

import pytest
from alliancesim.experiments.validation import load_patterns
from alliancesim.experiments.validation.gaps import MISSING, UNTIED
from alliancesim.experiments.validation.runner import DEFAULT_SEED, pattern_order
from alliancesim.experiments.validation.suite import REGISTRY, knocked_out

load_patterns()

CODES = sorted(REGISTRY, key=pattern_order)


def marks(code: str, gaps: dict[str, str]) -> list:
    found = [pytest.mark.validation]
    if code in gaps:
        found.append(pytest.mark.xfail(strict=True, reason=gaps[code]))
    return found


@pytest.mark.parametrize("code", [pytest.param(c, marks=marks(c, MISSING)) for c in CODES])
def test_pattern_passes_in_quick_mode(code: str) -> None:
    entry = REGISTRY[code]
    result = entry.check(True, DEFAULT_SEED)
    assert result.pattern == code
    assert result.low <= result.estimate <= result.high
    assert result.passed, (
        f"{code} {entry.title}: {result.estimate:.4g} [{result.low:.4g}, "
        f"{result.high:.4g}]; {result.note}"
    )


KNOCKED = [c for c in CODES if REGISTRY[c].knockout and c not in MISSING]


@pytest.mark.parametrize("code", [pytest.param(c, marks=marks(c, UNTIED)) for c in KNOCKED])
def test_pattern_fails_with_its_mechanism_knocked_out(code: str) -> None:
    entry = REGISTRY[code]
    with knocked_out(entry.knockout):
        result = entry.check(True, DEFAULT_SEED)
    assert not result.passed, (
        f"{code} still passes with {dict(entry.knockout)}: {result.estimate:.4g} "
        f"[{result.low:.4g}, {result.high:.4g}]; not tied to its mechanism"
    )


@pytest.mark.validation
def test_every_pattern_of_validation_md_is_registered() -> None:
    assert [f"V{k}" for k in range(1, 18)] == CODES


@pytest.mark.validation
def test_gaps_name_registered_patterns_only() -> None:
    assert set(MISSING) <= set(REGISTRY) and set(UNTIED) <= set(REGISTRY)
