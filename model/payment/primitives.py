"""Settlement primitives: small pure functions on integer pence.

Each primitive computes one contractual rule and nothing else, so it can be
checked by hand and reused by :mod:`settlement`. Money in and out is ``int``
pence; shares and activity are ``float``.

Rounding (one rule everywhere): a float amount of pence is turned into whole
pence by :func:`round_pence`, Python's ``round``, i.e. round half to even
(banker's rounding: 2.5p -> 2p, 3.5p -> 4p), which has no upward bias over many
periods. Where an amount must be split exactly (instalments, allocation
between parties) the remainder pence are handed out deterministically, so the
parts always sum to the whole.

Where a rule is applied over a year (marginal rate, blended true-up,
withholds) the settlement applies it to year-to-date totals and pays the
difference, so rounding never accumulates: the year's payments equal the rule
applied once to the year.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

#: Tolerance used when comparing a float ratio with a threshold, so that
#: ``1.1 >= 1 + 0.1`` (false in binary floating point) counts as reaching it.
RATIO_TOLERANCE = 1e-9


def round_pence(amount: float) -> int:
    """Whole pence from a float amount: round half to even (``round(2.5) == 2``)."""
    return round(amount)


# --------------------------------------------------------------------------- block


def block_instalment(annual_pence: int, period_in_year: int, periods_per_year: int) -> int:
    """One period's instalment of an annual lump sum.

    seed 000 L153 / seed 001 L728: a block contract is "a lump sum payment"
    irrespective of activity. The annual value is split into ``periods_per_year``
    equal whole-pence instalments; the ``annual % periods_per_year`` pence left
    over go one each to the first periods of the year, so a year's instalments
    sum exactly to the annual value.

    >>> [block_instalment(100, p, 12) for p in range(12)]
    [9, 9, 9, 9, 8, 8, 8, 8, 8, 8, 8, 8]
    """
    base, remainder = divmod(annual_pence, periods_per_year)
    return base + (1 if period_in_year < remainder else 0)


def block_to_date(annual_pence: int, periods_elapsed: int, periods_per_year: int) -> int:
    """Sum of the first ``periods_elapsed`` instalments of :func:`block_instalment`."""
    base, remainder = divmod(annual_pence, periods_per_year)
    return base * periods_elapsed + min(periods_elapsed, remainder)


# --------------------------------------------------------------------------- activity


def tariff_payment(price_pence: int, activity: float) -> int:
    """Price x activity (Payment by Results), seed 000 L159, seed 001 L728.

    Negative activity is treated as none: a tariff never charges the provider.
    """
    return round_pence(price_pence * max(0.0, activity))


def marginal_rate_value(
    price_pence: int, activity: float, baseline_activity: float, marginal_rate: float
) -> int:
    """Value of ``activity`` units in a year under a marginal rate above a baseline.

    anchors s2.8 (NHS MRET): emergency activity above the baseline is paid at
    ``marginal_rate`` (30%) of tariff. Units up to the baseline are paid in full.
    """
    activity = max(0.0, activity)
    within = min(activity, baseline_activity)
    above = activity - within
    return round_pence(price_pence * (within + marginal_rate * above))


def marginal_rate_payment(
    price_pence: int,
    activity_before: float,
    activity: float,
    baseline_activity: float,
    marginal_rate: float,
) -> int:
    """This period's payment under a marginal rate, given the activity earlier in the year.

    The year-to-date value after the period minus the value before it, so the
    baseline is crossed at the right unit and the year's payments telescope to
    :func:`marginal_rate_value` of the year's activity (anchors s2.8, MRET 30%).
    """
    after = marginal_rate_value(
        price_pence, activity_before + activity, baseline_activity, marginal_rate
    )
    before = marginal_rate_value(price_pence, activity_before, baseline_activity, marginal_rate)
    return after - before


def blended_payment(
    fixed_pence: int,
    price_pence: int,
    activity: float,
    planned_activity: float,
    variable_share: float,
) -> int:
    """Fixed payment for the plan plus a variable share of price x (activity - plan).

    anchors s2.8 (Aligned Payment and Incentive): payment = fixed + v x price x
    (activity - plan), with v = 20% for urgent and emergency care (2019/20) and
    up to 100% for elective activity. Below plan the payment falls below the
    fixed amount, but never below zero.
    """
    variable = round_pence(variable_share * price_pence * (activity - planned_activity))
    return max(0, fixed_pence + variable)


# --------------------------------------------------------------------------- capitation


def capitation_value(
    rate_per_head_pence: int, reference_population: int, population: int, tolerance: float
) -> int:
    """Annual capitated budget with a population tolerance band.

    seed 001 L342: "If the actual annual population growth varies from locally
    agreed projections by more than a set tolerance, a financial adjustment will
    be made." Within ``reference_population x (1 +/- tolerance)`` the budget is
    rate x reference population; outside the band it is rate x the actual
    population (the whole difference is adjusted, not only the part beyond the
    band: the seed does not say which, this is the simpler reading).
    """
    if reference_population > 0:
        deviation = abs(population - reference_population) / reference_population
        if deviation <= tolerance + RATIO_TOLERANCE:
            return rate_per_head_pence * reference_population
    return rate_per_head_pence * max(0, population)


# --------------------------------------------------------------------------- cost + fee


def cost_plus_fee(cost_pence: int, fee_share: float) -> tuple[int, int]:
    """Alliance limbs 1 and 2: actual cost reimbursed, plus a fee as a share of cost.

    anchors s2.2: limb 1 "reimburses direct and project overhead costs", limb 2
    is the fee (corporate overhead and profit). Returns ``(reimbursement, fee)``;
    a negative cost (a credit) is reimbursed as nothing.
    """
    reimbursement = max(0, cost_pence)
    return reimbursement, round_pence(fee_share * reimbursement)


def management_fee(contract_value_pence: int, fee_share: float) -> int:
    """Annual management fee of a lead or prime contractor: a share of contract value.

    seed 001 L253: Bedfordshire paid Circle "an additional 2.5 per cent ... to
    cover management costs". Paid in instalments like a block.
    """
    return round_pence(fee_share * contract_value_pence)


# --------------------------------------------------------------------------- outcomes


def withhold(amount_pence: int, withhold_share: float) -> int:
    """Part of a payment held back pending outcome attainment (seed 001 L561, anchors s2.8).

    The settlement applies it to year-to-date payments so rounding does not drift.
    """
    return round_pence(withhold_share * amount_pence)


def weighted_attainment(attainment: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """Weighted attainment in [0, 1] of outcome metrics (seed 001 L363, L563: weighted metrics).

    A metric with no reported attainment counts as 0. Reported values are
    clamped to [0, 1]. Summed in metric-name order so the result does not depend
    on the order the metrics are listed.
    """
    total = 0.0
    for name in sorted(weights):
        value = attainment.get(name, 0.0)
        total += weights[name] * min(1.0, max(0.0, value))
    return min(1.0, max(0.0, total))


def outcome_paid_share(
    attainment: float,
    *,
    quality_gate: float = 0.0,
    lenient: bool = False,
    at_risk: float = 1.0,
    pain_equals_gain: bool = False,
    neutral_attainment: float = 0.5,
) -> float:
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
    """
    if lenient:
        return 1.0
    attainment = min(1.0, max(0.0, attainment))
    if pain_equals_gain:
        if attainment >= neutral_attainment:
            earned = (
                (attainment - neutral_attainment) / (1.0 - neutral_attainment)
                if neutral_attainment < 1.0
                else 0.0
            )
        else:
            earned = -(neutral_attainment - attainment) / neutral_attainment
    else:
        earned = attainment
    if earned > 0.0 and attainment + RATIO_TOLERANCE < quality_gate:
        earned = 0.0
    return (1.0 - at_risk) + at_risk * earned


