"""Benchmark of the payment primitives on arrays of replications (a script, not a test).

    .venv/bin/python benchmarks/bench_primitives.py
    .venv/bin/python benchmarks/bench_primitives.py --sizes 1,100,1000 --repeat 3
    .venv/bin/python benchmarks/bench_primitives.py --only agent   # the agent model's share

For each hot primitive of the per-period settlement, the cost per replication
of one call on arrays of R replications (the ensemble engine's form) against a
Python loop of R calls on numbers (the agent model's form), at R = 1, 100,
1,000 and 10,000. Both forms run the same function on the same inputs; the
script checks their results agree before timing.

``--only agent`` measures what the primitives cost the agent model: it records
every primitive call one run of the default preset makes under each contract
model, then replays those calls and reports milliseconds per run. Record the
figures in docs/performance.md with the state of the machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

import numpy as np
from alliancesim.experiments.replication import run_model
from alliancesim.model.payment import primitives as p
from alliancesim.scenario import load_preset
from bench_runs import machine  # the same machine line as the run benchmarks

MEMBERS = {"la": 0.4, "mh_trust": 0.4, "vcs_a": 0.1, "vcs_b": 0.1}


def inputs(r: int, seed: int = 1) -> dict[str, np.ndarray]:
    """Plausible per-replication inputs of one month of one contract (prior ranges)."""
    rng = np.random.default_rng(seed)
    return {
        "price": rng.integers(50_000, 300_000, r),  # a tariff of GBP 500-3,000
        "activity": rng.normal(100.0, 15.0, r),
        "before": rng.uniform(0.0, 1_200.0, r),
        "target": rng.integers(10**9, 3 * 10**9, r),
        "spend": rng.integers(9 * 10**8, 33 * 10**8, r),
        "attainment": rng.uniform(0.0, 1.0, r),
        "amount": rng.integers(-(10**8), 10**8, r),
        "deficit_a": rng.integers(0, 10**7, r),
        "deficit_b": rng.integers(0, 10**7, r),
        "deficit_c": rng.integers(0, 10**7, r),
        "cost_a": rng.uniform(10**6, 3 * 10**8, r),  # cost parts in (fractional) pence
        "cost_b": rng.uniform(10**5, 10**8, r),
    }


#: name -> a call of the primitive on a dict of inputs (arrays or one row's numbers)
PRIMITIVES: dict[str, Callable[[dict], object]] = {
    "tariff_payment": lambda x: p.tariff_payment(x["price"], x["activity"]),
    "marginal_rate_payment": lambda x: p.marginal_rate_payment(
        x["price"], x["before"], x["activity"], 1_000.0, 0.3
    ),
    "block_instalment": lambda x: p.block_instalment(x["target"], 5, 12),
    "blended_payment": lambda x: p.blended_payment(
        x["target"], x["price"], x["activity"], 100.0, 0.2
    ),
    "outcome share + payment": lambda x: p.outcome_payment(
        x["amount"], p.outcome_paid_share(x["attainment"], quality_gate=0.5, at_risk=0.625)
    ),
    "pain_share (corridor) + cap": lambda x: p.cap_pain(
        p.pain_share(x["target"], x["spend"], 0.5, [(1.03, 0.25)]), 5 * 10**7
    ),
    "gain_share (band, cap)": lambda x: p.gain_share(
        x["target"], x["target"] - x["spend"], 1.0, [(0.95, 0.5)], 10**8
    ),
    "allocate 4 (term weights)": lambda x: p.allocate(x["amount"], MEMBERS),
    "allocate 3 (pence weights)": lambda x: p.allocate(
        x["amount"], {"a": x["deficit_a"], "b": x["deficit_b"], "c": x["deficit_c"]}
    ),
    # the agent model's cost split: float weights per replication. Two of
    # them sum exactly as fsum does; with three, the rows whose first addition
    # rounds (most) fall back to math.fsum row by row
    "allocate 2 (float weights)": lambda x: p.allocate(
        x["amount"], {"delivery": x["cost_a"], "integration": x["cost_b"]}
    ),
    "allocate 3 (float weights)": lambda x: p.allocate(
        x["amount"], {"a": x["cost_a"], "b": x["cost_b"], "c": x["cost_a"] * 0.3}
    ),
    "net_off 3 members": lambda x: p.net_off(
        {"a": x["deficit_a"] - x["deficit_b"], "b": x["deficit_b"], "c": -x["deficit_c"]}
    ),
}


def rows(x: dict[str, np.ndarray]) -> list[dict]:
    """One dict of Python numbers per replication (the scalar path's inputs)."""
    columns = {k: v.tolist() for k, v in x.items()}
    return [{k: columns[k][i] for k in columns} for i in range(len(x["price"]))]


def best_of(repeat: int, call: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def check_agree(name: str, together: object, alone: list) -> None:
    """The array call's rows equal the scalar calls (a guard, the tests are the proof)."""
    if isinstance(together, tuple):
        together = together[0]
        alone = [a[0] for a in alone]
    if isinstance(together, list):  # transfers: (payer, payee, amounts)
        rows = [
            [(a, b, int(amount[i])) for a, b, amount in together if amount[i] != 0]
            for i in range(len(alone))
        ]
        if rows != alone:
            raise SystemExit(f"{name}: array and scalar results differ")
        return
    if isinstance(together, dict):
        for key in together:
            if together[key].tolist() != [a[key] for a in alone]:
                raise SystemExit(f"{name}: array and scalar results differ for {key}")
        return
    if np.asarray(together).tolist() != alone:
        raise SystemExit(f"{name}: array and scalar results differ")


def bench(sizes: list[int], repeat: int) -> None:
    print(
        f"\n{'primitive':28s} {'R':>6s} {'array us/rep':>13s} {'loop us/rep':>12s} {'speed-up':>9s}"
    )
    for name, call in PRIMITIVES.items():
        for r in sizes:
            x = inputs(r)
            one_by_one = rows(x)
            check_agree(name, call(x), [call(row) for row in one_by_one])
            array_time = best_of(repeat, lambda: call(x)) / r  # noqa: B023
            loop_time = best_of(repeat, lambda: [call(row) for row in one_by_one]) / r  # noqa: B023
            print(
                f"{name:28s} {r:6d} {array_time * 1e6:13.3f} {loop_time * 1e6:12.3f} "
                f"{loop_time / array_time:8.1f}x"
            )


def record_agent_calls() -> tuple[list, int]:
    """Every primitive call of one default run per contract model, as (name, args, kwargs)."""
    functions = {
        name: value
        for name, value in vars(p).items()
        if callable(value) and getattr(value, "__module__", "") == p.__name__
    }
    calls: list = []

    def recording(name: str, function: Callable) -> Callable:
        def call(*args, **kwargs):
            calls.append((name, args, kwargs))
            return function(*args, **kwargs)

        return call

    patched = []  # (module, attribute, original) for every module that imported a primitive
    for module in list(sys.modules.values()):
        if not getattr(module, "__name__", "").startswith("alliancesim.") or module is p:
            continue
        for attribute, value in list(vars(module).items()):
            for name, function in functions.items():
                if value is function:
                    patched.append((module, attribute, value))
                    setattr(module, attribute, recording(name, function))
    scenario = load_preset("default")
    try:
        for model_name in scenario.model_names:
            run_model(scenario, model_name, 1, ledger=False)
    finally:
        for module, attribute, value in patched:
            setattr(module, attribute, value)
    return calls, len(scenario.model_names)


def bench_agent(repeat: int) -> None:
    calls, runs = record_agent_calls()
    print(f"\n== the agent model's primitive calls: default preset, {runs} contract models ==")
    counts: dict[str, int] = {}
    for name, _, _ in calls:
        counts[name] = counts.get(name, 0) + 1
    for name in sorted(counts, key=lambda n: -counts[n])[:6]:
        subset = [c for c in calls if c[0] == name]
        replay = [(getattr(p, n), a, k) for n, a, k in subset]
        spent = best_of(repeat, lambda: [f(*a, **k) for f, a, k in replay])  # noqa: B023
        print(f"{name:28s} {counts[name] / runs:7.1f} calls/run {spent / runs * 1e3:8.3f} ms/run")
    replay = [(getattr(p, n), a, k) for n, a, k in calls]
    spent = best_of(repeat, lambda: [f(*a, **k) for f, a, k in replay])
    label = "all primitives"
    print(f"{label:28s} {len(calls) / runs:7.1f} calls/run {spent / runs * 1e3:8.3f} ms/run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,100,1000,10000", help="replications per call")
    parser.add_argument("--repeat", type=int, default=5, help="timed repeats (the best is kept)")
    parser.add_argument("--only", default="arrays,agent", help="arrays, agent or both")
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(machine())
    if "arrays" in only:
        bench([int(s) for s in args.sizes.split(",")], args.repeat)
    if "agent" in only:
        bench_agent(args.repeat)


if __name__ == "__main__":
    main()
