"""An ensemble's outputs a column at a time: its period rows as (periods, R) arrays a
key (``PeriodColumns``) and its journal as (entries, R) pence with where each
replication keeps an entry (``LedgerColumns``). The runner's tables are gathered from
them a column at a time (``experiments/replication.py``); a replication's own rows and
journal, as the agent model gives them, are made only when read (``ReplicationRun``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from alliancesim.model.elementwise import ARRAY
from alliancesim.model.payment.ledger import JournalEntry, RowNote


def note_of(note: Any, index: int) -> str:
    """An entry's note in one replication (``RowNote``: its own figures)."""
    return note.text(index) if isinstance(note, RowNote) else note


# the value types a period column holds as numbers: a Python scalar shared by every
# replication, or an array over them (int64, float64, bool); anything else (None, a
# string, a numpy scalar, a mix of kinds) is kept as it is, in an object column
_KINDS = {int: "i", float: "f", bool: "b"}
_DTYPES = {"i": np.dtype(np.int64), "f": np.dtype(np.float64), "b": np.dtype(np.bool_)}


def _kind(value: Any) -> str:
    if isinstance(value, ARRAY):
        dtype = value.dtype
        return dtype.kind if dtype in (_DTYPES["i"], _DTYPES["f"], _DTYPES["b"]) else "O"
    return _KINDS.get(type(value), "O")


def stacked(values: Sequence[Any], size: int) -> np.ndarray:
    """Values (each shared by the R replications, or an array over them) stacked into
    a (len(values), R) array: int64, float64 or bool when they are all numbers of that
    kind, else an object array of each replication's Python value (``pick``'s)."""
    kinds = {_kind(v) for v in values}
    kind = kinds.pop() if len(kinds) == 1 else "O"
    if kind == "O":
        out = np.empty((len(values), size), dtype=object)
        for row, value in zip(out, values, strict=True):
            if isinstance(value, ARRAY):
                row[:] = value.tolist()
            else:
                for i in range(size):  # an object as it is (a tuple is not spread)
                    row[i] = value
        return out
    out = np.empty((len(values), size), dtype=_DTYPES[kind])
    for row, value in zip(out, values, strict=True):
        row[...] = value
    return out


class PeriodColumns:
    """An ensemble's period rows a key at a time: ``arrays[key]`` is a (periods, R)
    array, a value all replications share repeated along the replication axis. A key
    whose values are all of one kind (ints, floats, bools) is a numeric array; any other
    key an object array holding each replication's Python value, type included, so a
    replication's rows (``rows(index)``) are those ``pick`` would give."""

    def __init__(self, rows: Sequence[dict], size: int):
        self.size = size
        self.periods = len(rows)
        keys = dict.fromkeys(rows[0]) if rows else {}
        for row in rows:
            if row.keys() != keys.keys():
                keys.update(dict.fromkeys(row))
        self.keys = tuple(keys)
        # the keys of each row, where some rows lack a key (None: every row has them all)
        self.row_keys = None
        if any(row.keys() != keys.keys() for row in rows):
            self.row_keys = [tuple(row) for row in rows]
        self.arrays = {key: stacked([row.get(key) for row in rows], size) for key in self.keys}
        self._lists: dict[str, list[list]] = {}

    def column(self, key: str, index: int) -> list:
        """Replication ``index``'s values of ``key``, a Python value a period."""
        lists = self._lists.get(key)
        if lists is None:
            lists = self._lists[key] = self.arrays[key].T.tolist()
        return lists[index]

    def rows(self, index: int) -> list[dict]:
        """Replication ``index``'s output rows, as the agent model gives them."""
        columns = [self.column(key, index) for key in self.keys]
        rows = [dict(zip(self.keys, values, strict=True)) for values in zip(*columns, strict=True)]
        if self.row_keys is not None:
            rows = [
                {k: row[k] for k in keys} for row, keys in zip(rows, self.row_keys, strict=True)
            ]
        return rows


class LedgerColumns:
    """An ensemble's journal a field at a time, made when first read: ``amounts`` is an
    (entries, R) array of pence, ``kept`` where a replication has the entry (an amount
    over replications is kept where it is not 0, a shared one always: the entries a
    replication run alone would have), ``fields[name]`` each entry's shared value of
    the other fields (an (entries,) array) and ``notes`` each entry's note (a
    ``RowNote`` gives each replication its own text)."""

    def __init__(self, entries: Sequence[JournalEntry], size: int):
        self.entries = list(entries)
        self.size = size
        self._built = False

    def _build(self) -> None:
        if self._built:
            return
        amounts = [entry.amount for entry in self.entries]
        self.amounts = stacked(amounts, self.size)
        self.kept = np.ones((len(amounts), self.size), dtype=bool)
        for row, amount in zip(self.kept, amounts, strict=True):
            if isinstance(amount, ARRAY):
                row[...] = amount != 0
        self.fields = {
            name: stacked([getattr(e, name) for e in self.entries], 1)[:, 0]
            for name in JournalEntry._fields
            if name not in ("amount", "note")
        }
        self.notes = [entry.note for entry in self.entries]
        self._built = True

    def kept_entries(self, index: int) -> np.ndarray:
        """The positions of replication ``index``'s entries, in order."""
        self._build()
        return np.flatnonzero(self.kept[:, index])

    def replication(self, index: int) -> list[JournalEntry]:
        """Replication ``index``'s journal, as it would be had it run alone."""
        kept = self.kept_entries(index)
        amounts = self.amounts[kept, index].tolist()
        return [
            entry._replace(amount=amount, note=note_of(entry.note, index))
            for entry, amount in zip((self.entries[i] for i in kept.tolist()), amounts, strict=True)
        ]


@dataclass(frozen=True)
class ReplicationLedger:
    """One replication's journal, held as its column of an ensemble's
    ``LedgerColumns`` until it is read."""

    columns: LedgerColumns
    index: int


@dataclass(frozen=True)
class ReplicationRows:
    """One replication's output rows, held as its column of an ensemble's
    ``PeriodColumns`` until they are read."""

    columns: PeriodColumns
    index: int
