"""Decision rules (agents/decisions.py) pinned by hand-worked cases.

Each expected value is worked out in the comment beside it from the rule's
formula, so a changed coefficient or a swapped sign fails here.
"""

import pytest
from alliancesim.agents.decisions import (
    admission_push,
    effort_risk,
    integration_effort,
    marginal_income,
    reciprocity,
    reported_outcome,
    risk_aversion,
    shadow_of_future,
    should_squeeze,
)
from alliancesim.model.payment.terms import Basis, LinePayment
from alliancesim.scenario import BehaviourSpec, ChannelsSpec
from hypothesis import given
from hypothesis import strategies as st

PRICE = 1_000  # pence a unit
VARIABLE = 400.0  # pence a unit of variable cost


def tariff() -> LinePayment:
    return LinePayment(basis=Basis.TARIFF, price_pence=PRICE, planned_activity=100)


def marginal_rate(rate: float = 0.3) -> LinePayment:
    return LinePayment(
        basis=Basis.MARGINAL_RATE,
        price_pence=PRICE,
        baseline_activity=100,
        planned_activity=100,
        marginal_rate=rate,
    )


# ------------------------------------------------------------ integration effort
def test_effort_is_the_best_response_to_the_weighted_drive():
    # ((1 - 0.4) * 0.05 + 0.4 * 0.1 + 0.02) / 0.2 = (0.03 + 0.04 + 0.02) / 0.2 = 0.45
    assert integration_effort(0.05, 0.1, 0.4, 0.02, 0.2) == pytest.approx(0.45)


def test_effort_ignores_the_system_good_when_the_weight_on_it_is_zero():
    # a = 0: e = m / c = 0.03 / 0.1 = 0.3, whatever b is
    assert integration_effort(0.03, 0.9, 0.0, 0.0, 0.1) == pytest.approx(0.3)
    assert integration_effort(0.03, 0.0, 0.0, 0.0, 0.1) == pytest.approx(0.3)


def test_effort_ignores_own_profit_when_fully_altruistic():
    # a = 1: e = b / c = 0.02 / 0.1 = 0.2, whatever m is
    assert integration_effort(-5.0, 0.02, 1.0, 0.0, 0.1) == pytest.approx(0.2)


def test_negative_drive_gives_zero_effort_not_negative():
    # a tariff-paid acute trust that loses income on every avoided admission
    assert integration_effort(-0.2, 0.0, 0.1, 0.0, 0.1) == 0.0


def test_strong_drive_is_clipped_at_full_effort():
    assert integration_effort(0.5, 0.5, 0.5, 0.5, 0.1) == 1.0


def test_costlier_effort_lowers_an_interior_best_response():
    assert integration_effort(0.02, 0.02, 0.5, 0.0, 0.2) < integration_effort(
        0.02, 0.02, 0.5, 0.0, 0.1
    )


# ------------------------------------------------------------- marginal income
def test_tariff_pays_the_price_for_one_more_unit():
    assert marginal_income(tariff(), False, VARIABLE) == PRICE
    assert marginal_income(tariff(), True, VARIABLE) == PRICE


def test_marginal_rate_pays_full_price_below_baseline_and_the_rate_above():
    assert marginal_income(marginal_rate(0.3), False, VARIABLE) == pytest.approx(1_000)
    # MRET: 30% of tariff above the baseline
    assert marginal_income(marginal_rate(0.3), True, VARIABLE) == pytest.approx(300)


def test_blended_pays_the_variable_share_of_the_price():
    terms = LinePayment(
        basis=Basis.BLENDED,
        annual_value_pence=100_000,
        price_pence=PRICE,
        planned_activity=100,
        variable_share=0.2,
    )
    assert marginal_income(terms, False, VARIABLE) == pytest.approx(200)


