"""One settle call per period: contracts in force + that period's actuals -> journal entries.

This module must not depend on the Mesa model: the simulation calls it, and so
can a notebook or a test with plain numbers.

Calling convention (the simulation relies on it):

    state = SettlementState.start(terms)
    for period in ...:
        result = settle_period(terms, inputs, state)
        entries, state, flags = result.entries, result.state, result.flags

Settlement calendar (see docs/payment-core.md): every period the base
payments, the management fee and the subcontract payments; at each quarter end
(every ``periods_per_year // 4`` periods) the blended lines are trued up to the
activity so far; at each contract-year end the outcome money and the risk share
are settled. Entries never carry a zero or negative amount: a refund is an
entry from the provider to the commissioner.

One replication or many (issue 14): the same code settles R replications at once when
the period's inputs are numpy arrays with one row per replication (activity, attainment
and need ``float64``, costs ``int64`` pence, squeezes and leniency ``bool``); the
state's year-to-date totals then become arrays too, and an entry's amount is an
``int64`` array, present when some replication pays it (0 in the others: reserves add
amounts). Each row gets exactly the pence it gets settled alone (the primitives are
array-capable; see ``tests/payment/test_settlement_arrays.py``). The contract's terms,
the calendar and which metrics are reported are common to the replications. Notes that
quote amounts for one replication drop the figures for an array.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
from alliancesim.model.elementwise import ARRAY, clip, is_array, maximum
from alliancesim.model.payment.ledger import JournalEntry, row_note
from alliancesim.model.payment.pence import where
from alliancesim.model.payment.primitives import (
    allocate,
    blended_payment,
    block_instalment,
    block_to_date,
    cap_pain,
    capitation_value,
    cost_plus_fee,
    demand_trigger,
    gain_share,
    management_fee,
    marginal_rate_payment,
    net_off,
    outcome_paid_share,
    outcome_payment,
    pain_share,
    release_delayed,
    round_pence,
    subcontract_payment,
    tariff_payment,
    underspend_calls,
    weighted_attainment,
    withhold,
)
from alliancesim.model.payment.terms import (
    ContractTerms,
    LinePayment,
    annual_value,
    contract_value,
)


class ProviderActuals(NamedTuple):
    """What one provider did in the period."""

    activity: Mapping[str, float]  # service line -> units delivered this period
    cost_pence: int  # total cost incurred this period (fixed + variable)
    # (payment core: own cost of delivery; do not include subcontract payments,
    # settlement adds those to the lead's cost itself)


class PeriodInputs(NamedTuple):
    """Everything settlement needs about one period, as plain values."""

    period: int  # 0-based simulation period (stamped on the entries)
    contract_period: int  # 0-based periods since this contract started
    periods_per_year: int  # 12 for monthly settlement
    # (for R replications at once, the values marked * may be arrays, one row each)
    actuals: Mapping[str, ProviderActuals]  # provider name -> actuals (*)
    attainment: Mapping[str, float]  # outcome metric -> reported attainment in [0, 1] (*)
    population: int  # people in the covered cohort this period
    demand_vs_plan: float  # demand this period / planned demand (1.0 = on plan) (*)
    lenient: bool  # the commissioner's leniency draw: pays outcome money regardless (*)
    squeeze: Mapping[str, bool] = {}  # subcontractor -> the lead squeezes it now (*)


# =========================================================================== plan
# Everything that depends only on the terms is computed once, in
# SettlementState.start, into plain tuples and dicts: settle_period then runs on
# ints and floats only (no pydantic in the hot path).


class _Stream(NamedTuple):
    """One payment stream (a commissioner payment or a subcontract), flattened."""

    payer: str
    payee: str
    line: str
    basis: str
    price: int
    annual: int
    planned: float
    baseline: float
    marginal_rate: float
    variable_share: float
    rate_per_head: int
    reference_population: int
    tolerance: float
    fee_share: float
    cost_share: float
    squeeze_share: float = 0.0
    delay: int = 0


def _flatten(
    payer: str, payee: str, line: str, t: LinePayment, squeeze: float, delay: int
) -> _Stream:
    return _Stream(
        payer,
        payee,
        line,
        t.basis.value,
        t.price_pence,
        t.annual_value_pence,
        t.planned_activity,
        t.baseline_activity,
        t.marginal_rate,
        t.variable_share,
        t.rate_per_head_pence,
        t.reference_population,
        t.tolerance,
        t.fee_share,
        t.cost_share,
        squeeze,
        delay,
    )


class _Risk(NamedTuple):
    target: int
    measure: str
    provider_gain_share: float
    provider_pain_share: float
    gain_shares: dict[str, float]
    pain_shares: dict[str, float]
    pain_cap: str | int
    gain_cap: int | None
    corridor: tuple[tuple[float, float], ...]
    gain_bands: tuple[tuple[float, float], ...]
    netting: bool
    year_one_to_commissioner: bool
    offset_overspends_first: bool
    trigger: float | None
    group: tuple[str, ...]  # members taking part in the risk share (sorted)
    netting_members: tuple[str, ...]  # the group less the excluded (sorted)


class _Outcome(NamedTuple):
    mode: str
    withhold_by_year: tuple[float, ...]
    at_risk_by_year: tuple[float, ...]
    metrics: tuple[tuple[str, float], ...]
    quality_gate: float
    pain_equals_gain: bool
    neutral: float
    gain_split: dict[str, float]
    pain_split: dict[str, float]


class _Plan(NamedTuple):
    name: str
    commissioners: tuple[str, ...]
    commissioner_weights: dict[str, float]
    members: tuple[str, ...]
    member_index: dict[str, int]
    lead: str | None
    payments: tuple[_Stream, ...]
    subcontracts: tuple[_Stream, ...]
    reference_value: int
    management_fee_annual: int
    outcome: _Outcome | None
    risk: _Risk | None


def _stream_key(s: _Stream) -> tuple:
    return tuple(s)


def _pair(s: _Stream) -> tuple[str, str, str]:
    """Who pays whom for what: a stream's identity across refreshed terms."""
    return (s.payer, s.payee, s.line)


