"""How a provider reads its contract: the marginal return of integration effort.

This is MODEL.md s3a's table made computable from the terms themselves, so the
contract models differ through the incentives their terms create, never through
their labels. For one more unit of effort by provider i the economy moves some
avoidable acute, bed-based or placement activity into community, primary and
mental health care; the provider's profit changes by

    sum over its own lines of  d units x (marginal income - variable cost)
  - sum over lines it pays a subcontractor for of  d units x subcontract price
  + its gain share of the commissioners' saving  (alliance s/N dilution)
  + its outcome withhold x (1 - leniency) x d attainment
  - the money it spends on integration work.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from alliancesim.agents.decisions import marginal_income
from alliancesim.model.elementwise import anywhere, both, maximum, select
from alliancesim.model.payment.terms import (
    Basis,
    ContractTerms,
    GovernanceTerms,
    LinePayment,
    annual_value,
)


@dataclass
class ProviderContractView:
    """What one provider's contracts say, reduced to what its decisions need."""

    paid_for: dict[str, LinePayment] = field(default_factory=dict)  # line -> how it is paid
    pays_for: dict[str, LinePayment] = field(default_factory=dict)  # line -> subcontract it pays
    gain_share: float = 0.0  # its share of the commissioners' saving against target
    pain_share: float = 0.0
    withhold_value: float = 0.0  # pence a year at risk on outcomes
    leniency: float = 0.0
    # partner -> the share of its income a year that rides on the partner's conduct
    # (financial_ties), and the partner's part of the leadership teams with shared objectives
    # it sits on (forum_ties, before the relational_tie prior scales it). MODEL.md s3b.
    financial_ties: dict[str, float] = field(default_factory=dict)
    forum_ties: dict[str, float] = field(default_factory=dict)
    is_lead: bool = False
    years_left: float = 0.0
    contract_value: Any = 0  # pence: an int, or int64 per replication (issue 14)

    def ties(self, relational_tie: float) -> dict[str, float]:
        """Reciprocity's tie to each partner: the financial tie plus the relational tie.

        The two add: money at stake on a partner's conduct and a shared leadership team
        with shared objectives are separate reasons to value it (MODEL.md s3b). A partner
        with neither is not in the result. With per-replication ties (arrays, issue 14) a
        partner is in the result if it is tied in any replication, with 0.0 where not."""
        partners = sorted(set(self.financial_ties) | set(self.forum_ties))
        ties = {
            p: self.financial_ties.get(p, 0.0) + relational_tie * self.forum_ties.get(p, 0.0)
            for p in partners
        }
        return {p: tie for p, tie in ties.items() if anywhere(tie > 0.0)}


def provider_views(
    contracts: tuple[ContractTerms, ...],
    providers: list[str],
    contract_year: int,
    renewal_belief: float = 0.0,
) -> dict[str, ProviderContractView]:
    """Read every contract once and give each provider its view.

    ``years_left`` is the relationship's expected remaining life: the contract's
    remaining years plus one renewal of the same length with probability
    ``renewal_belief`` (anchors s2.3: map the continuation probability to the
    contract's length and the likelihood of renewal). The ties come from the terms
    alone (:func:`financial_ties`, :func:`forum_ties`), never from a vehicle's name.

    Terms whose numbers are per replication (arrays, issue 14) give views whose money
    and ties are too; a tie that only some replications have is 0.0 in the others (a
    tie absent from a one-replication view counts as 0.0 wherever it is read).
    """
    views = {name: ProviderContractView() for name in providers}
    for terms in contracts:
        withhold = terms.withhold_share(contract_year)
        leniency = terms.outcome.leniency if terms.outcome else 0.0
        term = terms.duration_years + terms.extension_years
        years_left = term - contract_year + renewal_belief * term
        for payment in terms.payments:
            view = views.get(payment.provider)
            if view is None:
                continue
            view.paid_for[payment.line] = payment.terms
            value = annual_value(payment.terms)
            view.contract_value += value
            view.withhold_value += withhold * value
            view.leniency = max(view.leniency, leniency)
            view.years_left = maximum(view.years_left, years_left)  # renewal_belief: a prior
        for sub in terms.subcontracts:
            views[sub.subcontractor].paid_for[sub.line] = sub.terms
            views[sub.lead].pays_for[sub.line] = sub.terms
            views[sub.lead].is_lead = True
            views[sub.subcontractor].years_left = maximum(
                views[sub.subcontractor].years_left, years_left
            )
        if terms.risk_share is not None:
            rs = terms.risk_share
            for name in terms.members:
                if name in views:
                    views[name].gain_share = rs.provider_gain_share * rs.gain_shares.get(name, 0.0)
                    views[name].pain_share = rs.provider_pain_share * rs.pain_shares.get(name, 0.0)
    income = {name: sum(annual_value(t) for t in v.paid_for.values()) for name, v in views.items()}
    for terms in contracts:
        for name, partner, tie in financial_ties(terms, contract_year, income):
            if name in views and partner in views:
                ties = views[name].financial_ties
                ties[partner] = ties.get(partner, 0.0) + tie
    for name, partner, tie in forum_ties(contracts, providers):
        ties = views[name].forum_ties
        ties[partner] = max(ties.get(partner, 0.0), tie)
    return views


