"""The policy table, the risk table and their reading, from run rows with known numbers."""

import json
import math

import pandas as pd
import pytest
from alliancesim.experiments.policy_tables import (
    INTERVAL_NAME,
    NO_INTERVAL,
    Context,
    format_negotiation,
    format_policy_table,
    format_risk_table,
    policy_table,
    reading,
    risk_table,
    tidy_tables,
    to_json,
    to_markdown,
)

POUND_M = 100 * 1_000_000  # pence in £1m


def context(reps=3, periods=120, per_year=12):
    return Context("test", "status_quo", periods, per_year, reps, 1, outcome_base=0.55)


def runs_frame(reps=3, alliance_saves_m=(10.0, 12.0, 14.0)):
    """status_quo spends £100m; the alliance saves the given £m on each seed."""
    rows = []
    for r in range(reps):
        common = r * 1.5  # common random numbers: shared by both models
        for model, saving in (("status_quo", 0.0), ("alliance", alliance_saves_m[r])):
            spend = round((100.0 + common - saving) * POUND_M)
            rows.append(
                {
                    "point_id": 0,
                    "replication": r,
                    "seed": 100 + r,
                    "contract_model": model,
                    "spend_pence": spend,
                    "savings_share": saving / (100.0 + common),
                    "acute_shift": 0.1 if model == "alliance" else 0.0,
                    "outcome_true": 0.6 if model == "alliance" else 0.55,
                    "returned_risk_pence": 0,
                    "surplus_pence__acute": (-2 if model == "alliance" else 1) * POUND_M,
                    "surplus_pence__charity": POUND_M // 2,
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("periods", "per_year", "text"),
    [
        (120, 12, "over 10 years (120 months)"),
        (36, 12, "over 3 years (36 months)"),
        (30, 12, "over 2.5 years (30 months)"),
        (40, 4, "over 10 years (40 quarters)"),
        (12, 12, "over 1 year (12 months)"),
    ],
)
def test_horizon_is_stated_in_years_and_periods(periods, per_year, text):
    assert context(periods=periods, per_year=per_year).horizon == text


def test_policy_table_saving_is_paired_on_seed_in_pounds_million():
    table = policy_table(runs_frame(), "status_quo")
    saving = table[(table["contract_model"] == "alliance") & (table["measure"] == "savings_pence")]
    assert saving["mean"].iloc[0] == pytest.approx(12.0)
    # paired: the common 0 / 1.5 / 3 noise cancels; the sd of (10, 12, 14) is 2
    half = (saving["ci_high"] - saving["ci_low"]).iloc[0] / 2
    assert half == pytest.approx(4.303 * 2 / math.sqrt(3), rel=1e-3)
    share = table[(table["contract_model"] == "alliance") & (table["measure"] == "savings_share")]
    assert share["unit"].iloc[0] == "%"
    assert 9 < share["mean"].iloc[0] < 14


def test_printed_policy_table_names_units_horizon_interval_and_fits_in_100_columns():
    text = format_policy_table(policy_table(runs_frame(), "status_quo"), context())
    lines = text.splitlines()
    assert max(len(line) for line in lines) < 100
    assert "over 10 years (120 months)" in lines[0]
    assert "nominal" in text
    assert INTERVAL_NAME in text
    assert "spend £m" in text and "Saving %" in text and "index[1]" in text
    assert any(line.startswith("[1] Outcome index") for line in lines)
    assert "spend_pence" not in text and "savings_share" not in text
    alliance = next(line for line in lines if line.startswith("alliance"))
    assert "12.0 ± 5.0" in alliance  # mean ± half-width, one decimal
    status_quo = next(line for line in lines if line.startswith("status_quo"))
    assert "baseline" in status_quo


def test_one_replication_says_no_interval_and_never_prints_nan():
    runs = runs_frame(reps=1)
    text = format_policy_table(policy_table(runs, "status_quo"), context(reps=1))
    assert NO_INTERVAL in text
    assert "nan" not in text.lower() and "±" not in text
    risk = format_risk_table(risk_table(runs, "status_quo"), context(reps=1))
    assert "nan" not in risk.lower()
    assert NO_INTERVAL in reading(policy_table(runs, "status_quo"), pd.DataFrame(), context(1))[0]


def ledger_frame():
    rows = []
    for r in range(2):  # only replications 0 and 1 kept a ledger
        key = {"point_id": 0, "replication": r, "seed": 100 + r, "contract_model": "alliance"}
        rows.append({**key, "line_item": "pain_share", "payer": "acute", "payee": "icb",
                     "amount": 3 * POUND_M})  # fmt: skip
        rows.append({**key, "line_item": "gain_share", "payer": "icb", "payee": "charity",
                     "amount": POUND_M * (r + 1)})  # fmt: skip
        rows.append({**key, "line_item": "block", "payer": "icb", "payee": "acute",
                     "amount": 50 * POUND_M})  # fmt: skip
    return pd.DataFrame(rows)


def events_frame():
    return pd.DataFrame(
        [
            {
                "point_id": 0,
                "replication": 1,
                "seed": 101,
                "contract_model": "alliance",
                "actor": "acute",
                "kind": "failure",
            },
            {
                "point_id": 0,
                "replication": 1,
                "seed": 101,
                "contract_model": "alliance",
                "actor": "acute",
                "kind": "turnover",
            },
        ]  # fmt: skip
    )


def _risk(table, model, row, measure):
    hit = table[(table["contract_model"] == model) & (table["row"] == row)]
    return hit[hit["measure"] == measure].iloc[0]


def test_risk_table_counts_pain_gain_failures_per_organisation():
    table = risk_table(runs_frame(), "status_quo", ledger_frame(), events_frame())
    assert _risk(table, "alliance", "acute", "surplus")["mean"] == pytest.approx(-2.0)
    assert _risk(table, "status_quo", "acute", "surplus")["mean"] == pytest.approx(1.0)
    pain = _risk(table, "alliance", "acute", "pain_paid")
    assert pain["mean"] == pytest.approx(3.0) and pain["n"] == 2  # the runs with a ledger
    assert _risk(table, "alliance", "charity", "gain_received")["mean"] == pytest.approx(1.5)
    assert _risk(table, "alliance", "acute", "gain_received")["mean"] == 0.0  # block is not gain
    # failed in one of the alliance's three runs; a turnover event is not a failure
    assert _risk(table, "alliance", "acute", "failed")["mean"] == pytest.approx(100 / 3)
    assert _risk(table, "status_quo", "acute", "failed")["mean"] == 0.0
    assert _risk(table, "alliance", "commissioners", "pain_received")["mean"] == pytest.approx(3)
    assert _risk(table, "alliance", "commissioners", "gain_paid")["mean"] == pytest.approx(1.5)


def test_printed_risk_table_fits_and_says_where_pain_comes_from():
    table = risk_table(runs_frame(), "status_quo", ledger_frame(), events_frame())
    text = format_risk_table(table, context())
    assert max(len(line) for line in text.splitlines()) < 100
    assert "over 10 years (120 months)" in text
    assert "mean of the 2 runs with a ledger" in text
    acute = [line for line in text.splitlines() if line.strip().startswith("acute")]
    assert acute[1].split()[-2] == "33"  # alliance block: failed in 33% of runs
    without_ledger = format_risk_table(risk_table(runs_frame(), "status_quo"), context())
    assert "no ledger kept" in without_ledger


def test_reading_is_generated_from_the_numbers():
    policy = policy_table(runs_frame(), "status_quo")
    risk = risk_table(runs_frame(), "status_quo", ledger_frame(), events_frame())
    text = " ".join(reading(policy, risk, context()))
    assert "alliance spends less than the status_quo by £12.0m" in text
    assert "not simulation noise" in text
    assert "higher than the status_quo's 0.550" in text
    assert "1 of 2 providers end the horizon in deficit" in text
    assert "acute in 33% of runs" in text
    # a saving whose interval crosses zero is called so
    noisy = policy_table(runs_frame(alliance_saves_m=(-5.0, 1.0, 7.0)), "status_quo")
    assert "includes no saving at all" in " ".join(reading(noisy, pd.DataFrame(), context()))
    worse = policy_table(runs_frame(alliance_saves_m=(-5.0, -4.0, -6.0)), "status_quo")
    assert "spends more than" in " ".join(reading(worse, pd.DataFrame(), context()))


def test_csv_json_and_markdown_carry_the_same_numbers():
    policy = policy_table(runs_frame(), "status_quo")
    risk = risk_table(runs_frame(), "status_quo", ledger_frame(), events_frame())
    tidy = tidy_tables(policy, risk)
    assert set(tidy["table"]) == {"policy", "risk"}
    payload = json.loads(to_json(tidy, context()))
    assert payload["horizon"] == "over 10 years (120 months)"
    assert len(payload["rows"]) == len(tidy)
    markdown = to_markdown(policy, risk, context())
    assert "| status_quo | 101.5 [" in markdown  # spend 100, 101.5, 103
    assert "12.0 [7.0, 17.0]" in markdown


def test_negotiation_summary_defines_scaled_and_both_costs():
    summary = {
        "alliance": {
            "runs": 4,
            "share_agreed": 0.5,
            "share_scaled_down": 0.25,
            "share_abandoned": 0.25,
            "median_months": 11.5,
            "median_cost_pence": 16_700_000,
        }  # fmt: skip
    }
    text = format_negotiation(summary, {"alliance": 22_700_000}, "over 3 years (36 months)")
    assert "scaled: a scaled-down agreement is signed" in text
    assert "Negotiation cost:" in text and "Transaction cost:" in text
    assert "over 3 years (36 months)" in text
    row = next(line for line in text.splitlines() if line.startswith("alliance"))
    assert row.split()[-2:] == ["167", "227"]  # £k
    assert max(len(line) for line in text.splitlines()) < 100
