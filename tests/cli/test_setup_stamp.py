"""scripts/setup_stamp.py: pip runs only when pyproject.toml changed or an extra is
missing, and never drops the extras installed before."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "setup_stamp.py"
PYPROJECT = b"""[project]
name = "x"
[project.optional-dependencies]
test = ["pytest"]
notebooks = ["jupyterlab"]
dashboard = ["solara"]
"""


@pytest.fixture(scope="module")
def stamp():
    spec = importlib.util.spec_from_file_location("setup_stamp", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_new_environment_installs_what_is_asked(stamp):
    assert stamp.plan(None, PYPROJECT, []) == []  # the core alone
    assert stamp.plan(None, PYPROJECT, ["test"]) == ["test"]


def test_nothing_to_do_when_pyproject_is_unchanged_and_the_extras_are_there(stamp):
    record = stamp.stamp_record(PYPROJECT, ["notebooks", "test"])
    assert stamp.plan(record, PYPROJECT, []) is None
    assert stamp.plan(record, PYPROJECT, ["test"]) is None
    assert stamp.plan(record, PYPROJECT, ["dashboard"]) == ["dashboard", "notebooks", "test"]


def test_a_changed_pyproject_reinstalls_with_the_extras_installed_before(stamp):
    record = stamp.stamp_record(PYPROJECT, ["test"])
    changed = PYPROJECT + b"\n# a new pin\n"
    assert stamp.plan(record, changed, []) == ["test"]


def test_a_missing_or_broken_stamp_means_install(stamp):
    assert stamp.plan("not json", PYPROJECT, []) == []
    assert stamp.plan("[1, 2]", PYPROJECT, ["test"]) == ["test"]


def run(*args):
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True
    )


def test_the_command_line_plans_writes_and_refuses_unknown_extras(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_bytes(PYPROJECT)
    stamp_file = tmp_path / "stamp.json"
    first = run("plan", stamp_file, pyproject, "test")
    assert (first.returncode, first.stdout.strip()) == (3, "test")
    assert run("write", stamp_file, pyproject, first.stdout.strip()).returncode == 0
    assert run("plan", stamp_file, pyproject, "test").returncode == 0
    assert run("plan", stamp_file, pyproject).returncode == 0  # main.sh after test.sh
    more = run("plan", stamp_file, pyproject, "notebooks")
    assert (more.returncode, more.stdout.strip()) == (3, "notebooks,test")
    pyproject.write_bytes(PYPROJECT + b"\n")
    assert run("plan", stamp_file, pyproject).stdout.strip() == "test"
    bad = run("plan", stamp_file, pyproject, "notebook")
    assert bad.returncode == 2 and "allowed: dashboard, notebooks, test" in bad.stderr


def test_the_projects_extras_cover_what_the_scripts_ask_for(stamp):
    root = SCRIPT.parent.parent
    extras = set(stamp.known_extras((root / "pyproject.toml").read_bytes()))
    test_sh = (root / "scripts" / "test.sh").read_text()
    asked = test_sh.split("bash scripts/setup.sh", 1)[1].splitlines()[0].split()
    assert asked and set(asked) <= extras
    assert {"test", "notebooks", "dashboard", "browser"} <= set(asked)
