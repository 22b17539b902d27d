"""The validation suite: patterns V1-V17 of docs/validation.md, their runner and command.

``load_patterns()`` imports every pattern module so the registry in ``suite`` is
full; the negotiation patterns (V1-V6, V14) are optional until that layer lands.
"""

from __future__ import annotations

import importlib

PATTERN_MODULES = (
    "alliancesim.experiments.validation.negotiation_patterns",
    "alliancesim.experiments.validation.behaviour_patterns",
    "alliancesim.experiments.validation.case_patterns",
)


def load_patterns() -> list[str]:
    """Import the pattern modules; returns the names of those that were found."""
    loaded = []
    for name in PATTERN_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue
        loaded.append(name)
    return loaded
