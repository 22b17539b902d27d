"""The synthetic local health economy: demand, integration, delivery, cost and outcomes.

The economy knows nothing of contracts. Each period it turns the cohort's need
into demand per service line (trend, seasonality, shocks and noise, drawn from
the run's demand streams, one for shocks and one per line keyed to its name, so
every contract model sees the same numbers and listing order changes nothing),
moves avoidable acute, bed-based and placement demand into community, primary
and mental health care in proportion to the integration the organisations have
built up (with a lag, diminishing returns, and only where community capacity
exists), and reports activity, cost and outcomes.

One economy serves one replication (the agent model, on ``model.streams.Streams``) or R
replications at once (the ensemble engine, on ``model.ensemble.streams.EnsembleStreams``,
issue 14). A value that depends on a replication's draws is then a numpy array with
the replication first (float64; ``shock_left`` int64): demand, integration, activity,
the outcome, and the plan once a re-plan has read activity. What is common to every
replication (the period, the spec, the lines, scheduled shocks) stays a Python value.
The rules are written once for both: choices and clamps go through
``model/elementwise.py``, so on floats they are the Python operations they always were
(same bits, same types) and on arrays the same choice a replication.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from alliancesim.model.elementwise import (
    anywhere,
    clip,
    exp,
    least,
    maximum,
    minimum,
    select,
    total,
)
from alliancesim.model.stages.demand_draw import (
    presenting_need,
    shock_periods_left,
)
from alliancesim.model.streams import DEMAND_NOISE, DEMAND_SHOCK
from alliancesim.scenario import (
    RECEIVING_SETTINGS,
    SHIFTABLE_SETTINGS,
    EconomySpec,
    ServiceLineSpec,
    ShockSpec,
)

if TYPE_CHECKING:
    from alliancesim.model.streams import Streams

OVERLOAD_OUTCOME_PENALTY = 0.15


@dataclass(slots=True)
class ServiceLine:
    """A service line: the cohort's need (fixed, drives demand) and the contract plan
    (units a year, re-planned each contract year on the previous year's activity)."""

    name: str
    setting: str
    provider: str
    commissioner: str
    unit_cost_pence: int
    planned_per_year: Any  # float; an array (R,) in an ensemble once re-planned on activity
    shiftable: bool
    receiving: bool
    need_per_year: float = 0.0
    plan_at_start: float = 0.0  # the first year's plan, never re-planned (a held price's base)

    @classmethod
    def from_spec(cls, spec: ServiceLineSpec, population: int) -> ServiceLine:
        return cls(
            name=spec.name,
            setting=spec.setting.value,
            provider=spec.provider,
            commissioner=spec.commissioner,
            unit_cost_pence=spec.unit_cost_pence,
            planned_per_year=population * spec.demand_per_1000_per_year / 1000.0,
            need_per_year=population * spec.demand_per_1000_per_year / 1000.0,
            plan_at_start=population * spec.demand_per_1000_per_year / 1000.0,
            shiftable=spec.setting in SHIFTABLE_SETTINGS,
            receiving=spec.setting in RECEIVING_SETTINGS,
        )


class Delivery(NamedTuple):
    """What the economy delivered in one period."""

    # each value a float, or an array (R,) in an ensemble; arrays may be shared (a line's
    # activity can be its demand's own array): make new values, never change one in place
    demand: dict[str, Any]  # line -> units of need presenting (before the shift)
    activity: dict[str, Any]  # line -> units delivered
    avoided: Any  # units of shiftable demand moved out of acute/bed-based care
    outcome_true: Any  # outcome index in [0, 1]
    overload: Any  # share of extra community work that could not be absorbed


def growth_factor(spec: EconomySpec, period: int) -> float:
    """Trend multiplier of demand at a period (compound yearly trend)."""
    return (1.0 + spec.demand_trend) ** (period / spec.periods_per_year)


def season_factor(spec: EconomySpec, period: int) -> float:
    """The seasonal multiplier of shiftable demand in a period (as ``draw_demand`` applies
    it): known to every organisation, so a run rate can be read net of the season."""
    return 1.0 + spec.seasonality * math.cos(2.0 * math.pi * period / spec.periods_per_year)


def shift_fraction(integration: Any, spec: EconomySpec) -> Any:
    """Share of shiftable demand moved at an integration level in [0, 1].

    Diminishing returns: ``max_shift * (1 - exp(-k I)) / (1 - exp(-k))``.
    """
    k = spec.integration_returns
    return spec.max_shift * (1.0 - exp(-k * integration)) / (1.0 - math.exp(-k))


def shift_sensitivity(integration: Any, spec: EconomySpec) -> Any:
    """d shift_fraction / d integration: what one more unit of integration moves."""
    k = spec.integration_returns
    return spec.max_shift * k * exp(-k * integration) / (1.0 - math.exp(-k))


class HealthEconomy:
    """Demand and delivery for one cohort; randomness only from the demand streams of
    ``streams`` (None: an economy that never draws demand, e.g. to build terms)."""

    def __init__(self, spec: EconomySpec, streams: Streams | None):
        self.spec = spec
        self.streams = streams
        self.lines = [ServiceLine.from_spec(s, spec.population) for s in spec.service_lines]
        self.shiftable = [line for line in self.lines if line.shiftable]
        self.expected_shiftable_need = 0.0
        self.by_name = {line.name: line for line in self.lines}
        self.integration: Any = 0.0  # an array (R,) in an ensemble once effort is one
        self.shock_left: Any = 0  # an int64 array (R,) in an ensemble once drawn
        self._plan_period = -1  # the period _plan was computed for
        self._plan: dict[str, Any] = {}
        receiving = [line for line in self.lines if line.receiving]
        total = sum(line.planned_per_year for line in receiving) or 1.0
        # extra contacts from avoided care go to receiving lines in proportion to their plan
        self.receiving_share = {line.name: line.planned_per_year / total for line in receiving}
        # scheduled shocks as (spec, first period, end period or None)
        self.shocks = tuple((shock, *shock.periods(spec.periods_per_year)) for shock in spec.shocks)
        self._factors: dict[tuple[str, str | None], dict[str, float]] = {}
        self._factors_period = -1

    def shock_factors(
        self, kind: str, period: int, contract_model: str | None = None
    ) -> dict[str, float]:
        """Line -> multiplier of the scheduled shocks of a kind ('cost' or 'demand') in
        force in a period (under a contract model, for shocks limited to some); overlapping
        shocks compound. Empty when none is in force."""
        if not self.shocks:
            return {}
        if self._factors_period != period:
            self._factors, self._factors_period = {}, period
        key = (kind, contract_model)
        factors = self._factors.get(key)
        if factors is None:
            factors = {}
            for shock, start, end in self.shocks:
                if shock.kind != kind or period < start or (end is not None and period >= end):
                    continue
                if shock.contract_models and contract_model not in shock.contract_models:
                    continue
                for name in shock.lines:
                    factors[name] = factors.get(name, 1.0) * (1.0 + shock.size)
            self._factors[key] = factors
        return factors

    def cost_factors(self, period: int, contract_model: str | None = None) -> dict[str, float]:
        """Line -> multiplier of its delivery cost from scheduled cost shocks in force
        under ``contract_model``."""
        return self.shock_factors("cost", period, contract_model)

    def shocks_changing(self, period: int) -> list[tuple[str, ShockSpec]]:
        """("starts" | "ends", shock spec) of every scheduled shock starting or ending now."""
        changes: list[tuple[str, ShockSpec]] = []
        for shock, start, end in self.shocks:
            if start == period:
                changes.append(("starts", shock))
            if end is not None and end == period:
                changes.append(("ends", shock))
        return changes

    def with_scheduled_shocks(self, period: int, demand: dict[str, Any]) -> dict[str, Any]:
        """Demand with the scheduled demand shocks in force applied (no random draw)."""
        factors = self.shock_factors("demand", period)
        if not factors:
            return demand
        return {name: units * factors.get(name, 1.0) for name, units in demand.items()}

    def planned(self, line: ServiceLine, period: int) -> Any:
        """Planned units in a period: the yearly plan grown by trend, no seasonality."""
        return self.plan_for(period)[line.name]

    def plan_for(self, period: int) -> dict[str, Any]:
        """:meth:`planned` for every line, computed once a period (and after a re-plan)."""
        if self._plan_period != period:
            growth = growth_factor(self.spec, period) / self.spec.periods_per_year
            self._plan = {line.name: line.planned_per_year * growth for line in self.lines}
            self._plan_period = period
        return self._plan

    def replan(self, activity_last_year: dict[str, Any], planned_last_year: dict[str, Any]) -> None:
        """Re-plan each line on last year's outturn (bounded), as commissioners and
        providers do at the yearly contract refresh; capacity and fixed cost follow.
        Arrays of last year's sums (an ensemble) re-plan each replication on its own:
        ``planned_per_year`` of the (shared) lines becomes an array."""
        for line in self.lines:
            planned = planned_last_year.get(line.name, 0.0)
            positive = planned > 0.0
            if anywhere(positive):
                done = activity_last_year.get(line.name, planned)
                ratio = done / select(positive, planned, 1.0)  # 1.0: never taken, no 0/0
                factor = clip(ratio, 0.5, 1.5)  # min(1.5, max(0.5, ratio))
                # a new value, not *=: an array may be shared with the rows already kept
                line.planned_per_year = line.planned_per_year * select(positive, factor, 1.0)
        self._plan_period = -1

    def draw_demand(self, period: int) -> dict[str, Any]:
        """Need presenting this period. Draws one number a period from the shock stream
        and one from each line's own stream (keyed to its name), whatever happens, so
        the streams stay aligned across models and a line's noise does not depend on
        which other lines the economy has or the order they are listed in. The rules
        that turn the draws into need are in ``model/stages/demand_draw.py``."""
        spec = self.spec
        streams = self.streams
        if streams is None:
            raise ValueError("this economy was built without random streams: it cannot draw")
        shock_draw = streams(DEMAND_SHOCK).random()
        self.shock_left = shock_periods_left(self.shock_left, shock_draw, spec.shock_hazard)
        shock = select(self.shock_left > 0, 1.0 + spec.shock_size, 1.0)
        season = 1.0 + spec.seasonality * math.cos(2.0 * math.pi * period / spec.periods_per_year)
        growth = growth_factor(spec, period)
        # what the plan expected of shiftable need this period: trend and season, no
        # noise or shock (the demand trigger compares need that presents with this)
        self.expected_shiftable_need = sum(
            [
                line.need_per_year / spec.periods_per_year * growth * season
                for line in self.shiftable
            ]
        )
        demand = {}
        for line in self.lines:
            normal = streams(DEMAND_NOISE, line.name).gauss(0.0, 1.0)
            demand[line.name] = presenting_need(
                line.need_per_year,
                line.shiftable,
                spec.periods_per_year,
                growth,
                season,
                shock,
                spec.noise,
                normal,
            )
        return self.with_scheduled_shocks(period, demand)

    def advance_integration(self, effort: Any) -> Any:
        """Integration stock moves toward this period's joint effort with a lag."""
        # a new value, not +=: an array may be shared with the rows already kept
        self.integration = self.integration + (
            maximum(0.0, minimum(1.0, effort)) - self.integration
        ) / (self.spec.integration_lag_periods)
        return self.integration

    def deliver(
        self,
        period: int,
        demand: dict[str, Any],
        cooperation: dict[str, Any],
        push: dict[str, Any],
        capacity: dict[str, Any],
        quality: Any,
        let_go_floor: float,
    ) -> Delivery:
        """Turn demand into activity.

        ``cooperation`` (provider -> [0, 1]) is how far the provider of a shiftable
        line lets avoidable demand go (an acute trust on a tariff keeps admissions
        up; :func:`let_go`, with the ``behaviour.let_go_floor`` prior);
        ``push`` adds supplier-induced activity on its shiftable lines;
        ``capacity`` (provider -> multiple of plan) limits receiving lines.
        Any of these, ``demand``, ``quality`` and the integration may be arrays (R,).
        """
        spec = self.spec
        fraction = shift_fraction(self.integration, spec)
        wanted: dict[str, Any] = {}
        for line in self.lines:
            if line.shiftable:
                released = let_go(cooperation.get(line.provider, 1.0), let_go_floor)
                wanted[line.name] = demand[line.name] * fraction * released
        avoided_wanted = total(wanted.values())
        extra_needed = avoided_wanted * spec.contacts_per_avoided_unit
        # capacity check on receiving lines: the shift happens only where capacity exists
        needed = extra_needed > 0.0
        absorb = 1.0
        if anywhere(needed):
            headroom = min_headroom(self, period, demand, capacity)
            # the divisor is 1.0 where nothing is needed (never taken there): no 0 / 0
            absorb = select(needed, minimum(1.0, headroom / select(needed, extra_needed, 1.0)), 1.0)
        activity: dict[str, Any] = {}
        avoided = 0.0
        for line in self.lines:
            units = demand[line.name]
            if line.shiftable:
                moved = wanted[line.name] * absorb
                avoided = avoided + moved
                units = (units - moved) * (1.0 + push.get(line.provider, 0.0))
            activity[line.name] = units
        extra = avoided * spec.contacts_per_avoided_unit
        for name, share in self.receiving_share.items():
            # a new value, not +=: the array may be the demand's own
            activity[name] = activity[name] + extra * share
        overload = select(needed, 1.0 - absorb, 0.0)
        outcome = (
            spec.outcome_base * (0.6 + 0.4 * quality / 0.7)
            + spec.outcome_gain_from_integration * self.integration
            - OVERLOAD_OUTCOME_PENALTY * overload
        )
        outcome = maximum(0.0, minimum(1.0, outcome))
        return Delivery(demand, activity, avoided, outcome, overload)


def let_go(cooperation: Any, floor: float) -> Any:
    """Share of the avoidable demand integration would move that its provider lets go:
    ``floor + (1 - floor) x cooperation`` (``behaviour.let_go_floor``, a prior: some goes
    through the others' work even when the provider keeps admissions up)."""
    return floor + (1.0 - floor) * cooperation


def min_headroom(
    economy: HealthEconomy, period: int, demand: dict[str, Any], capacity: dict[str, Any]
) -> Any:
    """Extra contacts the receiving lines can take before the first one is full."""
    limits = []
    plan = economy.plan_for(period)
    for name, share in economy.receiving_share.items():
        if share <= 0.0:
            continue
        line = economy.by_name[name]
        cap = plan[name] * capacity.get(line.provider, 1.0)
        limits.append(maximum(0.0, cap - demand[name]) / share)
    return least(limits) if limits else 0.0
