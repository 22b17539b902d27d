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

``run_replication_tables`` gives the same tables for many seeds at once, as columns
(``TableColumns``) the runner turns into one Arrow table a point: the periods go a key
at a time from the ensembles' (periods, R) arrays, and the ledger a field at a time
from their journals, to one column over all seeds, models and periods, with no dict a
row; the runs and events are ``replication_result``'s rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from alliancesim.experiments.columns import TableColumns, repeated, rows_to_columns
from alliancesim.experiments.outputs import ledger_rows, run_summary
from alliancesim.model.ensemble import batches
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
    """Run one contract model for the whole contract term (the agent model's run, or,
    when replications are run in turns, one made with theirs: ``batches.run``)."""
    return batches.run(scenario, contract_model, seed, record_ledger=ledger)


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


def run_ensembles(
    scenario: Scenario,
    seeds: Sequence[int],
    models: Sequence[str] | None,
    ledger: bool,
    priors: Mapping[str, Sequence[Any]] | None = None,
) -> tuple[dict[str, list[Any]], dict[int, tuple[int, str]]]:
    """Each contract model's runs of the seeds on the ensemble engine (the status quo's
    first; ``priors``: each seed's own prior values, ``run_many``), and the seeds the
    agent model finished and why."""
    from alliancesim.model.ensemble.runs import run_many

    by_model = {}
    departures: dict[int, tuple[int, str]] = {}
    for name in model_order(scenario, models):
        many = run_many(scenario, name, seeds, record_ledger=ledger, priors=priors)
        by_model[name] = many.runs
        departures.update(many.departures)
    return by_model, departures


def run_replication_tables(
    scenario: Scenario,
    seeds: Sequence[int],
    replications: Sequence[int],
    models: Sequence[str] | None = None,
    ledger: bool = False,
    priors: Mapping[str, Sequence[Any]] | None = None,
) -> tuple[dict[str, TableColumns], dict[int, tuple[int, str]]]:
    """``run_replication`` for many seeds of one scenario at once, on the ensemble engine
    (``model/ensemble``: each contract model's replications stepped together, results
    identical seed by seed). Its tables, each as columns over all the seeds' rows, a
    seed's rows together and the seeds in order: the runs and events in the order of
    ``replication_result``, the periods (``period_columns``) and the ledger
    (``ledger_columns``, with ``ledger``) taken from the ensembles' arrays with the
    models in name order, the order the runner sorts them to. Also returns the seeds
    the agent model finished and why."""
    by_model, departures = run_ensembles(scenario, seeds, models, ledger, priors)
    results = [
        replication_result(
            scenario,
            seed,
            replication,
            {name: runs[i] for name, runs in by_model.items()},
            ledger=False,  # made a field at a time below
            periods=False,
        )
        for i, (seed, replication) in enumerate(zip(seeds, replications, strict=True))
    ]
    tables = {
        name: rows_to_columns([getattr(result, name) for result in results])
        for name in ("runs", "events")
    }
    name = scenario.scenario.name
    tables["periods"] = period_columns(name, seeds, replications, by_model)
    if ledger:
        tables["ledger"] = ledger_columns(name, seeds, replications, by_model)
    else:
        tables["ledger"] = TableColumns({}, [0] * len(seeds), [()] * len(seeds))
    return tables, departures


# the columns every row of replication_result's periods starts with, before its row's keys
PERIOD_KEY_COLUMNS = ("scenario", "replication", "seed", "contract_model")


def period_columns(
    scenario_name: str,
    seeds: Sequence[int],
    replications: Sequence[int],
    by_model: dict[str, list[Any]],
) -> TableColumns:
    """The periods table of many seeds' runs (``by_model``: each model's runs in seed
    order, the status quo's first), a column a key, each column gathered from the
    runs' (periods, R) arrays (``PeriodColumns``; an agent run's rows are a column of
    one). The rows of a seed are consecutive, its models in name order and each run's
    periods in order: the order the runner sorts its tables in (point, replication,
    contract model, period), so sorting moves nothing; the columns are in the order
    their keys first appear in ``replication_result``'s rows (the status quo's first)."""
    from alliancesim.model.ensemble.columns import PeriodColumns

    of_model, models, runs = _in_table_order(
        by_model, len(seeds), "period_rows", lambda run: PeriodColumns(run.rows, 1)
    )
    keys = []  # each seed's keys, as they first appear in replication_result's rows
    for i in range(len(seeds)):
        own = dict.fromkeys(PERIOD_KEY_COLUMNS)
        for name in by_model:  # the status quo's first
            source = of_model[name][i][0]
            if any(key in PERIOD_KEY_COLUMNS for key in source.keys):
                raise NotImplementedError("a period row repeats a key column's name")
            own.update(dict.fromkeys(source.keys))
        keys.append(tuple(own))
    held = list({id(source): source for source, _ in runs}.values())
    run_rows = [source.periods for source, _ in runs]
    counts, columns = _key_columns(scenario_name, seeds, replications, models, run_rows)
    # each run's column in the sources' arrays side by side (when all are as long)
    offsets, at = {}, 0
    for source in held:
        offsets[id(source)] = at
        at += source.size
    index = np.array([offsets[id(source)] + column for source, column in runs], dtype=np.int64)
    for key in dict.fromkeys(chain(*keys)):
        if key not in columns:
            columns[key] = _gathered(key, held, runs, index)
    return TableColumns(columns, counts, keys)


