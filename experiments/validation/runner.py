"""Run the registered patterns, quick or full, and return the validation table.

    run_patterns(quick=True, only=None, seed=20240601) -> pandas.DataFrame

One row per pattern (PatternResult fields plus ``seconds``). A pattern that
raises is reported as failing with the error in its note, so one broken check
never hides the others. ``as_json`` gives the same table as a JSON document.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable

import pandas as pd
from alliancesim.experiments.validation import load_patterns
from alliancesim.experiments.validation.suite import REGISTRY, PatternResult

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
    "note",
    "seconds",
]


def pattern_order(code: str) -> int:
    return int(code.lstrip("V")) if code.lstrip("V").isdigit() else 999


def run_patterns(
    quick: bool = True, only: Iterable[str] | None = None, seed: int = DEFAULT_SEED
) -> pd.DataFrame:
    """Run the chosen patterns (all registered ones by default)."""
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
    rows = []
    for code in codes:
        title, check = REGISTRY[code]
        start = time.perf_counter()
        try:
            result = check(quick, seed)
        except Exception as error:  # report, never hide the other patterns
            result = PatternResult(
                code,
                title,
                "error",
                "",
                float("nan"),
                float("nan"),
                float("nan"),
                False,
                f"{type(error).__name__}: {error}",
            )
        rows.append({**result.as_row(), "seconds": round(time.perf_counter() - start, 2)})
    return pd.DataFrame(rows, columns=COLUMNS)


def as_json(table: pd.DataFrame, quick: bool, seconds: float) -> str:
    """The table as JSON: mode, counts, total time and one object per pattern."""
    records = json.loads(table.to_json(orient="records"))
    return json.dumps(
        {
            "mode": "quick" if quick else "full",
            "patterns": len(records),
            "passed": int(table["passed"].sum()) if len(table) else 0,
            "seconds": round(seconds, 1),
            "results": records,
        },
        indent=2,
    )


def as_markdown(table: pd.DataFrame) -> str:
    """A compact Markdown table: pattern, statistic, estimate, interval, verdict."""
    lines = [
        "| Pattern | What was run | Statistic | Estimate | 95% interval | Verdict |",
        "|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        verdict = "pass" if row.passed else "FAIL"
        lines.append(
            f"| {row.pattern} {row.title} | {row.what_was_run} | {row.statistic} | "
            f"{row.estimate:.4g} | [{row.low:.4g}, {row.high:.4g}] | {verdict} |"
        )
    return "\n".join(lines)