def outcome_payment(at_stake_pence: int, paid_share: float) -> int:
    """Outcome money paid (positive) or paid back (negative) for a share from :func:`outcome_paid_share`."""
    return round_pence(at_stake_pence * paid_share)


# --------------------------------------------------------------------------- risk share


def tiered_share(amount_pence: int, first_share: float, tiers: Sequence[tuple[int, float]]) -> int:
    """Part of ``amount_pence`` borne by one side when the share changes in tiers.

    The first pence up to the first tier's start are shared at ``first_share``;
    from each tier's start (in pence of ``amount``) the tier's share applies.
    This is the piecewise-linear corridor of anchors s2.8 (ACA corridors,
    Medicare Part D bands) and of the Bedfordshire gain share (seed 001 L253:
    keep the first 5%, then 50/50).

    >>> tiered_share(1000, 1.0, [(100, 0.5)])   # keep first 100 in full, half of the rest
    550
    """
    if amount_pence <= 0:
        return 0
    total = 0.0
    start, share = 0, first_share
    for tier_start, tier_share in sorted(tiers):
        if tier_start >= amount_pence:
            break
        total += share * (max(tier_start, start) - start)
        start, share = max(tier_start, start), tier_share
    total += share * (amount_pence - start)
    return round_pence(total)


def pain_share(
    target_pence: int,
    measure_pence: int,
    provider_pain_share: float,
    corridor: Sequence[tuple[float, float]] = (),
) -> int:
    """Provider side's part of an overspend (measure above target), before any cap.

    anchors s2.2: pain_NOP = s_p x max(-(TOC - AOC), 0). ``corridor`` is a list of
    ``(from_ratio, provider_share)``: above ``from_ratio x target`` the provider
    side bears ``provider_share`` of the excess (anchors s2.8 corridors).
    """
    overspend = measure_pence - target_pence
    tiers = [(round_pence((ratio - 1.0) * target_pence), share) for ratio, share in corridor]
    return tiered_share(overspend, provider_pain_share, tiers)


