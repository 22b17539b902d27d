"""Many runs of one scenario and contract model through the ensemble engine.

    run_many(scenario, contract_model, seeds, record_ledger=False, priors=None) -> ManyRuns

gives, in the order of ``seeds``, one finished run a seed, each with what the outputs
read of a ``HealthEconomyModel`` (``ReplicationRun``: rows, events, totals, the exit
log, providers' reserves, debts at the end, the agreement, the ledger), identical to the
agent model's run on that seed.

- A negotiated contract is negotiated for each replication first (on its own stream,
  as the agent model does before its first period); replications whose agreements lead
  to the same run (``run_key``: the terms, the result, who shares the risk, the parties
  charged; each replication books its own negotiation cost and leadership changes) are
  stepped together, one ensemble a group; ``least`` sends smaller groups to the agent
  model.
- ``priors`` (optional, ``{dotted prior key: one value a seed}``, ``priors.py``) gives
  each replication its own prior values: seed r runs ``scenario.with_overrides({k: v[r]
  ...})``; the ensembles hold them as arrays over their replications, and each
  replication negotiates, and is finished by the agent model, under its own scenario.
- Replications that leave an ensemble at a structural split (``EnsembleModel.diverges``)
  together, at a branch whose code runs on arrays (a provider's failure), are stepped
  again as an ensemble that takes it; the others are run again by the agent model
  (``ManyRuns.departures`` says which and why).

A replication's rows and journal stay in the ensemble's columns (``columns.py``) until
read; the rest of its finished model is read through ``views.ReplicaView``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from alliancesim.model.ensemble.columns import (
    LedgerColumns,
    PeriodColumns,
    ReplicationLedger,
    ReplicationRows,
)
from alliancesim.model.ensemble.engine import EnsembleModel, pick
from alliancesim.model.ensemble.priors import (
    PriorArrays,
    prior_arrays,
    replication_scenario,
    subset,
    with_prior_arrays,
)
from alliancesim.model.ensemble.views import ReplicaView
from alliancesim.model.payment.ledger import JournalEntry
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.scenario import Scenario

# how many times replications that left an ensemble together are stepped together again
# (each time at a later branch) before the agent model finishes them
MAX_REGROUPING = 20
# fewer replications than this leaving together go to the agent model: an ensemble's
# Python work a period is about that of six agent runs (benchmarks/bench_ensemble.py)
MIN_REGROUPED = 16


@dataclass
class ReplicationRun:
    """One replication's part of a finished ensemble: what the outputs read of a run."""

    scenario_spec: Scenario
    contract_model: str
    seed: int
    active_model: str
    period_rows: ReplicationRows
    events: list[dict]
    totals: dict[str, int]
    exit_log: dict[str, Any]
    n_failed: int
    providers: list[Any]
    orgs: dict[str, Any]
    agreement: Any
    governance: Any
    ledger_entries: ReplicationLedger
    debts: dict[str, int] = field(default_factory=dict)
    # the rest of the finished model (organisations' state, contracts, governance),
    # read as this replication's (views.ReplicaView)
    model: Any = None

    def debts_at_end(self) -> dict[str, int]:
        return self.debts

    @property
    def rows(self) -> list[dict]:
        """The output rows, one dict a period (made on first reading)."""
        if self._rows is None:
            self._rows = self.period_rows.columns.rows(self.period_rows.index)
        return self._rows

    def period_column(self, key: str) -> list:
        """The values of one output-row key, a period at a time (no rows made)."""
        return self.period_rows.columns.column(key, self.period_rows.index)

    @property
    def ledger(self) -> list[JournalEntry]:
        """The journal (made on first reading)."""
        if self._ledger is None:
            self._ledger = self.ledger_entries.columns.replication(self.ledger_entries.index)
        return self._ledger

    def __post_init__(self) -> None:
        self._rows: list[dict] | None = None
        self._ledger: list[JournalEntry] | None = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or self.__dict__.get("model") is None:
            raise AttributeError(name)
        return getattr(self.__dict__["model"], name)


@dataclass
class ManyRuns:
    """The runs in seed order, and the replications the agent model finished."""

    runs: list[HealthEconomyModel | ReplicationRun]
    departures: dict[int, tuple[int, str]] = field(default_factory=dict)  # seed -> (period, why)
    groups: int = 0  # groups of replications with the same agreement
    ensembles: int = 0  # ensembles stepped: the groups, and those that left one together
    # position in the seeds -> (period, why): the same, for seeds given more than once
    # (with different prior values)
    left: dict[int, tuple[int, str]] = field(default_factory=dict)


def run_key(agreement: Any) -> tuple:
    """What of an agreement the run after the talks reads as structure: replications
    with the same key run the same contracts under the same governance. What each
    negotiation cost the parties, and whose leadership changed during it, may differ
    (``EnsembleModel.adopt`` books each replication's own); the parties charged must
    be the same, in the same order."""
    if agreement is None:
        return ()
    return (
        agreement.model_name,
        agreement.result,
        repr(sorted(agreement.terms.items())),
        tuple(agreement.risk_members),
        tuple(agreement.cost_by_party),
    )


def agreements_for(
    scenario: Scenario,
    contract_model: str,
    seeds: Sequence[int],
    priors: PriorArrays | None = None,
) -> list[Any] | None:
    """Each seed's agreement, negotiated as the agent model negotiates it, each under its
    own scenario (its own prior values, ``priors``: validated arrays from
    ``priors.prior_arrays``); None when the contract model is imposed."""
    spec = scenario.contract_models[contract_model]
    if not (spec.negotiate and not spec.contracts):
        return None
    return [
        HealthEconomyModel(
            replication_scenario(scenario, priors or {}, index),
            contract_model,
            seed,
            record_ledger=False,
        ).agreement
        for index, seed in enumerate(seeds)
    ]


