"""Settlement primitives: small pure functions on integer pence.

Each primitive computes one contractual rule and nothing else, so it can be
checked by hand and reused by :mod:`settlement`. Money in and out is ``int``
pence; shares and activity are ``float``.

Rounding (one rule everywhere): a float amount of pence is turned into whole
pence by :func:`round_pence`, Python's ``round``, i.e. round half to even
(banker's rounding: 2.5p -> 2p, 3.5p -> 4p), which has no upward bias over many
periods (on arrays ``numpy.rint``, the same rule). Where an amount must be
split exactly (instalments, allocation between parties) the remainder pence
are handed out deterministically, so the parts always sum to the whole.

Where a rule is applied over a year (marginal rate, blended true-up,
withholds) the settlement applies it to year-to-date totals and pays the
difference, so rounding never accumulates: the year's payments equal the rule
applied once to the year.

One replication or many: the primitives marked "array-capable" below take
either Python numbers (one replication, as the agent model calls them) or
numpy arrays with one value per replication (``int64`` pence, ``float64``
shares and activity; contract terms may stay numbers), and return the same
form. The rule is written once, with the helpers of :mod:`pence`
(``where``, ``maximum``, ``minimum``, ``round_pence``) in place of ``if``,
``max``, ``min`` and ``round``; on numbers those helpers are exactly the
builtins, so the one-replication results are unchanged to the penny.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from alliancesim.model.elementwise import anywhere, is_array, maximum, minimum
from alliancesim.model.payment.pence import (
    Flag,
    Pence,
    Real,
    constant,
    exact_sum,
    floor_pence,
    no,
    nonnegative_floats,
    rank_largest_first,
    round_pence,
    where,
)

#: Tolerance used when comparing a float ratio with a threshold, so that
#: ``1.1 >= 1 + 0.1`` (false in binary floating point) counts as reaching it.
RATIO_TOLERANCE = 1e-9


# --------------------------------------------------------------------------- block


def block_instalment(annual_pence: Pence, period_in_year: int, periods_per_year: int) -> Pence:
    """One period's instalment of an annual lump sum (array-capable).

    seed 000 L153 / seed 001 L728: a block contract is "a lump sum payment"
    irrespective of activity. The annual value is split into ``periods_per_year``
    equal whole-pence instalments; the ``annual % periods_per_year`` pence left
    over go one each to the first periods of the year, so a year's instalments
    sum exactly to the annual value.

    >>> [block_instalment(100, p, 12) for p in range(12)]
    [9, 9, 9, 9, 8, 8, 8, 8, 8, 8, 8, 8]
    """
    base, remainder = divmod(annual_pence, periods_per_year)
    return base + where(period_in_year < remainder, 1, 0)


def block_to_date(annual_pence: Pence, periods_elapsed: int, periods_per_year: int) -> Pence:
    """Sum of the first ``periods_elapsed`` instalments of :func:`block_instalment`.

    Array-capable.
    """
    base, remainder = divmod(annual_pence, periods_per_year)
    return base * periods_elapsed + minimum(periods_elapsed, remainder)


# --------------------------------------------------------------------------- activity


def tariff_payment(price_pence: Pence, activity: Real) -> Pence:
    """Price x activity (Payment by Results), seed 000 L159, seed 001 L728 (array-capable).

    Negative activity is treated as none: a tariff never charges the provider.
    """
    return round_pence(price_pence * maximum(0.0, activity))


def marginal_rate_value(
    price_pence: Pence, activity: Real, baseline_activity: Real, marginal_rate: Real
) -> Pence:
    """Value of ``activity`` units in a year under a marginal rate above a baseline (array-capable).

    anchors s2.8 (NHS MRET): emergency activity above the baseline is paid at
    ``marginal_rate`` (30%) of tariff. Units up to the baseline are paid in full.
    """
    activity = maximum(0.0, activity)
    within = minimum(activity, baseline_activity)
    above = activity - within
    return round_pence(price_pence * (within + marginal_rate * above))


def marginal_rate_payment(
    price_pence: Pence,
    activity_before: Real,
    activity: Real,
    baseline_activity: Real,
    marginal_rate: Real,
) -> Pence:
    """This period's payment under a marginal rate, given the year's earlier activity.

    The year-to-date value after the period minus the value before it, so the
    baseline is crossed at the right unit and the year's payments telescope to
    :func:`marginal_rate_value` of the year's activity (anchors s2.8, MRET 30%).
    Array-capable.
    """
    after = marginal_rate_value(
        price_pence, activity_before + activity, baseline_activity, marginal_rate
    )
    before = marginal_rate_value(price_pence, activity_before, baseline_activity, marginal_rate)
    return after - before


def blended_payment(
    fixed_pence: Pence,
    price_pence: Pence,
    activity: Real,
    planned_activity: Real,
    variable_share: Real,
) -> Pence:
    """Fixed payment for the plan plus a variable share of price x (activity - plan).

    anchors s2.8 (Aligned Payment and Incentive): payment = fixed + v x price x
    (activity - plan), with v = 20% for urgent and emergency care (2019/20) and
    up to 100% for elective activity. Below plan the payment falls below the
    fixed amount, but never below zero. Array-capable.
    """
    variable = round_pence(variable_share * price_pence * (activity - planned_activity))
    return maximum(0, fixed_pence + variable)


# --------------------------------------------------------------------------- capitation


def capitation_value(
    rate_per_head_pence: Pence,
    reference_population: Pence,
    population: Pence,
    tolerance: Real,
) -> Pence:
    """Annual capitated budget with a population tolerance band (array-capable).

    seed 001 L342: "If the actual annual population growth varies from locally
    agreed projections by more than a set tolerance, a financial adjustment will
    be made." Within ``reference_population x (1 +/- tolerance)`` the budget is
    rate x reference population; outside the band it is rate x the actual
    population (the whole difference is adjusted, not only the part beyond the
    band: the seed does not say which, this is the simpler reading).
    """
    has_reference = reference_population > 0
    # (a reference of 0 is replaced by 1 only so the division cannot fail; that
    # deviation is never used)
    deviation = abs(population - reference_population) / where(
        has_reference, reference_population, 1
    )
    inside_band = has_reference & (deviation <= tolerance + RATIO_TOLERANCE)
    return where(
        inside_band,
        rate_per_head_pence * reference_population,
        rate_per_head_pence * maximum(0, population),
    )


# --------------------------------------------------------------------------- cost + fee


def cost_plus_fee(cost_pence: Pence, fee_share: Real) -> tuple[Pence, Pence]:
    """Alliance limbs 1 and 2: actual cost reimbursed, plus a fee as a share of cost.

    anchors s2.2: limb 1 "reimburses direct and project overhead costs", limb 2
    is the fee (corporate overhead and profit). Returns ``(reimbursement, fee)``;
    a negative cost (a credit) is reimbursed as nothing. Array-capable.
    """
    reimbursement = maximum(0, cost_pence)
    return reimbursement, round_pence(fee_share * reimbursement)


def management_fee(contract_value_pence: Pence, fee_share: Real) -> Pence:
    """Annual management fee of a lead or prime contractor: a share of contract value.

    seed 001 L253: Bedfordshire paid Circle "an additional 2.5 per cent ... to
    cover management costs". Paid in instalments like a block. Array-capable.
    """
    return round_pence(fee_share * contract_value_pence)


# --------------------------------------------------------------------------- outcomes


def withhold(amount_pence: Pence, withhold_share: Real) -> Pence:
    """Part of a payment held back pending outcome attainment (seed 001 L561, anchors s2.8).

    Array-capable.
    The settlement applies it to year-to-date payments so rounding does not drift.
    """
    return round_pence(withhold_share * amount_pence)


def weighted_attainment(attainment: Mapping[str, Real], weights: Mapping[str, Real]) -> Real:
    """Weighted attainment in [0, 1] of outcome metrics (seed 001 L363, L563: weighted metrics).

    A metric with no reported attainment counts as 0. Reported values are
    clamped to [0, 1]. Summed in metric-name order so the result does not depend
    on the order the metrics are listed. Array-capable (attainment per replication).
    """
    total = 0.0
    for name in sorted(weights):
        value = attainment.get(name, 0.0)
        total = total + weights[name] * minimum(1.0, maximum(0.0, value))
    return minimum(1.0, maximum(0.0, total))


def outcome_paid_share(
    attainment: Real,
    *,
    quality_gate: float = 0.0,
    lenient: bool = False,
    at_risk: float = 1.0,
    pain_equals_gain: bool = False,
    neutral_attainment: float = 0.5,
) -> Real:
    """Share of the outcome money paid out, in [-1, 1] (negative: providers pay back).

    - ``lenient``: paid in full regardless of performance (seed 000 L1440: a
      "credit note ... regardless of performance").
    - below ``quality_gate`` no gain is paid (seed 001 L561: "If the contract-holder
      does not achieve the threshold, it does not receive that allocation").
    - otherwise the gain is the weighted attainment; with ``pain_equals_gain``
      (seed 000 L1105, "painshare equal to gainshare") attainment is measured
      from ``neutral_attainment``: full attainment pays the whole pot, zero
      attainment makes providers pay the whole pot back.
    - only ``at_risk`` of the money depends on performance; the rest is paid
      regardless (seed 001 L269: Bedfordshire year one paid as a mobilisation
      fee, year two phased in).

    Array-capable in ``attainment``; the other arguments are contract terms
    (numbers, the same for every replication).
    """
    if lenient:
        return constant(attainment, 1.0)
    attainment = minimum(1.0, maximum(0.0, attainment))
    if pain_equals_gain:
        neutral = neutral_attainment
        gain = (attainment - neutral) / (1.0 - neutral) if neutral < 1.0 else 0.0
        # below a neutral of 0 is impossible (attainment >= 0), so that case never pays
        pain = -(neutral - attainment) / neutral if neutral > 0.0 else 0.0
        earned = where(attainment >= neutral, gain, pain)
    else:
        earned = attainment
    gated = (earned > 0.0) & (attainment + RATIO_TOLERANCE < quality_gate)
    earned = where(gated, 0.0, earned)
    return (1.0 - at_risk) + at_risk * earned


def outcome_payment(at_stake_pence: Pence, paid_share: Real) -> Pence:
    """Outcome money paid (positive) or paid back (negative) for a paid share.

    The share comes from :func:`outcome_paid_share`. Array-capable.
    """
    return round_pence(at_stake_pence * paid_share)


# --------------------------------------------------------------------------- risk share


def tiered_share(
    amount_pence: Pence, first_share: Real, tiers: Sequence[tuple[Pence, Real]]
) -> Pence:
    """Part of ``amount_pence`` borne by one side when the share changes in tiers (array-capable).

    The first pence up to the first tier's start are shared at ``first_share``;
    from each tier's start (in pence of ``amount``) the tier's share applies.
    This is the piecewise-linear corridor of anchors s2.8 (ACA corridors,
    Medicare Part D bands) and of the Bedfordshire gain share (seed 001 L253:
    keep the first 5%, then 50/50).

    Tiers are taken in order of their start (ties by share). A tier that starts
    at or beyond the amount is not reached, and nor is any later one.

    >>> tiered_share(1000, 1.0, [(100, 0.5)])   # keep first 100 in full, half of the rest
    550
    """
    total = 0.0
    start, share = 0, first_share
    for tier_start, tier_share in _in_order(tiers):
        reached = tier_start < amount_pence
        new_start = maximum(tier_start, start)
        total = where(reached, total + share * (new_start - start), total)
        start = where(reached, new_start, start)
        share = where(reached, tier_share, share)
    total = total + share * (amount_pence - start)
    return where(amount_pence > 0, round_pence(total), 0)


def _in_order(tiers: Sequence[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Tiers sorted by (start, share); on arrays sorted separately for each replication row."""
    if len(tiers) <= 1 or not is_array(*(part for tier in tiers for part in tier)):
        return sorted(tiers)
    starts = np.stack(np.broadcast_arrays(*[start for start, _ in tiers]), axis=-1)
    shares = np.stack(np.broadcast_arrays(*[share for _, share in tiers]), axis=-1)
    starts, shares = np.broadcast_arrays(starts, shares)
    order = np.lexsort((shares, starts), axis=-1)  # by start, then by share
    starts = np.take_along_axis(starts, order, axis=-1)
    shares = np.take_along_axis(shares, order, axis=-1)
    return [(starts[..., i], shares[..., i]) for i in range(len(tiers))]


def pain_share(
    target_pence: Pence,
    measure_pence: Pence,
    provider_pain_share: Real,
    corridor: Sequence[tuple[float, float]] = (),
) -> Pence:
    """Provider side's part of an overspend (measure above target), before any cap (array-capable).

    anchors s2.2: pain_NOP = s_p x max(-(TOC - AOC), 0). ``corridor`` is a list of
    ``(from_ratio, provider_share)``: above ``from_ratio x target`` the provider
    side bears ``provider_share`` of the excess (anchors s2.8 corridors).
    """
    overspend = measure_pence - target_pence
    tiers = [(round_pence((ratio - 1.0) * target_pence), share) for ratio, share in corridor]
    return tiered_share(overspend, provider_pain_share, tiers)


def gain_share(
    target_pence: Pence,
    underspend_pence: Pence,
    provider_gain_share: Real,
    gain_bands: Sequence[tuple[float, float]] = (),
    gain_cap_pence: Pence | None = None,
) -> tuple[Pence, Flag]:
    """Provider side's part of an underspend, and whether the gain cap bound (array-capable).

    anchors s2.2: gain_NOP = s_g x max(TOC - AOC, 0), optionally capped at G.
    ``gain_bands`` is a list of ``(below_ratio, provider_share)``: for the part
    of the underspend that takes the measure below ``below_ratio x target`` the
    provider side takes ``provider_share`` (seed 001 L253: Circle keeps the first
    5% of surplus in full, the rest is split 50/50: first share 1.0, band
    (0.95, 0.5)).
    """
    tiers = [(round_pence((1.0 - ratio) * target_pence), share) for ratio, share in gain_bands]
    gain = tiered_share(underspend_pence, provider_gain_share, tiers)
    if gain_cap_pence is None:
        return gain, no(gain)
    bound = gain > gain_cap_pence
    return where(bound, gain_cap_pence, gain), bound


def cap_pain(pain_pence: Pence, cap_pence: Pence | None) -> tuple[Pence, Flag]:
    """Pain capped at ``cap_pence`` (None: no cap); returns (pain borne, cap bound) (array-capable).

    anchors s2.2: "The cap is typically equal to the NOPs' Fee"; beyond it the
    owner (commissioner) bears the whole overrun.
    """
    if cap_pence is None:
        return pain_pence, no(pain_pence)
    bound = pain_pence > cap_pence
    return where(bound, maximum(0, cap_pence), pain_pence), bound


# --------------------------------------------------------------------------- allocation


def allocate(amount_pence: Pence, weights: Mapping[Any, Real]) -> dict[Any, Pence]:
    """Split ``amount_pence`` between parties by weights, summing exactly to the amount.

    Largest-remainder (Hamilton) method: each party gets the floor of its quota;
    the pence left over go one each to the largest fractional parts, ties broken
    by party name, so the result does not depend on the order the parties are
    listed; the parts come back in name order. All-zero (or empty-positive)
    weights split equally. A negative
    amount is split as its magnitude and returned negative. Used for the 40/40/10/10
    outcome split (seed 000 L1103) and every other split between parties.

    Array-capable: ``amount_pence`` and any weight may be arrays (one row per
    replication); each row is split exactly as it would be alone, with the
    same tie-breaking by name, and each party's part is an ``int64`` array.
    """
    if not weights:
        if anywhere(amount_pence != 0):
            raise ValueError("cannot allocate money between no parties")
        return {}
    names = sorted(weights)
    # A negative amount is split as its magnitude and the parts made negative
    # (sign: -1 for a negative amount, else 1).
    sign = 1 - 2 * (amount_pence < 0)
    amount = amount_pence * sign
    positive = nonnegative_floats([weights[n] for n in names])
    total = exact_sum(positive)
    split_equally = total <= 0.0
    if anywhere(split_equally):  # no positive weight (in some replication): equal parts
        positive = [where(split_equally, 1.0, w) for w in positive]
        total = where(split_equally, float(len(names)), total)
    quotas = [amount * w / total for w in positive]
    shares = floor_pence(quotas)
    # Floors never sum above the amount (each floor <= its quota); the pence
    # left over go one each to the largest fractional parts, ties by name.
    # Handing out ``left`` pence round the n parties in that order gives each
    # ``left // n`` (each), and one more to the first ``left % n`` (a True adds 1).
    left = amount - sum(shares)
    if anywhere(left < 0):  # pragma: no cover - only if float error pushed a floor up
        return _allocate_taking_back(amount_pence, weights)
    if anywhere(left > 0):
        each, first = divmod(left, len(names))
        places = rank_largest_first([q - s for q, s in zip(quotas, shares, strict=True)])
        shares = [s + each + (place < first) for s, place in zip(shares, places, strict=True)]
    return {name: sign * share for name, share in zip(names, shares, strict=True)}


def _allocate_taking_back(  # pragma: no cover - only if float error pushed a floor up
    amount_pence: Pence, weights: Mapping[Any, Real]
) -> dict[Any, Pence]:
    """:func:`allocate` when the floors of the quotas sum above the amount.

    A penny is taken back from the parties with the smallest fractional parts
    (ties by name) that have one. On arrays each replication row is split on its own.
    """
    names = sorted(weights)
    if is_array(amount_pence, *weights.values()):
        rows = np.broadcast_arrays(amount_pence, *[weights[n] for n in names])
        parts = {n: np.zeros(rows[0].shape, dtype=np.int64) for n in names}
        for index in np.ndindex(rows[0].shape):
            row = allocate(
                int(rows[0][index]),
                {n: float(w[index]) for n, w in zip(names, rows[1:], strict=True)},
            )
            for n in names:
                parts[n][index] = row[n]
        return parts
    if amount_pence < 0:
        return {k: -v for k, v in _allocate_taking_back(-amount_pence, weights).items()}
    positive = [max(0.0, float(weights[n])) for n in names]
    total = exact_sum(positive)
    if total <= 0.0:
        positive = [1.0] * len(names)
        total = float(len(names))
    quotas = [amount_pence * w / total for w in positive]
    shares = floor_pence(quotas)
    left = amount_pence - sum(shares)
    for i in sorted(range(len(names)), key=lambda i: (quotas[i] - shares[i], names[i])):
        if left == 0:
            break
        if shares[i] > 0:
            shares[i] -= 1
            left += 1
    return dict(zip(names, shares, strict=True))


def net_off(positions: Mapping[str, Pence]) -> list[tuple[str, str, Pence]]:
    """Transfers that net members' overspends against others' underspends.

    seed 000 L1422: at the year-one end the Mental Health FT was overspent and
    the Local Authority "transferred money to it". ``positions`` maps each member
    to its surplus (positive) or deficit (negative) for the year. The netted
    total is ``min(total surplus, total deficit)``; each member in surplus gives
    in proportion to its surplus, each in deficit receives in proportion to its
    deficit. Returns ``(payer, payee, amount)`` transfers, paired in name order.

    The pairing: lay the payers' gifts end to end in name order, and the
    payees' receipts likewise; a payer pays a payee the pence where their
    stretches overlap. (This is walking down both lists at once, each payer
    paying the next payee until one of them is done.)

    Array-capable: with a position per replication, the list holds every
    (payer, payee) pair that transfers in some replication, with an ``int64``
    array of the amounts (0 in the rows where that pair does not transfer).
    """
    names = sorted(positions)
    surpluses = {m: maximum(0, positions[m]) for m in names}
    deficits = {m: maximum(0, -positions[m]) for m in names}
    total = minimum(sum(surpluses.values()), sum(deficits.values()))
    gives = allocate(total, surpluses)
    gets = allocate(total, deficits)
    transfers: list[tuple[str, str, Pence]] = []
    given_before = 0  # pence given by the payers before this one
    for payer in names:
        received_before = 0  # pence received by the payees before this one
        for payee in names:
            overlap = minimum(given_before + gives[payer], received_before + gets[payee]) - maximum(
                given_before, received_before
            )
            amount = maximum(0, overlap)
            if anywhere(amount > 0):
                transfers.append((payer, payee, amount))
            received_before = received_before + gets[payee]
        given_before = given_before + gives[payer]
    return transfers


def underspend_calls(
    underspend_pence: Pence,
    deficits: Mapping[str, Pence],
    *,
    offset_overspends_first: bool,
    returned_to_commissioner: bool,
) -> tuple[dict[str, Pence], Pence]:
    """Ordered calls on an underspend: (first call per member, remainder to share).

    seed 000 L1115-1117: a year-one underspend is "returned to commissioners"
    (to set against pump-priming): nothing is called and nothing is shared.
    Later, the underspend is first used for the service (here: to offset the
    members' remaining overspends, in proportion to them), then "any remainder
    split 50% to commissioners / 50% to Alliance providers" (the remainder
    returned here is split by :func:`gain_share`).

    Array-capable in the underspend and the deficits (the two flags are
    terms): the first calls then hold every member called in some replication.
    """
    if returned_to_commissioner:
        return {}, underspend_pence * 0  # nothing, in every replication
    underspent = underspend_pence > 0
    first: dict[str, Pence] = {}
    if offset_overspends_first:
        owed = {k: maximum(0, v) for k, v in deficits.items()}
        used = where(underspent, minimum(underspend_pence, sum(owed.values())), 0)
        first = {k: v for k, v in allocate(used, owed).items() if anywhere(v > 0)}
    return first, where(underspent, underspend_pence - sum(first.values()), 0)


def demand_trigger(demand_vs_plan: Real, trigger: float | None) -> Flag:
    """True when demand is at least ``trigger`` over plan (the envelope reopens; array-capable).

    seed 000 L1113: commissioners will "reconsider the financial envelope, if
    additional demand exceeds the activity and financial plan by 10% or more".
    Compared with a small tolerance so 1.10 counts as 10% over.
    """
    if trigger is None:
        return no(demand_vs_plan)
    return demand_vs_plan >= 1.0 + trigger - RATIO_TOLERANCE


# --------------------------------------------------------------------------- subcontracts


def subcontract_payment(
    due_pence: Pence, squeeze_share: Real, squeezed: Flag
) -> tuple[Pence, Pence]:
    """What a lead owes a subcontractor this period: (owed, held back by a squeeze).

    anchors s2.10 (Bedford, Carillion): a lead under margin pressure holds back
    ``squeeze_share`` of the subcontract price. Only a positive amount is
    squeezed. Array-capable.
    """
    held = where(squeezed & (due_pence > 0), round_pence(squeeze_share * due_pence), 0)
    return due_pence - held, held


def release_delayed(
    queue: Iterable[tuple[int, int, int]], period: int
) -> tuple[list[tuple[int, int, int]], tuple[tuple[int, int, int], ...]]:
    """Split a queue of delayed payments ``(release_period, key, amount)`` into due and pending.

    anchors s2.10: Carillion paid subcontractors up to 126 days late (about four
    monthly periods). A payment owed in period t with a delay of d is released
    in period t + d.
    """
    released: list[tuple[int, int, int]] = []
    pending: list[tuple[int, int, int]] = []
    for item in queue:
        (released if item[0] <= period else pending).append(item)
    return released, tuple(pending)
