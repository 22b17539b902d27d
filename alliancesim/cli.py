"""The command line: ``alliancesim <command>`` (also ``python -m alliancesim``).

Each layer registers its own commands (``register(app)`` in its ``commands``
module), so this file only assembles them, and adds ``--version`` and
``notebooks``. Bad input exits with code 2 and a message naming the file, the key
and what is allowed, never a traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from alliancesim import __version__

EXIT_BAD_INPUT = 2
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

app = typer.Typer(
    name="alliancesim",
    help="Simulate NHS alliance, lead-provider and outcomes-based contracts against the "
    "tariff-and-block baseline, with a double-entry payment core.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each module exposes register(app: typer.Typer) -> None.
COMMAND_MODULES = (
    "alliancesim.experiments.run_command",
    "alliancesim.experiments.commands",
    "alliancesim.experiments.calibration.commands",
    "alliancesim.experiments.validation.commands",
    "alliancesim.app.commands",
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"alliancesim {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Simulate NHS alliance, lead-provider and outcomes-based contracts against the
    tariff-and-block baseline, with a double-entry payment core."""


def jupyterlab_command(folder: Path, port: int | None, browser: bool) -> list[str]:
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}"]
    if port is not None:
        command.append(f"--ServerApp.port={port}")
    if not browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI often run as root
    return command


def notebooks(
    port: Annotated[
        int | None, typer.Option(help="Port to serve on (default: JupyterLab's, 8888).")
    ] = None,
    browser: Annotated[bool, typer.Option(help="Open a web browser.")] = True,
) -> None:
    """Open JupyterLab on the notebooks/ folder.

    Needs JupyterLab: add it once with `bash scripts/setup.sh notebooks`.
    """
    if not NOTEBOOKS.is_dir():
        typer.echo(
            f"error: no notebooks/ folder beside the package ({NOTEBOOKS}); the notebooks "
            "come with the source repository, run this from a clone of it",
            err=True,
        )
        raise typer.Exit(EXIT_BAD_INPUT)
    if importlib.util.find_spec("jupyterlab") is None:
        typer.echo(
            "error: JupyterLab is not installed in this environment; add it with "
            "`bash scripts/setup.sh notebooks` (or pip install 'alliancesim[notebooks]')",
            err=True,
        )
        raise typer.Exit(EXIT_BAD_INPUT)
    typer.echo(f"JupyterLab on {NOTEBOOKS} (Ctrl-C to stop)")
    try:
        code = subprocess.call(jupyterlab_command(NOTEBOOKS, port, browser))
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)


def _list_presets_in_run_help(typer_app: typer.Typer) -> None:
    """``run --help`` ends with the preset names (the run command's own module
    defines its options; the list is added here, where the commands are assembled)."""
    from alliancesim.scenario import preset_names

    for info in typer_app.registered_commands:
        if info.name == "run":
            info.epilog = "Presets: " + ", ".join(preset_names()) + "."


def build_app() -> typer.Typer:
    if getattr(app, "_assembled", False):
        return app
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue  # a layer not built yet
        module.register(app)
    app.command("notebooks")(notebooks)
    _list_presets_in_run_help(app)
    app._assembled = True
    return app


def main() -> None:
    build_app()()


if __name__ == "__main__":
    main()
