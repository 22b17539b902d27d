"""The calibration's outputs: the posterior and every generation's particles as Parquet,
the generations table, and the manifest.

``posterior.parquet`` (``run --posterior DIR`` reads it): one row per accepted particle
of the last generation with ``particle``, ``weight`` (sums to 1), ``distance``, ``seed``
(the simulation behind it), a float column per prior named by its dotted key, and
``target:<name>`` per target (the simulated statistic). ``particles.parquet`` is the same
for every generation with a ``generation`` column.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from alliancesim.experiments.calibration.config import Calibration
from alliancesim.experiments.calibration.sampler import SEED_KEY, parameter_name

DB = "calibration.db"
POSTERIOR = "posterior.parquet"
PARTICLES = "particles.parquet"
GENERATIONS = "generations.parquet"
MANIFEST = "manifest.json"
COPY = "calibration.toml"

GENERATION_COLUMNS = [
    "generation",
    "epsilon",
    "particles",
    "simulations",
    "acceptance_rate",
    "seconds",
]


def db_url(out_dir: Path) -> str:
    return f"sqlite:///{(out_dir / DB).resolve()}"


def _scalar(value: Any) -> float:
    return float(np.asarray(value).reshape(-1)[0])


def population_frame(history: Any, calibration: Calibration, t: int) -> pd.DataFrame:
    """One generation's accepted particles in the posterior schema."""
    population = history.get_population(t=t)
    rows = []
    for index, particle in enumerate(population.particles):
        row: dict[str, Any] = {
            "particle": index,
            "weight": float(particle.weight),
            "distance": float(particle.distance),
            "seed": int(_scalar(particle.sum_stat[SEED_KEY])),
        }
        for prior in calibration.priors:
            row[prior.key] = float(particle.parameter[parameter_name(prior.key)])
        for case in calibration.targets:
            row[case.column] = _scalar(particle.sum_stat[case.column])
        rows.append(row)
    frame = pd.DataFrame(rows)
    total = frame["weight"].sum()
    frame["weight"] = frame["weight"] / total
    frame["particle"] = frame["particle"].astype("int64")
    frame["seed"] = frame["seed"].astype("int64")
    return frame


def generations_frame(history: Any) -> pd.DataFrame:
    """generation, epsilon, particles, simulations, acceptance_rate, seconds."""
    populations = history.get_all_populations()
    populations = populations[populations["t"] >= 0].sort_values("t")
    frame = pd.DataFrame(
        {
            "generation": populations["t"].astype("int64"),
            "epsilon": populations["epsilon"].astype(float),
            "particles": populations["particles"].astype("int64"),
            "simulations": populations["samples"].astype("int64"),
        }
    )
    frame["acceptance_rate"] = frame["particles"] / frame["simulations"]
    frame["seconds"] = populations["wall_time"].astype(float).to_numpy()
    return frame.reset_index(drop=True)[GENERATION_COLUMNS]


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    frame.to_parquet(temporary, index=False)
    os.replace(temporary, path)


def write_tables(history: Any, calibration: Calibration, out_dir: Path) -> pd.DataFrame:
    """(Re)write posterior, particles and generations from the database; the posterior."""
    generations = generations_frame(history)
    frames = []
    for t in generations["generation"]:
        frame = population_frame(history, calibration, int(t))
        frame.insert(0, "generation", int(t))
        frames.append(frame)
    particles = pd.concat(frames, ignore_index=True)
    posterior = frames[-1].drop(columns="generation").reset_index(drop=True)
    _atomic_parquet(particles, out_dir / PARTICLES)
    _atomic_parquet(generations, out_dir / GENERATIONS)
    _atomic_parquet(posterior, out_dir / POSTERIOR)
    return posterior


def write_manifest(out_dir: Path, payload: dict[str, Any]) -> None:
    temporary = out_dir / (MANIFEST + ".tmp")
    temporary.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(temporary, out_dir / MANIFEST)


def read_manifest(out_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
