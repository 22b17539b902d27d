"""Tables a column at a time: the rows of many replications as one column a key.

``TableColumns`` is what the runner turns into one Arrow table for many tasks
(``runner._columns_to_table``); ``rows_to_columns`` makes it of rows (dicts), and
``replication.period_columns`` of an ensemble's arrays.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any

import numpy as np
import pyarrow as pa


@dataclass
class TableColumns:
    """One table's rows for many replications, a column a key: ``columns`` maps each
    key to a numpy array or a list over the rows; ``counts`` is how many of the rows
    each replication has, in order (its rows are consecutive), and ``keys`` the keys of
    its rows in the order they first appear (a table of its rows alone would have its
    columns in that order; a key its rows lack is None in them)."""

    columns: dict[str, Any]
    counts: list[int]
    keys: list[tuple[str, ...]]

    @property
    def n_rows(self) -> int:
        return sum(self.counts)


def first_keys(rows: Iterable[dict]) -> dict[str, None]:
    """The keys of rows in the order they first appear."""
    keys: dict[str, None] = {}
    for row in rows:
        if row.keys() != keys.keys():
            keys.update(dict.fromkeys(row))
    return keys


def rows_to_columns(rows_by_replication: Sequence[Sequence[dict]]) -> TableColumns:
    """Rows (dicts) to columns, a key a row lacks a None."""
    keys = [tuple(first_keys(rows)) for rows in rows_by_replication]
    rows = list(chain.from_iterable(rows_by_replication))
    columns = {key: [row.get(key) for row in rows] for key in dict.fromkeys(chain(*keys))}
    return TableColumns(columns, [len(r) for r in rows_by_replication], keys)


def repeated(values: Sequence[Any], counts: Sequence[int]) -> Any:
    """Each value repeated its count of times, in order, as a column: ints an int64
    array and strings a string array (what Arrow makes of a list of them), anything
    else a list of the values."""
    types = set(map(type, values))
    if types == {int}:
        try:
            return np.repeat(np.array(values, dtype=np.int64), counts)
        except OverflowError:  # beyond int64: Arrow decides, as of a list
            pass
    if types == {str}:
        names = list(dict.fromkeys(values))
        at = {name: i for i, name in enumerate(names)}
        where = np.repeat(np.array([at[v] for v in values], dtype=np.int64), counts)
        return pa.array(names, pa.string()).take(pa.array(where))
    return list(chain.from_iterable(map(repeat, values, counts)))
