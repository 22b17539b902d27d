"""The calibration file (``CALIBRATION.toml``): which behavioural priors to infer, over
which ranges, against which targets.

A strict schema (pydantic, like scenario/schema.py): an unknown key, an unknown target,
a key that is not a behaviour prior or a range outside the field's bounds is bad input;
the error names the file, the key, the value and what is allowed.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from alliancesim.experiments.calibration.targets import TARGETS, Target
from alliancesim.scenario import PRIOR_FIELDS
from alliancesim.scenario.errors import did_you_mean
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PRIOR_PREFIX = "behaviour."


class CalibrationError(ValueError):
    """Bad calibration input: names the file, the key, the value and what is allowed."""

    def __init__(self, file: str | Path, problems: list[str]):
        self.file = str(file)
        self.problems = problems
        lines = [f"{self.file}: invalid calibration file"] + [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


Number = Annotated[float, Field(strict=False)]  # an integer is a float here (0 for 0.0)


class CalibrationSpec(_Strict):
    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")]
    description: str = ""
    seed: Annotated[int, Field(ge=0)]
    particles: Annotated[int, Field(ge=2)]
    generations: Annotated[int, Field(ge=1)]
    min_epsilon: Annotated[Number, Field(ge=0.0)] = 0.0
    min_acceptance: Annotated[Number, Field(ge=0.0, le=1.0)] = 0.01
    predictive_draws: Annotated[int, Field(ge=0)] = 50


class PriorSpec(_Strict):
    key: str
    low: Number | None = None
    high: Number | None = None


class TargetSpec(_Strict):
    name: str
    value: Number | None = None
    low: Number | None = None
    high: Number | None = None
    scale: Annotated[Number, Field(gt=0.0)]
    source: Annotated[str, Field(min_length=1)]

    @model_validator(mode="after")
    def _range(self) -> TargetSpec:
        if self.value is not None and (self.low is not None or self.high is not None):
            raise ValueError("give either value, or low and high, not both")
        if self.value is None and (self.low is None or self.high is None):
            raise ValueError("give value, or both low and high")
        if self.value is None and self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        if not self.source.strip():
            raise ValueError("source is empty; cite a seed line or write 'judgement: ...'")
        return self


class CalibrationFile(_Strict):
    calibration: CalibrationSpec
    priors: Annotated[list[PriorSpec], Field(min_length=1)]
    targets: Annotated[list[TargetSpec], Field(min_length=1)]


@dataclass(frozen=True)
class Prior:
    """A uniform prior over [low, high] on one behaviour field."""

    key: str  # dotted scenario key, e.g. "behaviour.reciprocity_weight"
    low: float
    high: float
    default: float
    source: str


@dataclass(frozen=True)
class CaseTarget:
    """A target as the calibration uses it: the case range, its distance unit, the
    simulator side (from the registry) and the citation."""

    name: str
    low: float
    high: float
    scale: float
    source: str
    target: Target

    @property
    def column(self) -> str:
        return f"target:{self.name}"

    def gap(self, statistic: float) -> float:
        """How far the statistic lies outside the case range (0 inside it)."""
        if not math.isfinite(statistic):
            return math.inf
        return max(0.0, self.low - statistic, statistic - self.high)


@dataclass(frozen=True)
class Calibration:
    file: str
    text: str  # the file as read (copied into the output folder)
    name: str
    description: str
    seed: int
    particles: int
    generations: int
    min_epsilon: float
    min_acceptance: float
    predictive_draws: int
    priors: tuple[Prior, ...]
    targets: tuple[CaseTarget, ...]

    def identity(self) -> dict[str, Any]:
        """What defines the inference (a resumed calibration must match it); the stopping
        rules (generations, min_epsilon, min_acceptance, predictive_draws) may change."""
        return {
            "name": self.name,
            "seed": self.seed,
            "particles": self.particles,
            "priors": [[p.key, p.low, p.high] for p in self.priors],
            "targets": [[t.name, t.low, t.high, t.scale] for t in self.targets],
        }


def field_bounds(key: str) -> tuple[float, float, bool, bool]:
    """The validation limits of a prior's field: (low, high, low open, high open)."""
    spec, field = PRIOR_FIELDS[key]
    low, high, low_open, high_open = -math.inf, math.inf, False, False
    for item in spec.model_fields[field].metadata:
        if getattr(item, "ge", None) is not None:
            low, low_open = float(item.ge), False
        if getattr(item, "gt", None) is not None:
            low, low_open = float(item.gt), True
        if getattr(item, "le", None) is not None:
            high, high_open = float(item.le), False
        if getattr(item, "lt", None) is not None:
            high, high_open = float(item.lt), True
    return low, high, low_open, high_open


def calibratable_priors() -> list[str]:
    """The dotted keys a calibration may infer: the float fields of the priors table
    (behaviour, and the economy's judgement numbers)."""
    return [
        key
        for key, (spec, field) in PRIOR_FIELDS.items()
        if spec.model_fields[field].annotation is float
    ]


