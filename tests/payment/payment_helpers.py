"""Shared helpers for the payment-core tests: run a contract over periods with plain inputs."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from alliancesim.model.payment.ledger import JournalEntry
from alliancesim.model.payment.settlement import (
    PeriodInputs,
    ProviderActuals,
    SettlementResult,
    SettlementState,
    settle_period,
)
from alliancesim.model.payment.terms import ContractTerms

PPY = 12


def inputs(
    period: int,
    actuals: Mapping[str, ProviderActuals] | None = None,
    *,
    attainment: Mapping[str, float] | None = None,
    population: int = 0,
    demand_vs_plan: float = 1.0,
    lenient: bool = False,
    squeeze: Mapping[str, bool] | None = None,
    periods_per_year: int = PPY,
) -> PeriodInputs:
    """Period inputs with the contract starting in simulation period 0."""
    return PeriodInputs(
        period=period,
        contract_period=period,
        periods_per_year=periods_per_year,
        actuals=actuals or {},
        attainment=attainment or {},
        population=population,
        demand_vs_plan=demand_vs_plan,
        lenient=lenient,
        squeeze=squeeze or {},
    )


def run(
    terms: ContractTerms,
    periods: range,
    make_inputs: Callable[[int], PeriodInputs],
    state: SettlementState | None = None,
) -> tuple[list[JournalEntry], list[SettlementResult]]:
    """Settle ``terms`` over ``periods``; return all entries and each period's result."""
    state = state or SettlementState.start(terms)
    entries: list[JournalEntry] = []
    results: list[SettlementResult] = []
    for period in periods:
        result = settle_period(terms, make_inputs(period), state)
        state = result.state
        entries.extend(result.entries)
        results.append(result)
    return entries, results


def by_item(entries: list[JournalEntry]) -> dict[tuple[str, str, str], int]:
    """Total pence per (line_item, payer, payee)."""
    totals: dict[tuple[str, str, str], int] = {}
    for e in entries:
        key = (e.line_item, e.payer, e.payee)
        totals[key] = totals.get(key, 0) + e.amount
    return totals
