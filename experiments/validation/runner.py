"""Run the registered patterns, quick or full, each as it is and under its knock-out.

    run_patterns(quick=True, only=None, seed=20240601, knockouts=True, engine="auto")
        -> pandas.DataFrame

One row per pattern: the PatternResult fields, the mechanism and its knock-out, the
knock-out run's estimate, interval and verdict, the row's overall ``verdict``
(``suite.verdict``), a ``deterministic`` flag for a zero-width interval, the
``engine`` that made the pattern's model runs (e.g. "ensemble 1,600, agents 40") and
``seconds``. ``engine``: ``auto`` runs the runs a scenario and contract model has 16 or
more seeds asking for at once on the ensemble engine, the rest on the agent model
(quick mode's 8 seeds: agents); ``agents`` or ``ensemble`` forces one. The numbers are
the same either way. A pattern that raises is reported as failing with the error in its
note, so one broken check never hides the others. ``as_json`` gives the same table
as a JSON document; ``as_text`` a table that fits a 100-column terminal.
"""

from __future__ import annotations

import json
import math
import textwrap
import time
from collections.abc import Iterable

import pandas as pd
from alliancesim.experiments.validation import load_patterns
from alliancesim.experiments.validation.common import engine_in_force, known_engine
from alliancesim.experiments.validation.suite import (
    NOT_TIED,
    PASS,
    REGISTRY,
    Pattern,
    PatternResult,
    knocked_out,
    verdict,
)
from alliancesim.model.ensemble.batches import counting

DEFAULT_SEED = 20240601
COLUMNS = [
    "pattern",
    "title",
    "what_was_run",
    "statistic",
    "estimate",
    "low",
    "high",
    "passed",
    "deterministic",
    "mechanism",
    "knockout",
    "knockout_estimate",
    "knockout_low",
    "knockout_high",
    "knockout_passed",
    "verdict",
    "note",
    "knockout_note",
    "engine",
    "seconds",
]


def pattern_order(code: str) -> int:
    return int(code.lstrip("V")) if code.lstrip("V").isdigit() else 999


def checked(entry: Pattern, quick: bool, seed: int) -> PatternResult:
    """The pattern's result, or a failing row that carries the error."""
    try:
        return entry.check(quick, seed)
    except Exception as error:  # report, never hide the other patterns
        nan = float("nan")
        return PatternResult(
            entry.code, entry.title, "error", "", nan, nan, nan, False,
            f"{type(error).__name__}: {error}",
        )  # fmt: skip


def engines_text(runs: dict[str, int]) -> str:
    """The model runs a pattern made, by engine: "ensemble 1,600, agents 40"."""
    made = [f"{engine} {runs[engine]:,}" for engine in ("ensemble", "agents") if runs.get(engine)]
    return ", ".join(made) or "none"


def run_pattern(
    entry: Pattern, quick: bool, seed: int, knockouts: bool = True, engine: str = "auto"
) -> dict:
    """One row: the pattern as it is, then (if it has one) under its knock-out, their
    model runs made on ``engine`` and counted by the engine that made them."""
    start = time.perf_counter()
    with engine_in_force(engine), counting() as runs:
        row = checked_row(entry, quick, seed, knockouts)
    row["engine"] = engines_text(runs)
    row["runs"] = dict(runs)
    row["seconds"] = round(time.perf_counter() - start, 2)
    return row


def checked_row(entry: Pattern, quick: bool, seed: int, knockouts: bool) -> dict:
    result = checked(entry, quick, seed)
    row = {
        **result.as_row(),
        "mechanism": entry.mechanism,
        "knockout": ", ".join(f"{k} = {v}" for k, v in entry.knockout.items()),
        "knockout_estimate": None,
        "knockout_low": None,
        "knockout_high": None,
        "knockout_passed": None,
        "knockout_note": "",
    }
    if knockouts and entry.knockout:
        with knocked_out(entry.knockout):
            off = checked(entry, quick, seed)
        row.update(
            knockout_estimate=off.estimate,
            knockout_low=off.low,
            knockout_high=off.high,
            knockout_passed=off.passed,
            knockout_note=off.note,
        )
    row["verdict"] = verdict(result.passed, row["knockout_passed"])
    return row


