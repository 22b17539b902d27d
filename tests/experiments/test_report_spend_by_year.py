"""The report's annual spend and cumulative savings, on small synthetic periods tables."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from alliancesim.experiments.report import (
    annual_spend,
    annual_spend_summary,
    build_report,
    cumulative_savings,
)

MONTHS = 12


def periods_table(offsets: dict[str, int], replications: int = 5, years: int = 3) -> pd.DataFrame:
    """Monthly spend per run: a seed-specific noisy path, plus a fixed offset per model.

    Every model of one replication shares the seed and its path, as common random
    numbers do, so only pairing on the seed gives exact savings.
    """
    rng = np.random.default_rng(20240601)
    rows = []
    for replication in range(replications):
        seed = 1000 + replication
        path = rng.integers(5_000_000, 9_000_000, size=years * MONTHS)
        for model, offset in offsets.items():
            for period, spend in enumerate(path):
                rows.append(
                    {
                        "scenario": "synthetic",
                        "replication": replication,
                        "seed": seed,
                        "contract_model": model,
                        "period": period,
                        "year": period // MONTHS,
                        "spend_pence": int(spend) + offset,
                        "point_id": 0,
                    }
                )
    return pd.DataFrame(rows)


def write_run_dir(directory: Path, periods: pd.DataFrame) -> Path:
    directory.mkdir()
    periods.to_parquet(directory / "periods.parquet", index=False)
    keys = ["point_id", "replication", "seed", "contract_model"]
    runs = periods.groupby(keys, sort=False)["spend_pence"].sum().reset_index()
    runs.to_parquet(directory / "runs.parquet", index=False)
    manifest = {
        "root_seed": 1,
        "counts": {"tasks": int(runs["replication"].nunique()), "failed": 0},
        "scenario": {"scenario": {"name": "synthetic"}, "economy": {"periods_per_year": MONTHS}},
    }
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return directory


@pytest.fixture
def periods_path(tmp_path):
    def write(periods: pd.DataFrame) -> Path:
        path = tmp_path / "periods.parquet"
        periods.to_parquet(path, index=False)
        return path

    return write


def test_annual_spend_is_the_sum_of_the_months_of_each_run_and_year(periods_path):
    periods = periods_table({"status_quo": 0, "alliance": -500})
    annual = annual_spend(periods_path(periods))
    expected = (
        periods.groupby(["point_id", "replication", "seed", "contract_model", "year"])[
            "spend_pence"
        ]
        .sum()
        .rename("expected")
        .reset_index()
    )
    merged = annual.merge(
        expected, on=["point_id", "replication", "seed", "contract_model", "year"]
    )
    assert len(merged) == len(expected) == len(annual) == 5 * 2 * 3
    assert (merged["spend_pence"] == merged["expected"]).all()
    assert (annual["months"] == MONTHS).all()
    assert annual["spend_pence"].dtype.kind == "i"  # pence stay whole


def test_annual_spend_cuts_years_from_the_period_when_there_is_no_year_column(periods_path):
    periods = periods_table({"status_quo": 0}, replications=2, years=2).drop(columns="year")
    annual = annual_spend(periods_path(periods), periods_per_year=6)
    assert sorted(annual["year"].unique()) == [0, 1, 2, 3]
    first = periods[(periods["replication"] == 0) & (periods["period"] < 6)]["spend_pence"].sum()
    got = annual[(annual["replication"] == 0) & (annual["year"] == 0)]["spend_pence"].item()
    assert got == first


def test_annual_spend_summary_is_the_mean_over_runs_with_an_interval_around_it(periods_path):
    annual = annual_spend(periods_path(periods_table({"status_quo": 0})))
    summary = annual_spend_summary(annual)
    year0 = annual[annual["year"] == 0]["spend_pence"]
    row = summary[summary["year"] == 0].iloc[0]
    assert row["mean"] == pytest.approx(year0.mean())
    assert row["ci_low"] < row["mean"] < row["ci_high"]
    assert row["n"] == 5


def test_a_model_identical_to_the_status_quo_saves_exactly_zero_with_no_width(periods_path):
    annual = annual_spend(periods_path(periods_table({"status_quo": 0, "copy": 0})))
    savings = cumulative_savings(annual, "status_quo")
    assert list(savings["year"]) == [0, 1, 2]
    assert (savings["mean"] == 0).all()
    assert (savings["ci_low"] == 0).all() and (savings["ci_high"] == 0).all()
    assert (savings["n"] == 5).all()


def test_a_model_spending_one_pound_less_a_month_saves_twelve_pounds_a_year(periods_path):
    # The seeds' paths differ by millions of pence, so unpaired intervals would be wide.
    annual = annual_spend(periods_path(periods_table({"status_quo": 0, "thrifty": -100})))
    savings = cumulative_savings(annual, "status_quo").sort_values("year")
    assert list(savings["mean"]) == [1200.0, 2400.0, 3600.0]
    assert list(savings["ci_low"]) == list(savings["mean"])
    assert list(savings["ci_high"]) == list(savings["mean"])


def test_a_model_spending_more_shows_negative_savings(periods_path):
    annual = annual_spend(periods_path(periods_table({"status_quo": 0, "dear": 250})))
    savings = cumulative_savings(annual, "status_quo")
    assert savings["mean"].iloc[-1] == -250 * MONTHS * 3


def test_cumulative_savings_pair_only_runs_of_the_same_seed(periods_path):
    periods = periods_table({"status_quo": 0, "thrifty": -100})
    # thrifty's replication 4 failed: its periods are missing, so it is not paired
    periods = periods[~((periods["contract_model"] == "thrifty") & (periods["replication"] == 4))]
    savings = cumulative_savings(annual_spend(periods_path(periods)), "status_quo")
    assert (savings["n"] == 4).all()
    assert savings["mean"].iloc[-1] == 3600.0


def test_the_report_draws_spend_by_year_and_references_it(tmp_path):
    run = write_run_dir(tmp_path / "run", periods_table({"status_quo": 0, "thrifty": -100}))
    report = build_report(run)
    assert (run / "report" / "spend_by_year.png").stat().st_size > 0
    text = report.read_text(encoding="utf-8")
    assert "![Spend and savings by contract year](spend_by_year.png)" in text
    assert "95% interval of the mean over 5 paired replications" in text
    assert "95% t-interval of the mean over 5 replications per model" in text
    # £12 a year for three years, shown in £m (rounds to zero) but present as a row per year
    assert "Cumulative savings against status_quo by the end of the year" in text


def test_a_status_quo_only_run_reports_spend_and_says_there_is_nothing_to_compare(tmp_path):
    run = write_run_dir(tmp_path / "run", periods_table({"status_quo": 0}))
    report = build_report(run)
    text = report.read_text(encoding="utf-8")
    assert (run / "report" / "spend_by_year.png").is_file()
    assert "nothing to compare, only status_quo was run" in text
    assert "Cumulative savings against" not in text


def test_a_run_without_the_status_quo_says_there_is_no_baseline(periods_path):
    annual = annual_spend(periods_path(periods_table({"alliance": 0, "thrifty": -100})))
    assert cumulative_savings(annual, "status_quo").empty
