"""Settlement rules not covered by the worked cases: squeeze, delay, caps, corridors, splits."""

from __future__ import annotations

from alliancesim.model.payment.ledger import check_entries, net_position
from alliancesim.model.payment.settlement import ProviderActuals, SettlementState, settle_period
from alliancesim.model.payment.terms import (
    ContractTerms,
    CorridorBand,
    LinePayment,
    OutcomeTerms,
    RiskShareTerms,
    ServicePayment,
    Subcontract,
)
from payment_helpers import by_item, inputs, run


def lead_with_subcontract(squeeze_share=0.1, delay=0) -> ContractTerms:
    return ContractTerms(
        name="lead",
        vehicle="lead_provider",
        commissioners=("ccg",),
        members=("lead_trust", "small_sub"),
        lead="lead_trust",
        payments=(
            ServicePayment(
                payer="ccg",
                provider="lead_trust",
                line="all",
                terms=LinePayment(basis="block", annual_value_pence=1_200_000),
            ),
        ),
        subcontracts=(
            Subcontract(
                lead="lead_trust",
                subcontractor="small_sub",
                line="visits",
                terms=LinePayment(basis="tariff", price_pence=1_000),
                squeeze_share=squeeze_share,
                payment_delay_periods=delay,
            ),
        ),
    )


def sub_actuals(t):
    return {"small_sub": ProviderActuals({"visits": 50}, 0)}


def test_squeeze_holds_back_the_squeeze_share_of_the_subcontract():
    """50 visits x 1,000 = 50,000 due; squeezed 10% -> 45,000 paid."""
    terms = lead_with_subcontract()
    result = settle_period(
        terms, inputs(0, sub_actuals(0), squeeze={"small_sub": True}), SettlementState.start(terms)
    )
    assert by_item(list(result.entries))[("subcontract", "lead_trust", "small_sub")] == 45_000
    assert result.flags["squeezed_pence"] == 5_000


def test_delayed_subcontract_payments_arrive_late_and_in_full():
    """A 4-period delay: nothing in periods 0-3; period 4 pays period 0's 50,000."""
    terms = lead_with_subcontract(delay=4)
    entries, results = run(terms, range(6), lambda t: inputs(t, sub_actuals(t)))
    paid = [e for e in entries if e.line_item == "subcontract"]
    assert [e.period for e in paid] == [4, 5]
    assert all(e.amount == 50_000 for e in paid)
    assert results[-1].state.pending_subcontract_pence == 4 * 50_000


def alliance_on_cost_plus_fee(pain_cap="fee", gain_cap=None, corridor=()) -> ContractTerms:
    """Two members reimbursed at cost plus an 8% fee; target cost 1,200,000 a year."""
    return ContractTerms(
        name="cost_alliance",
        vehicle="alliance",
        commissioners=("ccg",),
        members=("a", "b"),
        payments=tuple(
            ServicePayment(
                payer="ccg",
                provider=m,
                line="service",
                terms=LinePayment(basis="cost_plus_fee", fee_share=0.08),
            )
            for m in ("a", "b")
        ),
        risk_share=RiskShareTerms(
            target_annual_pence=1_200_000,
            measure="costs",
            gain_shares={"a": 0.5, "b": 0.5},
            pain_shares={"a": 0.5, "b": 0.5},
            pain_cap=pain_cap,
            gain_cap_pence=gain_cap,
            corridor=corridor,
        ),
    )


def cost_actuals(monthly_cost):
    return lambda t: inputs(t, {m: ProviderActuals({}, monthly_cost) for m in ("a", "b")})


def test_pain_share_never_exceeds_fee():
    """Costs 2 x 12 x 100,000 = 2,400,000 against a 1,200,000 target: overrun
    1,200,000, provider half 600,000, 300,000 each; each member's fee is 8% x
    1,200,000 = 96,000, so each pays 96,000 and the cap binds."""
    entries, results = run(alliance_on_cost_plus_fee(), range(12), cost_actuals(100_000))
    flags = results[-1].flags
    assert flags["pain_by_member"] == {"a": 96_000, "b": 96_000}
    assert flags["pain_cap_binding"] is True
    # each member ends with its costs reimbursed: the fee is all it loses
    assert net_position(entries)["a"] == 1_200_000


