"""Fingerprint the model's exact outputs, to prove a refactor changed no number.

    .venv/bin/python scripts/fingerprint.py save before.json      # on the old tree
    .venv/bin/python scripts/fingerprint.py compare before.json   # on the new tree

Runs every preset under every contract model on seeds 1 and 2, as shipped, with every
behavioural channel off, and with each channel off alone. For each run it hashes the
per-period rows, the events, the totals and each provider's last choices (repr, so a
float must match to the last bit), and, from a second run with the ledger recorded,
the ledger's balances by account and line item. ``compare`` exits 1 and lists the
runs that differ. ``--presets`` and ``--seeds`` narrow it (the whole set takes about
40 s on one core).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from alliancesim.experiments.validation.common import run
from alliancesim.model.payment.ledger import balances
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.scenario import CHANNELS, load_preset, preset_names


def variants(name: str):
    yield "as shipped", load_preset(name)
    yield (
        "all channels off",
        load_preset(name, **{f"behaviour__channels__{c}": False for c in CHANNELS}),
    )
    for channel in CHANNELS:
        yield f"{channel} off", load_preset(name, **{f"behaviour__channels__{channel}": False})


def digest(value: object) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()


def fingerprint(scenario, model_name: str, seed: int) -> dict[str, str | int]:
    model = run(scenario, model_name, seed)
    providers = [
        (p.name, p.effort, p.push, p.outcome_effort, p.gaming, p.failed, p.reserves)
        for p in model.providers
    ]
    full = HealthEconomyModel(scenario, model_name, seed, record_ledger=True).run()
    ledger = sorted(
        balances(
            full.ledger, key=lambda posting, entry: (posting.account, entry.line_item)
        ).items(),
        key=repr,
    )
    return {
        "rows": digest(model.rows),
        "events": digest(model.events),
        "totals": digest(model.totals),
        "providers": digest(providers),
        "rows with the ledger on": digest(full.rows),
        "ledger balances": digest(ledger),
        "ledger entries": len(full.ledger),
    }


def fingerprints(presets: list[str], seeds: list[int]) -> dict[str, dict]:
    found = {}
    for name in presets:
        for variant, scenario in variants(name):
            for model_name in scenario.model_names:
                for seed in seeds:
                    key = f"{name} | {variant} | {model_name} | seed {seed}"
                    found[key] = fingerprint(scenario, model_name, seed)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["save", "compare"])
    parser.add_argument("file", type=Path, help="the fingerprint file (JSON)")
    parser.add_argument("--presets", help="comma-separated presets (default: all)")
    parser.add_argument("--seeds", default="1,2", help="comma-separated seeds (default 1,2)")
    args = parser.parse_args(argv)
    presets = args.presets.split(",") if args.presets else preset_names()
    unknown = sorted(set(presets) - set(preset_names()))
    if unknown:
        print(
            f"--presets: {', '.join(unknown)}; allowed: {', '.join(preset_names())}",
            file=sys.stderr,
        )
        return 2
    seeds = [int(s) for s in args.seeds.split(",")]
    found = fingerprints(presets, seeds)
    if args.mode == "save":
        args.file.write_text(json.dumps(found, indent=1, sort_keys=True))
        print(f"saved {len(found)} runs to {args.file}")
        return 0
    if not args.file.exists():
        print(f"{args.file}: no such fingerprint file; make one with 'save'", file=sys.stderr)
        return 2
    before = json.loads(args.file.read_text())
    differ = [key for key, value in found.items() if key in before and before[key] != value]
    missing = sorted(set(before) - set(found))
    print(
        f"compared {len(found)} runs with {len(before)} saved: {len(differ)} differ, "
        f"{len(missing)} saved runs not run now"
    )
    for key in differ[:20]:
        changed = [field for field, v in found[key].items() if before[key].get(field) != v]
        print(f"  differs: {key}: {', '.join(changed)}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
