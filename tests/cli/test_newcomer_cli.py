"""What a newcomer meets first: --version, the presets in run --help, "did you mean",
errors that name keys as typed, the notebooks command, and the message an
interpreter without the install gives."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from alliancesim.scenario import did_you_mean, preset_names
from typer.testing import CliRunner

import alliancesim
from alliancesim import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def app():
    return cli.build_app()


def invoke(app, *args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_version_is_the_version_of_the_distribution(app):
    result = invoke(app, "--version")
    assert result.exit_code == 0
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert result.output.strip() == f"alliancesim {declared}"


def test_run_help_lists_every_preset(app):
    result = invoke(app, "run", "--help")
    assert result.exit_code == 0
    listed = result.output.split("Presets:")[1]
    for name in preset_names():
        assert name in listed


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["defualt"], "did you mean 'default'?"),
        (["default", "--set", "trust.initail=0.3"], "did you mean 'initial'?"),
        (["default", "--set", "organisations.acute.reserves_pence=1"], "'acute_trust'?"),
        (["default", "--set", "contract_models.alliance.vehicle=allianse"], "'alliance'?"),
    ],
)
def test_misspelt_presets_keys_and_names_get_a_suggestion(app, tmp_path, args, expected):
    out = tmp_path / "out"
    result = invoke(app, "run", *args, "--reps", 2, "--seed", 1, "--out", out)
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_an_error_names_the_key_as_typed_not_by_list_position(app, tmp_path):
    typed = "organisations.acute_trust.reserves_pence"
    result = invoke(app, "run", "default", "--set", f"{typed}=1.5", "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert f"key '{typed}'" in result.output
    assert "organisations.2." not in result.output


def test_no_suggestion_when_nothing_is_close():
    assert did_you_mean("zzzz", ["default", "small_economy"]) == ""
    assert did_you_mean("defaul", ["default", "small_economy"]) == " (did you mean 'default'?)"
    # part of a name: suggested when it fits one choice only
    charities = ["care_charity", "support_charity"]
    assert did_you_mean("char", charities) == ""
    assert did_you_mean("ppor", charities) == " (did you mean 'support_charity'?)"


def test_notebooks_without_jupyterlab_names_the_setup_command(app, monkeypatch):
    real = cli.importlib.util.find_spec
    monkeypatch.setattr(
        cli.importlib.util, "find_spec", lambda name: None if name == "jupyterlab" else real(name)
    )
    result = invoke(app, "notebooks")
    assert result.exit_code == 2
    assert "bash scripts/setup.sh notebooks" in result.output


def test_notebooks_opens_jupyterlab_on_the_notebooks_folder(app, monkeypatch):
    calls = []
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(cli.subprocess, "call", lambda command: calls.append(command) or 0)
    result = invoke(app, "notebooks", "--port", 8899, "--no-browser")
    assert result.exit_code == 0, result.output
    (command,) = calls
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    root_dir = Path(next(a for a in command if a.startswith("--ServerApp.root_dir=")).split("=")[1])
    assert root_dir == ROOT / "notebooks" and any(root_dir.glob("*.ipynb"))
    assert "--ServerApp.port=8899" in command and "--no-browser" in command
    assert ("--allow-root" in command) == (os.geteuid() == 0)  # JupyterLab refuses root


def test_importing_the_source_folder_without_the_install_says_how_to_set_up():
    """The system python3 in the repository root finds the local alliancesim/ folder
    without the mapped subpackages; -S leaves out site-packages and so the install."""
    result = subprocess.run(
        [sys.executable, "-S", "-c", "import alliancesim.scenario"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "bash scripts/setup.sh" in result.stderr and ".venv/bin/python" in result.stderr
    assert "No module named 'alliancesim.experiments'" not in result.stderr


def test_the_installed_package_finds_everything_it_needs():
    assert alliancesim.missing_parts() == []
    assert alliancesim.missing_parts(("alliancesim.no_such_part",)) == ["alliancesim.no_such_part"]
