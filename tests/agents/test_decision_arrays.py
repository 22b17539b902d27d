"""The decision rules written once for one replication and for an array of them (issue 14).

Each rule applied to arrays with a replication axis must give, bit for bit, what it gives
applied to each replication's floats alone (the agent model's path), signed zeros
included. Then a few properties of the composed choices a wrong sign or clip would break.
"""

import math

import numpy as np
import pytest
from alliancesim.agents import decisions as d
from alliancesim.agents.incentives import ProviderContractView, share_of_saving
from alliancesim.model.elementwise import (
    clip,
    everywhere,
    maximum,
    minimum,
    power,
    select,
    total,
)
from alliancesim.model.payment.terms import Basis, LinePayment
from alliancesim.scenario import BehaviourSpec, ChannelsSpec
from hypothesis import given, settings
from hypothesis import strategies as st

REAL = st.floats(-1e6, 1e6, allow_nan=False)
SHARE = st.floats(-0.5, 1.5, allow_nan=False)
UNIT = st.floats(0.0, 1.0)
POSITIVE = st.floats(1e-3, 1e3)
FLAG = st.booleans()
R = st.integers(1, 6)


def bits(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).view(np.int64)


def assert_elementwise(rule, cases: list[tuple], *shared) -> None:
    """``rule`` on one array per argument equals ``rule`` on each case, bit for bit.
    ``shared`` arguments (terms, priors) are the same for every replication."""
    columns = [np.array(column) for column in zip(*cases, strict=True)]
    # a divisor near the smallest float overflows to inf on both paths alike; numpy warns
    # about it where Python's float division does not
    with np.errstate(over="ignore"):
        together = rule(*columns, *shared)
    alone = [rule(*case, *shared) for case in cases]
    together = np.broadcast_to(np.asarray(together), (len(cases),))
    if together.dtype == bool:
        assert together.tolist() == [bool(a) for a in alone]
    else:
        assert bits(together).tolist() == bits([float(a) for a in alone]).tolist()


def cases(*strategies):
    """Lists of 1 to 6 cases, one value from each strategy per case."""
    return st.lists(st.tuples(*strategies), min_size=1, max_size=6)


# ---------------------------------------------------------------- the primitives


def test_power_is_cpythons_not_numpys_square():
    """A value where numpy's x*x and CPython's x ** 2 differ in the last bit: the array
    path must give CPython's (found by search; both are within half a unit)."""
    x = 0.42672114373024106
    assert x**2 != x * x  # the trap this guards against
    assert power(np.array([x]), 2)[0] == x**2


@given(st.lists(st.tuples(REAL, REAL), min_size=1, max_size=6))
def test_choices_match_python_on_ties_and_signed_zeros(pairs):
    pairs = pairs + [(0.0, -0.0), (-0.0, 0.0), (1.0, 1.0)]
    a, b = (np.array(c) for c in zip(*pairs, strict=True))
    assert bits(maximum(a, b)).tolist() == bits([max(x, y) for x, y in pairs]).tolist()
    assert bits(minimum(a, b)).tolist() == bits([min(x, y) for x, y in pairs]).tolist()
    assert bits(clip(a, 0.0, 1.0)).tolist() == bits([min(1.0, max(0.0, x)) for x in a]).tolist()
    assert (
        bits(select(a > b, a, b)).tolist() == bits([x if x > y else y for x, y in pairs]).tolist()
    )


@given(R.flatmap(lambda r: st.lists(st.lists(REAL, min_size=r, max_size=r), max_size=8)))
def test_total_replays_pythons_compensated_sum(terms):
    """``sum`` of floats is compensated since Python 3.12; plain + over arrays is not."""
    if not terms:
        return
    columns = [np.array(t) for t in terms]
    expected = [sum(t[i] for t in terms) for i in range(len(terms[0]))]
    assert bits(total(columns)).tolist() == bits(expected).tolist()


def test_everywhere_needs_every_replication():
    assert everywhere(True) and not everywhere(False)
    assert everywhere(np.array([True, True]))
    assert not everywhere(np.array([True, False]))  # one replication is enough to say no
    assert not everywhere(np.array([False, False]))


