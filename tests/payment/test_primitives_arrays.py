"""The payment primitives on arrays of replications equal the primitives on each one alone.

A primitive given numpy arrays (one row per replication) must return, row by
row, exactly what it returns for that row's Python numbers: the same whole
pence and the same floats, the same rounding (half to even) and the same
tie-breaking by name in allocations. These tests compare the two forms on
random cases, so the ensemble engine can call the very functions the agent
model calls.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from alliancesim.model.payment import pence
from alliancesim.model.payment import primitives as p
from hypothesis import given
from hypothesis import strategies as st

MONEY = st.integers(-(10**11), 10**11)
POSITIVE_MONEY = st.integers(0, 10**11)
# Shares drawn partly from a small set so that ties, halves and inexact sums
# (0.1 + 0.2) come up often, partly from anywhere in [0, 1].
SHARE = st.one_of(
    st.sampled_from([0.0, 0.1, 0.2, 0.25, 1 / 3, 0.5, 0.7, 1.0]),
    st.floats(0.0, 1.0),
)
ACTIVITY = st.one_of(st.floats(-50.0, 5_000.0), st.sampled_from([0.0, 0.5, 2.5, 100.0]))
PRICE = st.one_of(st.integers(0, 10**6), st.sampled_from([1, 3, 333, 150_000]))


def column(values: list, dtype) -> np.ndarray:
    return np.array(values, dtype=dtype)


def as_python(value):
    """A row of an array result as the Python number the scalar path returns."""
    return value.item() if isinstance(value, np.generic) else value


def assert_same(together, alone, row: int) -> None:
    """The array result's row equals the scalar result, exactly and in kind."""
    if isinstance(alone, tuple):
        assert isinstance(together, tuple) and len(together) == len(alone)
        for t, a in zip(together, alone, strict=True):
            assert_same(t, a, row)
        return
    if isinstance(alone, dict):
        assert isinstance(together, dict) and sorted(together) == sorted(alone)
        for key in alone:
            assert_same(together[key], alone[key], row)
        return
    assert isinstance(together, np.ndarray), type(together)
    got = as_python(together[row])
    if isinstance(alone, bool):
        assert together.dtype == bool and got == alone
    elif isinstance(alone, int):
        assert together.dtype == np.int64 and got == alone, (row, got, alone)
    else:
        assert together.dtype == np.float64 and got == alone, (row, got, alone)


# --------------------------------------------------------------------------- rounding


@given(st.lists(st.one_of(st.floats(-1e12, 1e12), st.integers(-(10**9), 10**9)), min_size=1))
def test_round_pence_on_an_array_rounds_each_value_as_round_does(values):
    halves = [v + 0.5 for v in values]  # exact halves where representable
    for amounts in (values, halves):
        together = pence.round_pence(column(amounts, np.float64))
        assert together.dtype == np.int64
        assert together.tolist() == [round(float(v)) for v in amounts]


def test_round_pence_rounds_half_to_even_on_arrays_too():
    amounts = np.array([0.5, 1.5, 2.5, 2.4999, -0.5, -1.5, 166.5])
    assert pence.round_pence(amounts).tolist() == [0, 2, 2, 2, 0, -2, 166]


@given(
    st.integers(1, 6).flatmap(
        lambda width: st.lists(
            st.lists(
                st.one_of(
                    st.floats(0, 1e6),
                    st.sampled_from([0.1, 0.2, 0.3, 1e-17, 1e16, 2.0**53, 1.0]),
                ),
                min_size=width,
                max_size=width,
            ),
            min_size=1,
            max_size=20,
        )
    )
)
def test_exact_sum_of_rows_equals_fsum_of_each_row(rows):
    width = len(rows[0])
    columns = [column([r[i] for r in rows], np.float64) for i in range(width)]
    together = pence.exact_sum(columns)
    assert together.tolist() == [math.fsum(r) for r in rows]


def test_exact_sum_is_the_correctly_rounded_sum_where_adding_in_order_is_not():
    # 1e16 + 1 + 1: adding in order loses both ones (1e16 + 1 rounds back to
    # 1e16), while the correctly rounded sum is 1e16 + 2
    rows = [[1e16, 1.0, 1.0], [0.1, 0.2, 0.3]]
    columns = [column([r[i] for r in rows], np.float64) for i in range(3)]
    assert math.fsum(rows[0]) != (1e16 + 1.0) + 1.0
    assert pence.exact_sum(columns).tolist() == [math.fsum(r) for r in rows]


