"""The four worked cases, settled by hand in each docstring.

(a) musculoskeletal prime contractor (seed 001 L249-269, Bedfordshire);
(b) mental health alliance with a pooled budget (seed 000 L1103-1117, Case B);
(c) prime provider on year-of-care capitation (seed 001 L342-366, Cambridgeshire);
(d) traditional baseline: acute tariff, community and mental health block
    (seed 001 L728, seed 000 L153-159).
"""

from __future__ import annotations

import pytest
from alliancesim.model.payment.ledger import check_entries, net_position
from alliancesim.model.payment.settlement import ProviderActuals, SettlementState, settle_period
from alliancesim.model.payment.terms import (
    ContractTerms,
    GainBand,
    LinePayment,
    OutcomeTerms,
    RiskShareTerms,
    ServicePayment,
    Subcontract,
)
from payment_helpers import by_item, inputs, run

# --------------------------------------------------------------------------- (a)

MSK_VALUE = 2_650_000_000  # seed 001 L117, L249: GBP 26.5m in the first year
MSK_TRANCHE = 2_517_500_000  # seed 001 L253: 95% up front, full financial risk


def msk_prime_contractor() -> ContractTerms:
    """Bedfordshire MSK (seed 001 L249-269), year-one value, 1.3% growth not modelled.

    Reading of ambiguity note 8 (001 A2): "the first 5 per cent of any surplus
    from this 95 per cent" is a threshold of 5% of the 95% tranche; beyond it
    the surplus is split 50/50. Deficits stay with Circle (full financial risk).
    The five super-CQUIN weights are not given; patient outcomes weigh most.
    """
    return ContractTerms(
        name="msk_prime",
        vehicle="prime_contractor",
        commissioners=("bedfordshire_ccg",),
        members=("circle", "hospital_trust", "community_msk"),
        lead="circle",
        payments=(
            ServicePayment(
                payer="bedfordshire_ccg",
                provider="circle",
                line="msk_programme",
                terms=LinePayment(basis="block", annual_value_pence=MSK_TRANCHE),
            ),
        ),
        subcontracts=(
            Subcontract(
                lead="circle",
                subcontractor="hospital_trust",
                line="msk_surgery",
                terms=LinePayment(basis="tariff", price_pence=600_000, planned_activity=3_000),
            ),
            Subcontract(
                lead="circle",
                subcontractor="community_msk",
                line="msk_triage",
                terms=LinePayment(basis="block", annual_value_pence=600_000_000),
            ),
        ),
        reference_value_pence=MSK_VALUE,
        management_fee_share=0.025,  # seed 001 L253
        outcome=OutcomeTerms(
            withhold_by_year=(0.025,),  # seed 001 L253: 2.5% at risk
            mode="pot",
            metrics={
                "patient_outcomes": 0.4,
                "patient_experience": 0.15,
                "integrated_care": 0.15,
                "technology": 0.15,
                "annual_report": 0.15,
            },
            # seed 001 L269: year 1 measured only (mobilisation fee), year 2
            # ramping quarter by quarter (1/4, 2/4, 3/4, 4/4: mean 0.625), then full.
            at_risk_by_year=(0.0, 0.625, 1.0),
        ),
        risk_share=RiskShareTerms(
            target_annual_pence=MSK_TRANCHE,
            measure="costs",
            provider_gain_share=1.0,
            gain_bands=(GainBand(below_ratio=0.95, provider_share=0.5),),
            provider_pain_share=1.0,
            gain_shares={"circle": 1.0},
            pain_shares={"circle": 1.0},
            netting=False,
        ),
    )


def msk_actuals(period: int) -> dict[str, ProviderActuals]:
    # Circle delivers nothing itself (seed 001 L292); 250 operations a month.
    return {
        "circle": ProviderActuals({}, 0),
        "hospital_trust": ProviderActuals({"msk_surgery": 250}, 140_000_000),
        "community_msk": ProviderActuals({}, 48_000_000),
    }


