"""Dose-response of outcome-based payment: the withhold's size against what it buys.

    python -m alliancesim.experiments.dose_response [--scenario default]
        [--model outcomes_based] [--withholds 0,0.02,0.05,0.1,0.2] [--seeds 10]

Runs a scenario's outcome-based contract model with a flat withhold (the same share
every contract year) at each level, and the status quo, on the same seeds (common
random numbers), and prints a Markdown table of the means over seeds: saving against
the status quo, true and reported outcome, the gaming gap between them, the share of
the outcome money paid, and the providers' mean work on the measured outcomes (q) and
gaming (g, index points). docs/outcomes-based.md shows the table for the default preset.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence

from alliancesim.experiments.outputs import run_summary
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.scenario import ScenarioError, load_scenario

LEVELS = (0.0, 0.02, 0.05, 0.10, 0.20)


def run_level(scenario, model: str, seed: int, status_quo: HealthEconomyModel) -> dict:
    """One run of ``model`` with its outcome choices averaged over providers and periods."""
    run = HealthEconomyModel(scenario, model, seed, record_ledger=False)
    q = g = 0.0
    while run.running:
        run.advance_period()
        run.steps += 1
        q += sum(p.outcome_effort for p in run.providers) / len(run.providers)
        g += sum(p.gaming for p in run.providers) / len(run.providers)
    summary = run_summary(run, status_quo)
    summary["outcome_effort"] = q / run.period
    summary["gaming"] = g / run.period
    return summary


def dose_response(
    scenario_name: str, model: str, withholds: Sequence[float], seeds: Sequence[int]
) -> list[dict]:
    """Mean outputs per withhold level over ``seeds``."""
    base = load_scenario(scenario_name)
    status_quo = base.scenario.status_quo
    baselines = {
        seed: HealthEconomyModel(base, status_quo, seed, record_ledger=False).run()
        for seed in seeds
    }
    table = []
    for withhold in withholds:
        key = f"contract_models.{model}.outcome.withhold_by_year"
        scenario = base.with_overrides({key: [withhold]})
        runs = [run_level(scenario, model, seed, baselines[seed]) for seed in seeds]
        row = {"withhold": withhold}
        for column in (
            "savings_share",
            "outcome_true",
            "outcome_reported",
            "outcome_paid_share",
            "outcome_effort",
            "gaming",
        ):
            row[column] = statistics.fmean(r[column] for r in runs)
        savings = [r["savings_share"] for r in runs]
        row["savings_sd"] = statistics.stdev(savings) if len(savings) > 1 else 0.0
        row["gap"] = row["outcome_reported"] - row["outcome_true"]
        table.append(row)
    return table


def markdown(table: list[dict]) -> str:
    first = table[0]
    lines = [
        "| withhold | saving vs status quo (sd) | true outcome | change | reported outcome "
        "| gaming gap | gap share of reported gain | outcome money paid | mean q | mean g |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in table:
        gain = row["outcome_reported"] - first["outcome_true"]
        share = f"{row['gap'] / gain:.0%}" if gain > 1e-9 else "-"
        paid = f"{row['outcome_paid_share']:.1%}" if row["withhold"] > 0 else "-"
        lines.append(
            f"| {row['withhold']:.0%} | {row['savings_share']:+.3%} ({row['savings_sd']:.3%}) "
            f"| {row['outcome_true']:.4f} | {row['outcome_true'] - first['outcome_true']:+.4f} "
            f"| {row['outcome_reported']:.4f} | {row['gap']:.4f} | {share} | {paid} "
            f"| {row['outcome_effort']:.3f} | {row['gaming']:.4f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--model", default="outcomes_based")
    parser.add_argument("--withholds", default=",".join(f"{w:g}" for w in LEVELS))
    parser.add_argument("--seeds", type=int, default=10, help="seeds 1..N")
    args = parser.parse_args(argv)
    try:
        withholds = [float(w) for w in args.withholds.split(",")]
    except ValueError:
        print(f"--withholds: '{args.withholds}' is not a list of numbers", file=sys.stderr)
        return 2
    try:
        table = dose_response(args.scenario, args.model, withholds, range(1, args.seeds + 1))
    except ScenarioError as error:
        print(error.message, file=sys.stderr)
        return 2
    except KeyError:
        print(f"--model: no contract model '{args.model}' in {args.scenario}", file=sys.stderr)
        return 2
    print(markdown(table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
