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
from alliancesim.model.contracts import ContractBuilder
from alliancesim.model.economy import HealthEconomy
from alliancesim.model.payment.terms import (
    Basis,
    ContractTerms,
    GovernanceTerms,
    LinePayment,
    RiskShareTerms,
    ServicePayment,
    Subcontract,
    Vehicle,
    annual_value,
)
from alliancesim.scenario import load_scenario

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
        assert view.financial_ties == {} and view.forum_ties == {}
        assert view.ties(relational_tie=1.0) == {}
        assert view.gain_share == 0.0
    assert views["acute_trust"].paid_for["emergency_admissions"].basis == Basis.TARIFF


def test_alliance_pools_risk_between_all_members_with_shares_summing_to_the_provider_side(
    default_views,
):
    views = default_views("alliance")
    # gain shares by value times the 50% provider side
    assert sum(v.gain_share for v in views.values()) == pytest.approx(0.5)
    # charities may not bear losses: no pain share whatever the file says
    assert views["care_charity"].pain_share == 0.0
    assert views["support_charity"].pain_share == 0.0
    assert views["acute_trust"].pain_share > 0.0
    # every member has a money tie to every other (each delivers part of the pool), and
    # the preset's monthly leadership team with shared objectives seats them all
    for name, view in views.items():
        assert set(view.financial_ties) == set(views) - {name}
        assert sum(view.forum_ties.values()) == pytest.approx(1.0)


def test_lead_provider_pays_its_subcontractors_and_is_tied_to_them(default_views):
    views = default_views("lead_provider")
    lead = views["community_trust"]
    assert lead.is_lead
    assert "emergency_admissions" in lead.pays_for
    assert lead.paid_for["whole_scope"].basis == Basis.CAPITATION
    # the acute trust's whole income is paid by the lead: tie 1 to the lead, none to others
    assert views["acute_trust"].financial_ties == pytest.approx({"community_trust": 1.0})
    assert not views["acute_trust"].is_lead
    # the lead's tie to the acute trust: the share of its cost (its income at plan) the
    # acute trust's subcontract makes
    acute_value = sum(annual_value(t) for t in views["acute_trust"].paid_for.values())
    lead_income = sum(annual_value(t) for t in lead.paid_for.values())
    assert lead.financial_ties["acute_trust"] == pytest.approx(acute_value / lead_income)


def test_a_risk_share_the_prime_alone_holds_ties_only_the_prime_to_the_pool():
    """MSK prime (seed 001 L253): Circle alone takes the surplus or deficit on the 95%;
    its subcontractors are paid for their work and share no pool, so their only tie is
    their dependence on the prime's payments."""
    scenario = load_scenario("msk_prime_contractor")
    economy = HealthEconomy(scenario.economy, None)
    providers = [o.name for o in scenario.organisations if not o.is_commissioner]
    contracts = ContractBuilder(scenario, economy.lines).build("prime_contractor", 0)
    views = provider_views(contracts, providers, 0)
    prime = scenario.contract_models["prime_contractor"].lead
    assert views[prime].gain_share > 0
    subs = [name for name in providers if name != prime]
    assert subs and all(views[n].gain_share == 0.0 == views[n].pain_share for n in subs)
    # each subcontractor's whole income comes from the prime
    assert all(views[n].financial_ties == pytest.approx({prime: 1.0}) for n in subs)


# ------------------------------------------------------- ties from terms, by hand
def block(value: int) -> LinePayment:
    return LinePayment(basis=Basis.BLOCK, annual_value_pence=value)


def pooled_contract(vehicle: Vehicle = Vehicle.ALLIANCE, **governance) -> ContractTerms:
    """A, B and C paid blocks of 600, 300 and 100 by one commissioner, sharing half of any
    gain or pain against target in proportion to value."""
    values = {"a": 600, "b": 300, "c": 100}
    return ContractTerms(
        name="pool",
        vehicle=vehicle,
        commissioners=("icb",),
        members=tuple(values),
        payments=tuple(
            ServicePayment(payer="icb", provider=n, line=f"{n}_line", terms=block(v))
            for n, v in values.items()
        ),
        risk_share=RiskShareTerms(
            target_annual_pence=950,
            gain_shares={"a": 0.6, "b": 0.3, "c": 0.1},
            pain_shares={"a": 0.6, "b": 0.3, "c": 0.1},
        ),
        governance=GovernanceTerms(**governance),
    )


