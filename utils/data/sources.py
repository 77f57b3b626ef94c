"""Where the audio comes from: the real corpora when present, the synthetic demo corpus otherwise.

Every notebook starts with :func:`get_data_source`, which decides once which corpora the course
works on and says so.  The decision follows these rules, in order:

1. ``SER_DATA_SOURCE=demo`` forces the synthetic demo corpus (the tests and CI set it);
   ``SER_DATA_SOURCE=real`` demands the real corpora and fails clearly if none is found.
2. ``SER_RAVDESS_DIR`` and ``SER_CREMAD_DIR`` point at real corpora anywhere on disk.
3. Otherwise the real corpora are looked for under the data folder, where the course's download
   helpers put them: ``data/ravdess/`` and ``data/cremad/``.
4. If no real audio is found, the demo corpus under ``data/demo/`` is used, and generated first if
   it is missing (a few seconds).  ``SER_DEMO_SIZE=full`` uses the full-size demo corpus under
   ``data/demo-full/`` instead (the real corpora's 1,440 + 7,462 clips, about two minutes to
   generate), for measuring what the real corpora will cost.

The data folder is ``data/`` in the course repository, or the folder named by ``SER_DATA_DIR``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..core.files import walk_files
from ..core.paths import data_dir, demo_dir, display_path
from .audio import AUDIO_SUFFIXES

SYNTHETIC_NOTICE = "SYNTHETIC demo corpus: generated sounds, not real speech; results say nothing about real emotion recognition"


def _has_audio(folder: Path) -> bool:
    """True if ``folder`` holds at least one audio file anywhere below it."""
    if not folder.is_dir():
        return False
    return any(p.suffix.lower() in AUDIO_SUFFIXES and p.is_file() for p in walk_files(folder))


@dataclass(frozen=True)
class DataSource:
    """Which corpora the course is working on.

    Attributes
    ----------
    kind : {"real", "demo"}
        ``"demo"`` means the generated synthetic corpus.
    roots : dict of str to Path
        Corpus name (``"ravdess"``, ``"cremad"``) to the folder holding its audio.
    size : {"small", "full"}
        The demo corpus's size (:data:`utils.data.demo.corpus.SIZES`); ``"small"`` for real corpora.
    """

    kind: str
    roots: dict = field(default_factory=dict)
    size: str = "small"

    @property
    def synthetic(self) -> bool:
        """True for the generated demo corpus."""
        return self.kind == "demo"

    @property
    def bundle_name(self) -> str:
        """The folder under ``models/`` for the model trained on these data: ``demo``, ``demo-full`` or ``real``."""
        return demo_dir(self.size).name if self.synthetic else "real"

    @property
    def tag(self) -> str:
        """Short label for plot titles and tables, e.g. ``"synthetic demo data"``."""
        return "synthetic demo data" if self.synthetic else "real recordings"

    def describe(self) -> str:
        """A few lines saying which data the notebook uses; printed by every notebook's first cell."""
        lines = []
        if self.synthetic:
            lines.append("DATA: " + SYNTHETIC_NOTICE + ".")
            if self.size != "small":
                lines.append(f"      {self.size.capitalize()} size (SER_DEMO_SIZE={self.size}): as many clips as the real corpora.")
            lines.append("      Put the real RAVDESS/CREMA-D under data/ (see data/README.md) to use them instead.")
        else:
            lines.append("DATA: real corpora.")
        for name, root in self.roots.items():
            lines.append(f"  {name:8s} {display_path(root)}")
        return "\n".join(lines)


def find_real_corpora() -> dict:
    """Return ``{corpus: folder}`` for each real corpus found (environment variables, then ``data/``)."""
    found = {}
    candidates = {
        "ravdess": [os.environ.get("SER_RAVDESS_DIR"), data_dir() / "ravdess"],
        "cremad": [os.environ.get("SER_CREMAD_DIR"), data_dir() / "cremad"],
    }
    for corpus, paths in candidates.items():
        for candidate in paths:
            if not candidate:
                continue
            folder = Path(candidate).expanduser()
            if _has_audio(folder):
                found[corpus] = folder.resolve()
                break
            if candidate is paths[0]:
                # An explicit environment variable that points at nothing usable is an error,
                # not something to silently replace with synthetic data.
                raise FileNotFoundError(
                    f"SER_{corpus.upper()}_DIR={candidate!s}: no audio files found there"
                )
    return found


def get_data_source(prefer: str | None = None, *, seed: int = 0, verbose: bool = True) -> DataSource:
    """Decide which corpora to use and, for the demo corpus, make sure it exists.

    Parameters
    ----------
    prefer : {"auto", "demo", "real"}, optional
        Overrides ``SER_DATA_SOURCE``.  ``"auto"`` (the default) uses real corpora when present.
    seed : int
        Seed of the demo corpus (same seed, same bytes).
    verbose : bool
        Print :meth:`DataSource.describe`.

    Returns
    -------
    DataSource

    Examples
    --------
    >>> source = get_data_source()          # doctest: +SKIP
    DATA: SYNTHETIC demo corpus: ...
    """
    mode = (prefer or os.environ.get("SER_DATA_SOURCE") or "auto").lower()
    if mode not in {"auto", "demo", "real"}:
        raise ValueError(f"SER_DATA_SOURCE / prefer must be 'auto', 'demo' or 'real', not {mode!r}")
    source = None
    if mode in {"auto", "real"}:
        real = find_real_corpora()
        if real:
            source = DataSource("real", real)
        elif mode == "real":
            raise FileNotFoundError(
                f"no real corpus found: looked in {data_dir() / 'ravdess'} and {data_dir() / 'cremad'} "
                "and in SER_RAVDESS_DIR / SER_CREMAD_DIR. See data/README.md for how to download them."
            )
    if source is None:
        from .demo.corpus import SIZES, ensure_demo_corpus

        size = os.environ.get("SER_DEMO_SIZE") or "small"
        if size not in SIZES:
            raise ValueError(f"SER_DEMO_SIZE must be one of {sorted(SIZES)}, not {size!r}")
        roots = ensure_demo_corpus(demo_dir(size), seed=seed, size=size)
        source = DataSource("demo", roots, size)
    if verbose:
        print(source.describe())
    return source
