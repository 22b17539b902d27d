"""Experiment files: a named, declarative sweep over a scenario (after NetLogo's BehaviorSpace).

An experiment file is TOML::

    [experiment]
    name = "trust-and-withhold"
    scenario = "default"            # a preset name, or a path relative to this file
    models = ["status_quo", "alliance"]
    replications = 20
    seed = 20240601
    metrics = ["savings_pence", "outcome_true", "mean_trust"]
    ledger = "sample"               # full | sample | none

    [parameters]                    # full factorial over every list
    "trust.initial" = [0.3, 0.6, 0.9]
    "economy.demand_trend" = {min = 0.0, max = 0.06, steps = 4}
    "behaviour.gaming_max" = 0.1    # a single value: fixed for every point

or, instead of factorial lists, a sampled design::

    [sampling]
    method = "sobol"                # latin_hypercube | sobol | morris
    n = 64                          # LHS: points; Sobol: base sample (power of 2); Morris: trajectories
    [sampling.bounds]
    "trust.initial" = [0.3, 0.9]

Each *point* is a dict of dotted-key overrides that
``Scenario.with_overrides`` applies. A parameter whose value is itself a list
(``withhold_by_year``) is swept by giving a list of lists. Unknown keys are
rejected; every error names the file, the key, the value and what is allowed.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SAMPLING_METHODS = ("latin_hypercube", "sobol", "morris")
LEDGER_RULES = ("full", "sample", "none")


class ExperimentError(ValueError):
    """Bad input: the file, the key, the value, and what is allowed."""

    def __init__(
        self,
        file: str,
        key: str,
        value: Any,
        allowed: str,
        problem: str = "",
        more: list[str] | None = None,
    ):
        self.file = str(file)
        self.key = key
        self.value = value
        self.allowed = allowed
        self.problem = problem
        self.more = more or []
        super().__init__(self.message)

    @property
    def message(self) -> str:
        shown = repr(self.value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        problem = f": {self.problem}" if self.problem else ""
        lines = [f"{self.file}: key '{self.key}' = {shown}{problem}; allowed: {self.allowed}"]
        lines += [f"  also: {line}" for line in self.more]
        return "\n".join(lines)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExperimentSection(_Strict):
    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    scenario: Annotated[str, Field(min_length=1)] = "default"
    models: list[str] | None = None
    replications: Annotated[int, Field(ge=1, le=1_000_000, strict=True)]
    seed: Annotated[int, Field(ge=0, strict=True)]
    metrics: list[str] = Field(default_factory=list)
    ledger: Literal["full", "sample", "none"] = "sample"


class RangeSpec(_Strict):
    """``{min, max, steps}`` (evenly spaced, both ends included) or ``{min, max, step}``."""

    min: float
    max: float
    steps: Annotated[int, Field(ge=2, le=10_000, strict=True)] | None = None
    step: Annotated[float, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _one_spacing(self) -> RangeSpec:
        if (self.steps is None) == (self.step is None):
            raise ValueError("give exactly one of 'steps' (a count >= 2) or 'step' (a spacing > 0)")
        if self.max < self.min:
            raise ValueError(f"max {self.max} is below min {self.min}")
        return self

    def values(self) -> list[float | int]:
        if self.steps is not None:
            raw = np.linspace(self.min, self.max, self.steps)
        else:
            count = int(math.floor((self.max - self.min) / self.step + 1e-9)) + 1
            raw = self.min + self.step * np.arange(count)
        values = [round(float(v), 12) for v in raw]
        if all(float(v).is_integer() for v in (self.min, self.max, *values)) and (
            self.step is None or float(self.step).is_integer()
        ):
            return [int(v) for v in values]
        return values


class SamplingSpec(_Strict):
    method: Literal["latin_hypercube", "sobol", "morris"]
    n: Annotated[int, Field(ge=1, le=1_000_000, strict=True)]
    bounds: dict[str, tuple[float, float]]
    seed: Annotated[int, Field(ge=0, strict=True)] | None = None
    levels: Annotated[int, Field(ge=2, le=100, strict=True)] = 4
    second_order: bool = False
    integers: list[str] = Field(default_factory=list)

    @field_validator("bounds")
    @classmethod
    def _bounds_ordered(cls, bounds: dict[str, tuple[float, float]]) -> dict:
        if not bounds:
            raise ValueError("give at least one parameter with [low, high]")
        for key, (low, high) in bounds.items():
            if not high > low:
                raise ValueError(f"bounds of '{key}' must have low < high (got [{low}, {high}])")
        return bounds

    @model_validator(mode="after")
    def _checks(self) -> SamplingSpec:
        if self.method == "sobol" and self.n & (self.n - 1):
            raise ValueError(f"Sobol needs n a power of 2 (got {self.n}; try {_next_pow2(self.n)})")
        unknown = [k for k in self.integers if k not in self.bounds]
        if unknown:
            raise ValueError(f"integers lists {unknown}, which are not in bounds")
        return self


def _next_pow2(n: int) -> int:
    return 1 << (n - 1).bit_length()


class Experiment(_Strict):
    experiment: ExperimentSection
    parameters: dict[str, Any] = Field(default_factory=dict)
    sampling: SamplingSpec | None = None
    source: str = Field(default="<experiment>", exclude=True)

    @field_validator("parameters")
    @classmethod
    def _parameters_well_formed(cls, parameters: dict[str, Any]) -> dict[str, Any]:
        for key, value in parameters.items():
            if isinstance(value, dict):
                try:
                    RangeSpec.model_validate(value)
                except ValidationError as error:
                    raise ValueError(
                        f"'{key}': {error.errors()[0]['msg'].removeprefix('Value error, ')}"
                        " (a range is {min, max, steps} or {min, max, step})"
                    ) from None
            elif isinstance(value, list) and not value:
                raise ValueError(f"'{key}' has an empty list of values")
        return parameters

    @model_validator(mode="after")
    def _sampling_excludes_lists(self) -> Experiment:
        if self.sampling is not None:
            swept = [
                k
                for k, v in self.parameters.items()
                if isinstance(v, dict | list) and len(_values_of(v)) > 1
            ]
            if swept:
                raise ValueError(
                    f"with [sampling], [parameters] may only fix single values; {swept} are lists"
                )
            both = [k for k in self.sampling.bounds if k in self.parameters]
            if both:
                raise ValueError(f"{both} are both fixed in [parameters] and sampled")
        return self

    # ------------------------------------------------------------------ derived

    @property
    def name(self) -> str:
        return self.experiment.name

    def scenario_ref(self) -> str:
        """The scenario as ``load_scenario`` wants it: a preset name or a resolved path."""
        ref = self.experiment.scenario
        if ref.endswith(".toml") or "/" in ref or "\\" in ref:
            path = Path(ref)
            if not path.is_absolute() and self.source not in ("", "<experiment>"):
                path = Path(self.source).parent / path
            return str(path)
        return ref

    def swept_keys(self) -> list[str]:
        if self.sampling is not None:
            return list(self.sampling.bounds)
        return [k for k, v in self.parameters.items() if len(_values_of(v)) > 1]

    def count_points(self) -> int:
        if self.sampling is not None:
            d = len(self.sampling.bounds)
            n = self.sampling.n
            if self.sampling.method == "sobol":
                return n * (2 * d + 2 if self.sampling.second_order else d + 2)
            if self.sampling.method == "morris":
                return n * (d + 1)
            return n
        return (
            math.prod(len(_values_of(v)) for v in self.parameters.values())
            if self.parameters
            else 1
        )

    def count_runs(self) -> int:
        return self.count_points() * self.experiment.replications

    def record(self) -> dict[str, Any]:
        return {"source": self.source, **self.model_dump(mode="json")}


def _values_of(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return RangeSpec.model_validate(value).values()
    if isinstance(value, list):
        return value
    return [value]


def salib_problem(experiment: Experiment) -> dict[str, Any]:
    """The SALib problem dictionary of a sampled experiment."""
    if experiment.sampling is None:
        raise ExperimentError(experiment.source, "sampling", None, "a [sampling] table")
    bounds = experiment.sampling.bounds
    return {
        "num_vars": len(bounds),
        "names": list(bounds),
        "bounds": [list(map(float, b)) for b in bounds.values()],
    }


def sample_matrix(experiment: Experiment) -> np.ndarray:
    """The sampled design (rows = points), deterministic in the experiment's seed."""
    spec = experiment.sampling
    if spec is None:
        raise ExperimentError(experiment.source, "sampling", None, "a [sampling] table")
    problem = salib_problem(experiment)
    seed = spec.seed if spec.seed is not None else experiment.experiment.seed
    if spec.method == "sobol":
        from SALib.sample import sobol

        x = sobol.sample(problem, spec.n, calc_second_order=spec.second_order, seed=seed)
    elif spec.method == "morris":
        from SALib.sample import morris

        x = morris.sample(problem, spec.n, num_levels=spec.levels, seed=seed)
    else:
        from SALib.sample import latin

        x = latin.sample(problem, spec.n, seed=seed)
    for key in spec.integers:
        j = problem["names"].index(key)
        x[:, j] = np.round(x[:, j])
    return x


