"""One settle call per period: contracts in force + that period's actuals -> journal entries.

This module must not depend on the Mesa model: the simulation calls it, and so
can a notebook or a test with plain numbers.

Calling convention (the simulation relies on it):

    state = SettlementState.start(terms)
    for period in ...:
        result = settle_period(terms, inputs, state)
        entries, state, flags = result.entries, result.state, result.flags

TO BE IMPLEMENTED (payment-core helper): see the docstrings below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from alliancesim.model.payment.ledger import JournalEntry
from alliancesim.model.payment.terms import ContractTerms


class ProviderActuals(NamedTuple):
    """What one provider did in the period."""

    activity: Mapping[str, float]  # service line -> units delivered this period
    cost_pence: int  # total cost incurred this period (fixed + variable)


class PeriodInputs(NamedTuple):
    """Everything settlement needs about one period, as plain values."""

    period: int  # 0-based simulation period (stamped on the entries)
    contract_period: int  # 0-based periods since this contract started
    periods_per_year: int  # 12 for monthly settlement
    actuals: Mapping[str, ProviderActuals]  # provider name -> actuals
    attainment: Mapping[str, float]  # outcome metric -> reported attainment in [0, 1]
    population: int  # people in the covered cohort this period
    demand_vs_plan: float  # demand this period / planned demand (1.0 = on plan)
    lenient: bool  # the commissioner's leniency draw: pays outcome money regardless
    squeeze: Mapping[str, bool] = {}  # subcontractor -> the lead squeezes it this period
