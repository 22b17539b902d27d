"""Reading scenario files and presets: TOML in, a validated ``Scenario`` out.

``--set key=value`` overrides are applied to the raw TOML before validation, so an
override is checked exactly like a value in the file.
"""

from __future__ import annotations

import copy
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from alliancesim.scenario.errors import ScenarioError, did_you_mean, with_suggestion
from alliancesim.scenario.schema import Scenario
from pydantic import BaseModel, ValidationError


def set_dotted(raw: dict, key: str, value: Any, source: str) -> None:
    """Set ``value`` at a dotted path in nested dicts (lists of tables by ``name``)."""
    parts = key.split(".")
    node: Any = raw
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            matches = [item for item in node if isinstance(item, dict) and item.get("name") == part]
            if not matches:
                names = [str(item.get("name")) for item in node if isinstance(item, dict)]
                raise ScenarioError(
                    source,
                    [
                        f"key '{key}': no entry '{part}' at '{where}'; "
                        f"allowed: {', '.join(names)}{did_you_mean(part, names)}"
                    ],
                )
            if last:
                raise ScenarioError(source, [f"key '{key}': cannot replace a whole entry"])
            node = matches[0]
            continue
        if not isinstance(node, dict):
            raise ScenarioError(source, [f"key '{key}': '{where}' is not a table"])
        if part not in node:
            allowed = sorted(node)
            raise ScenarioError(
                source,
                [
                    f"key '{key}': unknown key '{part}'; "
                    f"allowed: {', '.join(allowed)}{did_you_mean(part, allowed)}"
                ],
            )
        if last:
            node[part] = value
        else:
            if node[part] is None:
                node[part] = {}
            node = node[part]


def typed_key(loc: tuple, raw: Any = None) -> str:
    """A pydantic location as the user writes the key: an entry of a list of named
    tables by its name (``organisations.acute.reserves_pence``, as ``--set`` takes it,
    not ``organisations.2.reserves_pence``); other list items by position."""
    parts, node = [], raw
    for part in loc:
        if isinstance(part, int) and isinstance(node, list | tuple):
            item = node[part] if 0 <= part < len(node) else None
            name = item.get("name") if isinstance(item, dict) else None
            parts.append(str(name) if isinstance(name, str) and name else str(part))
            node = item
            continue
        parts.append(str(part))
        node = node.get(part) if isinstance(node, dict) else None
    return ".".join(parts)


def format_validation_error(error: ValidationError, raw: Any = None) -> list[str]:
    """Each pydantic error as 'key 'a.b': message (got value)', keys as the user typed
    them (``raw`` is the data validated, to name list entries)."""
    problems = []
    for item in error.errors():
        loc = typed_key(item["loc"], raw)
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        got = item.get("input")
        shown = repr(got)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        where = f"key '{loc}': " if loc else ""
        if item["type"] == "extra_forbidden":
            allowed = allowed_keys_at(item["loc"][:-1])
            listing = f"; allowed: {', '.join(allowed)}" if allowed else ""
            hint = did_you_mean(str(item["loc"][-1]), allowed) if allowed else ""
            problems.append(f"{where}unknown key{listing}{hint}")
        elif isinstance(got, dict | list):
            problems.append(with_suggestion(f"{where}{message}"))
        else:
            expected = re.findall(r"'([^']*)'", str(item.get("ctx", {}).get("expected", "")))
            hint = did_you_mean(str(got), expected) if expected else ""
            problems.append(f"{where}{message} (got {shown}){hint}")
    return problems


def allowed_keys_at(loc: tuple) -> list[str]:
    """The keys a table at ``loc`` in a scenario file may hold (for error messages)."""
    current: Any = Scenario
    for part in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) or next(
            (f for f in current.model_fields.values() if f.alias == part), None
        )
        if field is None:
            # a key of a free-form table (e.g. a contract model's name): keep the value type
            continue
        current = inner_model(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def inner_model(annotation: Any) -> Any:
    """The pydantic model inside ``X | None``, ``tuple[X, ...]`` or ``dict[str, X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in reversed(getattr(annotation, "__args__", ())):
        found = inner_model(arg)
        if found is not None:
            return found
    return None


def validate_scenario(raw: dict, source: str) -> Scenario:
    try:
        return Scenario.model_validate(raw)
    except ValidationError as error:
        raise ScenarioError(source, format_validation_error(error, raw)) from None


def preset_names() -> list[str]:
    folder = resources.files("alliancesim.scenario") / "presets"
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def resolve_scenario_path(name_or_path: str | Path) -> tuple[str, str]:
    """(source label, text) for a preset name or a file path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ScenarioError(str(path), ["file not found"])
        return str(path), path.read_text(encoding="utf-8")
    name = str(name_or_path)
    if name in preset_names():
        resource = resources.files("alliancesim.scenario") / "presets" / f"{name}.toml"
        return f"preset '{name}'", resource.read_text(encoding="utf-8")
    presets = preset_names()
    raise ScenarioError(
        name,
        [f"no such file or preset; presets: {', '.join(presets)}{did_you_mean(name, presets)}"],
    )


def load_scenario(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load and validate a scenario from a path or a preset name, then apply overrides."""
    source, text = resolve_scenario_path(name_or_path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(source, [f"malformed TOML: {error}"]) from None
    scenario = validate_scenario(copy.deepcopy(raw), source)
    if overrides:
        scenario = scenario.with_overrides(overrides, source=f"{source} with --set")
    return scenario


def load_preset(name: str, **overrides: Any) -> Scenario:
    """Load a bundled preset; keyword overrides use ``__`` for dots (``trust__initial=0.3``)."""
    return load_scenario(name, {k.replace("__", "."): v for k, v in overrides.items()})


def parse_set_options(options: list[str], source: str = "--set") -> dict[str, Any]:
    """Parse ``key=value`` pairs; values are read as TOML (numbers, booleans, lists, strings)."""
    overrides: dict[str, Any] = {}
    for option in options:
        if "=" not in option:
            raise ScenarioError(source, [f"'{option}' is not key=value"])
        key, text = option.split("=", 1)
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            value = text
        overrides[key.strip()] = value
    return overrides