def delivered_value(terms: ContractTerms) -> dict[str, Any]:
    """Pence a year of each member's own work in a contract at plan: what the payers pay
    it, less what it passes on to subcontractors, plus what it is paid as one."""
    value: dict[str, int] = {}
    for payment in terms.payments:
        value[payment.provider] = value.get(payment.provider, 0) + annual_value(payment.terms)
    for sub in terms.subcontracts:
        paid = annual_value(sub.terms)
        value[sub.lead] = value.get(sub.lead, 0) - paid
        value[sub.subcontractor] = value.get(sub.subcontractor, 0) + paid
    return {name: maximum(0, v) for name, v in value.items()}


def pooled_shares(terms: ContractTerms, contract_year: int) -> dict[str, Any]:
    """Each member's share of a pound of the contract's pooled result: the mean of its gain
    and pain shares of the risk share (a pound saved or overspent is as likely), plus its
    split of an outcome pot times the year's pot (the pot rides on joint attainment)."""
    shares: dict[str, float] = {}
    rs = terms.risk_share
    if rs is not None:
        for name in terms.members:
            gain = rs.provider_gain_share * rs.gain_shares.get(name, 0.0)
            pain = rs.provider_pain_share * rs.pain_shares.get(name, 0.0)
            held = gain + pain > 0.0  # per replication when value-weighted shares are
            if anywhere(held):
                shares[name] = select(held, 0.5 * (gain + pain), 0.0)
    outcome = terms.outcome
    if outcome is not None and outcome.mode == "pot":
        pot = terms.withhold_share(contract_year)
        split = outcome.split or {m: 1.0 / len(terms.members) for m in terms.members}
        for name in terms.members:
            if split.get(name, 0.0) > 0.0 and pot > 0.0:
                shares[name] = shares.get(name, 0.0) + split[name] * pot
    return shares


def financial_ties(
    terms: ContractTerms, contract_year: int, income: dict[str, Any]
) -> Iterator[tuple[str, str, Any]]:
    """(provider, partner, tie) for every money link in one contract (MODEL.md s3b).

    - A pooled member i holding share s_i of the pool: s_i x (the part of the pool
      partner j's work makes) / i's income. Summed over partners it is s_i x the pool's
      size (less its own part) relative to its own income.
    - A subcontractor: the share of its income its lead pays it.
    - A lead: the share of its cost its subcontractor's payments make (its cost at
      plan is taken as its income at plan: the contract is priced to cover it).
    - Nothing else: no money linking them, no tie.

    Per-replication money (arrays) gives per-replication ties, 0.0 where a replication
    has no such link (a link no replication has is not yielded).
    """
    shares = pooled_shares(terms, contract_year)
    if shares:
        value = delivered_value(terms)
        for name, share in shares.items():
            own = income.get(name, 0)
            has_income = own > 0
            if not anywhere(has_income):
                continue
            for partner, part in value.items():
                if partner == name:
                    continue
                linked = both(has_income, part > 0)
                if anywhere(linked):
                    yield name, partner, select(linked, share * part / _divisor(own), 0.0)
    for sub in terms.subcontracts:
        paid = annual_value(sub.terms)
        for name, partner in ((sub.subcontractor, sub.lead), (sub.lead, sub.subcontractor)):
            own = income.get(name, 0)
            has_income = own > 0
            if anywhere(has_income):
                yield name, partner, select(has_income, paid / _divisor(own), 0.0)


