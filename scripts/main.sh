#!/usr/bin/env bash
# The main job: set up (core and reporting packages only), then compare the four
# contract models of the default preset on paired replications, with the behavioural
# priors drawn from the shipped calibration's posterior (experiments/calibrations/), so
# every interval combines parameter uncertainty and simulation noise; print the tables
# and write the Parquet files, figures and report.md.
#
# Each run writes a new dated folder, results/default-YYYYmmdd-HHMMSS, so the job can
# be run again and again. Environment variables:
#   OUT=results/mine    output folder (must be new or empty; default: a dated folder)
#   REPS=200            paired replications      SEED=20261122  root seed
#   WORKERS=2           worker processes
#   POSTERIOR=experiments/calibrations/shipped   calibration whose posterior the priors
#                       are drawn from; POSTERIOR= (empty) runs at the fixed default priors,
#                       with the channel decomposition
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MPLBACKEND=Agg
POSTERIOR=${POSTERIOR-experiments/calibrations/shipped}
.venv/bin/alliancesim run default --reps "${REPS:-200}" --seed "${SEED:-20261122}" \
  --workers "${WORKERS:-2}" --out "${OUT:-results/default-$(date +%Y%m%d-%H%M%S)}" \
  ${POSTERIOR:+--posterior "$POSTERIOR"}