def _make_plan(terms: ContractTerms) -> _Plan:
    payments = tuple(
        sorted(
            (_flatten(p.payer, p.provider, p.line, p.terms, 0.0, 0) for p in terms.payments),
            key=_stream_key,
        )
    )
    subcontracts = tuple(
        sorted(
            (
                _flatten(
                    s.lead,
                    s.subcontractor,
                    s.line,
                    s.terms,
                    s.squeeze_share,
                    s.payment_delay_periods,
                )
                for s in terms.subcontracts
            ),
            key=_stream_key,
        )
    )
    members = tuple(sorted(terms.members))
    commissioners = tuple(sorted(terms.commissioners))
    risk_terms = terms.risk_share
    if risk_terms is not None and risk_terms.commissioner_shares:
        weights = {c: risk_terms.commissioner_shares.get(c, 0.0) for c in commissioners}
    else:
        # Each commissioner bears risk and funds pots in proportion to what it
        # pays under the base terms (a pooled budget: seed 001 L514, 2/3 CCG 1/3 LA).
        weights = dict.fromkeys(commissioners, 0.0)
        for p in terms.payments:
            weights[p.payer] += annual_value(p.terms)
    reference = (
        terms.reference_value_pence
        if terms.reference_value_pence is not None
        else contract_value(terms)
    )
    fee = management_fee(reference, terms.management_fee_share) if terms.lead else 0

    outcome = None
    if terms.outcome is not None:
        o = terms.outcome
        if o.split:
            gain_split = {m: o.split.get(m, 0.0) for m in sorted(o.split)}
        else:
            # seed 000 L1103: split "in proportion to each provider's contract value".
            gain_split = dict.fromkeys(sorted({p.provider for p in terms.payments}), 0.0)
            for p in terms.payments:
                gain_split[p.provider] += annual_value(p.terms)
        excluded = set(risk_terms.excluded) if risk_terms else set()
        pain_split = {m: w for m, w in gain_split.items() if m not in excluded}
        outcome = _Outcome(
            o.mode,
            o.withhold_by_year,
            o.at_risk_by_year,
            tuple(sorted(o.metrics.items())),
            o.quality_gate,
            o.pain_equals_gain and o.mode == "pot",
            o.neutral_attainment,
            gain_split,
            pain_split,
        )

    risk = None
    if risk_terms is not None:
        r = risk_terms
        group = tuple(sorted(set(r.gain_shares) | set(r.pain_shares) | set(r.excluded)))
        excluded = set(r.excluded)
        risk = _Risk(
            r.target_annual_pence,
            r.measure,
            r.provider_gain_share,
            r.provider_pain_share,
            {m: r.gain_shares[m] for m in sorted(r.gain_shares)},
            {m: r.pain_shares[m] for m in sorted(r.pain_shares) if m not in excluded},
            r.pain_cap,
            r.gain_cap_pence,
            tuple((b.from_ratio, b.provider_share) for b in r.corridor),
            tuple((b.below_ratio, b.provider_share) for b in r.gain_bands),
            r.netting,
            r.year_one_underspend_to_commissioner,
            r.underspend_first_call == "offset_overspends",
            r.demand_trigger,
            group,
            tuple(m for m in group if m not in excluded),
        )
    return _Plan(
        terms.name,
        commissioners,
        weights,
        members,
        {m: i for i, m in enumerate(members)},
        terms.lead,
        payments,
        subcontracts,
        reference,
        fee,
        outcome,
        risk,
    )


# =========================================================================== state


class ClosedTotals(NamedTuple):
    """This contract year's totals of what a rebuild during the year dropped (a member
    failed or left): payment streams by payee, subcontract flows by party (paid +,
    received -), and the costs of dropped members of the risk-share group. They stay
    in the year's measure, as the months before the rebuild stay in its target."""

    base: dict[str, int]
    fee: dict[str, int]
    sub_net: dict[str, int]
    cost: dict[str, int]


NOTHING_CLOSED = ClosedTotals({}, {}, {}, {})