def expand(experiment: Experiment) -> list[dict[str, Any]]:
    """Every point of the experiment, a dict of dotted-key overrides, in a fixed order.

    Factorial points vary the last parameter fastest (file order); sampled points
    follow the rows of :func:`sample_matrix`, so ``point_id`` indexes the SALib
    sample directly.
    """
    fixed = {k: v for k, v in experiment.parameters.items() if len(_values_of(v)) == 1}
    fixed = {k: _values_of(v)[0] for k, v in fixed.items()}
    if experiment.sampling is not None:
        names = list(experiment.sampling.bounds)
        integers = set(experiment.sampling.integers)
        points = []
        for row in sample_matrix(experiment):
            point = dict(fixed)
            for name, value in zip(names, row, strict=True):
                point[name] = int(value) if name in integers else float(value)
            points.append(point)
        return points
    swept = {k: _values_of(v) for k, v in experiment.parameters.items() if len(_values_of(v)) > 1}
    if not swept:
        return [dict(fixed)]
    keys = list(swept)
    return [
        {**fixed, **dict(zip(keys, combo, strict=True))}
        for combo in itertools.product(*(swept[k] for k in keys))
    ]


# ------------------------------------------------------------------ loading and errors

_SECTION_MODELS: dict[str, type[BaseModel]] = {
    "": Experiment,
    "experiment": ExperimentSection,
    "sampling": SamplingSpec,
}


