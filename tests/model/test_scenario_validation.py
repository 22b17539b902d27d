"""Bad scenario input: every case raises ScenarioError naming the source, the key
and what is allowed, so a typo never silently becomes a default."""

from importlib import resources
from pathlib import Path

import pytest
from alliancesim.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    parse_set_options,
)

DEFAULT_TEXT = (resources.files("alliancesim.scenario") / "presets" / "default.toml").read_text(
    encoding="utf-8"
)


def edited(tmp_path: Path, old: str, new: str, name: str = "bad.toml") -> Path:
    assert old in DEFAULT_TEXT, f"the preset no longer contains {old!r}"
    path = tmp_path / name
    path.write_text(DEFAULT_TEXT.replace(old, new, 1), encoding="utf-8")
    return path


def error_for(path_or_name, overrides=None) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path_or_name, overrides)
    return str(caught.value)


def test_default_preset_loads_and_lists_status_quo_first():
    scenario = load_scenario("default")
    assert isinstance(scenario, Scenario)
    assert scenario.model_names[0] == "status_quo"
    assert len(scenario.organisations) == 8


def test_malformed_toml_names_the_file_and_the_line(tmp_path):
    path = edited(tmp_path, "population = 60_000", "population = = 60_000")
    line = DEFAULT_TEXT.splitlines().index("population = 60_000") + 1
    message = error_for(path)
    assert str(path) in message
    assert "malformed TOML" in message and f"line {line}" in message


def test_unknown_top_level_key_is_rejected(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(DEFAULT_TEXT + "\n[colour]\nshade = 1\n", encoding="utf-8")
    message = error_for(path)
    assert str(path) in message and "'colour'" in message and "unknown key" in message


def test_unknown_nested_key_is_rejected(tmp_path):
    path = edited(tmp_path, "seasonality = 0.08", "seasonality = 0.08\nseasonalty = 0.1")
    message = error_for(path)
    assert str(path) in message and "economy.seasonalty" in message


def test_unknown_key_in_a_file_lists_the_allowed_keys(tmp_path):
    path = edited(tmp_path, "seasonality = 0.08", "seasonality = 0.08\nseasonalty = 0.1")
    message = error_for(path)
    assert "seasonality" in message.replace("seasonalty", "")


def test_wrong_enum_value_lists_the_allowed_values(tmp_path):
    path = edited(tmp_path, 'kind = "vcs"', 'kind = "charity"')
    message = error_for(path)
    assert str(path) in message and "kind" in message and "'charity'" in message
    for allowed in ("ccg", "council", "acute", "community", "vcs", "independent"):
        assert f"'{allowed}'" in message


def test_negative_money_is_rejected_with_the_bound(tmp_path):
    path = edited(tmp_path, "unit_cost_pence = 30_000", "unit_cost_pence = -30_000")
    message = error_for(path)
    assert str(path) in message
    # the entry by its name, as --set takes it, not by its position in the list
    assert "economy.service_lines.excess_bed_days.unit_cost_pence" in message
    assert "-30000" in message and "greater than 0" in message


def test_fractional_pence_are_rejected(tmp_path):
    path = edited(tmp_path, "unit_cost_pence = 30_000", "unit_cost_pence = 300.5")
    message = error_for(path)
    assert "unit_cost_pence" in message and "300.5" in message


def test_negative_pain_cap_is_rejected(tmp_path):
    path = edited(tmp_path, 'pain_cap = "none"', "pain_cap = -5")
    message = error_for(path)
    assert "risk_share.pain_cap" in message and "greater than or equal to 0" in message


def test_outcome_split_that_does_not_sum_to_one_is_rejected(tmp_path):
    path = edited(
        tmp_path,
        'mode = "pot"',
        'mode = "pot"\nsplit = { acute_trust = 0.5, community_trust = 0.3 }',
    )
    message = error_for(path)
    assert str(path) in message and "alliance.outcome.split" in message
    assert "must sum to 1" in message and "0.8" in message


def test_risk_share_shares_that_do_not_sum_to_one_are_rejected(tmp_path):
    path = edited(
        tmp_path,
        'shares = "by_value"',
        "shares = { acute_trust = 0.5, community_trust = 0.3 }",
    )
    message = error_for(path)
    assert "risk_share.shares" in message and "sum to 1" in message


def test_outcome_schedule_longer_than_the_contract_is_rejected(tmp_path):
    path = edited(
        tmp_path,
        "withhold_by_year = [0.0, 0.10, 0.10, 0.15]",
        "withhold_by_year = [0.0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.15]",
    )
    message = error_for(path)
    assert str(path) in message and "outcomes_based" in message
    assert "withhold_by_year" in message and "12 years" in message
    assert (
        "duration_years 10 + extension_years 0" in message and "at most 10 years" in message
    )  # what is allowed: the contract's length


def test_share_above_one_is_rejected(tmp_path):
    path = edited(tmp_path, "provider_gain_share = 0.5", "provider_gain_share = 1.5")
    message = error_for(path)
    assert "provider_gain_share" in message and "1.5" in message


def test_service_line_naming_an_unknown_provider_lists_the_providers(tmp_path):
    path = edited(tmp_path, 'provider = "gp_federation"', 'provider = "gp_fed"')
    message = error_for(path)
    assert str(path) in message and "'gp_fed'" in message
    assert "allowed: acute_trust, care_charity, community_trust, gp_federation" in message


def test_contract_model_naming_an_unknown_lead_lists_the_providers(tmp_path):
    path = edited(tmp_path, 'lead = "community_trust"', 'lead = "icb"')
    message = error_for(path)
    assert "'icb'" in message and "allowed providers" in message


def test_missing_file_is_named(tmp_path):
    path = tmp_path / "nowhere.toml"
    message = error_for(path)
    assert str(path) in message and "file not found" in message


def test_unknown_preset_lists_the_presets():
    message = error_for("no_such_preset")
    assert "no_such_preset" in message and "presets:" in message
    assert "default" in message.split("presets:")[1]


def test_unknown_set_key_lists_the_allowed_keys():
    message = error_for("default", parse_set_options(["economy.popluation=3"]))
    assert "--set" in message and "economy.popluation" in message
    assert "allowed:" in message and "population" in message.split("allowed:")[1]


def test_set_naming_an_unknown_organisation_lists_the_organisations():
    message = error_for("default", parse_set_options(["organisations.acute.reserves_pence=3"]))
    assert "no entry 'acute'" in message and "acute_trust" in message


def test_set_value_out_of_range_names_key_and_value():
    message = error_for("default", parse_set_options(["trust.initial=1.5"]))
    assert "trust.initial" in message and "1.5" in message


def test_set_option_without_equals_sign_is_rejected():
    with pytest.raises(ScenarioError, match="not key=value"):
        parse_set_options(["trust.initial"])


def test_set_values_are_read_as_toml():
    assert parse_set_options(["a=3", "b=0.5", "c=true", "d=[1, 2]", "e=word"]) == {
        "a": 3,
        "b": 0.5,
        "c": True,
        "d": [1, 2],
        "e": "word",
    }


def test_overrides_change_only_the_named_key():
    base = load_scenario("default")
    changed = base.with_overrides({"organisations.care_charity.reserves_pence": 1})
    orgs = {o.name: o for o in changed.organisations}
    assert orgs["care_charity"].reserves_pence == 1
    assert orgs["support_charity"] == {o.name: o for o in base.organisations}["support_charity"]
    assert changed.economy == base.economy
