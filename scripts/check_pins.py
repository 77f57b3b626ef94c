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

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ("requirements.txt", "requirements-baselines.txt", "requirements-cluster.txt", "requirements-browser.txt")


def supported_versions() -> list:
    """The minor versions of pyproject.toml's ``requires-python = ">=3.A,<3.B"``, e.g. ["3.11", "3.12", "3.13"]."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^requires-python = ">=3\.(\d+),<3\.(\d+)"', text, re.M)
    if not match:
        raise SystemExit('pyproject.toml: expected requires-python = ">=3.A,<3.B"')
    low, high = int(match[1]), int(match[2])
    return [f"3.{m}" for m in range(low, high)]


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