def test_pain_cap_in_pence_applies_to_each_member():
    _e, results = run(alliance_on_cost_plus_fee(pain_cap=50_000), range(12), cost_actuals(100_000))
    assert results[-1].flags["pain_by_member"] == {"a": 50_000, "b": 50_000}


def test_gain_share_is_capped():
    """Costs 2 x 12 x 40,000 = 960,000: gain 240,000, half 120,000, cap 100,000."""
    _e, results = run(alliance_on_cost_plus_fee(gain_cap=100_000), range(12), cost_actuals(40_000))
    assert results[-1].flags["gain_pence"] == 100_000
    assert results[-1].flags["gain_cap_binding"] is True


def test_corridor_lowers_the_provider_share_of_a_large_overrun():
    """Overrun 1,200,000 on 1,200,000: up to 103% (36,000) at 50%, beyond at 10%:
    18,000 + 0.1 x 1,164,000 = 134,400; no cap."""
    terms = alliance_on_cost_plus_fee(
        pain_cap="none", corridor=(CorridorBand(from_ratio=1.03, provider_share=0.1),)
    )
    _e, results = run(terms, range(12), cost_actuals(100_000))
    assert results[-1].flags["pain_pence"] == 134_400


def test_commissioner_shares_split_the_commissioner_side():
    """Pooled budget 2/3 CCG, 1/3 council (seed 001 L514): a 120,000 pain share
    is received 80,000 / 40,000."""
    base = alliance_on_cost_plus_fee(pain_cap="none")
    terms = base.model_copy(
        update={
            "commissioners": ("ccg", "council"),
            "risk_share": base.risk_share.model_copy(
                update={"commissioner_shares": {"ccg": 2 / 3, "council": 1 / 3}}
            ),
        }
    )
    # costs 2 x 12 x 55,000 = 1,320,000: overrun 120,000; providers bear 60,000
    entries, _r = run(terms, range(12), cost_actuals(55_000))
    pain = by_item([e for e in entries if e.line_item == "pain_share"])
    assert sum(v for (_, _, c), v in pain.items() if c == "ccg") == 40_000
    assert sum(v for (_, _, c), v in pain.items() if c == "council") == 20_000


def test_marginal_rate_line_pays_thirty_percent_above_the_annual_baseline():
    """Baseline 1,000 a year at 1,000p; 100 a month: months 1-10 full, then 30%."""
    terms = ContractTerms(
        name="mret",
        vehicle="bilateral",
        commissioners=("ccg",),
        members=("acute",),
        payments=(
            ServicePayment(
                payer="ccg",
                provider="acute",
                line="nel",
                terms=LinePayment(
                    basis="marginal_rate", price_pence=1_000, baseline_activity=1_000
                ),
            ),
        ),
    )
    entries, _r = run(
        terms, range(12), lambda t: inputs(t, {"acute": ProviderActuals({"nel": 100}, 0)})
    )
    assert [e.amount for e in entries] == [100_000] * 10 + [30_000] * 2


def test_withheld_money_is_never_paid_twice():
    """Withhold 10% of a 1,200,000 block: 120,000 withheld, 60% attained -> 72,000."""
    terms = ContractTerms(
        name="w",
        vehicle="bilateral",
        commissioners=("ccg",),
        members=("p",),
        payments=(
            ServicePayment(
                payer="ccg",
                provider="p",
                line="s",
                terms=LinePayment(basis="block", annual_value_pence=1_200_000),
            ),
        ),
        outcome=OutcomeTerms(withhold_by_year=(0.1,)),
    )
    entries, results = run(terms, range(24), lambda t: inputs(t, attainment={"outcome_index": 0.6}))
    assert results[11].flags["outcome_paid_pence"] == 72_000
    assert results[11].state.withheld_pence == 120_000
    assert results[12].state.withheld_pence == 10_000  # a new year starts afresh
    assert net_position(entries)["p"] == 2 * (1_080_000 + 72_000)
    assert check_entries(entries) == []
