"""The validation page (docs/validation.md), rendered from a ``validate --json`` document
and the pattern registry; never edited by hand.

    alliancesim validate --json > validation.json
    alliancesim validate --from-json validation.json --doc docs/validation.md

Each pattern's section comes from the run (statistic, interval, knock-out verdict),
from its registration (mechanism and knock-out) and from its check's docstring (what it
runs and the evidence), and, where it does not pass, from ``gaps`` (what the model
lacks).
"""

from __future__ import annotations

import inspect
import math
from typing import Any

from alliancesim.experiments.validation import load_patterns
from alliancesim.experiments.validation.gaps import FULL_RUN_ONLY, MISSING, UNTIED
from alliancesim.experiments.validation.suite import REGISTRY

INTRO = """\
The model is validated the way pattern-oriented modellers do it: it must produce,
from its own mechanisms and the initial conditions of the case presets, the
qualitative patterns the case studies report (V1-V17), and the few numbers they give.

Every pattern names the **mechanism** meant to produce it and a **knock-out**: the
same run with that mechanism switched off, through the switches a user has (a
behavioural channel, `behaviour.channels.<name> = false`, or the term that creates the
incentive). The verdicts:

- **pass**: the pattern holds with the mechanism and fails with it knocked out;
- **not tied to a mechanism**: it holds either way, so something else produces it;
- **pass, no knock-out defined**: it holds, but no knock-out shows why yet;
- **fail**: it does not hold; the section says what the model lacks.

A **deterministic** result has a zero-width interval: it does not depend on the seed,
which usually means an input fixes it. Comparisons are paired on common random
numbers; intervals are 95% intervals over the paired replications. A pattern's runs of
one scenario and contract model for all its seeds are made together, on the ensemble
engine where 16 or more seeds ask (`--engine auto`), with the same numbers as on the
agent model; each section says how many runs each engine made.
"""


def number(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.4g}"


def result_text(estimate: Any, low: Any, high: Any) -> str:
    if estimate is None or (isinstance(estimate, float) and math.isnan(estimate)):
        return "-"
    if low == high == estimate:
        return f"{number(estimate)} (deterministic)"
    return f"{number(estimate)} [{number(low)}, {number(high)}]"


def knockout_text(row: dict) -> str:
    if not row.get("knockout"):
        return "none defined"
    state = "passes" if row.get("knockout_passed") else "fails"
    return (
        f"{result_text(row['knockout_estimate'], row['knockout_low'], row['knockout_high'])}"
        f" ({state})"
    )


def table(rows: list[dict]) -> list[str]:
    lines = [
        "| Pattern | With the mechanism | Mechanism knocked out | Verdict |",
        "|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['pattern']} {row['title']} | "
            f"{result_text(row['estimate'], row['low'], row['high'])} | "
            f"{knockout_text(row)} | {row['verdict']} |"
        )
    return lines


def section(row: dict) -> list[str]:
    code = row["pattern"]
    entry = REGISTRY.get(code)
    lines = [f"### {code} {row['title']}: {row['verdict']}", ""]
    lines.append(f"- **What was run:** {row['what_was_run']}")
    lines.append(f"- **Statistic:** {row['statistic']}")
    lines.append(f"- **Result:** {result_text(row['estimate'], row['low'], row['high'])}")
    lines.append(f"- **Mechanism:** {row.get('mechanism') or 'not named yet'}")
    if row.get("knockout"):
        lines.append(f"- **Knock-out:** `{row['knockout']}`: {knockout_text(row)}")
    else:
        lines.append("- **Knock-out:** none defined yet")
    if row.get("note"):
        lines.append(f"- **Notes:** {row['note']}")
    if row.get("knockout_note"):
        lines.append(f"- **Notes of the knock-out run:** {row['knockout_note']}")
    if row.get("engine"):
        lines.append(f"- **Model runs (with the knock-out's), by engine:** {row['engine']}")
    if row["verdict"] == "fail":
        lines.append(f"- **What the model lacks:** {MISSING.get(code, 'not diagnosed yet')}")
    if row["verdict"] == "not tied to a mechanism":
        why = UNTIED.get(code) or FULL_RUN_ONLY.get(code, "not diagnosed yet")
        lines.append(f"- **What else produces it:** {why}")
    doc = inspect.getdoc(entry.check) if entry else None
    if doc:
        lines += ["", doc]
    return [*lines, ""]


def render_page(document: dict) -> str:
    """The whole page from a ``validate --json`` document."""
    load_patterns()
    rows = document["results"]
    honest = sum(r["verdict"] == "pass" for r in rows)
    held = sum(bool(r["passed"]) for r in rows)
    untied = sum(r["verdict"] == "not tied to a mechanism" for r in rows)
    deterministic = [r["pattern"] for r in rows if r.get("deterministic")]
    mode = document.get("mode", "full")
    engine = document.get("engine", "auto")
    lines = [
        "# Validation: the patterns of the case studies, as the model reproduces them",
        "",
        "<!-- Generated from `alliancesim validate --json`; do not edit by hand. -->",
        "",
        INTRO,
        "## How this page was made",
        "",
        "```",
        f"alliancesim validate{' --quick' if mode == 'quick' else ''} --json "
        f"--seed {document.get('seed', 20240601)}"
        f"{f' --engine {engine}' if engine != 'auto' else ''} > validation.json",
        "alliancesim validate --from-json validation.json --doc docs/validation.md",
        "```",
        "",
        f"A {mode} run of {len(rows)} patterns took {document.get('seconds', 0):.0f} s"
        + (
            f" (engine {engine}: model runs on the ensemble engine "
            f"{document['runs']['ensemble']:,}, on the agent model {document['runs']['agents']:,})."
            if document.get("runs")
            else "."
        ),
        "",
        f"**{honest} of {len(rows)} patterns pass** (hold with their mechanism and fail "
        f"with it knocked out). {held} hold with the mechanism; {untied} of those are not "
        "tied to a mechanism. "
        + (
            f"Deterministic (zero-width interval): {', '.join(deterministic)}."
            if deterministic
            else "No result is deterministic."
        ),
        "",
        "## The table",
        "",
        *table(rows),
        "",
        "## Pattern by pattern",
        "",
    ]
    for row in rows:
        lines += section(row)
    return "\n".join(lines).rstrip() + "\n"