def test_msk_prime_first_month():
    """Month 1, by hand.

    CCG -> Circle, 95% tranche: 2,517,500,000 / 12 = 209,791,666 r 8, so months
    1-8 get 209,791,667. Management fee 2.5% x 2,650,000,000 = 66,250,000 / 12 =
    5,520,833 r 4 -> 5,520,834 in month 1. Circle -> hospital: 250 x 600,000 =
    150,000,000. Circle -> community: 600,000,000 / 12 = 50,000,000.
    """
    terms = msk_prime_contractor()
    result = settle_period(terms, inputs(0, msk_actuals(0)), SettlementState.start(terms))
    assert by_item(list(result.entries)) == {
        ("block", "bedfordshire_ccg", "circle"): 209_791_667,
        ("management_fee", "bedfordshire_ccg", "circle"): 5_520_834,
        ("subcontract", "circle", "hospital_trust"): 150_000_000,
        ("subcontract", "circle", "community_msk"): 50_000_000,
    }


def test_msk_prime_year_one_keeps_five_percent_and_halves_the_rest():
    """Year 1, by hand.

    Supply-chain cost: 12 x 150,000,000 + 600,000,000 = 2,400,000,000 (Circle's
    own cost 0). Surplus on the tranche: 2,517,500,000 - 2,400,000,000 =
    117,500,000, below the 5% threshold (125,875,000): Circle keeps it all.
    Outcome pot 2.5% x 2,650,000,000 = 66,250,000, paid in full (year one is a
    mobilisation fee, at_risk 0). Circle's year: 2,517,500,000 + 66,250,000 fee
    + 66,250,000 pot - 2,400,000,000 = 250,000,000.
    """
    terms = msk_prime_contractor()
    entries, results = run(terms, range(12), lambda t: inputs(t, msk_actuals(t)))
    flags = results[-1].flags
    assert flags["outcome_paid_pence"] == 66_250_000
    assert flags["cost_true_up_pence"] == 2_400_000_000 - MSK_TRANCHE
    assert flags["gain_pence"] == 117_500_000
    totals = by_item(entries)
    assert totals[("cost_true_up", "circle", "bedfordshire_ccg")] == 117_500_000
    assert totals[("gain_share", "bedfordshire_ccg", "circle")] == 117_500_000
    assert net_position(entries)["circle"] == 250_000_000


def test_msk_prime_splits_surplus_beyond_five_percent_with_the_ccg():
    """Year 1 with cheaper surgery (GBP 5,000 x 250 a month), by hand.

    Supply chain: 12 x 125,000,000 + 600,000,000 = 2,100,000,000. Surplus
    417,500,000; first 5% of the tranche = 125,875,000 kept; the rest
    291,625,000 halved: the CCG gets 145,812,500 back. Circle keeps
    125,875,000 + 145,812,500 = 271,687,500 of the surplus.
    """
    base = msk_prime_contractor()
    cheaper = base.model_copy(
        update={
            "subcontracts": (
                base.subcontracts[0].model_copy(
                    update={
                        "terms": LinePayment(
                            basis="tariff", price_pence=500_000, planned_activity=3_000
                        )
                    }
                ),
                base.subcontracts[1],
            )
        }
    )
    entries, results = run(cheaper, range(12), lambda t: inputs(t, msk_actuals(t)))
    flags = results[-1].flags
    assert flags["gain_pence"] == 271_687_500
    ccg = net_position(entries)["bedfordshire_ccg"]
    paid_by_ccg = MSK_TRANCHE + 66_250_000 + 66_250_000
    assert ccg == -(paid_by_ccg - 145_812_500)


