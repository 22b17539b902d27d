"""Ties and behavioural channels in the running model (MODEL.md s3a, s3b; issue 11).

Contract models differ through their terms, never their labels; reciprocity exists only
where money or a leadership team with shared objectives ties a provider to a partner;
each channel in ``behaviour.channels`` switched off removes its term and nothing else.
"""

from pathlib import Path

import pytest
from alliancesim.model.simulation import HealthEconomyModel
from alliancesim.model.stages import observing
from alliancesim.scenario import ChannelsSpec, load_preset

AGENTS = Path(__file__).resolve().parents[2] / "agents"
SHORT = {"economy__periods": 24}  # two contract years
FORUM = {"leadership_meetings_per_year": 12, "shared_objectives": True}


def run(model_name: str, seed: int = 3, **overrides) -> HealthEconomyModel:
    scenario = load_preset("default", **{**SHORT, **overrides})
    return HealthEconomyModel(scenario, model_name, seed).run()


def efforts(model: HealthEconomyModel) -> list[list[float]]:
    return [[row[f"effort__{p.name}"] for p in model.providers] for row in model.rows]


def test_incentive_and_decision_code_never_names_a_vehicle():
    for module in ("incentives.py", "decisions.py", "provider.py"):
        assert "Vehicle" not in (AGENTS / module).read_text(), module


def test_same_money_terms_under_another_vehicle_label_give_identical_efforts():
    """The default alliance (risk share, outcome pot, leadership team) and the same terms
    written as a bilateral contract: one contract either way, only the label differs."""
    alliance = run("alliance")
    relabelled = run("alliance", contract_models__alliance__vehicle="bilateral")
    assert [c.vehicle for c in relabelled.contracts] != [c.vehicle for c in alliance.contracts]
    assert efforts(relabelled) == efforts(alliance)
    assert max(max(row) for row in efforts(alliance)) > 0.0  # something to compare


def test_with_no_money_link_and_no_governance_reciprocity_is_zero():
    model = run("status_quo")
    assert all(model.expected_cooperation(p) == 0.0 for p in model.providers)
    # so switching reciprocity off changes nothing at all
    off = run("status_quo", behaviour__channels__reciprocity=False)
    assert off.rows == model.rows


def test_a_status_quo_with_a_joint_work_forum_gets_reciprocity():
    plain = run("status_quo")
    forum = run("status_quo", contract_models__status_quo__governance=FORUM)
    assert all(forum.expected_cooperation(p) > 0.0 for p in forum.providers)
    # the same contracts' money: every provider's effort is at least as high, some higher
    pairs = list(zip(efforts(forum)[-1], efforts(plain)[-1], strict=True))
    assert all(f >= p for f, p in pairs) and any(f > p for f, p in pairs)


def test_an_alliance_whose_board_never_meets_has_no_relational_tie():
    silent = run("alliance", contract_models__alliance__governance={"shared_objectives": True})
    meeting = run("alliance")
    for provider in silent.providers:
        assert silent.views[provider.name].forum_ties == {}
        assert meeting.views[provider.name].forum_ties != {}
    assert sum(efforts(silent)[-1]) < sum(efforts(meeting)[-1])


def test_open_book_and_shared_data_make_the_forum_see_more_clearly():
    """Same meetings, clearer sight: trust moves further from neutral toward what is seen."""
    murky = run("alliance", contract_models__alliance__governance=FORUM)
    clear = run("alliance")  # the preset adds open book and shared data
    _, _, _, _, weight_m, clarity_m = observing.observation_pattern(murky)
    _, _, _, _, weight_c, clarity_c = observing.observation_pattern(clear)
    assert (weight_m == weight_c).all()
    assert clarity_c.max() > clarity_m.max()


# ------------------------------------------------------- one decision, channel by channel
def decide(model: HealthEconomyModel, name: str, **off: bool) -> tuple[float, float]:
    """The provider's (effort, push) this period with some channels off; state restored."""
    provider = model.orgs[name]
    saved = (provider.effort, provider.push, provider.squeezing, provider._push_for)
    spec, random_state = model.scenario_spec, model.random.getstate()
    behaviour = spec.behaviour.model_copy(update={"channels": ChannelsSpec(**off)})
    model.scenario_spec = spec.model_copy(update={"behaviour": behaviour})
    try:
        provider.decide_effort()
        return provider.effort, provider.push
    finally:
        model.scenario_spec = spec
        model.random.setstate(random_state)
        provider.effort, provider.push, provider.squeezing, provider._push_for = saved


@pytest.fixture(scope="module")
def midway():
    """Each contract model run to month 18 (contract year 2)."""
    return {
        name: run(name, economy__periods=18)
        for name in ("status_quo", "alliance", "lead_provider", "outcomes_based")
    }


def test_payment_incentive_off_removes_the_tariff_margin_against_the_shift(midway):
    """A tariff-paid acute trust loses margin on every admission avoided: without the
    payment channel that resistance is gone and its effort is not lower."""
    model = midway["alliance"]
    on, push_on = decide(model, "acute_trust")
    off, push_off = decide(model, "acute_trust", payment_incentive=False)
    assert off > on
    assert push_off == push_on  # the push is its own channel


def test_payment_incentive_off_removes_a_block_paid_acute_trusts_gain_from_the_shift(midway):
    """Under the lead, the acute trust is paid a block: each admission avoided saves it the
    variable cost. Without the payment channel that pull is gone."""
    model = midway["lead_provider"]
    on, _ = decide(model, "acute_trust")
    off, _ = decide(model, "acute_trust", payment_incentive=False)
    assert off < on


def test_reciprocity_off_lowers_an_alliance_members_effort_and_nothing_else(midway):
    model = midway["alliance"]
    on, push_on = decide(model, "community_trust")
    off, push_off = decide(model, "community_trust", reciprocity=False)
    assert off < on and push_off == push_on


def test_system_benefit_off_lowers_effort_where_the_system_saves(midway):
    model = midway["status_quo"]
    on, _ = decide(model, "community_trust")
    off, _ = decide(model, "community_trust", system_benefit=False)
    assert off < on


def test_admission_push_off_stops_the_push_and_leaves_effort_alone(midway):
    model = midway["status_quo"]
    on_effort, on = decide(model, "acute_trust")
    off_effort, off = decide(model, "acute_trust", admission_push=False)
    assert on > 0.0 and off == 0.0
    assert off_effort == on_effort


def test_risk_aversion_off_removes_the_premium_on_pooled_money_only(midway):
    alliance = midway["alliance"]
    on, _ = decide(alliance, "acute_trust")
    off, _ = decide(alliance, "acute_trust", risk_aversion=False)
    assert off > on  # its pooled gain/pain share carries variance
    status_quo = midway["status_quo"]
    # no pooled money, no outcome withhold: nothing for aversion to act on
    assert decide(status_quo, "community_trust", risk_aversion=False) == decide(
        status_quo, "community_trust"
    )


def test_gaming_off_reports_the_true_outcome():
    gamed = run("outcomes_based")
    honest = run("outcomes_based", behaviour__channels__gaming=False)
    assert gamed.outcome_reported > honest.outcome_reported
    assert honest.outcome_reported == honest.rows[-1]["outcome_true"]
