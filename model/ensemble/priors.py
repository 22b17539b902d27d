"""Priors that differ between the replications of an ensemble (issue 14).

A calibration's particles (ABC-SMC) and a Sobol design's points are settings of the
behavioural priors (``alliancesim.scenario.PRIOR_FIELDS``: the ``behaviour.*`` numbers
and the economy's judgement numbers such as ``economy.max_shift``), each run on a seed of
its own. Replications whose scenarios differ only in those values are stepped together:
the ensemble's scenario holds each varied prior as a numpy array over replications, and
every rule that reads a prior is written once for a number and for an array
(``model/elementwise.py``), as it is for every value that comes from a draw.

    priors = {"behaviour.effort_cost": [0.1, 0.2, ...], "economy.max_shift": [...]}

gives replication r the scenario ``scenario.with_overrides({k: v[r] for k, v in
priors.items()})``. Each replication's values are validated as that scenario would be
(a bad value raises the scenario's usual error, naming the key and the allowed range);
the arrays hold the validated values (an integer prior, whole pence, as int64). A prior
with one value in every replication stays one number.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from alliancesim.scenario import PRIOR_FIELDS, Scenario
from pydantic import BaseModel, ValidationError

# priors as arrays over replications: {dotted key: array of one value a replication}
PriorArrays = dict[str, np.ndarray]

# where each prior's part of the scenario is, by the first part of its key
_HOLDERS = ("behaviour", "economy")


def prior_arrays(
    scenario: Scenario, priors: Mapping[str, Sequence[Any]] | None, size: int
) -> PriorArrays:
    """Each prior's validated values, one a replication (``{}`` for none).

    Raises ``ValueError`` for a key that is not a prior (naming the allowed keys) or a
    sequence whose length is not the number of replications, and the scenario's usual
    error (``ScenarioError``) for a value the scenario would refuse."""
    if not priors:
        return {}
    for key, values in priors.items():
        if key not in PRIOR_FIELDS:
            raise ValueError(
                f"priors: '{key}' is not a prior; allowed: {', '.join(sorted(PRIOR_FIELDS))}"
            )
        if isinstance(values, str | bytes) or len(values) != size:
            got = "text" if isinstance(values, str | bytes) else f"{len(values)} values"
            raise ValueError(f"priors: '{key}' needs one value a replication ({size}), got {got}")
    keys = list(priors)
    columns = [
        priors[key].tolist() if isinstance(priors[key], np.ndarray) else list(priors[key])
        for key in keys
    ]
    checked: dict[tuple, tuple] = {}  # a row of values -> its validated values
    rows = []
    for values in zip(*columns, strict=True):
        row = tuple(values)
        try:
            known = checked.get(row)
        except TypeError:  # a value that is not a number: validation says so (raises)
            known = _validated(scenario, dict(zip(keys, row, strict=True)))
        if known is None:
            known = checked[row] = _validated(scenario, dict(zip(keys, row, strict=True)))
        rows.append(known)
    arrays: PriorArrays = {}
    for i, key in enumerate(keys):
        spec, name = PRIOR_FIELDS[key]
        whole = spec.model_fields[name].annotation is int
        arrays[key] = np.array([row[i] for row in rows], dtype=np.int64 if whole else np.float64)
    return arrays


def _validated(scenario: Scenario, values: dict[str, Any]) -> tuple:
    """One replication's prior values as the scenario validates them (an int for a
    float prior becomes a float); a value it refuses raises its usual error."""
    parts: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        holder, name = key.split(".", 1)
        parts.setdefault(holder, {})[name] = value
    validated = {}
    try:
        for holder, fields in parts.items():
            current: BaseModel = getattr(scenario, holder)
            raw = {name: getattr(current, name) for name in type(current).model_fields}
            validated[holder] = type(current).model_validate(raw | fields)
    except ValidationError:
        scenario.with_overrides(values, source="priors")  # raises the usual error
        raise  # (not reached: the scenario refuses what its part refuses)
    return tuple(getattr(validated[k.split(".")[0]], k.split(".", 1)[1]) for k in values)


def with_prior_arrays(scenario: Scenario, arrays: PriorArrays) -> Scenario:
    """The scenario with each prior that varies held as its array (pydantic's
    ``model_construct`` on the part that holds it: an array would fail a number's type
    check, and every replication's value was validated by ``prior_arrays``); a prior
    with one value in every replication is that value."""
    if not arrays:
        return scenario
    update: dict[str, BaseModel] = {}
    for holder in _HOLDERS:
        fields = {
            key.split(".", 1)[1]: shared_or_array(values)
            for key, values in arrays.items()
            if key.split(".", 1)[0] == holder
        }
        if fields:
            current = getattr(scenario, holder)
            kept = {name: getattr(current, name) for name in type(current).model_fields}
            update[holder] = type(current).model_construct(**(kept | fields))
    return scenario.model_copy(update=update)


def shared_or_array(values: np.ndarray) -> Any:
    """The one value every replication has (as a Python number), else the array."""
    if values.size and bool(np.all(values == values[0])):
        return values[0].item()
    return values


def replication_priors(arrays: PriorArrays, index: int) -> dict[str, Any]:
    """Replication ``index``'s prior values, as Python numbers."""
    return {key: values[index].item() for key, values in arrays.items()}


def replication_scenario(scenario: Scenario, arrays: PriorArrays, index: int) -> Scenario:
    """Replication ``index``'s own scenario (the scenario itself when no prior varies)."""
    if not arrays:
        return scenario
    return scenario.with_overrides(replication_priors(arrays, index), source="priors")


def subset(arrays: PriorArrays, indices: Sequence[int]) -> PriorArrays:
    """The prior values of the replications ``indices``, in that order."""
    chosen = np.asarray(indices, dtype=np.intp)
    return {key: values[chosen] for key, values in arrays.items()}


def prior_values(scenario: Scenario) -> dict[str, Any]:
    """The scenario's value of every prior (``PRIOR_FIELDS``), by dotted key."""
    return {
        key: getattr(getattr(scenario, key.split(".", 1)[0]), name)
        for key, (_, name) in PRIOR_FIELDS.items()
    }


def shape_and_priors(scenario: Scenario) -> tuple[str, tuple]:
    """What of a scenario must be the same for its runs to be stepped together (all but
    the prior values, as text) and its prior values."""
    raw = scenario.model_dump(mode="json", by_alias=True)
    for key in PRIOR_FIELDS:
        section, name = key.split(".", 1)
        raw[section].pop(name, None)
    return json.dumps(raw, sort_keys=True), tuple(prior_values(scenario).values())


def varying_priors(scenarios: Sequence[Scenario]) -> dict[str, list] | None:
    """The priors whose values differ between ``scenarios``, each a list of their values
    (None when none differs)."""
    values = [prior_values(s) for s in scenarios]
    varying = {
        key: [v[key] for v in values]
        for key in PRIOR_FIELDS
        if any(v[key] != values[0][key] for v in values)
    }
    return varying or None
