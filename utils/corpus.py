"""Scanning a corpus folder into one tidy table: one row per clip, labels parsed from file names.

Both corpora encode their labels in the file name:

RAVDESS  ``03-01-05-02-01-01-16.wav``
    modality (03 audio-only) - vocal channel (01 speech, 02 song) - emotion (01-08) -
    intensity (01 normal, 02 strong) - statement (01, 02) - repetition (01, 02) - actor (01-24).
    Odd-numbered actors are male, even-numbered actors female.
CREMA-D  ``1001_DFA_ANG_XX.wav``
    actor (1001-1091) _ sentence (12 codes) _ emotion (ANG DIS FEA HAP NEU SAD) _
    level (LO, MD, HI, XX unspecified).  Sex comes from the corpus's ``VideoDemographics.csv``.

:func:`scan_corpus` walks any folder layout (Zenodo's ``Actor_XX/`` folders, a flat folder, both
corpora side by side), parses every name, reads every audio header, and returns the table together
with a second table of the files it skipped and why.  Nothing is dropped silently.

Examples
--------
>>> result = scan_corpus("data/demo")             # doctest: +SKIP
>>> result.table.groupby(["corpus", "emotion"]).size()  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .audio import AudioError, audio_info, load_audio
from .sources import AUDIO_EXTENSIONS

RAVDESS_EMOTIONS = {
    "01": "neutral", "02": "calm", "03": "happy", "04": "sad",
    "05": "angry", "06": "fearful", "07": "disgust", "08": "surprised",
}
RAVDESS_INTENSITIES = {"01": "normal", "02": "strong"}
RAVDESS_STATEMENTS = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}
RAVDESS_CHANNELS = {"01": "speech", "02": "song"}

CREMAD_EMOTIONS = {"ANG": "angry", "DIS": "disgust", "FEA": "fearful", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}
CREMAD_LEVELS = {"LO": "low", "MD": "medium", "HI": "high", "XX": "unspecified"}
CREMAD_SENTENCES = {
    "IEO": "It's eleven o'clock",
    "TIE": "That is exactly what happened",
    "IOM": "I'm on my way to the meeting",
    "IWW": "I wonder what this is about",
    "TAI": "The airplane is almost full",
    "MTI": "Maybe tomorrow it will be cold",
    "IWL": "I would like a new alarm clock",
    "ITH": "I think I have a doctor's appointment",
    "DFA": "Don't forget a jacket",
    "ITS": "I think I've seen this before",
    "TSI": "The surface is slick",
    "WSI": "We'll stop in a couple of minutes",
}

EMOTIONS_RAVDESS = list(RAVDESS_EMOTIONS.values())
"""The eight RAVDESS emotions, in the corpus's code order."""
EMOTIONS_SHARED = ["neutral", "happy", "sad", "angry", "fearful", "disgust"]
"""The six emotions both corpora share: the label set used when they are combined."""

COLUMNS = [
    "path", "file", "corpus", "actor", "speaker", "gender", "emotion", "intensity",
    "statement", "repetition", "channel", "duration", "sample_rate", "channels",
]

_RAVDESS_RE = re.compile(r"^(0[1-3])-(0[12])-(0[1-8])-(0[12])-(0[12])-(0[12])-(\d{2})$")
_CREMAD_RE = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$")
DEMOGRAPHICS_FILE = "VideoDemographics.csv"


class CorpusError(ValueError):
    """A corpus folder that cannot be used (missing, empty, or without recognised clips)."""


def parse_ravdess_name(stem: str) -> dict:
    """Parse a RAVDESS file name (without extension) into labels.

    Raises
    ------
    ValueError
        If the name does not follow ``MM-VV-EE-II-SS-RR-AA`` with valid codes.

    Examples
    --------
    >>> parse_ravdess_name("03-01-05-02-01-01-16")["emotion"]
    'angry'
    """
    match = _RAVDESS_RE.match(stem)
    if not match:
        raise ValueError("name does not follow the RAVDESS scheme MM-VV-EE-II-SS-RR-AA")
    modality, channel, emotion, intensity, statement, repetition, actor = match.groups()
    if not 1 <= int(actor) <= 99:
        raise ValueError(f"RAVDESS actor number {actor} is out of range")
    if emotion == "01" and intensity == "02":
        raise ValueError("RAVDESS neutral clips have no strong intensity (code 02)")
    return {
        "corpus": "ravdess",
        "actor": int(actor),
        "gender": "male" if int(actor) % 2 else "female",
        "emotion": RAVDESS_EMOTIONS[emotion],
        "intensity": RAVDESS_INTENSITIES[intensity],
        "statement": RAVDESS_STATEMENTS[statement],
        "repetition": int(repetition),
        "channel": RAVDESS_CHANNELS[channel],
    }


def parse_cremad_name(stem: str) -> dict:
    """Parse a CREMA-D file name (without extension) into labels.

    Raises
    ------
    ValueError
        If the name does not follow ``AAAA_SSS_EMO_LV`` with known codes.

    Examples
    --------
    >>> parse_cremad_name("1001_DFA_ANG_XX")["statement"]
    "Don't forget a jacket"
    """
    match = _CREMAD_RE.match(stem)
    if not match:
        raise ValueError("name does not follow the CREMA-D scheme AAAA_SSS_EMO_LV")
    actor, sentence, emotion, level = match.groups()
    for code, known, what in ((sentence, CREMAD_SENTENCES, "sentence"), (emotion, CREMAD_EMOTIONS, "emotion"), (level, CREMAD_LEVELS, "level")):
        if code not in known:
            raise ValueError(f"unknown CREMA-D {what} code {code!r}")
    return {
        "corpus": "cremad",
        "actor": int(actor),
        "gender": "unknown",
        "emotion": CREMAD_EMOTIONS[emotion],
        "intensity": CREMAD_LEVELS[level],
        "statement": CREMAD_SENTENCES[sentence],
        "repetition": 1,
        "channel": "speech",
    }


def parse_name(path) -> dict:
    """Parse a clip's labels from its file name, trying both naming schemes.

    Raises
    ------
    ValueError
        If the name follows neither scheme; the message shows both expected forms.
    """
    stem = Path(path).stem
    if _RAVDESS_RE.match(stem):
        return parse_ravdess_name(stem)
    if _CREMAD_RE.match(stem):
        return parse_cremad_name(stem)
    if "-" in stem and stem[:2].isdigit():
        return parse_ravdess_name(stem)  # raises with the precise reason
    if "_" in stem and stem[:4].isdigit():
        return parse_cremad_name(stem)
    raise ValueError(
        "name follows neither the RAVDESS scheme (e.g. 03-01-05-02-01-01-16.wav) "
        "nor the CREMA-D scheme (e.g. 1001_DFA_ANG_XX.wav)"
    )


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
    if path.suffix.lower() not in AUDIO_EXTENSIONS:
        return None, f"not an audio file ({path.suffix or 'no extension'})"
    try:
        labels = parse_name(path)
    except ValueError as exc:
        return None, str(exc)
    try:
        facts = _check_audio(path, read_samples)
    except AudioError as exc:
        return None, exc.reason
    digest = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
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
    table["speaker"] = [f"{c}:{a:02d}" for c, a in zip(table["corpus"], table["actor"])]
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


def label_order(labels) -> list[str]:
    """The course's fixed order of class names for the labels present (for tables and plots)."""
    present = set(labels)
    return [e for e in EMOTIONS_RAVDESS if e in present] + sorted(present - set(EMOTIONS_RAVDESS))
