"""The outcome-withhold dose-response script (docs/outcomes-based.md)."""

from __future__ import annotations

from alliancesim.experiments.dose_response import dose_response, main, markdown


def test_no_withhold_no_gaming_and_a_withhold_buys_outcome_and_gaming():
    table = dose_response("default", "outcomes_based", [0.0, 0.1], [1])
    none, some = table
    assert none["gap"] == 0.0 and none["outcome_effort"] == 0.0
    assert some["gap"] > 0.0 and some["outcome_effort"] > 0.0
    assert some["outcome_true"] > none["outcome_true"]
    text = markdown(table)
    assert text.count("\n") == 3 and "| 10% |" in text


def test_bad_arguments_exit_2_with_a_message(capsys):
    assert main(["--withholds", "0,ten"]) == 2
    assert "--withholds" in capsys.readouterr().err
    assert main(["--model", "no_such_model", "--seeds", "1"]) == 2
    assert "no_such_model" in capsys.readouterr().err
