"""The layers import downwards only: payment core < scenario < agents < model < experiments < app.

A lower layer that imports an upper one makes the schedule hard to read and the engines
hard to share (issue 14); this check fails on the first such import.
"""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# each folder and the alliancesim sub-packages it must never import
FORBIDDEN = {
    "model/payment": ("scenario", "agents", "model.simulation", "experiments", "app"),
    "scenario": ("agents", "experiments", "app"),
    "agents": ("experiments", "app"),
    "model": ("experiments", "app"),
}


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return [n.removeprefix("alliancesim.") for n in names if n.startswith("alliancesim.")]


def offending_imports(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        if folder == "model" and "payment" in path.parts:
            continue  # checked under its own, stricter rule
        for module in imported_modules(path):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(ROOT)} imports alliancesim.{module}")
    return found


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_layer_imports_only_downwards(folder):
    assert offending_imports(folder, FORBIDDEN[folder]) == []


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    layer = tmp_path / "model"
    layer.mkdir()
    (layer / "bad.py").write_text("from alliancesim.experiments.runner import run\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert offending_imports("model", FORBIDDEN["model"]) == [
        "model/bad.py imports alliancesim.experiments.runner"
    ]
