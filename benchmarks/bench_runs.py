"""Benchmarks of the simulation and the experiment runner (a script, not a test).

    .venv/bin/python benchmarks/bench_runs.py                 # everything, 10,000-run sweep
    .venv/bin/python benchmarks/bench_runs.py --runs 1000     # quicker memory check
    .venv/bin/python benchmarks/bench_runs.py --only runs,periods

Prints: runs per second for the default preset (one run = one contract model
over the full contract term, monthly periods), the cost per period per
organisation, how run time grows with organisations (5, 10, 20, 50) and with
periods, the 1-to-2 worker throughput of the runner, and peak memory over a
long streamed sweep. Record the figures in docs/performance.md.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import statistics
import tempfile
import threading
import time
from pathlib import Path

from alliancesim.experiments.replication import run_model, run_replication
from alliancesim.experiments.runner import plan_tasks, run_tasks
from alliancesim.scenario import load_scenario, validate_scenario


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, nproc={os.cpu_count()}, Python {platform.python_version()}"


def time_runs(scenario, model_name: str, n: int, seed0: int = 1) -> list[float]:
    times = []
    for i in range(n):
        start = time.perf_counter()
        run_model(scenario, model_name, seed0 + i, ledger=False)
        times.append(time.perf_counter() - start)
    return times


def bench_runs(n: int) -> None:
    scenario = load_scenario("default")
    orgs = len(scenario.organisations)
    periods = scenario.economy.periods
    print(f"\n== default preset: {orgs} organisations, {periods} periods, ledger off ==")
    run_model(scenario, scenario.scenario.status_quo, 0, ledger=False)  # warm up
    for name in scenario.model_names:
        times = time_runs(scenario, name, n)
        median = statistics.median(times)
        print(
            f"{name:16s} {median * 1e3:7.1f} ms/run  {1 / median:6.1f} runs/s  "
            f"{median / (periods * orgs) * 1e6:6.1f} us per period per organisation"
        )
    start = time.perf_counter()
    for i in range(n):
        run_replication(scenario, i, ledger=False)
    per = (time.perf_counter() - start) / n
    print(
        f"one replication (all {len(scenario.model_names)} models): {per * 1e3:.1f} ms; "
        f"4 models x 1,000 replications on 2 cores ~ {per * 1000 / 2:.0f} s if 2x"
    )


def scaled_scenario(scenario, n_orgs: int):
    """The default economy with its providers cloned until there are ``n_orgs`` organisations.

    Each clone copies a provider, its service lines (population split so total
    demand per line stays comparable) and nothing else; contract models keep
    their named members. Sizes below the default use the ``small_economy`` preset.
    """
    raw = scenario.model_dump(mode="json", by_alias=True)
    providers = [o for o in raw["organisations"] if o["kind"] not in ("ccg", "council")]
    lines = raw["economy"]["service_lines"]
    k = 0
    while len(raw["organisations"]) < n_orgs:
        base = copy.deepcopy(providers[k % len(providers)])
        original = base["name"]
        base["name"] = f"{original}_{k // len(providers) + 2}"
        raw["organisations"].append(base)
        for line in [ln for ln in lines if ln["provider"] == original]:
            clone = copy.deepcopy(line)
            clone["name"] = f"{line['name']}_{base['name']}"
            clone["provider"] = base["name"]
            lines.append(clone)
        k += 1
    raw["organisations"] = raw["organisations"][:n_orgs] if n_orgs >= 3 else raw["organisations"]
    return validate_scenario(raw, f"scaled to {n_orgs}")


def bench_orgs(n: int) -> None:
    scenario = load_scenario("default")
    print("\n== growth with organisations (status quo and alliance, ledger off) ==")
    for size in (5, 10, 20, 50):
        try:
            if size < len(scenario.organisations):
                scaled = load_scenario("small_economy")  # the bundled 5-organisation economy
                if len(scaled.organisations) != size:
                    print(f"{size:3d} orgs: no preset of that size")
                    continue
            else:
                scaled = scaled_scenario(scenario, size)
        except Exception as exc:  # noqa: BLE001 - report and go on
            print(f"{size:3d} orgs: could not build ({type(exc).__name__}: {exc})")
            continue
        row = []
        for name in (scaled.scenario.status_quo, "alliance"):
            if name not in scaled.contract_models:
                continue
            try:
                median = statistics.median(time_runs(scaled, name, n))
            except Exception as exc:  # noqa: BLE001
                row.append(f"{name}: failed ({type(exc).__name__}: {exc})")
                continue
            periods = scaled.economy.periods
            row.append(
                f"{name}: {median * 1e3:7.1f} ms "
                f"({median / (periods * size) * 1e6:5.1f} us/period/org)"
            )
        print(f"{size:3d} orgs: " + "; ".join(row))


def bench_periods(n: int) -> None:
    scenario = load_scenario("default")
    print("\n== growth with periods (status quo and alliance, default organisations) ==")
    for periods in (30, 60, 120, 240, 480):
        varied = scenario.with_overrides({"economy.periods": periods})
        cells = []
        for name in (scenario.scenario.status_quo, "alliance"):
            median = statistics.median(time_runs(varied, name, n))
            cells.append(f"{name}: {median * 1e3:7.1f} ms ({median / periods * 1e3:.3f} ms/period)")
        print(f"{periods:4d} periods: " + "; ".join(cells))


def bench_workers(reps: int) -> None:
    scenario = load_scenario("default")
    print(f"\n== runner throughput, {reps} replications x {len(scenario.model_names)} models ==")
    rates = {}
    for workers in (1, 2):
        tasks = plan_tasks([{}], reps, 11, ledger="none")
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            run_tasks(
                tasks,
                scenario,
                tmp,
                workers=workers,
                progress=False,
                root_seed=11,
                ledger_rule="none",
            )
            elapsed = time.perf_counter() - start
        rates[workers] = reps * len(scenario.model_names) / elapsed
        print(f"workers={workers}: {elapsed:6.1f} s, {rates[workers]:6.1f} model-runs/s")
    print(f"speedup 1 -> 2 workers: {rates[2] / rates[1]:.2f}x")


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_memory(runs: int, workers: int) -> None:
    scenario = load_scenario("default")
    print(
        f"\n== memory over a streamed sweep: {runs} replications, workers={workers}, "
        "ledger sample =="
    )
    samples: list[tuple[float, float]] = []
    stop = threading.Event()

    def sample() -> None:
        start = time.perf_counter()
        while not stop.is_set():
            samples.append((time.perf_counter() - start, _rss_mb()))
            stop.wait(0.5)

    thread = threading.Thread(target=sample, daemon=True)
    with tempfile.TemporaryDirectory() as tmp:
        tasks = plan_tasks([{}], runs, 13, ledger="sample")
        thread.start()
        start = time.perf_counter()
        summary = run_tasks(tasks, scenario, tmp, workers=workers, progress=True, root_seed=13)
        elapsed = time.perf_counter() - start
        stop.set()
        thread.join()
        sizes = {p.name: p.stat().st_size / 1e6 for p in Path(tmp).glob("*.parquet")}
    quarter = [rss for t, rss in samples if t >= elapsed * 0.25]
    print(
        f"{summary.n_ok} ok, {summary.n_failed} failed in {elapsed:.0f} s "
        f"({runs * len(scenario.model_names) / elapsed:.1f} model-runs/s)"
    )
    if samples:
        print(
            f"parent RSS: start {samples[0][1]:.0f} MB, at 25% {quarter[0] if quarter else 0:.0f}"
            f" MB, peak {max(r for _, r in samples):.0f} MB, end {samples[-1][1]:.0f} MB"
        )
    print("output sizes (MB): " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(sizes.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs",
        type=int,
        default=10_000,
        help="replications in the long memory sweep (default 10,000)",
    )
    parser.add_argument("--repeat", type=int, default=15, help="timed repeats per measurement")
    parser.add_argument("--speedup-reps", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="workers for the memory sweep")
    parser.add_argument("--only", default="runs,orgs,periods,workers,memory")
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(machine())
    if "runs" in only:
        bench_runs(args.repeat)
    if "orgs" in only:
        bench_orgs(max(3, args.repeat // 3))
    if "periods" in only:
        bench_periods(max(3, args.repeat // 3))
    if "workers" in only:
        bench_workers(args.speedup_reps)
    if "memory" in only:
        bench_memory(args.runs, args.workers)


if __name__ == "__main__":
    main()
