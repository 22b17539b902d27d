"""The negotiation package keeps its import path: every name the rest of the repository
imports from ``alliancesim.agents.negotiation`` is still offered there (some callers import
lazily, inside a function, so a missing name would surface only in a negotiated run), and
each module of the package says what job it does."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import alliancesim.agents.negotiation as negotiation
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "agents" / "negotiation"
FOLDERS = ("agents", "alliancesim", "app", "benchmarks", "experiments", "model", "tests")


def imported_names(path: Path, module: str = "alliancesim.agents.negotiation") -> set[str]:
    """Names a file imports with ``from <module> import ...`` (anywhere in the file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == module
        for alias in node.names
    }


def callers() -> dict[str, set[str]]:
    found = {}
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            names = imported_names(path)
            if names:
                found[str(path.relative_to(ROOT))] = names
    return found


def test_every_name_imported_from_the_package_is_offered():
    found = callers()
    assert "model/simulation.py" in found  # its imports are inside methods
    missing = {
        where: sorted(n for n in names if not hasattr(negotiation, n))
        for where, names in found.items()
    }
    assert not {k: v for k, v in missing.items() if v}


def test_the_check_reads_imports_inside_functions(tmp_path):
    source = tmp_path / "caller.py"
    source.write_text(
        "def f():\n    from alliancesim.agents.negotiation import negotiate, gone\n"
        "    return negotiate, gone\n"
    )
    names = imported_names(source)
    assert names == {"negotiate", "gone"}
    assert not hasattr(negotiation, "gone")


def test_all_lists_only_names_the_package_has():
    assert [n for n in negotiation.__all__ if not hasattr(negotiation, n)] == []


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_each_module_says_what_job_it_does(path):
    name = "" if path.stem == "__init__" else f".{path.stem}"
    module = importlib.import_module(f"alliancesim.agents.negotiation{name}")
    assert module.__doc__ and len(module.__doc__.split()) >= 10
