"""Hand-worked cases for the negotiation and governance rules, and the run wiring."""

from __future__ import annotations

import random

import pytest
from alliancesim.agents.governance import decide, escalate, helps_cover
from alliancesim.agents.negotiation import (
    ABANDONED,
    AGREED,
    SCALED_DOWN,
    Economics,
    Negotiation,
    Party,
    Proposal,
    approval_pace,
    bargaining_power,
    expected_positive,
    nash_product,
    nash_split,
    negotiate_scenario,
    risk_share_value,
    shock_probability,
    summarise,
    zeuthen_concedes,
)
from alliancesim.experiments.outputs import run_summary
from alliancesim.model.payment.terms import GovernanceTerms
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.scenario import load_preset

HIGH = {"trust.initial": 0.85, "trust.commissioner_provider": 0.85, "trust.pairs": []}
LOW = {"trust.initial": 0.3, "trust.commissioner_provider": 0.3, "trust.pairs": []}


def negotiated(overrides=None):
    return load_preset("default").with_overrides(
        {"contract_models.alliance.negotiate": True, **(overrides or {})}
    )


# ------------------------------------------------------------ bargaining by hand
def test_two_party_nash_split_gives_disagreement_plus_power_share_of_the_rest():
    # S = 100, d = (20, 10), theta = (0.6, 0.4): the rest is 70; 20 + 42 and 10 + 28
    split = nash_split(100.0, {"icb": 20.0, "acute": 10.0}, {"icb": 0.6, "acute": 0.4})
    assert split == pytest.approx({"icb": 62.0, "acute": 38.0})
    assert nash_split(25.0, {"icb": 20.0, "acute": 10.0}, {"icb": 0.5, "acute": 0.5}) == {}


def test_nash_split_maximises_the_weighted_nash_product():
    # moving one unit from the split in either direction lowers the product
    split = nash_split(100.0, {"a": 20.0, "b": 10.0}, {"a": 0.6, "b": 0.4})
    best = nash_product((split["a"] - 20, split["b"] - 10), (0.6, 0.4))
    for shift in (-1.0, 1.0):
        assert nash_product((split["a"] - 20 + shift, split["b"] - 10 - shift), (0.6, 0.4)) < best


def test_zeuthen_the_side_with_the_smaller_product_at_its_own_offer_concedes():
    assert zeuthen_concedes(0.0, 3.0) == 0
    assert zeuthen_concedes(5.0, 3.0) == 1


def test_power_comes_from_size():
    assert bargaining_power({"ccg": 300.0, "vcs": 100.0}) == pytest.approx(
        {"ccg": 0.75, "vcs": 0.25}
    )


def test_expected_underspend_is_the_normal_partial_moment():
    assert expected_positive(0.0, 1.0) == pytest.approx(0.398942, abs=1e-6)
    assert expected_positive(0.05, 0.0) == 0.05


def test_risk_aversion_turns_variance_into_cost():
    economics = Economics(0.05, 0.05, 0.02, 0.6)
    neutral = risk_share_value(1.0, 0.5, 0.5, 0.05, 0.02, economics, 5, 1.0, 0.0)
    averse = risk_share_value(1.0, 0.5, 0.5, 0.05, 0.02, economics, 5, 1.0, 3.0)
    longer = risk_share_value(1.0, 0.5, 0.5, 0.05, 0.02, economics, 15, 1.0, 3.0)
    assert neutral > averse > longer


# ------------------------------------------------------------ constraints by hand
def two_members(charity_may_bear_losses: bool) -> Negotiation:
    trust = {"icb": 0.9, "mh": 0.9, "charity": 0.9}
    parties = {
        "icb": Party("icb", "ccg", True, 20_000_000_00, trust=trust),
        "mh": Party(
            "mh",
            "mental_health",
            False,
            10_000_000_00,
            5_000_000_00,
            0.6,
            0.5,
            True,
            False,
            failure_floor=0.3,
            trust=trust,
        ),
        "charity": Party(
            "charity",
            "vcs",
            False,
            10_000_000_00,
            5_000_000_00,
            0.6,
            0.5,
            charity_may_bear_losses,
            trust=trust,
        ),
    }
    proposal = Proposal(
        "alliance",
        "alliance",
        ("mh", "charity"),
        None,
        True,
        0.5,
        0.5,
        0.02,
        0.0,
        3,
        overlay_fallback=True,
    )
    params = load_preset("default").negotiation
    return Negotiation(
        proposal, parties, Economics(0.05, 0.03, 0.01, 0.8), params, random.Random(1)
    )


def test_a_charity_barred_by_its_constitution_declines_loss_sharing():
    talks = two_members(charity_may_bear_losses=False)
    talks.screen_risk_share()
    assert talks.risk_members == ["mh"]
    assert "constitution" in talks.declined["charity"]
    # the same charity, free to bear losses and as well placed, joins the risk share
    talks = two_members(charity_may_bear_losses=True)
    talks.screen_risk_share()
    assert talks.risk_members == ["mh", "charity"]


