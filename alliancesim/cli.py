"""The command line: ``alliancesim <command>`` (also ``python -m alliancesim``).

Each layer registers its own commands (``register(app)`` in its ``commands``
module), so this file only assembles them. Bad input exits with code 2 and a
message naming the file, the key and what is allowed, never a traceback.
"""

from __future__ import annotations

import importlib

import typer

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
    "alliancesim.experiments.validation.commands",
    "alliancesim.app.commands",
)


def build_app() -> typer.Typer:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue  # a layer not built yet
        module.register(app)
    return app


def main() -> None:
    build_app()()


if __name__ == "__main__":
    main()
