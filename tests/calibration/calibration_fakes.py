"""Stand-in calibration targets whose statistics are known functions of two real behaviour
priors plus seeded noise, so a test knows where the posterior must concentrate."""

import numpy as np
from alliancesim.experiments.calibration.targets import Target

RECIPROCITY = "behaviour.reciprocity_weight"  # prior range 0 to 0.6
EFFORT = "behaviour.effort_cost"  # prior range 0.08 to 0.3
TRUTH = {RECIPROCITY: 0.3, EFFORT: 0.2}
NOISE_SD = 0.005


def _noise(seed: int) -> float:
    return float(np.random.default_rng(seed).normal(0.0, NOISE_SD))


def sum_statistic(overrides, seed: int) -> float:
    """Reciprocity weight plus effort cost: 0.5 at the truth."""
    return overrides[RECIPROCITY] + overrides[EFFORT] + _noise(seed)


def difference_statistic(overrides, seed: int) -> float:
    """Reciprocity weight minus effort cost: 0.1 at the truth."""
    return overrides[RECIPROCITY] - overrides[EFFORT] + _noise(seed + 1)


STAND_INS = {
    "stand_in_sum": Target("stand_in_sum", "T1", "rw + c, share", sum_statistic),
    "stand_in_difference": Target(
        "stand_in_difference", "T2", "rw - c, share", difference_statistic
    ),
}

TOML = """\
[calibration]
name = "tiny"
description = "two priors, two stand-in targets with a known answer"
seed = 7
particles = {particles}
generations = {generations}
predictive_draws = 6

[[priors]]
key = "behaviour.reciprocity_weight"

[[priors]]
key = "behaviour.effort_cost"

[[targets]]
name = "stand_in_sum"
low = 0.49
high = 0.51
scale = 0.02
source = "judgement: a test target"

[[targets]]
name = "stand_in_difference"
value = 0.1
scale = 0.02
source = "judgement: a test target"
"""


def failing_statistic(overrides, seed: int) -> float:
    raise ValueError("the model broke")


def spend_statistic(overrides, seed: int) -> float:
    """A statistic from real model runs (the status quo and the alliance of a six-month
    default economy at the particle's prior values): the alliance's spend over the
    status quo's, so a calibration's runs go through the engines."""
    from alliancesim.model.ensemble.batches import run
    from alliancesim.scenario import load_preset

    scenario = load_preset("default", economy__periods=6).with_overrides(dict(overrides))
    status_quo = run(scenario, "status_quo", seed)
    alliance = run(scenario, "alliance", seed)
    return sum(r["spend_pence"] for r in alliance.rows) / sum(
        r["spend_pence"] for r in status_quo.rows
    )


MODEL_STAND_IN = Target("stand_in_spend", "T3", "alliance / status quo spend", spend_statistic)