class SettlementState(NamedTuple):
    """Where a contract's settlement stands: year-to-date totals, immutable.

    Create with :meth:`start`; every :func:`settle_period` returns a new state.
    Per-stream tuples follow the order of ``plan.payments`` and
    ``plan.subcontracts`` (streams sorted by payer, payee, line, so the state does
    not depend on the order the terms list them). All year-to-date totals reset
    when a new contract year begins; the queue of delayed subcontract payments
    carries over.

    Fields:
        plan: the terms, flattened once for fast settlement.
        contract_year: 0-based contract year the totals belong to.
        gross_ytd: per commissioner payment stream, pence due this year before
            any withhold (including the fee limb of cost_plus_fee lines).
        fee_ytd: per commissioner payment stream, the fee-limb part of gross_ytd.
        withheld_ytd: per commissioner payment stream, pence withheld this year.
        activity_ytd: per commissioner payment stream, units of activity this year.
        sub_gross_ytd: per subcontract, pence due this year before any squeeze.
        sub_owed_ytd: per subcontract, pence owed this year after squeezes
            (whether paid yet or delayed).
        sub_squeezed_ytd: per subcontract, pence held back by squeezes this year.
        sub_activity_ytd: per subcontract, units of activity this year.
        management_fee_ytd: management fee paid to the lead this year.
        cost_ytd: per member (sorted by name), costs reported this year.
        attainment_sum, attainment_count: per outcome metric (sorted by name),
            the sum and number of attainments reported this year.
        demand_triggered: demand reached the trigger in some period this year.
        delayed: queue of subcontract payments owed but not yet paid, as
            ``(release_period, subcontract_index, pence)``.
        target_ytd: the risk-share target accrued over the periods settled this
            year, a monthly instalment of the annual target in force each period
            (the whole annual target at the year end unless the terms changed
            during the year).
        closed: totals of streams and members dropped by a rebuild this year.
    """

    plan: _Plan
    contract_year: int
    gross_ytd: tuple[int, ...]
    fee_ytd: tuple[int, ...]
    withheld_ytd: tuple[int, ...]
    activity_ytd: tuple[float, ...]
    sub_gross_ytd: tuple[int, ...]
    sub_owed_ytd: tuple[int, ...]
    sub_squeezed_ytd: tuple[int, ...]
    sub_activity_ytd: tuple[float, ...]
    management_fee_ytd: int
    cost_ytd: tuple[int, ...]
    attainment_sum: tuple[float, ...]
    attainment_count: tuple[int, ...]
    demand_triggered: bool
    delayed: tuple[tuple[int, int, int], ...]
    target_ytd: int = 0
    closed: ClosedTotals = NOTHING_CLOSED

    @classmethod
    def start(cls, terms: ContractTerms) -> SettlementState:
        """The state before a contract's first period (all totals zero)."""
        return _fresh_year(_make_plan(terms), 0, ())

    def refreshed(self, terms: ContractTerms, contract_year: int) -> SettlementState:
        """The state for changed terms (a yearly refresh, or a member leaving mid-year).

        Within the same contract year the year-to-date totals carry over, matched by
        stream (payer, payee, line), member and metric, so a rebuild mid-year does not
        forget what was paid before it; a new contract year starts its totals at
        zero. Subcontract payments still held back by a delay stay owed either way.
        A stream or member the new terms no longer have (its provider left) moves its
        totals to :class:`ClosedTotals`: the year-end measure still counts what was
        paid and spent under the old terms, against the target accrued while they
        were in force (``target_ytd``), so a scope that shrinks mid-year is measured
        like for like. A delayed subcontract payment to a dropped subcontractor is
        never paid, and is not counted as paid.
        """
        plan = _make_plan(terms)
        fresh = _fresh_year(plan, contract_year, ())
        old_subs = {_pair(s): i for i, s in enumerate(self.plan.subcontracts)}
        new_subs = {_pair(s): i for i, s in enumerate(plan.subcontracts)}
        remap = {old_subs[k]: new_subs[k] for k in old_subs if k in new_subs}
        delayed = tuple((due, remap[i], owed) for due, i, owed in self.delayed if i in remap)
        if contract_year != self.contract_year:
            return fresh._replace(delayed=delayed)

        def carry(old_items, new_items, key, values, zero):
            old_index = {key(item): i for i, item in enumerate(old_items)}
            return tuple(
                values[old_index[key(item)]] if key(item) in old_index else zero
                for item in new_items
            )

        pay_old, pay_new = self.plan.payments, plan.payments
        sub_old, sub_new = self.plan.subcontracts, plan.subcontracts
        metrics_old = self.plan.outcome.metrics if self.plan.outcome else ()
        metrics_new = plan.outcome.metrics if plan.outcome else ()
        by_name = lambda m: m  # noqa: E731 - members are matched by name
        by_metric = lambda m: m[0]  # noqa: E731 - (metric, weight): matched by metric
        return fresh._replace(
            target_ytd=self.target_ytd,
            closed=self._closed_by(plan, remap),
            gross_ytd=carry(pay_old, pay_new, _pair, self.gross_ytd, 0),
            fee_ytd=carry(pay_old, pay_new, _pair, self.fee_ytd, 0),
            withheld_ytd=carry(pay_old, pay_new, _pair, self.withheld_ytd, 0),
            activity_ytd=carry(pay_old, pay_new, _pair, self.activity_ytd, 0.0),
            sub_gross_ytd=carry(sub_old, sub_new, _pair, self.sub_gross_ytd, 0),
            sub_owed_ytd=carry(sub_old, sub_new, _pair, self.sub_owed_ytd, 0),
            sub_squeezed_ytd=carry(sub_old, sub_new, _pair, self.sub_squeezed_ytd, 0),
            sub_activity_ytd=carry(sub_old, sub_new, _pair, self.sub_activity_ytd, 0.0),
            management_fee_ytd=self.management_fee_ytd,
            cost_ytd=carry(self.plan.members, plan.members, by_name, self.cost_ytd, 0),
            attainment_sum=carry(metrics_old, metrics_new, by_metric, self.attainment_sum, 0.0),
            attainment_count=carry(metrics_old, metrics_new, by_metric, self.attainment_count, 0),
            demand_triggered=self.demand_triggered,
            delayed=delayed,
        )

    def _closed_by(self, plan: _Plan, remap: dict[int, int]) -> ClosedTotals:
        """:attr:`closed` plus what moving to ``plan`` drops this year."""
        base, fee, sub_net, cost = (dict(totals) for totals in self.closed)
        kept = {_pair(s) for s in plan.payments}
        for s, gross, fees in zip(self.plan.payments, self.gross_ytd, self.fee_ytd, strict=True):
            if _pair(s) not in kept:
                base[s.payee] = base.get(s.payee, 0) + gross
                fee[s.payee] = fee.get(s.payee, 0) + fees
        unpaid: dict[int, int] = {}  # delayed payments to dropped subcontracts
        for _due, i, owed in self.delayed:
            if i not in remap:
                unpaid[i] = unpaid.get(i, 0) + owed
        for i, (s, owed) in enumerate(zip(self.plan.subcontracts, self.sub_owed_ytd, strict=True)):
            if i not in remap:
                paid = owed - unpaid.get(i, 0)
                sub_net[s.payer] = sub_net.get(s.payer, 0) + paid
                sub_net[s.payee] = sub_net.get(s.payee, 0) - paid
        group = set(self.plan.risk.group) if self.plan.risk else set()
        for member, spent in zip(self.plan.members, self.cost_ytd, strict=True):
            if member not in plan.member_index and member in group:
                cost[member] = cost.get(member, 0) + spent
        return ClosedTotals(base, fee, sub_net, cost)

    @property
    def withheld_pence(self) -> int:
        """Outcome money withheld so far this contract year."""
        return sum(self.withheld_ytd)

    @property
    def pending_subcontract_pence(self) -> int:
        """Subcontract money owed but held back by a payment delay."""
        return sum(item[2] for item in self.delayed)

    def cost_of(self, member: str) -> int:
        """Costs a member reported so far this contract year."""
        index = self.plan.member_index.get(member)
        return 0 if index is None else self.cost_ytd[index]


