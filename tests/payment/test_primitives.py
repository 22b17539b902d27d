"""Each settlement primitive on its own, with hand-worked numbers."""

from __future__ import annotations

import pytest
from alliancesim.model.payment import primitives as p
from hypothesis import given
from hypothesis import strategies as st


def test_round_pence_rounds_half_to_even():
    assert [p.round_pence(x) for x in (0.5, 1.5, 2.5, 2.4999, -0.5)] == [0, 2, 2, 2, 0]


def test_block_instalments_sum_exactly_to_the_annual_value():
    # 100p over 12 months: 8p each, the 4 leftover pence go to months 1-4.
    assert [p.block_instalment(100, m, 12) for m in range(12)] == [9] * 4 + [8] * 8
    assert p.block_to_date(100, 5, 12) == 9 * 4 + 8


@given(st.integers(0, 10**12), st.sampled_from([1, 2, 4, 12, 13, 52]))
def test_block_instalments_of_any_year_sum_to_the_annual_value(annual, ppy):
    instalments = [p.block_instalment(annual, m, ppy) for m in range(ppy)]
    assert sum(instalments) == annual
    assert max(instalments) - min(instalments) <= 1
    assert p.block_to_date(annual, ppy, ppy) == annual


def test_tariff_is_price_times_activity_and_never_negative():
    assert p.tariff_payment(150_000, 110) == 16_500_000  # 110 admissions at GBP 1,500
    assert p.tariff_payment(333, 0.5) == 166  # 166.5 -> 166 (half to even)
    assert p.tariff_payment(150_000, -3) == 0


def test_marginal_rate_pays_thirty_percent_above_baseline():
    # baseline 100 units at GBP 1,000; 120 units: 100 x 1000 + 20 x 300 = GBP 106,000
    assert p.marginal_rate_value(100_000, 120, 100, 0.3) == 10_600_000
    # a period that crosses the baseline: 90 done already, 20 more: 10 full + 10 at 30%
    assert p.marginal_rate_payment(100_000, 90, 20, 100, 0.3) == 1_000_000 + 300_000


@given(st.lists(st.floats(0, 50), min_size=1, max_size=12), st.floats(0, 300))
def test_marginal_rate_payments_telescope_to_the_year_value(activities, baseline):
    paid, before = 0, 0.0
    for a in activities:
        paid += p.marginal_rate_payment(12_345, before, a, baseline, 0.3)
        before += a
    assert paid == p.marginal_rate_value(12_345, before, baseline, 0.3)


def test_blended_payment_moves_with_activity_either_way_but_not_below_zero():
    # fixed GBP 1m for 1,000 units; v = 20% of GBP 1,000 per unit
    assert p.blended_payment(100_000_000, 100_000, 1_100, 1_000, 0.2) == 102_000_000
    assert p.blended_payment(100_000_000, 100_000, 900, 1_000, 0.2) == 98_000_000
    assert p.blended_payment(1_000, 100_000, 0, 1_000, 1.0) == 0


def test_capitation_pays_reference_population_inside_the_tolerance_band():
    # GBP 1,600 a head, 100,000 people, 2% band
    assert p.capitation_value(160_000, 100_000, 101_999, 0.02) == 16_000_000_000
    assert p.capitation_value(160_000, 100_000, 102_000, 0.02) == 16_000_000_000
    assert p.capitation_value(160_000, 100_000, 103_000, 0.02) == 160_000 * 103_000
    assert p.capitation_value(160_000, 100_000, 97_000, 0.02) == 160_000 * 97_000


def test_cost_plus_fee_reimburses_cost_and_adds_fee():
    assert p.cost_plus_fee(1_000_000, 0.08) == (1_000_000, 80_000)
    assert p.cost_plus_fee(-5, 0.08) == (0, 0)


def test_management_fee_is_a_share_of_contract_value():
    # Bedfordshire: 2.5% of GBP 26.5m = GBP 662,500
    assert p.management_fee(2_650_000_000, 0.025) == 66_250_000


def test_withhold_is_a_share_of_the_payment():
    assert p.withhold(1_333_333_334, 0.10) == 133_333_333


def test_weighted_attainment_ignores_metric_order_and_counts_missing_as_zero():
    weights = {"outcomes": 0.4, "experience": 0.3, "integration": 0.3}
    assert p.weighted_attainment({"outcomes": 1.0, "experience": 0.5}, weights) == pytest.approx(
        0.55
    )
    reordered = dict(reversed(list(weights.items())))
    assert p.weighted_attainment({"outcomes": 1.0, "experience": 0.5}, reordered) == (
        p.weighted_attainment({"outcomes": 1.0, "experience": 0.5}, weights)
    )


def test_outcome_share_follows_gate_leniency_phase_and_pain():
    assert p.outcome_paid_share(0.7) == pytest.approx(0.7)
    assert p.outcome_paid_share(0.7, quality_gate=0.75) == 0.0
    assert p.outcome_paid_share(0.1, quality_gate=0.75, lenient=True) == 1.0
    # Bedfordshire year two: 62.5% at risk, attainment 0.8 -> 0.375 + 0.625 x 0.8
    assert p.outcome_paid_share(0.8, at_risk=0.625) == pytest.approx(0.875)
    # pain equal to gain around 0.5: 0.8 -> +0.6, 0.3 -> -0.4
    assert p.outcome_paid_share(0.8, pain_equals_gain=True) == pytest.approx(0.6)
    assert p.outcome_paid_share(0.3, pain_equals_gain=True) == pytest.approx(-0.4)
    assert p.outcome_payment(14_040_000, 0.6) == 8_424_000