# --------------------------------------------------------------------------- activity


@given(st.lists(st.tuples(PRICE, ACTIVITY), min_size=1, max_size=30))
def test_tariff_payment(cases):
    prices, activity = zip(*cases, strict=True)
    together = p.tariff_payment(column(prices, np.int64), column(activity, np.float64))
    for i, case in enumerate(cases):
        assert_same(together, p.tariff_payment(*case), i)


@given(
    st.lists(st.tuples(PRICE, ACTIVITY, ACTIVITY, ACTIVITY), min_size=1, max_size=30),
    st.sampled_from([0.0, 0.3, 0.5, 1.0]),
)
def test_marginal_rate_payment(cases, rate):
    price, before, activity, baseline = (list(c) for c in zip(*cases, strict=True))
    together = p.marginal_rate_payment(
        column(price, np.int64),
        column(before, np.float64),
        column(activity, np.float64),
        column(baseline, np.float64),
        rate,
    )
    for i, (pr, b, a, base) in enumerate(cases):
        assert_same(together, p.marginal_rate_payment(pr, b, a, base, rate), i)


@given(st.lists(st.tuples(MONEY, PRICE, ACTIVITY, ACTIVITY, SHARE), min_size=1, max_size=30))
def test_blended_payment(cases):
    fixed, price, activity, plan, share = zip(*cases, strict=True)
    together = p.blended_payment(
        column(fixed, np.int64),
        column(price, np.int64),
        column(activity, np.float64),
        column(plan, np.float64),
        column(share, np.float64),
    )
    for i, case in enumerate(cases):
        assert_same(together, p.blended_payment(*case), i)


@given(
    st.lists(st.tuples(POSITIVE_MONEY, st.integers(0, 12), st.integers(0, 12)), max_size=30),
    st.sampled_from([1, 4, 12, 13, 52]),
)
def test_block_instalments(cases, periods_per_year):
    # the period is the same for every replication stepped together
    for period in range(periods_per_year):
        annual = column([c[0] for c in cases], np.int64)
        together = p.block_instalment(annual, period, periods_per_year)
        to_date = p.block_to_date(annual, period, periods_per_year)
        for i, case in enumerate(cases):
            assert_same(together, p.block_instalment(case[0], period, periods_per_year), i)
            assert_same(to_date, p.block_to_date(case[0], period, periods_per_year), i)