def test_msk_prime_bears_a_deficit_in_full():
    """Supply chain 12 x 200,000,000 + 600,000,000 = 3,000,000,000 > tranche.

    Full financial risk: no pain share flows either way and the CCG pays the
    tranche, the fee and the pot only; Circle is 482,500,000 - 132,500,000 =
    350,000,000 down.
    """
    terms = msk_prime_contractor()

    def actuals(t):
        a = msk_actuals(t)
        a["hospital_trust"] = ProviderActuals({"msk_surgery": 2000 / 6}, 0)
        return a

    entries, results = run(terms, range(12), lambda t: inputs(t, actuals(t)))
    assert results[-1].flags["pain_pence"] == 482_500_000
    assert net_position(entries)["circle"] == -(482_500_000 - 132_500_000)
    assert net_position(entries)["bedfordshire_ccg"] == -(MSK_TRANCHE + 132_500_000)


def test_msk_prime_year_two_phases_outcome_risk_in():
    """Year 2: attainment 0.8 on every metric; 62.5% of the pot at risk.

    paid share = 0.375 + 0.625 x 0.8 = 0.875; 0.875 x 66,250,000 = 57,968,750.
    """
    terms = msk_prime_contractor()
    _entries, results = run(
        terms,
        range(24),
        lambda t: inputs(
            t,
            msk_actuals(t),
            attainment=dict.fromkeys(
                (
                    "patient_outcomes",
                    "patient_experience",
                    "integrated_care",
                    "technology",
                    "annual_report",
                ),
                0.8,
            ),
        ),
    )
    assert results[-1].flags["outcome_paid_share"] == pytest.approx(0.875)
    assert results[-1].flags["outcome_paid_pence"] == 57_968_750


# --------------------------------------------------------------------------- (b)

MH_ENVELOPE = 1_200_000_000  # seed 000 L652: GBP 12m in year one
MH_PRICES = {"la_social_care": 100_000, "mh_trust": 40_000, "vcs_a": 25_000, "vcs_b": 25_000}
MH_PLAN = {"la_social_care": 4_800, "mh_trust": 12_000, "vcs_a": 4_800, "vcs_b": 4_800}


def mh_alliance() -> ContractTerms:
    """Case B alliance (seed 000 L644-681, L1103-1117).

    Monthly payments on forecast activity with quarterly reconciliation
    (seed 000 L654, L794): a blended line with variable_share 1.0 pays the plan
    monthly and trues up to price x actual activity each quarter. The outcome
    pot is about 1% of value (GBP 140,000 of GBP 12m: 1.17%), split 40/40/10/10
    in proportion to contract value, pain equal to gain, not in year one
    (L1103-1105). Overspends are resolved by the providers (L1113) and shared
    by the MH trust and the LA only (the third sector is excluded, L1335, L1422).
    Year-one underspend returns to the commissioners (L1115); later ones first
    offset partners' overspends, then split 50/50 (L1115-1117). The envelope
    reopens at demand >= 10% over plan (L1113).
    """
    return ContractTerms(
        name="mh_alliance",
        vehicle="alliance",
        commissioners=("ccg_pooled",),
        members=("la_social_care", "mh_trust", "vcs_a", "vcs_b"),
        payments=tuple(
            ServicePayment(
                payer="ccg_pooled",
                provider=m,
                line="rehab_placements",
                terms=LinePayment(
                    basis="blended",
                    annual_value_pence=MH_PRICES[m] * MH_PLAN[m],
                    price_pence=MH_PRICES[m],
                    planned_activity=MH_PLAN[m],
                    variable_share=1.0,
                ),
            )
            for m in MH_PRICES
        ),
        outcome=OutcomeTerms(
            withhold_by_year=(0.0, 0.0117),
            mode="pot",
            split={"la_social_care": 0.4, "mh_trust": 0.4, "vcs_a": 0.1, "vcs_b": 0.1},
            pain_equals_gain=True,
        ),
        risk_share=RiskShareTerms(
            target_annual_pence=MH_ENVELOPE,
            measure="payments",
            provider_gain_share=0.5,
            provider_pain_share=1.0,
            gain_shares={"la_social_care": 0.4, "mh_trust": 0.4, "vcs_a": 0.1, "vcs_b": 0.1},
            pain_shares={"la_social_care": 0.5, "mh_trust": 0.5},
            excluded=("vcs_a", "vcs_b"),
            year_one_underspend_to_commissioner=True,
            demand_trigger=0.10,
        ),
        duration_years=2,
        extension_years=1,
    )


