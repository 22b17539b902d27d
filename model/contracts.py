"""Build a contract model's terms from its shorthand spec and the economy's plan.

A contract model (status quo, alliance, lead provider, outcomes-based ...) is a
tuple of :class:`ContractTerms`. The shorthand in a scenario file names the
vehicle, the basis per service line, the outcome component and the risk share;
the figures (block values, tariffs, capitation rates, targets) come from the
economy's plan for the contract year, as in the NHS's yearly contract refresh
(seed 000 L1025: yearly "refreshes" signed as contract variations).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

import numpy as np
from alliancesim.model import ordering
from alliancesim.model.economy import ServiceLine, growth_factor
from alliancesim.model.elementwise import is_array, maximum
from alliancesim.model.payment.pence import round_pence
from alliancesim.model.payment.terms import (
    Basis,
    ContractTerms,
    GovernanceTerms,
    LinePayment,
    OutcomeTerms,
    RiskShareTerms,
    ServicePayment,
    Subcontract,
    Vehicle,
    annual_value,
    terms_of,
)
from alliancesim.scenario import (
    ContractModelSpec,
    OrganisationSpec,
    PriceSpec,
    RiskShareSpec,
    Scenario,
)

FIXED_BASES = frozenset({Basis.BLOCK, Basis.CAPITATION, Basis.BLENDED, Basis.COST_PLUS_FEE})


def whole_pence(exact: Fraction) -> int:
    """Round an exact amount to whole pence, halves away from zero (as money is rounded)."""
    sign = -1 if exact < 0 else 1
    return sign * int(abs(exact) + Fraction(1, 2))


def each_replication(rule: Callable[..., int], pence: Any, *args: Any) -> Any:
    """``rule(pence, *args)``; on an array of pence, the same exact rule for each
    replication's amount (an ``int64`` array): the rules below price in fractions."""
    if isinstance(pence, np.ndarray):
        return np.array([rule(int(p), *args) for p in pence], dtype=np.int64)
    return rule(pence, *args)


def bid_price_pence(budget_pence: Any, bid: float) -> Any:
    """The price bid against a budget: ``budget x (1 + bid)`` in whole pence, exactly.

    The share is read from its decimal form (0.035 exactly, not its binary neighbour), so
    UnitingCare's bid of 3.5% under a £752m maximum (anchors P5) is £725.68m to the penny.
    """
    if isinstance(budget_pence, np.ndarray):
        return each_replication(bid_price_pence, budget_pence, bid)
    return whole_pence(Fraction(budget_pence) * (1 + Fraction(str(bid))))


def indexed_pence(base_pence: Any, rate: float, years: int) -> Any:
    """A held price after ``years`` of indexation at ``rate`` a year, compounded, rounded
    once to whole pence."""
    if isinstance(base_pence, np.ndarray):
        return each_replication(indexed_pence, base_pence, rate, years)
    return whole_pence(Fraction(base_pence) * (1 + Fraction(str(rate))) ** years)


def priced_value(
    budget_pence: Any,
    held_budget_pence: Any,
    price: PriceSpec,
    contract_year: int,
    demand_trend: float,
) -> Any:
    """What a fixed annual payment is worth in a contract year under the price terms.

    ``budget_pence``: the commissioner's budget at this year's plan (re-based on outturn);
    ``held_budget_pence``: its budget at the first year's plan. Re-based: the bid applies
    to this year's budget. Held: the bid applies to the first year's and the price moves
    only by indexation."""
    if price.rebase == "outturn":
        return bid_price_pence(budget_pence, price.bid)
    rate = demand_trend if price.indexation == "demand_trend" else price.indexation
    return indexed_pence(bid_price_pence(held_budget_pence, price.bid), rate, contract_year)


