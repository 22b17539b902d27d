"""Arithmetic for rules written once for one replication and for an array of them.

The decision rules (``agents/decisions.py``, ``agents/incentives.py``) and the payment
primitives (``model/payment/primitives.py``, with ``model/payment/pence.py`` for whole
pence) take numbers, as the agent model calls them, or numpy arrays with a leading
replication axis, as an ensemble engine stepping R replications together would (issue
14). Plain arithmetic
(+, -, *, /, abs) is already elementwise and gives the same bits on a float and on an
array. What is not, Python's ``max``, ``min``, ``x if c else y``, ``**``,
``math.erfc`` and ``sum`` (compensated for floats), goes through the functions here:

- on floats (and numpy scalars) they do exactly what the Python operation the rules used
  before does (``max(a, b)`` written out as ``b if b > a else a``, which is how ``max``
  chooses, without the builtin's call), so the agent model's results are unchanged to
  the last bit and keep their types;
- on arrays they make the same choice elementwise (``max(a, b)`` is ``b if b > a
  else a``, so ``where(b > a, b, a)``, ties and signed zeros included), and call the
  same C function for ``**`` and ``erfc`` (numpy's own ``power`` and a vectorised
  erfc differ from CPython's in the last bit for about 1 value in 1,000, measured).

The branch in each function is on the TYPE of its arguments, never on their values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

ARRAY = np.ndarray  # the one type test: inline below, as these run in every decision
_pow = np.frompyfunc(pow, 2, 1)
_erfc = np.frompyfunc(math.erfc, 1, 1)


def is_array(*values: Any) -> bool:
    """True when any value is a numpy array (the replication axis)."""
    for value in values:  # noqa: SIM110 - a plain loop: half the cost of any() on a generator
        if isinstance(value, ARRAY):
            return True
    return False


def same_values(a: tuple, b: tuple) -> bool:
    """``a == b`` for tuples of numbers (a cache's key); where either holds arrays, the
    same length and every pair equal in every element."""
    if not is_array(*a, *b):
        return a == b
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def per_row(value: Any, axes: int) -> Any:
    """A number as it is; an array over replications, shape (R,), as (R, 1, ..., 1) with
    ``axes`` trailing axes, so that it broadcasts against values that have that many
    axes after the replication axis (a prior per replication against a vector or a
    matrix over organisations, whose replications, if any, lead)."""
    if isinstance(value, ARRAY) and value.ndim == 1:
        return value.reshape(value.shape + (1,) * axes)
    return value


def maximum(a: Any, b: Any) -> Any:
    """``max(a, b)``: ``b`` where ``b > a``, else ``a``."""
    if isinstance(a, ARRAY) or isinstance(b, ARRAY):
        return np.where(b > a, b, a)
    return b if b > a else a  # what max(a, b) does, without the builtin's call cost


def minimum(a: Any, b: Any) -> Any:
    """``min(a, b)``: ``b`` where ``b < a``, else ``a``."""
    if isinstance(a, ARRAY) or isinstance(b, ARRAY):
        return np.where(b < a, b, a)
    return b if b < a else a  # what min(a, b) does, without the builtin's call cost


def clip(x: Any, low: Any, high: Any) -> Any:
    """``min(high, max(low, x))``, the order the rules have always used."""
    if isinstance(x, ARRAY) or isinstance(low, ARRAY) or isinstance(high, ARRAY):
        return minimum(high, maximum(low, x))
    x = x if x > low else low  # max(low, x)
    return x if x < high else high  # min(high, x)


def select(condition: Any, if_true: Any, if_false: Any) -> Any:
    """``if_true if condition else if_false``; elementwise on arrays. Both are evaluated,
    so neither may raise for the case the condition does not pick."""
    if isinstance(condition, ARRAY):  # one condition picks whole values, arrays or not
        return np.where(condition, if_true, if_false)
    return if_true if condition else if_false


def both(a: Any, b: Any) -> Any:
    """``a and b`` on booleans; elementwise on arrays."""
    if isinstance(a, ARRAY) or isinstance(b, ARRAY):
        return np.logical_and(a, b)
    return a and b


def everywhere(flag: Any) -> bool:
    """True if the flag holds (one replication) or holds in every replication (an array):
    lets a rule skip work whose result no replication would take."""
    if isinstance(flag, ARRAY):
        return bool(flag.all())
    return bool(flag)


def anywhere(flag: Any) -> bool:
    """True if the flag holds (one replication) or holds in any replication (an array):
    lets a rule do work that only some replications take (and then apply it ``where``
    the flag holds)."""
    if isinstance(flag, ARRAY):
        return bool(flag.any())
    return bool(flag)


def power(x: Any, exponent: float) -> Any:
    """``x ** exponent`` with CPython's float power (C ``pow``) on every element."""
    if isinstance(x, ARRAY):
        return _pow(x, exponent).astype(np.float64)
    return x**exponent


def erfc(x: Any) -> Any:
    """``math.erfc`` on every element."""
    if isinstance(x, ARRAY):
        return _erfc(x).astype(np.float64)
    return math.erfc(x)


def total(terms: Iterable[Any]) -> Any:
    """``sum(terms)``; on arrays, CPython's own float sum replayed elementwise.

    Since Python 3.12 ``sum`` of floats is compensated (Neumaier; CPython
    ``builtin_sum_impl``): the first term enters as ``0 + x``, each further term adds
    to a running compensation, which is added at the end if it is non-zero and finite.
    Plain ``+`` over arrays differs from it in the last bit, so the array path repeats
    the same steps. It matches ``sum`` over Python floats (numpy float64 scalars take
    CPython's generic path, plain ``+``: pass those as arrays or not at all)."""
    terms = list(terms)
    if not is_array(*terms):
        return sum(terms)
    if not terms:
        return 0
    hi = 0.0 + np.asarray(terms[0], dtype=np.float64)
    lo = np.zeros_like(hi)
    for x in terms[1:]:
        t = hi + x
        lo = lo + np.where(np.abs(hi) >= np.abs(x), (hi - t) + x, (x - t) + hi)
        hi = t
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where((lo != 0.0) & np.isfinite(lo), hi + lo, hi)


_exp = np.frompyfunc(math.exp, 1, 1)


def exp(x: Any) -> Any:
    """``math.exp`` on every element (numpy's own exp may differ in the last bit)."""
    if isinstance(x, ARRAY):
        return _exp(x).astype(np.float64)
    return math.exp(x)


def least(values: Iterable[Any]) -> Any:
    """``min(values)`` of a non-empty sequence; on arrays the same fold elementwise (the
    first value, replaced by each later one that is smaller, as ``min`` does)."""
    values = list(values)
    if not is_array(*values):
        return min(values)
    result = values[0]
    for value in values[1:]:
        result = minimum(result, value)
    return result


def count(flags: Iterable[Any]) -> Any:
    """How many flags hold: ``sum(1 for f in flags if f)``; on arrays an int64 count a
    replication."""
    flags = list(flags)
    if not is_array(*flags):
        return sum(1 for flag in flags if flag)
    result = np.zeros((), dtype=np.int64)
    for flag in flags:
        result = result + np.asarray(flag, dtype=bool).astype(np.int64)
    return result


def row_sums(values: np.ndarray) -> np.ndarray:
    """Each row's ``row.sum()`` of an (R, n) float array, bit for bit.

    numpy sums a 1-D array pairwise (``pairwise_sum`` in its loops: below 8 terms a
    plain fold, up to 128 eight running sums combined as ((r0 + r1) + (r2 + r3)) + ((r4 +
    r5) + (r6 + r7)) then the rest, above that two halves cut at a multiple of 8); over an
    axis of a 2-D array it may accumulate in another order. This replays the 1-D order
    across the rows, so R replications' sums equal each replication's own."""
    n = values.shape[1]
    if n < 8:
        result = np.zeros(values.shape[0])
        for i in range(n):
            result = result + values[:, i]
        return result
    if n <= 128:
        r = [values[:, j] for j in range(8)]
        end = n - n % 8
        for i in range(8, end, 8):
            r = [r[j] + values[:, i + j] for j in range(8)]
        result = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for i in range(max(end, 8), n):
            result = result + values[:, i]
        return result
    half = n // 2
    half -= half % 8
    return row_sums(values[:, :half]) + row_sums(values[:, half:])