def test_block_and_capitation_pay_nothing_for_one_more_unit():
    block = LinePayment(basis=Basis.BLOCK, annual_value_pence=100_000)
    capitation = LinePayment(
        basis=Basis.CAPITATION, rate_per_head_pence=50, reference_population=1000
    )
    assert marginal_income(block, True, VARIABLE) == 0.0
    assert marginal_income(capitation, True, VARIABLE) == 0.0


def test_cost_plus_fee_reimburses_the_variable_cost_and_the_fee_on_it():
    terms = LinePayment(basis=Basis.COST_PLUS_FEE, fee_share=0.03)
    # limb 1 + limb 2: 400 * 1.03 = 412
    assert marginal_income(terms, False, VARIABLE) == pytest.approx(412)


# ----------------------------------------------- reciprocity, shadow of the future
def test_shadow_of_future_is_years_over_years_plus_one():
    assert shadow_of_future(0) == 0.0
    assert shadow_of_future(1) == pytest.approx(0.5)
    assert shadow_of_future(9) == pytest.approx(0.9)
    assert shadow_of_future(-3) == 0.0  # an expired contract casts no shadow


@given(st.floats(0, 100), st.floats(0, 100))
def test_longer_contracts_cast_a_longer_shadow(a, b):
    lo, hi = sorted((a, b))
    assert 0.0 <= shadow_of_future(lo) <= shadow_of_future(hi) < 1.0


def test_reciprocity_is_the_product_of_weight_shadow_and_tied_cooperation():
    # tied cooperation = sum of tie x trust x cooperation, e.g. 1.0 x 0.5 = 0.5
    # 0.6 * (4 / 5) * 0.5 = 0.24
    assert reciprocity(0.6, 4, 0.5) == pytest.approx(0.24)
    # half the tie, half the reciprocity
    assert reciprocity(0.6, 4, 0.25) == pytest.approx(0.12)


def test_no_reciprocity_without_a_tie_or_with_defecting_partners():
    assert reciprocity(0.6, 10, 0.0) == 0.0  # no partner tied (or none cooperating)
    assert reciprocity(0.6, 0, 1.0) == 0.0  # no future to the relationship


# ------------------------------------------------------------ admission push
def test_admission_push_on_a_profitable_tariff_line():
    # drive = (1 - 0.3) * 0.6 - 0.3 * 0.5 = 0.42 - 0.15 = 0.27; push = 0.08 * 0.27
    assert admission_push(0.6, 0.3, 0.08) == pytest.approx(0.0216)


def test_no_admission_push_on_a_block_line_where_each_unit_only_costs():
    # block: marginal income 0, so the margin share is -variable/price < 0
    assert admission_push(-0.4, 0.0, 0.08) == 0.0


def test_weight_on_patients_suppresses_admission_push():
    # drive = 0.2 * 0.6 - 0.8 * 0.5 < 0
    assert admission_push(0.6, 0.8, 0.08) == 0.0


def test_the_patient_weight_prior_sets_how_strongly_patients_hold_push_back():
    # (1 - 0.3) * 0.6 - 0.3 * 1.0 = 0.12 -> 0.08 * 0.12 = 0.0096 (0.0216 at the default 0.5)
    assert admission_push(0.6, 0.3, 0.08, 1.0) == pytest.approx(0.0096)


def test_admission_push_never_exceeds_its_maximum():
    assert admission_push(10.0, 0.0, 0.08) == pytest.approx(0.08)


# ---------------------------------------------------------- reported outcome
def test_reported_outcome_adds_each_providers_gaming_past_the_audit():
    # 0.5 + 0.6 * (1 - 0.5) * 0.1 + 0.4 * (1 - 0.25) * 0.2 = 0.5 + 0.03 + 0.06 = 0.59
    gamed = [(0.6, 0.5, 0.1), (0.4, 0.25, 0.2)]
    assert reported_outcome(0.5, gamed) == pytest.approx(0.59)