def run_many(
    scenario: Scenario,
    contract_model: str,
    seeds: Sequence[int],
    record_ledger: bool = False,
    priors: Mapping[str, Sequence[Any]] | None = None,
    least: int = 1,
) -> ManyRuns:
    """Every seed's run of the contract model, stepped together where they share terms.

    ``priors``: None, or ``{dotted prior key: one value a seed}``: seed r's run is then
    the agent model's run of ``scenario.with_overrides({k: v[r] for k, v in
    priors.items()})`` (``priors.py``); every group and regrouped ensemble carries its
    replications' values, and a replication the agent model finishes runs its own
    scenario.

    ``least``: a group of replications with the same terms smaller than this is run by
    the agent model (``departures`` says so): an ensemble of a few is slower.

    Replications that leave an ensemble together at a branch whose code runs on arrays
    (the same period, the same branch: a given provider's failure) are stepped again as
    an ensemble of their own, in which they all take it; the others that leave are run
    by the agent model."""
    seeds = [int(seed) for seed in seeds]
    values = prior_arrays(scenario, priors, len(seeds))  # each seed's own prior values
    agreements = agreements_for(scenario, contract_model, seeds, values)
    groups: dict[tuple, list[int]] = {}
    for index in range(len(seeds)):
        key = run_key(agreements[index]) if agreements else ()
        groups.setdefault(key, []).append(index)
    runs: list[Any] = [None] * len(seeds)
    left: dict[int, tuple[int, str]] = {}  # position in seeds -> (period, why)
    pending: deque[tuple[list[int], int]] = deque()
    for members in groups.values():
        if len(members) >= least:
            pending.append((members, 0))
        else:  # too few agree to pay for an ensemble: the agent model runs them
            left.update(
                (i, (0, f"{len(members)} agreed these terms (fewer than {least})")) for i in members
            )
    ensembles = 0
    while pending:
        members, depth = pending.popleft()
        ensembles += 1
        ensemble = EnsembleModel(
            scenario,
            contract_model,
            [seeds[i] for i in members],
            agreements=[agreements[i] for i in members] if agreements else None,
            record_ledger=record_ledger,
            priors=subset(values, members),
        ).run()
        rows = rows_by_replication(ensemble.rows, ensemble.size)
        again: dict[tuple[int, str], list[int]] = {}
        for position, index in enumerate(members):
            if ensemble.active[position]:
                own = agreements[index] if agreements else ensemble.agreement
                runs[index] = replication_run(ensemble, position, own, rows[position])
                if ensemble.priors:  # its own scenario, each prior one number
                    runs[index].scenario_spec = with_prior_arrays(
                        ensemble.scenario_spec, subset(ensemble.priors, [position])
                    )
                continue
            period, why, arrays = ensemble.departures[position]
            if arrays and depth < MAX_REGROUPING:
                again.setdefault((period, why), []).append(index)
            else:
                left[index] = (period, why)
        for (period, why), group in again.items():
            if len(group) >= MIN_REGROUPED:
                pending.append((group, depth + 1))
            else:  # a few: the agent model is quicker than an ensemble's fixed cost a period
                left.update((i, (period, why)) for i in group)
    for index in sorted(left):
        runs[index] = HealthEconomyModel(
            replication_scenario(scenario, values, index),
            contract_model,
            seeds[index],
            record_ledger=record_ledger,
        ).run()
    departures = {seeds[i]: why for i, why in sorted(left.items())}
    return ManyRuns(runs, departures, len(groups), ensembles, left)


def rows_by_replication(rows: list[dict], size: int) -> list[ReplicationRows]:
    """Each replication's output rows, kept a column a key (``PeriodColumns``): the
    tables read them a column at a time, and a replication's row dicts are only made
    when its ``ReplicationRun.rows`` is read."""
    columns = PeriodColumns(rows, size)
    return [ReplicationRows(columns, index) for index in range(size)]


def replication_run(
    ensemble: EnsembleModel, index: int, agreement: Any, rows: ReplicationRows
) -> ReplicationRun:
    """Replication ``index`` of a finished ensemble, as plain Python values (its output
    rows from ``rows_by_replication``, read when asked for; organisations, contracts and
    governance through ``ReplicaView``)."""
    model = ReplicaView(ensemble, index, ensemble.size)
    providers = model.providers
    orgs = {o.name: o for o in model.commissioners} | {p.name: p for p in providers}
    ledger = getattr(ensemble, "_ledger_columns", None)  # one for all its replications
    if ledger is None:
        ledger = ensemble._ledger_columns = LedgerColumns(ensemble.ledger, ensemble.size)
    return ReplicationRun(
        scenario_spec=ensemble.scenario_spec,
        contract_model=ensemble.contract_model,
        seed=ensemble.seeds[index],
        active_model=ensemble.active_model,
        period_rows=rows,
        events=ensemble.event_lists[index],
        totals=pick(ensemble.totals, index),
        exit_log=pick(ensemble.exit_log, index),
        n_failed=pick(ensemble.n_failed, index),
        providers=providers,
        orgs=orgs,
        agreement=agreement,
        governance=model.governance,  # its summary() gives this replication's figures
        ledger_entries=ReplicationLedger(ledger, index),
        debts=pick(ensemble.debts_at_end(), index),
        model=model,
    )