def line_terms(
    line: ServiceLine,
    basis: Basis,
    spec: ContractModelSpec,
    growth: float,
    population: int,
    held: tuple[int, float, float] | None = None,
) -> LinePayment:
    """Payment terms for one line at the plan of a contract year.

    ``held`` is (contract year, the first year's growth, the demand trend) when the
    spec's price terms apply to this line: its fixed annual value is then priced by
    :func:`priced_value`. The plan may be per replication (an array, from the second
    contract year of an ensemble): the figures then are too (:func:`terms_of`)."""
    planned = line.planned_per_year * growth
    value = round_pence(planned * line.unit_cost_pence)
    if held is not None and basis in FIXED_BASES and not spec.price.is_neutral:
        year, first_growth, trend = held
        value = priced_value(value, first_budget(line, first_growth), spec.price, year, trend)
    price = line.unit_cost_pence
    match basis:
        case Basis.BLOCK:
            return terms_of(
                LinePayment, basis=basis, annual_value_pence=value, planned_activity=planned
            )
        case Basis.TARIFF:
            return terms_of(LinePayment, basis=basis, price_pence=price, planned_activity=planned)
        case Basis.MARGINAL_RATE:
            return terms_of(
                LinePayment,
                basis=basis,
                price_pence=price,
                planned_activity=planned,
                baseline_activity=planned,
                marginal_rate=spec.marginal_rate,
            )
        case Basis.BLENDED:
            return terms_of(
                LinePayment,
                basis=basis,
                annual_value_pence=value,
                price_pence=price,
                planned_activity=planned,
                variable_share=spec.variable_share,
            )
        case Basis.CAPITATION:
            return terms_of(
                LinePayment,
                basis=basis,
                rate_per_head_pence=maximum(1, round_pence(value / population)),
                reference_population=population,
                planned_activity=planned,
            )
        case Basis.COST_PLUS_FEE:
            return terms_of(
                LinePayment,
                basis=basis,
                annual_value_pence=value,
                planned_activity=planned,
                fee_share=spec.fee_share,
            )
    raise ValueError(f"unknown basis {basis!r}")  # pragma: no cover


def first_budget(line: ServiceLine, first_growth: float) -> Any:
    """A line's budget at the first contract year's plan (before any re-plan on outturn)."""
    return round_pence(line.plan_at_start * first_growth * line.unit_cost_pence)