def _allowed_for(item: dict[str, Any]) -> str:
    loc = [str(p) for p in item["loc"]]
    kind = item["type"]
    if kind == "extra_forbidden":
        parent = ".".join(loc[:-1])
        model = _SECTION_MODELS.get(parent)
        if model is not None:
            return ", ".join(n for n in model.model_fields if n != "source")
        return "no other keys here"
    if kind == "literal_error":
        return str(item.get("ctx", {}).get("expected", ""))
    if kind == "missing":
        return "a value (this key is required)"
    ctx = item.get("ctx") or {}
    for bound, word in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        if bound in ctx:
            return f"a number {word} {ctx[bound]}"
    if kind.startswith("int"):
        return "a whole number"
    if kind.startswith("float"):
        return "a number"
    if kind.startswith("string"):
        return "a string"
    if kind.startswith("list"):
        return "a list"
    return "see docs/experiments.md"


def _error_from(error: ValidationError, source: str) -> ExperimentError:
    items = error.errors()
    rendered = []
    for item in items:
        loc = [str(p) for p in item["loc"]]
        key = ".".join(loc) if loc else "(file)"
        problem = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            problem = "unknown key"
        value = item.get("input") if item["type"] != "missing" else None
        rendered.append((key, value, _allowed_for(item), problem))
    key, value, allowed, problem = rendered[0]
    more = [f"key '{k}' = {v!r}: {p}; allowed: {a}" for k, v, a, p in rendered[1:]]
    return ExperimentError(source, key, value, allowed, problem, more)


def parse_experiment(raw: dict[str, Any], source: str = "<experiment>") -> Experiment:
    """Validate an experiment given as a dict (the parsed TOML)."""
    try:
        experiment = Experiment.model_validate(raw)
    except ValidationError as error:
        raise _error_from(error, source) from None
    experiment.source = source
    return experiment


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file."""
    path = Path(path)
    if not path.is_file():
        raise ExperimentError(
            str(path),
            "EXPERIMENT",
            str(path),
            "an existing experiment .toml file",
            "file not found",
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ExperimentError(
            str(path), "(file)", None, "valid TOML", f"malformed TOML: {error}"
        ) from None
    except UnicodeDecodeError:
        raise ExperimentError(str(path), "(file)", None, "UTF-8 text", "not a text file") from None
    return parse_experiment(raw, source=str(path))


def load_experiment_scenario(experiment: Experiment) -> Any:
    """Load the experiment's scenario and check its models and every point against it.

    Raises the scenario's ``ScenarioError`` (naming the point) or
    :class:`ExperimentError`; nothing is written.
    """
    from alliancesim.scenario import load_scenario

    scenario = load_scenario(experiment.scenario_ref())
    known = list(getattr(scenario, "contract_models", {}) or [])
    for name in experiment.experiment.models or []:
        if known and name not in known:
            raise ExperimentError(
                experiment.source,
                "experiment.models",
                name,
                ", ".join(known),
                "unknown contract model",
            )
    sampling = experiment.sampling
    if sampling is not None:
        # both ends of every sampled range must be valid values, whether or not the
        # sample happens to reach them
        fixed = dict(experiment.parameters)
        for key, ends in sampling.bounds.items():
            for end in ends:
                value = round(end) if key in sampling.integers else end
                scenario.with_overrides(
                    {**fixed, key: value},
                    source=f"{experiment.source} sampling.bounds '{key}' = {list(ends)}",
                )
    seen: set[str] = set()
    for point_id, point in enumerate(expand(experiment)):
        signature = repr(sorted(point.items()))
        if signature in seen:
            continue
        seen.add(signature)
        # raises ScenarioError naming the point and the key
        scenario.with_overrides(point, source=f"{experiment.source} point {point_id} {point}")
    return scenario
