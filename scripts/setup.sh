#!/usr/bin/env bash
# Create the course's virtual environment in .venv (Python 3.11 to 3.13) and install the pinned
# requirements and the helper package (editable, so `import utils` works everywhere).
# Safe to run again: it reinstalls only when requirements.txt or pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# The Python versions the pinned stack supports: pyproject.toml's requires-python (">=3.11,<3.14").
range=$(sed -n 's/^requires-python = "\(.*\)"/\1/p' pyproject.toml)
lo=$(echo "$range" | sed -n 's/.*>=3\.\([0-9]*\).*/\1/p')
hi=$(echo "$range" | sed -n 's/.*<3\.\([0-9]*\).*/\1/p')
supported() { "$1" -c "import sys; sys.exit(not (3, $lo) <= sys.version_info[:2] < (3, $hi))" 2>/dev/null; }

PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  for candidate in $(for m in $(seq "$lo" $((hi - 1))); do echo "python3.$m"; done) python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 && supported "$candidate"; then PYTHON=$candidate; break; fi
  done
fi
if [ -z "$PYTHON" ] || ! supported "$PYTHON"; then
  echo "setup: Python 3.$lo to 3.$((hi - 1)) is needed (found: ${PYTHON:-none} $("${PYTHON:-python3}" --version 2>&1 || true))." >&2
  echo "       numpy 2.4 needs Python 3.11 or newer, and TensorFlow 2.21 has no build for 3.14 yet." >&2
  echo "       Install one (e.g. 'sudo apt install python3.12 python3.12-venv') or set PYTHON=/path/to/python3.12." >&2
  exit 1
fi

if [ -x .venv/bin/python ] && ! supported .venv/bin/python; then
  echo "setup: .venv holds an unsupported Python ($(.venv/bin/python --version 2>&1)); delete .venv and run again" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $("$PYTHON" --version)"
  if ! "$PYTHON" -m venv .venv; then
    rm -rf .venv
    echo "setup: '$PYTHON -m venv' failed; on Debian/Ubuntu install the venv module (e.g. sudo apt install python3.12-venv)" >&2
    exit 1
  fi
fi

stamp=.venv/.installed-requirements
want=$(cat requirements.txt requirements-baselines.txt requirements-cluster.txt requirements-browser.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing the pinned requirements (first time: a few minutes)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements.txt
  .venv/bin/python -m pip install --quiet -r requirements-baselines.txt
  .venv/bin/python -m pip install --quiet -r requirements-cluster.txt
  .venv/bin/python -m pip install --quiet -r requirements-browser.txt
  .venv/bin/python -m pip install --quiet --no-deps -e .
  echo "$want" > "$stamp"
fi
echo "setup: ready ($(.venv/bin/python --version), helper package 'utils' installed)"