MH_MONTHLY = {"la_social_care": 370, "mh_trust": 1_050, "vcs_a": 400, "vcs_b": 360}
MH_COSTS = {
    "la_social_care": 35_000_000,
    "mh_trust": 45_000_000,
    "vcs_a": 10_000_000,
    "vcs_b": 9_000_000,
}


def mh_actuals(scale: float = 1.0) -> dict[str, ProviderActuals]:
    return {
        m: ProviderActuals({"rehab_placements": MH_MONTHLY[m] * scale}, MH_COSTS[m])
        for m in MH_MONTHLY
    }


def test_mh_alliance_pays_forecast_monthly_and_reconciles_each_quarter():
    """Months 1-2 pay the plan / 12; month 3 trues up to the quarter's activity.

    mh_trust: plan 12,000 bed-days a year at GBP 400 -> 40,000,000 a month.
    Q1 actual 3 x 1,050 = 3,150 vs plan 3,000: +150 x 40,000 = +6,000,000.
    la: 3 x 370 = 1,110 vs 1,200: -90 x 100,000 = -9,000,000 (LA pays back).
    vcs_b: 1,080 vs 1,200: -120 x 25,000 = -3,000,000. vcs_a on plan: nothing.
    """
    terms = mh_alliance()
    entries, results = run(terms, range(3), lambda t: inputs(t, mh_actuals()))
    month_one = by_item([e for e in entries if e.period == 0])
    assert month_one[("blended", "ccg_pooled", "mh_trust")] == 40_000_000
    assert month_one[("blended", "ccg_pooled", "vcs_a")] == 10_000_000
    assert results[2].flags["quarter_end"] and not results[1].flags["quarter_end"]
    q1 = by_item([e for e in entries if e.line_item == "blended_reconciliation"])
    assert q1 == {
        ("blended_reconciliation", "ccg_pooled", "mh_trust"): 6_000_000,
        ("blended_reconciliation", "la_social_care", "ccg_pooled"): 9_000_000,
        ("blended_reconciliation", "vcs_b", "ccg_pooled"): 3_000_000,
    }


def test_mh_alliance_year_one_underspend_returns_to_commissioner_after_netting():
    """Year 1, by hand.

    Payments: LA 4,440 x 100,000 = 444,000,000; MH 12,600 x 40,000 =
    504,000,000; vcs_a 120,000,000; vcs_b 4,320 x 25,000 = 108,000,000.
    Total 1,176,000,000: 24,000,000 under the envelope -> returned to the
    commissioner in year one (no gain share). Netting: LA +24,000,000
    (444m - 420m cost), MH -36,000,000 (504m - 540m): the LA transfers
    24,000,000 to the MH trust (seed 000 L1422). No outcome pot in year one.
    """
    terms = mh_alliance()
    entries, results = run(terms, range(12), lambda t: inputs(t, mh_actuals()))
    flags = results[-1].flags
    assert flags["measure_pence"] == 1_176_000_000
    assert flags["underspend_returned_to_commissioner"] is True
    assert flags["gain_pence"] == 0 and flags["first_call_pence"] == 0
    assert flags["netted_pence"] == 24_000_000
    assert flags["outcome_paid_pence"] == 0
    totals = by_item(entries)
    assert totals[("netting", "la_social_care", "mh_trust")] == 24_000_000
    assert not [e for e in entries if e.line_item in ("gain_share", "outcome_payment")]
    assert net_position(entries)["ccg_pooled"] == -1_176_000_000