def test_outcome_choices_without_outcome_money_in_some_replications():
    """Rows with no outcome money choose nothing; the others are worked out as alone."""
    behaviour = BehaviourSpec()
    per_point = np.array([0.0, 5e7, -1.0])
    work, gamed = d.outcome_choices(per_point, 0.5, 1e9, 0.2, 0.4, behaviour)
    alone = [d.outcome_choices(p, 0.5, 1e9, 0.2, 0.4, behaviour) for p in per_point.tolist()]
    assert work.tolist() == [a[0] for a in alone] and gamed.tolist() == [a[1] for a in alone]
    assert work[1] > 0.0 and gamed[1] > 0.0 and work[0] == work[2] == 0.0


def test_total_is_not_plain_addition():
    """1e16 + 1 + 1: plain addition loses both ones, Python's sum keeps them."""
    terms = [np.array([1e16]), np.array([1.0]), np.array([1.0])]
    assert total(terms)[0] == sum([1e16, 1.0, 1.0]) == 1e16 + 2.0


# ------------------------------------------------------------ each rule elementwise


@given(cases(REAL, REAL, REAL))
def test_reciprocity(cs):
    assert_elementwise(d.reciprocity, cs)


@given(cases(REAL, REAL, SHARE, REAL, POSITIVE, REAL))
def test_integration_effort(cs):
    assert_elementwise(d.integration_effort, cs)


@given(cases(REAL, REAL, SHARE))
def test_effort_risk(cs):
    assert_elementwise(d.effort_risk, cs)


@given(cases(REAL, SHARE, POSITIVE, UNIT))
def test_admission_push(cs):
    assert_elementwise(d.admission_push, cs)


@given(cases(SHARE, REAL, FLAG), POSITIVE, POSITIVE, POSITIVE, POSITIVE)
def test_cara(cs, scale, floor, slope, multiplier):
    assert_elementwise(d.cara, cs, scale, floor, slope, multiplier)


@given(cases(REAL, st.floats(-1.0, 1.0)))
def test_attainment_slope(cs):
    assert_elementwise(d.attainment_slope, cs)


@given(cases(REAL), st.sampled_from([0.0, -0.1, 0.05, 0.2]))
def test_attainment_slope_with_a_shared_belief(cs, belief_sd):
    """The prior is one float for every replication, the attainment an array."""
    assert_elementwise(d.attainment_slope, cs, belief_sd)


@given(cases(REAL, SHARE, UNIT, st.floats(-1.0, 2.0)))
def test_outcome_money_per_point(cs):
    assert_elementwise(d.outcome_money_per_point, cs)


@given(cases(REAL, st.floats(-1.0, 1e3)))
def test_outcome_effort(cs):
    assert_elementwise(d.outcome_effort, cs)


@given(cases(REAL))
def test_outcome_gain(cs):
    assert_elementwise(d.outcome_gain, cs)


@given(cases(REAL, UNIT, UNIT, st.floats(-1.0, 1e3), UNIT))
def test_gaming(cs):
    assert_elementwise(d.gaming, cs)


@given(cases(SHARE, SHARE, UNIT, UNIT))
def test_should_squeeze(cs):
    assert_elementwise(d.should_squeeze, cs)


@given(cases(SHARE, FLAG), UNIT)
def test_system_weight(cs, distress_weight):
    assert_elementwise(d.system_weight, cs, distress_weight)


@given(cases(st.integers(-(10**12), 10**12), st.integers(0, 10**12), FLAG), SHARE)
def test_squeeze_margin(cs, target):
    assert_elementwise(d.squeeze_margin, cs, target)


PAYMENTS = [
    LinePayment(basis=Basis.TARIFF, price_pence=1_000, planned_activity=100),
    LinePayment(
        basis=Basis.MARGINAL_RATE,
        price_pence=1_000,
        baseline_activity=100,
        planned_activity=100,
        marginal_rate=0.3,
    ),
    LinePayment(
        basis=Basis.BLENDED,
        price_pence=1_000,
        planned_activity=100,
        variable_share=0.4,
        annual_value_pence=100_000,
    ),
    LinePayment(
        basis=Basis.BLOCK, price_pence=1_000, planned_activity=100, annual_value_pence=100_000
    ),
    LinePayment(basis=Basis.COST_PLUS_FEE, price_pence=1_000, planned_activity=100, fee_share=0.1),
]


