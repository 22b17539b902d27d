"""Trust: beta reputation with forgetting (agents/trust.py), pinned by hand.

The scripted-counterparty tests follow Axelrod's ``versus_test``: a partner's
conduct is listed period by period, with the trust it should leave behind.
"""

from fractions import Fraction

import pytest
from alliancesim.agents.trust import (
    Evidence,
    conduct_seen,
    evidence_for,
    provider_seen_by_commissioner,
    staff_turnover,
    update_evidence,
)
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.model.stages import observing
from alliancesim.scenario import load_scenario
from hypothesis import given
from hypothesis import strategies as st

COOPERATE, DEFECT = 1.0, 0.0
STRANGER = Evidence(0, 0)


def test_trust_is_the_beta_mean():
    assert Evidence(0, 0).trust == pytest.approx(0.5)  # Beta(1, 1): a stranger
    assert Evidence(3, 1).trust == pytest.approx(4 / 6)
    assert Evidence(0, 8).trust == pytest.approx(1 / 10)


def test_uncertainty_shrinks_with_evidence():
    assert Evidence(0, 0).uncertainty == 1.0
    assert Evidence(3, 5).uncertainty == pytest.approx(2 / 10)


def test_initial_trust_held_with_prior_evidence_by_hand():
    # T = 0.6 with 10 pieces: r + s = 10 and (r + 1) / 12 = 0.6 -> r = 6.2, s = 3.8
    evidence = evidence_for(0.6, 10)
    assert evidence.positive == pytest.approx(6.2)
    assert evidence.negative == pytest.approx(3.8)


@given(st.floats(0.05, 0.95), st.floats(1.0, 1000.0))
def test_evidence_for_round_trips_the_initial_trust(trust, prior):
    # interior trust levels are reproduced exactly when the prior can carry them
    if (prior + 2) * trust >= 1 and (prior + 2) * (1 - trust) >= 1:
        assert evidence_for(trust, prior).trust == pytest.approx(trust)


def test_extreme_initial_trust_stays_in_bounds():
    assert 0.0 <= evidence_for(0.0, 10).trust < 0.1
    assert 0.9 < evidence_for(1.0, 10).trust <= 1.0
    assert evidence_for(-1.0, 10) == evidence_for(0.0, 10)  # clipped


def test_one_update_with_forgetting_by_hand():
    # r = 0.9 * 6.2 + 1 = 6.58, s = 0.9 * 3.8 = 3.42; T = 7.58 / 12
    updated = update_evidence(Evidence(6.2, 3.8), COOPERATE, 1.0, 0.9)
    assert updated.positive == pytest.approx(6.58)
    assert updated.negative == pytest.approx(3.42)
    assert updated.trust == pytest.approx(7.58 / 12)


def test_graded_observation_splits_its_weight():
    # o = 0.75 observed with weight 0.4: +0.3 positive, +0.1 negative
    assert update_evidence(Evidence(0, 0), 0.75, 0.4, 1.0) == pytest.approx(Evidence(0.3, 0.1))


def test_nothing_observed_only_forgets():
    assert update_evidence(Evidence(4, 2), DEFECT, 0.0, 0.5) == pytest.approx(Evidence(2, 1))


def versus_test(script, expected, forgetting, good_news=1.0, start=STRANGER):
    """Play a scripted partner (observation, weight) per period; check trust each period."""
    evidence = start
    seen = []
    for observation, weight in script:
        evidence = update_evidence(evidence, observation, weight, forgetting, good_news)
        seen.append(evidence.trust)
    assert seen == pytest.approx([float(x) for x in expected])


def test_versus_a_partner_who_cooperates_twice_then_defects_twice():
    # no forgetting: (1,0) 2/3, (2,0) 3/4, (2,1) 3/5, (2,2) 1/2
    script = [(COOPERATE, 1), (COOPERATE, 1), (DEFECT, 1), (DEFECT, 1)]
    expected = [Fraction(2, 3), Fraction(3, 4), Fraction(3, 5), Fraction(1, 2)]
    versus_test(script, expected, forgetting=1.0)


def test_versus_the_same_partner_with_forgetting_recent_conduct_weighs_more():
    # forgetting 0.5: (1,0) 2/3; (1.5,0) 5/7; (0.75,1) 7/15; then o = 0.5:
    # (0.375 + 0.5, 0.5 + 0.5) = (0.875, 1) -> 1.875 / 3.875 = 15/31
    script = [(COOPERATE, 1), (COOPERATE, 1), (DEFECT, 1), (0.5, 1)]
    expected = [Fraction(2, 3), Fraction(5, 7), Fraction(7, 15), Fraction(15, 31)]
    versus_test(script, expected, forgetting=0.5)


def test_versus_a_partner_across_a_sticky_rift_good_news_counts_a_quarter():
    # good news weight 0.25: (0.25,0) 1.25/2.25 = 5/9; (0.5,0) 1.5/2.5 = 3/5;
    # a defection counts in full: (0.5,1) 1.5/3.5 = 3/7
    script = [(COOPERATE, 1), (COOPERATE, 1), (DEFECT, 1)]
    expected = [Fraction(5, 9), Fraction(3, 5), Fraction(3, 7)]
    versus_test(script, expected, forgetting=1.0, good_news=0.25)


def test_a_rift_heals_slower_than_an_ordinary_relationship():
    start = evidence_for(0.35, 10)
    ordinary = sticky = start
    for _ in range(12):
        ordinary = update_evidence(ordinary, COOPERATE, 1.0, 0.98)
        sticky = update_evidence(sticky, COOPERATE, 1.0, 0.98, 0.25)
    assert start.trust < sticky.trust < ordinary.trust