def test_a_pooled_members_tie_is_its_share_times_the_partners_part_over_its_income():
    views = provider_views((pooled_contract(),), ["a", "b", "c"], 0)
    # a: share 0.5 x 0.6 = 0.3 of the pool; b's part 300 of a's income 600: 0.3 x 0.5
    assert views["a"].financial_ties["b"] == pytest.approx(0.15)
    # c: share 0.05, a's part 600 over c's income 100: 0.3 (small members are more exposed)
    assert views["c"].financial_ties["a"] == pytest.approx(0.3)
    # summed over partners: share x (pool - own part) / own income = 0.3 x 400 / 600
    assert sum(views["a"].financial_ties.values()) == pytest.approx(0.2)


def test_subcontract_ties_the_subcontractor_by_its_income_and_the_lead_by_its_cost():
    contract = ContractTerms(
        name="lead",
        vehicle=Vehicle.LEAD_PROVIDER,
        commissioners=("icb",),
        members=("lead", "sub", "other"),
        lead="lead",
        payments=(
            ServicePayment(payer="icb", provider="lead", line="scope", terms=block(1_000)),
            ServicePayment(payer="icb", provider="other", line="own", terms=block(500)),
        ),
        subcontracts=(Subcontract(lead="lead", subcontractor="sub", line="x", terms=block(400)),),
    )
    views = provider_views((contract,), ["lead", "sub", "other"], 0)
    assert views["sub"].financial_ties == pytest.approx({"lead": 1.0})  # 400 of its 400
    assert views["lead"].financial_ties == pytest.approx({"sub": 0.4})  # 400 of 1,000
    assert views["other"].financial_ties == {}  # no money links it to either


def test_no_money_and_no_governance_means_no_tie():
    separate = tuple(
        ContractTerms(
            name=f"sq:{n}",
            vehicle=Vehicle.BILATERAL,
            commissioners=("icb",),
            members=(n,),
            payments=(ServicePayment(payer="icb", provider=n, line=f"{n}_line", terms=block(5)),),
        )
        for n in ("a", "b")
    )
    views = provider_views(separate, ["a", "b"], 0)
    assert all(v.ties(relational_tie=1.0) == {} for v in views.values())


def test_a_leadership_team_with_shared_objectives_adds_the_relational_tie():
    meets = pooled_contract(leadership_meetings_per_year=12, shared_objectives=True)
    views = provider_views((meets,), ["a", "b", "c"], 0)
    # monthly: full frequency, spread over a's two partners
    assert views["a"].forum_ties == pytest.approx({"b": 0.5, "c": 0.5})
    ties = views["a"].ties(relational_tie=0.4)
    assert ties["b"] == pytest.approx(0.15 + 0.4 * 0.5)  # financial + relational
    quarterly = pooled_contract(leadership_meetings_per_year=4, shared_objectives=True)
    views = provider_views((quarterly,), ["a", "b", "c"], 0)
    assert views["a"].forum_ties["b"] == pytest.approx(0.5 / 3)


def test_a_board_that_never_meets_or_shares_no_objectives_adds_no_relational_tie():
    for governance in (
        {"leadership_meetings_per_year": 0, "shared_objectives": True, "open_book": True},
        {"leadership_meetings_per_year": 12, "shared_objectives": False},
    ):
        views = provider_views((pooled_contract(**governance),), ["a", "b", "c"], 0)
        assert all(v.forum_ties == {} for v in views.values())


def test_separate_contracts_at_one_forum_tie_their_providers_relationally():
    """A status quo with a joint-work forum: two bilateral contracts, no money between
    the providers, one leadership team with shared objectives."""
    forum = GovernanceTerms(
        leadership_meetings_per_year=12, shared_objectives=True, forum="joint_work"
    )
    separate = tuple(
        ContractTerms(
            name=f"sq:{n}",
            vehicle=Vehicle.BILATERAL,
            commissioners=("icb",),
            members=(n,),
            payments=(ServicePayment(payer="icb", provider=n, line=f"{n}_line", terms=block(5)),),
            governance=forum,
        )
        for n in ("a", "b")
    )
    views = provider_views(separate, ["a", "b"], 0)
    assert views["a"].financial_ties == {}
    assert views["a"].ties(relational_tie=0.5) == pytest.approx({"b": 0.5})


def test_the_vehicle_label_changes_no_tie():
    alliance = provider_views((pooled_contract(Vehicle.ALLIANCE),), ["a", "b", "c"], 0)
    bilateral = provider_views((pooled_contract(Vehicle.BILATERAL),), ["a", "b", "c"], 0)
    for name in ("a", "b", "c"):
        assert alliance[name].financial_ties == bilateral[name].financial_ties


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
