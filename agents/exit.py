"""Exit as well as failure: a contract holder asks for more money, or hands the contract back.

A provider paid a fixed sum for a scope (a lead's capitation or block, or a block or
capitation line of a contract model other than the status quo) bears the cost of what
it delivers. When the contract loses more than its reserves and risk appetite can bear,
it asks the commissioner for more money; if the commissioner refuses, it hands the
contract back. That is termination, not insolvency: the commissioner takes the services
back and re-procures (model/simulation.py ``review_contracts``).

The pattern is UnitingCare's (anchors P5; NAO 2016, seed 000 L417): a lead provider bid
3.5% under the commissioner's maximum, met an unfunded cost (VAT), asked for about 21%
more after one month and the contract ended after eight. Whether a commissioner eases
the terms depends on "the financial position of the parties ... and the existence of
trusting relationships" (seed 000 L1702: one case study did adjust a contract after the
fact to cut a provider's risk).

Every rule is a small pure function of pence and shares, tested by hand-worked cases in
tests/agents/test_exit.py.
"""

from __future__ import annotations

from alliancesim.model.elementwise import both, is_array, maximum
from alliancesim.model.payment.pence import round_pence, where


def projected_annual_loss(surplus_to_date: int, periods_elapsed: int, periods_per_year: int) -> int:
    """The loss a holder expects over a year at its recent run rate, in pence (0 if none).

    ``surplus_to_date`` is income less cost over the last ``periods_elapsed`` periods
    (negative: a loss); the holder projects it over a year. UnitingCare asked after one
    month (anchors P5), so one period of evidence is enough. Elementwise on an array of
    surpluses (one a replication)."""
    if periods_elapsed <= 0:
        return 0
    if is_array(surplus_to_date):
        projected = round_pence(-surplus_to_date * periods_per_year / periods_elapsed)
        return where(surplus_to_date >= 0, 0, projected)
    if surplus_to_date >= 0:
        return 0
    return round(-surplus_to_date * periods_per_year / periods_elapsed)


def bearable_loss(
    position: int, annual_income: int, failure_threshold: float, risk_appetite: float
) -> int:
    """The yearly loss a holder will carry before asking for more money, in pence.

    Its buffer is how far its position (reserves, plus what it is owed, less what it
    owes) stands above the floor at which it would fail (``failure_threshold x annual
    income``: -30% of income for an NHS trust, 0 for a new vehicle with no reserves); it
    risks ``risk_appetite`` of that buffer on one contract. A vehicle with nothing to
    lose before it fails can bear no loss at all. Elementwise on arrays."""
    buffer = maximum(0, position - round_pence(failure_threshold * annual_income))
    return round_pence(risk_appetite * buffer)


def shortfall(position: int, annual_income: int, failure_threshold: float) -> int:
    """Pence a holder needs now to stand back at its failure floor (0 if above it): asked
    for with the year's loss, or the relief would come too late to save it. Elementwise
    on arrays."""
    return maximum(0, round_pence(failure_threshold * annual_income) - position)


# A loss smaller than this share of the contract's price is in-year variance a holder
# manages, not grounds to reopen the price (judgement; range 0.02-0.10; contracts carry
# tolerances before an adjustment, seed 001 L342, value not given). UnitingCare's request
# was about 21% (anchors P5), far above it.
MATERIALITY = 0.05


def asks_for_more(
    projected_loss: int, bearable: int, price: int, materiality: float = MATERIALITY
) -> bool:
    """The holder asks for more money when the contract's projected loss is more than it
    can bear and material: more than ``materiality`` of the price it is paid.
    Elementwise on arrays."""
    return both(projected_loss > bearable, projected_loss > materiality * price)


def money_to_find(budget: int, price: int, reserves: int, savings_target: float) -> int:
    """Pence a year a commissioner could put into the contract.

    What is left of its budget for the scope after the price it agreed (a bid under the
    budget leaves some), plus reserves beyond the saving it must make this year
    (``savings_target x budget``); a commissioner in deficit has no reserves to give.
    Elementwise on arrays."""
    unspent = maximum(0, budget - price)
    spare = maximum(0, reserves - round_pence(savings_target * budget))
    return unspent + spare


def grants_request(request: int, can_find: int, trust: float) -> bool:
    """The commissioner pays what was asked only if it can find the money, weighted by
    how far it trusts the holder's account of its losses (seed 000 L1702: adjustment
    depended on the parties' finances and trust). All or nothing. Elementwise on arrays."""
    return both(request > 0, request <= trust * can_find)
