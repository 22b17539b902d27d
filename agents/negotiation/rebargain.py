"""Rebargaining the savings target mid-contract, with the trust the parties hold today.

When the envelope's demand trigger fires (seed 000 L1113) or at renewal, the governance asks
the model to reopen the target; the same Zeuthen rounds run between the commissioners and
the members still in the risk share, on the run's rebargaining stream.
"""

from __future__ import annotations

from typing import Any

from alliancesim.agents.negotiation.from_scenario import (
    economics_from_scenario,
    parties_from_scenario,
    proposal_from_spec,
    scope_values,
)
from alliancesim.agents.negotiation.talks import Negotiation
from alliancesim.model import streams


def parties_from_model(model: Any) -> dict[str, Any]:
    """The parties as they stand in a running model: today's trust and reserves."""
    scenario = model.scenario_spec
    return parties_from_scenario(
        scenario,
        scope_values(scenario),
        trust=lambda a, b: model.orgs[a].trust_in(b),
        reserves={name: org.reserves for name, org in model.orgs.items()},
    )


def rebargain_target(model: Any, spec: Any) -> float:
    """Rebargain the savings target mid-contract (a trigger fired, or renewal).

    The same Zeuthen rounds, between the commissioners and the members still in
    the risk share, with the trust they hold today; the rounds cost staff time
    like any negotiation. Returns the new target (the old one if no zone of
    agreement is left).
    """
    scenario = model.scenario_spec
    parties = parties_from_model(model)
    providers = [p.name for p in model.providers if not p.failed]
    proposal = proposal_from_spec(
        model.active_model, spec, providers, any(c.subcontracts for c in model.contracts)
    )
    params = scenario.negotiation.with_status_quo(scenario.scenario.status_quo)
    rng = model.streams(streams.REBARGAIN, model.contract_model)
    talks = Negotiation(proposal, parties, economics_from_scenario(scenario), params, rng)
    talks.month = 0.0
    talks.members = [m for m in proposal.members if m in providers]
    shares = spec.risk_share.shares
    talks.risk_members = [m for m in talks.members if isinstance(shares, dict) and m in shares] or [
        m for m in talks.members if parties[m].may_bear_losses
    ]
    talks.outcome_share = 0.0  # the envelope, not the outcome scheme, is reopened
    old = spec.risk_share.target_savings
    talks.target = old
    talks.bargain()
    for name, cost in talks.cost.items():
        model.charge_transaction_cost(name, cost)
    for event in talks.events:
        model.record_event(event["actor"], event["kind"], event["text"], month=event["month"])
    return talks.target if talks.risk_members else old
