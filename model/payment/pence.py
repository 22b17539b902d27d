"""Whole pence and the few numeric helpers the payment primitives share, for one case or many.

A payment primitive (:mod:`primitives`) is written once and runs two ways:

- on Python numbers: one replication, as the agent model calls it today;
- on numpy arrays whose first axis is the replication: R replications at once,
  as an ensemble engine would call it. Money is then ``int64`` pence, shares,
  rates and activity ``float64``. Contract terms (shares, rates, caps) may stay
  Python numbers: they are the same for every replication stepped together.

The helpers here and in :mod:`alliancesim.model.elementwise` (``is_array``,
``maximum``, ``minimum``, shared with the decision rules) are the only places that know
about the two forms. Each does the same arithmetic either way: on numbers it is exactly
the Python builtin the primitives used before (``round``, ``max``, ``min``, ``x if c
else y``), on arrays the numpy function that gives the same result element by element
(``rint``, ``where``). Floats are IEEE doubles both
ways and numpy does not fuse or reorder an elementwise expression, so a
primitive given an array returns, row by row, exactly what it returns for that
row's numbers (the tests in ``tests/payment/test_primitives_arrays.py`` check
this); ``maximum`` and ``minimum`` choose as ``max`` and ``min`` do, so even the
sign of a zero matches.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from alliancesim.model.elementwise import is_array

#: Money: whole pence, one ``int`` or an ``int64`` array (one value per replication).
type Pence = int | np.ndarray
#: A share, rate or activity: one ``float`` or a ``float64`` array.
type Real = float | np.ndarray
#: A yes/no: one ``bool`` or a ``bool`` array.
type Flag = bool | np.ndarray


def round_pence(amount: Real) -> Pence:
    """Whole pence from a float amount: round half to even (``round(2.5) == 2``).

    On a number this is Python's ``round``; on an array ``numpy.rint``, which
    rounds half to even too, giving ``int64``. Both round the exact binary value,
    so they agree on every float. An integer array is already whole pence.
    """
    if isinstance(amount, np.ndarray):
        if amount.dtype.kind in "iu":
            return amount.astype(np.int64)
        return np.rint(amount).astype(np.int64)
    return round(amount)


def floor_pence(amounts: Sequence[Real]) -> list[Pence]:
    """Each amount in whole pence rounded down (``math.floor``; ``numpy.floor`` on arrays).

    Takes a list (one amount per party) so the one-replication path pays one call.
    """
    if is_array(*amounts):
        return [np.floor(amount).astype(np.int64) for amount in amounts]
    return [math.floor(amount) for amount in amounts]


def where(condition: Flag, if_true: Any, if_false: Any) -> Any:
    """``if_true`` where the condition holds, else ``if_false`` (row by row on arrays).

    Both values are computed before one is chosen, so neither may fail (divide
    by zero, say) for the rows where it is not chosen.
    """
    if (
        isinstance(condition, np.ndarray)
        or isinstance(if_true, np.ndarray)
        or isinstance(if_false, np.ndarray)
    ):
        return np.where(condition, if_true, if_false)
    return if_true if condition else if_false


def nonnegative_floats(values: Sequence[Any]) -> list[Real]:
    """Each weight as a float, a negative weight counting as 0 (``max(0.0, float(w))``).

    Takes a list (one weight per party) so the one-replication path pays one call.
    """
    if is_array(*values):
        return [
            np.maximum(0.0, value.astype(np.float64))
            if isinstance(value, np.ndarray)
            else max(0.0, float(value))
            for value in values
        ]
    floats = [float(value) for value in values]
    return [x if x > 0.0 else 0.0 for x in floats]  # max(0.0, x), without the call


def no(like: Any) -> Flag:
    """``False`` for one case, an array of ``False`` shaped like ``like`` for many."""
    if isinstance(like, np.ndarray):
        return np.zeros(like.shape, dtype=bool)
    return False


def constant(like: Any, value: float) -> Real:
    """``value`` for one case, an array of ``value`` shaped like ``like`` for many."""
    if isinstance(like, np.ndarray):
        return np.full(like.shape, value, dtype=np.float64)
    return value


def exact_sum(values: Sequence[Real]) -> Real:
    """Correctly rounded sum of floats (``math.fsum``), row by row if any value is an array.

    ``math.fsum`` does not depend on the order of the values, which is why the
    allocation uses it. On arrays:

    - The values are added in order, recording the rounding error of each
      addition (Knuth's two-sum, exact in binary floating point), so the sum
      plus the errors is exactly the sum of the values.
    - Where no addition but the last rounded, the last addition rounds the
      exact sum once, and IEEE addition rounds correctly (to nearest, ties to
      even): that row's sum equals ``fsum``. This is always so for two values,
      and for whole pence below 2**53.
    - The other rows are added again, the errors first and the sum last (the
      same exact total); after a few rounds the errors are small enough to add
      exactly. Rows still not settled after :data:`SUM_ROUNDS` rounds are summed
      with ``math.fsum`` one by one.
    """
    if not is_array(*values):
        return math.fsum(values)
    columns = np.broadcast_arrays(*[np.asarray(v, dtype=np.float64) for v in values])
    result = np.zeros(columns[0].shape, dtype=np.float64)
    settled = np.zeros(columns[0].shape, dtype=bool)
    terms = [column.copy() for column in columns]
    for _ in range(SUM_ROUNDS):
        total, errors, rounded_early = _add_in_order(terms)
        newly = ~settled & ~rounded_early
        result[newly] = total[newly]
        settled |= newly
        if settled.all():
            return result
        terms = [*errors, total]  # the same exact total in every row
    rows = np.stack(columns, axis=-1)
    for index in zip(*np.nonzero(~settled), strict=True):
        result[index] = math.fsum(rows[index])
    return result


#: Rounds of adding the errors again before :func:`exact_sum` falls back to ``math.fsum``.
SUM_ROUNDS = 4


def _add_in_order(terms: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Sum of the columns in order, each addition's exact rounding error, and
    whether an addition before the last rounded (row by row)."""
    total = terms[0]
    errors = []
    rounded_early = np.zeros(total.shape, dtype=bool)
    for k, value in enumerate(terms[1:], start=2):
        new_total = total + value
        value_part = new_total - total
        total_part = new_total - value_part
        error = (total - total_part) + (value - value_part)
        errors.append(error)
        if k < len(terms):  # the last addition may round: that is the one rounding
            rounded_early |= error != 0.0
        total = new_total
    return total, errors, rounded_early


def rank_largest_first(values: Sequence[Real]) -> list[Any]:
    """Each value's place (0 = largest) when sorted largest first, ties in list order.

    The list order is the parties' name order, so ties go by name. On arrays
    the ranking is done for each replication row separately (a stable sort).
    """
    if not is_array(*values):
        # Python's sort is stable, also in reverse: equal values keep their list order
        order = sorted(range(len(values)), key=values.__getitem__, reverse=True)
        places = [0] * len(values)
        for place, i in enumerate(order):
            places[i] = place
        return places
    columns = np.stack(np.broadcast_arrays(*values), axis=-1)
    order = np.argsort(-columns, axis=-1, kind="stable")
    places = np.argsort(order, axis=-1, kind="stable")  # the inverse permutation
    return [places[..., i] for i in range(len(values))]