def test_mh_alliance_year_two_underspend_offsets_overspend_then_splits_fifty_fifty():
    """Year 2, same activity and costs, attainment 0.8, by hand.

    Netting as in year 1 leaves the MH trust 12,000,000 short: the first call
    on the 24,000,000 underspend pays it. The remaining 12,000,000 is split
    50/50: 6,000,000 to providers, 40/40/10/10 = 2,400,000, 2,400,000,
    600,000, 600,000. Outcome pot 1.17% x 1,200,000,000 = 14,040,000; pain
    equals gain around 0.5: (0.8 - 0.5) / 0.5 = 0.6 -> 8,424,000, split
    3,369,600 / 3,369,600 / 842,400 / 842,400.
    """
    terms = mh_alliance()
    entries, results = run(
        terms,
        range(24),
        lambda t: inputs(t, mh_actuals(), attainment={"outcome_index": 0.8}),
    )
    flags = results[-1].flags
    assert flags["first_call_pence"] == 12_000_000
    assert flags["gain_pence"] == 6_000_000
    assert flags["gain_by_member"] == {
        "la_social_care": 2_400_000,
        "mh_trust": 2_400_000,
        "vcs_a": 600_000,
        "vcs_b": 600_000,
    }
    assert flags["outcome_paid_pence"] == 8_424_000
    year_two = by_item([e for e in entries if e.period == 23])
    assert year_two[("underspend_first_call", "ccg_pooled", "mh_trust")] == 12_000_000
    assert year_two[("outcome_payment", "ccg_pooled", "vcs_b")] == 842_400
    assert check_entries(entries) == []


def test_mh_alliance_overspend_is_borne_by_statutory_members_only():
    """Year 1 at 110% of the monthly activity above, demand 5% over plan.

    Payments 1.1 x 1,176,000,000 = 1,293,600,000: 93,600,000 over the
    envelope, all borne by providers, 50/50 by the LA and the MH trust
    (46,800,000 each); the third sector bears none.
    """
    terms = mh_alliance()
    _entries, results = run(
        terms, range(12), lambda t: inputs(t, mh_actuals(1.1), demand_vs_plan=1.05)
    )
    flags = results[-1].flags
    assert flags["pain_by_member"] == {"la_social_care": 46_800_000, "mh_trust": 46_800_000}
    assert flags["envelope_reopened"] is False


def test_mh_alliance_demand_trigger_reopens_the_envelope():
    """Same overspend, but demand reached 12% over plan in month 7: pain waived."""
    terms = mh_alliance()
    entries, results = run(
        terms,
        range(12),
        lambda t: inputs(t, mh_actuals(1.1), demand_vs_plan=1.12 if t == 6 else 1.0),
    )
    assert results[6].flags["demand_trigger"] is True
    assert results[5].flags["demand_trigger"] is False
    assert results[-1].flags["envelope_reopened"] is True
    assert results[-1].flags["pain_pence"] == 0
    assert not [e for e in entries if e.line_item == "pain_share"]


def test_mh_alliance_outcome_pain_equals_gain():
    """Year 2 attainment 0.3: (0.5 - 0.3) / 0.5 = 0.4 of 14,040,000 = 5,616,000 paid
    back, by the non-excluded providers in proportion 40/40: 2,808,000 each."""
    terms = mh_alliance()
    entries, results = run(
        terms,
        range(24),
        lambda t: inputs(t, mh_actuals(), attainment={"outcome_index": 0.3}),
    )
    assert results[-1].flags["outcome_paid_pence"] == -5_616_000
    pain = by_item([e for e in entries if e.line_item == "outcome_pain"])
    assert pain == {
        ("outcome_pain", "la_social_care", "ccg_pooled"): 2_808_000,
        ("outcome_pain", "mh_trust", "ccg_pooled"): 2_808_000,
    }


# --------------------------------------------------------------------------- (c)

CAMBS_RATE = 160_000  # GBP 1,600 a head a year: GBP 160m for 100,000 people (seed 001 L342)