def gain_share(
    target_pence: int,
    underspend_pence: int,
    provider_gain_share: float,
    gain_bands: Sequence[tuple[float, float]] = (),
    gain_cap_pence: int | None = None,
) -> tuple[int, bool]:
    """Provider side's part of an underspend, and whether the gain cap bound.

    anchors s2.2: gain_NOP = s_g x max(TOC - AOC, 0), optionally capped at G.
    ``gain_bands`` is a list of ``(below_ratio, provider_share)``: for the part
    of the underspend that takes the measure below ``below_ratio x target`` the
    provider side takes ``provider_share`` (seed 001 L253: Circle keeps the first
    5% of surplus in full, the rest is split 50/50: first share 1.0, band
    (0.95, 0.5)).
    """
    tiers = [(round_pence((1.0 - ratio) * target_pence), share) for ratio, share in gain_bands]
    gain = tiered_share(underspend_pence, provider_gain_share, tiers)
    if gain_cap_pence is not None and gain > gain_cap_pence:
        return gain_cap_pence, True
    return gain, False


def cap_pain(pain_pence: int, cap_pence: int | None) -> tuple[int, bool]:
    """Pain capped at ``cap_pence`` (None: no cap); returns (pain borne, cap bound).

    anchors s2.2: "The cap is typically equal to the NOPs' Fee"; beyond it the
    owner (commissioner) bears the whole overrun.
    """
    if cap_pence is not None and pain_pence > cap_pence:
        return max(0, cap_pence), True
    return pain_pence, False


# --------------------------------------------------------------------------- allocation


def allocate(amount_pence: int, weights: Mapping[str, float]) -> dict[str, int]:
    """Split ``amount_pence`` between parties by weights, summing exactly to the amount.

    Largest-remainder (Hamilton) method: each party gets the floor of its quota;
    the pence left over go one each to the largest fractional parts, ties broken
    by party name, so the result does not depend on the order the parties are
    listed. All-zero (or empty-positive) weights split equally. A negative
    amount is split as its magnitude and returned negative. Used for the 40/40/10/10
    outcome split (seed 000 L1103) and every other split between parties.
    """
    if not weights:
        if amount_pence:
            raise ValueError("cannot allocate money between no parties")
        return {}
    if amount_pence < 0:
        return {k: -v for k, v in allocate(-amount_pence, weights).items()}
    names = sorted(weights)
    positive = [max(0.0, float(weights[n])) for n in names]
    total = math.fsum(positive)
    if total <= 0.0:
        positive = [1.0] * len(names)
        total = float(len(names))
    quotas = [amount_pence * w / total for w in positive]
    shares = [math.floor(q) for q in quotas]
    # Floors never sum above the amount (each floor <= its quota); the pence
    # left over go to the largest fractional parts, ties by name.
    left = amount_pence - sum(shares)
    if left > 0:
        order = sorted(range(len(names)), key=lambda i: (-(quotas[i] - shares[i]), names[i]))
        for i in range(left):
            shares[order[i % len(order)]] += 1
    elif left < 0:  # pragma: no cover - only if float error pushed a floor up
        for i in sorted(range(len(names)), key=lambda i: (quotas[i] - shares[i], names[i])):
            if left == 0:
                break
            if shares[i] > 0:
                shares[i] -= 1
                left += 1
    return dict(zip(names, shares, strict=True))


