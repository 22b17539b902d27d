"""Stage 5 of a period: settlement. The period's delivery is handed to the payment core
(``model/payment/settlement.py``, ``settle_period``), which settles every contract in force
and returns journal entries; nothing here computes money.

Inputs: the ``Delivery``, each provider's cost this period (``care_delivery.provider_costs``),
the reported outcome (true outcome plus what gaming adds past each payer's audit,
``agents/decisions.reported_outcome``) as attainment against a target 10% above the base
outcome, need against the plan's expectation (the demand trigger), the squeeze flags, each
contract's leniency draw of this year (``contract_year.start_contracts``) and its
``SettlementState``. Outputs: the period's journal entries (posted later, in booking);
on the model the new ``states``, ``contract_flags`` (``flags``), ``period_costs``,
``outcome_reported``, ``last_attainment`` and the year-end ``totals`` (gain, pain,
outcome money paid and at stake).

Randomness: none (the leniency draw is made once a contract year).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from alliancesim.model.economy import Delivery
from alliancesim.model.elementwise import ARRAY, clip, is_array, total
from alliancesim.model.payment.ledger import JournalEntry
from alliancesim.model.payment.settlement import (
    PeriodInputs,
    ProviderActuals,
    SettlementState,
    settle_period,
)
from alliancesim.model.payment.terms import ContractTerms
from alliancesim.model.stages import care_delivery, choices
from alliancesim.model.stages.choices import OUTCOME_TARGET_UPLIFT

if TYPE_CHECKING:
    from alliancesim.model.simulation import HealthEconomyModel


def settle(model: HealthEconomyModel, delivery: Delivery) -> list[JournalEntry]:
    """The payment core settles every contract in force; nothing here computes money."""
    costs = care_delivery.provider_costs(model, delivery)
    model.period_costs = costs
    reported = reported_outcome(model, delivery.outcome_true)
    model.outcome_reported = reported
    attained = model.last_attainment = attainment(model, reported)
    inputs = period_inputs(model, delivery, costs, attained)
    entries, states, contract_flags = settle_contracts(
        model.contracts, model.states, model.lenient, inputs
    )
    model.states.update(states)
    model.contract_flags = contract_flags
    for _name, result_flags in contract_flags:
        if result_flags.get("year_end"):
            for key, value in result_flags.items():
                tally_flag(model, key, value)
    return entries


def period_inputs(
    model: HealthEconomyModel, delivery: Delivery, costs: dict[str, int], attained: float
) -> PeriodInputs:
    """What the payment core needs of this period: activity and cost per provider,
    attainment, population, need against plan (the demand trigger) and squeezes."""
    activity = delivery.activity
    actuals = {
        name: ProviderActuals({line: activity[line] for line in lines}, costs[name])
        for name, lines in model._line_names_by_provider.items()
    }
    # the demand trigger compares the need that presents with the need the plan
    # expected (trend and season). Not with the activity plan: that is re-based on
    # outturn, so it already expects the care integration avoids, and need before
    # that shift would trip the trigger every month once the alliance works
    plan = model.economy.expected_shiftable_need
    demand = total([delivery.demand[name] for name in model._shiftable_names])
    if is_array(plan):  # need against plan, 1.0 where the plan expects none
        demand_vs_plan = np.where(plan > 0, demand / np.where(plan > 0, plan, 1.0), 1.0)
    else:
        demand_vs_plan = demand / plan if plan > 0 else 1.0
    squeeze = {s: flag for p in model.providers for s, flag in p.squeezing.items()}
    return PeriodInputs(
        period=model.period,
        contract_period=model.period,  # every contract starts with the run
        periods_per_year=model.periods_per_year,
        actuals=actuals,
        attainment={"outcome_index": attained},
        population=model.scenario_spec.economy.population,
        demand_vs_plan=demand_vs_plan,
        lenient=False,
        squeeze=squeeze,
    )


def settle_contracts(
    contracts: tuple[ContractTerms, ...],
    states: dict[str, SettlementState],
    lenient: dict[str, bool],
    inputs: PeriodInputs,
) -> tuple[list[JournalEntry], dict[str, SettlementState], list[tuple[str, dict[str, Any]]]]:
    """Each contract settled by the payment core, in order, on its own state (a lenient
    commissioner's contract on lenient inputs): the entries, the new states and each
    contract's flags.

    A contract's leniency may be an array (each replication's own draw): the inputs are
    then lenient in the replications that drew it."""
    entries: list[JournalEntry] = []
    new_states: dict[str, SettlementState] = {}
    contract_flags: list[tuple[str, dict[str, Any]]] = []
    for terms in contracts:
        lenient_now = lenient.get(terms.name, False)
        if isinstance(lenient_now, ARRAY):
            contract_inputs = inputs._replace(lenient=np.logical_or(inputs.lenient, lenient_now))
        else:
            contract_inputs = inputs._replace(lenient=True) if lenient_now else inputs
        result = settle_period(terms, contract_inputs, states[terms.name])
        new_states[terms.name] = result.state
        entries.extend(result.entries)
        contract_flags.append((terms.name, result.flags))
    return entries, new_states, contract_flags


def flags(model: HealthEconomyModel) -> dict[str, Any]:
    """This period's settlement flags, keyed ``"<contract>.<flag>"``."""
    return {
        f"{name}.{key}": value
        for name, flags in model.contract_flags
        for key, value in flags.items()
    }


