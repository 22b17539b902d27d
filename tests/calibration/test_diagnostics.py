"""The diagnostics' rules on posteriors whose answer is known by construction."""

import numpy as np
import pandas as pd
from alliancesim.experiments.calibration import diagnostics
from alliancesim.experiments.calibration.config import CaseTarget, Prior
from alliancesim.experiments.calibration.targets import Target
from calibration_fakes import EFFORT, RECIPROCITY, sum_statistic


def calibration(targets=()):
    from alliancesim.experiments.calibration.config import Calibration

    priors = (
        Prior(RECIPROCITY, 0.0, 0.6, 0.2, "judgement"),
        Prior(EFFORT, 0.08, 0.3, 0.15, "judgement"),
    )
    return Calibration("x.toml", "", "x", "", 1, 10, 1, 0.0, 0.01, 0, priors, tuple(targets))


def test_a_prior_left_where_the_prior_put_it_is_called_unconstrained():
    rng = np.random.default_rng(1)
    n = 2000
    posterior = pd.DataFrame(
        {
            "weight": np.full(n, 1 / n),
            RECIPROCITY: rng.uniform(0.0, 0.6, n),  # the prior itself
            EFFORT: rng.normal(0.2, 0.01, n),  # pinned down
        }
    )
    summary = diagnostics.posterior_summary(posterior, calibration()).set_index("prior")
    assert not summary.loc[RECIPROCITY, "constrained"]
    assert summary.loc[EFFORT, "constrained"]
    words = diagnostics.plain_words(summary.reset_index())
    assert "unconstrained" in words[0] and "unconstrained" not in words[1]


def test_weights_enter_the_credible_interval():
    values = np.array([0.1, 0.5])
    assert diagnostics.weighted_quantile(values, np.array([0.99, 0.01]), 0.5) < 0.2
    assert diagnostics.weighted_quantile(values, np.array([0.01, 0.99]), 0.5) > 0.4


def test_a_target_that_depends_on_one_prior_constrains_only_that_prior():
    rng = np.random.default_rng(2)
    n = 4000
    first = pd.DataFrame(
        {
            "generation": 0,
            RECIPROCITY: rng.uniform(0.0, 0.6, n),
            EFFORT: rng.uniform(0.08, 0.3, n),
        }
    )
    first["target:on_reciprocity"] = first[RECIPROCITY]
    case = CaseTarget(
        "on_reciprocity", 0.29, 0.31, 0.02, "judgement", Target("on_reciprocity", "T", "", None)
    )
    table = diagnostics.constraint_table(first, calibration([case]))
    assert table.loc["on_reciprocity", RECIPROCITY] < 0.6
    assert 0.9 < table.loc["on_reciprocity", EFFORT] < 1.1


def test_predictive_draws_use_fresh_seeds_and_the_weights():
    case = CaseTarget(
        "stand_in_sum",
        0.49,
        0.51,
        0.02,
        "judgement",
        Target("stand_in_sum", "T", "", sum_statistic),
    )
    base = calibration([case])
    from dataclasses import replace

    cal = replace(base, predictive_draws=40)
    posterior = pd.DataFrame(
        {
            "weight": [1.0, 0.0],
            "seed": [11, 12],
            RECIPROCITY: [0.3, 0.0],
            EFFORT: [0.2, 0.08],
        }
    )
    draws = diagnostics.predictive_draws(posterior, cal)
    assert (draws["particle"] == 0).all()  # a particle of weight 0 is never drawn
    assert draws["seed"].nunique() == 40 and 11 not in set(draws["seed"])
    summary = diagnostics.predictive_summary(draws, cal).iloc[0]
    assert abs(summary["median"] - 0.5) < 0.005
    assert summary["q05"] < summary["median"] < summary["q95"]
