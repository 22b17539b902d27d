"""Stage 8 of a period: failure and exit. After the books close, a provider whose reserves
have stayed below its failure floor for ``FAILURE_PERIODS`` periods running exits
(insolvency: ``fail``); then the holders of fixed-price contracts review them
(termination, not insolvency: ``review_contracts``, rules in ``agents/exit.py``).

Failure: the provider's patients and the financial risk return to the commissioner
(booked at ``booking.RETURNED_RISK_PREMIUM`` over unit cost from next period), the
contracts are rebuilt without it, and delayed subcontract payments the rebuilt contracts
no longer carry are written off (owed by a failed lead) or paid to the failed
subcontractor's estate (``settle_dropped_debts``).

Review: relief granted earlier is paid; services handed back cost their commissioner a
premium for ``TAKEBACK_MONTHS``; each holder judges its contract on its accrued surplus
over the last year at most (net of the season, ``seasonal_surplus``; on a single month at
first, anchors P5) and, losing more than it can bear, asks the commissioner that pays it
most for more money; refused, it hands the contract back, the commissioner re-procures
(``REPROCUREMENT_MONTHS``) and the scope returns to status-quo contracts.

Inputs: each provider's reserves, floor and periods below it, this period's income and
cost, what it is owed and owes, the contracts it holds at a fixed price
(``contract_year.contract_holders``), commissioners' reserves, savings targets and trust.
Outputs: ``failed`` flags, ``n_failed``, rebuilt contracts, ``exit_log`` (requests,
granted, handbacks), the stage's own state carried to next period (``ExitState``:
relief, takeback, requests, surplus history), journal entries and events.
Randomness: none.

In the ensemble (``model/ensemble``) a request is decided in every replication at once:
a grant is money (relief an amount a replication, 0 where not granted); a refusal, the
handback, is structural (``model.diverges``) and the replications refused leave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from alliancesim.agents.exit import (
    asks_for_more,
    bearable_loss,
    grants_request,
    money_to_find,
    projected_annual_loss,
    shortfall,
)
from alliancesim.agents.provider import Provider
from alliancesim.model.economy import Delivery, ServiceLine, season_factor
from alliancesim.model.elementwise import anywhere, both, is_array, select, total
from alliancesim.model.payment.ledger import (
    STAFF_AND_SUPPLIERS,
    WRITTEN_OFF,
    JournalEntry,
    row_note,
)
from alliancesim.model.payment.pence import round_pence, where
from alliancesim.model.payment.terms import ContractTerms, annual_value
from alliancesim.model.stages import booking, choices, contract_year
from alliancesim.model.stages.booking import RETURNED_RISK_PREMIUM
from alliancesim.model.stages.contract_year import HELD_BASES

if TYPE_CHECKING:
    from alliancesim.model.simulation import HealthEconomyModel

FAILURE_PERIODS = 3  # consecutive periods below the failure floor before a provider exits
# After a handback the commissioner runs the holder's services through interim
# arrangements at RETURNED_RISK_PREMIUM for this long (judgement; range 3-12 months).
TAKEBACK_MONTHS = 6
# Re-procuring a handed-back contract: UnitingCare's procurement took 15 months (anchors
# P5 table, NAO 2016), at the commissioner's negotiating cost a year (NegotiationSpec).
REPROCUREMENT_MONTHS = 15


@dataclass
class ExitState:
    """What the failure-and-exit stage carries from one period to the next (its outputs
    for the run, requests, grants and handbacks, are in ``exit_log``)."""

    # holder -> (by, contract, pence a period, contract year, shortfall still to pay)
    relief: dict[str, tuple[str, str, int, int, int]] = field(default_factory=dict)
    takeback: list[tuple[str, int, int]] = field(default_factory=list)  # (line, first, last)
    # holder -> year of its last request (in the ensemble, a year a replication, -1 where
    # it has not asked)
    asked: dict[str, int] = field(default_factory=dict)
    surplus_history: dict[str, list[int]] = field(default_factory=dict)  # accrued, last year
    receivables: dict[str, int] = field(default_factory=dict)  # net_receivables at last review


def exit_failed(model: HealthEconomyModel) -> None:
    """A provider below its failure floor for FAILURE_PERIODS periods running exits."""
    for provider in model.providers:
        fails = exits(provider.failed, provider.periods_below_floor)
        if model.diverges(fails, f"failure of {provider.name}", arrays=True):
            fail(model, provider)


def exits(failed: bool, periods_below_floor: int) -> bool:
    """A provider still trading exits once its reserves have stayed below its failure
    floor for ``FAILURE_PERIODS`` periods running."""
    return not failed and periods_below_floor >= FAILURE_PERIODS


def fail(model: HealthEconomyModel, provider: Provider) -> None:
    """The provider exits: it stops working, the contracts are rebuilt without it and
    the delayed payments they drop are written off or settled."""
    provider.failed = True
    model.n_failed += 1
    provider.effort = provider.cooperation = 0.0
    provider.outcome_effort = provider.gaming = 0.0
    model.record_event(
        provider.name,
        "failure",
        f"{provider.name} ran out of reserves and exited; its patients and the financial "
        "risk return to the commissioner",
    )
    delayed = booking.delayed_by_contract(model)
    contract_year.start_contracts(model, model.period // model.periods_per_year)
    settle_dropped_debts(model, delayed)


def settle_dropped_debts(
    model: HealthEconomyModel, before: list[tuple[str, str, str, int]]
) -> None:
    """Delayed subcontract payments the rebuilt contracts no longer carry (``before``
    is ``booking.delayed_by_contract`` before the rebuild) do not vanish:

    - owed by a failed lead, they will never be paid: written off, an entry from
      the lead to ``written_off`` (its closing reserves are net of what it owed; the
      subcontractor's receivable is gone) and a ``write_off`` event;
    - owed by a lead still trading (to a subcontractor that failed), the debt is
      paid now, to the failed subcontractor's estate.
    """
    still: dict[tuple[str, str, str], int] = {}
    for contract, payer, payee, amount in booking.delayed_by_contract(model):
        still[contract, payer, payee] = still.get((contract, payer, payee), 0) + amount
    dropped: dict[tuple[str, str, str], int] = {}
    for contract, payer, payee, amount in before:
        dropped[contract, payer, payee] = dropped.get((contract, payer, payee), 0) + amount
    for (contract, payer, payee), amount in sorted(dropped.items()):
        amount = amount - still.get((contract, payer, payee), 0)
        if not anywhere(amount > 0):
            continue
        amount = where(amount > 0, amount, 0)  # over replications: 0 where none is owed
        lead = model.orgs[payer]
        if getattr(lead, "failed", False):
            note = f"subcontract payments owed to {payee}, delayed and never paid"
            entry = JournalEntry(
                model.period,
                contract,
                "write_off",
                payer,
                WRITTEN_OFF,
                amount,
                "write_off",
                note,
            )
            booking.post(model, [entry])
            lead.cost = lead.cost + amount  # the period's surplus row: change in reserves
            model.record_event(
                payer,
                "write_off",
                row_note(_write_off_text, payer=payer, payee=payee, amount=amount),
                where=amount > 0,
                creditor=payee,
                amount_pence=amount,
                contract=contract,
            )
        else:
            booking.transfer(
                model,
                payer,
                payee,
                amount,
                contract,
                "subcontract",
                "settle_on_exit",
                f"delayed subcontract payments settled when {payee} left the contract",
            )


def _write_off_text(payer: str, payee: str, amount: int) -> str:
    return (
        f"{payer} failed owing {payee} £{amount / 100:,.0f} of delayed subcontract "
        "payments; the debt is written off and never paid"
    )


def review_contracts(model: HealthEconomyModel, delivery: Delivery) -> None:
    """After the books close: relief granted earlier is paid, services handed back
    cost their commissioner a premium, and each holder of a fixed-price contract that
    is losing more than it can bear asks for more money, or, refused, hands the
    contract back (agents/exit.py). Termination, not insolvency."""
    pay_relief(model)
    charge_takeback(model, delivery)
    # on an accruals basis: what it is owed (withheld outcome money, delayed
    # subcontract payments) counts as income, and what a lead has delayed as its debt;
    # a holder judges its contract on the last year at most (one lumpy year-end
    # settlement counts once), on a single month at first (anchors P5)
    receivables = net_receivables(model)
    holders = contract_year.contract_holders(model)
    for provider in model.providers:
        change = receivables.get(provider.name, 0) - model.exits.receivables.get(provider.name, 0)
        surplus = provider.income - provider.cost + change
        if provider.name in holders:  # the season is no news about the contract
            surplus -= round_pence(seasonal_surplus(model, provider.name, delivery))
        history = model.exits.surplus_history.setdefault(provider.name, [])
        history.append(surplus)
        del history[: -model.periods_per_year]
    model.exits.receivables = receivables
    year = model.period // model.periods_per_year
    for holder, held in holders.items():
        provider = model.orgs[holder]
        if provider.failed:
            continue
        # a holder asks once a contract year (in each replication: an array of years,
        # -1 where it has not asked, in the ensemble)
        last_asked = model.exits.asked.get(holder, -1)
        fresh = last_asked != year
        if not anywhere(fresh):
            continue
        history = model.exits.surplus_history[holder]
        loss = projected_annual_loss(sum(history), len(history), model.periods_per_year)
        position = provider.reserves + receivables.get(holder, 0)
        income, floor = provider.annual_income, provider.failure_threshold
        bearable = bearable_loss(position, income, floor, provider.risk_appetite)
        asks = both(fresh, asks_for_more(loss, bearable, held_price(model, holder, held)))
        if not anywhere(asks):
            continue
        model.exits.asked[holder] = where(asks, year, last_asked)
        gap = shortfall(position, income, floor)
        if not request_more_money(model, holder, held, loss, bearable, gap, asks):
            break  # handed back: the contracts changed; the others review next period


def seasonal_surplus(model: HealthEconomyModel, name: str, delivery: Delivery) -> float:
    """Pence of this period's surplus that is the season, not the contract: on each
    shiftable line, its margin per unit (``incentives.line_margin``: a lead pays its
    subcontractors per unit, a provider on a block bears its variable cost) times the
    activity above the line's level net of the season. A run starts at the winter
    peak, so a first month read without this overstates a year's loss."""
    season = season_factor(model.scenario_spec.economy, model.period)
    if season == 1.0:
        return 0.0
    above = 1.0 - 1.0 / season
    base = choices.period_shift_base(model)
    margins = choices.line_margins(model, name)
    return total(
        margin * delivery.activity[template.line] * above
        for (template, _, _), (margin, _, _) in zip(base.shiftable, margins, strict=False)
    )


def net_receivables(model: HealthEconomyModel) -> dict[str, int]:
    """Pence each organisation is owed (+) less what it owes (-) but has not yet been
    paid or paid: withheld outcome money and delayed subcontract payments."""
    net = dict(booking.owed_to_providers(model))
    for payer, _payee, amount in booking.delayed_payments(model):
        net[payer] = net.get(payer, 0) - amount
    return net


def scope_lines(
    model: HealthEconomyModel, holder: str, held: list[ContractTerms]
) -> list[ServiceLine]:
    """The lines a holder is paid a fixed sum for: a lead's whole scope, else its own
    block and capitation lines."""
    names: set[str] = set()
    for terms in held:
        if terms.lead == holder:
            members = set(terms.members)
            names |= {line.name for line in model.economy.lines if line.provider in members}
        names |= {
            p.line for p in terms.payments if p.provider == holder and p.terms.basis in HELD_BASES
        }
    return [line for line in model.economy.lines if line.name in names]


def price_by_payer(holder: str, held: list[ContractTerms]) -> dict[str, int]:
    """Pence a year each commissioner pays the holder a fixed sum for, at plan."""
    prices: dict[str, int] = {}
    for terms in held:
        for p in terms.payments:
            if p.provider == holder and p.terms.basis in HELD_BASES:
                prices[p.payer] = prices.get(p.payer, 0) + annual_value(p.terms)
    return prices


def held_price(model: HealthEconomyModel, holder: str, held: list[ContractTerms]) -> int:
    """Pence a year the holder is paid a fixed sum for, at plan."""
    return sum(price_by_payer(holder, held).values())


def request_more_money(
    model,
    holder: str,
    held: list[ContractTerms],
    loss: int,
    bearable: int,
    gap: int = 0,
    asks: bool | np.ndarray = True,
) -> bool:
    """The holder asks for its projected loss a year, plus ``gap`` now to stand back at
    its failure floor; the commissioner that pays it most decides (agents/exit.py).
    Granted: the gap next period, the loss monthly to the contract year's end (money:
    elementwise, ``asks`` the replications that ask). Refused: the holder hands the
    contract back (structural: ``model.diverges``; in the ensemble the replications
    refused leave). False when the contract was handed back."""
    request = loss + gap
    prices = price_by_payer(holder, held)
    price = sum(prices.values())
    payer = paying_most(model, prices, asks)
    commissioner = model.orgs[payer]
    growth = model.builder.growth(model.period // model.periods_per_year)
    budget = sum(
        round_pence(line.planned_per_year * growth * line.unit_cost_pence)
        for line in scope_lines(model, holder, held)
    )
    can_find = money_to_find(budget, price, commissioner.reserves, commissioner.savings_target)
    trust = model.trust.trust(payer, holder)
    granted = both(asks, grants_request(request, can_find, trust))
    model.exit_log["requests"] += where(asks, 1, 0)
    share = select(price != 0, request / where(price != 0, price, 1), 0.0)
    model.record_event(
        holder,
        "request_more_money",
        row_note(
            _request_text,
            holder=holder,
            payer=payer,
            loss=loss,
            bearable=bearable,
            request=request,
            share=share,
            granted=granted,
        ),
        where=asks,
        commissioner=payer,
        request_pence=request,
        loss_pence=loss,
        shortfall_pence=gap,
        share_of_price=rounded(share, 4),
        bearable_pence=bearable,
        budget_pence=budget,
        price_pence=price,
        can_find_pence=can_find,
        trust=rounded(trust, 4),
        decision=select(granted, "granted", "refused"),
    )
    refused = both(asks, np.logical_not(granted) if is_array(granted) else not granted)
    # the handback's code runs on arrays (the re-procurement cost and its event are each
    # replication's own): replications refused together can be stepped on together
    if model.diverges(refused, REFUSED, arrays=True):
        hand_back(model, holder, held, payer, price)
        return False
    model.exit_log["granted"] += where(granted, 1, 0)
    grant_relief(model, holder, payer, held[0].name, loss, gap, granted)
    return True


REFUSED = "a holder's request was refused: handback"


def _request_text(
    holder: str, payer: str, loss: int, bearable: int, request: int, share: float, granted: bool
) -> str:
    return (
        f"{holder} projects a loss of £{loss / 100:,.0f} a year on its contract, more "
        f"than the £{bearable / 100:,.0f} it can bear, and asks {payer} for "
        f"£{request / 100:,.0f} ({share:.0%} of its price); {payer} "
        + ("agrees" if granted else "refuses")
    )


_round = np.frompyfunc(round, 2, 1)


def rounded(value: float | np.ndarray, places: int) -> float | np.ndarray:
    """Python's ``round(value, places)``, on every element of an array (numpy's own
    ``round`` scales and may differ from it in the last bit)."""
    if is_array(value):
        return _round(value, places).astype(np.float64)
    return round(value, places)


def paying_most(model, prices: dict[str, int], asks: bool | np.ndarray = True) -> str:
    """The commissioner that pays the holder most (the first by name on a tie). It is
    structural: where prices differ between replications so that it does, the
    replications asking with another payer than the first leave (``model.diverges``)."""
    if not is_array(*prices.values()):
        return max(sorted(prices), key=lambda name: prices[name])
    size = next(len(v) for v in prices.values() if is_array(v))
    rows = {name: np.broadcast_to(value, (size,)) for name, value in prices.items()}
    payers = np.array(
        [max(sorted(rows), key=lambda name, i=i: int(rows[name][i])) for i in range(size)]
    )
    active = np.flatnonzero(both(asks, getattr(model, "active", True)))
    first = payers[active[0]] if len(active) else payers[0]
    model.diverges(both(asks, payers != first), "the commissioner paying most differs")
    return str(first)


def grant_relief(
    model, holder: str, payer: str, contract: str, loss: int, gap: int, granted: bool | np.ndarray
) -> None:
    """Relief granted (where ``granted`` holds): ``loss`` a year paid monthly to the
    contract year's end, ``gap`` with the first payment (``pay_relief``); 0 elsewhere."""
    year = model.period // model.periods_per_year
    monthly = round_pence(loss / model.periods_per_year)
    if not is_array(granted, monthly, gap):
        model.exits.relief[holder] = (payer, contract, monthly, year, gap)
        return
    before = model.exits.relief.get(holder)
    if before is None or before[:2] != (payer, contract) or before[3] != year:
        # another relief of this year (another payer or contract, after a rebuild) would
        # be replaced: the replications granted now leave rather than lose it
        if before is not None and before[3] == year:
            model.diverges(granted, "relief granted twice in a year by different payers")
        before = (payer, contract, 0, year, 0)
    model.exits.relief[holder] = (
        payer,
        contract,
        where(granted, monthly, before[2]),
        year,
        where(granted, gap, before[4]),
    )


def pay_relief(model: HealthEconomyModel) -> None:
    """Relief granted on a request is paid each period to the end of its contract year,
    as a journal entry from the commissioner (in the ensemble, an amount a replication:
    0, and nothing paid, where none was granted)."""
    year = model.period // model.periods_per_year
    for holder, (payer, contract, monthly, granted_year, gap) in sorted(model.exits.relief.items()):
        if granted_year != year or model.orgs[holder].failed:
            del model.exits.relief[holder]
            continue
        amount = monthly + gap  # the shortfall with the first payment
        model.exits.relief[holder] = (payer, contract, monthly, granted_year, 0)
        booking.transfer(model, payer, holder, amount, contract, "relief", "relief_granted")
        model.orgs[payer].spend += amount


def hand_back(
    model: HealthEconomyModel, holder: str, held: list[ContractTerms], payer: str, price: int
) -> None:
    """The holder ends its contract. Its services return to the commissioner, which
    runs them at a premium while it arranges interim contracts and pays to re-procure;
    the economy goes on under status-quo contracts for the scope (as after a lead
    fails). The holder keeps its losses: termination, not insolvency."""
    lead = any(terms.lead == holder for terms in held)
    model.exit_log["handbacks"].append((model.period, holder))
    model.exits.relief.pop(holder, None)
    last = model.period + max(1, TAKEBACK_MONTHS * model.periods_per_year // 12)
    model.exits.takeback.extend(
        (line.name, model.period + 1, last) for line in model.lines_of(holder)
    )
    negotiation = model.scenario_spec.negotiation
    cost = round_pence(negotiation.commissioner_cost_share * price * REPROCUREMENT_MONTHS / 12)
    booking.charge_transaction_cost(model, payer, cost)
    model.record_event(
        holder,
        "handback",
        row_note(_handback_text, holder=holder, payer=payer, cost=cost),
        commissioner=payer,
        contracts=",".join(t.name for t in held),
        lead=lead,
        reprocurement_pence=cost,
    )
    if lead:
        status_quo = model.scenario_spec.scenario.status_quo
        model.active_model = status_quo
        model.active_spec = model.scenario_spec.contract_models[status_quo]
    else:
        contract_year.remove_member(model, holder)
    contract_year.start_contracts(model, model.period // model.periods_per_year)


def _handback_text(holder: str, payer: str, cost: int) -> str:
    return (
        f"{holder} hands its contract back to {payer}: the contract ends (not an "
        f"insolvency); {payer} takes the services back at a premium and re-procures "
        f"(£{cost / 100:,.0f})"
    )


def charge_takeback(model: HealthEconomyModel, delivery: Delivery) -> None:
    """Premium over unit cost the commissioner pays on services handed back to it,
    while interim arrangements last (as for a failed provider's services)."""
    if not model.exits.takeback:
        return
    lines = model.economy.by_name
    kept = []
    for name, first, last in model.exits.takeback:
        if model.period > last:
            continue
        kept.append((name, first, last))
        if model.period < first:
            continue
        line = lines[name]
        premium = round_pence(
            line.unit_cost_pence * delivery.activity[name] * (RETURNED_RISK_PREMIUM - 1.0)
        )
        booking.post_cost(
            model,
            line.commissioner,
            STAFF_AND_SUPPLIERS,
            premium,
            "takeback_premium",
            "handback",
            name,
        )
        model.orgs[line.commissioner].returned_risk += premium
    model.exits.takeback = kept
