"""``alliancesim dashboard``: serve the teaching dashboard with Solara, offline.

Binds to 127.0.0.1 unless told otherwise; Solara's telemetry and version check
are off, and any asset missing from solara-assets is looked up on a closed
loopback port rather than a CDN, so the page works with no internet access.
"""

from __future__ import annotations

import os
import re
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


def solara_env(host: str, keep: str = "5m") -> dict[str, str]:
    return {
        **os.environ,
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "MPLBACKEND": "Agg",
        "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/npm/",
        "SOLARA_THEME_SHOW_BANNER": "False",  # its corner banner covered the tables
        # A session whose browser has gone (closed, asleep, off the network) is ended
        # after this long and its memory freed; Solara's default keeps it a day.
        # A tab closed normally ends its session at once (the page's unload beacon).
        "SOLARA_KERNEL_CULL_TIMEOUT": os.environ.get("SOLARA_KERNEL_CULL_TIMEOUT", keep),
    }


def dashboard(
    host: Annotated[
        str, typer.Option(help="Address to bind; keep 127.0.0.1 unless you mean to share it.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.", min=1, max=65535)] = 8765,
    keep_sessions: Annotated[
        str,
        typer.Option(
            help="How long a session whose browser has gone away (closed laptop, lost "
            "network) is kept for it to come back, e.g. 5m, 30m, 1h; then it is freed."
        ),
    ] = "5m",
) -> None:
    """Serve the teaching dashboard at http://HOST:PORT/ until Ctrl-C or SIGTERM."""
    try:
        import solara  # noqa: F401
    except ImportError as error:
        typer.echo(
            f"error: the dashboard needs the 'dashboard' extra ({error.name} is missing): "
            "bash scripts/setup.sh dashboard (or pip install 'alliancesim[dashboard]')",
            err=True,
        )
        raise typer.Exit(2) from None
    if not re.fullmatch(r"\d+(\.\d+)?[smhd]", keep_sessions):
        typer.echo(
            f"error: --keep-sessions {keep_sessions!r}: give a number and a unit, "
            "s, m, h or d (e.g. 5m)",
            err=True,
        )
        raise typer.Exit(2)
    if host not in LOOPBACK:
        typer.echo(
            f"warning: serving on {host}: anyone who can reach this machine can use the dashboard",
            err=True,
        )
    typer.echo(f"alliancesim dashboard on http://{host}:{port}/ (Ctrl-C to stop)")
    sys.stdout.flush()
    sys.stderr.flush()
    # Become the server (same PID): stopping this command by its PID (SIGTERM) stops
    # the server. A child process would be orphaned and keep serving.
    command = solara_command(host, port)
    os.execve(command[0], command, solara_env(host, keep_sessions))


def register(app: typer.Typer) -> None:
    app.command("dashboard")(dashboard)
