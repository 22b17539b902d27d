"""The contract between the two engines: the ensemble engine's runs equal the agent
model's, seed by seed (issue 14).

- integers (pence, counts, periods) and text exactly, and of the same type;
- floats to 1e-9 relative (1e-12 absolute near zero);
- events (failures, exits, negotiations, governance), the totals, the exit log, each
  provider's reserves and debts at the end, and the ledger when it is recorded.

    python -m alliancesim.model.ensemble.equivalence [--presets NAME ...] [--seeds N] [--priors]

checks every shipped preset and contract model (or those named) on seeds 1..N and
prints each difference found; the test suite runs it (``tests/model/test_ensemble*``).
``--priors`` gives every replication its own value of every prior (``random_priors``,
drawn in each prior's plausible range from a fixed seed): the ensemble holds them as
arrays over replications, and each is checked against the agent model's run of its own
scenario.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from alliancesim.model.ensemble.runs import run_many
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.scenario import PRIOR_FIELDS, Scenario, load_preset, preset_names

RELATIVE = 1e-9
ABSOLUTE = 1e-12
PRIORS_SEED = 14  # the fixed seed of ``--priors``' values (issue 14)


def differences(expected: Any, actual: Any, where: str = "") -> Iterator[str]:
    """Where two results differ (type, length, value), first to last."""
    if type(expected) is not type(actual):
        yield f"{where}: {type(expected).__name__} {expected!r} vs {type(actual).__name__} {actual!r}"
    elif isinstance(expected, float):
        if not (
            expected == actual
            or (math.isnan(expected) and math.isnan(actual))
            or abs(expected - actual) <= max(RELATIVE * abs(expected), ABSOLUTE)
        ):
            yield f"{where}: {expected!r} vs {actual!r}"
    elif isinstance(expected, dict):
        if list(expected) != list(actual):
            yield f"{where}: keys {sorted(set(expected) ^ set(actual))} differ"
        for key in expected:
            if key in actual:
                yield from differences(expected[key], actual[key], f"{where}.{key}")
    elif isinstance(expected, list | tuple):
        if len(expected) != len(actual):
            yield f"{where}: {len(expected)} items vs {len(actual)}"
        for i, (a, b) in enumerate(zip(expected, actual, strict=False)):
            yield from differences(a, b, f"{where}[{i}]")
    elif expected != actual:
        yield f"{where}: {expected!r} vs {actual!r}"


def outputs(run: Any) -> dict[str, Any]:
    """What the two engines must agree on, of one finished run."""
    return dict(
        rows=run.rows,
        events=run.events,
        totals=run.totals,
        exit_log=run.exit_log,
        n_failed=run.n_failed,
        reserves={p.name: p.reserves for p in run.providers},
        debts=run.debts_at_end(),
        ledger=[tuple(entry) for entry in run.ledger],
    )


def random_priors(size: int, seed: int = PRIORS_SEED) -> dict[str, list[Any]]:
    """Every prior's value for each of ``size`` replications, drawn uniformly in its
    plausible range (``prior_range``; whole numbers for an integer prior) from ``seed``."""
    rng = random.Random(seed)
    priors: dict[str, list[Any]] = {}
    for key, (spec, name) in sorted(PRIOR_FIELDS.items()):
        field = spec.model_fields[name]
        low, high = field.json_schema_extra["prior_range"]
        if field.annotation is int:
            priors[key] = [rng.randint(int(low), int(high)) for _ in range(size)]
        else:
            priors[key] = [rng.uniform(low, high) for _ in range(size)]
    return priors


def compare(
    scenario: Scenario,
    contract_model: str,
    seeds: Sequence[int],
    record_ledger: bool = False,
    priors: Mapping[str, Sequence[Any]] | None = None,
) -> tuple[list[str], dict[int, tuple[int, str]]]:
    """Differences between the engines on each seed (at most 5 a seed), and which
    replications the agent model finished (``run_many``'s departures). ``priors``
    (``run_many``'s): seed r is checked against the agent model's run of the scenario
    with those priors set to their r-th values."""
    many = run_many(scenario, contract_model, seeds, record_ledger=record_ledger, priors=priors)
    found: list[str] = []
    for index, (seed, run) in enumerate(zip(seeds, many.runs, strict=True)):
        own = scenario
        if priors:
            own = scenario.with_overrides({k: v[index] for k, v in priors.items()})
        agent = HealthEconomyModel(own, contract_model, seed, record_ledger=record_ledger)
        agent.run()
        for n, line in enumerate(differences(outputs(agent), outputs(run))):
            if n == 5:
                break
            found.append(f"seed {seed}: {line}")
    return found, many.departures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m alliancesim.model.ensemble.equivalence", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--presets", nargs="*", default=None, help="presets (default: all)")
    parser.add_argument("--models", nargs="*", default=None, help="contract models (default: all)")
    parser.add_argument("--seeds", type=int, default=4, help="seeds 1..N (default 4)")
    parser.add_argument("--ledger", action="store_true", help="record and compare the ledger")
    parser.add_argument(
        "--priors",
        action="store_true",
        help="every replication its own value of every prior (drawn from a fixed seed)",
    )
    args = parser.parse_args(argv)
    priors = random_priors(args.seeds) if args.priors else None
    bad = 0
    for preset in args.presets or preset_names():
        scenario = load_preset(preset)
        for name in args.models or list(scenario.contract_models):
            if name not in scenario.contract_models:
                continue
            try:
                found, departures = compare(
                    scenario,
                    name,
                    range(1, args.seeds + 1),
                    record_ledger=args.ledger,
                    priors=priors,
                )
            except Exception as error:  # noqa: BLE001 - a report of every case, not the first
                found, departures = [f"error: {type(error).__name__}: {error}"], {}
            bad += bool(found)
            status = "identical" if not found else f"{len(found)} differences"
            left = f", {len(departures)} finished by the agent model" if departures else ""
            print(f"{preset} / {name}: {status}{left}")
            for line in found[:10]:
                print(f"    {line}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
