"""Terms rebuilt during a contract (yearly refresh, a member leaving) keep what is owed.

Regression: a member failing mid-year rebuilt the alliance's terms and the year's
totals restarted at zero, so the year-end measure missed the months before the
failure and a spurious gain share was paid.
"""

from __future__ import annotations

from alliancesim.model.payment.settlement import ProviderActuals, SettlementState, settle_period
from alliancesim.model.payment.terms import ContractTerms, LinePayment, RiskShareTerms
from payment_helpers import inputs


def alliance(members: tuple[str, ...], target: int) -> ContractTerms:
    """Each member on a block of 120,000 a year (10,000 a month) against an envelope."""
    return ContractTerms(
        name="alliance",
        vehicle="alliance",
        commissioners=("ccg",),
        members=members,
        payments=tuple(
            {
                "payer": "ccg",
                "provider": m,
                "line": f"{m}_care",
                "terms": LinePayment(basis="block", annual_value_pence=120_000),
            }
            for m in members
        ),
        risk_share=RiskShareTerms(
            target_annual_pence=target,
            provider_gain_share=0.5,
            provider_pain_share=0.5,
            gain_shares={m: 1 / len(members) for m in members},
            pain_shares={m: 1 / len(members) for m in members},
        ),
    )


def settle(terms, state, periods):
    entries = []
    for t in periods:
        result = settle_period(terms, inputs(t, {}), state)
        state, entries = result.state, entries + list(result.entries)
    return state, entries, result.flags


def test_a_member_leaving_mid_year_does_not_erase_the_year_so_far():
    """Two members for six months, then ``b`` leaves and the envelope is restated for
    the member still in the contract: ``a``'s full year, 120,000. The year's measure
    is ``a``'s payments for the whole year, 12 x 10,000 = 120,000: neither gain nor
    pain. Restarting the totals at the rebuild would have measured only the last six
    months (60,000) and paid half of a 60,000 'underspend' as gain."""
    both = alliance(("a", "b"), target=240_000)
    state, _, _ = settle(both, SettlementState.start(both), range(6))
    only_a = alliance(("a",), target=120_000)
    state, _, flags = settle(only_a, state.refreshed(only_a, 0), range(6, 12))
    assert flags["year_end"]
    assert flags["measure_pence"] == 120_000
    assert flags["gain_pence"] == 0 and flags["pain_pence"] == 0


def test_a_new_contract_year_starts_its_totals_at_zero():
    terms = alliance(("a", "b"), target=240_000)
    state, _, _ = settle(terms, SettlementState.start(terms), range(12))
    fresh = state.refreshed(terms, 1)
    assert fresh.contract_year == 1
    assert sum(fresh.gross_ytd) == 0


def test_delayed_subcontract_payments_survive_a_refresh():
    terms = ContractTerms(
        name="lead",
        vehicle="lead_provider",
        commissioners=("ccg",),
        members=("lead", "sub"),
        lead="lead",
        payments=(
            {
                "payer": "ccg",
                "provider": "lead",
                "line": "all",
                "terms": LinePayment(basis="block", annual_value_pence=1_200_000),
            },
        ),
        subcontracts=(
            {
                "lead": "lead",
                "subcontractor": "sub",
                "line": "visits",
                "terms": LinePayment(basis="tariff", price_pence=1_000),
                "payment_delay_periods": 2,
            },
        ),
    )
    state = SettlementState.start(terms)
    for t in range(12):
        state = settle_period(
            terms, inputs(t, {"sub": ProviderActuals({"visits": 5}, 0)}), state
        ).state
    owed = state.pending_subcontract_pence
    assert owed == 2 * 5_000
    assert state.refreshed(terms, 1).pending_subcontract_pence == owed
