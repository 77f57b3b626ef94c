#!/usr/bin/env bash
# Create the course's virtual environment in .venv (Python 3.11) and install the pinned
# requirements and the helper package (editable, so `import utils` works everywhere).
# Safe to run again: it reinstalls only when requirements.txt or pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1; then PYTHON=$candidate; break; fi
  done
fi
if [ -z "$PYTHON" ] || ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "setup: Python 3.11 is needed (found: ${PYTHON:-none} $("${PYTHON:-true}" --version 2>&1 || true))." >&2
  echo "       Install it (e.g. 'sudo apt install python3.11 python3.11-venv') or set PYTHON=/path/to/python3.11." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $("$PYTHON" --version)"
  if ! "$PYTHON" -m venv .venv; then
    rm -rf .venv
    echo "setup: '$PYTHON -m venv' failed; on Debian/Ubuntu install the venv module: sudo apt install python3.11-venv" >&2
    exit 1
  fi
fi

stamp=.venv/.installed-requirements
want=$(cat requirements.txt requirements-baselines.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing the pinned requirements (first time: a few minutes)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements.txt
  .venv/bin/python -m pip install --quiet -r requirements-baselines.txt
  .venv/bin/python -m pip install --quiet --no-deps -e .
  echo "$want" > "$stamp"
fi
echo "setup: ready ($(.venv/bin/python --version), helper package 'utils' installed)"
