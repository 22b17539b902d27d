"""``alliancesim validate [--quick] [--json] [--only V8,V9] [--report-only] [--engine E]``:
the validation table, each pattern with its knock-out; and the validation page."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("validate")
    def validate(
        quick: bool = typer.Option(False, "--quick", help="Few paired seeds (seconds a pattern)."),
        as_json_output: bool = typer.Option(False, "--json", help="Print the table as JSON."),
        only: str = typer.Option("", "--only", help="Comma-separated pattern codes, e.g. V8,V9."),
        seed: int = typer.Option(20240601, "--seed", help="Seed the paired seeds derive from."),
        knockouts: bool = typer.Option(
            True,
            "--knockouts/--no-knockouts",
            help="Also run each pattern with its mechanism switched off (the default).",
        ),
        report_only: bool = typer.Option(
            False, "--report-only", help="Exit 0 even when a pattern fails."
        ),
        from_json: str = typer.Option(
            "", "--from-json", help="Render a saved `validate --json` file instead of running."
        ),
        doc: str = typer.Option("", "--doc", help="Write the validation page (Markdown) here."),
        engine: str = typer.Option(
            "auto",
            "--engine",
            help="Which engine makes the patterns' model runs: auto (the ensemble engine "
            "where 16 or more seeds ask for runs of one scenario and contract model at once, "
            "as in a full run), agents (one model a run) or ensemble; the results are the same",
        ),
    ) -> None:
        """Run the validation patterns (docs/validation.md), each as it is and with the
        mechanism meant to produce it knocked out. A pattern passes only if it holds
        with the mechanism and fails without it. Exits 1 when any pattern does not
        pass (unless --report-only), 2 on bad input."""
        from alliancesim.experiments.validation.document import render_page
        from alliancesim.experiments.validation.runner import (
            as_json,
            as_text,
            counts,
            engines_text,
            run_patterns,
        )
        from alliancesim.model.ensemble import ENGINES

        if engine not in ENGINES:
            typer.echo(
                f"validate: --engine {engine!r} is not an engine; allowed: {', '.join(ENGINES)}",
                err=True,
            )
            raise typer.Exit(2)

        if from_json:
            try:
                document = json.loads(Path(from_json).read_text())
            except (OSError, ValueError) as error:
                typer.echo(f"validate: cannot read {from_json}: {error}", err=True)
                raise typer.Exit(2) from None
        else:
            start = time.perf_counter()
            try:
                table = run_patterns(
                    quick=quick,
                    only=only.split(",") if only else None,
                    seed=seed,
                    knockouts=knockouts,
                    engine=engine,
                )
            except KeyError as error:
                typer.echo(f"validate: {error.args[0]}", err=True)
                raise typer.Exit(2) from None
            seconds = time.perf_counter() - start
            document = json.loads(as_json(table, quick, seconds))
            document["seed"] = seed
            document["engine"] = engine
            if as_json_output:
                typer.echo(json.dumps(document, indent=2))
            else:
                typer.echo(as_text(table))
                tally = counts(table)
                summary = (
                    f"{tally['honest']} of {tally['patterns']} patterns pass and fail with "
                    f"their mechanism knocked out; {tally['passed']} hold with the mechanism, "
                    f"{tally['not_tied']} of them not tied to a mechanism "
                    f"({document['mode']} run, {seconds:.1f} s; engine {engine}: model runs "
                    f"{engines_text(table.attrs.get('runs', {}))})"
                )
                typer.echo("\n" + textwrap.fill(summary, 100))
        if doc:
            Path(doc).write_text(render_page(document))
            if not as_json_output:
                typer.echo(f"wrote {doc}")
        failing = [r["pattern"] for r in document["results"] if r["verdict"] != "pass"]
        if failing and not report_only and not from_json:
            if not as_json_output:
                typer.echo(f"not passing: {', '.join(failing)} (exit 1; --report-only: exit 0)")
            raise typer.Exit(1)