def test_tiered_share_keeps_first_band_and_splits_the_rest():
    assert p.tiered_share(1_000, 1.0, [(100, 0.5)]) == 550
    assert p.tiered_share(80, 1.0, [(100, 0.5)]) == 80
    assert p.tiered_share(0, 1.0, [(100, 0.5)]) == 0


def test_bedfordshire_gain_share_keeps_first_five_percent_then_fifty_fifty():
    # target (the 95% tranche) GBP 25,175,000; surplus GBP 4,175,000
    # first 5% of the target (GBP 1,258,750) kept; the rest halved:
    # 1,258,750 + 0.5 x 2,916,250 = GBP 2,716,875
    gain, binding = p.gain_share(2_517_500_000, 417_500_000, 1.0, [(0.95, 0.5)])
    assert (gain, binding) == (271_687_500, False)


def test_gain_cap_binds():
    assert p.gain_share(1_000_000, 400_000, 0.5, (), gain_cap_pence=100_000) == (100_000, True)


def test_pain_share_follows_a_corridor():
    # target 1,000,000; spend 1,100,000; provider bears 100% to 103%, 50% beyond
    # 30,000 + 0.5 x 70,000 = 65,000
    assert p.pain_share(1_000_000, 1_100_000, 1.0, [(1.03, 0.5)]) == 65_000
    assert p.pain_share(1_000_000, 900_000, 1.0) == 0


def test_pain_share_never_exceeds_fee():
    assert p.cap_pain(500_000, 80_000) == (80_000, True)
    assert p.cap_pain(50_000, 80_000) == (50_000, False)
    assert p.cap_pain(50_000, None) == (50_000, False)


def test_allocation_of_the_forty_forty_ten_ten_split_is_exact():
    shares = {"la": 0.4, "mh_trust": 0.4, "vcs_a": 0.1, "vcs_b": 0.1}
    assert p.allocate(8_424_000, shares) == {
        "la": 3_369_600,
        "mh_trust": 3_369_600,
        "vcs_a": 842_400,
        "vcs_b": 842_400,
    }


def test_allocation_breaks_ties_by_name_not_listing_order():
    # 10p in three equal parts: 3 each, the spare penny to the first name
    assert p.allocate(10, {"c": 1, "a": 1, "b": 1}) == {"a": 4, "b": 3, "c": 3}
    assert p.allocate(10, {"b": 1, "c": 1, "a": 1}) == {"a": 4, "b": 3, "c": 3}
    assert p.allocate(-10, {"a": 1, "b": 1}) == {"a": -5, "b": -5}
    assert p.allocate(7, {"a": 0.0, "b": 0.0}) == {"a": 4, "b": 3}


@given(
    st.integers(-(10**12), 10**12),
    st.dictionaries(st.sampled_from("abcdefg"), st.floats(0, 1), min_size=1),
)
def test_allocation_sums_exactly_and_is_order_free(amount, weights):
    parts = p.allocate(amount, weights)
    assert sum(parts.values()) == amount
    assert p.allocate(amount, dict(reversed(list(weights.items())))) == parts
    # the parts come back in name order whatever the listing order (the ledger's cost
    # entries are posted in this order, booking.cost_entries)
    assert list(p.allocate(amount, dict(reversed(list(weights.items()))))) == sorted(weights)


def test_netting_moves_surplus_to_deficits():
    # seed 000 L1422: the LA's underspend covers the MH trust's overspend
    assert p.net_off({"la": 24_000_000, "mh_trust": -36_000_000, "vcs": 0}) == [
        ("la", "mh_trust", 24_000_000)
    ]
    assert p.net_off({"a": 10, "b": 10}) == []


@given(st.dictionaries(st.sampled_from("abcdef"), st.integers(-(10**9), 10**9)))
def test_netting_conserves_money_and_never_overshoots(positions):
    transfers = p.net_off(positions)
    after = dict(positions)
    for payer, payee, amount in transfers:
        assert amount > 0 and positions[payer] > 0 and positions[payee] < 0
        after[payer] -= amount
        after[payee] += amount
    assert sum(after.values()) == sum(positions.values())
    for name, value in positions.items():
        assert (after[name] >= 0) if value > 0 else (after[name] <= 0)


def test_underspend_first_offsets_overspends_then_leaves_the_rest_to_split():
    first, rest = p.underspend_calls(
        24_000_000,
        {"mh_trust": 12_000_000},
        offset_overspends_first=True,
        returned_to_commissioner=False,
    )
    assert (first, rest) == ({"mh_trust": 12_000_000}, 12_000_000)


def test_year_one_underspend_returns_to_commissioner():
    assert p.underspend_calls(
        24_000_000, {"mh": 1}, offset_overspends_first=True, returned_to_commissioner=True
    ) == ({}, 0)


def test_demand_trigger_fires_at_ten_percent_over_plan():
    assert p.demand_trigger(1.10, 0.10)
    assert not p.demand_trigger(1.0999, 0.10)
    assert not p.demand_trigger(5.0, None)


def test_squeeze_holds_back_a_share_of_the_subcontract_price():
    assert p.subcontract_payment(1_000_000, 0.1, True) == (900_000, 100_000)
    assert p.subcontract_payment(1_000_000, 0.1, False) == (1_000_000, 0)
    assert p.subcontract_payment(-50, 0.1, True) == (-50, 0)


def test_delayed_payments_are_released_when_due():
    released, pending = p.release_delayed([(4, 0, 10), (5, 1, 20)], 4)
    assert released == [(4, 0, 10)]
    assert pending == ((5, 1, 20),)
