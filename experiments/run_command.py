"""``alliancesim run``: one scenario, its contract models, N paired replications.

The README's main job. It validates everything before writing anything, runs
the replications (serial, joblib processes or a Dask cluster), writes
``runs.parquet``, ``periods.parquet``, ``ledger.parquet``, ``events.parquet``
and ``manifest.json``, reruns every contract model with each behavioural
channel switched off for the channel decomposition (``decomposition.parquet``,
``--no-decomposition`` to skip), prints the policy table, the risk table and the
decomposition (``--format table|csv|json|markdown``), and writes the figures
and ``report.md`` of ``alliancesim report`` beside them.

Without ``--posterior`` the results hold at the scenario's behavioural priors and
say so. ``--posterior DIR`` draws K prior settings from a calibration's
``posterior.parquet`` (``experiments/posterior_draws.py``), runs the replications shared
out over them (``runner.run_over_posterior``) and prints every comparison with an
interval of parameters and simulation noise (``analysis.posterior_interval``); the
channel decomposition is then skipped, with a note saying why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from alliancesim.agents.negotiation import summarise as summarise_negotiations
from alliancesim.experiments.analysis import paired_differences, with_savings
from alliancesim.experiments.commands import EXIT_FAILED, bad_input_exits
from alliancesim.experiments.decomposition import (
    DEFAULT_MAX_REPS,
    decompose,
    decomposition_markdown,
    default_reps,
    format_decomposition,
    run_knockouts,
)
from alliancesim.experiments.policy_tables import (
    Context,
    decomposition_tidy,
    format_negotiation,
    format_policy_table,
    format_risk_table,
    policy_table,
    risk_inputs,
    risk_table,
    tidy_tables,
    to_json,
    to_markdown,
    wrap,
)
from alliancesim.experiments.posterior_draws import (
    MAX_DEFAULT_DRAWS,
    check_draw_values,
    check_draws,
    default_draws,
    draw_settings,
    load_posterior,
)
from alliancesim.scenario import (
    CHANNELS,
    ScenarioError,
    load_scenario,
    parse_set_options,
)

FORMATS = ("table", "csv", "json", "markdown")
POSTERIOR_DECOMPOSITION_NOTE = (
    "channel decomposition: skipped under --posterior. It switches each channel off on "
    "common seeds at one prior setting; over a posterior it would need the knock-outs at "
    "every draw (seven times the runs) to be consistent. Run without --posterior for it, "
    "at the scenario's priors (or with --set at a posterior value)."
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
    decomposition: Annotated[
        bool,
        typer.Option(
            help="Attribute each contract model's saving to its behavioural channels by "
            "knock-out runs on the same seeds (decomposition.parquet)"
        ),
    ] = True,
    decomposition_reps: Annotated[
        int | None,
        typer.Option(
            help="Replications for the decomposition (its first N seeds are the run's); "
            f"default: the run's replications, at most {DEFAULT_MAX_REPS}",
            min=1,
        ),
    ] = None,
    format_: Annotated[
        str,
        typer.Option("--format", help="Printed tables: table (default), csv, json or markdown"),
    ] = "table",
    posterior: Annotated[
        Path | None,
        typer.Option(
            help="A calibration's output folder (posterior.parquet): draw the behavioural "
            "priors from it and report every comparison with an interval of parameters "
            "and simulation noise"
        ),
    ] = None,
    posterior_draws: Annotated[
        int | None,
        typer.Option(
            help="Prior settings drawn from the posterior (by weight, with replacement); "
            f"the replications are shared out over them; default: --reps / 2, at most "
            f"{MAX_DEFAULT_DRAWS}",
            min=1,
        ),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            help="Which engine runs the replications: auto (the ensemble engine when there "
            "are 16 or more replications a setting), agents (one model a run) or ensemble; "
            "the results are the same"
        ),
    ] = "auto",
) -> None:
    """Run a scenario under its contract models and compare them on common random numbers."""
    from alliancesim.experiments.runner import describe_engines, run_over_posterior, run_scenario

    with bad_input_exits():
        overrides = parse_set_options(set_ or [], source="--set")
        loaded = load_scenario(scenario, overrides)
        if ledger not in ("full", "sample", "none"):
            raise ScenarioError(
                "--ledger", [f"'{ledger}' is not allowed; allowed: full, sample, none"]
            )
        if format_ not in FORMATS:
            raise ScenarioError(
                "--format", [f"'{format_}' is not allowed; allowed: {', '.join(FORMATS)}"]
            )
        if decomposition_reps is not None and decomposition_reps > reps:
            raise ScenarioError(
                "--decomposition-reps",
                [f"{decomposition_reps} is more than --reps {reps}; allowed: 1 to {reps}"],
            )
        if posterior_draws is not None and posterior is None:
            raise ScenarioError(
                "--posterior-draws", ["needs --posterior DIR (the posterior to draw from)"]
            )
        drawn_from = load_posterior(posterior, loaded) if posterior is not None else None
        if drawn_from is not None:
            n_draws = posterior_draws or default_draws(reps)
            check_draws(n_draws, reps)
        chatter = format_ != "table"  # scripts read stdout: everything else goes to stderr
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % (2**63))
            typer.echo(f"seed: {seed} (pass --seed {seed} to repeat this run)", err=chatter)
        if drawn_from is None:
            results = run_scenario(
                loaded,
                reps=reps,
                seed=seed,
                workers=workers,
                out_dir=out,
                cluster=cluster,
                ledger=ledger,
                progress=True,
                engine=engine,
            )
        else:
            draws = draw_settings(drawn_from, n_draws, reps, seed)
            check_draw_values(draws, loaded, drawn_from.source)
            shares = sorted({d.replications for d in draws})
            distinct = len({d.particle for d in draws})
            typer.echo(
                f"posterior: {n_draws} draw{'s' if n_draws != 1 else ''} from "
                f"{drawn_from.source} ({distinct} distinct particle"
                f"{'s' if distinct != 1 else ''}), "
                f"{'-'.join(str(n) for n in (shares[0], shares[-1])[: len(shares)])} "
                "replications each",
                err=True,
            )
            overlap = sorted(set(overrides) & set(drawn_from.priors))
            if overlap:
                typer.echo(
                    f"note: --set {', '.join(overlap)} is replaced by the posterior's values",
                    err=True,
                )
            results = run_over_posterior(
                loaded,
                draws,
                seed,
                drawn_from.record(),
                out,
                workers=workers,
                cluster=cluster,
                ledger=ledger,
                progress=True,
                engine=engine,
            )
        typer.echo(describe_engines(results.manifest), err=True)
        status_quo = loaded.scenario.status_quo
        runs = with_savings(results.runs, status_quo)
        knocked_failed = 0
        decomposed = None
        if decomposition and drawn_from is not None:
            typer.echo(POSTERIOR_DECOMPOSITION_NOTE, err=True)
        elif decomposition and not runs.empty:
            n_decomposition = decomposition_reps or default_reps(reps)
            typer.echo(
                f"channel decomposition: {len(CHANNELS)} channels switched off one at a time, "
                f"on the first {n_decomposition} seeds",
                err=True,
            )
            knocked, knocked_failed = run_knockouts(
                loaded,
                n_decomposition,
                seed,
                out / "decomposition",
                workers=workers,
                cluster=cluster,
            )
            decomposed = decompose(runs, knocked, status_quo)
            decomposed.to_parquet(out / "decomposition.parquet", index=False)
    context = Context.from_scenario(
        loaded.model_dump(mode="json", by_alias=True),
        reps,
        seed,
        results.manifest.get("posterior"),
    )
    policy = policy_table(runs, status_quo)
    risk = risk_table(runs, status_quo, *risk_inputs(out))
    if format_ == "table":
        _print_tables(runs, policy, risk, decomposed, context)
    elif format_ == "markdown":
        typer.echo(to_markdown(policy, risk, context))
        if decomposed is not None:
            typer.echo(decomposition_markdown(decomposed, context))
    else:
        tidy = tidy_tables(policy, risk, decomposition_tidy(decomposed))
        typer.echo(tidy.to_csv(index=False) if format_ == "csv" else to_json(tidy, context))
    if report:
        from alliancesim.experiments.report import build_report

        path = build_report(out, baseline=status_quo)
        typer.echo(f"\nfigures and report: {path}", err=chatter)
    typer.echo(f"outputs: {out}", err=chatter)
    failed = results.n_failed + knocked_failed
    if failed:
        typer.echo(
            f"{failed} run(s) failed; seeds and parameters are in {out / 'manifest.json'}"
            + (f" and {out / 'decomposition' / 'manifest.json'}" if knocked_failed else ""),
            err=True,
        )
        raise typer.Exit(EXIT_FAILED)


def _print_tables(runs, policy, risk, decomposed, context: Context) -> None:
    typer.echo("")
    typer.echo(format_policy_table(policy, context))
    # replications needed for a narrow interval: noise alone, so not over a posterior
    notes = (
        precision_notes(runs, context.status_quo)
        if context.reps > 1 and not context.posterior
        else []
    )
    if notes:
        typer.echo("\nPrecision:")
        typer.echo("\n".join(notes))
    typer.echo("")
    typer.echo(format_risk_table(risk, context))
    if decomposed is not None:
        typer.echo("")
        typer.echo(format_decomposition(decomposed, context.horizon, context.status_quo))
    negotiated = summarise_negotiations(runs.to_dict("records"))
    if negotiated:
        cost = runs.groupby("contract_model")["transaction_cost_pence"].median()
        typer.echo("\nNegotiation (contract models with negotiate = true):")
        typer.echo(format_negotiation(negotiated, cost.to_dict(), context.horizon))
    typer.echo(f"\nroot seed {context.seed}")


def precision_notes(runs: pd.DataFrame, status_quo: str) -> list[str]:
    """How many replications would narrow a wide saving interval (none when narrow)."""
    if "spend_pence" not in runs.columns or status_quo not in set(runs["contract_model"]):
        return []
    differences = paired_differences(runs, "spend_pence", status_quo)
    return wrap(
        f"- {r['contract_model']}: {r['note']}" for _, r in differences.iterrows() if r["note"]
    )


def register(app: typer.Typer) -> None:
    app.command("run")(run)
