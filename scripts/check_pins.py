"""Check that the pinned requirements resolve on every Python version the course supports.

Usage::

    python scripts/check_pins.py            # every version of pyproject.toml's requires-python
    python scripts/check_pins.py 3.12       # one version

For each version, pip's resolver (``pip install --dry-run --python-version X.Y
--only-binary=:all:``) resolves ``requirements.txt`` and the optional ``requirements-*.txt`` together against
the package index, for this machine's platform, without installing anything.  Prints one line per
version and exits with 1 if any version fails, showing pip's last lines for it.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REQUIREMENTS = ("requirements.txt", "requirements-baselines.txt", "requirements-cluster.txt", "requirements-browser.txt")


def supported_versions() -> list:
    """The minor versions of pyproject.toml's ``requires-python``, e.g. ["3.11", "3.12", "3.13"]."""
    from utils.notebook.setup_check import PYTHON_SUPPORTED

    return [f"{major}.{minor}" for major, minor in PYTHON_SUPPORTED]


def resolve(version: str) -> tuple:
    """Run pip's resolver for one Python version; return (ok, seconds, pip's last lines)."""
    with tempfile.TemporaryDirectory() as target:
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed", "--disable-pip-version-check",
                   "--python-version", version, "--only-binary=:all:", "--target", target]
        for name in REQUIREMENTS:
            command += ["-r", str(ROOT / name)]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.startswith("ERROR")]
    return done.returncode == 0, time.perf_counter() - started, "\n".join(lines[-3:])


def main(argv=None) -> int:
    versions = (argv if argv is not None else sys.argv[1:]) or supported_versions()
    failed = 0
    for version in versions:
        ok, seconds, errors = resolve(version)
        print(f"Python {version}: {'the pins resolve' if ok else 'FAILED'} ({seconds:.0f} s)")
        if not ok:
            failed += 1
            print("  " + errors.replace("\n", "\n  "))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
