"""A negotiation set up from a scenario: the proposal, the parties and the economics.

Reads a contract model's spec (its terms, never its name), the organisations as the
scenario starts them, and the spread of a year's spend; :func:`negotiate_scenario` runs the
negotiation alone, on the stream and canonical order the full model would use (for the
validation patterns about negotiation: no 120-period simulation needed).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from alliancesim.agents.negotiation.agreement import Agreement
from alliancesim.agents.negotiation.inputs import Economics, Party, Proposal
from alliancesim.agents.negotiation.talks import negotiate
from alliancesim.model import streams
from alliancesim.model.ordering import canonical_scenario


def proposal_from_spec(
    model_name: str, spec: Any, providers: Iterable[str], lead_pays_members: bool = False
) -> Proposal:
    """The commissioner's opening design, read from a contract model spec.

    ``lead_pays_members``: the contracts the spec builds pass the members' money through
    a lead's subcontracts (:func:`subcontracted`)."""
    rs = spec.risk_share
    members = tuple(spec.members) if spec.members else tuple(providers)
    if spec.lead and spec.lead not in members:
        members = (spec.lead, *members)
    outcome = max(spec.outcome.withhold_by_year) if spec.outcome else 0.0
    return Proposal(
        model_name=model_name,
        vehicle=str(spec.vehicle),
        members=members,
        lead=spec.lead,
        has_risk_share=rs is not None,
        gain_share=rs.provider_gain_share if rs else 0.0,
        pain_share=rs.provider_pain_share if rs else 0.0,
        target_savings=rs.target_savings if rs else 0.0,
        outcome_share=outcome,
        duration_years=spec.duration_years,
        lead_capitation=spec.lead is not None and spec.lead_payment == "capitation",
        overlay_fallback=spec.governance.overlay_fallback,
        lead_pays_members=lead_pays_members,
    )


def subcontracted(scenario: Any, model_name: str, spec: Any = None) -> bool:
    """Whether the contracts a model's spec builds (year 0) hold subcontracts: read from
    who pays whom in the terms, not from the vehicle's name."""
    from alliancesim.model.contracts import ContractBuilder
    from alliancesim.model.economy import ServiceLine

    population = scenario.economy.population
    lines = [ServiceLine.from_spec(s, population) for s in scenario.economy.service_lines]
    contracts = ContractBuilder(scenario, lines).build(model_name, 0, spec=spec)
    return any(c.subcontracts for c in contracts)


def economics_from_scenario(scenario: Any) -> Economics:
    """Spread of a year's spend against plan: demand noise, outside shocks and the
    uncertainty of what integration saves (judgement, NegotiationSpec)."""
    economy = scenario.economy
    params = scenario.negotiation
    ppy = economy.periods_per_year
    demand_var = economy.noise**2 / ppy + economy.shock_hazard * ppy * (economy.shock_size / 2) ** 2
    spend_sd = math.sqrt(demand_var + params.saving_uncertainty**2)
    dq = scenario.trust.data_quality
    return Economics(
        savings_belief=params.savings_belief,
        spend_sd=spend_sd,
        baseline_sd=params.baseline_error * (1.0 - dq),
        data_quality=dq,
    )


def scenario_trust(scenario: Any) -> Callable[[str, str], float]:
    """Initial trust between two organisations, as the model's network sets it."""
    spec = scenario.trust
    commissioners = {o.name for o in scenario.organisations if o.is_commissioner}
    pairs = {(p.source, p.target): p.value for p in spec.pairs}

    def trust(source: str, target: str) -> float:
        if (source, target) in pairs:
            return pairs[(source, target)]
        crosses = (source in commissioners) != (target in commissioners)
        if crosses and spec.commissioner_provider is not None:
            return spec.commissioner_provider
        return spec.initial

    return trust


def parties_from_scenario(
    scenario: Any,
    value_by_org: dict[str, int],
    trust: Callable[[str, str], float] | None = None,
    reserves: dict[str, int] | None = None,
) -> dict[str, Party]:
    """Parties as the scenario starts them (``trust`` and ``reserves`` may come from agents)."""
    trust = trust or scenario_trust(scenario)
    names = [o.name for o in scenario.organisations]
    parties = {}
    for org in scenario.organisations:
        parties[org.name] = Party(
            name=org.name,
            kind=org.kind.value,
            is_commissioner=org.is_commissioner,
            value_pence=value_by_org.get(org.name, 0),
            reserves_pence=(reserves or {}).get(org.name, org.reserves_pence),
            risk_appetite=0.0 if org.is_commissioner else org.trait("risk_appetite"),
            incentive_weight=0.0 if org.is_commissioner else org.trait("incentive_weight"),
            may_bear_losses=True if org.is_commissioner else org.trait("may_bear_losses"),
            control_total=False if org.is_commissioner else org.trait("control_total"),
            leniency=org.leniency,
            shares_risk=org.shares_risk,
            trust={n: trust(org.name, n) for n in names if n != org.name},
            prior_evidence=scenario.trust.prior_evidence,
            failure_floor=0.0 if org.is_commissioner else -org.trait("failure_threshold"),
            behaviour=scenario.behaviour,
        )
    return parties


def scope_values(scenario: Any) -> dict[str, int]:
    """Annual value at plan of each organisation's lines (commissioners: what they pay)."""
    values: dict[str, int] = {o.name: 0 for o in scenario.organisations}
    population = scenario.economy.population
    for line in scenario.economy.service_lines:
        value = round(population * line.demand_per_1000_per_year / 1000.0 * line.unit_cost_pence)
        values[line.provider] += value
        values[line.commissioner] += value
    return values


def negotiate_scenario(scenario: Any, model_name: str, seed: int) -> Agreement:
    """The negotiation phase alone, on the same stream (and the same canonical order
    of the scenario) the full model would use.

    For validation patterns about negotiation: no 120-period simulation needed.
    """
    scenario = canonical_scenario(scenario)
    rng = streams.stream(seed, streams.NEGOTIATION, model_name)
    spec = scenario.contract_models[model_name]
    providers = [o.name for o in scenario.organisations if not o.is_commissioner]
    parties = parties_from_scenario(scenario, scope_values(scenario))
    return negotiate(
        proposal_from_spec(model_name, spec, providers, subcontracted(scenario, model_name)),
        parties,
        economics_from_scenario(scenario),
        scenario.negotiation.with_status_quo(scenario.scenario.status_quo),
        rng,
    )
