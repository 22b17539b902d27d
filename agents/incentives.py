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

from dataclasses import dataclass, field
from typing import NamedTuple

from alliancesim.agents.decisions import marginal_income
from alliancesim.model.payment.terms import (
    Basis,
    ContractTerms,
    LinePayment,
    Vehicle,
    annual_value,
)

# Money a provider spends on integration work at full effort, as a share of its
# income a year (staff time in multidisciplinary teams, data sharing). Prior.
EFFORT_SPEND_SHARE = 0.01


@dataclass
class ProviderContractView:
    """What one provider's contracts say, reduced to what its decisions need."""

    paid_for: dict[str, LinePayment] = field(default_factory=dict)  # line -> how it is paid
    pays_for: dict[str, LinePayment] = field(default_factory=dict)  # line -> subcontract it pays
    gain_share: float = 0.0  # its share of the commissioners' saving against target
    pain_share: float = 0.0
    withhold_value: float = 0.0  # pence a year at risk on outcomes
    leniency: float = 0.0
    co_members: tuple[str, ...] = ()  # organisations its payoff is tied to
    interdependence: float = 0.0  # 1 pooled risk, 0.5 lead-subcontractor, 0 separate contracts
    is_lead: bool = False
    years_left: float = 0.0
    contract_value: int = 0


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
    contract's length and the likelihood of renewal).
    """
    views = {name: ProviderContractView() for name in providers}
    for terms in contracts:
        withhold = terms.withhold_share(contract_year)
        leniency = terms.outcome.leniency if terms.outcome else 0.0
        term = terms.duration_years + terms.extension_years
        years_left = term - contract_year + renewal_belief * term
        pooled = pool_members(terms)
        for payment in terms.payments:
            view = views.get(payment.provider)
            if view is None:
                continue
            view.paid_for[payment.line] = payment.terms
            value = annual_value(payment.terms)
            view.contract_value += value
            view.withhold_value += withhold * value
            view.leniency = max(view.leniency, leniency)
            view.years_left = max(view.years_left, years_left)
        for sub in terms.subcontracts:
            views[sub.subcontractor].paid_for[sub.line] = sub.terms
            views[sub.lead].pays_for[sub.line] = sub.terms
            views[sub.lead].is_lead = True
            views[sub.subcontractor].years_left = max(
                views[sub.subcontractor].years_left, years_left
            )
            for name in (sub.lead, sub.subcontractor):
                views[name].interdependence = max(views[name].interdependence, 0.5)
        if terms.risk_share is not None:
            rs = terms.risk_share
            for name in terms.members:
                if name in views:
                    views[name].gain_share = rs.provider_gain_share * rs.gain_shares.get(name, 0.0)
                    views[name].pain_share = rs.provider_pain_share * rs.pain_shares.get(name, 0.0)
        if len(terms.members) < 2:
            continue
        for name in terms.members:
            view = views.get(name)
            if view is None:
                continue
            others = tuple(m for m in terms.members if m != name)
            if name in pooled:
                # its money rides on what every member spends or achieves
                view.interdependence = 1.0
                view.co_members = others
            elif terms.vehicle == Vehicle.ALLIANCE:
                # an overlay with no money at stake still binds members into one
                # leadership team and joint decisions (seed 000 s1.1): a repeated-game
                # tie, weaker than pooled money, like a lead and its subcontractor
                view.interdependence = max(view.interdependence, 0.5)
                view.co_members = others
            elif terms.subcontracts:
                view.co_members = others
    return views


def pool_members(terms: ContractTerms) -> frozenset[str]:
    """Members whose own money rides on the whole contract's result: those holding a
    share of the gain or the pain, and those sharing an outcome pot. A subcontractor
    of a prime that alone holds the risk share is not one of them."""
    pooled: set[str] = set()
    rs = terms.risk_share
    if rs is not None:
        pooled |= {m for m in terms.members if rs.gain_shares.get(m, 0.0) > 0.0}
        pooled |= {m for m in terms.members if rs.pain_shares.get(m, 0.0) > 0.0}
    outcome = terms.outcome
    if outcome is not None and outcome.mode == "pot":
        split = outcome.split
        pooled |= {m for m in terms.members if not split or split.get(m, 0.0) > 0.0}
    return frozenset(pooled)


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


def share_of_saving(view: ProviderContractView, saving: float) -> float:
    """Its gain share of a saving to the commissioners, or its pain share of an overspend."""
    return view.gain_share if saving >= 0 else view.pain_share


def commissioner_price(terms: LinePayment | None, variable_cost: float) -> float:
    """What a commissioner pays for one more unit on a line (0 on block or capitation)."""
    if terms is None or terms.basis in (Basis.BLOCK, Basis.CAPITATION):
        return 0.0
    return marginal_income(terms, False, variable_cost)
