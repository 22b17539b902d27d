"""The experiment commands of the ``alliancesim`` CLI: sweep, compare, sensitivity, discover, report.

``cli.py`` calls :func:`register` on its typer app. Exit codes: 0 ok; 1 a run
failed (its seed and parameters are in ``manifest.json``); 2 bad input (a
message naming file, key, value and what is allowed; nothing written).

The same work from a notebook, in three lines::

    from alliancesim.experiments.runner import run_scenario
    results = run_scenario("default", reps=20, seed=1)
    results.runs            # tidy DataFrame, one row per run
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from alliancesim.experiments.experiment import ExperimentError

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@contextlib.contextmanager
def bad_input_exits() -> Iterator[None]:
    """Turn every bad-input error into a message on stderr and exit status 2."""
    try:
        from alliancesim.scenario import ScenarioError
    except ImportError:  # pragma: no cover - the lead's module is absent
        ScenarioError = ExperimentError  # noqa: N806
    try:
        yield
    except (ExperimentError, ScenarioError) as error:
        raise _fail(str(error)) from None
    except KeyError as error:  # analysis: unknown metric / model, with the allowed list
        raise _fail(str(error.args[0] if error.args else error)) from None
    except ImportError as error:
        raise _fail(str(error)) from None
    except KeyboardInterrupt:
        typer.echo(
            "interrupted: finished chunks are on disk; `alliancesim sweep --resume` "
            "continues a sweep (a run starts again with a new --out)",
            err=True,
        )
        raise typer.Exit(130) from None


def _default_out(name: str) -> Path:
    return Path("results") / name


def _print_run_outcome(summary) -> None:
    from alliancesim.experiments.runner import describe_engines

    typer.echo(
        f"{summary.n_ok}/{summary.n_tasks} runs ok ({summary.n_skipped} resumed), "
        f"{summary.n_failed} failed, {summary.elapsed_s:.1f} s -> {summary.out_dir}"
    )
    typer.echo(describe_engines(summary.manifest))
    for failure in summary.failures[:5]:
        typer.echo(
            f"  failed: point {failure['point_id']} replication {failure['replication']} "
            f"seed {failure['seed']} overrides {failure['overrides']}: {failure['error']}",
            err=True,
        )
    if summary.n_failed > 5:
        typer.echo(f"  ... and {summary.n_failed - 5} more (see manifest.json)", err=True)


WorkersOpt = Annotated[int, typer.Option("--workers", "-w", min=1, help="Worker processes")]
ClusterOpt = Annotated[
    str | None,
    typer.Option("--cluster", help="Dask scheduler address (tcp://host:8786) or 'local'"),
]
EngineOpt = Annotated[
    str,
    typer.Option(
        "--engine",
        help="Which engine runs the replications: auto (the ensemble engine when a scenario "
        "point has 16 or more), agents (one model a run) or ensemble; the results are the same",
    ),
]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Output directory")]
BaselineOpt = Annotated[str, typer.Option("--baseline", help="Counterfactual contract model")]


def sweep(
    experiment: Annotated[Path, typer.Argument(help="Experiment TOML file")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the run count only")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Skip finished runs in --out")] = False,
    workers: WorkersOpt = 1,
    cluster: ClusterOpt = None,
    out: OutOpt = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
    engine: EngineOpt = "auto",
) -> None:
    """Run an experiment file: full factorial, ranges, or a sampled design."""
    from alliancesim.experiments.experiment import expand, load_experiment, load_experiment_scenario
    from alliancesim.experiments.runner import run_experiment

    with bad_input_exits():
        loaded = load_experiment(experiment)
        points = expand(loaded)
        reps = loaded.experiment.replications
        models = loaded.experiment.models
        # every point is checked against the scenario before --dry-run says anything,
        # so a dry run that passes is a sweep that will start (a misspelt key or a
        # bound outside a parameter's range used to pass it)
        scenario = load_experiment_scenario(loaded)
        if dry_run:
            typer.echo(
                f"{loaded.name}: {len(points)} points x {reps} replications = "
                f"{len(points) * reps} runs (each runs contract models "
                f"{', '.join(models) if models else 'listed in the scenario'})"
            )
            return
        summary = run_experiment(
            loaded,
            out or _default_out(loaded.name),
            workers=workers,
            cluster=cluster,
            resume=resume,
            progress=progress,
            scenario=scenario,
            engine=engine,
        )
    _print_run_outcome(summary)
    if summary.n_failed:
        raise typer.Exit(EXIT_FAILED)


def compare(
    directory: Annotated[Path, typer.Argument(help="A run or sweep directory")],
    baseline: BaselineOpt = "status_quo",
    metric: Annotated[
        list[str] | None, typer.Option("--metric", "-m", help="Run metric (repeatable)")
    ] = None,
) -> None:
    """Paired differences between contract models on common random numbers: table and figure."""
    import pandas as pd
    from alliancesim.experiments.analysis import (
        format_differences,
        paired_differences,
        with_savings,
    )
    from alliancesim.experiments.report import plot_forest
    from alliancesim.experiments.runner import load_results

    with bad_input_exits():
        results = load_results(directory)
        runs = with_savings(results.runs, baseline)
        metrics = metric or [
            m for m in ("savings_pence", "outcome_true", "mean_trust") if m in runs.columns
        ]
        report_dir = Path(directory) / "report"
        tables = []
        for name in metrics:
            table = paired_differences(runs, name, baseline)
            if "point_id" in table.columns:  # show what each point varied
                swept = [c for c in results.points.columns if c != "point_id"]
                table = table.merge(results.points, on="point_id", how="left")
                table = table[[*swept, *(c for c in table.columns if c not in swept)]]
            tables.append(table)
            typer.echo(f"\n{name}: model - {baseline} (paired on seed), 95% CI")
            typer.echo(format_differences(table))
        report_dir.mkdir(exist_ok=True)
        for name in metrics:
            pooled = paired_differences(runs, name, baseline, by=[])
            plot_forest(pooled, report_dir / f"compare_{name}.png")
        pd.concat(tables, ignore_index=True).to_csv(report_dir / "compare.csv", index=False)
    typer.echo(f"\nfigures and compare.csv in {report_dir}")


def sensitivity(
    target: Annotated[
        # escaped: Rich would read "[sampling]" as markup and print nothing
        Path, typer.Argument(help=r"Experiment TOML with \[sampling], or a sweep DIR")
    ],
    metric: Annotated[str, typer.Option("--metric", "-m")] = "savings_pence",
    model: Annotated[str | None, typer.Option("--model", help="Contract model to analyse")] = None,
    baseline: BaselineOpt = "status_quo",
    workers: WorkersOpt = 1,
    cluster: ClusterOpt = None,
    out: OutOpt = None,
    resume: Annotated[bool, typer.Option("--resume")] = False,
    engine: EngineOpt = "auto",
) -> None:
    """Sobol or Morris indices (SALib); runs the sweep first when given an experiment file."""
    from alliancesim.experiments.experiment import load_experiment, load_experiment_scenario
    from alliancesim.experiments.runner import run_experiment
    from alliancesim.experiments.sensitivity import sensitivity_of_sweep

    with bad_input_exits():
        directory = target
        if target.is_file() or target.suffix == ".toml":
            loaded = load_experiment(target)
            if loaded.sampling is None or loaded.sampling.method == "latin_hypercube":
                raise ExperimentError(
                    str(target),
                    "sampling.method",
                    loaded.sampling.method if loaded.sampling else None,
                    "sobol, morris",
                )
            scenario = load_experiment_scenario(loaded)
            directory = out or _default_out(loaded.name)
            summary = run_experiment(
                loaded,
                directory,
                workers=workers,
                cluster=cluster,
                resume=resume,
                scenario=scenario,
                engine=engine,
            )
            _print_run_outcome(summary)
            if summary.n_failed:
                raise typer.Exit(EXIT_FAILED)
        table = sensitivity_of_sweep(directory, metric=metric, model=model, baseline_model=baseline)
    typer.echo(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    typer.echo(f"saved to {Path(directory) / 'sensitivity.parquet'}")


def discover(
    directory: Annotated[Path, typer.Argument(help="A sweep directory")],
    outcome: Annotated[
        str, typer.Option("--outcome", help="'column OP number' (savings_pence<0) or a bool column")
    ],
    model: Annotated[str | None, typer.Option("--model")] = None,
    threshold: Annotated[float, typer.Option("--threshold", min=0.0, max=1.0)] = 0.8,
    baseline: BaselineOpt = "status_quo",
) -> None:
    """Scenario discovery with PRIM: the input box where the outcome concentrates."""
    from alliancesim.experiments.discovery import discover_runs

    with bad_input_exits():
        try:
            result = discover_runs(
                directory, outcome, model=model, threshold=threshold, baseline_model=baseline
            )
        except ValueError as error:
            if isinstance(error, ExperimentError):
                raise
            raise ExperimentError(
                str(directory), "--outcome", outcome, "an outcome some runs have", str(error)
            ) from None
    typer.echo(result.describe())
    path = Path(directory) / "discovery.json"
    payload = {
        "outcome": outcome,
        "model": model,
        "threshold": threshold,
        "coverage": result.coverage,
        "density": result.density,
        "mass": result.mass,
        "box": result.box.to_dict(orient="records"),
    }
    path.write_text(json.dumps(payload, indent=1), encoding="utf-8")


def report(
    directory: Annotated[Path, typer.Argument(help="A run or sweep directory")],
    baseline: BaselineOpt = "status_quo",
    metric: Annotated[str, typer.Option("--metric", "-m")] = "savings_pence",
) -> None:
    """Figures (time series with bands, forest, tornado, trust network, money flows) and report.md."""
    from alliancesim.experiments.report import build_report

    with bad_input_exits():
        path = build_report(directory, baseline=baseline, metric=metric)
    typer.echo(f"report: {path}")


def register(app: typer.Typer) -> None:
    """Add the experiment commands to the ``alliancesim`` app."""
    app.command("sweep")(sweep)
    app.command("compare")(compare)
    app.command("sensitivity")(sensitivity)
    app.command("discover")(discover)
    app.command("report")(report)


def main() -> None:  # pragma: no cover - convenience when cli.py is absent
    app = typer.Typer(no_args_is_help=True, add_completion=False)
    register(app)
    app(prog_name="alliancesim")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