def _fresh_year(
    plan: _Plan, year: int, delayed: tuple[tuple[int, int, int], ...]
) -> SettlementState:
    n_pay, n_sub = len(plan.payments), len(plan.subcontracts)
    n_metrics = len(plan.outcome.metrics) if plan.outcome else 0
    return SettlementState(
        plan,
        year,
        (0,) * n_pay,
        (0,) * n_pay,
        (0,) * n_pay,
        (0.0,) * n_pay,
        (0,) * n_sub,
        (0,) * n_sub,
        (0,) * n_sub,
        (0.0,) * n_sub,
        0,
        (0,) * len(plan.members),
        (0.0,) * n_metrics,
        (0,) * n_metrics,
        False,
        delayed,
    )


class SettlementResult(NamedTuple):
    """What one period's settlement produced."""

    entries: tuple[JournalEntry, ...]
    state: SettlementState
    flags: dict[str, object]


# =========================================================================== settlement

_NO_ACTUALS = ProviderActuals({}, 0)


def _line_due(
    s: _Stream,
    period_in_year: int,
    periods_per_year: int,
    activity: float,
    activity_before: float,
    gross_before: int,
    cost: int,
    population: int,
    reconcile: bool,
) -> tuple[int, int, int, str]:
    """(due this period, fee-limb part, quarter true-up, rule) for one stream."""
    basis = s.basis
    if basis == "block":
        return (
            block_instalment(s.annual, period_in_year, periods_per_year),
            0,
            0,
            "block_instalment",
        )
    if basis == "tariff":
        return tariff_payment(s.price, activity), 0, 0, "tariff_payment"
    if basis == "marginal_rate":
        due = marginal_rate_payment(s.price, activity_before, activity, s.baseline, s.marginal_rate)
        return due, 0, 0, "marginal_rate_payment"
    if basis == "capitation":
        annual = capitation_value(s.rate_per_head, s.reference_population, population, s.tolerance)
        return block_instalment(annual, period_in_year, periods_per_year), 0, 0, "capitation_value"
    if basis == "cost_plus_fee":
        share = cost if s.cost_share == 1.0 else round_pence(cost * s.cost_share)
        reimbursement, fee = cost_plus_fee(share, s.fee_share)
        return reimbursement + fee, fee, 0, "cost_plus_fee"
    # blended: the fixed part monthly (payment on forecast activity), the variable
    # part trued up at each reconciliation on the year-to-date activity.
    instalment = block_instalment(s.annual, period_in_year, periods_per_year)
    if not reconcile:
        return instalment, 0, 0, "blended_payment"
    elapsed = period_in_year + 1
    due_to_date = blended_payment(
        block_to_date(s.annual, elapsed, periods_per_year),
        s.price,
        activity_before + activity,
        s.planned * elapsed / periods_per_year,
        s.variable_share,
    )
    return instalment, 0, due_to_date - gross_before - instalment, "blended_payment"


def _stream_due(
    s: _Stream,
    inputs: PeriodInputs,
    period_in_year: int,
    reconcile: bool,
    activity_before: float,
    gross_before: int,
) -> tuple[float, tuple[int, int, int, str]]:
    """This period's activity on a stream (commissioner payment or subcontract), from
    its payee's actuals, and :func:`_line_due` for it."""
    payee = inputs.actuals.get(s.payee, _NO_ACTUALS)
    activity = payee.activity.get(s.line, 0.0)
    due = _line_due(
        s,
        period_in_year,
        inputs.periods_per_year,
        activity,
        activity_before,
        gross_before,
        payee.cost_pence,
        inputs.population,
        reconcile,
    )
    return activity, due


def _emit(
    entries: list[JournalEntry],
    period: int,
    contract: str,
    line_item: str,
    payer: str,
    payee: str,
    amount: int,
    rule: str,
    note: str,
) -> None:
    """Append a transfer; a negative amount is a transfer the other way, zero is skipped.

    On an array of amounts (one per replication) a replication's amount may be positive,
    negative or zero: the transfer each way is appended if some replication makes it,
    holding 0 in the other replications (so each replication's non-zero entries are
    the ones it would have alone, in the same order)."""
    if isinstance(amount, ARRAY):
        forward, back = maximum(amount, 0), maximum(-amount, 0)
        if forward.any():
            entries.append(
                JournalEntry(period, contract, line_item, payer, payee, forward, rule, note)
            )
        if back.any():
            entries.append(
                JournalEntry(period, contract, line_item, payee, payer, back, rule, note)
            )
    elif amount > 0:
        entries.append(JournalEntry(period, contract, line_item, payer, payee, amount, rule, note))
    elif amount < 0:
        entries.append(JournalEntry(period, contract, line_item, payee, payer, -amount, rule, note))


