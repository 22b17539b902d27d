"""Stage 7 of a period: booking. The period's settlement entries and every cost are
posted to the ledger, which is the only way money moves (``post``: each entry applied to
the reserves of the organisations it names; outside accounts have none).

Inputs: the settlement entries, each provider's cost this period (split into one entry a
service line plus integration work, outcome work and gaming by largest remainder,
``delivery_cost_entries``), services of failed providers the commissioner now runs at
``RETURNED_RISK_PREMIUM`` over unit cost, the commissioners' monitoring costs (a fixed
cost a contract, seed 001 L117, plus outcome monitoring in proportion to value at stake
and audit, anchors s2.6). Outputs: ledger entries (``ledger`` when recorded,
``period_entries`` always), each provider's period income, cost and distress
(``Provider.book``, with what it is owed and owes counted), each commissioner's spend,
returned risk and monitoring cost; ``totals["transaction"]``.

Also here, the money helpers every stage and the agents use: ``transfer`` (a payment
decided outside settlement), ``post_cost`` and ``charge_transaction_cost`` (to the
outside accounts), and the positions read from the settlement states: delayed subcontract
payments (``delayed_payments``, ``debts_at_end``) and withheld outcome money
(``owed_to_providers``, ``owed_by_providers``).

Randomness: none. Rounding: each whole-pence amount is rounded once (half to even) and
split by largest remainder (``payment/primitives.allocate``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
from alliancesim.agents.provider import Provider
from alliancesim.model.economy import Delivery
from alliancesim.model.elementwise import anywhere, same_values
from alliancesim.model.payment.ledger import (
    ADVISERS,
    NO_CONTRACT,
    OUTSIDE_ACCOUNTS,
    STAFF_AND_SUPPLIERS,
    JournalEntry,
)
from alliancesim.model.payment.pence import round_pence, where
from alliancesim.model.payment.primitives import allocate
from alliancesim.model.payment.terms import ContractTerms

if TYPE_CHECKING:
    from alliancesim.model.simulation import HealthEconomyModel

RETURNED_RISK_PREMIUM = 1.1  # a commissioner running failed services pays 10% over unit cost


def book(model: HealthEconomyModel, delivery: Delivery, entries: list[JournalEntry]) -> None:
    """Post the period's settlement entries and every cost to the ledger (reserves
    move only with entries, ``post``); update distress."""
    net = net_flows(entries, model.orgs)
    post(model, entries)
    owed = owed_to_providers(model)
    owes = owed_by_providers(model)
    for provider in model.providers:
        if provider.failed:  # exited: no more money flows through it
            provider.income = provider.cost = 0
            continue
        cost = model.period_costs[provider.name]
        post(model, delivery_cost_entries(model, provider.name, cost))
        provider.book(
            net[provider.name], cost, owed.get(provider.name, 0), owes.get(provider.name, 0)
        )
    returned: dict[str, int] = {}
    for commissioner, line, pence in returned_services(model, delivery):
        returned[commissioner] = returned.get(commissioner, 0) + pence
        post_cost(
            model,
            commissioner,
            STAFF_AND_SUPPLIERS,
            pence,
            "returned_services",
            "returned_risk",
            line,
        )
    monitoring: dict[str, int] = {}
    monitoring_entries: list[JournalEntry] = []
    for commissioner, contract, item, pence in monitoring_items(model):  # each pence > 0
        monitoring[commissioner] = monitoring.get(commissioner, 0) + pence
        monitoring_entries.append(
            JournalEntry(
                model.period,
                contract,
                item,
                commissioner,
                STAFF_AND_SUPPLIERS,
                pence,
                "monitoring_costs",
                "",
            )
        )
    post(model, monitoring_entries)  # posted together: one call, not one an item
    for commissioner in model.commissioners:
        commissioner.spend = -net[commissioner.name]
        commissioner.returned_risk = returned.get(commissioner.name, 0)
        commissioner.monitoring_cost = monitoring.get(commissioner.name, 0)
        model.totals["transaction"] += commissioner.monitoring_cost


def net_flows(entries: Iterable[JournalEntry], names: Iterable[str]) -> dict[str, int]:
    """Pence each named organisation received less what it paid in ``entries`` (outside
    accounts are counted too, under their own names)."""
    net: dict[str, int] = {name: 0 for name in names}
    for entry in entries:
        net[entry.payer] -= entry.amount
        net[entry.payee] += entry.amount
    return net


def delivery_cost_entries(model: HealthEconomyModel, name: str, cost: int) -> list[JournalEntry]:
    """A provider's cost this period as entries to its staff and suppliers (``cost_entries``
    on the parts ``care_delivery.provider_costs`` kept)."""
    return cost_entries(model.period, name, cost, model.period_cost_parts[name])


def cost_entries(
    period: int, name: str, cost: int, parts: dict[tuple[str, str], float]
) -> list[JournalEntry]:
    """A provider's cost as entries to its staff and suppliers: one a service line it
    runs (line item ``delivery_cost``, the line in the note) and one each for
    integration work, outcome work and gaming, the rounded total split between the
    float ``parts`` by largest remainder."""
    split = allocate(cost, parts) if anywhere(cost > 0) else {}
    return [
        JournalEntry(
            period,
            NO_CONTRACT,
            item,
            name,
            STAFF_AND_SUPPLIERS,
            pence,
            "provider_costs",
            line,
        )
        for (item, line), pence in split.items()  # allocate returns the parts in name order
        if anywhere(pence > 0)
    ]


def returned_services(model: HealthEconomyModel, delivery: Delivery) -> list[tuple[str, str, int]]:
    """(commissioner, line, pence): the commissioner pays staff and suppliers to run a
    failed provider's line directly, at unit cost x activity x the premium, rounded
    once a line, half to even."""
    if not model.n_failed:
        return []
    return [
        (
            line.commissioner,
            line.name,
            round_pence(
                line.unit_cost_pence * delivery.activity[line.name] * RETURNED_RISK_PREMIUM
            ),
        )
        for line in model.economy.lines
        if model.orgs[line.provider].failed
    ]


def monitoring_costs(model: HealthEconomyModel) -> dict[str, int]:
    """What running the contracts costs the commissioners this period (anchors s2.6).

    Each contract costs a fixed amount to manage (so one alliance or lead contract
    in place of several bilateral ones saves, as Bedford's 20 contracts became
    one, seed 001 L117), plus monitoring of each outcome metric in proportion to
    the value at stake and the audit intensity.

    Each commissioner's monthly cost is summed in floats and rounded once, half to
    even; ``monitoring_items`` splits it between the contracts and the two
    parts (management, outcome monitoring) by largest remainder.
    """
    audits = tuple(c.audit for c in model.commissioners)
    cached = model._monitoring
    if cached[0] is model.contracts and same_values(cached[1], audits):
        return cached[2][0]
    behaviour = model.scenario_spec.behaviour
    costs: dict[str, float] = {}
    parts: dict[str, dict[tuple[str, str], float]] = {}
    for terms in model.contracts:
        metrics = len(terms.outcome.metrics) if terms.outcome else 0
        shares = _monitoring_split(terms)
        for name, share in shares.items():
            audit = model.orgs[name].audit
            metric_cost = outcome_monitoring_a_year(
                behaviour.monitoring_cost_share, model.contract_values[terms.name], metrics, audit
            )
            yearly = behaviour.contract_management_pence + metric_cost
            costs[name] = costs.get(name, 0.0) + share * yearly / model.periods_per_year
            items = parts.setdefault(name, {})
            per_period = share / model.periods_per_year
            items["contract_management", terms.name] = (
                per_period * behaviour.contract_management_pence
            )
            items["outcome_monitoring", terms.name] = per_period * metric_cost
    result = {name: round_pence(value) for name, value in costs.items()}
    split = [
        (name, contract, item, pence)
        for name in sorted(result)
        if anywhere(result[name] > 0)
        for (item, contract), pence in sorted(allocate(result[name], parts[name]).items())
        if anywhere(pence > 0)
    ]
    model._monitoring = (model.contracts, audits, (result, split))  # kept while neither changes
    return result


def outcome_monitoring_a_year(
    cost_share: float, contract_value: float, metrics: int, audit: float
) -> float:
    """Pence a year a commissioner spends monitoring a contract's outcome metrics: a share
    of the contract's value a metric, scaled by its audit intensity (anchors s2.6)."""
    return cost_share * contract_value * metrics * audit