@given(
    st.lists(
        st.tuples(
            st.integers(0, 200_000),
            st.integers(0, 200_000),
            st.integers(-10, 200_000),
            st.sampled_from([0.0, 0.02, 0.05]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_capitation_value(cases):
    rate, reference, population, tolerance = zip(*cases, strict=True)
    together = p.capitation_value(
        column(rate, np.int64),
        column(reference, np.int64),
        column(population, np.int64),
        column(tolerance, np.float64),
    )
    for i, case in enumerate(cases):
        assert_same(together, p.capitation_value(*case), i)


@given(st.lists(st.tuples(MONEY, SHARE), min_size=1, max_size=30))
def test_cost_plus_fee_fees_withholds_and_outcome_payments(cases):
    amounts, shares = column([c[0] for c in cases], np.int64), column([c[1] for c in cases], float)
    for primitive in (p.cost_plus_fee, p.management_fee, p.withhold):
        together = primitive(amounts, shares)
        for i, case in enumerate(cases):
            assert_same(together, primitive(*case), i)
    signed = shares * 2.0 - 1.0  # paid shares run from -1 (pay back) to 1
    together = p.outcome_payment(amounts, signed)
    for i, (amount, share) in enumerate(cases):
        assert_same(together, p.outcome_payment(amount, share * 2.0 - 1.0), i)


@given(st.lists(st.tuples(MONEY, SHARE, st.booleans()), min_size=1, max_size=30))
def test_subcontract_squeeze(cases):
    due, share, squeezed = zip(*cases, strict=True)
    together = p.subcontract_payment(
        column(due, np.int64), column(share, np.float64), column(squeezed, bool)
    )
    for i, case in enumerate(cases):
        assert_same(together, p.subcontract_payment(*case), i)


@given(
    st.lists(st.one_of(st.floats(0.5, 2.0), st.just(1.1)), min_size=1, max_size=30),
    st.sampled_from([None, 0.0, 0.1]),
)
def test_demand_trigger(ratios, trigger):
    together = p.demand_trigger(column(ratios, np.float64), trigger)
    for i, ratio in enumerate(ratios):
        assert_same(together, p.demand_trigger(ratio, trigger), i)


# --------------------------------------------------------------------------- outcomes


@given(
    st.lists(
        st.fixed_dictionaries(
            {}, optional={m: st.floats(-0.5, 1.5) for m in ("experience", "outcomes", "access")}
        ),
        min_size=1,
        max_size=20,
    ),
    st.fixed_dictionaries({m: SHARE for m in ("experience", "outcomes", "access")}),
)
def test_weighted_attainment(cases, weights):
    # a metric missing for one replication is 0 there, as when missing alone
    metrics = {m: column([c.get(m, 0.0) for c in cases], np.float64) for m in weights}
    together = p.weighted_attainment(metrics, weights)
    for i, case in enumerate(cases):
        alone = p.weighted_attainment({m: case.get(m, 0.0) for m in weights}, weights)
        assert_same(together, alone, i)


@given(
    st.lists(st.one_of(st.floats(-0.2, 1.2), st.sampled_from([0.0, 0.5, 0.75, 1.0])), min_size=1),
    st.sampled_from([0.0, 0.5, 0.75]),
    st.booleans(),
    st.sampled_from([0.625, 1.0]),
    st.booleans(),
    st.sampled_from([0.0, 0.5, 1.0]),
)
def test_outcome_paid_share(attainment, gate, lenient, at_risk, pain_equals_gain, neutral):
    terms = dict(
        quality_gate=gate,
        lenient=lenient,
        at_risk=at_risk,
        pain_equals_gain=pain_equals_gain,
        neutral_attainment=neutral,
    )
    together = p.outcome_paid_share(column(attainment, np.float64), **terms)
    for i, value in enumerate(attainment):
        assert_same(together, p.outcome_paid_share(value, **terms), i)


# --------------------------------------------------------------------------- risk share

CORRIDOR = st.lists(
    st.tuples(st.sampled_from([0.9, 0.95, 1.0, 1.03, 1.05, 1.1]), SHARE), max_size=3
)


@given(
    st.lists(
        st.tuples(MONEY, st.lists(st.tuples(MONEY, SHARE), min_size=2, max_size=2)),
        min_size=1,
        max_size=30,
    ),
    SHARE,
)
def test_tiered_share_with_tiers_in_a_different_order_in_each_row(cases, first_share):
    # tier starts differ by replication, so their order does too; ties in start
    # are common (sampled from MONEY's small values rarely, so force some)
    amounts = column([c[0] for c in cases], np.int64)
    tiers = [
        (
            column([c[1][k][0] if i % 3 else 0 for i, c in enumerate(cases)], np.int64),
            column([c[1][k][1] for c in cases], np.float64),
        )
        for k in range(2)
    ]
    together = p.tiered_share(amounts, first_share, tiers)
    for i, (amount, row_tiers) in enumerate(cases):
        alone_tiers = [(t[0] if i % 3 else 0, t[1]) for t in row_tiers]
        assert_same(together, p.tiered_share(amount, first_share, alone_tiers), i)


@given(
    st.lists(st.tuples(MONEY, MONEY, st.one_of(st.none(), POSITIVE_MONEY)), min_size=1),
    SHARE,
    CORRIDOR,
)
def test_pain_share_and_cap(cases, share, corridor):
    target, measure, cap = (list(c) for c in zip(*cases, strict=True))
    pain = p.pain_share(column(target, np.int64), column(measure, np.int64), share, corridor)
    for i, (t, m, _) in enumerate(cases):
        assert_same(pain, p.pain_share(t, m, share, corridor), i)
    caps = column([c if c is not None else 10**12 for c in cap], np.int64)
    borne = p.cap_pain(pain, caps)
    for i, c in enumerate(cap):
        assert_same(borne, p.cap_pain(as_python(pain[i]), c if c is not None else 10**12), i)
    assert_same(p.cap_pain(pain, None), p.cap_pain(as_python(pain[0]), None), 0)


@given(
    st.lists(st.tuples(MONEY, MONEY), min_size=1),
    SHARE,
    CORRIDOR,
    st.one_of(st.none(), POSITIVE_MONEY),
)
def test_gain_share_with_bands_and_cap(cases, share, bands, cap):
    target, underspend = (column(c, np.int64) for c in zip(*cases, strict=True))
    together = p.gain_share(target, underspend, share, bands, cap)
    for i, (t, u) in enumerate(cases):
        assert_same(together, p.gain_share(t, u, share, bands, cap), i)


def test_hand_worked_risk_share_examples_hold_in_every_row():
    # test_primitives.py: Bedfordshire keeps the first 5% then 50/50; a capped gain;
    # a pain corridor of 100% to 103% then 50%.
    gain, bound = p.gain_share(
        np.array([2_517_500_000] * 3), np.array([417_500_000] * 3), 1.0, [(0.95, 0.5)]
    )
    assert gain.tolist() == [271_687_500] * 3 and not bound.any()
    gain, bound = p.gain_share(
        np.array([1_000_000, 1_000_000]), np.array([400_000, 100_000]), 0.5, (), 100_000
    )
    assert gain.tolist() == [100_000, 50_000] and bound.tolist() == [True, False]
    pain = p.pain_share(
        np.array([1_000_000, 1_000_000]), np.array([1_100_000, 900_000]), 1.0, [(1.03, 0.5)]
    )
    assert pain.tolist() == [65_000, 0]


# --------------------------------------------------------------------------- allocation

NAMES = ("vcs_b", "la", "mh_trust", "vcs_a")  # listed out of name order on purpose


@given(
    st.lists(
        st.tuples(MONEY, st.tuples(*[SHARE] * len(NAMES))),
        min_size=1,
        max_size=30,
    ),
    st.sets(st.sampled_from(NAMES), min_size=1),
)
def test_allocate_with_weights_per_replication(cases, varying):
    # weights in ``varying`` differ by replication; the rest are contract terms
    # (one number for all), taken from the first case
    amounts = column([c[0] for c in cases], np.int64)
    weights = {
        name: column([c[1][k] for c in cases], np.float64) if name in varying else cases[0][1][k]
        for k, name in enumerate(NAMES)
    }
    together = p.allocate(amounts, weights)
    for i, (amount, row_weights) in enumerate(cases):
        alone = p.allocate(
            amount,
            {
                name: row_weights[k] if name in varying else cases[0][1][k]
                for k, name in enumerate(NAMES)
            },
        )
        assert_same(together, alone, i)
    assert (sum(together.values()) == amounts).all()  # to the penny in every row


@given(st.lists(st.tuples(MONEY, st.tuples(*[st.integers(0, 10**9)] * 3)), min_size=1, max_size=30))
def test_allocate_in_proportion_to_pence(cases):
    # netting and underspend calls split in proportion to members' pence
    amounts = column([c[0] for c in cases], np.int64)
    weights = {name: column([c[1][k] for c in cases], np.int64) for k, name in enumerate("cab")}
    together = p.allocate(amounts, weights)
    for i, (amount, row) in enumerate(cases):
        assert_same(together, p.allocate(amount, dict(zip("cab", row, strict=True))), i)
    assert (sum(together.values()) == amounts).all()


def test_hand_worked_allocations_hold_in_every_row():
    # test_primitives.py: the 40/40/10/10 split; 10p in three equal parts with the
    # spare penny to the first name; a negative amount; all-zero weights split equally
    split = {"la": 0.4, "mh_trust": 0.4, "vcs_a": 0.1, "vcs_b": 0.1}
    parts = p.allocate(np.array([8_424_000, 8_424_000]), split)
    assert {k: v.tolist() for k, v in parts.items()} == {
        "la": [3_369_600] * 2,
        "mh_trust": [3_369_600] * 2,
        "vcs_a": [842_400] * 2,
        "vcs_b": [842_400] * 2,
    }
    parts = p.allocate(np.array([10, -10, 7]), {"c": 1, "a": 1, "b": 1})
    assert {k: v.tolist() for k, v in parts.items()} == {
        "a": [4, -4, 3],
        "b": [3, -3, 2],
        "c": [3, -3, 2],
    }
    weights = {"a": np.array([0.0, 1.0]), "b": np.array([0.0, 1.0])}
    parts = p.allocate(np.array([7, 7]), weights)
    assert parts["a"].tolist() == [4, 4] and parts["b"].tolist() == [3, 3]


def test_allocating_between_no_parties_fails_if_any_row_has_money():
    assert p.allocate(np.array([0, 0]), {}) == {}
    with pytest.raises(ValueError, match="no parties"):
        p.allocate(np.array([0, 5]), {})


def test_one_replication_still_gets_python_numbers():
    # the agent model's path: plain ints, floats and bools, not numpy scalars
    assert type(p.tariff_payment(333, 0.5)) is int
    assert type(p.outcome_paid_share(0.7)) is float
    assert type(p.gain_share(1_000_000, 400_000, 0.5, (), 100_000)[1]) is bool
    assert all(type(v) is int for v in p.allocate(10, {"a": 1, "b": 2}).values())


# --------------------------------------------------------------------------- netting


def pairing_walk(positions: dict[str, int]) -> list[tuple[str, str, int]]:
    """Netting as first written: allocate among the members in surplus and in
    deficit only, then walk both lists in name order (the reference for net_off)."""
    surpluses = {k: v for k, v in positions.items() if v > 0}
    deficits = {k: -v for k, v in positions.items() if v < 0}
    total = min(sum(surpluses.values()), sum(deficits.values()))
    if total <= 0:
        return []
    payers = [[k, v] for k, v in sorted(p.allocate(total, surpluses).items()) if v > 0]
    payees = [[k, v] for k, v in sorted(p.allocate(total, deficits).items()) if v > 0]
    transfers, i, j = [], 0, 0
    while i < len(payers) and j < len(payees):
        amount = min(payers[i][1], payees[j][1])
        transfers.append((payers[i][0], payees[j][0], amount))
        payers[i][1] -= amount
        payees[j][1] -= amount
        i += payers[i][1] == 0
        j += payees[j][1] == 0
    return transfers


POSITION = st.one_of(st.integers(-(10**9), 10**9), st.sampled_from([0, 1, -1, 10, -10, 7]))
MEMBERS = ("mh_trust", "la", "vcs", "acute", "gp")


@given(st.dictionaries(st.sampled_from(MEMBERS), POSITION))
def test_net_off_pairs_as_the_walk_down_both_lists_did(positions):
    assert p.net_off(positions) == pairing_walk(positions)


@given(st.lists(st.tuples(*[POSITION] * len(MEMBERS)), min_size=1, max_size=20))
def test_net_off_on_replications(rows):
    positions = {m: column([r[k] for r in rows], np.int64) for k, m in enumerate(MEMBERS)}
    together = p.net_off(positions)
    for i, row in enumerate(rows):
        alone = p.net_off(dict(zip(MEMBERS, row, strict=True)))
        this_row = [(a, b, amount[i].item()) for a, b, amount in together if amount[i] != 0]
        assert this_row == alone
        assert all(amount.dtype == np.int64 for _, _, amount in together)


def underspend_calls_as_first_written(underspend, deficits, offset, returned):
    if underspend <= 0 or returned:
        return {}, 0
    first = {}
    if offset:
        owed = {k: v for k, v in deficits.items() if v > 0}
        used = min(underspend, sum(owed.values()))
        if used > 0:
            first = {k: v for k, v in p.allocate(used, owed).items() if v > 0}
    return first, underspend - sum(first.values())


@given(
    st.lists(st.tuples(MONEY, st.tuples(*[POSITION] * 3)), min_size=1, max_size=20),
    st.booleans(),
    st.booleans(),
)
def test_underspend_calls_alone_and_on_replications(rows, offset, returned):
    terms = dict(offset_overspends_first=offset, returned_to_commissioner=returned)
    names = ("mh_trust", "la", "vcs")
    underspend = column([r[0] for r in rows], np.int64)
    deficits = {m: column([r[1][k] for r in rows], np.int64) for k, m in enumerate(names)}
    first, remainder = p.underspend_calls(underspend, deficits, **terms)
    assert remainder.dtype == np.int64
    for i, (amount, row) in enumerate(rows):
        alone = p.underspend_calls(amount, dict(zip(names, row, strict=True)), **terms)
        assert alone == underspend_calls_as_first_written(
            amount, dict(zip(names, row, strict=True)), offset, returned
        )
        # a member called in another replication only is called for 0 here
        assert {k: v[i].item() for k, v in first.items()} == {k: alone[0].get(k, 0) for k in first}
        assert set(alone[0]) <= set(first) and remainder[i].item() == alone[1]


@given(st.lists(st.lists(st.floats(0, 1e9), min_size=5, max_size=5), min_size=1, max_size=10))
def test_exact_sum_falls_back_to_fsum_for_rows_not_settled(rows):
    # one round only: rows whose earlier additions round go to math.fsum
    columns = [column([r[i] for r in rows], np.float64) for i in range(5)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pence, "SUM_ROUNDS", 1)
        assert pence.exact_sum(columns).tolist() == [math.fsum(r) for r in rows]
