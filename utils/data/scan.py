"""Scanning a corpus folder into one tidy table: one row per clip, labels parsed from file names.

Both corpora encode their labels in the file name (see :mod:`utils.data.corpora` for the codes).
:func:`scan_corpus` walks any folder layout (Zenodo's ``Actor_XX/`` folders, a flat folder, both
corpora side by side), parses every name, reads every audio header, and returns the table together
with a second table of the files it skipped and why.  Nothing is dropped silently.

Examples
--------
>>> result = scan_corpus("data/demo")             # doctest: +SKIP
>>> result.table.groupby(["corpus", "emotion"]).size()  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..core.files import file_digest
from .audio import AUDIO_SUFFIXES, AudioError, audio_info, load_audio
from .corpora import DEMOGRAPHICS_FILE, EMOTIONS_SHARED, parse_name, speaker_key

COLUMNS = [
    "path", "file", "corpus", "actor", "speaker", "gender", "emotion", "intensity",
    "statement", "repetition", "channel", "duration", "sample_rate", "channels",
]


class CorpusError(ValueError):
    """A corpus folder that cannot be used (missing, empty, or without recognised clips)."""


def read_demographics(path) -> dict:
    """Read CREMA-D's ``VideoDemographics.csv`` into ``{actor: "male" | "female"}``."""
    frame = pd.read_csv(path)
    missing = {"ActorID", "Sex"} - set(frame.columns)
    if missing:
        raise CorpusError(f"{path}: expected columns ActorID and Sex, missing {sorted(missing)}")
    return {int(a): str(s).strip().lower() for a, s in zip(frame["ActorID"], frame["Sex"])}


@dataclass
class ScanResult:
    """What :func:`scan_corpus` found.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per usable clip, columns :data:`COLUMNS`.
    skipped : pandas.DataFrame
        One row per file that was not used, columns ``path`` and ``reason``.
    """

    table: pd.DataFrame
    skipped: pd.DataFrame

    def report(self) -> str:
        """A short text summary: clips per corpus, and skipped files with their reasons."""
        lines = [f"{len(self.table)} clips"]
        if len(self.table):
            for corpus, n in self.table["corpus"].value_counts().sort_index().items():
                lines.append(f"  {corpus:8s} {n:5d} clips, {self.table.loc[self.table.corpus == corpus, 'speaker'].nunique()} speakers")
        lines.append(f"{len(self.skipped)} files skipped")
        for _, row in self.skipped.iterrows():
            lines.append(f"  {Path(row['path']).name}: {row['reason']}")
        return "\n".join(lines)


def _as_roots(roots) -> list[Path]:
    """Accept a path, a list of paths, or a ``{name: path}`` mapping (e.g. ``DataSource.roots``)."""
    if isinstance(roots, dict):
        roots = list(roots.values())
    elif isinstance(roots, (str, Path)):
        roots = [roots]
    return [Path(r).expanduser() for r in roots]


def _list_files(root: Path) -> list[Path]:
    """All files below ``root``, sorted, after checking that the folder exists and is not empty."""
    if not root.exists():
        raise CorpusError(f"corpus folder {root} does not exist; expected a folder of RAVDESS or CREMA-D audio files")
    if not root.is_dir():
        raise CorpusError(f"{root} is not a folder; expected a folder of RAVDESS or CREMA-D audio files")
    files = sorted(p for p in root.rglob("*") if p.is_file())
    if not files:
        raise CorpusError(f"corpus folder {root} is empty; expected RAVDESS (.wav/.flac named like 03-01-05-02-01-01-16.wav) or CREMA-D (1001_DFA_ANG_XX.wav) files")
    return files


def _check_audio(path: Path, read_samples: bool) -> dict:
    """Header facts of one clip; with ``read_samples`` also decode it to catch truncation and silence."""
    info = audio_info(path)
    if read_samples:
        load_audio(path, mono=True)  # raises AudioError for truncated, empty or silent files
    elif info["frames"] == 0:
        raise AudioError(path, "holds no audio samples")
    return {"duration": round(info["duration"], 4), "sample_rate": info["sample_rate"], "channels": info["channels"]}


def _classify(path: Path, read_samples: bool):
    """Return ``(row, None)`` for a usable clip or ``(None, reason)`` for a skipped file."""
    if path.name.startswith("."):
        return None, "hidden system file, not audio"
    if path.suffix.lower() not in AUDIO_SUFFIXES:
        return None, f"not an audio file ({path.suffix or 'no extension'})"
    try:
        labels = parse_name(path)
    except ValueError as exc:
        return None, str(exc)
    try:
        facts = _check_audio(path, read_samples)
    except AudioError as exc:
        return None, exc.reason
    digest = file_digest(path, "blake2b-128")
    return {"path": str(path), "file": path.name, **labels, **facts, "_content": digest}, None


