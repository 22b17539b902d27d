"""``alliancesim validate --quick --json --only V8`` through the real CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from alliancesim.cli import build_app


@pytest.mark.validation
def test_validate_quick_json_only_v8() -> None:
    result = CliRunner().invoke(
        build_app(), ["validate", "--quick", "--json", "--only", "V8", "--report-only"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["mode"] == "quick"
    assert [r["pattern"] for r in document["results"]] == ["V8"]
    row = document["results"][0]
    assert {"statistic", "estimate", "low", "high", "passed", "deterministic"} <= set(row)
    assert {"mechanism", "knockout", "knockout_estimate", "knockout_passed", "verdict"} <= set(row)
    assert "behaviour.channels.payment_incentive = False" in row["knockout"]


@pytest.mark.validation
def test_validate_rejects_unknown_pattern() -> None:
    result = CliRunner().invoke(build_app(), ["validate", "--quick", "--only", "V99"])
    assert result.exit_code == 2
