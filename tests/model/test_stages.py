"""The stages of a period as functions of explicit inputs (issue 14).

An ensemble engine will call the same stage rules over arrays of replications; these
tests pin the properties that needs: a rule broadcasts over a leading replication axis
and gives each replication what it gives that replication alone, and settling the
contracts reads its inputs without changing them.
"""

import numpy as np
from alliancesim.agents.provider import Provider
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.model.stages import (
    care_delivery,
    choices,
    contract_year,
    demand_draw,
    observing,
    settling,
)
from alliancesim.scenario import load_preset


def model_at(period: int, contract_model: str = "alliance", seed: int = 5) -> HealthEconomyModel:
    model = HealthEconomyModel(load_preset("default", economy__periods=24), contract_model, seed)
    for _ in range(period):
        model.advance_period()
    return model


def conduct(model: HealthEconomyModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Effort, push (share of its maximum) and capability in trust order, as observe builds
    them."""
    push_max = model.scenario_spec.behaviour.admission_push_max
    orgs = [model.orgs[name] for name in model.trust.names]
    providers = [isinstance(o, Provider) for o in orgs]
    effort = np.array([o.effort if p else 0.0 for o, p in zip(orgs, providers, strict=True)])
    push = np.array([o.push if p else 0.0 for o, p in zip(orgs, providers, strict=True)])
    capability = np.array(
        [0.0 if p else o.capability for o, p in zip(orgs, providers, strict=True)]
    )
    return effort, push / push_max, capability


def test_observation_of_stacked_replications_equals_each_replication_alone():
    """Three replications' conduct stacked on a leading axis: the observation and weight
    matrices of each slice are exactly those of that replication on its own (forums in
    force, so the forum pooling is covered too)."""
    model = model_at(3)
    pattern = observing.observation_pattern(model)
    assert pattern[4] is not None, "the default alliance should have a leadership forum"
    effort, push, capability = conduct(model)
    rng = np.random.default_rng(0)
    efforts = np.clip(effort + rng.uniform(-0.3, 0.3, (3, effort.size)), 0.0, 1.0)
    efforts[:, effort == 0.0] = 0.0  # commissioners (and providers that failed) make none
    assert capability.any()
    pushes = np.stack([push, push * 0.0, np.where(push > 0, 1.0, 0.0)])
    capabilities = np.stack([capability, capability * 0.5, capability])
    contact = model.scenario_spec.behaviour.everyday_contact
    observation, weight = observing.seen_this_period(
        efforts, pushes, capabilities[:, None, :], pattern, contact
    )
    assert observation.shape == weight.shape == (3, effort.size, effort.size)
    for r in range(3):
        alone = observing.seen_this_period(
            efforts[r], pushes[r], capabilities[r][None, :], pattern, contact
        )
        assert np.array_equal(observation[r], alone[0])
        assert np.array_equal(weight[r], alone[1])


def test_observation_from_the_rule_is_what_the_model_observed():
    """The pure rule, fed the model's conduct, gives the matrices the model wrote into
    the trust network this period (no squeeze in the alliance: no broken promises)."""
    model = model_at(4)
    observing.observe(model, None)
    effort, push, capability = conduct(model)
    observation, weight = observing.seen_this_period(
        effort,
        push,
        capability[None, :],
        observing.observation_pattern(model),
        model.scenario_spec.behaviour.everyday_contact,
    )
    assert np.array_equal(model.trust.observation, observation)
    assert np.array_equal(model.trust.weight, weight)


def test_settling_the_contracts_leaves_its_inputs_as_they_were():
    """settle_contracts returns new states and flags; the states it was given, the
    contracts and the inputs are unchanged, so it can be called twice with one answer."""
    model = model_at(11, "outcomes_based")  # the next period is a year end
    delivery = _deliver(model)
    costs = {name: 0 for name in model._line_names_by_provider}
    inputs = settling.period_inputs(model, delivery, costs, 0.6)
    states = dict(model.states)
    before = {name: state for name, state in states.items()}
    first = settling.settle_contracts(model.contracts, states, model.lenient, inputs)
    assert states == before and all(states[n] is before[n] for n in before)
    second = settling.settle_contracts(model.contracts, states, model.lenient, inputs)
    assert first[0] == second[0] and first[2] == second[2]
    assert any(flags.get("year_end") for _, flags in first[2])
    assert first[1] != before  # the period moved the states on


def _deliver(model: HealthEconomyModel):
    """The stages of a period up to delivery, as advance_period runs them."""
    contract_year.open_contract_year(model)
    demand = demand_draw.draw_demand(model)
    choices.decide(model.providers)
    return care_delivery.deliver(model, demand)
