"""A fake scenario and replication function with a known structure, for runner tests.

They live in an importable module (not a test file) so loky and Dask workers can
unpickle them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
from alliancesim.experiments.replication import ReplicationResult

MODELS = ("status_quo", "alliance", "lead_provider")
EFFECT = {"status_quo": 0.0, "alliance": -30.0, "lead_provider": -10.0}


@dataclass(frozen=True)
class FakeScenario:
    params: dict = field(
        default_factory=lambda: {"trust.initial": 0.6, "economy.demand_trend": 0.03}
    )
    name: str = "fake"
    periods: int = 12

    def with_overrides(self, overrides: dict, source: str = "--set") -> FakeScenario:
        unknown = [k for k in overrides if k not in self.params]
        if unknown:
            raise ValueError(f"{source}: unknown keys {unknown}")
        return FakeScenario({**self.params, **overrides}, self.name, self.periods)


def fake_replication(scenario, seed, replication=0, models=None, ledger=True):
    """Rows like the real interface: common random numbers across models."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=scenario.periods)  # shared by every model: CRN
    trust0 = scenario.params.get("trust.initial", 0.6)
    trend = scenario.params.get("economy.demand_trend", 0.03)
    result = ReplicationResult()
    for model in models or MODELS:
        own = np.random.default_rng([seed, MODELS.index(model)]).normal(size=scenario.periods)
        spend = 1000 + 1000 * trend * np.arange(scenario.periods) + 20 * common + 5 * own
        spend = spend + EFFECT[model] * trust0
        trust = np.clip(trust0 + 0.01 * np.cumsum(own), 0, 1)
        for period in range(scenario.periods):
            result.periods.append(
                {
                    "scenario": scenario.name,
                    "contract_model": model,
                    "replication": replication,
                    "seed": seed,
                    "period": period,
                    "spend_pence": int(spend[period] * 100),
                    "outcome_true": float(0.5 + 0.01 * own[period]),
                    "mean_trust": float(trust[period]),
                }
            )
            if ledger:
                result.ledger.append(
                    {
                        "contract_model": model,
                        "period": period,
                        "contract": model,
                        "line_item": "block",
                        "payer": "ccg",
                        "payee": "acute",
                        "amount": int(spend[period] * 100),
                        "rule": "block",
                        "note": "",
                    }
                )
        result.runs.append(
            {
                "scenario": scenario.name,
                "contract_model": model,
                "replication": replication,
                "seed": seed,
                "spend_pence": int(spend.sum() * 100),
                "outcome_true": float(0.5 + 0.01 * own.mean()),
                "mean_trust": float(trust.mean()),
                "provider_deficits": int(own.min() < -2),
                "failures": 0,
            }
        )
        result.events.append({"contract_model": model, "period": 0, "event": "signed"})
    return result


def failing_replication(scenario, seed, replication=0, models=None, ledger=True):
    """Fails on replication 2 of every point; otherwise the fake."""
    if replication == 2:
        raise RuntimeError("provider balance sheet went NaN")
    return fake_replication(scenario, seed, replication, models, ledger)


def slow_replication(scenario, seed, replication=0, models=None, ledger=True):
    """The fake, slowed so a subprocess can be killed mid-sweep."""
    import time

    time.sleep(float(os.environ.get("FAKE_DELAY", "0.02")))
    return fake_replication(scenario, seed, replication, models, ledger)


class Interrupting:
    """A replicate that simulates a kill (KeyboardInterrupt) after ``k`` calls."""

    def __init__(self, k: int):
        self.k = k
        self.calls = 0

    def __call__(self, scenario, seed, replication=0, models=None, ledger=True):
        self.calls += 1
        if self.calls > self.k:
            raise KeyboardInterrupt
        return fake_replication(scenario, seed, replication, models, ledger)


# ---------------------------------------------------------------- channels
CHANNEL_KEYS = (
    "payment_incentive",
    "reciprocity",
    "system_benefit",
    "admission_push",
    "gaming",
    "risk_aversion",
)


@dataclass(frozen=True)
class ChannelFakeScenario:
    """A fake scenario with the ``behaviour.channels.*`` switches and a status quo."""

    params: dict = field(
        default_factory=lambda: {f"behaviour.channels.{c}": True for c in CHANNEL_KEYS}
    )
    name: str = "channel_fake"

    def with_overrides(self, overrides: dict, source: str = "--set") -> ChannelFakeScenario:
        unknown = [k for k in overrides if k not in self.params]
        if unknown:
            raise ValueError(f"{source}: unknown keys {unknown}")
        return ChannelFakeScenario({**self.params, **overrides}, self.name)

    def on(self, channel: str) -> float:
        return 1.0 if self.params[f"behaviour.channels.{channel}"] else 0.0


#: Spend (pounds) each switch takes off a model's spend; known effects for the tests.
#: alliance: reciprocity 30, payment incentive 10, and 5 more when both are on (an
#: interaction); admission push adds 8 to the status quo's spend and 2 to the alliance's.
#: Both models also differ by 4 with every channel off (no channel).
def channel_fake_spend(scenario: ChannelFakeScenario, model: str) -> float:
    rec, pay, push = (
        scenario.on(c) for c in ("reciprocity", "payment_incentive", "admission_push")
    )
    if model == "status_quo":
        return 1000.0 + 8 * push
    return 1000.0 - 4 - 30 * rec - 10 * pay - 5 * rec * pay + 2 * push


def channel_fake_replication(scenario, seed, replication=0, models=None, ledger=True):
    """Spend = known channel effects + noise common to every model and knock-out of a seed."""
    noise = float(np.random.default_rng(seed).normal(scale=20.0))
    result = ReplicationResult()
    for model in models or ("status_quo", "alliance"):
        result.runs.append(
            {
                "scenario": scenario.name,
                "contract_model": model,
                "replication": replication,
                "seed": seed,
                "spend_pence": round((channel_fake_spend(scenario, model) + noise) * 100),
            }
        )
    return result