def test_a_charity_in_the_default_preset_never_shares_losses():
    agreement = negotiate_scenario(negotiated(HIGH), "alliance", 7)
    assert agreement.result == AGREED
    for charity in ("care_charity", "support_charity"):
        assert charity in agreement.overlay_members
        assert charity not in agreement.risk_members
        assert "constitution" in agreement.declined[charity]


# ------------------------------------------------------------ governance by hand
def test_a_unanimity_vote_is_blocked_by_one_member():
    votes = {"acute": True, "community": True, "charity": False}
    latency = {"acute": 4.0, "community": 3.0, "charity": 2.0}
    blocked = decide("unanimity", votes, latency)
    assert not blocked.passed and blocked.how == "blocked" and blocked.no == ("charity",)
    assert blocked.months == 4.0  # the pace of the slowest member
    majority = decide("majority", votes, latency)
    assert majority.passed and majority.months == 3.0  # the fastest majority has approved
    fallback = decide("majority_fallback", votes, latency)
    assert fallback.passed and fallback.months == 5.0  # one board later
    assert decide("lead_decides", votes, latency, lead="charity").passed is False


def test_informal_cover_needs_the_shadow_of_the_future():
    assert helps_cover(0.001, 0.8, 8.0, 0.5)
    assert not helps_cover(0.001, 0.8, 0.0, 0.5)  # no future together: no favours


def test_disputes_escalate_until_a_level_resolves_them():
    ladder = (("internal", "facilitator"), "terminate_or_agree_to_disagree")
    assert escalate(0.9, [0.5, 0.5, 0.5], *ladder) == ("resolved by internal", 1)
    assert escalate(0.1, [0.5, 0.5, 0.05], *ladder) == ("agree to disagree", 3)
    assert escalate(0.1, [0.5, 0.5, 0.95], *ladder) == ("terminate", 3)
    standard = GovernanceTerms()  # the NHS Standard Contract's ladder by default
    assert escalate(0.1, [0.5, 0.5], standard.dispute_levels, standard.dispute_final) == (
        "expert determination",
        2,
    )


def test_shock_hazard_grows_with_the_months_spent():
    early, late = shock_probability(6, 2.5, 29.0), shock_probability(30, 2.5, 29.0)
    assert 0 < early < late
    assert approval_pace({"acute": 4.0, "vcs": 2.0}) == ("acute", 4.0)


# ------------------------------------------------------------ wiring in a run
def test_a_negotiated_run_books_its_cost_and_trace():
    scenario = negotiated()
    model = HealthEconomyModel(scenario, "alliance", 3, record_ledger=False)
    agreement = model.agreement
    assert agreement.result in (AGREED, SCALED_DOWN, ABANDONED)
    assert model.totals["transaction"] == agreement.cost_pence > 0
    kinds = [e["kind"] for e in model.events]
    assert kinds[0] == "negotiation.proposal" and "negotiation.result" in kinds
    trace = [e for e in model.events if e["kind"].startswith("negotiation.")]
    assert all(e["text"].strip() and e["text"].endswith(".") for e in trace)
    # negotiation alone gives the same agreement on the same seed
    alone = negotiate_scenario(scenario, "alliance", 3)
    assert (alone.result, alone.months, alone.cost_pence) == (
        agreement.result,
        agreement.months,
        agreement.cost_pence,
    )


def test_agreed_terms_reach_the_contract_and_abandonment_runs_the_status_quo():
    high = HealthEconomyModel(negotiated(HIGH), "alliance", 7, record_ledger=False)
    assert high.agreement.result == AGREED
    risk = high.contracts[0].risk_share
    assert risk is not None and risk.excluded
    assert all(risk.pain_shares.get(m, 0) == 0 for m in ("care_charity", "support_charity"))
    low = HealthEconomyModel(negotiated(LOW), "alliance", 7, record_ledger=False)
    assert low.agreement.result == ABANDONED
    assert low.active_model == "status_quo"


def test_run_rows_carry_the_negotiation_columns_and_summarise():
    scenario = negotiated(HIGH)
    base = HealthEconomyModel(scenario, "status_quo", 1, record_ledger=False).run()
    model = HealthEconomyModel(scenario, "alliance", 1, record_ledger=False).run()
    row = {"contract_model": "alliance", **run_summary(model, base)}
    assert row["negotiation_result"] == AGREED
    assert row["negotiation_cost_pence"] == model.agreement.cost_pence
    assert row["members_joined"] == 6 and row["governance_decisions"] >= 0
    assert run_summary(base, base)["negotiation_result"] == "imposed"
    table = summarise([row])
    assert table["alliance"]["share_agreed"] == 1.0
