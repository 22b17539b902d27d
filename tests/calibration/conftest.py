import sys
from pathlib import Path

# The stand-in targets must be importable by name in loky and Dask worker processes too.
HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
