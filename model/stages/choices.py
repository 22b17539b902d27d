"""Stage 3 of a period: decisions. Each provider chooses integration effort, admission
push, outcome work, gaming and whether to squeeze its subcontractors
(``Provider.decide_effort``, rules in ``agents/decisions.py``), all on what it saw last
period; the choices are then revealed together (simultaneous moves, MODEL.md s3a).

This module holds what those decisions read from the economy and the contracts:

- ``period_shift_base``: what every provider's effort calculation shares in a period
  (demand, let-go and sensitivity of the shift; partners' last cooperation);
- ``effort_units`` / ``marginal_returns``: units each line gains or loses per unit of a
  provider's effort as it expects them (partners' cooperation weighted by its trust), and
  the marginal profit, system saving and outcome slope that follow under its terms;
- ``expected_cooperation``: tie x trust x last cooperation (MODEL.md s3b);
- ``outcome_stakes`` / ``outcome_weight`` / ``outcome_money_per_point``: the outcome money
  a provider has at stake this contract year and what a point of the index brings it.

Inputs: the contracts in force and each provider's ``views`` of them, last period's
cooperation, the trust matrix, the economy's plan and integration. Outputs: each
provider's ``effort``, ``push``, ``outcome_effort``, ``gaming``, ``squeezing`` and
(revealed) ``cooperation``. Caches on the model (``_shift_base``, ``_line_margins``,
``_line_templates``, ``_weights``, ``_weights_for``, ``_stakes``, ``_per_point``,
``_ties``) are keyed to the contract set or views (and period, year or attainment) they
were built for.

Randomness: none here; a squeeze draws from the SQUEEZE stream in ``agents/provider.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from alliancesim.agents.decisions import tied_cooperation
from alliancesim.agents.incentives import (
    LineShift,
    commissioner_price,
    line_margin,
    share_of_saving,
)
from alliancesim.model.economy import let_go, shift_fraction, shift_sensitivity
from alliancesim.model.elementwise import everywhere, is_array, select
from alliancesim.model.payment.terms import annual_value, contract_value

if TYPE_CHECKING:
    from alliancesim.agents.provider import Provider
    from alliancesim.model.simulation import HealthEconomyModel

OUTCOME_TARGET_UPLIFT = 1.1  # outcome targets ask for 10% better than the base outcome


class OutcomeStake(NamedTuple):
    """A provider's outcome money in a contract year (``outcome_stakes``)."""

    stake: float  # pence a year that move per unit of attainment
    leniency: float  # its belief that the commissioner pays regardless
    payer: str  # the commissioner holding most of it: audits it, and is trusted or not


class ShiftBase(NamedTuple):
    """Per-period parts of the effort calculation shared by every provider."""

    period: int
    sensitivity: float  # d shift fraction / d integration at the current integration
    own_share: float  # share of its own avoidable demand a provider lets go by cooperating
    shiftable: tuple[tuple[LineShift, float, float], ...]  # (template, demand, let-go)
    receiving: tuple[tuple[LineShift, float], ...]  # (template, share of extra contacts)
    # (name, trust index, value weight, cooperation last period) of each group's providers
    receiving_partners: tuple[tuple[str, int, float, float], ...]
    shiftable_partners: tuple[tuple[str, int, float, float], ...]
    templates: tuple[LineShift, ...]  # shiftable lines, then receiving lines


def decide(providers: list[Provider]) -> None:
    """Every provider decides on what it saw last period, then all choices are revealed
    at once: cooperation is this period's effort (simultaneous moves)."""
    for provider in providers:
        provider.decide_effort()  # each reads what the others did last period
    for provider in providers:
        provider.cooperation = provider.effort  # revealed together: simultaneous moves


def group_weights(model: HealthEconomyModel) -> tuple[dict[str, float], dict[str, float]]:
    """Value shares of providers in shiftable and in receiving care."""
    shiftable: dict[str, float] = {}
    receiving: dict[str, float] = {}
    for line in model.economy.lines:
        value = line.planned_per_year * line.unit_cost_pence
        if line.shiftable:
            shiftable[line.provider] = shiftable.get(line.provider, 0.0) + value
        elif line.receiving:
            receiving[line.provider] = receiving.get(line.provider, 0.0) + value
    return normalise(shiftable), normalise(receiving)


def weights(model: HealthEconomyModel) -> tuple[dict[str, float], dict[str, float]]:
    """Value shares of providers in shiftable and in receiving care (kept for the run)."""
    if model._weights is None:
        model._weights = group_weights(model)
    return model._weights