def run_patterns(
    quick: bool = True,
    only: Iterable[str] | None = None,
    seed: int = DEFAULT_SEED,
    knockouts: bool = True,
    engine: str = "auto",
) -> pd.DataFrame:
    """Run the chosen patterns (all registered ones by default) on ``engine``."""
    known_engine(engine)  # before any pattern runs (a pattern's error is caught in its row)
    load_patterns()
    codes = sorted(REGISTRY, key=pattern_order)
    if only:
        wanted = {c.strip().upper() for c in only if c.strip()}
        unknown = wanted - set(REGISTRY)
        if unknown:
            raise KeyError(
                f"unknown pattern(s) {', '.join(sorted(unknown))}; registered: {', '.join(codes)}"
            )
        codes = [c for c in codes if c in wanted]
    rows = [run_pattern(REGISTRY[code], quick, seed, knockouts, engine) for code in codes]
    table = pd.DataFrame(rows, columns=COLUMNS)
    # the model runs of the whole table by engine (the ``engine`` column's, added up)
    table.attrs["runs"] = {e: sum(row["runs"][e] for row in rows) for e in ("ensemble", "agents")}
    return table


def counts(table: pd.DataFrame) -> dict[str, int]:
    """Patterns by verdict; ``honest`` counts the passes that fail under their knock-out."""
    verdicts = table["verdict"].value_counts().to_dict() if len(table) else {}
    return {
        "patterns": len(table),
        "passed": int(table["passed"].sum()) if len(table) else 0,
        "honest": int(verdicts.get(PASS, 0)),
        "not_tied": int(verdicts.get(NOT_TIED, 0)),
        "deterministic": int(table["deterministic"].sum()) if len(table) else 0,
    }


def as_json(table: pd.DataFrame, quick: bool, seconds: float) -> str:
    """The table as JSON: mode, counts, total time, the model runs by engine (``runs``,
    from ``run_patterns``) and one object per pattern."""
    records = json.loads(table.to_json(orient="records"))
    return json.dumps(
        {
            "mode": "quick" if quick else "full",
            **counts(table),
            "seconds": round(seconds, 1),
            **({"runs": table.attrs["runs"]} if "runs" in table.attrs else {}),
            "results": records,
        },
        indent=2,
    )


def interval(estimate: float | None, low: float | None, high: float | None) -> str:
    if estimate is None or (isinstance(estimate, float) and math.isnan(estimate)):
        return "-"
    if low == high == estimate:
        return f"{estimate:.3g} (deterministic)"
    return f"{estimate:.3g} [{low:.3g}, {high:.3g}]"


def clipped(text: str, width: int, indent: int = 0) -> str:
    return " " * indent + textwrap.shorten(text, width - indent, placeholder="...")


def wrapped(text: str, width: int, indent: int = 5) -> list[str]:
    return textwrap.wrap(
        text, width, initial_indent=" " * indent, subsequent_indent=" " * (indent + 2)
    )


def as_text(table: pd.DataFrame, width: int = 100) -> str:
    """A plain table for a terminal of ``width`` columns: one block a pattern."""
    lines = []
    for row in table.itertuples():
        lines.append(clipped(f"{row.pattern:<4} {row.verdict.upper()}: {row.title}", width))
        lines.append(
            clipped(f"with mechanism: {interval(row.estimate, row.low, row.high)}", width, 5)
        )
        if row.knockout:
            ko = interval(row.knockout_estimate, row.knockout_low, row.knockout_high)
            state = "passes" if row.knockout_passed else "fails"
            lines.append(clipped(f"knocked out:    {ko} ({state})", width, 5))
            lines.extend(wrapped(f"knock-out: {row.knockout}", width))
        lines.extend(wrapped(f"statistic: {row.statistic}", width))
        lines.extend(wrapped(f"model runs: {row.engine}", width))
    return "\n".join(lines)


def as_markdown(table: pd.DataFrame) -> str:
    """A compact Markdown table: pattern, statistic, estimate with interval, knock-out,
    verdict."""
    lines = [
        "| Pattern | Statistic | With mechanism | Mechanism knocked out | Verdict |",
        "|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        knocked = (
            f"{interval(row.knockout_estimate, row.knockout_low, row.knockout_high)} "
            f"({'passes' if row.knockout_passed else 'fails'})"
            if row.knockout
            else "none defined"
        )
        lines.append(
            f"| {row.pattern} {row.title} | {row.statistic} | "
            f"{interval(row.estimate, row.low, row.high)} | {knocked} | {row.verdict} |"
        )
    return "\n".join(lines)