class ContractBuilder:
    """Turns the scenario's contract-model specs into terms for each contract year."""

    def __init__(self, scenario: Scenario, lines: Iterable[ServiceLine]):
        self.scenario = scenario
        self.lines = list(lines)
        self.orgs: dict[str, OrganisationSpec] = {o.name: o for o in scenario.organisations}
        self.providers = [o.name for o in scenario.organisations if not o.is_commissioner]
        self.status_quo = scenario.contract_models[scenario.scenario.status_quo]

    def growth(self, contract_year: int) -> float:
        """Demand growth planned for a contract year: the trend at mid-year."""
        spec = self.scenario.economy
        return growth_factor(spec, (contract_year + 0.5) * spec.periods_per_year)

    def held(self, contract_year: int) -> tuple[int, float, float]:
        """What :func:`line_terms` needs to price a line held from the first year."""
        return contract_year, self.growth(0), self.scenario.economy.demand_trend

    def basis_for(self, spec: ContractModelSpec, line: ServiceLine) -> Basis:
        if line.name in spec.payment:
            return spec.payment[line.name]
        sq_spec = next(s for s in self.scenario.economy.service_lines if s.name == line.name)
        return self.status_quo.payment.get(line.name, sq_spec.basis)

    def members(self, spec: ContractModelSpec) -> tuple[str, ...]:
        return tuple(spec.members) if spec.members else tuple(self.providers)

    def spec_with_terms(self, model_name: str, terms: dict | None = None) -> ContractModelSpec:
        """The contract model's spec with negotiated terms applied (agents/negotiation.py):
        ``members``, ``risk_share`` (a dict of RiskShareSpec fields, or None for none),
        ``outcome_scale`` (the agreed outcome-linked share over the proposed; 0 drops
        it) and ``lead_payment``."""
        spec = self.scenario.contract_models[model_name]
        if not terms:
            return spec
        update: dict = {}
        if "members" in terms:
            update["members"] = tuple(terms["members"])
        if "risk_share" in terms:
            rs = terms["risk_share"]
            update["risk_share"] = (
                None
                if rs is None
                else (spec.risk_share or RiskShareSpec()).model_copy(update=dict(rs))
            )
        if "outcome_scale" in terms and spec.outcome is not None:
            scale = terms["outcome_scale"]
            update["outcome"] = (
                None
                if scale <= 0
                else spec.outcome.model_copy(
                    update={
                        "withhold_by_year": tuple(w * scale for w in spec.outcome.withhold_by_year)
                    }
                )
            )
        if "lead_payment" in terms:
            update["lead_payment"] = terms["lead_payment"]
        return spec.model_copy(update=update)

    def build(
        self,
        model_name: str,
        contract_year: int = 0,
        failed: frozenset[str] = frozenset(),
        spec: ContractModelSpec | None = None,
    ) -> tuple[ContractTerms, ...]:
        """Terms in force in a contract year; failed providers' scope is left out
        (their patients and the financial risk return to the commissioner).
        ``spec`` replaces the scenario's spec (e.g. the terms a negotiation agreed)."""
        spec = spec or self.scenario.contract_models[model_name]
        if spec.contracts:
            return spec.contracts
        growth = self.growth(contract_year)
        population = self.scenario.economy.population
        members = tuple(m for m in self.members(spec) if m not in failed)
        payments: list[ServicePayment] = []
        subcontracts: list[Subcontract] = []
        outside: list[ServicePayment] = []  # lines of non-members stay on the status quo
        held = self.held(contract_year)
        # a lead's price terms apply to its whole-scope payment (lead_payments), not to
        # what it pays its subcontractors; otherwise to each fixed annual payment
        leads = spec.vehicle in (Vehicle.LEAD_PROVIDER, Vehicle.PRIME_CONTRACTOR)
        outside_spec = spec
        if self.status_quo.price != spec.price:
            outside_spec = spec.model_copy(update={"price": self.status_quo.price})
        for line in self.lines:
            if line.provider in failed:
                continue
            basis = self.basis_for(spec, line)
            terms = line_terms(
                line,
                basis,
                spec,
                growth,
                population,
                None if leads or line.provider not in members else held,
            )
            payment = ServicePayment(
                payer=line.commissioner, provider=line.provider, line=line.name, terms=terms
            )
            if line.provider not in members:
                sq_terms = line_terms(
                    line,
                    self.basis_for(self.status_quo, line),
                    outside_spec,
                    growth,
                    population,
                    held,
                )
                outside.append(payment.model_copy(update={"terms": sq_terms}))
            elif spec.vehicle in (Vehicle.LEAD_PROVIDER, Vehicle.PRIME_CONTRACTOR):
                if line.provider != spec.lead:
                    subcontracts.append(
                        Subcontract(
                            lead=spec.lead,
                            subcontractor=line.provider,
                            line=line.name,
                            terms=terms,
                            squeeze_share=spec.subcontract_squeeze,
                            payment_delay_periods=spec.subcontract_delay_periods,
                        )
                    )
                payments.append(payment)
            else:
                payments.append(payment)
        if leads:
            payments = self.lead_payments(spec, payments, population, held)
        contracts = self.split_by_vehicle(model_name, spec, members, payments, subcontracts)
        if outside:
            # non-members stay on the status quo's contracts, and at its forum (if any)
            contracts += self.bilateral(
                f"{model_name}:outside", outside, spec, self.status_quo.governance
            )
        return tuple(contracts)

    def lead_payments(
        self,
        spec: ContractModelSpec,
        payments: list[ServicePayment],
        population: int,
        held: tuple[int, float, float] | None = None,
    ) -> list[ServicePayment]:
        """The commissioners pay the lead for the whole scope (capitation or block), at
        the budget for the scope at plan unless the price terms say otherwise."""
        by_payer: dict[str, Any] = {}  # pence: an int, or int64 per replication
        first: dict[str, Any] = {}  # the budget at the first year's plan
        lines = {line.name: line for line in self.lines}
        for payment in payments:
            by_payer[payment.payer] = by_payer.get(payment.payer, 0) + annual_value(payment.terms)
            if held is not None:
                first[payment.payer] = first.get(payment.payer, 0) + first_budget(
                    lines[payment.line], held[1]
                )
        result = []
        for payer, value in sorted(by_payer.items()):
            if held is not None and not spec.price.is_neutral:
                year, _, trend = held
                value = priced_value(value, first[payer], spec.price, year, trend)
            value = round_pence(value * (1.0 - spec.management_fee_share))
            if spec.lead_payment == "capitation":
                terms = terms_of(
                    LinePayment,
                    basis=Basis.CAPITATION,
                    rate_per_head_pence=maximum(1, round_pence(value / population)),
                    reference_population=population,
                )
            else:
                terms = terms_of(LinePayment, basis=Basis.BLOCK, annual_value_pence=value)
            result.append(
                ServicePayment(payer=payer, provider=spec.lead, line="whole_scope", terms=terms)
            )
        return result

    def outcome_terms(
        self, spec: ContractModelSpec, members: tuple[str, ...] | None = None
    ) -> OutcomeTerms | None:
        """Outcome terms; a pot split among members still in the contract (a failed or
        departed member's share is spread over the others in proportion)."""
        if spec.outcome is None:
            return None
        lead_commissioner = self.orgs[ordering.lead_commissioner(self.scenario)]
        leniency = spec.outcome.leniency
        if leniency is None:
            leniency = lead_commissioner.leniency
        return OutcomeTerms(
            withhold_by_year=spec.outcome.withhold_by_year,
            quality_gate=spec.outcome.quality_gate,
            leniency=leniency,
            mode=spec.outcome.mode,
            split=weights(spec.outcome.split, members, {})
            if spec.outcome.split and members
            else spec.outcome.split,
            pain_equals_gain=spec.outcome.pain_equals_gain,
            at_risk_by_year=spec.outcome.at_risk_by_year,
        )

    def risk_share_terms(
        self, spec: ContractModelSpec, members: tuple[str, ...], payments: list[ServicePayment]
    ) -> RiskShareTerms | None:
        rs = spec.risk_share
        if rs is None:
            return None
        value_by_member: dict[str, Any] = {m: 0 for m in members}
        for payment in payments:
            value_by_member[payment.provider] = value_by_member.get(payment.provider, 0) + (
                annual_value(payment.terms)
            )
        # a provider that may not bear losses (a charity's constitution, seed 000
        # L1335, L1422) is excluded from the pain share, whatever the file says
        barred = tuple(m for m in members if not self.orgs[m].trait("may_bear_losses")) + tuple(
            rs.excluded
        )
        excluded = tuple(sorted(set(barred)))
        gain = weights(rs.shares, members, value_by_member)
        pain = weights(rs.shares, tuple(m for m in members if m not in excluded), value_by_member)
        target = round_pence(
            sum(annual_value(p.terms) for p in payments) * (1.0 - rs.target_savings)
        )
        commissioners = sorted({p.payer for p in payments})
        commissioner_value = {
            c: sum(annual_value(p.terms) for p in payments if p.payer == c) for c in commissioners
        }
        total = sum(commissioner_value.values())
        total = np.where(total != 0, total, 1) if is_array(total) else total or 1
        return terms_of(
            RiskShareTerms,
            target_annual_pence=maximum(0, target),
            measure=rs.measure,
            provider_gain_share=rs.provider_gain_share,
            provider_pain_share=rs.provider_pain_share if pain else 0.0,
            gain_shares=gain,
            pain_shares=pain,
            pain_cap=rs.pain_cap,
            netting=rs.netting,
            year_one_underspend_to_commissioner=rs.year_one_underspend_to_commissioner,
            demand_trigger=rs.demand_trigger,
            gain_bands=rs.gain_bands,
            excluded=excluded,
            commissioner_shares={c: v / total for c, v in commissioner_value.items()}
            if len(commissioners) > 1
            else {},
        )

    def split_by_vehicle(
        self,
        model_name: str,
        spec: ContractModelSpec,
        members: tuple[str, ...],
        payments: list[ServicePayment],
        subcontracts: list[Subcontract],
    ) -> list[ContractTerms]:
        if not payments:
            return []  # nothing left to pay for (every member's scope has returned)
        if spec.vehicle == Vehicle.BILATERAL and spec.risk_share is None:
            return self.bilateral(model_name, payments, spec)
        commissioners = tuple(sorted({p.payer for p in payments}))
        return [
            ContractTerms(
                name=model_name,
                vehicle=spec.vehicle,
                commissioners=commissioners,
                members=members,
                lead=spec.lead,
                payments=tuple(payments),
                subcontracts=tuple(subcontracts),
                management_fee_share=spec.management_fee_share,
                outcome=self.outcome_terms(spec, members),
                risk_share=self.risk_share_terms(spec, members, payments),
                governance=spec.governance,
                duration_years=spec.duration_years,
                extension_years=spec.extension_years,
            )
        ]

    def bilateral(
        self,
        model_name: str,
        payments: list[ServicePayment],
        spec: ContractModelSpec,
        governance: GovernanceTerms | None = None,
    ) -> list[ContractTerms]:
        """One NHS Standard Contract per commissioner-provider pair (the baseline), each
        carrying the contract model's governance terms (a joint-work forum, if any)."""
        pairs: dict[tuple[str, str], list[ServicePayment]] = {}
        for payment in payments:
            pairs.setdefault((payment.payer, payment.provider), []).append(payment)
        return [
            ContractTerms(
                name=f"{model_name}:{payer}-{provider}",
                vehicle=Vehicle.BILATERAL,
                commissioners=(payer,),
                members=(provider,),
                payments=tuple(group),
                outcome=self.outcome_terms(spec),
                governance=spec.governance if governance is None else governance,
                duration_years=spec.duration_years,
                extension_years=spec.extension_years,
            )
            for (payer, provider), group in sorted(pairs.items())
        ]


def weights(
    rule: str | dict[str, float], members: tuple[str, ...], value: dict[str, Any]
) -> dict[str, Any]:
    """Shares between members: given, equal, or in proportion to contract value (per
    replication when the values are: equal shares in a replication whose total is 0)."""
    if not members:
        return {}
    if isinstance(rule, dict):
        kept = {m: rule[m] for m in members if rule.get(m, 0.0) > 0.0}
        total = sum(kept.values())
        return {m: v / total for m, v in kept.items()} if total > 0 else {}
    if rule == "equal":
        return {m: 1.0 / len(members) for m in members}
    total = sum(value.get(m, 0) for m in members)
    if is_array(total):
        positive = total > 0
        whole = np.where(positive, total, 1)  # no division by zero where not chosen
        equal = 1.0 / len(members)
        return {m: np.where(positive, value.get(m, 0) / whole, equal) for m in members}
    if total <= 0:
        return {m: 1.0 / len(members) for m in members}
    return {m: value.get(m, 0) / total for m in members}
