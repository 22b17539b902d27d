#!/usr/bin/env bash
# The one test command (README and .ci/run): set up, check style, and run the
# whole suite: unit, property, validation patterns, notebooks and the browser
# test of the dashboard. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Chromium for the browser test (Playwright cannot download its own
# browser on this network). Installed when missing and apt-get can be used (as
# root, or with sudo that asks for no password); otherwise the browser test
# skips with the reason, or fails when CI is set.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi
  echo "installing Debian's chromium for the browser test (apt-get)"
  if ! { DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null; }; then
    echo "could not install chromium: run 'apt-get install -y chromium' as root" >&2
  fi
fi

# the test tools, and the extras the tests exercise (dashboard, notebooks, browser,
# Dask cluster, PRIM discovery, ABC calibration)
bash scripts/setup.sh test dashboard notebooks browser cluster discovery calibration

# Headless, offline-safe settings for the test run.
export MPLBACKEND=Agg                          # no display for matplotlib
export SOLARA_TELEMETRY_MIXPANEL_ENABLE=False  # Solara phones home otherwise
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1      # we use /usr/bin/chromium
# Solara's asset proxy fetches any asset not shipped in solara-assets from a
# CDN; point it at a closed loopback port so nothing leaves the machine.
export SOLARA_ASSETS_CDN=http://127.0.0.1:9/npm/

.venv/bin/ruff check .
.venv/bin/ruff format --check .
if [ -d notebooks ] && ls notebooks/*.ipynb >/dev/null 2>&1; then
  NOTEBOOKS=(--nbmake notebooks)
else
  NOTEBOOKS=()
fi
.venv/bin/python -m pytest -n 2 tests "${NOTEBOOKS[@]}" "$@"
