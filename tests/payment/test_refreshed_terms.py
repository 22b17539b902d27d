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
    the member still in the contract: ``a``'s 120,000 a year. The year is measured like
    for like: payments 12 x 10,000 to ``a`` plus 6 x 10,000 to ``b`` = 180,000, against
    the target in force each month, 6 x 20,000 + 6 x 10,000 = 180,000: neither gain
    nor pain. Restarting the totals at the rebuild would have measured only the last
    six months (60,000) and paid half of a 60,000 'underspend' as gain."""
    both = alliance(("a", "b"), target=240_000)
    state, _, _ = settle(both, SettlementState.start(both), range(6))
    only_a = alliance(("a",), target=120_000)
    state, _, flags = settle(only_a, state.refreshed(only_a, 0), range(6, 12))
    assert flags["year_end"]
    assert flags["measure_pence"] == 180_000
    assert flags["target_pence"] == 180_000
    assert flags["gain_pence"] == 0 and flags["pain_pence"] == 0


def lead_contract(block: int, with_sub: bool, gain: float = 0.5) -> ContractTerms:
    """A lead paid a block for the scope, subcontracting visits at 1,000 a visit."""
    return ContractTerms(
        name="lead",
        vehicle="lead_provider",
        commissioners=("ccg",),
        members=("lead", "sub") if with_sub else ("lead",),
        lead="lead",
        payments=(
            {
                "payer": "ccg",
                "provider": "lead",
                "line": "all",
                "terms": LinePayment(basis="block", annual_value_pence=block),
            },
        ),
        subcontracts=(
            (
                {
                    "lead": "lead",
                    "subcontractor": "sub",
                    "line": "visits",
                    "terms": LinePayment(basis="tariff", price_pence=1_000),
                },
            )
            if with_sub
            else ()
        ),
        risk_share=RiskShareTerms(
            target_annual_pence=block,
            measure="costs",
            provider_gain_share=gain,
            provider_pain_share=1.0,
            gain_shares={"lead": 1.0},
            pain_shares={"lead": 1.0},
            netting=False,
        ),
    )


def test_a_lead_whose_scope_shrinks_mid_year_is_measured_like_for_like():
    """A lead on 1,200,000 a year (100,000 a month) whose costs are its own 40,000 a
    month plus 60 visits at 1,000 from its subcontractor. The subcontractor leaves
    after six months; the scope, the block and the target become 480,000 a year
    (40,000 a month) and the lead's own costs stay 40,000. Every month the lead spent
    exactly its budget, so the year settles no gain and no pain: measure 6 x 100,000
    + 6 x 40,000 = 840,000, target accrued the same. Measured only on the new terms
    (the lead's costs without the visits it paid for, against the new annual target)
    the year would have shown a 60,000 x 6 underspend shared as gain."""
    full = lead_contract(1_200_000, with_sub=True)
    state = SettlementState.start(full)
    for t in range(6):
        actuals = {
            "lead": ProviderActuals({}, 40_000),
            "sub": ProviderActuals({"visits": 60}, 0),
        }
        state = settle_period(full, inputs(t, actuals), state).state
    small = lead_contract(480_000, with_sub=False)
    state = state.refreshed(small, 0)
    for t in range(6, 12):
        result = settle_period(small, inputs(t, {"lead": ProviderActuals({}, 40_000)}), state)
        state = result.state
    flags = result.flags
    assert flags["year_end"]
    assert flags["target_pence"] == 6 * 100_000 + 6 * 40_000
    assert flags["measure_pence"] == 6 * 100_000 + 6 * 40_000
    assert flags["gain_pence"] == 0 and flags["pain_pence"] == 0


def test_unchanged_terms_accrue_exactly_the_annual_target():
    terms = alliance(("a", "b"), target=240_007)  # not a multiple of 12
    state, _, flags = settle(terms, SettlementState.start(terms), range(12))
    assert flags["target_pence"] == 240_007 == state.target_ytd


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
