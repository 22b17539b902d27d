#!/usr/bin/env bash
# The one test command (README and .ci/run): set up, check style, and run the
# whole suite: unit, property, validation patterns, notebooks and the browser
# test of the dashboard. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export SOLARA_TELEMETRY_MIXPANEL_ENABLE=False MPLBACKEND=Agg PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
.venv/bin/ruff check .
.venv/bin/ruff format --check .
if [ -d notebooks ] && ls notebooks/*.ipynb >/dev/null 2>&1; then
  NOTEBOOKS=(--nbmake notebooks)
else
  NOTEBOOKS=()
fi
.venv/bin/python -m pytest -n 2 tests "${NOTEBOOKS[@]}" "$@"
