import sys
from pathlib import Path

# The fakes must be importable by name in loky and Dask worker processes too.
HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
