"""Where things live: the repository, the data folder, derived files, figures, the demo corpus.

The data folder is ``data/`` in the course repository, or the folder named by the environment
variable ``SER_DATA_DIR``.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The course repository (the folder holding ``utils/``)."""


def data_dir() -> Path:
    """Return the course's data folder (``SER_DATA_DIR`` or ``data/`` in the repository)."""
    env = os.environ.get("SER_DATA_DIR")
    if env:
        return Path(env).expanduser().resolve()
    return PROJECT_ROOT / "data"


def derived_dir() -> Path:
    """Return the folder where notebooks save tables and features for the next notebooks."""
    return data_dir() / "derived"


def demo_dir(size: str = "small") -> Path:
    """Return the folder of the generated demo corpus: ``demo/``, or ``demo-full/`` for the full size."""
    return data_dir() / ("demo" if size == "small" else f"demo-{size}")


def figures_dir() -> Path:
    """Return the folder where notebooks save their figures (created if missing)."""
    path = PROJECT_ROOT / "figures"
    path.mkdir(parents=True, exist_ok=True)
    return path


def display_path(path) -> str:
    """A path relative to the repository when it lies inside it (stable across machines)."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)