def test_no_gaming_added_under_full_audit_or_without_gaming():
    assert reported_outcome(0.5, [(1.0, 1.0, 0.2)]) == 0.5
    assert reported_outcome(0.5, [(1.0, 0.0, 0.0)]) == 0.5
    assert reported_outcome(0.5, []) == 0.5


def test_reported_outcome_never_exceeds_one():
    assert reported_outcome(0.95, [(1.0, 0.0, 0.2)]) == 1.0


@given(
    st.floats(0, 1),
    st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)), max_size=5),
)
def test_reported_outcome_is_never_below_the_true_one(true, gamed):
    assert true <= reported_outcome(true, gamed) <= 1.0


# --------------------------------------------------------------- squeeze
def test_lead_under_its_target_margin_squeezes_when_the_draw_falls_under_p():
    assert should_squeeze(0.01, 0.02, 0.49, 0.5) is True
    assert should_squeeze(0.01, 0.02, 0.51, 0.5) is False


def test_lead_at_or_above_its_target_margin_never_squeezes():
    assert should_squeeze(0.02, 0.02, 0.0, 1.0) is False
    assert should_squeeze(0.10, 0.02, 0.0, 1.0) is False


# ---------------------------------------------------------- risk aversion
PRIORS = BehaviourSpec()


def test_risk_aversion_by_hand():
    # base (1 - 0.5) * 4 = 2; cushion 1 / (0.5 + 0.05 * 10) = 1
    assert risk_aversion(0.5, 0.05, False, PRIORS) == pytest.approx(2.0)
    assert risk_aversion(0.5, 0.05, True, PRIORS) == pytest.approx(4.0)  # distress doubles it
    assert risk_aversion(1.0, 0.05, False, PRIORS) == 0.0  # full appetite: risk neutral


def test_risk_aversion_reads_its_scale_from_the_priors_and_its_switch_from_the_channels():
    scaled = PRIORS.model_copy(update={"risk_aversion_scale": 8.0, "risk_cushion_slope": 20.0})
    # (1 - 0.5) * 8 / (0.5 + 0.05 * 20) = 4 / 1.5
    assert risk_aversion(0.5, 0.05, False, scaled) == pytest.approx(4.0 / 1.5)
    off = PRIORS.model_copy(update={"channels": ChannelsSpec(risk_aversion=False)})
    assert risk_aversion(0.0, 0.0, True, off) == 0.0


@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 2), st.floats(0, 2), st.booleans())
def test_risk_aversion_falls_with_appetite_and_reserves(a1, a2, r1, r2, distressed):
    lo_a, hi_a = sorted((a1, a2))
    lo_r, hi_r = sorted((r1, r2))
    p = PRIORS
    assert risk_aversion(hi_a, lo_r, distressed, p) <= risk_aversion(lo_a, lo_r, distressed, p)
    assert risk_aversion(lo_a, hi_r, distressed, p) <= risk_aversion(lo_a, lo_r, distressed, p)
    assert risk_aversion(lo_a, lo_r, False, p) <= risk_aversion(lo_a, lo_r, True, p)


def test_effort_risk_is_aversion_times_the_variance_of_the_pooled_return():
    # r = 2, pooled return 0.1 of income a unit of effort, cv 0.5: 2 x (0.05)^2 = 0.005
    assert effort_risk(2.0, 0.1, 0.5) == pytest.approx(0.005)
    assert effort_risk(0.0, 0.1, 0.5) == 0.0  # risk neutral
    assert effort_risk(2.0, 0.0, 0.5) == 0.0  # nothing pooled: no variance from effort


def test_risk_premium_acts_as_extra_effort_cost():
    # drive 0.05 / (0.1 + 0.025) = 0.4, against 0.05 / 0.1 = 0.5 with no premium
    assert integration_effort(0.05, 0.0, 0.0, 0.0, 0.1, 0.025) == pytest.approx(0.4)
    assert integration_effort(0.05, 0.0, 0.0, 0.0, 0.1) == pytest.approx(0.5)