def effort_units(model: HealthEconomyModel, provider: Provider) -> tuple[list[float], float]:
    """Units a year each line gains (+) or loses (-) per unit of this provider's effort,
    as the provider expects them (others' effort weighted by its trust), in the
    order of ``period_shift_base`` (shiftable lines, then receiving lines); and the
    slope of the outcome index in its effort (``expected_units``)."""
    spec = model.scenario_spec.economy
    shiftable, receiving = weights(model)
    name = provider.name
    base = model._shift_base
    if base is None or base.period != model.period:
        base = period_shift_base(model)
    return expected_units(
        base,
        name,
        provider.effort,
        model.trust.row(name),
        shiftable.get(name, 0.0),
        receiving.get(name, 0.0),
        model.scenario_spec.behaviour.joint_effort_floor,  # as in joint_effort
        spec.contacts_per_avoided_unit,
        spec.outcome_gain_from_integration,
    )


def expected_units(
    base: ShiftBase,
    name: str,
    own: float,
    trust: np.ndarray,
    shiftable_weight: float,
    receiving_weight: float,
    floor: float,
    contacts_per_avoided_unit: float,
    outcome_gain: float,
) -> tuple[list[float], float]:
    """The rule behind ``effort_units``, on explicit inputs: the period's shared base, the
    provider's name, its own effort, its row of trust, its value weights in shiftable and
    in receiving care, the joint-effort floor (a prior), the community contacts an avoided
    unit brings and the outcome gain per unit of integration.

    It expects of each partner its cooperation last period weighted by its trust (its
    own effort for itself); one more unit of its effort moves joint effort E by
    ``d_joint`` (the derivative of ``care_delivery.joint``), the shift fraction by the
    sensitivity times that, and its own lines by what it lets go itself.

    Array-capable: with ``own``, ``base.sensitivity`` and the partners' cooperation as
    arrays over replications and ``trust`` indexed partner first (``trust[index]`` an
    array over replications), every unit and the slope come out as such arrays."""
    # what it expects of partners: their cooperation last period, weighted by its trust
    expect_community = 0.0
    for partner, index, w, cooperation in base.receiving_partners:
        expect_community += w * (cooperation * trust[index] if partner != name else own)
    expect_acute = 0.0
    for partner, index, w, cooperation in base.shiftable_partners:
        expect_acute += w * (cooperation * trust[index] if partner != name else own)
    d_joint = receiving_weight * (floor + (1.0 - floor) * expect_acute) + (
        (1.0 - floor) * shiftable_weight * expect_community
    )
    d_fraction = base.sensitivity * d_joint
    units: list[float] = []
    avoided = 0.0
    for template, demand, released in base.shiftable:
        moved = demand * (
            d_fraction * released + (base.own_share if template.provider == name else 0.0)
        )
        avoided += moved
        units.append(-moved)
    extra = avoided * contacts_per_avoided_unit
    for _template, share in base.receiving:
        units.append(extra * share)
    return units, outcome_gain * d_joint


def effort_shifts(model: HealthEconomyModel, provider: Provider) -> tuple[list[LineShift], float]:
    """``effort_units`` as one :class:`LineShift` per line (the readable form the
    incentive rules and the teaching notebooks use)."""
    units, slope = effort_units(model, provider)
    templates = period_shift_base(model).templates
    return [with_units(t, u) for t, u in zip(templates, units, strict=True)], slope


def marginal_returns(
    model: HealthEconomyModel, provider: Provider
) -> tuple[float, float, float, float]:
    """Per unit of the provider's effort, pence a year: its marginal profit under its
    contract terms (``incentives.marginal_profit``, from per-line margins prepared
    once per contract set), the system cost it saves, the outcome slope, and the part
    of the marginal profit that is its gain or pain share of the pooled result."""
    units, slope = effort_units(model, provider)
    total = saving = system = 0.0
    for moved, (margin, price, unit_cost) in zip(
        units, line_margins(model, provider.name), strict=True
    ):
        total += moved * margin
        saving -= moved * price
        system -= moved * unit_cost
    view = model.views[provider.name]
    pooled = share_of_saving(view, saving) * saving
    return total + pooled, system, slope, pooled


def line_margins(model: HealthEconomyModel, name: str) -> tuple[tuple[float, float, float], ...]:
    """(its margin, commissioners' price, unit cost) per line, in effort_units order."""
    above = model.above_baseline
    if is_array(above):  # replications on either side of the baseline: elementwise
        return margins_for(model, name, above)
    # kept for both sides of the baseline, which activity crosses back and forth
    cache = getattr(model, "_line_margins", None)
    if cache is None or cache[0] is not model.contracts:
        cache = model._line_margins = (model.contracts, {})
    key = (name, above)
    margins = cache[1].get(key)
    if margins is None:
        margins = cache[1][key] = margins_for(model, name, above)
    return margins


