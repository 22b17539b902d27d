"""``alliancesim calibrate``: ABC-SMC over the behavioural priors (issue 13).

``cli.py`` calls :func:`register`. Exit codes: 0 done; 1 the calibration failed while
running (what was done is in the output folder, ``--resume`` continues it); 2 bad input (a
message naming the file, the key, the value and what is allowed; nothing written).
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def calibrate(
    calibration_file: Annotated[
        Path | None, typer.Argument(metavar="CALIBRATION.toml", help="Calibration file")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Output folder (default results/calibration-<name>-<date>)"
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the stopped calibration in --out")
    ] = False,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1, help="Worker processes (joblib)")
    ] = 1,
    cluster: Annotated[
        str | None,
        typer.Option("--cluster", help="Dask scheduler address (tcp://host:8786) or 'local'"),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="auto, agents or ensemble: make the runs of a worker's particles together "
            "on the ensemble engine (auto: when a generation has 16 or more particles); "
            "the posterior is the same",
        ),
    ] = "auto",
    diagnose: Annotated[
        Path | None,
        typer.Option(
            "--diagnose", metavar="OUT", help="Re-make the diagnostics of a calibration folder"
        ),
    ] = None,
) -> None:
    """Infer behavioural priors from the case patterns by ABC-SMC (pyabc); see HELP."""
    from alliancesim.experiments.calibration.config import CalibrationError, load_calibration
    from alliancesim.experiments.calibration.workflow import calibrate as run
    from alliancesim.experiments.calibration.workflow import default_out
    from alliancesim.experiments.calibration.workflow import diagnose as remake

    try:
        if diagnose is not None:
            if calibration_file is not None or resume:
                raise CalibrationError(
                    "--diagnose",
                    ["--diagnose OUT takes no calibration file and no --resume"],
                )
            for line in remake(diagnose, workers=workers, cluster=cluster):
                typer.echo(line)
            return
        if calibration_file is None:
            raise CalibrationError(
                "alliancesim calibrate", ["missing CALIBRATION.toml (or --diagnose OUT)"]
            )
        calibration = load_calibration(calibration_file)
        out_dir = out or default_out(calibration)
        if resume and out is None:
            raise CalibrationError(
                "--resume", ["--resume needs --out, the folder of the calibration to continue"]
            )
        command = " ".join(shlex.quote(a) for a in ["alliancesim", *sys.argv[1:]])
        result = run(
            calibration,
            out_dir,
            workers=workers,
            cluster=cluster,
            resume=resume,
            command=command,
            engine=engine,
        )
    except CalibrationError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except ImportError as error:
        typer.echo(f"error: {error}; install the 'calibration' extra (pyabc)", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except Exception as error:  # a simulation failed: say which, keep what was done
        typer.echo(
            f"error: the calibration failed: {type(error).__name__}: {error}\n"
            "finished generations are in calibration.db; after the fix, "
            "`alliancesim calibrate FILE --out DIR --resume` continues",
            err=True,
        )
        raise typer.Exit(EXIT_FAILED) from None
    except KeyboardInterrupt:
        typer.echo(
            "interrupted: finished generations are in calibration.db; "
            "`alliancesim calibrate FILE --out DIR --resume` continues",
            err=True,
        )
        raise typer.Exit(130) from None
    for line in result.summary:
        typer.echo(line)


HELP = (
    "Infer behavioural priors from the case patterns by ABC-SMC (pyabc).\n\n"
    "Writes pyabc's database, posterior.parquet, particles.parquet, generations.parquet, "
    "manifest.json, a diagnostics report and figures/ into the output folder as it goes "
    "(see docs/calibration.md).\n\n"
    "Same seed, same posterior on any number of workers or a Dask cluster; each particle "
    "is re-simulated exactly from its recorded seed."
)


def register(app: typer.Typer) -> None:
    app.command("calibrate", help=HELP)(calibrate)
