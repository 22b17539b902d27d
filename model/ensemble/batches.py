"""Many computations that each make model runs one at a time, with their runs made
together on the ensemble engine.

    together(tasks, engine="auto", switch=None) -> [task() for task in tasks]
    run(scenario, contract_model, seed, record_ledger=False) -> a finished run

A validation pattern's statistic for one seed, or a calibration particle's, is ordinary
code that asks for a run, reads it, perhaps asks for another. ``together`` runs such
tasks in turns, in their order: each runs until it asks for a run (``run``) or ends;
when every task is waiting, the runs asked for are made at once, and each task goes on
with its own. The runs of one contract model whose scenarios differ at most in their
prior values (``PRIOR_FIELDS``: calibration particles, or the seeds of one pattern) are
one ensemble (``runs.run_many``, the prior values as arrays over its replications). So
the tasks are written for one run and the work is batched; the result of every task is
what it gives alone, because a run is a function of its scenario, contract model and
seed, identical on either engine (the equivalence test).

- Only one task runs at a time (each in a thread of its own, handing a baton on), in a
  fixed order, so the tasks' side effects happen in the same order on every run.
  ``switch`` saves and restores per-task state a task keeps outside itself (a
  calibration's global random generators) around each turn.
- Each task runs in a copy of the caller's context (``contextvars``): the knock-out and
  prior overrides in force when ``together`` was called apply inside it.
- ``run`` outside ``together`` runs the agent model at once; ``together`` inside a task
  runs the inner tasks one after the other in that task (their runs are still batched
  with the outer tasks').
- ``engine``: ``agents`` runs every run on the agent model, ``ensemble`` every group on
  the ensemble, ``auto`` groups of at least ``MIN_REPLICATIONS`` distinct runs on the
  ensemble (and, of a negotiated contract, only those that agree the same terms that
  often: ``run_many(least=)``) and the rest on agents. ``counting`` says how many runs
  each engine made; a group the ensemble could not make falls back to agents (the
  reason in the counts, ``ensemble_error``).
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from alliancesim.model.ensemble import ENGINES, MIN_REPLICATIONS
from alliancesim.model.ensemble.priors import shape_and_priors, varying_priors
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.scenario import Scenario

_BATCH: contextvars.ContextVar[_Batch | None] = contextvars.ContextVar("batch", default=None)


class Switch(Protocol):
    """State a task keeps outside itself, saved when it hands the baton on and restored
    when it takes it back."""

    def save(self) -> Any: ...

    def restore(self, state: Any) -> None: ...


@dataclass(frozen=True)
class Request:
    scenario: Scenario
    contract_model: str
    seed: int
    record_ledger: bool


class Cancelled(Exception):
    """Unwinds a task whose caller stopped."""


@dataclass(frozen=True)
class Failed:
    """A run that raised: the error, raised again in the task that asked for it."""

    error: Exception


@dataclass
class _Task:
    index: int
    work: Callable[[], Any]
    context: contextvars.Context
    request: Request | None = None
    answer: Any = None
    result: Any = None
    error: BaseException | None = None
    done: bool = False
    state: Any = None


@dataclass
class _Batch:
    engine: str
    switch: Switch | None
    tasks: list[_Task]
    baton: threading.Condition = field(default_factory=threading.Condition)
    turn: int | None = None  # the task whose turn it is; None: the scheduler's
    cancelled: bool = False  # the caller stopped (an error, an interrupt): tasks unwind

    # ---- in a task's thread

    def ask(self, task: _Task, request: Request) -> Any:
        """Hand the baton back with a request for a run, and wait for the answer (a
        run, or the error making it raised, raised here as if the task had made it)."""
        task.request = request
        with self.baton:
            self.turn = None
            self.baton.notify_all()
            self.wait_for_turn(task)
        answer, task.answer = task.answer, None
        if isinstance(answer, Failed):
            raise answer.error
        return answer

    def wait_for_turn(self, task: _Task) -> None:
        self.baton.wait_for(lambda: self.turn == task.index or self.cancelled)
        if self.cancelled:
            raise Cancelled

    def body(self, task: _Task) -> None:
        try:
            with self.baton:
                self.wait_for_turn(task)
        except Cancelled:
            return
        try:
            task.result = task.context.run(self.enter, task)
        except BaseException as error:  # handed to the caller of together()
            task.error = error
        task.done = True
        with self.baton:
            self.turn = None
            self.baton.notify_all()

    def enter(self, task: _Task) -> Any:
        _BATCH.set(self)
        _CURRENT.set(task)
        return task.work()

    # ---- in the caller's thread

    def cancel(self) -> None:
        with self.baton:
            self.cancelled = True
            self.baton.notify_all()

    def give_turn(self, task: _Task) -> None:
        """Let ``task`` run until it asks for a run or ends."""
        if self.switch is not None and task.state is not None:
            self.switch.restore(task.state)
        with self.baton:
            self.turn = task.index
            self.baton.notify_all()
            self.baton.wait_for(lambda: self.turn is None)
        if self.switch is not None:
            task.state = self.switch.save()

    def answer(self, waiting: list[_Task]) -> None:
        """Make every run the waiting tasks asked for: the runs of scenarios that differ
        at most in their prior values, of one contract model, together (the prior values
        as arrays over the replications); a run asked for twice is made once."""
        groups: dict[tuple, dict[tuple, list[_Task]]] = {}
        shapes: dict[int, tuple[str, tuple]] = {}
        for task in waiting:
            request = task.request
            assert request is not None
            if id(request.scenario) not in shapes:
                shapes[id(request.scenario)] = shape_and_priors(request.scenario)
            structure, priors = shapes[id(request.scenario)]
            group = groups.setdefault(
                (structure, request.contract_model, request.record_ledger), {}
            )
            group.setdefault((request.seed, priors), []).append(task)
        for group in groups.values():
            asked = [tasks[0].request for tasks in group.values()]
            for tasks, made in zip(group.values(), self.make(asked), strict=True):
                for task in tasks:
                    task.answer, task.request = made, None

    def make(self, asked: list[Request]) -> list[Any]:
        """The runs asked for, of scenarios that differ at most in their prior values and
        of one contract model."""
        first = asked[0]
        if self.engine == "ensemble" or (self.engine == "auto" and len(asked) >= MIN_REPLICATIONS):
            from alliancesim.model.ensemble.runs import run_many

            try:
                many = run_many(
                    first.scenario,
                    first.contract_model,
                    [r.seed for r in asked],
                    first.record_ledger,
                    priors=varying_priors([r.scenario for r in asked]),
                    least=MIN_REPLICATIONS if self.engine == "auto" else 1,
                )
            except Exception as error:  # noqa: BLE001 - the agent model runs them instead
                fell_back(f"{type(error).__name__}: {error}")
            else:
                count("ensemble", len(asked) - len(many.left))
                count("agents", len(many.left))
                return many.runs
        return [attempt(r) for r in asked]

    def schedule(self) -> None:
        threads = [
            threading.Thread(target=self.body, args=(task,), daemon=True) for task in self.tasks
        ]
        for thread in threads:
            thread.start()
        live = list(self.tasks)
        try:
            while live:
                for task in live:
                    self.give_turn(task)
                live = [task for task in live if not task.done]
                if live:
                    self.answer(live)
        finally:
            if live:
                self.cancel()
            for thread in threads:
                thread.join()


_CURRENT: contextvars.ContextVar[_Task | None] = contextvars.ContextVar("task", default=None)


_COUNTS: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "engine_counts", default=None
)


@contextlib.contextmanager
def counting() -> Iterator[dict[str, Any]]:
    """Within the block, the runs made (by ``run`` and ``together``) are counted by the
    engine that made them: ``{"agents": n, "ensemble": m}``, with ``ensemble_error``
    when a group the ensemble was to make fell back to the agent model."""
    counts: dict[str, Any] = {"agents": 0, "ensemble": 0}
    token = _COUNTS.set(counts)
    try:
        yield counts
    finally:
        _COUNTS.reset(token)


def count(engine: str, runs: int) -> None:
    counts = _COUNTS.get()
    if counts is not None:
        counts[engine] += runs


def fell_back(why: str) -> None:
    """Note why a group of runs the ensemble was to make went to the agent model (the
    first reason, under ``ensemble_error`` in the counts)."""
    counts = _COUNTS.get()
    if counts is not None:
        counts.setdefault("ensemble_error", why)


def agent_run(
    scenario: Scenario, contract_model: str, seed: int, record_ledger: bool = False
) -> HealthEconomyModel:
    count("agents", 1)
    return HealthEconomyModel(scenario, contract_model, seed, record_ledger=record_ledger).run()


def attempt(request: Request) -> Any:
    """The agent model's run, or the error it raised (``Failed``)."""
    try:
        return agent_run(
            request.scenario, request.contract_model, request.seed, request.record_ledger
        )
    except Exception as error:  # noqa: BLE001 - raised again in the task that asked
        return Failed(error)


