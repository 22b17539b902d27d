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
from typing import Any

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
    runs = {name: run_model(scenario, name, seed, ledger) for name in model_order(scenario, models)}
    return replication_result(scenario, seed, replication, runs, ledger)


def run_replications(
    scenario: Scenario,
    seeds: Sequence[int],
    replications: Sequence[int],
    models: Sequence[str] | None = None,
    ledger: bool = False,
) -> tuple[list[ReplicationResult], dict[int, tuple[int, str]]]:
    """``run_replication`` for many seeds of one scenario at once, on the ensemble engine
    (``model/ensemble``): each contract model's replications are stepped together. The
    results are identical to ``run_replication``'s, seed by seed (the engines'
    equivalence test); also returns the seeds the agent model finished and why."""
    from alliancesim.model.ensemble.runs import run_many

    by_model = {}
    departures: dict[int, tuple[int, str]] = {}
    for name in model_order(scenario, models):
        many = run_many(scenario, name, seeds, record_ledger=ledger)
        by_model[name] = many.runs
        departures.update(many.departures)
    results = [
        replication_result(
            scenario, seed, replication, {name: runs[i] for name, runs in by_model.items()}, ledger
        )
        for i, (seed, replication) in enumerate(zip(seeds, replications, strict=True))
    ]
    return results, departures


def model_order(scenario: Scenario, models: Sequence[str] | None) -> list[str]:
    """The contract models to run, the status quo first (the counterfactual)."""
    names = list(models) if models else list(scenario.model_names)
    status_quo = scenario.scenario.status_quo
    if status_quo in names:
        names.remove(status_quo)
    return [status_quo, *names]


def replication_result(
    scenario: Scenario, seed: int, replication: int, runs: dict[str, Any], ledger: bool
) -> ReplicationResult:
    """The tables of one replication from its finished runs (the status quo's first)."""
    result = ReplicationResult()
    key = dict(scenario=scenario.scenario.name, replication=replication, seed=seed)
    baseline = None
    for name, model in runs.items():
        if baseline is None:
            baseline = model
        result.runs.append({**key, "contract_model": name, **run_summary(model, baseline)})
        for row in model.rows:
            result.periods.append({**key, "contract_model": name, **row})
        if ledger:
            result.ledger.extend({**key, "contract_model": name, **r} for r in ledger_rows(model))
        result.events.extend({**key, "contract_model": name, **e} for e in model.events)
    return result
