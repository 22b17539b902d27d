"""A calibration's posterior as input to ``alliancesim run --posterior DIR``.

``alliancesim calibrate`` writes ``DIR/posterior.parquet``: one row per accepted
particle with ``particle`` (int), ``weight`` (float, summing to 1), ``distance``,
``seed``, one float column per calibrated prior named by its dotted scenario key
(``behaviour.reciprocity_weight``) and ``target:<name>`` columns (ignored here).

:func:`load_posterior` reads and checks it (bad input is a :class:`ScenarioError`
naming the file and the column, before anything is written); :func:`draw_settings`
draws K prior settings from it with replacement, by weight, from the keyed random
stream ``"posterior"`` of the run's root seed (``model/streams.py``), so one seed
gives the same draws on any number of workers; :func:`split_replications` shares
the run's replications out over the draws.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from alliancesim.model.streams import stream
from alliancesim.scenario import ScenarioError

POSTERIOR_FILE = "posterior.parquet"
#: Purpose of the random stream the draws come from (see ``model/streams.py``).
POSTERIOR_STREAM = "posterior"
REQUIRED = ("particle", "weight")
BOOKKEEPING = ("particle", "weight", "distance", "seed")
TARGET_PREFIX = "target:"
#: Default number of draws: at most this many, and at least 2 replications each.
MAX_DEFAULT_DRAWS = 40
WEIGHT_TOLERANCE = 1e-6


class PosteriorError(ScenarioError):
    """Bad posterior input: names the file (or option) and the column; exit 2."""

    @property
    def message(self) -> str:
        return "\n".join(
            [f"{self.source}: invalid posterior", *(f"  - {p}" for p in self.problems)]
        )


@dataclass(frozen=True)
class Posterior:
    """The particles of a posterior: their weights and prior values (dotted keys)."""

    folder: str  # as the user gave it, for messages and the manifest
    source: str  # folder/posterior.parquet, as the user gave it
    sha256: str
    particles: list[int]
    weights: list[float]
    priors: list[str]
    values: list[dict[str, float]]
    calibration: str | None = None  # the calibration's name, from its manifest.json

    def record(self) -> dict[str, Any]:
        """What the run's manifest keeps about the posterior (no machine paths)."""
        return {
            "folder": self.folder,
            "file": POSTERIOR_FILE,
            "sha256": self.sha256,
            "particles": len(self.particles),
            "priors": list(self.priors),
            "calibration": self.calibration,
        }


@dataclass(frozen=True)
class Draw:
    """One draw from the posterior: a particle's prior values and its replications."""

    draw: int
    particle: int
    weight: float
    overrides: dict[str, float]
    replications: int = 0
    setting: int = 0  # the first particle with these values: draws of equal values share it

    def record(self) -> dict[str, Any]:
        return {
            "draw": self.draw,
            "particle": self.particle,
            "weight": self.weight,
            "setting": self.setting,
            "replications": self.replications,
            "overrides": dict(self.overrides),
        }


def _shown(folder: Path | str) -> str:
    return str(folder).rstrip("/") or "."


def load_posterior(folder: Path | str, scenario: Any) -> Posterior:
    """Read ``folder/posterior.parquet`` and check it against ``scenario``.

    Raises :class:`ScenarioError` naming the file and column when the folder or file
    is missing or unreadable, a required column is missing, a prior column is not a
    scenario key (or its values are not allowed there), or the weights are negative,
    not finite or do not sum to 1.
    """
    shown = _shown(folder)
    folder = Path(folder)
    source = f"{shown}/{POSTERIOR_FILE}"
    if not folder.is_dir():
        raise PosteriorError(
            "--posterior", [f"'{shown}' is not a folder; allowed: a calibration's output folder"]
        )
    path = folder / POSTERIOR_FILE
    if not path.is_file():
        raise PosteriorError(
            source,
            [f"no {POSTERIOR_FILE} in '{shown}'; allowed: a folder `alliancesim calibrate` wrote"],
        )
    try:
        data = path.read_bytes()
        frame = pd.read_parquet(path)
    except Exception as error:  # OSError, or one of pyarrow's several kinds for a bad file
        raise PosteriorError(
            source, [f"not a readable Parquet file ({type(error).__name__})"]
        ) from None
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise PosteriorError(
            source,
            [f"column '{c}' is missing; required: {', '.join(REQUIRED)}" for c in missing],
        )
    if frame.empty:
        raise PosteriorError(source, ["no particles (0 rows); allowed: at least one"])
    particle = frame["particle"]
    if not pd.api.types.is_integer_dtype(particle) and not (
        pd.api.types.is_float_dtype(particle) and (particle % 1 == 0).all()
    ):
        raise PosteriorError(source, ["column 'particle' is not whole numbers; allowed: ints"])
    if frame["particle"].duplicated().any():
        first = frame.loc[frame["particle"].duplicated(), "particle"].iloc[0]
        raise PosteriorError(
            source, [f"column 'particle' repeats {first}; allowed: one row per particle"]
        )
    priors = [
        str(c)
        for c in frame.columns
        if c not in BOOKKEEPING and not str(c).startswith(TARGET_PREFIX)
    ]
    if not priors:
        raise PosteriorError(
            source, ["no prior columns; allowed: one column per prior, named by its scenario key"]
        )
    _check_weights(frame["weight"], source)
    for column in priors:
        _check_prior(frame[column], column, scenario, source)
    return Posterior(
        folder=shown,
        source=source,
        sha256=hashlib.sha256(data).hexdigest(),
        particles=[int(p) for p in frame["particle"]],
        weights=[float(w) for w in frame["weight"]],
        priors=priors,
        values=[{c: float(row[c]) for c in priors} for _, row in frame[priors].iterrows()],
        calibration=_calibration_name(folder),
    )