def run(scenario: Scenario, contract_model: str, seed: int, record_ledger: bool = False) -> Any:
    """A finished run of ``contract_model`` on ``seed``: the agent model's at once, or,
    inside ``together``, the run made with the other tasks' (an ensemble's replication,
    read like a finished ``HealthEconomyModel``)."""
    batch, task = _BATCH.get(), _CURRENT.get()
    if batch is None or task is None:
        return agent_run(scenario, contract_model, seed, record_ledger)
    return batch.ask(task, Request(scenario, contract_model, int(seed), record_ledger))


def together[T](
    tasks: Sequence[Callable[[], T]], engine: str = "auto", switch: Switch | None = None
) -> list[T]:
    """Every task's result, in order, with the runs they ask for made together.

    An error in a task is raised here, after the other tasks have finished (the first
    in task order)."""
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r}: allowed values are {', '.join(ENGINES)}")
    if _BATCH.get() is not None or engine == "agents":  # one after the other: the same
        return [task() for task in tasks]
    batch = _Batch(
        engine,
        switch,
        [_Task(i, work, contextvars.copy_context()) for i, work in enumerate(tasks)],
    )
    batch.schedule()
    for task in batch.tasks:
        if task.error is not None:
            raise task.error
    return [task.result for task in batch.tasks]
