"""Stage 2 of a period: demand. The need presenting this period, per service line:
the cohort's need a year, spread over the periods, times the trend, the season (on
shiftable lines), a demand shock (on shiftable lines, while one lasts) and noise; then
any scheduled shocks of the scenario (``HealthEconomy.with_scheduled_shocks``).

Randomness: one draw a period from the DEMAND_SHOCK stream and one standard normal a
period from each line's own DEMAND_NOISE stream (keyed to its name), whatever happens,
so every contract model on one seed faces the same need (common random numbers) and a
line's noise does not depend on which other lines there are or their order. The draws
are made by ``HealthEconomy.draw_demand`` (the seam tests replace); the rules that turn
draws into need are the pure functions below.

Inputs: the period, the economy's spec (trend, seasonality, shock hazard and size,
noise) and lines (need a year, shiftable or not), the draws. Outputs: need by line;
on the economy ``shock_left`` (periods of the current shock still to run) and
``expected_shiftable_need`` (what the plan expected: trend and season, no noise or shock;
the demand trigger in settlement compares need with it).

Over R replications at once (the ensemble engine, issue 14) the draws are arrays (R,),
and so are the need by line and ``shock_left`` (int64); the rules below are written once
for both (``model/elementwise.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from alliancesim.model.elementwise import maximum

if TYPE_CHECKING:
    from alliancesim.model.simulation import HealthEconomyModel

SHOCK_LENGTH_PERIODS = 3  # periods a demand shock lasts once it starts (judgement; 2-6)


def draw_demand(model: HealthEconomyModel) -> dict[str, Any]:
    """This period's need by line, drawn by the economy on the run's demand streams."""
    return model.economy.draw_demand(model.period)


def shock_periods_left(left: Any, draw: Any, hazard: float) -> Any:
    """Periods of a demand shock still to run after this period's draw: a running shock
    counts down; otherwise one starts with probability ``hazard``. An int, or an int64
    array (R,) when the draw or ``left`` is an array."""
    if isinstance(left, np.ndarray) or isinstance(draw, np.ndarray):
        shape = np.broadcast_shapes(np.shape(left), np.shape(draw))
        left = np.broadcast_to(np.asarray(left, dtype=np.int64), shape)
        started = np.where(draw < hazard, SHOCK_LENGTH_PERIODS, left)
        return np.where(left > 0, left - 1, started).astype(np.int64)
    if left > 0:
        return left - 1
    if draw < hazard:
        return SHOCK_LENGTH_PERIODS
    return left


def presenting_need(
    need_per_year: float,
    shiftable: bool,
    periods_per_year: int,
    growth: float,
    season: float,
    shock: Any,
    noise_sd: float,
    normal: Any,
) -> Any:
    """Units of need presenting on one line in a period, never negative: need a period x
    trend x season (shiftable lines) x (1 + sd x a standard normal) x shock (shiftable
    lines)."""
    noise = 1.0 + noise_sd * normal
    seasonal = season if shiftable else 1.0
    units = need_per_year / periods_per_year * growth * seasonal * noise
    return maximum(0.0, units * (shock if shiftable else 1.0))  # shiftable: the line's kind
