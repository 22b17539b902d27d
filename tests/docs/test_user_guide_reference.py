"""The scenario file reference in docs/user-guide.md cannot drift from the validators.

Every field of ``Scenario`` and of every model nested in it (and of the experiment
file) must appear as a backticked key in the reference section, and every key the
section lists must still be a field. Regenerate with
``python -m alliancesim.app.reference --write docs/user-guide.md``.
"""

from __future__ import annotations

import re
from pathlib import Path

from alliancesim.app.reference import field_keys, markdown, reference_section
from alliancesim.scenario import Scenario

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "user-guide.md"
FIX = "run: python -m alliancesim.app.reference --write docs/user-guide.md"


def documented_keys() -> set[str]:
    section = reference_section(GUIDE.read_text(encoding="utf-8"))
    return set(re.findall(r"^\| `([^`]+)` \|", section, flags=re.M))


def test_every_field_is_documented():
    missing = [k for k in field_keys() if k not in documented_keys()]
    assert not missing, f"fields missing from docs/user-guide.md: {missing}; {FIX}"


def test_no_documented_key_is_stale():
    stale = documented_keys() - set(field_keys())
    assert not stale, f"docs/user-guide.md lists keys that are not fields: {sorted(stale)}; {FIX}"


def test_every_top_level_and_nested_scenario_field_is_walked():
    keys = set(field_keys())
    for name, info in Scenario.model_fields.items():
        assert (info.alias or name) in keys
    assert "economy.service_lines[].unit_cost_pence" in keys
    assert "contract_models.<name>.risk_share.provider_gain_share" in keys
    assert "contract_models.<name>.governance.decision_rule" in keys


def test_reference_matches_generator():
    assert reference_section(GUIDE.read_text(encoding="utf-8")) == markdown(), FIX
