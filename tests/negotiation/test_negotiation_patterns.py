"""V1-V6 and V14 as tests (quick settings): each must pass on its paired interval."""

from __future__ import annotations

import pytest
from alliancesim.experiments.validation import negotiation_patterns  # noqa: F401  (registers)
from alliancesim.experiments.validation.suite import REGISTRY

CODES = ("V1", "V2", "V3", "V4", "V5", "V6", "V14")


@pytest.mark.validation
@pytest.mark.parametrize("code", CODES)
def test_pattern_holds_on_common_random_numbers(code):
    title, check = REGISTRY[code]
    result = check(True, 20261122)
    assert result.pattern == code
    assert result.low <= result.estimate <= result.high
    assert result.passed, (
        f"{code} {title}: {result.estimate:.3g} [{result.low:.3g}, {result.high:.3g}] {result.note}"
    )