def test_a_rift_falls_as_fast_as_an_ordinary_relationship():
    start = evidence_for(0.35, 10)
    ordinary = update_evidence(start, DEFECT, 1.0, 0.98)
    sticky = update_evidence(start, DEFECT, 1.0, 0.98, 0.25)
    assert sticky == ordinary


def test_staff_turnover_loses_half_the_good_will_and_keeps_the_grievances():
    assert staff_turnover(Evidence(6, 2)) == Evidence(3, 2)
    assert staff_turnover(Evidence(6, 2)).trust < Evidence(6, 2).trust


observations = st.lists(
    st.tuples(st.floats(-1, 2), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)),
    max_size=60,
)


@given(st.floats(0, 1), st.floats(0.01, 1000), observations)
def test_trust_stays_in_the_unit_interval_over_any_observations(initial, prior, script):
    evidence = evidence_for(initial, prior)
    for observation, weight, forgetting, good_news in script:
        evidence = update_evidence(evidence, observation, weight, forgetting, good_news)
        if observation > 0.9 and weight > 0.5:
            evidence = staff_turnover(evidence)
        assert evidence.positive >= 0.0 and evidence.negative >= 0.0
        assert 0.0 <= evidence.trust <= 1.0


# -------------------------------------- the agent applies the rule to what it saw
@pytest.fixture
def quiet_model():
    """The default economy with no leadership turnover, so trust moves only on evidence."""
    scenario = load_scenario(
        "default", {"trust.turnover": 0.0, "trust.forgetting": 0.5, "economy.periods": 12}
    )
    return HealthEconomyModel(scenario, "alliance", seed=1)


def test_organisation_versus_scripted_partners_period_by_period(quiet_model):
    model = quiet_model
    community = model.orgs["community_trust"]
    gp = model.orgs["gp_federation"]
    start = community.evidence["gp_federation"]
    # the scripted GP federation cooperates, cooperates, defects; nothing else is seen
    script = [(COOPERATE, 1.0), (COOPERATE, 1.0), (DEFECT, 1.0)]
    expected = []
    evidence = start
    for observation, weight in script:
        evidence = Evidence(
            0.5 * evidence.positive + weight * observation,
            0.5 * evidence.negative + weight * (1 - observation),
        )
        expected.append(evidence.trust)
    seen = []
    for observed in script:
        model.trust.clear_observations()
        model.trust.observe(community.name, gp.name, *observed)
        community.update_trust()
        seen.append(community.trust_in(gp.name))
    assert seen == pytest.approx(expected)
    assert seen[0] < seen[1] and seen[2] < seen[1]


def test_commissioner_and_main_provider_update_across_the_sticky_rift(quiet_model):
    model = quiet_model
    assert observing.is_rift(model, "icb", "acute_trust")
    assert observing.is_rift(model, "acute_trust", "icb")
    assert not observing.is_rift(model, "icb", "community_trust")
    icb = model.orgs["icb"]
    icb.evidence["acute_trust"] = icb.evidence["community_trust"] = Evidence(0, 0)
    model.trust.clear_observations()
    model.trust.observe("icb", "acute_trust", 1.0, 1.0)
    model.trust.observe("icb", "community_trust", 1.0, 1.0)
    icb.update_trust()
    assert icb.trust_in("acute_trust") == pytest.approx(5 / 9)  # good news at a quarter
    assert icb.trust_in("community_trust") == pytest.approx(2 / 3)


def test_unobserved_partner_trust_only_decays_toward_the_prior_mean(quiet_model):
    model = quiet_model
    icb = model.orgs["icb"]
    icb.evidence["council"] = Evidence(8, 0)
    model.trust.clear_observations()
    icb.update_trust()
    assert icb.evidence["council"] == pytest.approx(Evidence(4, 0))


# ----------------------------------------------- what partners read from conduct
def test_working_together_reads_as_cooperation():
    # 0.5 + 0.8 - 0.5 * 0.8 = 0.9
    assert conduct_seen(0.8, 0.8, 0.0) == pytest.approx(0.9)


def test_being_left_to_do_the_work_alone_reads_as_defection():
    # 0.5 + 0.1 - 0.5 * 0.8 = 0.2
    assert conduct_seen(0.8, 0.1, 0.0) == pytest.approx(0.2)


def test_two_organisations_doing_little_read_as_neutral():
    # 0.5 + 0.1 - 0.05 = 0.55: no promise was broken, nothing much learnt
    assert conduct_seen(0.1, 0.1, 0.0) == pytest.approx(0.55)


def test_keeping_admissions_up_halves_what_partners_see():
    assert conduct_seen(0.5, 0.5, 1.0) == pytest.approx(0.5 * conduct_seen(0.5, 0.5, 0.0))


def test_conduct_seen_stays_between_zero_and_one():
    assert conduct_seen(0.0, 1.0, 0.0) == 1.0
    assert conduct_seen(1.0, 0.0, 0.0) == 0.0


def test_commissioner_reads_effort_and_push():
    assert provider_seen_by_commissioner(0.0, 0.0) == pytest.approx(0.4)
    assert provider_seen_by_commissioner(1.0, 0.0) == pytest.approx(1.0)
    assert provider_seen_by_commissioner(1.0, 1.0) == pytest.approx(0.5)
