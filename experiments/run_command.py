"""``alliancesim run``: one scenario, its contract models, N paired replications.

The README's main job. It validates everything before writing anything, runs
the replications (serial, joblib processes or a Dask cluster), writes
``runs.parquet``, ``periods.parquet``, ``ledger.parquet``, ``events.parquet``
and ``manifest.json``, prints the comparison table with 95% intervals, and
writes the figures of ``alliancesim report`` beside them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from alliancesim.agents.negotiation import format_summary as format_negotiations
from alliancesim.agents.negotiation import summarise as summarise_negotiations
from alliancesim.experiments.analysis import (
    format_differences,
    format_summary,
    paired_differences,
    summary_table,
    with_savings,
)
from alliancesim.experiments.commands import EXIT_FAILED, bad_input_exits
from alliancesim.experiments.scenario import ScenarioError, load_scenario, parse_set_options

HEADLINE_METRICS = (
    "spend_pence",
    "savings_pence",
    "savings_share",
    "acute_shift",
    "outcome_true",
    "provider_deficits",
    "failures",
    "mean_trust",
)


def run(
    scenario: Annotated[
        str, typer.Argument(help="Scenario TOML file or preset name (e.g. default)")
    ],
    reps: Annotated[int, typer.Option(help="Replications (paired seeds)", min=1)] = 100,
    seed: Annotated[
        int | None, typer.Option(help="Root seed; printed when drawn at random")
    ] = None,
    workers: Annotated[int, typer.Option(help="Worker processes on this machine", min=1)] = 1,
    out: Annotated[Path, typer.Option(help="Output directory")] = Path("results/run"),
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a scenario key: --set trust.initial=0.3"),
    ] = None,
    cluster: Annotated[
        str | None, typer.Option(help="Dask scheduler address tcp://host:port")
    ] = None,
    ledger: Annotated[
        str, typer.Option(help="Ledger rows to keep: full, sample or none")
    ] = "sample",
    report: Annotated[bool, typer.Option(help="Write the figures and report.md")] = True,
) -> None:
    """Run a scenario under its contract models and compare them on common random numbers."""
    from alliancesim.experiments.runner import run_scenario

    with bad_input_exits():
        overrides = parse_set_options(set_ or [], source="--set")
        loaded = load_scenario(scenario, overrides)
        if ledger not in ("full", "sample", "none"):
            raise ScenarioError(
                "--ledger", [f"'{ledger}' is not allowed; allowed: full, sample, none"]
            )
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % (2**63))
            typer.echo(f"seed: {seed} (pass --seed {seed} to repeat this run)")
        results = run_scenario(
            loaded,
            reps=reps,
            seed=seed,
            workers=workers,
            out_dir=out,
            cluster=cluster,
            ledger=ledger,
            progress=True,
        )
    runs = with_savings(results.runs, loaded.scenario.status_quo)
    metrics = [m for m in HEADLINE_METRICS if m in runs.columns]
    typer.echo(f"\n{loaded.scenario.name}: {reps} paired replications, root seed {seed}\n")
    typer.echo(format_summary(summary_table(runs, metrics, loaded.scenario.status_quo)))
    negotiated = summarise_negotiations(runs.to_dict("records"))
    if negotiated:
        typer.echo("\nNegotiation (contract models with negotiate = true):")
        typer.echo(format_negotiations(negotiated))
        cost = runs.groupby("contract_model")["transaction_cost_pence"].median() / 100
        typer.echo(
            "median transaction cost (negotiation + monitoring), £: "
            + ", ".join(
                f"{name} {value:,.0f}" for name, value in cost.items() if name in negotiated
            )
        )
    differences = paired_differences(runs, "spend_pence", loaded.scenario.status_quo)
    typer.echo("\nPaired difference in spend against the status quo (same seeds):")
    typer.echo(format_differences(differences))
    if report:
        from alliancesim.experiments.report import build_report

        path = build_report(out, baseline=loaded.scenario.status_quo)
        typer.echo(f"\nfigures and report: {path}")
    typer.echo(f"outputs: {out}")
    if results.n_failed:
        typer.echo(
            f"{results.n_failed} run(s) failed; seeds and parameters are in "
            f"{out / 'manifest.json'}",
            err=True,
        )
        raise typer.Exit(EXIT_FAILED)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
