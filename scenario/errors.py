"""Bad scenario input: the error that names file, key, value and what is allowed.

The messages suggest the closest allowed name for a misspelt one ("did you mean").
"""

from __future__ import annotations

import difflib
import re


def did_you_mean(typed: str, choices: list[str] | tuple[str, ...]) -> str:
    """' (did you mean 'x'?)' for the closest of ``choices`` to a misspelt name, else ''."""
    names = [str(c) for c in choices]
    close = difflib.get_close_matches(str(typed), names, n=1, cutoff=0.6)
    if not close and len(str(typed)) >= 3:  # a shortened name: 'acute' for 'acute_trust'
        close = [n for n in names if str(typed).lower() in n.lower()]
    return f" (did you mean '{close[0]}'?)" if len(close) == 1 else ""


# a rule's message naming what was typed and what is allowed: "... 'X' ...; allowed: a, b"
_NAMED_THEN_ALLOWED = re.compile(r"'(?P<typed>[^']+)'[^']*; allowed[^:]*: (?P<choices>[^;()]+)$")


def with_suggestion(problem: str) -> str:
    """Add "did you mean" to a message that names a value and lists the allowed ones."""
    if "did you mean" in problem:
        return problem
    match = _NAMED_THEN_ALLOWED.search(problem)
    if not match:
        return problem
    choices = [c.strip() for c in match["choices"].split(",") if c.strip()]
    return problem + did_you_mean(match["typed"], choices)


class ScenarioError(Exception):
    """Bad input: names the file, the key, the value and what is allowed."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(self.message)

    @property
    def message(self) -> str:
        lines = [f"{self.source}: invalid scenario"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)
