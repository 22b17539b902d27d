"""alliancesim: agent-based simulation of NHS contract models with a double-entry payment core.

The package is assembled from the top-level folders model/, agents/, experiments/ and
app/ by the install (pyproject.toml maps them to ``alliancesim.model`` etc.). An
interpreter without that install, e.g. a system ``python3`` started in the repository
root, finds this folder alone; the check below says how to set up rather than leave a
misleading ``ModuleNotFoundError: alliancesim.experiments``.
"""

import importlib.util
import sys

__version__ = "0.1.0"

# the mapped subpackages and the core dependencies the package cannot work without
_NEEDED = ("alliancesim.experiments", "alliancesim.model", "mesa", "numpy", "pandas", "pydantic")

SETUP_HELP = (
    "alliancesim is not installed in this Python ({python}); {missing} cannot be found.\n"
    "Set up once from the repository root with `bash scripts/setup.sh` (it creates .venv "
    "with Python 3.12), then use that environment's Python: `.venv/bin/python`, or "
    "`source .venv/bin/activate` to put `python` and `alliancesim` on the PATH."
)


def missing_parts(names: tuple[str, ...] = _NEEDED) -> list[str]:
    """The modules of ``names`` this interpreter cannot find (none are imported)."""
    missing = []
    for name in names:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


_missing = missing_parts()
if _missing:
    raise ImportError(SETUP_HELP.format(python=sys.executable, missing=", ".join(_missing)))