def ledger_columns(
    scenario_name: str,
    seeds: Sequence[int],
    replications: Sequence[int],
    by_model: dict[str, list[Any]],
) -> TableColumns:
    """The ledger table of many seeds' runs (``by_model`` as for ``period_columns``), a
    column a field, gathered from the ensembles' journals (``LedgerColumns``: each
    replication's entries are those it keeps, in order; an agent run's journal is a
    column of one). A seed's rows are consecutive, its models in name order, each run's
    entries in order; the columns are those of ``ledger_rows`` after the key columns."""
    from alliancesim.model.ensemble.columns import LedgerColumns
    from alliancesim.model.payment.ledger import JournalEntry

    _, models, runs = _in_table_order(
        by_model, len(seeds), "ledger_entries", lambda run: LedgerColumns(run.ledger, 1)
    )
    sources = list({id(source): source for source, _ in runs}.values())
    kept = [source.kept_entries(column) for source, column in runs]
    run_rows = [len(k) for k in kept]
    counts, columns = _key_columns(scenario_name, seeds, replications, models, run_rows)
    keys = [(*PERIOD_KEY_COLUMNS, *JournalEntry._fields) if n else () for n in counts]
    # each kept entry's place among all the sources' entries, and its (entry,
    # replication) cell among all the sources' amounts laid out entry by entry
    entry_at, cell_at, entries, cells = {}, {}, 0, 0
    for source in sources:
        entry_at[id(source)], cell_at[id(source)] = entries, cells
        entries += len(source.entries)
        cells += len(source.entries) * source.size
    entry = np.concatenate(
        [np.zeros(0, np.int64)]
        + [entry_at[id(s)] + k for (s, _), k in zip(runs, kept, strict=True)]
    )
    cell = np.concatenate(
        [np.zeros(0, np.int64)]
        + [cell_at[id(s)] + k * s.size + c for (s, c), k in zip(runs, kept, strict=True)]
    )
    for name in JournalEntry._fields:
        if name == "amount":
            columns[name] = _taken(_joined([s.amounts.ravel() for s in sources]), cell)
        elif name == "note":
            columns[name] = _notes(sources, runs, kept, entry)
        else:
            columns[name] = _taken(_joined([s.fields[name] for s in sources]), entry)
    return TableColumns(columns, counts, keys)


def _in_table_order(
    by_model: dict[str, list[Any]], n_seeds: int, held_as: str, of_agent_run: Callable[[Any], Any]
) -> tuple[dict[str, list], list[str], list[tuple[Any, int]]]:
    """Each model's runs as (columns, column) sources, the models in name order, and
    every run's source in the tables' order (a seed's runs together, models by name).
    An ensemble's replication holds its columns as ``held_as`` (with its column); an
    agent run's are ``of_agent_run(run)``, a column of one."""

    def source_of(run: Any) -> tuple[Any, int]:
        held = getattr(run, held_as, None)
        if held is None:
            return of_agent_run(run), 0
        return held.columns, held.index

    of_model = {name: [source_of(run) for run in runs] for name, runs in by_model.items()}
    models = sorted(by_model)
    return of_model, models, [of_model[name][i] for i in range(n_seeds) for name in models]


def _key_columns(
    scenario_name: str,
    seeds: Sequence[int],
    replications: Sequence[int],
    models: list[str],
    run_rows: list[int],
) -> tuple[list[int], dict[str, Any]]:
    """Each seed's number of rows (its runs' ``run_rows`` added up), and the key columns
    every row starts with (``PERIOD_KEY_COLUMNS``)."""
    n_models = len(models)
    counts = [sum(run_rows[i * n_models : (i + 1) * n_models]) for i in range(len(seeds))]
    columns: dict[str, Any] = {
        "scenario": repeated([scenario_name], [sum(counts)]),
        "replication": repeated(replications, counts),
        "seed": repeated(seeds, counts),
        "contract_model": repeated(models * len(seeds), run_rows),
    }
    return counts, columns


