"""Scanning a corpus folder into one tidy table: one row per clip, labels parsed from file names.

Both corpora encode their labels in the file name (see :mod:`utils.data.corpora` for the codes).
:func:`scan_corpus` walks any folder layout (Zenodo's ``Actor_XX/`` folders, a flat folder, both
corpora side by side), parses every name, reads every audio header, and returns the table together
with a second table of the files it skipped and why.  Nothing is dropped silently.
:func:`scan_recordings` does the same for your own recordings, whose names follow no corpus scheme:
the same table, with the labels left empty or taken from a labels table you supply.

Examples
--------
>>> result = scan_corpus("data/demo")             # doctest: +SKIP
>>> result.table.groupby(["corpus", "emotion"]).size()  # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..core.files import file_digest, walk_files
from .audio import AUDIO_SUFFIXES, AudioError, audio_info, load_audio
from .corpora import DEMOGRAPHICS_FILE, EMOTIONS_SHARED, parse_name, speaker_key

COLUMNS = [
    "path", "file", "corpus", "actor", "speaker", "gender", "emotion", "intensity",
    "statement", "repetition", "channel", "duration", "sample_rate", "channels",
]


OWN_CORPUS = "own"
"""The ``corpus`` of recordings scanned with :func:`scan_recordings` (names in no corpus scheme)."""

LABEL_COLUMNS = ("speaker", "gender", "emotion", "intensity", "statement")
"""Columns a labels file given to :func:`scan_recordings` may fill in."""


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
        paths = [str(p) for p in [*self.table["path"], *self.skipped["path"]] if Path(str(p)).is_absolute()]
        base = Path(os.path.commonpath(paths)) if paths else None
        if base is not None and base.is_file():
            base = base.parent
        for _, row in self.skipped.iterrows():
            path = Path(row["path"])
            shown = path.relative_to(base).as_posix() if base is not None and path.is_relative_to(base) and path != base else path.name
            lines.append(f"  {shown}: {row['reason']}")
        return "\n".join(lines)


def _as_roots(roots) -> list[Path]:
    """Accept a path, a list of paths, or a ``{name: path}`` mapping (e.g. ``DataSource.roots``)."""
    if isinstance(roots, dict):
        roots = list(roots.values())
    elif isinstance(roots, (str, Path)):
        roots = [roots]
    return [Path(r).expanduser() for r in roots]


def _list_files(root: Path) -> list[Path]:
    """Everything below ``root`` but folders, sorted (linked sub-folders followed,
    :func:`utils.core.files.walk_files`), after checking that the folder exists and is not empty."""
    if not root.exists():
        raise CorpusError(f"corpus folder {root} does not exist; expected a folder of RAVDESS or CREMA-D audio files")
    if not root.is_dir():
        raise CorpusError(f"{root} is not a folder; expected a folder of RAVDESS or CREMA-D audio files")
    files = walk_files(root, hidden=True)  # hidden files too: they are reported as skipped
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


def _classify(path: Path, read_samples: bool, parse: bool = True):
    """Return ``(row, None)`` for a usable clip or ``(None, reason)`` for a skipped file.

    With ``parse`` the labels come from the file name (RAVDESS or CREMA-D); without, any name is
    accepted and the label columns stay empty.
    """
    if path.name.startswith("."):
        return None, "hidden system file, not audio"
    if path.suffix.lower() not in AUDIO_SUFFIXES:
        return None, f"not an audio file ({path.suffix or 'no extension'})"
    if parse:
        try:
            labels = parse_name(path)
        except ValueError as exc:
            return None, str(exc)
    else:
        labels = {"corpus": OWN_CORPUS}
    try:
        facts = _check_audio(path, read_samples)
    except AudioError as exc:
        return None, exc.reason
    digest = file_digest(path, "blake2b-128")
    return {"path": str(path), "file": path.name, **labels, **facts, "_content": digest}, None


def _check_all(files: list, read_samples: bool, parse: bool, n_jobs, progress: bool) -> list:
    """:func:`_classify` of every file, in this process or in joblib workers."""
    iterator = files
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(files, desc="checking files", unit="file")
    if n_jobs in (None, 1):
        return [_classify(p, read_samples, parse) for p in iterator]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n_jobs, batch_size=32)(delayed(_classify)(p, read_samples, parse) for p in iterator)


def _keep_unique(files: list, results: list, same_name_is_duplicate: bool) -> tuple:
    """Usable rows and skipped files; duplicates (same name, or byte-identical) are skipped with the reason."""
    rows, skipped, seen, contents = [], [], {}, {}
    for path, (row, reason) in zip(files, results):
        if row is not None and same_name_is_duplicate and row["file"] in seen:
            row, reason = None, f"duplicate of {seen[row['file']]}"
        elif row is not None and row["_content"] in contents:
            row, reason = None, f"same audio as {contents[row['_content']]} (byte-identical file)"
        if row is None:
            skipped.append({"path": str(path), "reason": reason})
            continue
        seen[row["file"]] = row["path"]
        contents[row["_content"]] = row["file"]
        rows.append(row)
    return rows, skipped


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

    results = _check_all(files, read_samples, True, n_jobs, progress)
    rows, skipped = _keep_unique(files, results, same_name_is_duplicate=True)

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


def _read_labels(labels) -> pd.DataFrame:
    """A labels table (CSV path or DataFrame) with a ``file`` column and some of :data:`LABEL_COLUMNS`."""
    frame = labels.copy() if isinstance(labels, pd.DataFrame) else pd.read_csv(labels, dtype=str, keep_default_na=False)
    where = "labels" if isinstance(labels, pd.DataFrame) else str(labels)
    if "file" not in frame.columns:
        raise CorpusError(f"{where}: a labels table needs a 'file' column (a file name, or a path relative to the folder)")
    known = [c for c in frame.columns if c in LABEL_COLUMNS]
    if not known:
        raise CorpusError(f"{where}: no label column; give at least one of {list(LABEL_COLUMNS)}")
    if frame["file"].duplicated().any():
        raise CorpusError(f"{where}: files listed twice: {sorted(frame.loc[frame['file'].duplicated(), 'file'])[:5]}")
    return frame[["file", *known]].astype({"file": str})


def scan_recordings(roots, *, labels=None, speaker_from_folder: bool = False, read_samples: bool = True, n_jobs: int = 1, progress: bool = False) -> ScanResult:
    """Find and check every recording below one or more folders, whatever the file names.

    For your own recordings (interviews, a study's speech samples): every audio file
    (:data:`utils.data.audio.AUDIO_SUFFIXES`) is a clip, the table has the columns of
    :func:`scan_corpus` with ``corpus`` ``"own"``, and the label columns stay empty unless a labels
    table fills them in.  Files that cannot be used are in ``skipped`` with the reason, as for
    :func:`scan_corpus`; two files with the same name in different folders are both kept.

    Parameters
    ----------
    roots : str, Path, list or dict
        Folder(s), searched recursively.
    labels : str, Path or pandas.DataFrame, optional
        A CSV file (or table) with a ``file`` column (the file name, or its path relative to the
        folder) and any of :data:`LABEL_COLUMNS` (e.g. ``speaker``, ``emotion`` from your own
        annotation).  Listed files that are not found are reported in ``skipped``.
    speaker_from_folder : bool
        Take each file's speaker from the name of the folder holding it (a layout of one folder
        per participant), where the labels table gives none.
    read_samples, n_jobs, progress
        As for :func:`scan_corpus`.

    Returns
    -------
    ScanResult

    Raises
    ------
    CorpusError
        A folder is missing or empty, no file is usable audio, or the labels table is malformed.

    Examples
    --------
    >>> result = scan_recordings("interviews/", labels="annotations.csv")    # doctest: +SKIP
    >>> result.table[["file", "speaker", "emotion", "duration"]].head()      # doctest: +SKIP
    """
    folders = _as_roots(roots)
    files = [(folder, path) for folder in folders for path in _list_files(folder)]
    results = _check_all([p for _, p in files], read_samples, False, n_jobs, progress)
    rows, skipped = _keep_unique([p for _, p in files], results, same_name_is_duplicate=False)
    if not rows:
        where = ", ".join(str(f) for f in folders)
        examples = "; ".join(f"{Path(s['path']).name}: {s['reason']}" for s in skipped[:3])
        raise CorpusError(f"no usable audio files found in {where} ({len(files)} files checked, e.g. {examples})")
    table = pd.DataFrame(rows)
    root_of = {str(p): folder for folder, p in files}
    table["relative"] = [Path(p).relative_to(root_of[p]).as_posix() for p in table["path"]]
    for column in ("actor", *LABEL_COLUMNS, "repetition", "channel"):
        table[column] = pd.NA
    if speaker_from_folder:
        table["speaker"] = [Path(r).parent.name or pd.NA for r in table["relative"]]
    if labels is not None:
        given = _read_labels(labels).set_index("file")
        # a row of the labels table names a file by its relative path or, failing that, its name
        keys = pd.Series([rel if rel in given.index else name if name in given.index else None for rel, name in zip(table["relative"], table["file"])])
        for column in given.columns:
            values = keys.map(given[column]).replace("", pd.NA)
            table[column] = values.where(values.notna(), table[column])
        for missing in sorted(set(given.index) - set(keys.dropna())):
            skipped.append({"path": str(missing), "reason": "listed in the labels table but not found"})
    table = table[COLUMNS].sort_values("path", kind="stable").reset_index(drop=True)
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