def monitoring_items(model: HealthEconomyModel) -> list[tuple[str, str, str, int]]:
    """(commissioner, contract, line item, pence) of this period's monitoring costs:
    ``contract_management`` and ``outcome_monitoring`` of each contract it holds."""
    monitoring_costs(model)
    return model._monitoring[2][1]


def _monitoring_split(terms: ContractTerms) -> dict[str, float]:
    """Each commissioner of a contract bears an equal share of running it."""
    return {c: 1.0 / len(terms.commissioners) for c in terms.commissioners}


def charge_transaction_cost(
    model,
    name: str,
    cost: int,
    line_item: str = "transaction_cost",
    note: str = "staff time and advisers' fees",
) -> None:
    """Staff time and advisers' fees (negotiating, rebargaining, disputes): money out
    of the organisation to the ``advisers`` account, posted now and reported in this
    period's provider costs or commissioner spend. ``cost``: whole pence, or for R
    replications an integer array of pence >= 0 (posted where it is above 0)."""
    if isinstance(cost, np.ndarray):
        if cost.dtype.kind not in "iu" or bool((cost < 0).any()):
            raise ValueError(f"a transaction cost must be whole, non-negative pence: {cost!r}")
        amount = cost.astype(np.int64)
    else:
        amount = int(cost)
        if amount != cost or amount < 0:
            raise ValueError(f"a transaction cost must be whole, non-negative pence: {cost!r}")
    org = model.orgs[name]
    post_cost(model, name, ADVISERS, amount, line_item, "transaction_costs", note)
    org.transaction_cost += amount
    model.totals["transaction"] += amount