def net_off(positions: Mapping[str, int]) -> list[tuple[str, str, int]]:
    """Transfers that net members' overspends against others' underspends.

    seed 000 L1422: at the year-one end the Mental Health FT was overspent and
    the Local Authority "transferred money to it". ``positions`` maps each member
    to its surplus (positive) or deficit (negative) for the year. The netted
    total is ``min(total surplus, total deficit)``; each member in surplus gives
    in proportion to its surplus, each in deficit receives in proportion to its
    deficit. Returns ``(payer, payee, amount)`` transfers, paired in name order.
    """
    surpluses = {k: v for k, v in positions.items() if v > 0}
    deficits = {k: -v for k, v in positions.items() if v < 0}
    total = min(sum(surpluses.values()), sum(deficits.values()))
    if total <= 0:
        return []
    gives = allocate(total, surpluses)
    gets = allocate(total, deficits)
    payers = [[k, v] for k, v in sorted(gives.items()) if v > 0]
    payees = [[k, v] for k, v in sorted(gets.items()) if v > 0]
    transfers: list[tuple[str, str, int]] = []
    i = j = 0
    while i < len(payers) and j < len(payees):
        amount = min(payers[i][1], payees[j][1])
        transfers.append((payers[i][0], payees[j][0], amount))
        payers[i][1] -= amount
        payees[j][1] -= amount
        if payers[i][1] == 0:
            i += 1
        if payees[j][1] == 0:
            j += 1
    return transfers


def underspend_calls(
    underspend_pence: int,
    deficits: Mapping[str, int],
    *,
    offset_overspends_first: bool,
    returned_to_commissioner: bool,
) -> tuple[dict[str, int], int]:
    """Ordered calls on an underspend: (first call per member, remainder to share).

    seed 000 L1115-1117: a year-one underspend is "returned to commissioners"
    (to set against pump-priming): nothing is called and nothing is shared.
    Later, the underspend is first used for the service (here: to offset the
    members' remaining overspends, in proportion to them), then "any remainder
    split 50% to commissioners / 50% to Alliance providers" (the remainder
    returned here is split by :func:`gain_share`).
    """
    if underspend_pence <= 0 or returned_to_commissioner:
        return {}, 0
    first: dict[str, int] = {}
    if offset_overspends_first:
        owed = {k: v for k, v in deficits.items() if v > 0}
        used = min(underspend_pence, sum(owed.values()))
        if used > 0:
            first = {k: v for k, v in allocate(used, owed).items() if v > 0}
    return first, underspend_pence - sum(first.values())


def demand_trigger(demand_vs_plan: float, trigger: float | None) -> bool:
    """True when demand is at least ``trigger`` over plan (the envelope reopens).

    seed 000 L1113: commissioners will "reconsider the financial envelope, if
    additional demand exceeds the activity and financial plan by 10% or more".
    Compared with a small tolerance so 1.10 counts as 10% over.
    """
    if trigger is None:
        return False
    return demand_vs_plan >= 1.0 + trigger - RATIO_TOLERANCE


# --------------------------------------------------------------------------- subcontracts


def subcontract_payment(due_pence: int, squeeze_share: float, squeezed: bool) -> tuple[int, int]:
    """What a lead owes a subcontractor this period: (owed, held back by a squeeze).

    anchors s2.10 (Bedford, Carillion): a lead under margin pressure holds back
    ``squeeze_share`` of the subcontract price. Only a positive amount is squeezed.
    """
    if not squeezed or due_pence <= 0:
        return due_pence, 0
    held = round_pence(squeeze_share * due_pence)
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
