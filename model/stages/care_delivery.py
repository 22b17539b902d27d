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
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alliancesim.model.economy import Delivery
from alliancesim.model.stages import choices

if TYPE_CHECKING:
    from alliancesim.model.simulation import HealthEconomyModel


def deliver(model: HealthEconomyModel, demand: dict[str, float]) -> Delivery:
    """Joint effort moves integration; the economy delivers this period's need; squeezes
    and outcome work move the true outcome; activity against plan is noted."""
    _, _, joint = joint_effort(model)
    model.economy.advance_integration(joint)
    cooperation = {p.name: p.effort for p in model.providers}
    push = {p.name: p.push for p in model.providers}
    capacity = {p.name: p.capacity for p in model.providers}
    alive = [p for p in model.providers if not p.failed]
    quality = sum(p.quality for p in alive) / len(alive) if alive else 0.5
    squeezed = sum(1 for p in model.providers for s in p.squeezing.values() if s)
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
    if squeezed or improved:
        outcome = true_outcome(delivery.outcome_true, squeezed, improved)
        delivery = delivery._replace(outcome_true=outcome)
    plan = model.economy.plan_for(model.period)
    activity = delivery.activity
    model.shiftable_plan = sum([plan[name] for name in model._shiftable_names])
    model.shiftable_done = sum([activity[name] for name in model._shiftable_names])
    model.above_baseline = model.shiftable_done > model.shiftable_plan
    return delivery


def joint_effort(model: HealthEconomyModel) -> tuple[float, float, float]:
    """(community effort, acute cooperation, joint effort E) from this period's choices."""
    shiftable, receiving = choices.weights(model)
    community = sum(w * model.orgs[p].effort for p, w in receiving.items())
    acute = sum(w * model.orgs[p].effort for p, w in shiftable.items())
    floor = model.scenario_spec.behaviour.joint_effort_floor  # a prior (docs/priors.md)
    return community, acute, joint(community, acute, floor)


def joint(community: float, acute: float, floor: float) -> float:
    """Joint effort E: community effort, scaled by the acute side's cooperation above a
    floor, ``community x (floor + (1 - floor) x acute)``."""
    return community * (floor + (1.0 - floor) * acute)


def true_outcome(outcome: float, squeezed: int, improvement: float) -> float:
    """The economy's true outcome after ``squeezed`` squeezes (each costs 0.01: a squeezed
    subcontractor cuts cost and some quality with it, anchors s2.10) and the points the
    providers' outcome work adds (docs/outcomes-based.md), kept in [0, 1]."""
    if squeezed:
        outcome = max(0.0, outcome - 0.01 * squeezed)
    if improvement:
        outcome = min(1.0, outcome + improvement)
    return outcome


def outcome_improvement(model: HealthEconomyModel) -> float:
    """Points the providers' work on the measured outcomes adds to the true outcome:
    sum over providers of weight x gain x f(q) (``decisions.outcome_gain``)."""
    from alliancesim.agents.decisions import outcome_gain

    gain = model.scenario_spec.behaviour.outcome_effort_gain
    return sum(
        choices.outcome_weight(model, p.name) * gain * outcome_gain(p.outcome_effort)
        for p in model.providers
        if p.outcome_effort > 0.0 and not p.failed
    )


def provider_costs(model: HealthEconomyModel, delivery: Delivery) -> dict[str, int]:
    """Fixed (to the yearly plan) + variable (to activity) + integration work, in pence.

    Each provider's cost is summed in floats (activity is fractional) and rounded
    once, half to even; the parts behind it (one a line, and the integration work)
    are kept in ``period_cost_parts`` so that ``booking.delivery_cost_entries`` can
    split the rounded total between them exactly (largest remainder)."""
    costs: dict[str, float] = {p.name: 0.0 for p in model.providers}
    parts: dict[str, dict[tuple[str, str], float]] = {p.name: {} for p in model.providers}
    plan = model.economy.plan_for(model.period)
    activity = delivery.activity
    shocked = model.economy.cost_factors(model.period, model.active_model)  # scheduled
    for name, provider, fixed_unit, variable_unit in model._line_costs:
        line_cost = delivery_cost(fixed_unit, variable_unit, plan[name], activity[name])
        if name in shocked:
            line_cost *= shocked[name]
        costs[provider] += line_cost
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
            if share:
                costs[provider.name] += share * year
                parts[provider.name][item, ""] = share * year
    model.period_cost_parts = parts
    return {name: round(value) for name, value in costs.items()}


def delivery_cost(fixed_unit: float, variable_unit: float, planned: float, done: float) -> float:
    """Pence a line costs its provider in a period: the fixed part of unit cost on the
    units planned (staff and beds are set to the plan) and the variable part on the
    units delivered."""
    return fixed_unit * planned + variable_unit * done


def work_shares(
    effort: float,
    outcome_effort: float,
    gaming: float,
    spend_share: float,
    outcome_cost: float,
    gaming_cost: float,
) -> tuple[float, float, float]:
    """Costs of a provider's choices, as shares of its income a year: integration work
    (effort x ``effort_spend_share``), outcome work (c_q q^2 / 2) and gaming
    (c_g g^2 / 2); docs/odd.md 7.3 and 7.5."""
    return (
        effort * spend_share,
        outcome_cost * outcome_effort**2 / 2,
        gaming_cost * gaming**2 / 2,
    )