def older_people_prime_provider() -> ContractTerms:
    """Cambridgeshire older people's prime provider (seed 001 L342, L364-366).

    Year-of-care capitation for the over-65s with a population tolerance (the
    seed gives no value: 2% here); outcome payments 0% / 10% / 10% / 15% / 15% by
    contract year. Ambiguity note 9 (001 A2): read as withheld from within the
    contract value, not paid on top. The prime provider subcontracts acute
    admissions to the acute trust at tariff.
    """
    return ContractTerms(
        name="older_people_prime",
        vehicle="lead_provider",
        commissioners=("cambs_ccg",),
        members=("unitingcare", "acute_trust"),
        lead="unitingcare",
        payments=(
            ServicePayment(
                payer="cambs_ccg",
                provider="unitingcare",
                line="year_of_care_65plus",
                terms=LinePayment(
                    basis="capitation",
                    rate_per_head_pence=CAMBS_RATE,
                    reference_population=100_000,
                    tolerance=0.02,
                ),
            ),
        ),
        subcontracts=(
            Subcontract(
                lead="unitingcare",
                subcontractor="acute_trust",
                line="nel_admissions",
                terms=LinePayment(basis="tariff", price_pence=250_000),
            ),
        ),
        outcome=OutcomeTerms(
            withhold_by_year=(0.0, 0.10, 0.10, 0.15, 0.15),
            metrics={"early_intervention": 0.5, "acute_episode": 0.3, "end_of_life": 0.2},
            quality_gate=0.5,
        ),
    )


def cambs_inputs(t: int, population: int = 101_000, attainment: float = 0.7, **kw):
    return inputs(
        t,
        {
            "unitingcare": ProviderActuals({}, 700_000_000),
            "acute_trust": ProviderActuals({"nel_admissions": 2_000}, 400_000_000),
        },
        attainment={
            "early_intervention": attainment,
            "acute_episode": attainment,
            "end_of_life": attainment,
        },
        population=population,
        **kw,
    )


def test_prime_provider_month_in_year_two_withholds_ten_percent():
    """Month 13 (year 2, first month), population 101,000 (1% over: inside band).

    Capitation 160,000 x 100,000 = 16,000,000,000 a year / 12 = 1,333,333,333
    r 4 -> 1,333,333,334 in the first month. Withheld 10%: 133,333,333
    (round half even of 133,333,333.4) -> paid 1,200,000,001.
    Subcontract: 2,000 x 250,000 = 500,000,000.
    """
    terms = older_people_prime_provider()
    entries, results = run(terms, range(13), cambs_inputs)
    month = by_item([e for e in entries if e.period == 12])
    assert month == {
        ("capitation", "cambs_ccg", "unitingcare"): 1_200_000_001,
        ("subcontract", "unitingcare", "acute_trust"): 500_000_000,
    }
    assert results[-1].flags["withheld_pence"] == 133_333_333


def test_prime_provider_year_one_is_bedding_in_with_nothing_withheld():
    terms = older_people_prime_provider()
    entries, results = run(terms, range(12), cambs_inputs)
    assert results[-1].flags["outcome_at_stake_pence"] == 0
    assert by_item(entries)[("capitation", "cambs_ccg", "unitingcare")] == 16_000_000_000


def test_prime_provider_year_two_outcome_pays_attainment_share_of_withhold():
    """Year 2: withheld 10% x 16,000,000,000 = 1,600,000,000; attainment 0.7 >=
    gate 0.5 -> 0.7 x 1,600,000,000 = 1,120,000,000 paid at year end."""
    terms = older_people_prime_provider()
    entries, results = run(terms, range(24), cambs_inputs)
    flags = results[-1].flags
    assert flags["outcome_at_stake_pence"] == 1_600_000_000
    assert flags["outcome_paid_pence"] == 1_120_000_000
    year_two = [e for e in entries if 12 <= e.period <= 23 and e.line_item == "capitation"]
    assert sum(e.amount for e in year_two) == 16_000_000_000 - 1_600_000_000