@pytest.mark.parametrize("terms", PAYMENTS, ids=lambda t: t.basis.value)
@given(cs=cases(FLAG, st.floats(0.0, 1e5), st.floats(1.0, 1e5)))
def test_unit_margin_share_on_every_basis(terms, cs):
    assert_elementwise(lambda above, v, u: d.unit_margin_share(terms, above, v, u), cs)


@given(cases(REAL), SHARE, SHARE)
def test_share_of_saving(cs, gain, pain):
    view = ProviderContractView(gain_share=gain, pain_share=pain)
    assert_elementwise(lambda saving: share_of_saving(view, saving), cs)


@given(st.integers(0, 4).flatmap(lambda k: cases(*[SHARE] * k, SHARE) if k else cases(SHARE)))
def test_push_choice(cs):
    """Over k lines (the last column is the provider's weight on the system)."""
    assert_elementwise(lambda *c: d.push_choice(c[:-1], c[-1], 0.2, 0.5), cs)


@given(st.integers(0, 5).flatmap(lambda k: cases(*[st.tuples(UNIT, UNIT, UNIT, FLAG)] * k)))
def test_tied_cooperation(cs):
    """Partners' (tie, trust, cooperation, failed), one tuple per partner."""
    if not cs or not cs[0]:
        return
    k = len(cs[0])

    def rule(*partners):
        return d.tied_cooperation(partners)

    together = rule(*[tuple(np.array([c[i][j] for c in cs]) for j in range(4)) for i in range(k)])
    alone = [rule(*c) for c in cs]
    assert bits(np.broadcast_to(together, (len(cs),))).tolist() == bits(alone).tolist()


@given(UNIT, st.lists(st.tuples(UNIT, UNIT, UNIT), max_size=5))
def test_reported_outcome(true_outcome, gamed):
    """One replication's true outcome and gaming, and a copy with them doubled, together."""
    twice = [(w, a, 2.0 * g) for w, a, g in gamed]
    together = d.reported_outcome(
        np.array([true_outcome, true_outcome]),
        [(w, a, np.array([g, g2])) for (w, a, g), (_, _, g2) in zip(gamed, twice, strict=True)],
    )
    alone = [d.reported_outcome(true_outcome, gamed), d.reported_outcome(true_outcome, twice)]
    assert bits(np.broadcast_to(together, (2,))).tolist() == bits(alone).tolist()


# --------------------------------------------------------- the composed choices

CHANNELS = st.builds(
    ChannelsSpec,
    payment_incentive=FLAG,
    reciprocity=FLAG,
    system_benefit=FLAG,
    admission_push=FLAG,
    gaming=FLAG,
    risk_aversion=FLAG,
)
INPUTS = st.tuples(
    st.floats(1.0, 1e9),  # income
    REAL,  # profit
    REAL,  # system saving
    st.floats(0.0, 0.1),  # outcome slope
    REAL,  # pooled
    st.floats(0.0, 1e6),  # per point
    st.floats(0.0, 3.0),  # tied cooperation
    st.floats(0.0, 20.0),  # years left
    REAL,  # reserves
    FLAG,  # distressed
    UNIT,  # risk appetite
    UNIT,  # weight on system
)


@settings(max_examples=60)
@given(st.lists(INPUTS, min_size=1, max_size=6), CHANNELS)
def test_effort_choice(cs, channels):
    behaviour = BehaviourSpec(channels=channels)
    columns = d.EffortInputs(*[np.array(c) for c in zip(*cs, strict=True)])
    before = [c.copy() for c in columns]
    together = d.effort_choice(columns, behaviour)
    alone = [d.effort_choice(d.EffortInputs(*c), behaviour) for c in cs]
    assert bits(np.broadcast_to(together, (len(cs),))).tolist() == bits(alone).tolist()
    # the caller's arrays are read, never written
    assert all(np.array_equal(a, b) for a, b in zip(columns, before, strict=True))


