#!/usr/bin/env bash
# Set everything up, then execute the whole notebook series headless, in order.
# Executed notebooks land in build/notebooks/, figures in figures/.
# Uses the real corpora if they are in data/ (see data/README.md), the synthetic demo corpus otherwise.
# Extra arguments go to `python -m utils.notebook.series` (e.g. --only 01 02).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m utils.notebook.series "$@"