def _due_note(line: str, amount: int, held: int) -> str:
    return f"{line}: due {amount}, withheld {held}" if held else line


def _squeeze_note(line: str, held: int) -> str:
    return f"{line}: squeezed {held}" if held else line


def _outcome_note(year: int, attainment: float, share: float) -> str:
    return f"year {year}: attainment {attainment:.3f}, paid share {share:.3f}"


def _true_up_note(cost: int, base: int) -> str:
    return f"cost {cost}, base paid {base}"


def _gain_note(underspend: int, target: int) -> str:
    return f"gain {underspend} on target {target}"


def _pain_note(underspend: int, target: int) -> str:
    return f"overspend {-underspend} on target {target}"


def _none(amount) -> bool:
    """``not amount``: no money, in any replication of an array."""
    if isinstance(amount, ARRAY):
        return not amount.any()
    return not amount


def _commissioner_parts(plan: _Plan, amount: int) -> list[tuple[str, int]]:
    """Split a commissioner-side amount between the commissioners (exactly)."""
    if len(plan.commissioners) == 1:
        return [(plan.commissioners[0], amount)]
    return sorted(allocate(amount, plan.commissioner_weights).items())


def settle_period(
    terms: ContractTerms, inputs: PeriodInputs, state: SettlementState
) -> SettlementResult:
    """Settle one period of one contract: journal entries, the new state, flags.

    Order within a period (each step a primitive from :mod:`primitives`):

    1. base payments, commissioner -> provider, per payment stream, net of the
       outcome withhold for this contract year (``outcome.mode == "withhold"``);
       blended lines are trued up at each reconciliation point (every quarter,
       i.e. every ``periods_per_year // 4`` periods, and at year end);
    2. management fee instalment, commissioners -> lead;
    3. subcontract payments, lead -> subcontractor, less any squeeze, either now
       or queued for ``payment_delay_periods``; then release of queued payments;
    4. demand trigger check (``flags["demand_trigger"]``);
    5. at contract-year end: outcome payment, then the risk share (cost true-up
       under ``measure == "costs"``, netting between members, first call of an
       underspend on members' overspends, gain share, pain share).

    ``terms`` must be the terms the state was started with (the state carries
    a precomputed copy; ``terms`` is accepted for the calling convention and
    for readability at the call site).
    """
    plan = state.plan
    ppy = inputs.periods_per_year
    year, piy = divmod(inputs.contract_period, ppy)
    if year != state.contract_year:
        state = _fresh_year(plan, year, state.delayed)
    period = inputs.period
    name = plan.name
    actuals = inputs.actuals
    quarter = max(1, ppy // 4)
    year_end = piy == ppy - 1
    reconcile = (piy + 1) % quarter == 0 or year_end
    outcome = plan.outcome
    withhold_rate = 0.0
    if outcome is not None and outcome.mode == "withhold":
        schedule = outcome.withhold_by_year
        withhold_rate = schedule[min(year, len(schedule) - 1)]

    entries: list[JournalEntry] = []
    flags: dict[str, object] = {
        "contract_year": year,
        "period_in_year": piy,
        "quarter_end": reconcile,
        "year_end": year_end,
        "demand_trigger": False,
    }

    # 1. base payments -------------------------------------------------------
    gross = list(state.gross_ytd)
    fees = list(state.fee_ytd)
    withheld = list(state.withheld_ytd)
    activity_ytd = list(state.activity_ytd)
    withheld_now = 0
    for i, s in enumerate(plan.payments):
        activity, (due, fee, true_up, rule) = _stream_due(
            s, inputs, piy, reconcile, activity_ytd[i], gross[i]
        )
        activity_ytd[i] += activity
        fees[i] += fee
        for amount, line_item in ((due, s.basis), (true_up, "blended_reconciliation")):
            if _none(amount):
                continue
            gross[i] += amount
            held = withhold(gross[i], withhold_rate) - withheld[i] if withhold_rate else 0
            if isinstance(amount, ARRAY):
                # a replication with nothing due skips the step, as it would alone
                held = where(amount != 0, held, 0)
            note = row_note(_due_note, line=s.line, amount=amount, held=held)
            withheld[i] += held
            withheld_now += held
            _emit(entries, period, name, line_item, s.payer, s.payee, amount - held, rule, note)

    # 2. management fee ---------------------------------------------------------
    fee_now = 0
    if not _none(plan.management_fee_annual) and plan.lead is not None:
        fee_now = block_instalment(plan.management_fee_annual, piy, ppy)
        for commissioner, part in _commissioner_parts(plan, fee_now):
            _emit(
                entries,
                period,
                name,
                "management_fee",
                commissioner,
                plan.lead,
                part,
                "management_fee",
                "lead's management fee instalment",
            )

    # 3. subcontracts ----------------------------------------------------------
    # (most contracts have none: their year-to-date tuples are kept as they are)
    sub_gross, sub_owed = state.sub_gross_ytd, state.sub_owed_ytd
    sub_squeezed, sub_activity = state.sub_squeezed_ytd, state.sub_activity_ytd
    if plan.subcontracts:
        sub_gross, sub_owed = list(sub_gross), list(sub_owed)
        sub_squeezed, sub_activity = list(sub_squeezed), list(sub_activity)
    delayed = state.delayed
    squeezed_now = delayed_now = 0
    squeeze = inputs.squeeze
    for i, s in enumerate(plan.subcontracts):
        activity, (due, _fee, true_up, _rule) = _stream_due(
            s, inputs, piy, reconcile, sub_activity[i], sub_gross[i]
        )
        sub_activity[i] += activity
        due += true_up
        sub_gross[i] += due
        owed, held = subcontract_payment(due, s.squeeze_share, squeeze.get(s.payee, False))
        sub_owed[i] += owed
        sub_squeezed[i] += held
        squeezed_now += held
        if _none(owed):
            continue
        if s.delay:
            # on arrays queued if some replication is owed something (0 in the others)
            delayed += ((period + s.delay, i, owed),)
            delayed_now += owed
        else:
            note = row_note(_squeeze_note, line=s.line, held=held)
            _emit(
                entries,
                period,
                name,
                "subcontract",
                s.payer,
                s.payee,
                owed,
                "subcontract_payment",
                note,
            )
    if delayed:
        released, delayed = release_delayed(delayed, period)
        for _due_period, i, owed in released:
            s = plan.subcontracts[i]
            _emit(
                entries,
                period,
                name,
                "subcontract",
                s.payer,
                s.payee,
                owed,
                "release_delayed",
                f"{s.line}: paid {s.delay} periods late",
            )

    # costs and attainment --------------------------------------------------------
    cost = list(state.cost_ytd)
    for j, member in enumerate(plan.members):
        member_actuals = actuals.get(member)
        if member_actuals is not None:
            cost[j] += member_actuals.cost_pence
    attainment_sum, attainment_count = state.attainment_sum, state.attainment_count
    if outcome is not None and inputs.attainment:
        sums, counts = list(attainment_sum), list(attainment_count)
        for k, (metric, _weight) in enumerate(outcome.metrics):
            value = inputs.attainment.get(metric)
            if value is not None:  # a metric reported in one replication is in all
                sums[k] += clip(value, 0.0, 1.0)  # min(1.0, max(0.0, value))
                counts[k] += 1
        attainment_sum, attainment_count = tuple(sums), tuple(counts)

    # 4. demand trigger ------------------------------------------------------------
    triggered = state.demand_triggered
    risk = plan.risk
    if risk is not None:
        trigger_now = demand_trigger(inputs.demand_vs_plan, risk.trigger)
        if isinstance(trigger_now, ARRAY):
            flags["demand_trigger"] = trigger_now
            triggered = np.logical_or(triggered, trigger_now)
        elif trigger_now:
            flags["demand_trigger"] = True
            triggered = True

    if withhold_rate:
        flags["withheld_pence"] = withheld_now
    if not _none(squeezed_now):
        flags["squeezed_pence"] = squeezed_now
    if not _none(delayed_now):
        flags["delayed_pence"] = delayed_now

    new_state = SettlementState(
        plan,
        year,
        tuple(gross),
        tuple(fees),
        tuple(withheld),
        tuple(activity_ytd),
        tuple(sub_gross),
        tuple(sub_owed),
        tuple(sub_squeezed),
        tuple(sub_activity),
        state.management_fee_ytd + fee_now,
        tuple(cost),
        attainment_sum,
        attainment_count,
        triggered,
        delayed,
        state.target_ytd + (block_instalment(risk.target, piy, ppy) if risk is not None else 0),
        state.closed,
    )

    # 5. contract-year end -----------------------------------------------------------
    if year_end:
        if outcome is not None:
            _settle_outcome(plan, new_state, inputs, entries, flags)
        if risk is not None:
            _settle_risk_share(plan, risk, new_state, period, entries, flags)
    return SettlementResult(tuple(entries), new_state, flags)


def _settle_outcome(
    plan: _Plan,
    state: SettlementState,
    inputs: PeriodInputs,
    entries: list[JournalEntry],
    flags: dict[str, object],
) -> None:
    """Year end: pay the year's withheld money, or the outcome pot, on attainment."""
    outcome = plan.outcome
    assert outcome is not None
    year = state.contract_year
    means = {
        metric: state.attainment_sum[k] / state.attainment_count[k]
        for k, (metric, _w) in enumerate(outcome.metrics)
        if state.attainment_count[k]
    }
    attainment = weighted_attainment(means, dict(outcome.metrics))
    at_risk = (
        outcome.at_risk_by_year[min(year, len(outcome.at_risk_by_year) - 1)]
        if outcome.at_risk_by_year
        else 1.0
    )
    lenient = inputs.lenient
    lenient_rows = isinstance(lenient, ARRAY)  # each replication's own leniency draw
    share = outcome_paid_share(
        attainment,
        quality_gate=outcome.quality_gate,
        lenient=False if lenient_rows else lenient,
        at_risk=at_risk,
        pain_equals_gain=outcome.pain_equals_gain,
        neutral_attainment=outcome.neutral,
    )
    if lenient_rows:  # a lenient replication is paid in full (outcome_paid_share)
        share = np.where(lenient, 1.0, share)
    flags["outcome_attainment"] = attainment
    flags["outcome_paid_share"] = share
    flags["outcome_lenient"] = lenient.astype(bool) if lenient_rows else bool(lenient)
    period, name = inputs.period, plan.name
    note = row_note(_outcome_note, year=year + 1, attainment=attainment, share=share)
    if outcome.mode == "withhold":
        by_pair: dict[tuple[str, str], int] = {}
        for s, held in zip(plan.payments, state.withheld_ytd, strict=True):
            if not _none(held):
                by_pair[(s.payer, s.payee)] = by_pair.get((s.payer, s.payee), 0) + held
        paid_total = 0
        for (payer, payee), held in sorted(by_pair.items()):
            paid = outcome_payment(held, maximum(0.0, share))  # max(0.0, share)
            paid_total += paid
            _emit(
                entries,
                period,
                name,
                "outcome_payment",
                payer,
                payee,
                paid,
                "outcome_payment",
                note,
            )
        flags["outcome_at_stake_pence"] = sum(by_pair.values())
        flags["outcome_paid_pence"] = paid_total
        return
    schedule = outcome.withhold_by_year
    pot = round_pence(schedule[min(year, len(schedule) - 1)] * plan.reference_value)
    amount = outcome_payment(pot, share)
    flags["outcome_at_stake_pence"] = pot
    flags["outcome_paid_pence"] = amount
    if isinstance(amount, ARRAY):
        # a replication pays a gain or takes back a pain, not both: each side is
        # settled on the replications that take it (0 in the others)
        gain, pain = where(amount > 0, amount, 0), where(amount < 0, amount, 0)
    else:
        gain = amount if amount > 0 else 0
        pain = amount if amount < 0 else 0
    if not _none(gain) and outcome.gain_split:
        for provider, part in sorted(allocate(gain, outcome.gain_split).items()):
            for commissioner, sub_part in _commissioner_parts(plan, part):
                _emit(
                    entries,
                    period,
                    name,
                    "outcome_payment",
                    commissioner,
                    provider,
                    sub_part,
                    "outcome_payment",
                    note,
                )
    if not _none(pain) and outcome.pain_split:
        for provider, part in sorted(allocate(-pain, outcome.pain_split).items()):
            for commissioner, sub_part in _commissioner_parts(plan, part):
                _emit(
                    entries,
                    period,
                    name,
                    "outcome_pain",
                    provider,
                    commissioner,
                    sub_part,
                    "outcome_payment",
                    note,
                )


def _settle_risk_share(
    plan: _Plan,
    risk: _Risk,
    state: SettlementState,
    period: int,
    entries: list[JournalEntry],
    flags: dict[str, object],
) -> None:
    """Year end: target vs measure, netting, calls on an underspend, gain and pain shares."""
    name = plan.name
    closed = state.closed  # what a rebuild this year dropped still counts
    base: dict[str, int] = dict(closed.base)
    fee_limb: dict[str, int] = dict(closed.fee)
    for s, g, f in zip(plan.payments, state.gross_ytd, state.fee_ytd, strict=True):
        base[s.payee] = base.get(s.payee, 0) + g
        fee_limb[s.payee] = fee_limb.get(s.payee, 0) + f
    sub_net: dict[str, int] = dict(closed.sub_net)  # subcontract money paid (+), received (-)
    for s, owed in zip(plan.subcontracts, state.sub_owed_ytd, strict=True):
        sub_net[s.payer] = sub_net.get(s.payer, 0) + owed
        sub_net[s.payee] = sub_net.get(s.payee, 0) - owed
    cost: dict[str, int] = {}
    fee_income: dict[str, int] = {}
    position: dict[str, int] = {}
    true_up: dict[str, int] = {}
    for member in risk.group:
        # A member's cost includes what it pays its subcontractors, less what it
        # is paid as one, so subcontract flows inside the group cancel.
        cost[member] = state.cost_of(member) + sub_net.get(member, 0)
        management = state.management_fee_ytd if member == plan.lead else 0
        fee_income[member] = fee_limb.get(member, 0) + management
        if risk.measure == "costs":
            # Target-cost settlement (anchors s2.2): the member ends the year on
            # its actual cost (limb 1) plus fees, then gain and pain shares.
            true_up[member] = cost[member] - (base.get(member, 0) - fee_limb.get(member, 0))
            position[member] = fee_income[member]
        else:
            position[member] = base.get(member, 0) + management - cost[member]
    if risk.measure == "costs":
        dropped = sum(spent + sub_net.get(m, 0) for m, spent in closed.cost.items())
        measure = sum(cost.values()) + dropped
    else:
        measure = sum(state.gross_ytd) + sum(closed.base.values())
    # the annual target while the terms were unchanged all year; accrued month by
    # month under the terms in force when they changed during it
    target = state.target_ytd
    flags["target_pence"] = target
    flags["measure_pence"] = measure

    # replications settled together (arrays): the year-end shares row by row
    rows = is_array(measure, state.demand_triggered, *position.values())
    for member, amount in sorted(true_up.items()):
        note = row_note(_true_up_note, cost=cost[member], base=base.get(member, 0))
        for commissioner, part in _commissioner_parts(plan, amount):
            _emit(
                entries,
                period,
                name,
                "cost_true_up",
                commissioner,
                member,
                part,
                "cost_plus_fee",
                note,
            )
    flags["cost_true_up_pence"] = sum(true_up.values())

    # Netting off between members (seed 000 L1422): surpluses cover deficits.
    netted = 0
    if risk.netting:
        for payer, payee, amount in net_off({m: position[m] for m in risk.netting_members}):
            netted += amount
            position[payer] -= amount
            position[payee] += amount
            _emit(
                entries,
                period,
                name,
                "netting",
                payer,
                payee,
                amount,
                "net_off",
                "year-end netting",
            )
    flags["netted_pence"] = netted

    underspend = target - measure
    gain_note = row_note(_gain_note, underspend=underspend, target=target)
    pain_note = row_note(_pain_note, underspend=underspend, target=target)
    # one rule for one replication and for many: a single replication is settled as a
    # row of one (its year end, once a year, pays nothing for the arrays)
    if rows:
        shares = _shares_by_row(risk, state, position, fee_income, target, measure, flags)
    else:
        shares = _one_row(
            _shares_by_row(
                risk,
                state,
                {m: np.array([v]) for m, v in position.items()},
                fee_income,
                target,
                np.array([measure]),
                flags,
            )
        )
        if "underspend_returned_to_commissioner" in flags:
            flags["underspend_returned_to_commissioner"] = _one_row(
                flags["underspend_returned_to_commissioner"]
            )

    for member, amount in sorted(shares.first_call.items()):
        for commissioner, part in _commissioner_parts(plan, amount):
            _emit(
                entries,
                period,
                name,
                "underspend_first_call",
                commissioner,
                member,
                part,
                "underspend_calls",
                "underspend first offsets members' overspends",
            )
    for member, amount in sorted(shares.gain_by_member.items()):
        for commissioner, part in _commissioner_parts(plan, amount):
            _emit(
                entries,
                period,
                name,
                "gain_share",
                commissioner,
                member,
                part,
                "gain_share",
                gain_note,
            )
    for member, amount in sorted(shares.pain_by_member.items()):
        for commissioner, part in _commissioner_parts(plan, amount):
            _emit(
                entries,
                period,
                name,
                "pain_share",
                member,
                commissioner,
                part,
                "pain_share",
                pain_note,
            )
    flags["first_call_pence"] = sum(shares.first_call.values())
    flags["gain_pence"] = shares.gain_total
    flags["pain_pence"] = shares.pain_total
    flags["gain_by_member"] = shares.gain_by_member
    flags["pain_by_member"] = shares.pain_by_member
    flags["gain_cap_binding"] = shares.gain_cap_binding
    flags["pain_cap_binding"] = shares.pain_cap_binding
    flags["envelope_reopened"] = shares.reopened


class YearEndShares(NamedTuple):
    """The year end of a risk share after netting (``_shares_by_row``)."""

    first_call: dict[str, Any]  # underspend first offsetting members' overspends
    gain_total: Any
    gain_cap_binding: Any
    gain_by_member: dict[str, Any]
    pain_total: Any
    pain_by_member: dict[str, Any]
    pain_cap_binding: Any
    reopened: Any  # the envelope reopened: this year's pain waived


def _one_row(value: Any) -> Any:
    """The only row of a result settled as a row of one, as Python numbers (inside
    tuples and dicts)."""
    if isinstance(value, np.ndarray):
        return value.reshape(-1)[0].item()
    if isinstance(value, dict):
        return {k: _one_row(v) for k, v in value.items()}
    if isinstance(value, tuple):
        items = [_one_row(v) for v in value]
        return type(value)._make(items) if hasattr(value, "_fields") else tuple(items)
    return value


def _shares_by_row(
    risk: _Risk,
    state: SettlementState,
    position: dict[str, np.ndarray],
    fee_income: dict[str, np.ndarray],
    target: int,
    measure: np.ndarray,
    flags: dict[str, object],
) -> YearEndShares:
    """The underspend and overspend steps of :func:`_settle_risk_share` for replications
    settled together (arrays, one row each): each row is settled as it would be alone.

    A replication takes the underspend side (first calls, gain share) or the overspend
    side (pain share, or the envelope reopened), not both: each side is computed for
    the rows that take it and is 0 in the others. The first calls on an underspend go
    to the members in deficit, a set that differs between rows; they are computed for
    each set of members in deficit on the rows that have it, so the largest-remainder
    allocation sees exactly the parties it sees for one replication.

    One replication is settled as a row of one (``_one_row``)."""
    shape = np.broadcast_shapes(
        np.shape(measure),
        np.shape(state.demand_triggered),
        *(np.shape(v) for v in position.values()),
    )
    underspend = np.broadcast_to(np.asarray(target - measure, dtype=np.int64), shape)
    under, over = underspend > 0, underspend < 0
    zero = np.zeros(shape, dtype=np.int64)

    first_call: dict[str, np.ndarray] = {}
    gain_total, gain_cap_binding = zero, np.zeros(shape, dtype=bool)
    gain_by_member: dict[str, np.ndarray] = {}
    if under.any():
        returned = risk.year_one_to_commissioner and state.contract_year == 0
        members = risk.netting_members
        short = {m: np.broadcast_to(position[m], shape) for m in members}
        pattern = zero.copy()  # which members are in deficit, one bit each
        for bit, m in enumerate(members):
            pattern |= (short[m] < 0).astype(np.int64) << bit
        called: dict[str, np.ndarray] = {}
        remainder = zero.copy()
        for key in np.unique(pattern[under]):
            rows = under & (pattern == key)
            deficits = {m: -short[m][rows] for bit, m in enumerate(members) if key >> bit & 1}
            calls, rest = underspend_calls(
                underspend[rows],
                deficits,
                offset_overspends_first=risk.offset_overspends_first,
                returned_to_commissioner=returned,
            )
            for m, part in calls.items():
                called.setdefault(m, zero.copy())[rows] = part
            remainder[rows] = rest
        first_call = {m: called[m] for m in sorted(called) if called[m].any()}
        gains = remainder != 0
        if risk.gain_shares and gains.any():
            gain, bound = gain_share(
                target, remainder, risk.provider_gain_share, risk.gain_bands, risk.gain_cap
            )
            gain_total = np.where(gains, gain, 0)
            gain_cap_binding = bound & gains
            gain_by_member = allocate(gain_total, risk.gain_shares)
        flags["underspend_returned_to_commissioner"] = under & returned

    triggered = np.broadcast_to(state.demand_triggered, shape)
    reopened = over & triggered  # seed 000 L1113: the pain is waived
    pains = over & ~triggered
    pain_total, pain_cap_binding = zero, np.zeros(shape, dtype=bool)
    pain_by_member: dict[str, np.ndarray] = {}
    if risk.pain_shares and pains.any():
        overspend = pain_share(target, measure, risk.provider_pain_share, risk.corridor)
        raw = allocate(np.where(pains, overspend, 0), risk.pain_shares)
        for member, pain in raw.items():
            if risk.pain_cap == "fee":
                cap = fee_income.get(member, 0)
            elif risk.pain_cap == "none":
                cap = None
            else:
                cap = int(risk.pain_cap)
            pain_by_member[member], binding = cap_pain(pain, cap)
            pain_cap_binding = pain_cap_binding | (binding & pains)
        pain_total = sum(pain_by_member.values())
    return YearEndShares(
        first_call,
        gain_total,
        gain_cap_binding,
        gain_by_member,
        pain_total,
        pain_by_member,
        pain_cap_binding,
        reopened,
    )
