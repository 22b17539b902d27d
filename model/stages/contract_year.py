"""Stage 1 of a period: the contract year (MODEL.md s3; docs/odd.md 3).

At the first period of each contract year (after the first) the economy re-plans its
activity on last year's outturn and the contracts in force are rebuilt for the year;
every period, scheduled shocks starting or ending are logged, failure floors are set and
each commissioner's monitoring capability moves.

Inputs: the period, last year's output rows, the active contract model and its terms
(``active_model``, ``active_spec``), which providers have failed, the contract builder.
Outputs (on the model): ``contracts``, settlement ``states`` carried over, ``views`` (what
each provider's contracts say to it), ``contract_values``, ``at_distance``, ``lenient``
and each provider's planned ``annual_income``; events for shocks.

Randomness: one draw per contract and contract year from the LENIENCY stream, keyed to
the contract's name and year (``start_contracts``). Rules: a failed lead takes its
contract down (the status quo returns); a pooled member is not a holder on its own
(seed 000 L1702); commissioner capability decays behind a lead (seed 001, domain
notes s4.1).

Also here: the terms changes the alliance's governance makes between years
(``remove_member``, ``renegotiate_target``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from alliancesim.agents.incentives import provider_views
from alliancesim.model import streams
from alliancesim.model.elementwise import is_array, maximum, total
from alliancesim.model.payment.pence import round_pence, where
from alliancesim.model.payment.settlement import SettlementState
from alliancesim.model.payment.terms import Basis, ContractTerms, contract_value, holds_array

if TYPE_CHECKING:
    from alliancesim.agents.incentives import ProviderContractView
    from alliancesim.model.contracts import ContractBuilder
    from alliancesim.model.simulation import HealthEconomyModel
    from alliancesim.scenario import Scenario

HELD_BASES = frozenset({Basis.BLOCK, Basis.CAPITATION})  # bases a holder is paid a fixed sum


def open_contract_year(model: HealthEconomyModel) -> None:
    """Re-plan and rebuild the contracts at a new contract year; log scheduled shocks
    that start or end; set failure floors; commissioners' capability moves."""
    if model.period > 0 and model.period % model.periods_per_year == 0:
        last_year = model.rows[-model.periods_per_year :]
        model.economy.replan(
            {
                line.name: total(r["activity__" + line.name] for r in last_year)
                for line in model.economy.lines
            },
            {
                line.name: total(r["planned__" + line.name] for r in last_year)
                for line in model.economy.lines
            },
        )
        start_contracts(model, model.period // model.periods_per_year)
    for change, shock in model.economy.shocks_changing(model.period):
        if shock.contract_models and model.active_model not in shock.contract_models:
            continue  # a cost of other contract models' structure: none here
        model.record_event(
            "economy",
            f"shock_{change.removesuffix('s')}",
            f"scheduled {shock.kind} shock '{shock.name}' {change}: "
            f"{shock.size:+.1%} on {', '.join(shock.lines)}",
            shock=shock.name,
            shock_kind=shock.kind,
            size=shock.size,
            lines=",".join(shock.lines),
        )
    set_failure_floors(model)
    at_distance = {c for c, _ in model.at_distance}  # commissioners paying through a lead
    for commissioner in model.commissioners:
        # capability decays while it pays for care through a lead it cannot see into
        commissioner.monitor(commissioner.name in at_distance)


def set_failure_floors(model: HealthEconomyModel) -> None:
    """A new vehicle fails against its own reserves while it holds a contract of the
    model in force; otherwise (status quo, or after a handback) as its kind does."""
    holders = contract_holders(model)
    lead = lead_name(model)
    for provider in model.providers:
        if provider.spec.new_vehicle:
            holds = provider.name == lead or provider.name in holders
            provider.failure_threshold = provider.spec.failure_floor(holds)


def start_contracts(model: HealthEconomyModel, year: int) -> None:
    """Build (or refresh) the contracts in force for a contract year."""
    failed = frozenset(p.name for p in model.providers if p.failed)
    contracts = contracts_for_year(
        model.builder, model.scenario_spec, model.active_model, model.active_spec, failed, year
    )
    model.contracts: tuple[ContractTerms, ...] = contracts
    old = getattr(model, "states", {})
    model.states = {c.name: carry_state(old.get(c.name), c, year) for c in contracts}
    model.contract_values = {c.name: contract_value(c) for c in contracts}
    names = [p.name for p in model.providers]
    model.views = provider_views(
        contracts, names, year, model.scenario_spec.behaviour.renewal_belief
    )
    for provider in model.providers:
        provider.annual_income = planned_income(model.views[provider.name])
        provider.year_income = provider.year_cost = 0
    model.at_distance = commissioner_distance(contracts)
    # one draw per contract and contract year, keyed to its name (a rebuild after a
    # failure keeps the year's draw); a contract with no leniency is never lenient, and
    # skipping its draw changes no other draw (each is a stream of its own)
    model.lenient = {
        c.name: leniency(c) > 0.0
        and model.streams.draw(streams.LENIENCY, f"{c.name}@{year}") < leniency(c)
        for c in contracts
    }


def leniency(contract: ContractTerms) -> float:
    """The chance a contract's commissioner pays its outcome money regardless (0 without
    an outcome payment)."""
    return contract.outcome.leniency if contract.outcome else 0.0


def contracts_for_year(
    builder: ContractBuilder,
    scenario: Scenario,
    active_model: str,
    active_spec: Any,
    failed: frozenset[str],
    year: int,
) -> tuple[ContractTerms, ...]:
    """The contracts in force in a contract year: the active contract model's (its
    negotiated or amended terms, ``active_spec``) without the providers that failed; the
    status quo's when a failed lead took its contract down. Replications with the same
    inputs get the same contracts."""
    model_name = active_model
    if failed and builder_needs_fallback(scenario, model_name, failed):
        model_name = scenario.scenario.status_quo
    spec = active_spec if model_name == active_model else None
    contracts = builder.build(model_name, year, failed, spec=spec)
    if failed and scenario.contract_models[model_name].contracts:
        contracts = tuple(c for c in (without(c, failed) for c in contracts) if c)
    return contracts


def planned_income(view: ProviderContractView) -> Any:
    """Pence a year a provider's contracts pay it at plan (at least 1): activity x price
    on priced lines, else the fixed sum, else rate per head x reference population (an
    ``int``, or ``int64`` per replication when the terms' numbers are arrays)."""
    value = sum(line_income_at_plan(t) for t in view.paid_for.values())
    return maximum(1, value)


def line_income_at_plan(t: Any) -> Any:
    """One line's part of :func:`planned_income`; row by row on per-replication terms."""
    activity, fixed = t.planned_activity, t.annual_value_pence
    per_head = t.rate_per_head_pence
    if not (is_array(activity) or is_array(fixed) or is_array(per_head)):
        return (
            round(activity * t.price_pence)
            if t.price_pence and activity
            else fixed or per_head * t.reference_population
        )
    fixed = where(fixed != 0, fixed, per_head * t.reference_population)
    if not t.price_pence:
        return fixed
    return where(activity != 0, round_pence(activity * t.price_pence), fixed)


def builder_needs_fallback(scenario: Scenario, model_name: str, failed: frozenset[str]) -> bool:
    """A failed lead takes its contract down: the commissioner contracts directly again."""
    spec = scenario.contract_models[model_name]
    return spec.lead is not None and spec.lead in failed


def without(terms: ContractTerms, failed: frozenset[str]) -> ContractTerms | None:
    """The terms with failed providers taken out (payments, members, subcontracts,
    outcome split and risk shares renormalised); None when no payment is left."""
    payments = tuple(p for p in terms.payments if p.provider not in failed)
    if not payments:
        return None
    members = tuple(m for m in terms.members if m not in failed)
    update: dict[str, Any] = {
        "payments": payments,
        "members": members,
        "subcontracts": tuple(s for s in terms.subcontracts if s.subcontractor not in failed),
    }
    if terms.outcome is not None and terms.outcome.split:
        kept = {k: v for k, v in terms.outcome.split.items() if k not in failed}
        total = sum(kept.values())
        update["outcome"] = terms.outcome.model_copy(
            update={"split": {k: v / total for k, v in kept.items()} if total else {}}
        )
    if terms.risk_share is not None:
        rs = terms.risk_share
        gain = renormalise(rs.gain_shares, failed)
        pain = renormalise(rs.pain_shares, failed)
        update["risk_share"] = rs.model_copy(
            update={
                "gain_shares": gain,
                "pain_shares": pain,
                "excluded": tuple(e for e in rs.excluded if e not in failed),
            }
        )
    if holds_array(terms) or holds_array(update):
        # per-replication figures (issue 14): a scalar check would refuse the arrays;
        # the structure was checked when the terms were built
        return terms.model_copy(update=update)
    return ContractTerms.model_validate(
        {
            **terms.model_dump(),
            **{k: (v.model_dump() if hasattr(v, "model_dump") else v) for k, v in update.items()},
        }
    )


def contract_holders(model: HealthEconomyModel) -> dict[str, list[ContractTerms]]:
    """Providers paid a fixed sum (block or capitation, a lead's whole scope included)
    under the active contract model's own contracts, with those contracts. None under
    the status quo (the counterfactual the commissioner falls back on) or under terms
    given in full. A member of a contract with a pooled risk share is not a holder on
    its own (its losses are shared by the risk share and the alliance's governance,
    seed 000 L1702), unless it is the lead, which holds the whole scope's money."""
    cached = getattr(model, "_holders", None)
    if cached is not None and cached[0] is model.contracts:
        return cached[1]
    active = model.active_model
    holders: dict[str, list[ContractTerms]] = {}
    own = (
        active != model.scenario_spec.scenario.status_quo
        and model.active_spec is not None
        and not model.active_spec.contracts
    )
    for terms in model.contracts if own else ():
        name = terms.name
        if not (name == active or name.startswith(active + ":")):
            continue
        if name.startswith(active + ":outside"):
            continue
        for payment in terms.payments:
            pooled = terms.risk_share is not None and payment.provider != terms.lead
            if payment.terms.basis in HELD_BASES and not pooled:
                held = holders.setdefault(payment.provider, [])
                if not any(t is terms for t in held):  # identity: terms may hold arrays
                    held.append(terms)
    model._holders = (model.contracts, holders)
    return holders


def lead_name(model: HealthEconomyModel) -> str | None:
    """The lead provider of the contracts in force, if any."""
    return next((c.lead for c in model.contracts if c.lead), None)


def remove_member(model: HealthEconomyModel, name: str) -> None:
    """A member leaves or is excluded: from next contract year its lines return to
    bilateral status-quo contracts."""
    spec = model.active_spec
    if spec is None or spec.members is not None and name not in spec.members:
        return
    members = tuple(m for m in model.builder.members(spec) if m != name)
    update: dict[str, Any] = {"members": members}
    if spec.risk_share is not None:
        rs = spec.risk_share
        shares = rs.shares if isinstance(rs.shares, dict) else None
        if shares is not None:
            shares = {k: v for k, v in shares.items() if k != name}
            total = sum(shares.values())
            shares = {k: v / total for k, v in shares.items()} if total else None
        update["risk_share"] = (
            rs.model_copy(
                update={
                    "shares": shares,
                    "excluded": tuple(e for e in rs.excluded if e != name),
                }
            )
            if shares
            else None
        )
    model.active_spec = spec.model_copy(update=update)


def renegotiate_target(model: HealthEconomyModel) -> float:
    """Rebargain the savings target (at a trigger or renewal) with today's trust."""
    from alliancesim.agents.negotiation import rebargain_target

    spec = model.active_spec
    if spec is None or spec.risk_share is None:
        return 0.0
    target = rebargain_target(model, spec)
    model.active_spec = spec.model_copy(
        update={"risk_share": spec.risk_share.model_copy(update={"target_savings": target})}
    )
    return target


def carry_state(
    previous: SettlementState | None, terms: ContractTerms, contract_year: int
) -> SettlementState:
    """Settlement state for terms built at a refresh or after a member failed."""
    if previous is None:
        return SettlementState.start(terms)._replace(contract_year=contract_year)
    return previous.refreshed(terms, contract_year)


def commissioner_distance(contracts: tuple[ContractTerms, ...]) -> frozenset[tuple[str, str]]:
    """(commissioner, provider) pairs where the commissioner pays for the provider's care
    only through a lead: the provider is paid under a subcontract and the commissioner
    pays it nothing directly. The commissioner sees such a provider at a distance and,
    while it has one, its capability decays (seed 001 in the domain notes s4.1: a lead
    left as a "black box"). Computed from who pays whom, not from the vehicle's name."""
    direct = {(p.payer, p.provider) for c in contracts for p in c.payments}
    commissioners = {p.payer for c in contracts for p in c.payments}
    behind_lead = {s.subcontractor for c in contracts for s in c.subcontracts}
    return frozenset((c, p) for c in commissioners for p in behind_lead if (c, p) not in direct)


def renormalise(shares: dict[str, Any], failed: frozenset[str]) -> dict[str, Any]:
    """Shares without the failed organisations, as shares of what is left (per
    replication on arrays: 0.0 in a replication with nothing left, where one replication
    alone has no shares)."""
    kept = {k: v for k, v in shares.items() if k not in failed}
    if is_array(*kept.values()):  # Python's compensated float sum, row by row
        whole = total(kept.values())
        positive = whole > 0
        whole = np.where(positive, whole, 1.0)
        return {k: np.where(positive, v / whole, 0.0) for k, v in kept.items()}
    kept_total = sum(kept.values())
    return {k: v / kept_total for k, v in kept.items()} if kept_total > 0 else {}
