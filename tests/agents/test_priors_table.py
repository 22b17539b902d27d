"""The behaviour-priors table: one place for every number that drives behaviour."""

from pathlib import Path

from alliancesim.experiments.priors import markdown, rows
from alliancesim.scenario import BEHAVIOUR_PRIORS, PRIOR_FIELDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "priors.md"


def test_docs_priors_is_the_table_the_schema_generates():
    assert DOC.read_text(encoding="utf-8") == markdown(), (
        "docs/priors.md is stale: run python -m alliancesim.experiments.priors "
        "--write docs/priors.md"
    )


def test_every_prior_has_a_range_holding_its_default_and_a_source():
    assert len(rows()) == len(PRIOR_FIELDS) > len(BEHAVIOUR_PRIORS) > 20
    for key, (spec, name) in PRIOR_FIELDS.items():
        extra = spec.model_fields[name].json_schema_extra
        low, high = extra["prior_range"]
        default = spec.model_fields[name].default
        assert low <= default <= high, key
        assert extra["source"].strip(), key


def test_the_numbers_the_audit_found_unexplained_are_no_longer_written_in_the_code():
    root = DOC.parents[1]
    code = {
        path: (root / path).read_text(encoding="utf-8")
        for path in ("model/economy.py", "model/simulation.py", "agents/decisions.py")
    }
    for literal in ("0.3 + 0.7", "0.4 + 0.6", "0.6 * shiftable", "0.7 * shift_fraction"):
        assert all(literal not in text for text in code.values()), literal
    assert "incentive_weight * 0.5" not in code["agents/decisions.py"]
    assert "* 4.0" not in code["agents/decisions.py"]
    assert "min(1.0, 10.0 *" not in code["model/simulation.py"]
    assert "EFFORT_SPEND_SHARE" not in code["model/simulation.py"]
    assert "JOINT_WORK_CONTACT" not in code["model/simulation.py"]
