"""The knock-out machinery of the validation suite: verdicts, the knock-out in force
while a pattern runs, the exit code of ``validate`` and the generated page. Fake
patterns whose result depends on a channel stand in for the real ones, so these
tests check the machinery, not the model."""

from __future__ import annotations

import json

import pytest
from alliancesim.experiments.validation.common import Interval, pattern_result, preset
from alliancesim.experiments.validation.document import render_page
from alliancesim.experiments.validation.runner import as_json, as_text, run_pattern
from alliancesim.experiments.validation.suite import (
    FAIL,
    NO_KNOCKOUT,
    NOT_TIED,
    PASS,
    REGISTRY,
    Pattern,
    knocked_out,
    verdict,
)
from typer.testing import CliRunner

from alliancesim.cli import build_app

RECIPROCITY_OFF = {"behaviour.channels.reciprocity": False}


def tied_check(quick: bool, seed: int):
    """Passes only while the reciprocity channel is on."""
    on = preset("default").behaviour.channels.reciprocity
    width = 0.0 if quick else 0.1
    value = 1.0 if on else 0.0
    return pattern_result(
        "V98", "tied", "fake", "channel on", Interval(value, value - width, value + width, 2),
        on, "",
    )  # fmt: skip


def untied_check(quick: bool, seed: int):
    return pattern_result("V99", "untied", "fake", "always", Interval(1.0, 0.5, 1.5, 2), True, "")


def test_verdict_needs_a_pass_and_a_failing_knockout() -> None:
    assert verdict(True, False) == PASS
    assert verdict(True, True) == NOT_TIED
    assert verdict(True, None) == NO_KNOCKOUT
    assert verdict(False, False) == FAIL
    assert verdict(False, True) == FAIL


def test_the_knockout_reaches_every_preset_a_pattern_loads_and_only_inside() -> None:
    assert preset("default").behaviour.channels.reciprocity is True
    with knocked_out(RECIPROCITY_OFF):
        assert preset("mental_health_alliance").behaviour.channels.reciprocity is False
        # an initial-condition override of the pattern keeps the knock-out
        scenario = preset("default", {"trust.initial": 0.3})
        assert scenario.behaviour.channels.reciprocity is False
        assert scenario.trust.initial == 0.3
    assert preset("default").behaviour.channels.reciprocity is True


def test_a_pattern_tied_to_its_channel_passes_and_an_untied_one_does_not() -> None:
    tied = run_pattern(Pattern("V98", "tied", tied_check, "reciprocity", RECIPROCITY_OFF), 1, 1)
    assert (tied["passed"], tied["knockout_passed"], tied["verdict"]) == (True, False, PASS)
    untied = Pattern("V99", "untied", untied_check, "nothing", RECIPROCITY_OFF)
    assert run_pattern(untied, True, 1)["verdict"] == NOT_TIED
    assert run_pattern(Pattern("V99", "untied", untied_check), True, 1)["verdict"] == NO_KNOCKOUT


def test_a_zero_width_interval_is_flagged_deterministic() -> None:
    entry = Pattern("V98", "tied", tied_check, "reciprocity", RECIPROCITY_OFF)
    assert run_pattern(entry, True, 1)["deterministic"] is True
    assert run_pattern(entry, False, 1)["deterministic"] is False


@pytest.fixture
def fakes(monkeypatch):
    monkeypatch.setitem(
        REGISTRY, "V98", Pattern("V98", "tied", tied_check, "reciprocity", RECIPROCITY_OFF)
    )
    monkeypatch.setitem(
        REGISTRY, "V99", Pattern("V99", "untied", untied_check, "nothing", RECIPROCITY_OFF)
    )


def invoke(*args: str):
    return CliRunner().invoke(build_app(), ["validate", "--quick", *args])


def test_validate_exits_0_only_when_every_pattern_passes(fakes) -> None:
    assert invoke("--only", "V98").exit_code == 0
    failing = invoke("--only", "V98,V99")
    assert failing.exit_code == 1
    assert "not passing: V99" in failing.output
    assert invoke("--only", "V98,V99", "--report-only").exit_code == 0


def test_validate_text_fits_100_columns_and_json_carries_the_knockout(fakes) -> None:
    text = invoke("--only", "V98,V99", "--report-only").output
    assert max(len(line) for line in text.splitlines()) <= 100
    document = json.loads(invoke("--only", "V98,V99", "--json", "--report-only").output)
    rows = {r["pattern"]: r for r in document["results"]}
    assert rows["V98"]["knockout_passed"] is False and rows["V98"]["deterministic"] is True
    assert rows["V99"]["verdict"] == NOT_TIED
    assert (document["honest"], document["not_tied"]) == (1, 1)


def test_the_page_gives_the_honest_count_knockouts_and_what_is_missing(fakes, tmp_path) -> None:
    rows = [
        run_pattern(REGISTRY["V98"], True, 1),
        run_pattern(REGISTRY["V99"], True, 1),
        {**run_pattern(REGISTRY["V99"], True, 1), "pattern": "V15", "verdict": FAIL},
    ]
    import pandas as pd

    table = pd.DataFrame(rows)
    page = render_page(json.loads(as_json(table, True, 1.0)))
    assert "**1 of 3 patterns pass**" in page
    assert "| V98 tied | 1 (deterministic) | 0 (deterministic) (fails) | pass |" in page
    assert "What the model lacks:** beds and placements" in page  # gaps.MISSING["V15"]
    assert "What else produces it:** not diagnosed yet" in page
    assert "V98" in as_text(table)
    saved = tmp_path / "v.json"
    saved.write_text(as_json(table, True, 1.0))
    out = tmp_path / "validation.md"
    result = CliRunner().invoke(
        build_app(), ["validate", "--from-json", str(saved), "--doc", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text() == page
