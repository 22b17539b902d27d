"""One replication: every contract model of a scenario on the same random numbers.

    run_replication(scenario, seed, replication=0, models=None, ledger=True) -> ReplicationResult

- ``scenario``: a validated :class:`alliancesim.scenario.Scenario`.
- ``seed``: an int derived from ``numpy.random.SeedSequence`` for this
  (scenario point, replication); the same seed is used for every contract model,
  so the models are compared on common random numbers.
- ``models``: names of contract models to run (default: all the scenario lists);
  the status quo is always run too, as the counterfactual for savings.

``ReplicationResult`` holds plain lists of dicts (one dict per row), so it
pickles cheaply across processes and becomes a DataFrame in one call:
``runs`` (one row per contract model), ``periods`` (one row per model and
period), ``ledger`` (one row per journal entry; empty when ``ledger=False``)
and ``events`` (the negotiation and governance trace).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from alliancesim.experiments.outputs import ledger_rows, run_summary
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.scenario import Scenario


@dataclass
class ReplicationResult:
    runs: list[dict] = field(default_factory=list)
    periods: list[dict] = field(default_factory=list)
    ledger: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)


def run_model(
    scenario: Scenario, contract_model: str, seed: int, ledger: bool = True
) -> HealthEconomyModel:
    """Run one contract model for the whole contract term."""
    return HealthEconomyModel(scenario, contract_model, seed, record_ledger=ledger).run()


def run_replication(
    scenario: Scenario,
    seed: int,
    replication: int = 0,
    models: Sequence[str] | None = None,
    ledger: bool = True,
) -> ReplicationResult:
    """Run the status quo and each contract model on one seed; savings are paired."""
    names = list(models) if models else list(scenario.model_names)
    status_quo = scenario.scenario.status_quo
    if status_quo not in names:
        names.insert(0, status_quo)
    else:
        names.remove(status_quo)
        names.insert(0, status_quo)
    result = ReplicationResult()
    key = dict(scenario=scenario.scenario.name, replication=replication, seed=seed)
    baseline = None
    for name in names:
        model = run_model(scenario, name, seed, ledger)
        if baseline is None:
            baseline = model
        result.runs.append({**key, "contract_model": name, **run_summary(model, baseline)})
        for row in model.rows:
            result.periods.append({**key, "contract_model": name, **row})
        if ledger:
            result.ledger.extend({**key, "contract_model": name, **r} for r in ledger_rows(model))
        result.events.extend({**key, "contract_model": name, **e} for e in model.events)
    return result
