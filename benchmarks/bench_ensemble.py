"""Benchmarks of the ensemble engine against the agent model (issue 14; a script, not a test).

    .venv/bin/python benchmarks/bench_ensemble.py                    # R = 1, 100, 1000
    .venv/bin/python benchmarks/bench_ensemble.py --sizes 1 100 1000 10000
    .venv/bin/python benchmarks/bench_ensemble.py --models status_quo --sizes 1000
    .venv/bin/python benchmarks/bench_ensemble.py --streams --sizes 1000  # streams only
    .venv/bin/python benchmarks/bench_ensemble.py --outputs --models status_quo alliance --sizes 1000

For each contract model of the preset (default: ``default``, 120 monthly periods):
the agent model's time a run (median of ``--agent-runs`` runs), then at each R (seeds
1..R, in this one process) the ensemble's amortised time a run two ways: ``stepping``,
one ``EnsembleModel`` advanced through every period (replications that leave it are
not finished); ``µs/run``, ``run_many``: the same plus every replication's output rows
and the agent re-runs of replications that left at a structural split. Then the
speed-up (agent / ``µs/run``), how many replications the agent model finished, and with
``--memory`` the peak memory ``run_many`` allocated (``tracemalloc``).
With ``--streams``: only the random streams, the time a replication to make 16 named
streams (4 read with ``gauss``, as demand noise, 12 with ``random``) and draw a value a
period from each, one ``random.Random`` a replication and stream against
``EnsembleStreams`` (each stream made on first use, and all made at once by ``prepare``).
With ``--outputs``: only the runner's whole path for one scenario point on the ensemble
engine (``runner.run_chunk``: ``run_many`` for the status quo and the model, then the
runs, periods and events tables as Arrow tables, and the ledger with ``--ledger full``),
its time a run (the status quo's runs counted too: R for the status quo, 2R for another
model).
Record the figures in docs/performance.md with the command.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

from alliancesim.model import streams as named
from alliancesim.model.ensemble.engine import EnsembleModel
from alliancesim.model.ensemble.runs import run_many
from alliancesim.model.ensemble.streams import EnsembleStreams
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.scenario import load_scenario

try:  # the machine line, shared with the other benchmarks
    from bench_runs import machine
except ImportError:  # pragma: no cover - run from elsewhere
    import platform

    def machine() -> str:
        return f"Python {platform.python_version()}"


def agent_seconds(scenario, model: str, runs: int) -> float:
    times = []
    for seed in range(1, runs + 1):
        started = time.perf_counter()
        HealthEconomyModel(scenario, model, seed, record_ledger=False).run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def stepping_seconds(scenario, model: str, size: int) -> float:
    """Seconds a run of the ensemble's stepping alone: R replications advanced through
    every period, no per-replication outputs, no agent re-runs (imposed contracts only)."""
    started = time.perf_counter()
    EnsembleModel(scenario, model, range(1, size + 1)).run()
    return (time.perf_counter() - started) / size


def ensemble_seconds(scenario, model: str, size: int, memory: bool) -> tuple[float, int, float]:
    """(seconds a run, replications that left, peak MB allocated)."""
    if memory:
        tracemalloc.start()
    started = time.perf_counter()
    many = run_many(scenario, model, range(1, size + 1))
    elapsed = time.perf_counter() - started
    peak = 0.0
    if memory:
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return elapsed / size, len(many.departures), peak


def outputs_seconds(scenario, model: str, size: int, ledger: str) -> tuple[float, int]:
    """(seconds a run of the runner's path to tables, runs made) for R = ``size``."""
    from alliancesim.experiments.replication import run_replication
    from alliancesim.experiments.runner import plan_tasks, run_chunk

    tasks = plan_tasks([{}], size, 1, ledger=ledger)
    status_quo = scenario.scenario.status_quo
    runs = size if model == status_quo else 2 * size
    started = time.perf_counter()
    run_chunk(tasks, scenario, [model], run_replication, engine="ensemble")
    return (time.perf_counter() - started) / runs, runs


def main_outputs(scenario, models: list[str], sizes: list[int], ledger: str) -> None:
    print(f"runner tables (--ledger {ledger}), one process")
    print(f"{'model':<16}{'R':>7}{'runs':>7}{'µs/run':>9}")
    for model in models:
        for size in sizes:
            each, runs = outputs_seconds(scenario, model, size, ledger)
            print(f"{model:<16}{size:>7}{runs:>7}{each * 1e6:>9,.0f}", flush=True)


STREAM_KEYS = [(named.DEMAND_NOISE, f"line {i}") for i in range(4)] + [
    (named.TURNOVER, f"organisation {i}") for i in range(12)
]


def streams_seconds(size: int, periods: int, how: str) -> float:
    """Seconds a replication to make ``STREAM_KEYS`` for seeds 1..size and draw
    ``periods`` values from each: ``how`` is "random" (a ``random.Random`` a replication),
    "ensemble" (made on first use) or "prepared" (``EnsembleStreams.prepare``)."""
    seeds = range(1, size + 1)
    started = time.perf_counter()
    if how == "random":
        for purpose, name in STREAM_KEYS:
            for seed in seeds:
                rng = named.stream(seed, purpose, name)
                if purpose == named.DEMAND_NOISE:
                    [rng.gauss(0.0, 1.0) for _ in range(periods)]
                else:
                    [rng.random() for _ in range(periods)]
    else:
        streams = EnsembleStreams(seeds, block=periods)
        if how == "prepared":
            streams.prepare(STREAM_KEYS)
        for purpose, name in STREAM_KEYS:
            generator = streams(purpose, name)
            for _ in range(periods):
                generator.gauss(0.0, 1.0) if purpose == named.DEMAND_NOISE else generator.random()
    return (time.perf_counter() - started) / size


def main_streams(sizes: list[int], periods: int) -> None:
    print(f"{len(STREAM_KEYS)} streams, {periods} draws each, one process")
    print(f"{'R':>7}{'Random µs/rep':>15}{'ensemble µs/rep':>17}{'prepared µs/rep':>17}")
    for size in sizes:
        each = [streams_seconds(size, periods, how) for how in ("random", "ensemble", "prepared")]
        print(
            f"{size:>7}"
            + "".join(f"{t * 1e6:>{w},.0f}" for t, w in zip(each, (15, 17, 17), strict=True))
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--models", nargs="*", default=None)
    parser.add_argument("--sizes", nargs="*", type=int, default=[1, 100, 1000])
    parser.add_argument("--agent-runs", type=int, default=20)
    parser.add_argument("--memory", action="store_true", help="also peak memory (slower)")
    parser.add_argument("--streams", action="store_true", help="only the random streams")
    parser.add_argument("--outputs", action="store_true", help="only the runner's tables")
    parser.add_argument("--ledger", default="none", help="with --outputs: full or none")
    args = parser.parse_args()
    scenario = load_scenario(args.preset)
    print(machine())
    if args.streams:
        main_streams(args.sizes, scenario.economy.periods)
        return
    if args.outputs:
        main_outputs(
            scenario, args.models or list(scenario.contract_models), args.sizes, args.ledger
        )
        return
    print(f"preset {args.preset}: {scenario.economy.periods} periods, one process")
    print(
        f"{'model':<16}{'R':>7}{'stepping':>10}{'µs/run':>9}{'agent µs/run':>14}"
        f"{'speed-up':>10}{'left':>7}{'peak MB':>9}"
    )
    for model in args.models or list(scenario.contract_models):
        agent = agent_seconds(scenario, model, args.agent_runs)
        for size in args.sizes:
            stepping = stepping_seconds(scenario, model, size)
            each, left, peak = ensemble_seconds(scenario, model, size, args.memory)
            print(
                f"{model:<16}{size:>7}{stepping * 1e6:>10,.0f}{each * 1e6:>9,.0f}"
                f"{agent * 1e6:>14,.0f}{agent / each:>10.1f}{left:>7}"
                f"{peak if args.memory else float('nan'):>9.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