def test_prime_provider_below_quality_gate_gets_nothing_unless_lenient():
    terms = older_people_prime_provider()
    _e, results = run(terms, range(24), lambda t: cambs_inputs(t, attainment=0.4))
    assert results[-1].flags["outcome_paid_pence"] == 0
    _e, results = run(terms, range(24), lambda t: cambs_inputs(t, attainment=0.4, lenient=t == 23))
    assert results[-1].flags["outcome_paid_pence"] == 1_600_000_000


def test_prime_provider_population_outside_tolerance_adjusts_capitation():
    """Population 103,000 (3% over the 2% band): 160,000 x 103,000 =
    16,480,000,000 a year, 1,373,333,333 r 4 -> 1,373,333,334 in month 1."""
    terms = older_people_prime_provider()
    result = settle_period(terms, cambs_inputs(0, population=103_000), SettlementState.start(terms))
    assert by_item(list(result.entries))[("capitation", "cambs_ccg", "unitingcare")] == (
        1_373_333_334
    )


def test_prime_provider_year_four_withholds_fifteen_percent():
    terms = older_people_prime_provider()
    _e, results = run(terms, range(48), cambs_inputs)
    assert results[-1].flags["outcome_at_stake_pence"] == 2_400_000_000


# --------------------------------------------------------------------------- (d)


def traditional_baseline() -> ContractTerms:
    """Bilateral contracts: acute on tariff, community and mental health on block.

    seed 001 L728 (PbR for acute, "lump sum" blocks for mental health and
    community), seed 000 L153-159; appendix A4 of the seed 001 notes.
    """
    return ContractTerms(
        name="baseline",
        vehicle="bilateral",
        commissioners=("ccg",),
        members=("acute_trust", "community_trust", "mh_trust"),
        payments=(
            ServicePayment(
                payer="ccg",
                provider="acute_trust",
                line="nel_admissions",
                terms=LinePayment(basis="tariff", price_pence=150_000, planned_activity=1_200),
            ),
            ServicePayment(
                payer="ccg",
                provider="community_trust",
                line="community_contacts",
                terms=LinePayment(basis="block", annual_value_pence=1_200_000_005),
            ),
            ServicePayment(
                payer="ccg",
                provider="mh_trust",
                line="mental_health",
                terms=LinePayment(basis="block", annual_value_pence=600_000_000),
            ),
        ),
        duration_years=1,
    )


def baseline_inputs(t: int):
    return inputs(t, {"acute_trust": ProviderActuals({"nel_admissions": 110}, 0)})


def test_baseline_month_pays_tariff_and_blocks():
    """Month 1: acute 110 x 150,000 = 16,500,000; community 1,200,000,005 / 12 =
    100,000,000 r 5 -> 100,000,001; mental health 600,000,000 / 12 = 50,000,000."""
    terms = traditional_baseline()
    result = settle_period(terms, baseline_inputs(0), SettlementState.start(terms))
    assert by_item(list(result.entries)) == {
        ("tariff", "ccg", "acute_trust"): 16_500_000,
        ("block", "ccg", "community_trust"): 100_000_001,
        ("block", "ccg", "mh_trust"): 50_000_000,
    }


def test_baseline_year_sums_blocks_exactly_and_tariff_by_activity():
    """Year: acute 1,320 x 150,000 = 198,000,000; community exactly 1,200,000,005;
    mental health 600,000,000. The commissioner pays 1,998,000,005 in all."""
    terms = traditional_baseline()
    entries, results = run(terms, range(12), baseline_inputs)
    assert net_position(entries) == {
        "ccg": -1_998_000_005,
        "acute_trust": 198_000_000,
        "community_trust": 1_200_000_005,
        "mh_trust": 600_000_000,
    }
    assert "gain_pence" not in results[-1].flags
