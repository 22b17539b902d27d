#!/usr/bin/env bash
# The main job: set up, then compare the four contract models of the default
# preset on 200 paired replications, print the table and write the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MPLBACKEND=Agg
.venv/bin/alliancesim run default --reps "${REPS:-200}" --seed "${SEED:-20261122}" \
  --workers "${WORKERS:-2}" --out "${OUT:-results/default}"
