#!/usr/bin/env bash
# The main job: set up (core and reporting packages only), then compare the four
# contract models of the default preset on paired replications, print the tables and
# write the Parquet files, figures and report.md.
#
# Each run writes a new dated folder, results/default-YYYYmmdd-HHMMSS, so the job can
# be run again and again. Environment variables:
#   OUT=results/mine    output folder (must be new or empty; default: a dated folder)
#   REPS=200            paired replications      SEED=20261122  root seed
#   WORKERS=2           worker processes
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MPLBACKEND=Agg
.venv/bin/alliancesim run default --reps "${REPS:-200}" --seed "${SEED:-20261122}" \
  --workers "${WORKERS:-2}" --out "${OUT:-results/default-$(date +%Y%m%d-%H%M%S)}"