def _check_weights(weights: pd.Series, source: str) -> None:
    if not pd.api.types.is_numeric_dtype(weights):
        raise PosteriorError(source, ["column 'weight' is not numeric; allowed: numbers >= 0"])
    values = weights.astype(float)
    bad = values[~values.map(math.isfinite)]
    if not bad.empty:
        raise PosteriorError(
            source, [f"column 'weight' has {len(bad)} missing or infinite value(s)"]
        )
    negative = values[values < 0]
    if not negative.empty:
        raise PosteriorError(
            source,
            [
                f"column 'weight' has {len(negative)} negative value(s) (the first "
                f"{negative.iloc[0]:g}); allowed: weights >= 0 summing to 1"
            ],
        )
    total = float(values.sum())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise PosteriorError(
            source,
            [f"column 'weight' sums to {total:.6g}; allowed: weights >= 0 summing to 1"],
        )


def _check_prior(values: pd.Series, column: str, scenario: Any, source: str) -> None:
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise PosteriorError(source, [f"column '{column}' is not numeric; allowed: numbers"])
    numbers = values.astype(float)
    if not numbers.map(math.isfinite).all():
        raise PosteriorError(source, [f"column '{column}' has missing or infinite values"])
    for value in (float(numbers.min()), float(numbers.max())):
        try:
            scenario.with_overrides({column: value}, source=source)
        except ScenarioError as error:
            problems = "; ".join(error.problems)
            raise PosteriorError(
                source,
                [
                    f"column '{column}' (value {value:g}) is not a scenario key it can set: {problems}"
                ],
            ) from None


def _calibration_name(folder: Path) -> str | None:
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return None
    try:
        record = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = record.get("name") if isinstance(record, dict) else None
    return str(name) if name is not None else None


def default_draws(reps: int) -> int:
    """At most :data:`MAX_DEFAULT_DRAWS` draws, with at least 2 replications each."""
    return max(1, min(MAX_DEFAULT_DRAWS, reps // 2))


def check_draws(draws: int, reps: int) -> None:
    """Each draw needs 2 replications to tell simulation noise from the parameters."""
    allowed = max(1, reps // 2)
    if draws > allowed:
        raise PosteriorError(
            "--posterior-draws",
            [
                f"{draws} draws for --reps {reps}: each draw needs at least 2 replications "
                f"to separate simulation noise from the parameters; allowed: 1 to {allowed}"
            ],
        )


def split_replications(reps: int, draws: int) -> list[int]:
    """``reps`` shared out over ``draws`` as evenly as can be (the first ones get one more)."""
    base, extra = divmod(reps, draws)
    return [base + (1 if d < extra else 0) for d in range(draws)]


def draw_settings(posterior: Posterior, draws: int, reps: int, seed: int) -> list[Draw]:
    """``draws`` particles drawn with replacement by weight, from the stream
    ``("posterior", "")`` of ``seed``; each with its share of the ``reps``. Particles
    with equal prior values are one *setting* (named by the first of them): the
    interval's parameter part is the spread between settings."""
    rng = stream(seed, POSTERIOR_STREAM)
    picked = rng.choices(range(len(posterior.particles)), weights=posterior.weights, k=draws)
    shares = split_replications(reps, draws)
    first: dict[tuple, int] = {}
    for i, values in enumerate(posterior.values):
        first.setdefault(tuple(sorted(values.items())), posterior.particles[i])
    return [
        Draw(
            draw=d,
            particle=posterior.particles[i],
            weight=posterior.weights[i],
            overrides=dict(posterior.values[i]),
            replications=shares[d],
            setting=first[tuple(sorted(posterior.values[i].items()))],
        )
        for d, i in enumerate(picked)
    ]


def check_draw_values(draws: list[Draw], scenario: Any, source: str) -> None:
    """Every drawn setting must make a valid scenario (checked before anything runs)."""
    seen: set[int] = set()
    for draw in draws:
        if draw.particle in seen:
            continue
        seen.add(draw.particle)
        try:
            scenario.with_overrides(draw.overrides, source=source)
        except ScenarioError as error:
            raise PosteriorError(
                source,
                [f"particle {draw.particle}: {problem}" for problem in error.problems],
            ) from None


def draws_frame(draws: list[Draw]) -> pd.DataFrame:
    """One row per draw: draw, particle, weight, setting, replications and each prior's value."""
    return pd.DataFrame(
        [
            {
                "draw": d.draw,
                "particle": d.particle,
                "weight": d.weight,
                "setting": d.setting,
                "replications": d.replications,
                **d.overrides,
            }
            for d in draws
        ]
    )