@settings(max_examples=60)
@given(st.lists(st.tuples(REAL, UNIT, st.floats(1.0, 1e9), UNIT), min_size=1, max_size=6), UNIT)
def test_outcome_choices(cs, audit):
    behaviour = BehaviourSpec()

    def rule(per_point, weight, income, trust):
        return d.outcome_choices(per_point, weight, income, audit, trust, behaviour)

    columns = [np.array(c) for c in zip(*cs, strict=True)]
    work, gamed = rule(*columns)
    alone = [rule(*c) for c in cs]
    assert bits(np.broadcast_to(work, (len(cs),))).tolist() == bits([a[0] for a in alone]).tolist()
    assert bits(np.broadcast_to(gamed, (len(cs),))).tolist() == bits([a[1] for a in alone]).tolist()


def inputs(**changes) -> d.EffortInputs:
    """A provider with £10m income, a small margin on effort and partners that cooperate."""
    base = dict(
        income=1e9,
        profit=2e7,
        system_saving=5e7,
        outcome_slope=0.0,
        pooled=0.0,
        per_point=0.0,
        tied_cooperation=1.0,
        years_left=3.0,
        reserves=1e8,
        distressed=False,
        risk_appetite=0.5,
        weight_on_system=0.5,
    )
    return d.EffortInputs(**{**base, **changes})


def test_effort_is_zero_when_no_channel_returns_anything():
    """No profit, no saving, no outcome money, no tied partners: the work's own cost
    (effort_spend_share) makes the best response zero, for every weight and appetite."""
    behaviour = BehaviourSpec()
    weights = np.linspace(0.0, 1.0, 11)
    x = inputs(profit=0.0, system_saving=0.0, tied_cooperation=0.0, weight_on_system=weights)
    assert np.all(d.effort_choice(x, behaviour) == 0.0)


def test_effort_rises_with_the_reciprocity_weight_when_partners_cooperate():
    """Hand-worked: with payment and system benefit off, no risk aversion and no weight
    on the system, drive = reciprocity - the work's spend share, reciprocity = w x
    shadow of 3 years left (3 / 4) x tied cooperation 1, so effort = (0.75 w - spend) / c
    clipped to [0, 1]: rising in w from 0 until the clip at 1."""
    off = ChannelsSpec(payment_incentive=False, system_benefit=False, risk_aversion=False)
    weights = np.array([0.0, 0.05, 0.1, 0.2, 5.0])
    behaviours = [BehaviourSpec(channels=off, reciprocity_weight=float(w)) for w in weights]
    efforts = [d.effort_choice(inputs(weight_on_system=0.0), b) for b in behaviours]
    cost = behaviours[0].effort_cost
    spend = behaviours[0].effort_spend_share
    expected = [min(1.0, max(0.0, (w * 0.75 - spend) / cost)) for w in weights]
    assert efforts == pytest.approx(expected)
    assert efforts[-1] == 1.0 and efforts[0] == 0.0
    assert all(a <= b for a, b in zip(efforts, efforts[1:], strict=False))
    assert efforts[3] > efforts[2]  # strictly, inside the bounds


def test_no_reciprocity_without_cooperating_partners():
    behaviour = BehaviourSpec(channels=ChannelsSpec(payment_incentive=False, system_benefit=False))
    assert d.effort_choice(inputs(tied_cooperation=0.0), behaviour) == 0.0
    assert d.effort_choice(inputs(tied_cooperation=1.0), behaviour) > 0.0


@settings(max_examples=60)
@given(INPUTS, CHANNELS)
def test_choices_stay_within_their_bounds(values, channels):
    behaviour = BehaviourSpec(channels=channels)
    x = d.EffortInputs(*values)
    assert 0.0 <= d.effort_choice(x, behaviour) <= 1.0
    push = d.push_choice([x.profit / x.income], x.weight_on_system, 0.2, 0.5)
    assert 0.0 <= push <= 0.2
    work, gamed = d.outcome_choices(x.per_point, 1.0, x.income, 0.3, 0.5, behaviour)
    assert 0.0 <= work < 1.0
    assert 0.0 <= gamed <= behaviour.gaming_max


def test_a_distressed_provider_is_more_averse_elementwise():
    distressed = np.array([False, True])
    a = d.cara(0.5, 0.05, distressed, 1.0, 0.25, 5.0, 2.0)
    assert a[1] == pytest.approx(2.0 * a[0])
    assert math.isclose(a[0], 0.5 / (0.25 + 0.25))
