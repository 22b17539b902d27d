#!/usr/bin/env bash
# Create .venv with Python 3.12 (Mesa 3.5 needs it) and install alliancesim with the
# extras a command needs:
#   bash scripts/setup.sh                 core and reporting (what scripts/main.sh runs)
#   bash scripts/setup.sh notebooks       + JupyterLab for notebooks/
#   bash scripts/setup.sh dashboard       + the teaching dashboard (Solara)
#   bash scripts/setup.sh test browser    + the test tools (scripts/test.sh adds all it needs)
# pip runs only when pyproject.toml changed or an extra is not installed yet; the
# stamp .venv/alliancesim-setup.json remembers the hash and the extras
# (scripts/setup_stamp.py). Extras installed earlier are kept. Safe to re-run.
# pip runs with -qq: errors only (no index or build-backend warnings).
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
  echo "setup: creating .venv with $("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "alliancesim needs Python 3.12 or newer (Mesa 3.5); set PYTHON=/path/to/python3.12 and remove .venv")'

STAMP=.venv/alliancesim-setup.json
status=0
extras=$(.venv/bin/python scripts/setup_stamp.py plan "$STAMP" pyproject.toml "$@") || status=$?
case $status in
  0) exit 0 ;;     # pyproject.toml unchanged and the extras are there: nothing to do
  3) ;;            # install below
  *) exit "$status" ;;
esac

echo "setup: installing alliancesim${extras:+[$extras]} into .venv (pyproject.toml changed or new extras)"
.venv/bin/python -m pip install -qq --upgrade pip
.venv/bin/python -m pip install -qq -e ".${extras:+[$extras]}"
.venv/bin/python scripts/setup_stamp.py write "$STAMP" pyproject.toml "$extras"
echo "setup: done"
