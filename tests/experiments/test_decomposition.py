"""The channel decomposition: knock-out runs on the main run's seeds, paired arithmetic."""

import pandas as pd
import pytest
from alliancesim.experiments.decomposition import (
    ALL_OFF,
    INTERACTION,
    NO_CHANNEL,
    TOTAL,
    decompose,
    format_decomposition,
    knockout_override,
    knockout_tasks,
    run_knockouts,
)
from alliancesim.experiments.runner import plan_tasks, run_scenario
from alliancesim.scenario import CHANNELS
from experiment_fakes import ChannelFakeScenario, channel_fake_replication

REPS = 4
SEED = 77


def _decomposition(tmp_path, workers=1, name="k"):
    scenario = ChannelFakeScenario()
    main = run_scenario(
        scenario, REPS, SEED, replicate=channel_fake_replication, progress=False, ledger="none"
    )
    knocked, failed = run_knockouts(
        scenario, REPS, SEED, tmp_path / name, workers=workers,
        replicate=channel_fake_replication, progress=False,
    )  # fmt: skip
    assert failed == 0
    return main.runs, knocked, decompose(main.runs, knocked, "status_quo")


def _value(table, component, column="mean_pence"):
    row = table[(table["contract_model"] == "alliance") & (table["component"] == component)]
    assert len(row) == 1, component
    return float(row[column].iloc[0])


def test_knockouts_run_on_the_main_runs_seeds():
    main = plan_tasks([{}], REPS, SEED)
    knocked = knockout_tasks([*CHANNELS, ALL_OFF], REPS, SEED)
    assert len(knocked) == (len(CHANNELS) + 1) * REPS
    for task in knocked:
        assert task.seed == main[task.replication].seed


def test_all_off_switches_every_channel_off_and_a_typo_is_refused():
    assert knockout_override(ALL_OFF) == {f"behaviour.channels.{c}": False for c in CHANNELS}
    assert knockout_override("gaming") == {"behaviour.channels.gaming": False}
    with pytest.raises(ValueError, match="allowed: payment_incentive"):
        knockout_override("reciprocty")


def test_contributions_are_the_known_effects_of_each_channel(tmp_path):
    _, _, table = _decomposition(tmp_path)
    pounds = 100  # the fake's effects are in pounds, the table in pence
    # saving = (1000 + 8) - (1000 - 4 - 30 - 10 - 5 + 2) = 55 with everything on
    assert _value(table, TOTAL) == pytest.approx(55 * pounds)
    # reciprocity off: the alliance loses 30 and the 5 it shares with payment incentive
    assert _value(table, "reciprocity") == pytest.approx(35 * pounds)
    assert _value(table, "payment_incentive") == pytest.approx(15 * pounds)
    # admission push is switched off in the status quo too: 8 - 2, not 8 or -2
    assert _value(table, "admission_push") == pytest.approx(6 * pounds)
    for channel in ("system_benefit", "gaming", "risk_aversion"):
        assert _value(table, channel) == pytest.approx(0.0)
    assert _value(table, NO_CHANNEL) == pytest.approx(4 * pounds)
    # 55 = 35 + 15 + 6 + 4 + interaction: the shared 5 is counted twice above
    assert _value(table, INTERACTION) == pytest.approx(-5 * pounds)


def test_paired_by_seed_the_common_noise_cancels_and_intervals_have_no_width(tmp_path):
    _, _, table = _decomposition(tmp_path)
    channel = table[table["component"] == "reciprocity"].iloc[0]
    assert channel["n"] == REPS
    assert channel["ci_low_pence"] == pytest.approx(channel["ci_high_pence"])
    total = table[table["component"] == TOTAL].iloc[0]
    assert total["ci_high_pence"] - total["ci_low_pence"] == pytest.approx(0.0)


