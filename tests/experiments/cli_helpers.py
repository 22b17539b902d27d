"""What the experiment tests share: the bundled experiment files and a way to run the
experiment commands (sweep, compare, sensitivity, discover, report) in-process."""

from pathlib import Path

import typer
from alliancesim.experiments import commands
from typer.testing import CliRunner

EXAMPLES = Path(__file__).resolve().parents[2] / "experiments" / "experiment_files"


def commands_app() -> typer.Typer:
    app = typer.Typer()
    commands.register(app)
    return app


def invoke(app: typer.Typer, args):
    return CliRunner().invoke(app, [str(a) for a in args])
