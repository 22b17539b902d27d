"""Requests for more money in the ensemble (issue 14): a granted request is money, paid
per replication, so the replications granted stay in the ensemble; only a refusal (the
holder hands the contract back, the contracts are rebuilt) makes a replication leave.

The exit rules on arrays give, replication by replication, what they give on numbers,
and an ensemble in which some replications are granted relief and others refused
matches the agent model seed by seed, ledger included.
"""

from __future__ import annotations

import numpy as np
from alliancesim.agents.exit import grants_request, money_to_find, shortfall
from alliancesim.model.ensemble.equivalence import compare
from alliancesim.model.ensemble.runs import run_many
from alliancesim.model.stages.failure_exit import REFUSED, rounded
from alliancesim.scenario import load_preset

SEEDS = range(1, 13)


def _elementwise(rule, *columns):
    arrays = rule(*(np.asarray(column) for column in columns))
    one_by_one = [rule(*row) for row in zip(*columns, strict=True)]
    assert arrays.tolist() == one_by_one
    return arrays


def test_exit_rules_on_arrays_are_the_rules_on_each_replication():
    # above, at and below the failure floor, a negative floor (an NHS trust's)
    position = [-200_000_000, 0, 1_500_000_000, -3_000_000_001, -2_999_999_999]
    income = [15_000_000_000, 15_000_000_000, 10_000_000_000, 10_000_000_000, 10_000_000_000]
    gap = _elementwise(lambda p, i: shortfall(p, i, -0.3), position, income)
    assert gap.tolist() == [0, 0, 0, 1, 0]
    gap = _elementwise(lambda p, i: shortfall(p, i, 0.0), position, income)
    assert gap.tolist() == [200_000_000, 0, 0, 3_000_000_001, 2_999_999_999]
    # a bid under the budget, a price above it; reserves above, at and below the target
    budget = [15_200_000_000, 15_200_000_000, 15_200_000_000, 10_000_000_000]
    price = [14_668_000_000, 15_200_000_001, 14_668_000_000, 10_000_000_000]
    reserves = [0, 2_000_000_000, 608_000_000, -1_500_000_000]
    found = _elementwise(lambda b, p, r: money_to_find(b, p, r, 0.04), budget, price, reserves)
    assert found.tolist() == [532_000_000, 1_392_000_000, 532_000_000, 0]
    # granted up to trust x what it can find, never a request of nothing
    request = [400_000_000, 400_000_001, 400_000_000, 0]
    can_find = [1_000_000_000, 1_000_000_000, 1_000_000_000, 1_000_000_000]
    trust = [0.4, 0.4, 0.0, 1.0]
    granted = _elementwise(grants_request, request, can_find, trust)
    assert granted.tolist() == [True, False, False, False]


def test_rounded_is_pythons_round_on_every_element():
    # values where scaling by 10^4 and rounding (numpy's round) can land elsewhere
    values = [0.00005, 0.12345, 1.00005, 2.675, 0.1 + 0.2, -0.00015, 7e-5]
    assert rounded(np.array(values), 4).tolist() == [round(v, 4) for v in values]
    assert rounded(0.12345, 4) == round(0.12345, 4)


def _lead_bid(periods: int):
    """The UnitingCare lead bid with a commissioner that has money to find (£50m of
    reserves): the lead asks for more money in the first month in every seed, and the
    CCG agrees in some and refuses in others (the request and trust differ by seed)."""
    return load_preset(
        "older_people_lead_bid",
        organisations__ccg__reserves_pence=5_000_000_000,
        economy__periods=periods,
    )


def test_granted_requests_keep_replications_in_the_ensemble_and_match():
    scenario = _lead_bid(12)
    many = run_many(scenario, "lead_bid", list(SEEDS), record_ledger=True)
    granted = [seed for seed, run in zip(SEEDS, many.runs, strict=True) if run.exit_log["granted"]]
    refused = [seed for seed in SEEDS if seed not in granted]
    assert all(run.exit_log["requests"] == 1 for run in many.runs)
    assert granted and refused  # the case this is about: both in one ensemble
    # before, every request left (12 of 12); now only the refusals (2 of 12 measured)
    assert set(many.departures) == set(refused)
    assert all(why == REFUSED for _, why in many.departures.values())
    assert len(many.departures) <= 2
    for seed, run in zip(SEEDS, many.runs, strict=True):
        relief = [e for e in run.ledger if e.line_item == "relief"]
        events = [e for e in run.events if e["kind"] == "request_more_money"]
        # paid monthly from the month after the request to the year's end, where granted
        months = 11 - events[0]["period"] if seed in granted else 0
        assert [e.period for e in relief] == list(range(12 - months, 12))
        assert [e["decision"] for e in events] == ["granted" if seed in granted else "refused"]
        if seed in granted:
            assert "agrees" in events[0]["text"] and not run.exit_log["handbacks"]
    found, departures = compare(scenario, "lead_bid", SEEDS, record_ledger=True)
    assert found == []
    assert set(departures) == set(refused)


def test_relief_per_replication_is_paid_to_the_year_end_as_the_agent_model_pays_it():
    """Two years: relief granted in the first (in some replications) is paid monthly to
    its end, then the holders ask again; replications granted stay until refused."""
    scenario = _lead_bid(24)
    many = run_many(scenario, "lead_bid", list(SEEDS), record_ledger=True)
    stayed_a_year = [seed for seed, (period, _) in many.departures.items() if period >= 12]
    assert stayed_a_year  # granted in year one: left at the second year's refusal, not before
    found, _ = compare(scenario, "lead_bid", SEEDS, record_ledger=True)
    assert found == []


def test_replications_refused_together_hand_back_together_in_an_ensemble():
    """The lead bid as shipped: the CCG has nothing spare and refuses every seed, most in
    the first month. Those refused together (16 or more) hand back on arrays, as an
    ensemble of their own, instead of each being finished by the agent model."""
    scenario = load_preset("older_people_lead_bid")
    seeds = range(1, 21)
    many = run_many(scenario, "lead_bid", list(seeds))
    assert all(len(run.exit_log["handbacks"]) == 1 for run in many.runs)
    assert many.ensembles > many.groups  # the refused stepped again, together
    assert len(many.departures) < len(seeds) - 16 + 1
    found, _ = compare(scenario, "lead_bid", seeds)
    assert found == []
