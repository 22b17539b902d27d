import numpy as np
import pandas as pd
import pytest
from alliancesim.experiments.analysis import (
    format_differences,
    format_summary,
    paired_differences,
    replications_needed,
    summary_table,
    t_interval,
)
from alliancesim.experiments.runner import run_scenario
from experiment_fakes import FakeScenario, fake_replication


def _runs(reps=20, seed=3):
    return run_scenario(
        FakeScenario(), reps=reps, seed=seed, replicate=fake_replication, progress=False
    ).runs


def test_t_interval_matches_hand_computation():
    ci = t_interval([1.0, 2.0, 3.0, 4.0])
    assert ci["mean"] == 2.5 and ci["n"] == 4
    assert ci["half_width"] == pytest.approx(3.182446 * np.std([1, 2, 3, 4], ddof=1) / 2, rel=1e-5)


def test_paired_difference_recovers_the_planted_effect():
    runs = _runs()
    table = paired_differences(runs, "spend_pence", "status_quo")
    alliance = table.set_index("contract_model").loc["alliance"]
    # fake: alliance spends 30 x trust(0.6) = 18 units x 100 pence less every period, 12 periods
    assert alliance["ci_low"] < -18 * 100 * 12 < alliance["ci_high"]
    assert alliance["n"] == 20


def test_pairing_is_much_tighter_than_independent_comparison():
    runs = _runs()
    paired = paired_differences(runs, "spend_pence").set_index("contract_model")
    spread = runs.groupby("contract_model")["spend_pence"].std()
    assert paired.loc["alliance", "sd"] < spread["alliance"] / 2


def test_wide_interval_gets_a_note_with_replications_needed():
    rng = np.random.default_rng(0)
    runs = pd.DataFrame(
        {
            "contract_model": ["status_quo"] * 5 + ["alliance"] * 5,
            "replication": list(range(5)) * 2,
            "seed": list(range(5)) * 2,
            "outcome": list(rng.normal(0, 1, 5)) + list(rng.normal(0.3, 1, 5)),
        }
    )
    note = paired_differences(runs, "outcome")["note"].iloc[0]
    assert "run more replications: about" in note and "needed for ±" in note


def test_replications_needed_grows_with_precision():
    assert replications_needed(1.0, 0.1) > replications_needed(1.0, 0.2) > 2


def test_summary_table_has_savings_against_status_quo():
    table = summary_table(_runs())
    assert {"spend_pence", "savings_pence", "mean_trust", "provider_deficits"} <= set(table.metric)
    sq = table[(table.contract_model == "status_quo") & (table.metric == "savings_pence")]
    assert sq["mean"].iloc[0] == 0
    assert table["contract_model"].iloc[0] == "status_quo"
    assert "alliance" in format_summary(table)
    assert "alliance" in format_differences(paired_differences(_runs(), "spend_pence"))


def test_unknown_metric_lists_the_allowed_ones():
    with pytest.raises(KeyError, match="allowed: .*spend_pence"):
        paired_differences(_runs(3), "spend")