def _taken(values: Any, index: Any) -> Any:
    """``values[index]`` as a column: numbers as they are, strings an Arrow string
    array (taken, not made string by string), anything else a list."""
    if values.dtype.kind != "O":
        return values[index]
    if set(map(type, values.tolist())) == {str}:
        return pa.array(values.tolist(), pa.string()).take(pa.array(index))
    return values[index].tolist()


def _joined(arrays: list[Any]) -> Any:
    """Arrays end to end, numbers of one kind staying numbers (ints and floats make
    floats), any other mix Python objects."""
    arrays = [a for a in arrays if a.size]  # an empty one has no kind
    kinds = {a.dtype.kind for a in arrays}
    if len(kinds) > 1 and ("b" in kinds or "O" in kinds):
        arrays = [a.astype(object) for a in arrays]
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=object)


def _notes(sources: list[Any], runs: list[tuple[Any, int]], kept: list[Any], entry: Any) -> Any:
    """Each kept entry's note: its text, taken for all rows at once where it is one
    text (a str); where it is a ``RowNote``, its replication's text."""
    from alliancesim.model.ensemble.columns import note_of
    from alliancesim.model.payment.ledger import RowNote

    every = [note for source in sources for note in source.notes]
    if not {type(note) for note in every} <= {str, RowNote}:  # as a list of them
        return [
            note_of(source.notes[i], column)
            for (source, column), own in zip(runs, kept, strict=True)
            for i in own.tolist()
        ]
    per_row = np.array([isinstance(note, RowNote) for note in every] + [False])[:-1]
    texts = pa.array([None if per_row[i] else note for i, note in enumerate(every)], pa.string())
    own_texts = [
        source.notes[i].text(column)
        for (source, column), own in zip(runs, kept, strict=True)
        for i in own.tolist()
        if isinstance(source.notes[i], RowNote)
    ]
    taken = texts.take(pa.array(entry))
    if not own_texts:
        return taken
    return pc.replace_with_mask(taken, pa.array(per_row[entry]), pa.array(own_texts, pa.string()))


def _gathered(key: str, sources: list[Any], runs: list[tuple[Any, int]], index: Any) -> Any:
    """One key's column over the runs' periods, run by run: a numpy array of int64,
    float64 or bool where every run's values are numbers of one kind (ints and floats
    together make floats, as Arrow makes them of a list), else a list of the Python
    values (a run without the key has None)."""
    arrays = [
        source.arrays[key]
        if key in source.arrays
        else np.full((source.periods, source.size), None, dtype=object)
        for source in sources
    ]
    kinds = {a.dtype.kind for a in arrays}
    if len(kinds) > 1 and ("b" in kinds or "O" in kinds):  # no number made of a bool
        arrays = [a.astype(object) for a in arrays]
    if len({source.periods for source in sources}) == 1:
        gathered = np.hstack(arrays).T[index].ravel()
    else:  # runs of different lengths: their columns one by one
        at = {id(source): a for source, a in zip(sources, arrays, strict=True)}
        gathered = np.concatenate([at[id(source)][:, column] for source, column in runs])
    return gathered.tolist() if gathered.dtype.kind == "O" else gathered


def model_order(scenario: Scenario, models: Sequence[str] | None) -> list[str]:
    """The contract models to run, the status quo first (the counterfactual)."""
    names = list(models) if models else list(scenario.model_names)
    status_quo = scenario.scenario.status_quo
    if status_quo in names:
        names.remove(status_quo)
    return [status_quo, *names]


def replication_result(
    scenario: Scenario,
    seed: int,
    replication: int,
    runs: dict[str, Any],
    ledger: bool,
    periods: bool = True,
) -> ReplicationResult:
    """The tables of one replication from its finished runs (the status quo's first);
    ``periods=False`` leaves the periods table empty (``period_columns`` makes it)."""
    result = ReplicationResult()
    key = dict(scenario=scenario.scenario.name, replication=replication, seed=seed)
    baseline = None
    for name, model in runs.items():
        if baseline is None:
            baseline = model
        result.runs.append({**key, "contract_model": name, **run_summary(model, baseline)})
        if periods:
            result.periods.extend({**key, "contract_model": name, **row} for row in model.rows)
        if ledger:
            result.ledger.extend({**key, "contract_model": name, **r} for r in ledger_rows(model))
        result.events.extend({**key, "contract_model": name, **e} for e in model.events)
    return result
