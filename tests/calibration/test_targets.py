"""The calibration targets: each is its pattern's per-seed statistic (same code, same
seed), its prior values reach every scenario the statistic loads, and it moves with the
prior its mechanism says it should."""

from __future__ import annotations

import math

import pytest
from alliancesim.experiments.calibration.targets import TARGETS
from alliancesim.experiments.validation import load_patterns
from alliancesim.experiments.validation.behaviour_patterns import v7_negotiated_share, v7_talks
from alliancesim.experiments.validation.case_patterns import (
    V15_PRESET,
    V16_PRESET,
    v15_seed,
    v16_seed,
)
from alliancesim.experiments.validation.common import QUICK_PAIRS, paired_seeds, preset
from alliancesim.experiments.validation.negotiation_patterns import negotiated, v3_seed
from alliancesim.experiments.validation.runner import DEFAULT_SEED
from alliancesim.experiments.validation.suite import REGISTRY, knocked_out, prior_overrides

load_patterns()

SEED = 4242

# The pattern side of every target: the per-seed statistic as the pattern computes it
# (with the pattern's own scenario loading), for one run seed.
PATTERN_SIDE = {
    "v15_saving_three_years": lambda s: v15_seed(preset(V15_PRESET), s).saving,
    "v16_bed_fall": lambda s: v16_seed(preset(V16_PRESET), s).bed_fall,
    "v16_admission_fall": lambda s: v16_seed(preset(V16_PRESET), s).admission_fall,
    "v16_saving": lambda s: v16_seed(preset(V16_PRESET), s).saving,
    "v7_outcome_share": lambda s: v7_negotiated_share(v7_talks(), s),
    "v3_negotiation_months": lambda s: v3_seed(negotiated(), s).months,
}


def test_every_target_has_its_pattern_side_here() -> None:
    assert set(TARGETS) == set(PATTERN_SIDE)
    for name, entry in TARGETS.items():
        assert entry.pattern in REGISTRY, name
        assert entry.description, name


@pytest.mark.parametrize("name", sorted(PATTERN_SIDE))
def test_target_at_default_priors_is_the_patterns_per_seed_statistic(name: str) -> None:
    expected = PATTERN_SIDE[name](SEED)
    got = TARGETS[name].statistic({}, SEED)
    if expected is None:  # an abandoned negotiation: the pattern skips the seed
        assert math.isnan(got)
    else:
        assert got == expected


def test_v15_pattern_averages_the_target_over_its_seeds() -> None:
    """The pattern's estimate is the mean of the target over the pattern's own run seeds:
    the target reads what the validation table reports."""
    result = REGISTRY["V15"].check(True, DEFAULT_SEED)
    seeds = paired_seeds(DEFAULT_SEED, QUICK_PAIRS)
    values = [TARGETS["v15_saving_three_years"].statistic({}, s) for s in seeds]
    assert result.estimate == pytest.approx(sum(values) / len(values), rel=1e-12)


def test_v16_pattern_averages_the_target_over_its_seeds() -> None:
    result = REGISTRY["V16"].check(True, DEFAULT_SEED)
    seeds = paired_seeds(DEFAULT_SEED, QUICK_PAIRS)
    values = [TARGETS["v16_bed_fall"].statistic({}, s) for s in seeds]
    assert result.estimate == pytest.approx(sum(values) / len(values), rel=1e-12)


def test_prior_overrides_reach_every_preset_a_pattern_loads_and_only_inside() -> None:
    key = "behaviour.reciprocity_weight"
    default = preset("default").behaviour.reciprocity_weight
    with prior_overrides({key: 0.45}):
        assert preset("default").behaviour.reciprocity_weight == 0.45
        assert preset(V16_PRESET).behaviour.reciprocity_weight == 0.45
        assert negotiated().behaviour.reciprocity_weight == 0.45
    assert preset("default").behaviour.reciprocity_weight == default != 0.45


def test_a_knockout_wins_over_a_prior_value_on_the_same_key() -> None:
    key = "behaviour.channels.reciprocity"
    with prior_overrides({key: True}), knocked_out({key: False}):
        assert preset("default").behaviour.channels.reciprocity is False


@pytest.mark.parametrize("name", ["v15_saving_three_years", "v16_bed_fall", "v16_saving"])
def test_reciprocity_raises_the_shift_and_the_saving(name: str) -> None:
    """Reciprocity carries the alliance's shift (docs/sensitivity.md: switching it off
    removes 99% of the saving); with no weight on the partners' good the overlay and the
    small alliance change less, save less."""
    statistic = TARGETS[name].statistic
    low = statistic({"behaviour.reciprocity_weight": 0.0}, SEED)
    high = statistic({"behaviour.reciprocity_weight": 0.6}, SEED)
    assert high > low


def test_v16_targets_of_different_particles_do_not_share_runs() -> None:
    """The V16 targets cache one pair of runs per particle: another particle's prior
    values must give its own runs, not the cached ones."""
    a = TARGETS["v16_bed_fall"].statistic({"behaviour.relational_tie": 0.0}, SEED)
    b = TARGETS["v16_bed_fall"].statistic({"behaviour.relational_tie": 1.0}, SEED)
    again = TARGETS["v16_bed_fall"].statistic({"behaviour.relational_tie": 0.0}, SEED)
    assert a != b
    assert again == a


def test_v16_targets_under_a_knockout_do_not_reuse_runs_made_without_it() -> None:
    """The cache is keyed on every override in force, the knock-out included."""
    priors = {"behaviour.reciprocity_weight": 0.5, "behaviour.relational_tie": 0.9}
    plain = TARGETS["v16_bed_fall"].statistic(priors, SEED)
    with knocked_out({"behaviour.channels.reciprocity": False}):
        knocked = TARGETS["v16_bed_fall"].statistic(priors, SEED)
        with prior_overrides(priors):
            direct = v16_seed(preset(V16_PRESET), SEED).bed_fall
    assert knocked == direct
    assert knocked != plain