def margins_for(
    model: HealthEconomyModel, name: str, above_baseline: Any
) -> tuple[tuple[Any, float, float], ...]:
    """``line_margins`` on one side of the baseline (or each replication on its own)."""
    view = model.views[name]
    return tuple(
        (
            line_margin(name, view, t.provider, t.line, t.variable_cost, above_baseline),
            t.commissioner_price,
            t.unit_cost,
        )
        for t in period_shift_base(model).templates
    )


def period_shift_base(model: HealthEconomyModel) -> ShiftBase:
    """What every provider's effort calculation shares in a period (computed once)."""
    cached = model._shift_base
    if cached is not None and cached.period == model.period:
        return cached
    spec = model.scenario_spec.economy
    floor = model.scenario_spec.behaviour.let_go_floor  # a prior (docs/priors.md)
    integration = model.economy.integration
    growth = (1.0 + spec.demand_trend) ** (model.period / model.periods_per_year)
    templates = line_templates(model)
    shiftable = tuple(
        (
            templates[line.name],
            line.planned_per_year * growth,
            let_go(model.orgs[line.provider].cooperation, floor),
        )
        for line in model.economy.lines
        if line.shiftable
    )
    receiving = tuple(
        (templates[name], share) for name, share in model.economy.receiving_share.items()
    )
    index = model.trust.index
    shiftable_weights, receiving_weights = weights(model)
    model._shift_base = ShiftBase(
        model.period,
        shift_sensitivity(integration, spec),
        # its own effort lets go of the rest on its own lines: d let_go / d cooperation
        (1.0 - floor) * shift_fraction(integration, spec),
        shiftable,
        receiving,
        tuple((p, index[p], w, model.orgs[p].cooperation) for p, w in receiving_weights.items()),
        tuple((p, index[p], w, model.orgs[p].cooperation) for p, w in shiftable_weights.items()),
        tuple(t for t, _, _ in shiftable) + tuple(t for t, _ in receiving),
    )
    return model._shift_base


def line_templates(model: HealthEconomyModel) -> dict[str, LineShift]:
    """A LineShift per line with units 0, rebuilt when the contracts change."""
    cache = getattr(model, "_line_templates", None)
    if cache is None or cache[0] is not model.contracts:
        terms = {p.line: p.terms for c in model.contracts for p in c.payments}
        templates = {}
        for line in model.economy.lines:
            owner = model.orgs[line.provider]
            variable = (1.0 - owner.fixed_cost_share) * line.unit_cost_pence
            templates[line.name] = LineShift(
                line.name,
                0.0,
                float(line.unit_cost_pence),
                variable,
                line.provider,
                commissioner_price(terms.get(line.name), variable),
            )
        cache = model._line_templates = (model.contracts, templates)
    return cache[1]


def expected_cooperation(model: HealthEconomyModel, provider: Provider) -> float:
    """The cooperation it expects of its partners, weighted by its tie to each:
    sum over partners of tie x trust x their last cooperation (MODEL.md s3b). The tie
    is the financial tie plus the relational tie (``ProviderContractView.ties``);
    a partner with neither counts for nothing."""
    ties = provider_ties(model, provider.name)
    if not ties:
        return 0.0
    trust, index, orgs = model.trust.row(provider.name), model.trust.index, model.orgs
    return tied_cooperation(
        [(tie, trust[index[p]], orgs[p].cooperation, orgs[p].failed) for p, tie in ties.items()]
    )


def provider_ties(model: HealthEconomyModel, name: str) -> dict[str, float]:
    """``ProviderContractView.ties`` of a provider, kept while its views stand (they
    change only with the contracts, and the relational tie is a prior of the run)."""
    cached = model._ties
    if cached[0] is not model.views:
        cached = model._ties = (model.views, {})
    ties = cached[1].get(name)
    if ties is None:
        relational_tie = model.scenario_spec.behaviour.relational_tie
        ties = cached[1][name] = model.views[name].ties(relational_tie)
    return ties


def outcome_weight(model: HealthEconomyModel, name: str) -> float:
    """A provider's weight in the outcome index: the share of the value of the
    cohort's care it is answerable for, its own lines and those it holds the
    contract for and subcontracts (a lead or prime runs the whole pathway)."""
    cached = model._weights_for
    if cached[0] is not model.contracts:
        total = sum(model._line_values.values()) or 1.0
        own = {line.name: line.provider for line in model.economy.lines}
        weights = {
            p.name: sum(
                value
                for line, value in model._line_values.items()
                if own[line] == p.name or line in model.views[p.name].pays_for
            )
            / total
            for p in model.providers
        }
        cached = model._weights_for = (model.contracts, weights)
    return cached[1].get(name, 0.0)