def _divisor(pence: Any) -> Any:
    """Pence to divide by: itself, or on an array 1 where it is not positive (rows a
    ``select`` does not take, kept free of division by zero)."""
    if isinstance(pence, np.ndarray):
        return np.where(pence > 0, pence, 1)
    return pence


class Forum(NamedTuple):
    """A leadership team: the organisations at its table and the terms it meets on."""

    members: frozenset[str]
    governance: GovernanceTerms

    @property
    def frequency(self) -> float:
        """Meetings a year relative to monthly, at most 1 (monthly or more often)."""
        return min(1.0, self.governance.leadership_meetings_per_year / 12.0)


def forums(contracts: tuple[ContractTerms, ...]) -> list[Forum]:
    """The leadership teams that meet: contracts whose governance names one forum (or
    carries the same governance terms) sit at one table, members and commissioners."""
    tables: dict[object, tuple[set[str], GovernanceTerms]] = {}
    for terms in contracts:
        governance = terms.governance
        if not governance.meets:
            continue
        key = governance.forum or governance
        seats, _ = tables.setdefault(key, (set(), governance))
        seats.update(terms.members)
        seats.update(terms.commissioners)
    return [Forum(frozenset(seats), governance) for seats, governance in tables.values()]


def forum_ties(
    contracts: tuple[ContractTerms, ...], providers: list[str]
) -> Iterator[tuple[str, str, float]]:
    """(provider, partner, tie before the relational_tie prior) from leadership teams with
    shared objectives: the forum's frequency spread over the provider's partners at the
    table. A forum that never meets, or has no shared objectives, ties no one."""
    alive = set(providers)
    for forum in forums(contracts):
        if not forum.governance.shared_objectives:
            continue
        seated = sorted(forum.members & alive)
        for name in seated:
            partners = [p for p in seated if p != name]
            for partner in partners:
                yield name, partner, forum.frequency / len(partners)


class LineShift(NamedTuple):
    """Units a year a line gains (+) or loses (-) per unit of one provider's effort."""

    line: str
    units: float
    unit_cost: float  # pence
    variable_cost: float  # pence per unit
    provider: str
    commissioner_price: float  # what the commissioners pay for one more unit (0 on block)


def line_margin(
    provider: str,
    view: ProviderContractView,
    line_provider: str,
    line: str,
    variable_cost: float,
    above_baseline: bool,
) -> float:
    """Pence the provider's profit moves per unit of activity on a line.

    On its own line: marginal income - variable cost (a lead on capitation
    delivers its own lines with no marginal income). On a line it pays a
    subcontractor for: minus the subcontract's marginal price. Otherwise 0.
    """
    if line_provider == provider:
        terms = view.paid_for.get(line)
        income = marginal_income(terms, above_baseline, variable_cost) if terms else 0.0
        return income - variable_cost
    if line in view.pays_for:
        return -marginal_income(view.pays_for[line], above_baseline, variable_cost)
    return 0.0


def marginal_profit(
    provider: str, view: ProviderContractView, shifts: list[LineShift], above_baseline: bool
) -> float:
    """Pence a year provider's profit changes per unit of its effort (before effort spend):
    its margin on each line that moves, plus its gain (or pain) share of the
    commissioners' saving."""
    total = 0.0
    saving = 0.0
    for shift in shifts:
        margin = line_margin(
            provider, view, shift.provider, shift.line, shift.variable_cost, above_baseline
        )
        total += shift.units * margin
        saving -= shift.units * shift.commissioner_price
    return total + share_of_saving(view, saving) * saving


def share_of_saving(view: ProviderContractView, saving: Any) -> Any:
    """Its gain share of a saving to the commissioners, or its pain share of an overspend
    (elementwise on an array of savings over replications)."""
    return select(saving >= 0, view.gain_share, view.pain_share)


def commissioner_price(terms: LinePayment | None, variable_cost: float) -> float:
    """What a commissioner pays for one more unit on a line (0 on block or capitation)."""
    if terms is None or terms.basis in (Basis.BLOCK, Basis.CAPITATION):
        return 0.0
    return marginal_income(terms, False, variable_cost)
