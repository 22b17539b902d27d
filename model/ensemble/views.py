"""One replication's view of the objects an ensemble stepped.

An ensemble's organisations, contracts and governance hold, wherever a value depends on
the replication, an array with a leading replication axis. ``ReplicaView(obj, index,
size)`` reads such an object as the agent model's run of replication ``index`` would
show it: an attribute (or what a method returns) that is an array over the ``size``
replications gives that replication's element, as a Python number; containers and other
objects are viewed in the same way, lazily; shared values (names, the period, the
contracts in force) are returned as they are.

This is how code written for a finished ``HealthEconomyModel`` (the validation
patterns read ``orgs[name].push``, ``trust_in``, ``contracts``, ``governance``) reads a
replication of an ensemble without a copy of each replication's agents. Views are for
reading: nothing here writes to the ensemble.
"""

from __future__ import annotations

import enum
import types
from typing import Any

from alliancesim.model.elementwise import ARRAY

PLAIN = (str, bytes, int, float, complex, bool, type(None), enum.Enum, range)


def replica(value: Any, index: int, size: int | None = None, views: bool = False) -> Any:
    """Replication ``index``'s part of ``value``: an array's element (as a Python number)
    or row, inside dicts, lists, tuples and named tuples; anything else is shared. With
    ``size`` (the ensemble's), an array whose leading axis is not the replications' is
    shared too; with ``views``, other objects are read through ``ReplicaView``."""
    if isinstance(value, PLAIN):
        return value
    if isinstance(value, ARRAY):
        if value.ndim == 0:
            return value.item()
        if size is not None and value.shape[0] != size:  # an array every replication shares
            return value
        return value[index].item() if value.ndim == 1 else value[index]
    if isinstance(value, dict):
        return {k: replica(v, index, size, views) for k, v in value.items()}
    if isinstance(value, list):
        return [replica(v, index, size, views) for v in value]
    if isinstance(value, tuple):
        items = [replica(v, index, size, views) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if not views or isinstance(value, (set, frozenset)):
        return value
    if isinstance(value, types.MethodType):
        return ReplicaMethod(value, index, size)
    if isinstance(value, (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType)):
        return value
    if hasattr(value, "__dict__") or hasattr(value, "__slots__"):
        return ReplicaView(value, index, size)
    return value


class ReplicaView:
    """An object of an ensemble as replication ``index`` sees it (attributes and method
    results through :func:`replica`)."""

    __slots__ = ("_target", "_index", "_size")

    def __init__(self, target: Any, index: int, size: int):
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_size", size)

    def __getattr__(self, name: str) -> Any:
        return replica(getattr(self._target, name), self._index, self._size, views=True)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a replication's view is read-only (setting {name!r})")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ReplicaView):
            return self._target is other._target and self._index == other._index
        return NotImplemented

    def __hash__(self) -> int:
        return hash((id(self._target), self._index))

    def __repr__(self) -> str:
        return f"<replication {self._index} of {self._target!r}>"


class ReplicaMethod:
    """A method of an ensemble's object, whose result is read for one replication."""

    __slots__ = ("_method", "_index", "_size")

    def __init__(self, method: types.MethodType, index: int, size: int):
        self._method = method
        self._index = index
        self._size = size

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return replica(self._method(*args, **kwargs), self._index, self._size, views=True)
