"""``alliancesim dashboard``: serve the teaching dashboard with Solara, offline.

Binds to 127.0.0.1 unless told otherwise; Solara's telemetry and version check
are off, and any asset missing from solara-assets is looked up on a closed
loopback port rather than a CDN, so the page works with no internet access.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Annotated

import typer

APP = "alliancesim.app.dashboard"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def solara_command(host: str, port: int) -> list[str]:
    return [
        sys.executable, "-m", "solara", "run", APP,
        "--host", host, "--port", str(port),
        "--production", "--no-open", "--no-check-version",
    ]  # fmt: skip


def solara_env(host: str) -> dict[str, str]:
    return {
        **os.environ,
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "MPLBACKEND": "Agg",
        "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/npm/",
    }


def dashboard(
    host: Annotated[
        str, typer.Option(help="Address to bind; keep 127.0.0.1 unless you mean to share it.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.", min=1, max=65535)] = 8765,
) -> None:
    """Serve the teaching dashboard (Mesa SolaraViz) at http://HOST:PORT/ until Ctrl-C."""
    try:
        import mesa.visualization  # noqa: F401
        import solara  # noqa: F401
    except ImportError as error:
        typer.echo(
            f"error: the dashboard needs the 'dashboard' extra ({error.name} is missing): "
            "bash scripts/setup.sh dashboard (or pip install 'alliancesim[dashboard]')",
            err=True,
        )
        raise typer.Exit(2) from None
    if host not in LOOPBACK:
        typer.echo(
            f"warning: serving on {host}: anyone who can reach this machine can use the dashboard",
            err=True,
        )
    typer.echo(f"alliancesim dashboard on http://{host}:{port}/ (Ctrl-C to stop)")
    try:
        code = subprocess.call(solara_command(host, port), env=solara_env(host))
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("dashboard")(dashboard)
