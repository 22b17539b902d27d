"""Stage 4 of a period: delivery. The providers' joint effort moves integration; the
economy delivers this period's need through the providers' capacity, cooperation and
admission push (``HealthEconomy.deliver``); squeezes and outcome work move the true
outcome; and each provider's cost of the period is worked out.

Inputs: the need drawn this period, each provider's effort, push, capacity, quality,
outcome effort and gaming (decided this period), the squeeze flags, the economy's plan
and cost shocks, the behaviour priors (``let_go_floor``, ``joint_effort_floor``,
``effort_spend_share``, ``outcome_effort_cost``, ``gaming_cost``, ``outcome_effort_gain``).
Outputs: the ``Delivery`` (activity by line, avoided units, true outcome); on the model
``shiftable_plan``, ``shiftable_done``, ``above_baseline`` (activity crossed the plan) and
``period_cost_parts``; ``provider_costs`` returns whole pence per provider.

Rules: joint effort E = community x (floor + (1 - floor) x acute) (a prior,
docs/priors.md); a squeezed subcontractor cuts cost and some quality with it (anchors
s2.10); work on the measured outcomes raises the true outcome (docs/outcomes-based.md);
cost = fixed share to plan + variable share to activity + integration work, outcome
work (c_q q^2 / 2) and gaming (c_g g^2 / 2), summed in floats and rounded once a
provider, half to even. Randomness: none.

Over R replications at once (the ensemble engine, issue 14) a provider's effort, push,
capacity, quality, outcome effort, gaming and squeeze flags may be arrays (R,), and so
are the integration, the Delivery's values, ``above_baseline`` (bool), the cost parts
and the costs (int64 pence, each rounded as Python's ``round`` rounds its float).
``failed`` stays a bool: replications stepped together never differ on it. Sums keep
the agent model's order and Python's float ``sum`` (``elementwise.total``), so each
replication's numbers are the agent model's to the bit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alliancesim.model.economy import Delivery
from alliancesim.model.elementwise import (
    ARRAY,
    anywhere,
    count,
    is_array,
    maximum,
    minimum,
    power,
    select,
    total,
)
from alliancesim.model.payment.pence import round_pence
from alliancesim.model.stages import choices

if TYPE_CHECKING:
    from alliancesim.model.simulation import HealthEconomyModel


def deliver(model: HealthEconomyModel, demand: dict[str, Any]) -> Delivery:
    """Joint effort moves integration; the economy delivers this period's need; squeezes
    and outcome work move the true outcome; activity against plan is noted."""
    _, _, joint = joint_effort(model)
    model.economy.advance_integration(joint)
    cooperation = {p.name: p.effort for p in model.providers}
    push = {p.name: p.push for p in model.providers}
    capacity = {p.name: p.capacity for p in model.providers}
    alive = [p for p in model.providers if not p.failed]
    quality = total(p.quality for p in alive) / len(alive) if alive else 0.5
    squeezed = count(s for p in model.providers for s in p.squeezing.values())
    delivery = model.economy.deliver(
        model.period,
        demand,
        cooperation,
        push,
        capacity,
        quality,
        let_go_floor=model.scenario_spec.behaviour.let_go_floor,
    )
    improved = outcome_improvement(model)
    if anywhere(squeezed) or anywhere(improved):
        outcome = true_outcome(delivery.outcome_true, squeezed, improved)
        delivery = delivery._replace(outcome_true=outcome)
    plan = model.economy.plan_for(model.period)
    activity = delivery.activity
    model.shiftable_plan = total([plan[name] for name in model._shiftable_names])
    model.shiftable_done = total([activity[name] for name in model._shiftable_names])
    model.above_baseline = model.shiftable_done > model.shiftable_plan
    return delivery


def joint_effort(model: HealthEconomyModel) -> tuple[Any, Any, Any]:
    """(community effort, acute cooperation, joint effort E) from this period's choices."""
    shiftable, receiving = choices.weights(model)
    community = total([w * model.orgs[p].effort for p, w in receiving.items()])
    acute = total([w * model.orgs[p].effort for p, w in shiftable.items()])
    floor = model.scenario_spec.behaviour.joint_effort_floor  # a prior (docs/priors.md)
    return community, acute, joint(community, acute, floor)


def joint(community: Any, acute: Any, floor: float) -> Any:
    """Joint effort E: community effort, scaled by the acute side's cooperation above a
    floor, ``community x (floor + (1 - floor) x acute)``."""
    return community * (floor + (1.0 - floor) * acute)


def true_outcome(outcome: Any, squeezed: Any, improvement: Any) -> Any:
    """The economy's true outcome after ``squeezed`` squeezes (each costs 0.01: a squeezed
    subcontractor cuts cost and some quality with it, anchors s2.10) and the points the
    providers' outcome work adds (docs/outcomes-based.md), kept in [0, 1]. Each step
    applies only where there is something to apply (a replication at a time)."""
    if anywhere(squeezed):
        outcome = select(squeezed != 0, maximum(0.0, outcome - 0.01 * squeezed), outcome)
    if anywhere(improvement):
        outcome = select(improvement != 0.0, minimum(1.0, outcome + improvement), outcome)
    return outcome


