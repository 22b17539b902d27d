"""The scenario and experiment file reference, generated from the pydantic validators.

``python -m alliancesim.app.reference --write docs/user-guide.md`` rewrites the
section between ``<!-- reference:start -->`` and ``<!-- reference:end -->``;
``tests/docs/test_user_guide_reference.py`` fails if any field of the
validators is missing from that section, or if it lists a key that no longer
exists, so the guide cannot drift from the code.
"""

from __future__ import annotations

import argparse
import enum
import functools
import inspect
import re
import types
import typing
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel
from pydantic.fields import FieldInfo

START, END = "<!-- reference:start -->", "<!-- reference:end -->"


def roots() -> list[tuple[str, type[BaseModel], str]]:
    """(title, model, key prefix) of each file format documented."""
    from alliancesim.scenario import Scenario

    out: list[tuple[str, type[BaseModel], str]] = [("Scenario file", Scenario, "")]
    try:
        from alliancesim.experiments.experiment import Experiment
    except ImportError:  # pragma: no cover - experiments layer absent
        return out
    out.append(("Experiment file", Experiment, "experiment:"))
    return out


def _unwrap(annotation) -> tuple[list[type[BaseModel]], str]:
    """Nested models inside an annotation, and the suffix their key takes ([] or .<key>)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _unwrap(args[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation], ""
    if origin in (tuple, list, set, frozenset):
        models: list[type[BaseModel]] = []
        for arg in args:
            if arg is Ellipsis:
                continue
            found, _ = _unwrap(arg)
            models += found
        return models, "[]"
    if origin is dict:
        found, _ = _unwrap(args[1]) if len(args) == 2 else ([], "")
        return found, ".<name>"
    if origin in (typing.Union, types.UnionType):
        models, suffix = [], ""
        for arg in args:
            found, s = _unwrap(arg)
            models += found
            suffix = suffix or s
        return models, suffix
    return [], ""


def _type_name(annotation) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if annotation is type(None):
        return "none"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " \\| ".join(f'"{m.value}"' for m in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    if origin is typing.Literal:
        return " \\| ".join(repr(a).replace("'", '"') for a in args)
    if origin in (typing.Union, types.UnionType):
        return " \\| ".join(_type_name(a) for a in args)
    if origin in (tuple, list):
        inner = [a for a in args if a is not Ellipsis]
        return f"list of {_type_name(inner[0])}" if inner else "list"
    if origin is dict:
        return f"table of {_type_name(args[1])}" if len(args) == 2 else "table"
    if isinstance(annotation, type):
        return {"int": "integer", "float": "number", "str": "text", "bool": "true/false"}.get(
            annotation.__name__, annotation.__name__
        )
    return str(annotation)


def _constraints(info: FieldInfo) -> str:
    parts = []
    for meta in info.metadata:
        for name, symbol in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            value = getattr(meta, name, None)
            if value is not None:
                parts.append(f"{symbol} {value}")
    return ", ".join(parts)


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value = info.default_factory() if info.default_factory is not None else info.default
    if isinstance(value, BaseModel):
        return "(table defaults)"
    if isinstance(value, enum.Enum):
        return f'"{value.value}"'
    if isinstance(value, str):
        return f'"{value}"'
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int) and abs(value) >= 10_000:
        return f"{value:_}"
    return repr(value).replace("'", '"')


def walk(
    model: type[BaseModel], prefix: str = "", seen: tuple[type, ...] = ()
) -> Iterator[tuple[str, type[BaseModel], str, FieldInfo]]:
    """(table key, model, field key, field) for every field, depth first."""
    for name, info in model.model_fields.items():
        key = info.alias or name
        yield prefix, model, f"{prefix}{key}", info
        nested, suffix = _unwrap(info.annotation)
        for sub in nested:
            if sub in seen or sub is model:
                continue
            yield from walk(sub, f"{prefix}{key}{suffix}.", (*seen, model))


def field_keys() -> list[str]:
    """Every documented key, e.g. ``economy.service_lines[].unit_cost_pence``."""
    return [key for _, model, _ in roots() for _, _, key, _ in walk(model)]


@functools.cache
def _comments(model: type[BaseModel]) -> dict[str, str]:
    """The trailing ``# comment`` of each field line in the class source."""
    try:
        source = inspect.getsource(model)
    except (OSError, TypeError):
        return {}
    found = {}
    for line in source.splitlines():
        match = re.match(r"\s+(\w+)\s*:[^#]*#\s*(.+)$", line)
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found


def _row(model: type[BaseModel], name: str, key: str, info: FieldInfo) -> str:
    doc = (info.description or _comments(model).get(name, "")).replace("|", "\\|")
    return (
        f"| `{key}` | {_type_name(info.annotation)} | {_default(info)} | "
        f"{_constraints(info)} | {doc} |"
    )


def markdown() -> str:
    lines = [
        START,
        "",
        "_Generated from the validators by `python -m alliancesim.app.reference --write "
        "docs/user-guide.md`; a test fails if it drifts. `[]` marks a list of tables "
        "(`[[...]]` in TOML), `<name>` a table keyed by a name of your choosing._",
        "",
    ]
    for title, root, label in roots():
        lines += [f"### {title} ({root.__name__})", ""]
        groups: dict[str, list[tuple[type[BaseModel], str, FieldInfo]]] = {}
        for table, model, key, info in walk(root):
            groups.setdefault(table, []).append((model, key, info))
        for table, rows in groups.items():
            model = rows[0][0]
            heading = f"{label}[{table.rstrip('.')}]" if table else f"{label}top level"
            summary = (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""
            lines += [f"#### `{heading}` ({model.__name__})", ""]
            if summary:
                lines += [summary, ""]
            lines += ["| key | type | default | limits | notes |", "|---|---|---|---|---|"]
            lines += [_row(m, _field_name(m, key), key, info) for m, key, info in rows]
            lines.append("")
    lines.append(END)
    return "\n".join(lines)


def _field_name(model: type[BaseModel], key: str) -> str:
    last = key.rsplit(".", 1)[-1]
    for name, info in model.model_fields.items():
        if (info.alias or name) == last:
            return name
    return last


def reference_section(text: str) -> str:
    start, end = text.index(START), text.index(END)
    return text[start : end + len(END)]


def write(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    new = text.replace(reference_section(text), markdown())
    path.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="rewrite the reference section of this file")
    args = parser.parse_args()
    if args.write:
        write(args.write)
    else:
        print(markdown())


if __name__ == "__main__":
    main()
