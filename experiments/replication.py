"""One replication: every contract model of a scenario on the same random numbers.

INTERFACE (the runner, sweeps and analyses are written against it):

    run_replication(scenario, seed, replication=0, models=None, ledger=True) -> ReplicationResult

- ``scenario``: a validated :class:`alliancesim.experiments.scenario.Scenario`.
- ``seed``: an int derived from ``numpy.random.SeedSequence`` for this
  (scenario point, replication); the same seed is used for every contract model,
  so the models are compared on common random numbers.
- ``models``: names of contract models to run (default: all the scenario lists);
  the status quo is always run too, as the counterfactual for savings.

``ReplicationResult`` holds plain lists of dicts (one dict per row), so it
pickles cheaply across processes and becomes a DataFrame in one call:

- ``runs``: one row per contract model: scenario, contract_model, replication,
  seed, and the run outputs (spend_pence, savings_pence, savings_share,
  outcome_true, outcome_reported, acute_shift, provider_deficits, failures,
  mean_trust, min_trust, transaction_cost_pence, outcome_paid_share,
  gain_settled_pence, pain_settled_pence, negotiation_result,
  negotiation_months, ...).
- ``periods``: one row per contract model and period.
- ``ledger``: one row per journal entry (empty when ``ledger=False``).
- ``events``: the negotiation and governance trace.

The lead writes the real implementation; this placeholder keeps imports working.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ReplicationResult:
    runs: list[dict] = field(default_factory=list)
    periods: list[dict] = field(default_factory=list)
    ledger: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
