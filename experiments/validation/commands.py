"""``alliancesim validate [--quick] [--json] [--only V8,V9]``: the validation table."""

from __future__ import annotations

import time

import typer


def register(app: typer.Typer) -> None:
    @app.command("validate")
    def validate(
        quick: bool = typer.Option(False, "--quick", help="Few paired seeds (seconds a pattern)."),
        as_json_output: bool = typer.Option(False, "--json", help="Print the table as JSON."),
        only: str = typer.Option("", "--only", help="Comma-separated pattern codes, e.g. V8,V9."),
        seed: int = typer.Option(20240601, "--seed", help="Seed the paired seeds derive from."),
    ) -> None:
        """Run the validation patterns of docs/validation.md; print their table and verdicts."""
        from alliancesim.experiments.validation.runner import (
            as_json,
            as_markdown,
            run_patterns,
        )

        start = time.perf_counter()
        try:
            table = run_patterns(quick=quick, only=only.split(",") if only else None, seed=seed)
        except KeyError as error:
            typer.echo(f"validate: {error.args[0]}", err=True)
            raise typer.Exit(2) from None
        seconds = time.perf_counter() - start
        if as_json_output:
            typer.echo(as_json(table, quick, seconds))
            return
        typer.echo(as_markdown(table))
        passed = int(table["passed"].sum())
        typer.echo(
            f"\n{passed} of {len(table)} patterns pass ({'quick' if quick else 'full'} run, "
            f"{seconds:.1f} s)"
        )
        for row in table.itertuples():
            typer.echo(f"- {row.pattern}: {row.note}")
