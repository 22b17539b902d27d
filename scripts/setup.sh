#!/usr/bin/env bash
# Create .venv with Python 3.12 (Mesa 3.5 needs it) and install alliancesim with
# every extra. Safe to re-run. Used by scripts/main.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  if command -v pyenv >/dev/null 2>&1 && pyenv which python3.12 >/dev/null 2>&1; then
    PYTHON=$(pyenv which python3.12)
  elif command -v python3.12 >/dev/null 2>&1; then
    PYTHON=python3.12
  else
    PYTHON=python3   # a .python-version of 3.12 selects it under pyenv
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "alliancesim needs Python 3.12 or newer (Mesa 3.5); set PYTHON=/path/to/python3.12")'
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[all]"
