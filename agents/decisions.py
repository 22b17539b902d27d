"""Decision rules: small named pure functions of explicit inputs.

The agents gather the inputs (their contract terms, the economy's sensitivities,
their trust) and call these; nothing here touches the model or a random stream,
so each rule is pinned by hand-worked tests.

Reference formulation (MODEL.md s3a): provider i chooses integration effort e to
maximise ``(1 - a) E[profit(e)] + a B(e) - C(e) + reciprocity`` with a convex
effort cost ``C(e) = c e^2 / 2``, whose best response is the Holmström-Milgrom
``e* = marginal return / c`` (anchors s2.1), clipped to [0, 1]. Marginal returns
are expressed as a share of the provider's annual income so that a £1m charity
and a £300m trust are on one scale.

Every rule here works on floats (one replication, the agent model) and on numpy float64
arrays with a leading replication axis (an ensemble of R replications, issue 14),
elementwise, with the same bits per replication: the choices and powers go through
``model/elementwise.py``. Contract terms and the scenario's priors are shared by the
replications stepped together and stay scalars.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from alliancesim.model.elementwise import (
    both,
    clip,
    erfc,
    everywhere,
    maximum,
    minimum,
    power,
    select,
    total,
)
from alliancesim.model.payment.terms import Basis, LinePayment


def marginal_income(terms: LinePayment, above_baseline: Any, variable_cost: Any) -> Any:
    """Pence the payer pays for one more unit of activity on a line.

    tariff: the price; marginal rate: the price up to the baseline, then
    ``marginal_rate`` x price (MRET, anchors s2.8); blended: ``variable_share`` x
    price; block and capitation: nothing (income is fixed); cost plus fee: the
    variable cost reimbursed plus the fee on it (alliance limbs 1 and 2, anchors s2.2).
    """
    match terms.basis:
        case Basis.TARIFF:
            return float(terms.price_pence)
        case Basis.MARGINAL_RATE:
            rate = select(above_baseline, terms.marginal_rate, 1.0)
            return terms.price_pence * rate
        case Basis.BLENDED:
            return terms.price_pence * terms.variable_share
        case Basis.BLOCK | Basis.CAPITATION:
            return 0.0
        case Basis.COST_PLUS_FEE:
            return variable_cost * (1.0 + terms.fee_share)
    return 0.0  # pragma: no cover


def shadow_of_future(years_left: float) -> float:
    """Discount factor of the relationship: longer contracts weigh the future more.

    Names: Axelrod (1984), Levin (2003) relational contracts (anchors s2.3):
    delta ~ continuation probability; here ``years / (years + 1)``.
    """
    years_left = maximum(0.0, years_left)
    return years_left / (years_left + 1.0)


def reciprocity(weight: float, years_left: float, tied_cooperation: float) -> float:
    """Value placed on partners' expected cooperation, repeated-game style.

    ``tied_cooperation`` is the sum over partners of tie x trust x their last
    cooperation (``HealthEconomyModel.expected_cooperation``): zero when nothing ties
    the provider to anyone (no money link, no leadership team with shared objectives),
    larger with longer contracts to run (:func:`shadow_of_future`).
    """
    return weight * shadow_of_future(years_left) * tied_cooperation


def integration_effort(
    marginal_profit: float,
    system_benefit: float,
    incentive_weight: float,
    reciprocity_value: float,
    effort_cost: float,
    risk_premium: float = 0.0,
) -> float:
    """Best-response effort: ``((1 - a) m + a b + reciprocity) / (c + r sd^2)`` clipped
    to [0, 1].

    ``marginal_profit`` m and ``system_benefit`` b are per unit of effort, as shares
    of the provider's annual income. ``risk_premium`` is r x sd^2 (:func:`effort_risk`):
    U = (1 - a) m e - (r/2) sd^2 e^2 + a b e + reciprocity e - c e^2 / 2 (MODEL.md s3a),
    so aversion to the spread of the money effort earns acts as extra effort cost.
    """
    drive = (
        (1.0 - incentive_weight) * marginal_profit
        + incentive_weight * system_benefit
        + reciprocity_value
    )
    cost = effort_cost + maximum(0.0, risk_premium)
    return clip(drive / cost, 0.0, 1.0)


def effort_risk(aversion: float, pooled_return: float, cv: float) -> float:
    """r x Var of the money one unit of effort earns, per unit of effort squared.

    ``pooled_return`` is the part of the marginal profit that rides on others and on
    chance (the gain/pain share of the system's result, the outcome withhold), as a
    share of income; its standard deviation is ``cv`` times its size (a prior).
    """
    return aversion * power(cv * pooled_return, 2)


def admission_push(
    unit_margin_share: float, incentive_weight: float, push_max: float, patient_weight: float = 0.5
) -> float:
    """Supplier-induced activity on a line paid per unit: keep admissions up.

    ``unit_margin_share`` is (marginal income - variable cost) / price; positive
    only under activity payment. Anchors s2.1 (Ellis & McGuire; Hennig-Schmidt:
    fee-for-service over-provides, patient benefit still weighs, ``patient_weight``).
    """
    drive = (1.0 - incentive_weight) * unit_margin_share - incentive_weight * patient_weight
    return clip(push_max * drive, 0.0, push_max)


def reported_outcome(true_outcome: float, gamed: Iterable[tuple[float, float, float]]) -> float:
    """Reported = true + what gaming adds, capped at 1 (anchors s2.9, Bevan & Hood 2006).

    ``gamed``: per provider (its weight in the outcome index, the audit intensity of
    the commissioner it reports to, its overstatement in points, :func:`gaming`); audit
    catches and corrects that share of the overstatement.
    """
    added = total([weight * (1.0 - audit) * maximum(0.0, g) for weight, audit, g in gamed])
    return minimum(1.0, true_outcome + added)


def should_squeeze(margin: float, target_margin: float, draw: float, probability: float) -> bool:
    """A lead provider under its target margin squeezes a subcontractor with probability p.

    Anchors s2.10 (#18 supply-chain squeeze: p_sq = 0.5 when margin < target).
    """
    return both(margin < target_margin, draw < probability)


def risk_aversion(
    risk_appetite: float, reserves_share: float, distressed: bool, priors: Any
) -> float:
    """CARA coefficient from risk appetite, thin reserves and distress.

    A small provider with thin reserves values a pain share below its expected
    value (MODEL.md s3a); distress raises aversion (seed 000 s3.2). ``priors`` (the
    scenario's ``behaviour``) gives the scale, the reserves cushion and the distress
    multiplier, and switches the channel: with ``channels.risk_aversion`` off it is 0.
    """
    if not priors.channels.risk_aversion:
        return 0.0
    return cara(
        risk_appetite,
        reserves_share,
        distressed,
        priors.risk_aversion_scale,
        priors.risk_cushion_floor,
        priors.risk_cushion_slope,
        priors.risk_distress_multiplier,
    )


def cara(
    risk_appetite: Any,
    reserves_share: Any,
    distressed: Any,
    scale: float,
    cushion_floor: float,
    cushion_slope: float,
    distress_multiplier: float,
) -> Any:
    """The rule behind :func:`risk_aversion` on explicit inputs (the priors' scale,
    reserves cushion floor and slope, and distress multiplier)."""
    base = (1.0 - risk_appetite) * scale
    cushion = 1.0 / (cushion_floor + maximum(0.0, reserves_share) * cushion_slope)
    return base * cushion * select(distressed, distress_multiplier, 1.0)


# ------------------------------------------------------------ outcome payment
# The withhold (or pot) pays on attainment A = reported outcome / target, capped at 1
# (model/payment/primitives.py outcome_paid_share). A provider i chooses two things
# each period besides integration effort (docs/outcomes-based.md):
#   q_i  work on the measured outcomes (quality improvement), which raises the true
#        outcome of its own patients by gain x f(q) with f(q) = 2q - q^2 (diminishing
#        returns) and costs c_q q^2 / 2 of its income a year;
#   g_i  gaming: overstating its measured outcomes by g points, at c_g g^2 / 2 of its
#        income a year, with audit catching a share of it (Bevan & Hood 2006, anchors
#        s2.9: reported = true + gaming, gaming ~ incentive x (1 - audit) x (1 - trust)).
# Both are principal-agent best responses (anchors s2.1: e* = marginal return / c) to
# the money one more point of the outcome index brings it:
#   (1 - l) x stake x d E[paid share] / d A x (1 / target) x its weight in the index
# (MODEL.md s3a row "(1 - l) w dA/de"), so both rise with the withhold or pot, follow
# the contract year's schedule and vanish when the commissioner is expected to pay
# regardless (l = 1). Gaming costs less per point than real improvement, so as the
# withhold grows it takes a larger share of the reported gain.


def attainment_slope(expected_attainment: float, belief_sd: float) -> float:
    """d E[min(1, A)] / d A when the provider believes A ~ Normal(expected, sd).

    ``Phi((1 - expected) / sd)``: 1 far below the cap, 1/2 at it, 0 far above. The
    payment stops rising at full attainment, so money at stake pulls less once the
    measured outcome is expected to reach its target (diminishing returns).
    """
    certain = select(expected_attainment < 1.0, 1.0, 0.0)  # belief_sd <= 0: a step
    z = (1.0 - expected_attainment) / select(belief_sd <= 0.0, 1.0, belief_sd)
    return select(belief_sd <= 0.0, certain, 0.5 * erfc(-z / math.sqrt(2.0)))


def outcome_money_per_point(
    stake: float, leniency: float, attainment_slope_value: float, target: float
) -> float:
    """Money (pence a year) one more point of the outcome index brings a provider.

    ``stake``: pence a year that move per unit of attainment (withhold or pot share
    x contract value x the share at risk this contract year x the payment slope);
    ``leniency``: its belief that the commissioner pays regardless (seed 000 L1440).
    """
    paid = (1.0 - clip(leniency, 0.0, 1.0)) * stake * attainment_slope_value
    return select(target <= 0.0, 0.0, paid / select(target <= 0.0, 1.0, target))


def outcome_effort(marginal_value: float, effort_cost: float) -> float:
    """Best-response work on the measured outcomes, in [0, 1).

    Maximises ``v f(q) - c q^2 / 2`` with ``f(q) = 2q - q^2``: ``q* = 2v / (c + 2v)``.
    ``marginal_value`` v is the value (share of income a year) of the whole gain a full
    programme would bring, ``effort_cost`` c its convex cost (share of income).
    """
    v = maximum(0.0, marginal_value)
    return select(v == 0.0, 0.0, 2.0 * v / (maximum(1e-12, effort_cost) + 2.0 * v))


def outcome_gain(effort: float) -> float:
    """f(q) = 2q - q^2: the share of a full programme's gain that effort q achieves."""
    q = clip(effort, 0.0, 1.0)
    return 2.0 * q - q * q


def gaming(
    value_per_point: float, audit: float, trust: float, gaming_cost: float, gaming_max: float
) -> float:
    """Best-response overstatement of its measured outcomes, in outcome-index points.

    Maximises ``v (1 - audit)(1 - trust) g - c_g g^2 / 2``; ``value_per_point`` v is
    the money (share of income) one reported point of its own measures brings, audit
    catches a share of any overstatement, and trust in the commissioner (intrinsic
    motivation, a relationship worth keeping) holds it back (anchors s2.9). Capped at
    ``gaming_max`` (official vs survey gaps of about 20 pp, Bevan & Hood 2006).
    """
    drive = maximum(0.0, value_per_point) * (1.0 - audit) * (1.0 - trust)
    return clip(drive / maximum(1e-12, gaming_cost), 0.0, gaming_max)


# ------------------------------------------------------ a provider's period choices
# What ``Provider.decide_effort`` decides, as functions of the numbers it gathers
# (its own state, its contract view, the economy's marginal returns, its trust). The
# agent gathers them from the Mesa model for one replication; an ensemble engine
# gathers them as arrays over replications and calls the same functions.


def system_weight(incentive_weight: Any, distressed: Any, distress_system_weight: float) -> Any:
    """Best for service vs best for self; distress turns a provider inward (seed 000 s3.3)."""
    return incentive_weight * select(distressed, distress_system_weight, 1.0)


class EffortInputs(NamedTuple):
    """One provider's inputs to its integration effort in a period: floats for one
    replication, or arrays over replications. Money is pence a year per unit of effort."""

    income: Any  # its annual income, pence, at least 1
    profit: Any  # marginal profit under its terms (``choices.marginal_returns``)
    system_saving: Any  # system cost saved
    outcome_slope: Any  # d outcome index / d effort
    pooled: Any  # the part of ``profit`` that is its gain or pain share of the pool
    per_point: Any  # outcome money a point of the index brings it (outcome_money_per_point)
    tied_cooperation: Any  # tie x trust x partners' last cooperation (:func:`tied_cooperation`)
    years_left: Any  # the relationship's expected remaining years
    reserves: Any  # pence
    distressed: Any  # bool
    risk_appetite: Any
    weight_on_system: Any  # :func:`system_weight`


def effort_choice(x: EffortInputs, behaviour: Any) -> Any:
    """Best-response integration effort (MODEL.md s3a) from its inputs and the scenario's
    ``behaviour`` priors. Each term is one behavioural channel (``behaviour.channels``,
    the same for every replication); a channel switched off contributes nothing and
    changes no other term."""
    channels = behaviour.channels
    profit, pooled = x.profit, x.pooled
    # the outcome money: (1 - l) x stake x dA/d outcome x d outcome / d effort
    withhold = x.per_point * x.outcome_slope
    if not channels.payment_incentive:
        profit = pooled = withhold = 0.0
    profit = profit + withhold  # not +=: it would write into the caller's array
    pooled = abs(pooled) + abs(withhold)
    profit = profit - behaviour.effort_spend_share * x.income  # the work itself costs money
    benefit = 0.0
    if channels.system_benefit:
        benefit = behaviour.system_benefit_weight * clip(x.system_saving / x.income, 0.0, 1.0)
    recip = 0.0
    if channels.reciprocity:
        recip = reciprocity(behaviour.reciprocity_weight, x.years_left, x.tied_cooperation)
    aversion = risk_aversion(x.risk_appetite, x.reserves / x.income, x.distressed, behaviour)
    premium = effort_risk(aversion, pooled / x.income, behaviour.effort_return_cv)
    return integration_effort(
        profit / x.income,
        benefit,
        x.weight_on_system,
        recip,
        behaviour.effort_cost,
        premium,
    )


def tied_cooperation(partners: Iterable[tuple[Any, Any, Any, Any]]) -> Any:
    """Sum over partners of tie x trust x last cooperation (MODEL.md s3b), a failed
    partner counting for nothing. ``partners``: (tie, trust in it, its cooperation last
    period, whether it has failed) each; summed as ``sum`` does (:func:`elementwise.total`)."""
    return total(
        [
            select(failed, 0.0, tie * trust * cooperation)
            for tie, trust, cooperation, failed in partners
        ]
    )


def unit_margin_share(terms: LinePayment, above_baseline: Any, variable_cost: Any, unit_cost: Any):
    """(marginal income - variable cost) / unit cost on a line it is paid for: what one
    more unit of activity earns it, as a share of the unit's cost (:func:`admission_push`)."""
    return (marginal_income(terms, above_baseline, variable_cost) - variable_cost) / unit_cost


def push_choice(
    margin_shares: Sequence[Any], weight_on_system: Any, push_max: float, patient_weight: float
) -> Any:
    """The strongest admission push over its shiftable lines paid per unit (seed 001
    L606-608): :func:`admission_push` on each line's :func:`unit_margin_share`, 0 if none."""
    best: Any = 0.0
    for share in margin_shares:
        best = maximum(best, admission_push(share, weight_on_system, push_max, patient_weight))
    return best


def outcome_choices(
    per_point: Any,
    outcome_weight: float,
    income: Any,
    audit: float,
    trust: Any,
    behaviour: Any,
) -> tuple[Any, Any]:
    """Work on the measured outcomes q and gaming of them g (the outcome payment, above):
    best responses to the money one more point of the outcome index brings it, shared with
    the other providers in proportion to its ``outcome_weight`` in the index. ``audit``
    and ``trust``: of and in the commissioner it reports to. None without outcome money."""
    none = per_point <= 0.0
    work = gamed = 0.0
    if everywhere(none):  # no outcome money (in any replication): nothing to work out
        return select(none, 0.0, work), select(none, 0.0, gamed)
    own_point = per_point * outcome_weight / income
    if behaviour.channels.payment_incentive:
        work = outcome_effort(
            own_point * behaviour.outcome_effort_gain, behaviour.outcome_effort_cost
        )
    if behaviour.channels.gaming:
        gamed = gaming(own_point, audit, trust, behaviour.gaming_cost, behaviour.gaming_max)
    return select(none, 0.0, work), select(none, 0.0, gamed)


def squeeze_margin(year_income: Any, year_cost: Any, distressed: Any, target_margin: float) -> Any:
    """A lead's margin this year as :func:`should_squeeze` reads it: distress counts as
    a margin a full point below target."""
    margin = (year_income - year_cost) / maximum(1, abs(year_income))
    return select(distressed, minimum(margin, target_margin - 1.0), margin)
