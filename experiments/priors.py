"""The priors table, built from the scenario schema (``BehaviourSpec``, and the economy
numbers no case gives in ``EconomySpec``).

Every number that drives effort, shift, trust or gaming is a ``behaviour`` field with a
default, the plausible range a calibration will search, and its source; so are the
economy's judgement numbers declared with ``prior(...)``. This module
writes that table as markdown; ``docs/priors.md`` is its output and a test checks it is
current::

    python -m alliancesim.experiments.priors --write docs/priors.md
"""

from __future__ import annotations

import argparse
from pathlib import Path

from alliancesim.scenario import PRIOR_FIELDS

HEADER = """# Priors: behaviour, and the economy's judgement numbers

Generated from the scenario schema (`BehaviourSpec` and `EconomySpec` in
`scenario/schema.py`) by
`python -m alliancesim.experiments.priors --write docs/priors.md`; do not edit by hand.

Every number that drives effort, shift, trust or gaming is a field of the scenario's
`[behaviour]` table, so a scenario, a sensitivity analysis or a calibration can vary it
(`--set behaviour.<key>=<value>`); the economy's numbers that no case gives are listed
too, under their `economy.` key. "Range" is the plausible range a calibration will
search; "source" cites a seed or anchor where one gives the number or its direction, and
says "judgement" where none does. How each enters the model: docs/odd.md 7.2-7.4.

| key | default | range | source |
|---|---|---|---|
"""


def rows() -> list[tuple[str, str, str, str]]:
    """(key, default, range, source) for every prior, in schema order: behaviour fields by
    their name, economy fields by their dotted key."""
    result = []
    for key, (spec, name) in PRIOR_FIELDS.items():
        info = spec.model_fields[name]
        extra = info.json_schema_extra or {}
        low, high = extra["prior_range"]
        shown = key.removeprefix("behaviour.")
        result.append(
            (shown, number(info.default), f"{number(low)} to {number(high)}", extra["source"])
        )
    return result


def number(value: float) -> str:
    """A default or bound as written in a scenario file (integers with ``_`` separators)."""
    return f"{value:_}" if isinstance(value, int) else f"{value:g}"


def markdown() -> str:
    lines = [
        f"| `{key}` | {default} | {span} | {source.replace('|', '/')} |"
        for key, default, span, source in rows()
    ]
    return HEADER + "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="write the table to this file")
    args = parser.parse_args()
    if args.write:
        args.write.write_text(markdown(), encoding="utf-8")
    else:
        print(markdown(), end="")


if __name__ == "__main__":
    main()