#: Year-end settlement flags added up in the run's totals, and the total each goes to.
TALLIED = {
    "gain_pence": "gain",
    "pain_pence": "pain",
    "outcome_paid_pence": "outcome_paid",
    "outcome_at_stake_pence": "outcome_at_risk",
}


def tally_flag(model: HealthEconomyModel, key: str, value: Any) -> None:
    """Add a year-end settlement flag to the run's totals (gain, pain, outcome money).

    The value is pence for one replication, or an array of pence (one per replication),
    added as whole pence (``int``; an array as ``int64``, truncated the same way)."""
    total_key = TALLIED.get(key)
    if total_key is None:
        return
    if isinstance(value, ARRAY):
        model.totals[total_key] = model.totals[total_key] + value.astype(np.int64)
    elif isinstance(value, int | float):
        model.totals[total_key] += int(value)


def attainment(model: HealthEconomyModel, reported: float) -> float:
    """Outcome attainment against a target 10% above the economy's base outcome."""
    return attainment_of(reported, model.scenario_spec.economy.outcome_base)


def attainment_of(reported: float, outcome_base: float) -> float:
    """Reported outcome over the target (``OUTCOME_TARGET_UPLIFT`` x the base outcome),
    in [0, 1] (elementwise on an array of replications)."""
    target = OUTCOME_TARGET_UPLIFT * outcome_base
    return clip(reported / target, 0.0, 1.0)  # min(1.0, max(0.0, reported / target))


def reported_outcome(model: HealthEconomyModel, true_outcome: float) -> float:
    """True outcome plus what each provider's gaming adds past the audit of the
    commissioner it reports to (``decisions.reported_outcome``)."""
    from alliancesim.agents.decisions import reported_outcome

    stakes = choices.outcome_stakes(model)
    gamed = [
        (
            choices.outcome_weight(model, p.name),
            model.orgs[stakes[p.name].payer].audit,
            _gaming_reported(p.gaming, p.failed),
        )
        for p in model.providers
        if p.name in stakes and _games(p.gaming, p.failed)
    ]
    return reported_outcome(true_outcome, gamed)


def _games(gaming: Any, failed: Any) -> bool:
    """``gaming > 0.0 and not failed``; on arrays (one row per replication), whether
    some replication's provider games: the others then add a 0.0 to the reported outcome
    (``_gaming_reported``), which leaves each row's sum exactly what it is without it."""
    if isinstance(gaming, ARRAY) or isinstance(failed, ARRAY):
        return bool(np.any((gaming > 0.0) & np.logical_not(failed)))
    return gaming > 0.0 and not failed


def _gaming_reported(gaming: Any, failed: Any) -> Any:
    """A provider's overstatement as reported: none where it failed (arrays only; one
    replication's failed provider is left out by ``_games``)."""
    if isinstance(failed, ARRAY):
        return np.where(failed, 0.0, gaming)
    return gaming
