"""How a provider reads its contract: MODEL.md s3a's table, pinned by hand.

For one unit of effort the economy moves units from acute to community care;
``marginal_profit`` is what that does to one provider's profit under its terms.
"""

import pytest
from alliancesim.agents.incentives import (
    LineShift,
    ProviderContractView,
    commissioner_price,
    marginal_profit,
    provider_views,
)
from alliancesim.experiments.scenario import load_scenario
from alliancesim.model.contracts import ContractBuilder
from alliancesim.model.economy import HealthEconomy
from alliancesim.model.payment.terms import Basis, LinePayment

PRICE = 2_000  # tariff per admission
VARIABLE_ACUTE = 800.0  # 60% fixed cost
COMMUNITY_COST = 100  # pence a contact
VARIABLE_COMMUNITY = 60.0

TARIFF = LinePayment(basis=Basis.TARIFF, price_pence=PRICE, planned_activity=1_000)
BLOCK = LinePayment(basis=Basis.BLOCK, annual_value_pence=1_000_000)
CAPITATION = LinePayment(
    basis=Basis.CAPITATION, rate_per_head_pence=100, reference_population=10_000
)


def acute_loses(units: float, commissioner_pays: float = PRICE) -> LineShift:
    return LineShift("admissions", -units, float(PRICE), VARIABLE_ACUTE, "acute", commissioner_pays)


def community_gains(units: float) -> LineShift:
    return LineShift("contacts", units, float(COMMUNITY_COST), VARIABLE_COMMUNITY, "community", 0.0)


def test_tariff_paid_acute_loses_its_margin_on_each_avoided_admission():
    view = ProviderContractView(paid_for={"admissions": TARIFF})
    # -10 units x (2000 - 800) = -12,000 pence
    assert marginal_profit("acute", view, [acute_loses(10)], False) == pytest.approx(-12_000)


def test_block_paid_acute_saves_its_variable_cost_when_activity_falls():
    view = ProviderContractView(paid_for={"admissions": BLOCK})
    # -10 x (0 - 800) = +8,000: happy to shed activity
    assert marginal_profit("acute", view, [acute_loses(10, 0.0)], False) == pytest.approx(8_000)


def test_block_paid_community_provider_gaining_work_bears_cost_without_income():
    view = ProviderContractView(paid_for={"contacts": BLOCK})
    # +40 contacts x (0 - 60) = -2,400
    shifts = [acute_loses(10), community_gains(40)]
    assert marginal_profit("community", view, shifts, False) == pytest.approx(-2_400)


def test_capitated_lead_gains_the_subcontract_payments_it_no_longer_makes():
    # the lead holds the capitation and pays the acute trust tariff per admission
    view = ProviderContractView(
        paid_for={"whole_scope": CAPITATION}, pays_for={"admissions": TARIFF}, is_lead=True
    )
    shifts = [acute_loses(10, 0.0), community_gains(40)]
    # avoided subcontract payments +10 x 2000 = 20,000; own extra contacts -40 x 60 = -2,400
    assert marginal_profit("community", view, shifts, False) == pytest.approx(17_600)


def test_subcontract_above_baseline_at_marginal_rate_saves_the_lead_less():
    mret = LinePayment(
        basis=Basis.MARGINAL_RATE,
        price_pence=PRICE,
        baseline_activity=1_000,
        marginal_rate=0.3,
    )
    view = ProviderContractView(pays_for={"admissions": mret}, is_lead=True)
    below = marginal_profit("community", view, [acute_loses(10, 0.0)], False)
    above = marginal_profit("community", view, [acute_loses(10, 0.0)], True)
    assert below == pytest.approx(20_000)
    assert above == pytest.approx(6_000)  # 10 x 0.3 x 2000


def test_gain_share_member_earns_its_share_of_the_commissioners_saving():
    # a member delivering none of the shifted lines, with 0.5 x 0.25 of the saving
    view = ProviderContractView(gain_share=0.125, pain_share=0.125)
    # commissioners save 10 x 2000 = 20,000; 0.125 of it = 2,500
    assert marginal_profit("mental_health", view, [acute_loses(10)], False) == pytest.approx(2_500)


def test_overspend_is_shared_at_the_pain_share_not_the_gain_share():
    view = ProviderContractView(gain_share=0.5, pain_share=0.1)
    # activity rises by 10: commissioners pay 20,000 more; pain share 0.1 of it
    assert marginal_profit("other", view, [acute_loses(-10)], False) == pytest.approx(-2_000)


