#!/usr/bin/env bash
# Set everything up, check that the pins resolve on every supported Python (3.11 to 3.13), run the linter, then the unit tests, the examples in the docstrings of utils/, and
# execute every notebook with nbval on the synthetic demo corpus (conftest.py forces the demo
# corpus and headless mode), then build the website and run notebooks 02 and 06 in JupyterLab in headless Chromium. Extra arguments go to pytest (e.g. -k corpus, or -x).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python scripts/check_pins.py
.venv/bin/ruff check .
.venv/bin/python -m pytest utils tests notebooks --ignore=tests/test_browser.py --doctest-modules --nbval-lax --nbval-cell-timeout=1800 "$@"
# Last, the website and the widgets in a real browser (the browser test needs the demo bundle and
# data that the notebooks above saved, and skips without Chromium). Only in a full run: extra
# arguments select other tests.
if [ $# -eq 0 ]; then
  .venv/bin/python scripts/build_site.py
  .venv/bin/python -m pytest tests/test_browser.py -p no:cacheprovider
fi