def test_a_seed_missing_from_a_knockout_is_dropped_from_every_row(tmp_path):
    main, knocked, _ = _decomposition(tmp_path)
    gone = knocked[(knocked["channel"] == "gaming") & (knocked["replication"] == 0)].index
    table = decompose(main, knocked.drop(index=gone), "status_quo")
    assert set(table["n"]) == {REPS - 1}


def test_without_an_all_off_run_the_whole_remainder_is_the_interaction(tmp_path):
    main, knocked, _ = _decomposition(tmp_path)
    table = decompose(main, knocked[knocked["channel"] != ALL_OFF], "status_quo")
    assert NO_CHANNEL not in set(table["component"])
    assert _value(table, INTERACTION) == pytest.approx(-1 * 100)  # 55 - (35 + 15 + 6)


def test_same_numbers_on_one_or_two_workers(tmp_path):
    _, one, table_one = _decomposition(tmp_path, workers=1, name="one")
    _, two, table_two = _decomposition(tmp_path, workers=2, name="two")
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(table_one, table_two)


def test_the_printed_decomposition_says_what_it_is_and_fits_in_100_columns(tmp_path):
    _, _, table = _decomposition(tmp_path)
    text = format_decomposition(table, "over 1 year (12 months)", "status_quo")
    assert max(len(line) for line in text.splitlines()) < 100
    assert "Contributions need not add up: channels interact" in text
    assert "95% interval (simulation noise)" in text
    assert "reciprocity" in text and "interaction" in text
    assert "nan" not in text


def test_on_the_real_model_the_knockouts_switch_the_channel_off_in_every_model(tmp_path):
    from alliancesim.scenario import load_preset

    scenario = load_preset("small_economy", economy__periods=12)
    main = run_scenario(scenario, 2, 5, progress=False, ledger="none")
    knocked, failed = run_knockouts(
        scenario, 2, 5, tmp_path / "real", channels=("gaming",), progress=False
    )
    assert failed == 0
    assert set(knocked["contract_model"]) == set(main.runs["contract_model"])
    assert set(knocked["channel"]) == {"gaming", ALL_OFF}
    gaming = knocked[knocked["channel"] == "gaming"]
    assert not gaming["param.behaviour.channels.gaming"].any()
    merged = gaming.merge(main.runs, on=["replication", "contract_model"], suffixes=("", "_on"))
    assert (merged["seed"] == merged["seed_on"]).all()
    table = decompose(main.runs, knocked, "status_quo", channels=("gaming",))
    saving = main.runs[main.runs["contract_model"] == "alliance"]["savings_pence"].mean()
    assert _value(table, TOTAL) == pytest.approx(saving)


def test_the_reading_names_what_carries_the_saving_and_what_works_against_it():
    """A channel whose knock-out raises the saving works against it; it is never said
    to 'carry' it, and a negative saving with every channel off is extra spend."""
    import pandas as pd
    from alliancesim.experiments.analysis import MODEL
    from alliancesim.experiments.decomposition import (
        INTERACTION,
        NO_CHANNEL,
        TOTAL,
        decomposition_reading,
    )

    def row(kind, component, pounds):
        pence = pounds * 100
        return {
            MODEL: "alliance",
            "kind": kind,
            "component": component,
            "mean_pence": pence,
            "ci_low_pence": pence - 100,
            "ci_high_pence": pence + 100,
        }

    table = pd.DataFrame(
        [
            row(TOTAL, TOTAL, 43_000_000),
            row("channel", "payment_incentive", -66_000_000),
            row("channel", "reciprocity", 42_000_000),
            row(NO_CHANNEL, NO_CHANNEL, -1_500_000),
            row(INTERACTION, INTERACTION, 27_000_000),
        ]
    )
    (sentence,) = decomposition_reading(table)
    assert "reciprocity carries the most, £42.0m" in sentence
    assert "payment incentive works against it" in sentence and "£66.0m larger" in sentence
    assert "spends £1.5m more" in sentence
