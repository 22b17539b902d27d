"""Each validation pattern in quick mode: it must pass, or be marked xfail with the
mechanism the model lacks (docs/validation.md), so CI stays green while the
failure stays visible."""

from __future__ import annotations

import pytest
from alliancesim.experiments.validation import load_patterns
from alliancesim.experiments.validation.runner import DEFAULT_SEED
from alliancesim.experiments.validation.suite import REGISTRY

load_patterns()

KNOWN_FAILURES = {
    "V10": "(a) dilution and (b) trust hold; (c) fails: 'dominant' is made by tripling the "
    "acute unit costs, which also makes the shift worth more, and no mechanism lets a "
    "dominant member's voice lower the others' cooperation in an imposed alliance",
    "V15": "beds and placements fall 18% but year-3 spend falls ~5%, not 20-25%: no "
    "decommissioning of bed-based fixed cost, contract running costs, and the 23% envelope "
    "is bargained down to ~1.4% (providers believe integration saves the generic 5% a year)",
}


def marks(code: str) -> list:
    found = [pytest.mark.validation]
    if code in KNOWN_FAILURES:
        found.append(pytest.mark.xfail(strict=False, reason=KNOWN_FAILURES[code]))
    return found


CODES = [c for c in ("V7", "V8", "V9", "V10", "V11", "V12", "V13", "V15", "V16", "V17")]


@pytest.mark.parametrize("code", [pytest.param(c, marks=marks(c)) for c in CODES])
def test_pattern_passes_in_quick_mode(code: str) -> None:
    title, check = REGISTRY[code]
    result = check(True, DEFAULT_SEED)
    assert result.pattern == code
    assert result.low <= result.estimate <= result.high
    assert result.passed, (
        f"{code} {title}: {result.estimate:.4g} [{result.low:.4g}, "
        f"{result.high:.4g}]; {result.note}"
    )


@pytest.mark.validation
def test_every_pattern_of_this_layer_is_registered() -> None:
    assert set(CODES) <= set(REGISTRY)