def scan_corpus(roots, *, read_samples: bool = True, n_jobs: int = 1, progress: bool = False) -> ScanResult:
    """Find, parse and check every clip below one or more corpus folders.

    Parameters
    ----------
    roots : str, Path, list or dict
        Corpus folder(s); any layout, searched recursively.
    read_samples : bool
        Decode every clip to catch truncated and silent files (slower); ``False`` reads headers only.
    n_jobs : int
        Parallel workers (joblib) for checking the files; ``-1`` uses all cores.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    ScanResult
        ``table`` of usable clips and ``skipped`` files with reasons.

    Raises
    ------
    CorpusError
        A folder is missing or empty, or no file in any folder follows a known naming scheme.
    """
    folders = _as_roots(roots)
    files, demographics = [], {}
    for folder in folders:
        for path in _list_files(folder):
            if path.name == DEMOGRAPHICS_FILE:
                demographics.update(read_demographics(path))
            else:
                files.append(path)

    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(files, desc="checking files", unit="file")
    else:
        iterator = files
    if n_jobs == 1:
        results = [_classify(p, read_samples) for p in iterator]
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs, batch_size=32)(delayed(_classify)(p, read_samples) for p in iterator)

    rows, skipped, seen, contents = [], [], {}, {}
    for path, (row, reason) in zip(files, results):
        if row is not None and row["file"] in seen:
            row, reason = None, f"duplicate of {seen[row['file']]}"
        elif row is not None and row["_content"] in contents:
            row, reason = None, f"same audio as {contents[row['_content']]} (byte-identical file)"
        if row is None:
            skipped.append({"path": str(path), "reason": reason})
            continue
        seen[row["file"]] = row["path"]
        contents[row["_content"]] = row["file"]
        rows.append(row)

    if not rows:
        where = ", ".join(str(f) for f in folders)
        examples = "; ".join(f"{Path(s['path']).name}: {s['reason']}" for s in skipped[:3])
        raise CorpusError(
            f"no usable RAVDESS or CREMA-D clips found in {where} ({len(files)} files checked, "
            f"{len(skipped)} skipped, e.g. {examples}); expected names like 03-01-05-02-01-01-16.wav "
            "or 1001_DFA_ANG_XX.wav"
        )
    table = pd.DataFrame(rows)
    cremad = table["corpus"] == "cremad"
    if cremad.any() and demographics:
        table.loc[cremad, "gender"] = table.loc[cremad, "actor"].map(demographics).fillna("unknown")
    table["speaker"] = [speaker_key(c, a) for c, a in zip(table["corpus"], table["actor"])]
    table = table[COLUMNS].sort_values(["corpus", "actor", "file"], kind="stable").reset_index(drop=True)
    return ScanResult(table=table, skipped=pd.DataFrame(skipped, columns=["path", "reason"]))


def assign_labels(table: pd.DataFrame, labels: str = "auto", *, calm: str = "neutral") -> pd.DataFrame:
    """Add a ``label`` column: the emotion in the label set the model will learn.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`scan_corpus`.
    labels : {"auto", "ravdess8", "shared6"}
        ``ravdess8`` keeps RAVDESS's eight emotions (RAVDESS-only tables).  ``shared6`` keeps the
        six emotions both corpora share: *surprised* exists only in RAVDESS and is dropped, and
        *calm* is merged into *neutral* (``calm="neutral"``) or dropped (``calm="drop"``).
        ``auto`` picks ``ravdess8`` when only RAVDESS is present, ``shared6`` otherwise.
    calm : {"neutral", "drop"}
        What ``shared6`` does with RAVDESS's calm clips.

    Returns
    -------
    pandas.DataFrame
        A copy of the rows that have a label in the chosen set, with ``label`` added.
    """
    if labels == "auto":
        labels = "ravdess8" if set(table["corpus"]) == {"ravdess"} else "shared6"
    if labels == "ravdess8":
        if "cremad" in set(table["corpus"]):
            raise ValueError("labels='ravdess8' needs a RAVDESS-only table: CREMA-D has no calm or surprised clips")
        out = table.copy()
        out["label"] = out["emotion"]
        return out
    if labels != "shared6":
        raise ValueError(f"labels must be 'auto', 'ravdess8' or 'shared6', not {labels!r}")
    if calm not in {"neutral", "drop"}:
        raise ValueError(f"calm must be 'neutral' or 'drop', not {calm!r}")
    out = table.copy()
    out["label"] = out["emotion"].replace({"calm": "neutral"} if calm == "neutral" else {})
    return out[out["label"].isin(EMOTIONS_SHARED)].reset_index(drop=True)
