"""Exit rules (agents/exit.py): hand-worked cases in pence."""

from alliancesim.agents.exit import (
    MATERIALITY,
    asks_for_more,
    bearable_loss,
    grants_request,
    money_to_find,
    projected_annual_loss,
    shortfall,
)


def test_one_month_of_loss_is_projected_over_the_year():
    # £1m lost in one month of twelve: £12m a year (UnitingCare asked after a month)
    assert projected_annual_loss(-100_000_000, 1, 12) == 1_200_000_000
    # £3m lost over six months: £6m a year
    assert projected_annual_loss(-300_000_000, 6, 12) == 600_000_000


def test_a_surplus_or_no_evidence_projects_no_loss():
    assert projected_annual_loss(50_000_000, 3, 12) == 0
    assert projected_annual_loss(0, 3, 12) == 0
    assert projected_annual_loss(-100, 0, 12) == 0


def test_an_nhs_trust_with_no_reserves_can_bear_part_of_its_distance_to_the_floor():
    # income £100m, floor -30%: £30m above the floor; appetite 0.45 -> £13.5m a year
    assert bearable_loss(0, 10_000_000_000, -0.3, 0.45) == 1_350_000_000
    # with £10m of reserves the buffer is £40m -> £18m
    assert bearable_loss(1_000_000_000, 10_000_000_000, -0.3, 0.45) == 1_800_000_000


def test_a_new_vehicle_with_no_reserves_can_bear_nothing():
    assert bearable_loss(0, 15_000_000_000, 0.0, 0.45) == 0
    # already below its floor: still nothing (never a negative buffer)
    assert bearable_loss(-500_000_000, 15_000_000_000, 0.0, 0.45) == 0


def test_a_holder_asks_only_for_a_loss_beyond_what_it_bears_and_material():
    price = 15_000_000_000  # £150m
    material = round(MATERIALITY * price)
    # more than it can bear but within in-year variance: it manages
    assert not asks_for_more(material, 0, price)
    assert asks_for_more(material + 1, 0, price)
    # material but within what it can bear: it carries the loss
    assert not asks_for_more(2_000_000_000, 2_000_000_000, price)
    assert asks_for_more(2_000_000_001, 2_000_000_000, price)


def test_money_a_commissioner_can_find_is_unspent_budget_plus_spare_reserves():
    budget, price = 15_200_000_000, 14_668_000_000  # bid 3.5% under a £152m budget
    # no reserves: only the £5.32m left of the budget
    assert money_to_find(budget, price, 0, 0.04) == 532_000_000
    # £20m of reserves, £6.08m of them earmarked for the 4% saving: £13.92m spare
    assert money_to_find(budget, price, 2_000_000_000, 0.04) == 532_000_000 + 1_392_000_000
    # priced over the budget and in deficit: nothing
    assert money_to_find(budget, budget + 1, -1_500_000_000, 0.04) == 0


def test_the_commissioner_grants_only_what_trust_and_money_cover():
    can_find = 1_000_000_000  # £10m
    assert grants_request(400_000_000, can_find, 0.4)  # £4m <= 0.4 x £10m
    assert not grants_request(400_000_001, can_find, 0.4)
    assert not grants_request(400_000_000, can_find, 0.0)  # no trust, no money
    # UnitingCare: about 21% of £152m asked of a CCG with no spare money
    assert not grants_request(
        3_200_000_000, money_to_find(15_200_000_000, 14_668_000_000, 0, 0.04), 1.0
    )


def test_the_shortfall_is_what_puts_a_holder_back_at_its_floor():
    # a new vehicle £2m below zero needs £2m now
    assert shortfall(-200_000_000, 15_000_000_000, 0.0) == 200_000_000
    # an NHS trust £2m in deficit is still £28m above a -30% floor on £100m
    assert shortfall(-200_000_000, 10_000_000_000, -0.3) == 0
    assert shortfall(0, 15_000_000_000, 0.0) == 0