def _bounds_text(low: float, high: float, low_open: bool, high_open: bool) -> str:
    left = "(" if low_open or math.isinf(low) else "["
    right = ")" if high_open or math.isinf(high) else "]"
    return f"{left}{low:g}, {high:g}{right}"


def _prior(spec: PriorSpec, where: str) -> tuple[Prior | None, list[str]]:
    allowed = calibratable_priors()
    if spec.key not in allowed:
        return None, [
            f"key '{where}.key': '{spec.key}' is not a prior a calibration can "
            f"infer; allowed: {', '.join(allowed)}{did_you_mean(spec.key, allowed)}"
        ]
    holder, field = PRIOR_FIELDS[spec.key]
    info = holder.model_fields[field]
    extra = info.json_schema_extra or {}
    table_low, table_high = extra["prior_range"]
    low = float(table_low if spec.low is None else spec.low)
    high = float(table_high if spec.high is None else spec.high)
    b_low, b_high, low_open, high_open = field_bounds(spec.key)
    problems = []
    bounds = _bounds_text(b_low, b_high, low_open, high_open)
    for name, value in (("low", low), ("high", high)):
        below = value < b_low or (low_open and value <= b_low)
        above = value > b_high or (high_open and value >= b_high)
        if below or above:
            problems.append(
                f"key '{where}.{name}': {value:g} is outside the bounds of {spec.key}; "
                f"allowed: {bounds}"
            )
    if not problems and low >= high:
        problems.append(f"key '{where}': low {low:g} must be below high {high:g} for {spec.key}")
    if problems:
        return None, problems
    return Prior(spec.key, low, high, float(info.default), str(extra.get("source", ""))), []


def _target(spec: TargetSpec, where: str) -> tuple[CaseTarget | None, list[str]]:
    if spec.name not in TARGETS:
        allowed = sorted(TARGETS)
        listing = ", ".join(allowed) if allowed else "(none registered)"
        return None, [
            f"key '{where}.name': unknown target '{spec.name}'; allowed: {listing}"
            f"{did_you_mean(spec.name, allowed)}"
        ]
    low = spec.value if spec.value is not None else spec.low
    high = spec.value if spec.value is not None else spec.high
    return CaseTarget(spec.name, low, high, spec.scale, spec.source, TARGETS[spec.name]), []


def _pydantic_problems(error: ValidationError, raw: dict) -> list[str]:
    problems = []
    for item in error.errors():
        parts = []
        node: Any = raw
        for part in item["loc"]:
            if isinstance(part, int) and isinstance(node, list):
                parts[-1] = f"{parts[-1]}[{part}]" if parts else str(part)
                node = node[part] if part < len(node) else None
                continue
            parts.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
        key = ".".join(parts)
        where = f"key '{key}': " if key else ""
        if item["type"] == "extra_forbidden":
            model = {
                "calibration": CalibrationSpec,
                "priors": PriorSpec,
                "targets": TargetSpec,
            }.get(str(item["loc"][0]), CalibrationFile)
            if len(item["loc"]) == 1:
                model = CalibrationFile
            allowed = list(model.model_fields)
            problems.append(
                f"{where}unknown key; allowed: {', '.join(allowed)}"
                f"{did_you_mean(str(item['loc'][-1]), allowed)}"
            )
            continue
        message = item["msg"].removeprefix("Value error, ")
        got = item.get("input")
        shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
        problems.append(f"{where}{message}{shown}")
    return problems


def parse_calibration(text: str, file: str | Path) -> Calibration:
    """The calibration in ``text`` (read from ``file``), checked; CalibrationError if bad."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CalibrationError(file, [f"not valid TOML: {error}"]) from None
    try:
        spec = CalibrationFile.model_validate(raw)
    except ValidationError as error:
        raise CalibrationError(file, _pydantic_problems(error, raw)) from None
    problems: list[str] = []
    priors, targets = [], []
    for index, prior_spec in enumerate(spec.priors):
        prior, found = _prior(prior_spec, f"priors[{index}]")
        problems += found
        if prior is not None:
            priors.append(prior)
    for index, target_spec in enumerate(spec.targets):
        case, found = _target(target_spec, f"targets[{index}]")
        problems += found
        if case is not None:
            targets.append(case)
    for label, names in (
        ("priors", [p.key for p in priors]),
        ("targets", [t.name for t in targets]),
    ):
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            problems.append(f"key '{label}': listed twice: {', '.join(repeated)}")
    if problems:
        raise CalibrationError(file, problems)
    c = spec.calibration
    return Calibration(
        file=str(file),
        text=text,
        name=c.name,
        description=c.description,
        seed=c.seed,
        particles=c.particles,
        generations=c.generations,
        min_epsilon=float(c.min_epsilon),
        min_acceptance=float(c.min_acceptance),
        predictive_draws=c.predictive_draws,
        priors=tuple(priors),
        targets=tuple(targets),
    )


def load_calibration(path: str | Path) -> Calibration:
    """Read and check a calibration file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CalibrationError(path, ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise CalibrationError(path, [f"cannot read it: {error}"]) from None
    return parse_calibration(text, path)
