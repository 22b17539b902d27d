"""The statistics the rebuilt patterns use: dose-response trends over paired seeds, the
bootstrap interval, and V4's reading of a re-decision after a shock. Hand-worked
numbers, so a wrong slope, a lost pairing or a miscounted shock shows."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from alliancesim.experiments.validation.common import bootstrap_interval, slope, trend
from alliancesim.experiments.validation.negotiation_patterns import redecided_after_shock


def test_slope_is_least_squares_over_the_levels() -> None:
    # y = 3 - 0.5 x at x = 2, 3, 6
    assert slope((2, 3, 6), (2.0, 1.5, 0.0)) == pytest.approx(-0.5)
    # mean of x = 1; slope = sum(dx dy) / sum(dx^2) = (-1 * -1 + 1 * 2) / 2
    assert slope((0, 1, 2), (0.0, 1.0, 3.0)) == pytest.approx(1.5)


def test_trend_averages_per_seed_slopes_and_needs_three_levels() -> None:
    rows = [(1.0, 0.0, -1.0), (2.0, 1.0, 0.0), (0.0, 0.0, 0.0)]  # slopes -1, -1, 0
    result = trend((0, 1, 2), rows)
    assert result.estimate == pytest.approx(-2 / 3)
    assert result.low < result.estimate < result.high and result.n == 3
    with pytest.raises(ValueError, match="three levels"):
        trend((0, 1), [(1.0, 0.0)])


def test_bootstrap_keeps_pairs_and_is_reproducible() -> None:
    pairs = [(1.0, 0.0)] * 10 + [(0.0, 1.0)] * 10  # first minus second: +1 or -1

    def mean_difference(sample) -> float:
        return sum(a - b for a, b in sample) / len(sample)

    first = bootstrap_interval(pairs, mean_difference)
    assert first.estimate == 0.0 and first.low < 0.0 < first.high
    assert bootstrap_interval(pairs, mean_difference) == first
    same = bootstrap_interval([(1.0, 1.0)] * 20, mean_difference)
    assert (same.low, same.high) == (0.0, 0.0)


def agreement(*events: tuple[float, str, str]) -> SimpleNamespace:
    return SimpleNamespace(
        events=[dict(month=m, kind=f"negotiation.{k}", actor=a) for m, k, a in events]
    )


def test_a_shock_counts_only_when_someone_re_decides_in_its_month() -> None:
    assert not redecided_after_shock(agreement((12.0, "shock", "gp")))
    assert redecided_after_shock(agreement((12.0, "shock", "gp"), (12.0, "decline_risk", "gp")))
    assert redecided_after_shock(agreement((9.0, "shock", "icb"), (9.0, "withdraw", "gp")))
    # a decision before the shock, or months later, is not a consequence of it
    assert not redecided_after_shock(
        agreement((5.0, "decline_risk", "gp"), (12.0, "shock", "gp"), (14.0, "withdraw", "gp"))
    )
    assert not redecided_after_shock(
        agreement((12.0, "shock", "icb"), (12.0, "drop_outcome", "icb"))
    )