def outcome_improvement(model: HealthEconomyModel) -> Any:
    """Points the providers' work on the measured outcomes adds to the true outcome:
    sum over providers of weight x gain x f(q) (``decisions.outcome_gain``), over those
    with some outcome effort (on arrays a provider without adds 0.0 in that replication,
    which leaves Python's float sum of the others unchanged)."""
    from alliancesim.agents.decisions import outcome_gain

    gain = model.scenario_spec.behaviour.outcome_effort_gain
    terms = []
    for p in model.providers:
        working = p.outcome_effort > 0.0
        # anywhere(working), inline: this runs for every provider every period
        if p.failed or not (working.any() if isinstance(working, ARRAY) else working):
            continue
        term = choices.outcome_weight(model, p.name) * gain * outcome_gain(p.outcome_effort)
        terms.append(select(working, term, 0.0))
    return total(terms)


def provider_costs(model: HealthEconomyModel, delivery: Delivery) -> dict[str, Any]:
    """Fixed (to the yearly plan) + variable (to activity) + integration work, in pence.

    Each provider's cost is summed in floats (activity is fractional) and rounded
    once, half to even; the parts behind it (one a line, and the integration work)
    are kept in ``period_cost_parts`` so that ``booking.delivery_cost_entries`` can
    split the rounded total between them exactly (largest remainder). On arrays a
    work item some replications do not do is a part of 0.0 there (it takes no pence)."""
    costs: dict[str, Any] = {p.name: 0.0 for p in model.providers}
    parts: dict[str, dict[tuple[str, str], Any]] = {p.name: {} for p in model.providers}
    plan = model.economy.plan_for(model.period)
    activity = delivery.activity
    shocked = model.economy.cost_factors(model.period, model.active_model)  # scheduled
    for name, provider, fixed_unit, variable_unit in model._line_costs:
        line_cost = delivery_cost(fixed_unit, variable_unit, plan[name], activity[name])
        if name in shocked:
            line_cost = line_cost * shocked[name]
        costs[provider] = costs[provider] + line_cost  # a new value: arrays are not shared
        parts[provider]["delivery_cost", name] = line_cost
    behaviour = model.scenario_spec.behaviour
    for provider in model.providers:
        # integration work, outcome work (c_q q^2 / 2) and gaming (c_g g^2 / 2), shares
        # of its income a year
        year = provider.annual_income / model.periods_per_year
        shares = work_shares(
            provider.effort,
            provider.outcome_effort,
            provider.gaming,
            behaviour.effort_spend_share,
            behaviour.outcome_effort_cost,
            behaviour.gaming_cost,
        )
        for item, share in zip(("integration_work", "outcome_work", "gaming"), shares, strict=True):
            if isinstance(share, ARRAY):  # replications: where any does the work
                if share.any():
                    doing = share != 0.0
                    cost = costs[provider.name]
                    costs[provider.name] = select(doing, cost + share * year, cost)
                    parts[provider.name][item, ""] = select(doing, share * year, 0.0)
            elif share:  # the same rule on one replication, without the selects' cost
                costs[provider.name] = costs[provider.name] + share * year
                parts[provider.name][item, ""] = share * year
    model.period_cost_parts = parts
    if is_array(*costs.values()):
        return {name: round_pence(value) for name, value in costs.items()}
    return {name: round(value) for name, value in costs.items()}  # round_pence on floats


def delivery_cost(fixed_unit: float, variable_unit: float, planned: Any, done: Any) -> Any:
    """Pence a line costs its provider in a period: the fixed part of unit cost on the
    units planned (staff and beds are set to the plan) and the variable part on the
    units delivered."""
    return fixed_unit * planned + variable_unit * done


def work_shares(
    effort: Any,
    outcome_effort: Any,
    gaming: Any,
    spend_share: float,
    outcome_cost: float,
    gaming_cost: float,
) -> tuple[Any, Any, Any]:
    """Costs of a provider's choices, as shares of its income a year: integration work
    (effort x ``effort_spend_share``), outcome work (c_q q^2 / 2) and gaming
    (c_g g^2 / 2); docs/odd.md 7.3 and 7.5."""
    if isinstance(outcome_effort, ARRAY) or isinstance(gaming, ARRAY):
        q2, g2 = power(outcome_effort, 2), power(gaming, 2)  # CPython's pow on each
    else:
        q2, g2 = outcome_effort**2, gaming**2  # what power() does, without two calls
    return (effort * spend_share, outcome_cost * q2 / 2, gaming_cost * g2 / 2)