def outcome_stakes(model: HealthEconomyModel) -> dict[str, OutcomeStake]:
    """Per provider, the outcome money this contract year: pence a year that move per
    unit of attainment, the leniency it expects, and the commissioner paying it.

    Read from the terms: a withhold is its share of the provider's payments, a pot
    the provider's split of the pot; times the share at risk this year
    (``at_risk_by_year``) and the payment's slope in attainment (2 where pain equals
    gain about a neutral 0.5). Computed once per contract set and year."""
    year = model.period // model.periods_per_year
    cached = model._stakes
    if cached[0] is model.contracts and cached[1] == year:
        return cached[2]
    stakes: dict[str, OutcomeStake] = {}
    for terms in model.contracts:
        outcome = terms.outcome
        share = terms.withhold_share(year)
        if outcome is None or share <= 0.0:
            continue
        risk = outcome.at_risk_by_year
        at_risk = risk[min(year, len(risk) - 1)] if risk else 1.0
        slope = 1.0
        if outcome.pain_equals_gain and outcome.mode == "pot":
            slope = 1.0 / max(1e-9, 1.0 - outcome.neutral_attainment)
        parts: dict[str, tuple[float, str]] = {}
        if outcome.mode == "withhold":
            for payment in terms.payments:
                value, _ = parts.get(payment.provider, (0.0, payment.payer))
                parts[payment.provider] = (
                    value + share * annual_value(payment.terms),
                    payment.payer,
                )
        else:
            pot = share * (terms.reference_value_pence or contract_value(terms))
            split = dict(outcome.split) or normalise(
                {
                    p: sum(annual_value(x.terms) for x in terms.payments if x.provider == p)
                    for p in {x.provider for x in terms.payments}
                }
            )
            for name, part in split.items():
                parts[name] = (pot * part, terms.commissioners[0])
        for name, (value, payer) in parts.items():
            stake = value * at_risk * slope
            new = OutcomeStake(0, outcome.leniency, payer)
            old = stakes.get(name, OutcomeStake(0.0, outcome.leniency, payer))
            # leniency and payer of its largest part; the stakes add up
            keep_old = old.stake >= stake
            if is_array(keep_old) and (old.leniency, old.payer) != (new.leniency, new.payer):
                # which commissioner pays most of it may differ between replications
                keep_old = everywhere(keep_old) or model.diverges(
                    keep_old, "another commissioner pays most of a provider's outcome money"
                )
            largest = old if everywhere(keep_old) else new
            stakes[name] = largest._replace(stake=old.stake + stake)
    model._stakes = (model.contracts, year, stakes)
    return stakes


def outcome_money_per_point(model: HealthEconomyModel, name: str) -> float:
    """Pence a year one more point of the outcome index brings a provider:
    ``(1 - l) x stake x d E[paid share] / d A / target`` (MODEL.md s3a), with the
    attainment it expects taken from last period's."""
    # the same for the whole period (stakes by contract set and year, last period's
    # attainment): computed once per provider, kept until one of them changes
    year = model.period // model.periods_per_year
    cached = model._per_point
    if not (
        cached[0] is model.contracts and cached[1] == year and cached[2] is model.last_attainment
    ):
        cached = model._per_point = (model.contracts, year, model.last_attainment, {})
    value = cached[3].get(name)
    if value is None:
        value = cached[3][name] = money_per_point(model, name)
    return value


def money_per_point(model: HealthEconomyModel, name: str) -> float:
    """What ``outcome_money_per_point`` computes (it keeps the result for the period)."""
    from alliancesim.agents.decisions import attainment_slope, outcome_money_per_point

    stake = outcome_stakes(model).get(name)
    if stake is None or (not is_array(stake.stake) and stake.stake <= 0.0):
        return 0.0
    spec = model.scenario_spec
    slope = attainment_slope(model.last_attainment, spec.behaviour.attainment_belief_sd)
    target = OUTCOME_TARGET_UPLIFT * spec.economy.outcome_base
    value = outcome_money_per_point(stake.stake, stake.leniency, slope, target)
    return select(stake.stake > 0.0, value, 0.0) if is_array(stake.stake) else value


def with_units(template: LineShift, units: float) -> LineShift:
    """``template`` with ``units`` set (direct construction: ``_replace`` is 3x slower)."""
    line, _, unit_cost, variable_cost, provider, price = template
    return LineShift(line, units, unit_cost, variable_cost, provider, price)


def normalise(values: dict[str, float]) -> dict[str, float]:
    """Values as shares of their sum; empty when the sum is not positive (values may be
    arrays over replications: then the sum must be positive in every one)."""
    total = sum(values.values())
    if is_array(total) and not everywhere(total > 0):
        raise NotImplementedError("shares of a sum that is not positive in some replications")
    return {k: v / total for k, v in values.items()} if everywhere(total > 0) else {}