def test_dilution_one_member_of_n_earns_one_nth_of_the_share():
    shifts = [acute_loses(10)]
    alone = marginal_profit("x", ProviderContractView(gain_share=0.5), shifts, False)
    one_of_four = marginal_profit("x", ProviderContractView(gain_share=0.5 / 4), shifts, False)
    assert one_of_four == pytest.approx(alone / 4)


def test_commissioner_pays_nothing_more_for_block_or_capitated_activity():
    assert commissioner_price(BLOCK, 50.0) == 0.0
    assert commissioner_price(CAPITATION, 50.0) == 0.0
    assert commissioner_price(None, 50.0) == 0.0
    assert commissioner_price(TARIFF, 50.0) == PRICE


# -------------------------------------------------- views of the default preset
@pytest.fixture(scope="module")
def default_views():
    scenario = load_scenario("default")
    economy = HealthEconomy(scenario.economy, None)  # no draws needed to build terms
    builder = ContractBuilder(scenario, economy.lines)
    providers = [o.name for o in scenario.organisations if not o.is_commissioner]

    def views(model_name: str):
        return provider_views(builder.build(model_name, 0), providers, 0)

    return views


def test_status_quo_ties_no_provider_to_another(default_views):
    views = default_views("status_quo")
    for view in views.values():
        assert view.interdependence == 0.0
        assert view.co_members == ()
        assert view.gain_share == 0.0
    assert views["acute_trust"].paid_for["emergency_admissions"].basis == Basis.TARIFF


def test_alliance_pools_risk_between_all_members_with_shares_summing_to_the_provider_side(
    default_views,
):
    views = default_views("alliance")
    assert all(v.interdependence == 1.0 for v in views.values())
    assert all(len(v.co_members) == len(views) - 1 for v in views.values())
    # gain shares by value times the 50% provider side
    assert sum(v.gain_share for v in views.values()) == pytest.approx(0.5)
    # charities may not bear losses: no pain share whatever the file says
    assert views["care_charity"].pain_share == 0.0
    assert views["support_charity"].pain_share == 0.0
    assert views["acute_trust"].pain_share > 0.0


def test_lead_provider_pays_its_subcontractors_and_is_tied_to_them(default_views):
    views = default_views("lead_provider")
    lead = views["community_trust"]
    assert lead.is_lead
    assert "emergency_admissions" in lead.pays_for
    assert lead.paid_for["whole_scope"].basis == Basis.CAPITATION
    assert views["acute_trust"].interdependence == 0.5
    assert not views["acute_trust"].is_lead


def test_a_risk_share_the_prime_alone_holds_ties_only_the_prime_to_the_pool():
    """MSK prime (seed 001 L253): Circle alone takes the surplus or deficit on the 95%;
    its subcontractors are paid for their work and share no pool, so their tie is the
    lead-subcontractor one (0.5), not pooled money (1.0)."""
    scenario = load_scenario("msk_prime_contractor")
    economy = HealthEconomy(scenario.economy, None)
    providers = [o.name for o in scenario.organisations if not o.is_commissioner]
    contracts = ContractBuilder(scenario, economy.lines).build("prime_contractor", 0)
    views = provider_views(contracts, providers, 0)
    prime = scenario.contract_models["prime_contractor"].lead
    assert views[prime].interdependence == 1.0 and views[prime].gain_share > 0
    subs = [name for name in providers if name != prime]
    assert subs and all(views[n].interdependence == 0.5 for n in subs)
    assert all(views[n].gain_share == 0.0 == views[n].pain_share for n in subs)
    assert all(prime in views[n].co_members for n in subs)


def test_expected_renewal_lengthens_the_relationship_by_one_term():
    """A 10-year alliance in contract year 7: 3 years left; with a 58% belief in one
    renewal of the same length the relationship is expected to run 3 + 0.58 x 10 = 8.8
    more years, so the shadow of the future does not collapse near the contract's end."""
    scenario = load_scenario("default")
    economy = HealthEconomy(scenario.economy, None)
    builder = ContractBuilder(scenario, economy.lines)
    providers = [o.name for o in scenario.organisations if not o.is_commissioner]
    contracts = builder.build("alliance", 7)
    plain = provider_views(contracts, providers, 7)
    renewed = provider_views(contracts, providers, 7, renewal_belief=0.58)
    assert plain["community_trust"].years_left == pytest.approx(3.0)
    assert renewed["community_trust"].years_left == pytest.approx(8.8)