def post_cost(
    model,
    payer: str,
    payee: str,
    amount: int,
    line_item: str,
    rule: str,
    note: str = "",
    contract: str = NO_CONTRACT,
) -> None:
    """Post a payment to an outside account (staff and suppliers, advisers)."""
    if anywhere(amount > 0):
        amount = where(amount > 0, amount, 0)  # replications with nothing to pay post 0
        entry = JournalEntry(model.period, contract, line_item, payer, payee, amount, rule, note)
        post(model, [entry])


def post(model: HealthEconomyModel, entries: Iterable[JournalEntry]) -> None:
    """Record entries in the ledger and apply each to the reserves of the
    organisations it names (``Organisation.post``). This is the only way money
    moves: outside accounts have no reserves, and no code sets reserves directly.
    ``period_entries`` holds everything posted in the current period."""
    entries = tuple(entries)
    if getattr(model, "_entries_period", None) != model.period:
        model._entries_period = model.period
        model.period_entries = []
    orgs = model.orgs
    for entry in entries:
        payer, payee = orgs.get(entry.payer), orgs.get(entry.payee)
        if payer is not None:
            payer.post(entry)
        elif entry.payer not in OUTSIDE_ACCOUNTS:
            raise KeyError(f"journal entry names {entry.payer!r}: no such organisation")
        if payee is not None:
            payee.post(entry)
        elif entry.payee not in OUTSIDE_ACCOUNTS:
            raise KeyError(f"journal entry names {entry.payee!r}: no such organisation")
    model.period_entries.extend(entries)
    if model.record_ledger:
        model.ledger.extend(entries)


def transfer(
    model,
    payer: str,
    payee: str,
    amount: int,
    contract: str,
    line_item: str,
    rule: str,
    note: str = "",
) -> None:
    """A payment decided outside settlement (e.g. an alliance covering a member's
    overspend): recorded in the ledger like any other, with reserves and the
    period's income moved with it."""
    if not anywhere(amount > 0):
        return
    amount = where(amount > 0, amount, 0)  # replications with nothing to pay post 0
    entry = JournalEntry(model.period, contract, line_item, payer, payee, amount, rule, note)
    post(model, [entry])
    for name, sign in ((payer, -1), (payee, 1)):
        org = model.orgs[name]
        if isinstance(org, Provider):
            org.income += sign * amount
            org.year_income += sign * amount


def delayed_payments(model: HealthEconomyModel) -> list[tuple[str, str, int]]:
    """(lead, subcontractor, pence) of every subcontract payment the lead has delayed
    and not yet paid: a debt of the lead, not a gain."""
    return [(payer, payee, amount) for _, payer, payee, amount in delayed_by_contract(model)]


def delayed_by_contract(model: HealthEconomyModel) -> list[tuple[str, str, str, int]]:
    """(contract, lead, subcontractor, pence) of every delayed subcontract payment."""
    return [
        (
            name,
            state.plan.subcontracts[index].payer,
            state.plan.subcontracts[index].payee,
            amount,
        )
        for name, state in model.states.items()
        for _release, index, amount in state.delayed
    ]


def debts_at_end(model: HealthEconomyModel) -> dict[str, int]:
    """Net pence each organisation is owed (+) or owes (-) in delayed subcontract
    payments now: what a surplus on an accruals basis adds to the cash surplus."""
    net: dict[str, int] = {}
    for payer, payee, amount in delayed_payments(model):
        net[payer] = net.get(payer, 0) - amount
        net[payee] = net.get(payee, 0) + amount
    return net


def owed_to_providers(model: HealthEconomyModel) -> dict[str, int]:
    """Money held back, not lost: subcontract payments delayed by the lead, and the
    outcome withhold that falls due at the year end."""
    owed: dict[str, int] = {}
    for _payer, payee, amount in delayed_payments(model):
        owed[payee] = owed.get(payee, 0) + amount
    for state in model.states.values():
        for stream, withheld in zip(state.plan.payments, state.withheld_ytd, strict=True):
            if anywhere(withheld):
                owed[stream.payee] = owed.get(stream.payee, 0) + withheld
    return owed


def owed_by_providers(model: HealthEconomyModel) -> dict[str, int]:
    """Money each provider owes (a payable): subcontract payments it has delayed as a
    lead and not yet paid."""
    owes: dict[str, int] = {}
    for payer, _payee, amount in delayed_payments(model):
        owes[payer] = owes.get(payer, 0) + amount
    return owes
