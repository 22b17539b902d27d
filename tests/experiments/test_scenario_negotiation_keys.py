"""``[negotiation]`` priors read from a scenario file: bad values name the file, the
key, the value and what is allowed; the bounds themselves are accepted."""

from importlib import resources
from pathlib import Path

import pytest
from alliancesim.scenario import ScenarioError, load_preset, load_scenario

DEFAULT_TEXT = (resources.files("alliancesim.scenario") / "presets" / "default.toml").read_text(
    encoding="utf-8"
)


def with_negotiation(tmp_path: Path, line: str) -> Path:
    assert "[negotiation]" not in DEFAULT_TEXT, "the preset now has its own [negotiation] table"
    path = tmp_path / "stake.toml"
    path.write_text(f"{DEFAULT_TEXT}\n[negotiation]\n{line}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("value", "allowed"),
    [("1.5", "less than or equal to 1"), ("-0.1", "greater than or equal to 0")],
)
def test_overlay_stake_outside_zero_to_one_names_file_key_value_and_bound(tmp_path, value, allowed):
    path = with_negotiation(tmp_path, f"overlay_stake = {value}")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert str(path) in message and "negotiation.overlay_stake" in message
    assert value in message and allowed in message


def test_overlay_stake_that_is_not_a_number_is_rejected(tmp_path):
    path = with_negotiation(tmp_path, 'overlay_stake = "high"')
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert "negotiation.overlay_stake" in str(caught.value) and "high" in str(caught.value)


@pytest.mark.parametrize("stake", [0.0, 1.0])
def test_overlay_stake_accepts_its_bounds_from_a_file_and_from_set(tmp_path, stake):
    assert (
        load_scenario(
            with_negotiation(tmp_path, f"overlay_stake = {stake}")
        ).negotiation.overlay_stake
        == stake
    )
    assert (
        load_preset("default", negotiation__overlay_stake=stake).negotiation.overlay_stake == stake
    )
