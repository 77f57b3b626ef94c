"""The result of extracting features from many files: :class:`FeatureSet`.

Each row carries the key of the clip it comes from: ``index`` (the clip table's index label, or
the position in a list of paths) and, when a clip table was given, its ``speaker``, ``label``,
``corpus``, ``actor`` and ``gender``.  So a caller takes labels and speakers from the rows
themselves, never by position, and a file that could not be used shifts nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .cache import atomic_savez
from .config import FeatureConfig

if TYPE_CHECKING:  # pandas is imported where it is used, keeping `import utils.features` light
    import pandas as pd

KEY_COLUMNS = ("speaker", "label", "corpus", "actor", "gender")
"""Columns of a clip table that every feature row carries (those the table has)."""

ROW_COLUMNS = ["index", "path", "clip_id", "augmentation", "augmented", "duration", "n_valid_frames"]
"""Columns of ``FeatureSet.rows`` before the key columns."""

SKIPPED_COLUMNS = ["index", "path", "augmentation", "reason"]
"""Columns of ``FeatureSet.skipped``."""


@dataclass
class FeatureSet:
    """Features of a list of files, with what was skipped and the configuration that made them.

    Attributes
    ----------
    X : np.ndarray
        ``(n_rows, config.vector_size)`` float32 clip vectors.
    rows : pandas.DataFrame
        One row per row of ``X``: ``index`` (the clip's index label in the table given to
        :func:`~utils.features.extract.extract_corpus`, or its position in a list of paths),
        ``path``, ``clip_id``, ``augmentation`` (``"original"`` or the augmentation's name, e.g.
        ``noise20dB``), ``augmented`` (bool), ``duration`` (seconds of the signal the features
        come from, after trimming and augmentation), ``n_valid_frames`` (real, unpadded frames
        of the sequence), and the clip table's :data:`KEY_COLUMNS`.
    skipped : pandas.DataFrame
        ``index``, ``path``, ``augmentation`` and ``reason`` of every file or augmented copy that
        produced no row; a file that could not be used at all is one line with augmentation
        ``"all"`` (or ``"original"`` when no augmentation was asked for).
    config : FeatureConfig
    frames : np.ndarray, optional
        ``(n_rows, config.n_frames, config.n_frame_features)`` float32 sequences.
    n_computed, n_cached : int
        Rows computed in this call and rows read from the cache.

    Examples
    --------
    >>> fs = extract_corpus(clips, FeatureConfig())                   # doctest: +SKIP
    >>> fs.save("data/derived/features-ravdess")                      # doctest: +SKIP
    >>> fs = FeatureSet.load("data/derived/features-ravdess")         # doctest: +SKIP
    >>> fs.rows[["speaker", "label"]].head()                          # doctest: +SKIP
    """

    X: np.ndarray
    rows: pd.DataFrame
    skipped: pd.DataFrame
    config: FeatureConfig
    frames: np.ndarray | None = None
    n_computed: int = 0
    n_cached: int = 0

    def __len__(self) -> int:
        return len(self.X)

    def __repr__(self) -> str:
        frames = "" if self.frames is None else f", frames {self.frames.shape}"
        return (
            f"FeatureSet({len(self.X)} rows x {self.X.shape[1]} features{frames}, "
            f"{len(self.skipped)} skipped, {self.n_computed} computed, {self.n_cached} from cache, "
            f"config {self.config.fingerprint()})"
        )

    def select(self, mask) -> "FeatureSet":
        """A new FeatureSet with the rows where ``mask`` (boolean or positional) selects."""
        index = np.arange(len(self.X))[np.asarray(mask)]
        return FeatureSet(
            X=self.X[index],
            rows=self.rows.iloc[index].reset_index(drop=True),
            skipped=self.skipped,
            config=self.config,
            frames=None if self.frames is None else self.frames[index],
        )

    def save(self, folder) -> Path:
        """Write ``features.npz`` (X, frames), ``rows.csv``, ``skipped.csv`` and ``config.json``.

        No pickle is involved; :meth:`load` reads the folder back.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {"X": self.X} if self.frames is None else {"X": self.X, "frames": self.frames}
        atomic_savez(folder / "features.npz", arrays)
        self.rows.to_csv(folder / "rows.csv", index=False)
        self.skipped.to_csv(folder / "skipped.csv", index=False)
        self.config.to_json(folder / "config.json")
        return folder

    @classmethod
    def load(cls, folder) -> "FeatureSet":
        """Read a folder written by :meth:`save`, checking that its parts agree."""
        folder = Path(folder)
        for name in ("features.npz", "rows.csv", "skipped.csv", "config.json"):
            if not (folder / name).is_file():
                raise FileNotFoundError(f"{folder}: {name} missing; not a folder written by FeatureSet.save")
        import pandas as pd

        config = FeatureConfig.from_json(folder / "config.json")
        with np.load(folder / "features.npz", allow_pickle=False) as data:
            X = data["X"]
            frames = data["frames"] if "frames" in data.files else None
        rows = pd.read_csv(folder / "rows.csv", dtype={"path": str, "clip_id": str, "augmentation": str, "speaker": str, "label": str, "corpus": str, "gender": str})
        skipped = pd.read_csv(folder / "skipped.csv", dtype={"path": str, "augmentation": str, "reason": str})
        if X.ndim != 2 or X.shape != (len(rows), config.vector_size):
            raise ValueError(f"{folder}: X has shape {X.shape}, expected ({len(rows)}, {config.vector_size})")
        if frames is not None and frames.shape != (len(rows), *config.frame_shape):
            raise ValueError(f"{folder}: frames have shape {frames.shape}, expected ({len(rows)}, {config.frame_shape})")
        return cls(X=X, rows=rows, skipped=skipped, config=config, frames=frames)

