"""The incentive-path table: one provider's terms, ties and choices under each model."""

from __future__ import annotations

from alliancesim.experiments.incentive_path import incentive_row, main
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.scenario import load_preset


def test_separate_contracts_tie_nobody_and_a_pool_does():
    scenario = load_preset("default", economy__periods=6)
    rows = {
        name: incentive_row(HealthEconomyModel(scenario, name, 1).run(), "acute_trust")
        for name in ("status_quo", "alliance")
    }
    assert rows["status_quo"]["money_tie"] == rows["status_quo"]["relational_tie"] == 0.0
    assert rows["status_quo"]["reciprocity"] == 0.0
    assert rows["alliance"]["money_tie"] > 0.0  # its share of the pool
    assert rows["alliance"]["relational_tie"] > 0.0  # the leadership team it sits on
    assert rows["alliance"]["reciprocity"] > 0.0


def test_the_command_prints_one_row_a_model_and_rejects_an_unknown_provider(capsys):
    assert main(["default", "--month", "3"]) == 0
    out = capsys.readouterr().out
    assert "acute_trust after 3 months" in out
    assert sum(line.startswith("| ") for line in out.splitlines()) == 1 + 4  # header, 4 models
    assert main(["default", "--month", "3", "--provider", "nobody"]) == 2
    assert "allowed: acute_trust" in capsys.readouterr().err
