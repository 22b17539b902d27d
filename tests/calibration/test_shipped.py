"""The shipped calibration file: registered targets of tied patterns, cited figures,
priors (behaviour, and the economy's judgement numbers) inside their ranges, and targets
the shipped priors can move."""

from __future__ import annotations

import operator
import re
import tomllib
from pathlib import Path

import pytest
from alliancesim.experiments.calibration.config import load_calibration
from alliancesim.experiments.calibration.targets import TARGETS
from alliancesim.experiments.validation.gaps import FULL_RUN_ONLY, UNTIED
from alliancesim.scenario import PRIOR_FIELDS, load_scenario

SHIPPED = Path(__file__).resolve().parents[2] / "experiments" / "calibrations" / "shipped.toml"
RAW = tomllib.loads(SHIPPED.read_text())
CITATION = re.compile(r"seed \d{3} L\d+")


def prior_range(key: str) -> tuple[float, float]:
    assert key in PRIOR_FIELDS, f"{key} is not a prior"
    spec, name = PRIOR_FIELDS[key]
    extra = spec.model_fields[name].json_schema_extra or {}
    assert isinstance(extra, dict) and "prior_range" in extra, f"{key} is not a prior"
    low, high = extra["prior_range"]
    return float(low), float(high)


def bounds(entry: dict) -> tuple[float, float]:
    table = prior_range(entry["key"])
    return float(entry.get("low", table[0])), float(entry.get("high", table[1]))


def test_the_schema_tables_are_there() -> None:
    assert RAW["calibration"]["name"] == "shipped"
    assert RAW["calibration"]["particles"] >= 2 and RAW["calibration"]["generations"] >= 1
    assert 3 <= len(RAW["priors"]) <= 6
    assert RAW["targets"]
    calibration = load_calibration(SHIPPED)  # the file alliancesim calibrate reads
    assert [p.key for p in calibration.priors] == [p["key"] for p in RAW["priors"]]


@pytest.mark.parametrize("entry", RAW["targets"], ids=lambda e: e["name"])
def test_every_target_is_registered_tied_and_cited(entry: dict) -> None:
    assert entry["name"] in TARGETS
    pattern = TARGETS[entry["name"]].pattern
    assert pattern not in UNTIED and pattern not in FULL_RUN_ONLY, pattern
    source = entry["source"].strip()
    assert CITATION.search(source) or source.startswith("judgement:"), source
    assert entry["scale"] > 0
    if "value" not in entry:
        assert entry["low"] <= entry["high"]


@pytest.mark.parametrize("entry", RAW["priors"], ids=lambda e: e["key"])
def test_every_prior_is_a_prior_inside_its_range(entry: dict) -> None:
    table_low, table_high = prior_range(entry["key"])
    low, high = bounds(entry)
    assert table_low <= low < high <= table_high
    for value in (low, high):  # the scenario validator accepts both ends
        scenario = load_scenario("default", {entry["key"]: value})
        assert operator.attrgetter(entry["key"])(scenario) == value


@pytest.mark.parametrize("entry", RAW["targets"], ids=lambda e: e["name"])
def test_every_shipped_target_moves_with_some_shipped_prior(entry: dict) -> None:
    """A target no shipped prior moves cannot constrain them (V7's share, V3's length
    are left out for that reason)."""
    statistic = TARGETS[entry["name"]].statistic
    seed = 31
    base = statistic({}, seed)
    moved = [
        p["key"]
        for p in RAW["priors"]
        for value in bounds(p)
        if statistic({p["key"]: value}, seed) != base
    ]
    assert moved, f"{entry['name']} does not move with any shipped prior"


def test_the_shipped_posterior_is_in_the_repository_and_matches_the_file() -> None:
    """The main job reads it (scripts/main.sh --posterior); a fresh clone must have it."""
    from alliancesim.experiments.posterior_draws import load_posterior

    posterior = load_posterior(str(SHIPPED.with_suffix("")), load_scenario("default"))
    assert posterior.priors == [p["key"] for p in RAW["priors"]]
    assert len(posterior.particles) == RAW["calibration"]["particles"]
