"""Running a trained model bundle on new audio: one clip, or many clips (files and folders).

The features are computed exactly as at training time: every function reads the
:class:`~utils.features.config.FeatureConfig` stored in the bundle and uses
:func:`utils.features.clip.load_clip` and :mod:`utils.features.inputs` with it.

:func:`predict_emotion`
    One file: the emotion, its probability and all class probabilities.
:func:`predict_folder`
    Many files: features from :func:`utils.features.extract.extract_corpus` (no cache) while the
    model loads in a background thread, then the model on batches.  Files that cannot be used are
    listed with the reason; all others are predicted.

With several clips of the same speaker, :func:`predict_folder` can use the bundle's
speaker-adapted model (``speakers=`` or ``speaker=``): each speaker's inputs are z-scored with
that speaker's own statistics (:func:`utils.learn.scaling.speaker_normalize`, no labels used) before
the adapted model sees them.  A speaker with less speech than the bundle's
``min_speech_seconds`` gets the single-clip model instead, and the results say so.

Long recordings are :mod:`utils.predict.timeline`'s; the command line is :mod:`utils.predict.cli`
(``python -m utils.predict --help``).

Examples
--------
>>> predict_emotion("clip.wav", "models/demo")["emotion"]                 # doctest: +SKIP
'angry'
>>> results, skipped = predict_folder("my_recordings/", "models/demo")    # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.files import walk_files
from ..core.parallel import effective_workers, single_blas_thread
from ..core.paths import PROJECT_ROOT
from ..data.audio import AUDIO_SUFFIXES, AudioError
from ..data.quality import LONG_CLIP_SECONDS, audio_quality, flag_counts, quality_flags
from ..features.clip import load_clip
from ..features.extract import extract_corpus
from ..features.inputs import FRAME_KINDS
from ..features.prosody import voiced_frame_count
from .bundle import Bundle, BundleError, load_bundle

DEFAULT_BUNDLE = PROJECT_ROOT / "models" / "demo"
"""The bundle used when none is named (written by the course's training notebook)."""


_CACHE: dict = {}


def get_bundle(bundle=None, *, background: bool = False) -> Bundle:
    """A :class:`~utils.predict.bundle.Bundle` from a bundle or a folder (``None``: :data:`DEFAULT_BUNDLE`).

    Folders are loaded once and kept while their files are unchanged, so calling
    :func:`predict_emotion` in a loop does not reload the model each time.  With ``background``
    the model loads in a thread (see :func:`utils.predict.bundle.load_bundle`) while features are computed.

    Raises
    ------
    BundleError
        The folder is not a usable bundle.
    """
    if isinstance(bundle, Bundle):
        return bundle
    if not isinstance(bundle, (str, os.PathLike)) and bundle is not None:
        raise TypeError(f"bundle must be a Bundle or a folder path, not {type(bundle).__name__}")
    folder = Path(DEFAULT_BUNDLE if bundle is None else bundle)
    try:
        stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.iterdir()))
    except OSError:
        stamp = None
    key = str(folder.resolve())
    cached = _CACHE.get(key)
    if cached is not None and stamp is not None and cached[0] == stamp:
        return cached[1]
    loaded = load_bundle(folder, background=background)
    _CACHE.clear()
    _CACHE[key] = (stamp, loaded)
    return loaded


def collect_inputs(paths_or_folder) -> tuple:
    """The files to predict, and every other path met with the reason it is not predicted.

    Files named explicitly are always taken (the decoder says if one is not audio).  Folders are
    searched recursively, following linked sub-folders (:func:`utils.core.files.walk_files`;
    hidden files and folders are left out): files with one of
    :data:`utils.data.audio.AUDIO_SUFFIXES` are taken, every other file is reported (e.g. an
    ``.m4a`` the decoder cannot read), and so is a folder without any audio file.  Nothing given
    is dropped without a word.

    Parameters
    ----------
    paths_or_folder : str, Path or sequence of them
        Files and/or folders.

    Returns
    -------
    files : list of Path
        In the order given, each folder's files sorted; duplicates removed.
    skipped : pandas.DataFrame
        ``path`` and ``reason`` of the files and folders not taken.

    Raises
    ------
    FileNotFoundError
        Nothing was given.
    """
    if isinstance(paths_or_folder, (str, os.PathLike)):
        paths_or_folder = [paths_or_folder]
    items = [Path(p) for p in paths_or_folder]
    if not items:
        raise FileNotFoundError("no files or folders given")
    files, seen, skipped = [], set(), []
    for item in items:
        found = [item]
        if item.is_dir():
            entries = walk_files(item)
            found = [p for p in entries if p.suffix.lower() in AUDIO_SUFFIXES]
            skipped += [{"path": str(p), "reason": _not_audio(p)} for p in entries if p.suffix.lower() not in AUDIO_SUFFIXES]
            if not found:
                skipped.append({"path": str(item), "reason": f"no audio files ({', '.join(AUDIO_SUFFIXES)}) in this folder or below it"})
        for p in found:
            if p not in seen:
                seen.add(p)
                files.append(p)
    return files, pd.DataFrame(skipped, columns=["path", "reason"])


def _not_audio(path: Path) -> str:
    """Why a file in a searched folder is not predicted."""
    suffix = path.suffix.lower() or "no extension"
    return f"not an audio file the course reads ({suffix}); convert it to WAV or FLAC (e.g. ffmpeg -i in{path.suffix} out.wav) if it is audio"


def audio_files(paths_or_folder) -> list:
    """The files to predict (:func:`collect_inputs`), or an error if there are none.

    Raises
    ------
    FileNotFoundError
        No file to predict; the message gives the reason for each path given.
    """
    files, skipped = collect_inputs(paths_or_folder)
    _some_files(files, skipped)
    return files


def _some_files(files: list, skipped: pd.DataFrame) -> None:
    """Raise FileNotFoundError naming each folder without audio if there is no file at all."""
    if not files:
        empty = skipped[skipped["reason"].str.startswith("no audio files")]
        raise FileNotFoundError("; ".join(f"{r.path}: {r.reason}" for r in empty.itertuples()) or "no files to predict")


def result_row(probabilities: np.ndarray, labels: list) -> dict:
    """``emotion``, ``confidence`` and one probability per class, for one prediction."""
    best = int(np.argmax(probabilities))
    return {"emotion": labels[best], "confidence": float(probabilities[best]), **{c: float(p) for c, p in zip(labels, probabilities)}}


# --------------------------------------------------------------------------------------------
# One clip, many clips
# --------------------------------------------------------------------------------------------


def file_quality(path, config, y=None) -> dict:
    """A file's quality measures (:func:`utils.data.quality.audio_quality`) and its voiced frames.

    ``voiced_frames`` counts the voiced frames (:func:`utils.features.prosody.voiced_frame_count`,
    with the bundle's voicing settings) of the clip as the features see it (``y``, or the file read
    with :func:`~utils.features.clip.load_clip`, its first :data:`~utils.data.quality.LONG_CLIP_SECONDS`
    seconds for a long one); it is left out if the clip cannot be read.
    """
    measures = audio_quality(path)
    try:
        if y is None:
            limit = min(config.duration or LONG_CLIP_SECONDS, LONG_CLIP_SECONDS)
            y = load_clip(path, dataclasses.replace(config, duration=limit))
        measures["voiced_frames"] = voiced_frame_count(y, config)
    except (AudioError, ValueError):
        pass
    return measures


def predict_emotion(path, bundle=None) -> dict:
    """Predict the emotion of one audio file.

    Parameters
    ----------
    path : str or Path
        An audio file (WAV, FLAC, ...), read and trimmed as the training clips were.
    bundle : Bundle, str or Path, optional
        A loaded bundle or its folder; default :data:`DEFAULT_BUNDLE` (``models/demo``).

    Returns
    -------
    dict
        ``emotion`` (str), ``confidence`` (its probability), ``probabilities``
        (``{class: probability}`` in the bundle's label order) and ``flags`` (list of what makes
        the answer doubtful, :func:`utils.data.quality.quality_flags`; empty if nothing).

    Raises
    ------
    AudioError
        The file is missing, not decodable, silent or too short; the message names it.
    BundleError
        The bundle cannot be used.

    Examples
    --------
    >>> out = predict_emotion("data/demo/RAVDESS-demo-synthetic/Actor_01/03-01-05-02-01-01-01.wav")  # doctest: +SKIP
    >>> out["emotion"], round(out["confidence"], 2)                                                      # doctest: +SKIP
    ('angry', 0.87)
    """
    b = get_bundle(bundle)
    with single_blas_thread():
        y = load_clip(path, b.config)
        features = b.features(y)
    p = b.predict_proba(features)[0]
    row = result_row(p, b.labels)
    return {
        "emotion": row["emotion"], "confidence": row["confidence"], "probabilities": {c: float(v) for c, v in zip(b.labels, p)},
        "flags": quality_flags(file_quality(path, b.config, y)),
    }


SINGLE_CLIP, ADAPTED = "single-clip", "speaker-adapted"
"""Values of the ``model`` column of :func:`predict_folder`'s results."""


def _relative_names(files: list, items: list) -> list:
    """Each file's path relative to the folder it was found in (its name when given directly)."""
    folders = [Path(i) for i in items if Path(i).is_dir()]
    out = []
    for f in files:
        rel = next((f.relative_to(d).as_posix() for d in folders if f.is_relative_to(d)), f.name)
        out.append(rel)
    return out


def resolve_speakers(files, items=None, *, speakers=None, speaker=None) -> list:
    """The speaker of every file, from one of three sources.

    Parameters
    ----------
    files : list of Path
        The files (:func:`audio_files`).
    items : list, optional
        The files and folders they were found from (for paths relative to a folder).
    speakers : "folder", str, Path, pandas.DataFrame or dict, optional
        ``"folder"``: the name of the folder holding each file (one folder per speaker).  A CSV
        file or table with a ``file`` column (a file name, or a path relative to the folder
        given) and a ``speaker`` column, or a dict ``{file: speaker}`` with the same keys.
    speaker : str, optional
        One speaker for all the files.

    Returns
    -------
    list
        One speaker name per file; ``None`` for a file the table does not list.

    Raises
    ------
    ValueError
        Both or neither of ``speakers`` and ``speaker``, or a table without the needed columns.
    """
    files = [Path(f) for f in files]
    if (speakers is None) == (speaker is None):
        raise ValueError("give either speakers (a table, a dict or 'folder') or speaker (one name for all files)")
    if speaker is not None:
        if not str(speaker).strip():
            raise ValueError("speaker must be a non-empty name")
        return [str(speaker)] * len(files)
    if isinstance(speakers, str) and speakers == "folder":
        return [f.parent.name or None for f in files]
    if isinstance(speakers, dict):
        table = pd.DataFrame({"file": list(map(str, speakers)), "speaker": list(map(str, speakers.values()))})
        where = "speakers"
    else:
        table = speakers.copy() if isinstance(speakers, pd.DataFrame) else pd.read_csv(speakers, dtype=str, keep_default_na=False)
        where = "speakers" if isinstance(speakers, pd.DataFrame) else str(speakers)
    if "file" not in table.columns or "speaker" not in table.columns:
        raise ValueError(f"{where}: a speakers table needs a 'file' column (a file name, or a path relative to the folder) and a 'speaker' column")
    if table["file"].duplicated().any():
        raise ValueError(f"{where}: files listed twice: {sorted(table.loc[table['file'].duplicated(), 'file'])[:5]}")
    given = dict(zip(table["file"].astype(str), table["speaker"].astype(str)))
    relative = _relative_names(files, items or [])
    out = []
    for f, rel in zip(files, relative):
        value = given.get(rel, given.get(str(f), given.get(f.name)))
        out.append(value if value else None)
    return out


def speaker_summary(speakers, seconds, min_seconds: float) -> pd.DataFrame:
    """Per speaker: clips, seconds of speech, and whether adaptation applies (and why not).

    Parameters
    ----------
    speakers : sequence
        Speaker of every clip (``None``: unknown).
    seconds : sequence of float
        Seconds of speech of every clip (after trimming silence).
    min_seconds : float
        The bundle's ``min_speech_seconds``.

    Returns
    -------
    pandas.DataFrame
        ``speaker``, ``clips``, ``speech_seconds``, ``adapted`` (bool) and ``note``.

    Examples
    --------
    >>> speaker_summary(["a", "a", "b"], [12.0, 10.0, 3.0], 20.0)[["speaker", "adapted"]].values.tolist()
    [['a', True], ['b', False]]
    """
    frame = pd.DataFrame({"speaker": list(speakers), "seconds": np.asarray(seconds, dtype=float)})
    rows = []
    for name, part in frame.groupby("speaker", sort=False, dropna=False):
        total, n = float(part["seconds"].sum()), len(part)
        if pd.isna(name):
            rows.append({"speaker": None, "clips": n, "speech_seconds": total, "adapted": False, "note": "no speaker given: single-clip model"})
        elif n < 2 or total < min_seconds:
            need = f"{min_seconds:g} s of speech" + (" from at least 2 clips" if n < 2 else "")
            rows.append({"speaker": name, "clips": n, "speech_seconds": total, "adapted": False,
                         "note": f"{total:.1f} s of speech in {n} clip(s), less than the {need} that speaker adaptation needs: single-clip model"})
        else:
            rows.append({"speaker": name, "clips": n, "speech_seconds": total, "adapted": True, "note": f"adapted to {total:.1f} s of speech in {n} clips"})
    return pd.DataFrame(rows, columns=["speaker", "clips", "speech_seconds", "adapted", "note"])


def adapted_proba(b: Bundle, inputs, speakers, lengths=None) -> np.ndarray:
    """Probabilities of the bundle's speaker-adapted model for clips of known speakers.

    ``inputs`` are the adapted model's unscaled inputs; every speaker's rows are z-scored with
    that speaker's own statistics (:func:`utils.learn.scaling.speaker_normalize`; frame sequences over
    their real frames ``lengths``), then scaled and predicted.  Call it only for speakers with
    enough speech (:func:`speaker_summary`).
    """
    from ..learn.scaling import speaker_normalize

    if b.adapted is None:
        raise BundleError(b.folder, "has no speaker-adapted model (adapted/): predict without speakers, or save the bundle with adapted=...")
    a = b.adapted
    who = np.asarray(speakers, dtype=object)
    given = inputs if len(a.parts) > 1 else (inputs,)
    normed = tuple(speaker_normalize(X, who, lengths=lengths if kind in FRAME_KINDS else None) for X, kind in zip(given, a.parts))
    return a.predict_proba(normed if len(a.parts) > 1 else normed[0])


def take(inputs, rows):
    """Rows of model inputs: of an array, or of every array of a compound input's tuple."""
    return tuple(X[rows] for X in inputs) if isinstance(inputs, tuple) else inputs[rows]


def _flags(paths, config, n_jobs) -> list:
    """The ``;``-joined quality flags of each file (:func:`file_quality`), measured in threads."""
    from concurrent.futures import ThreadPoolExecutor

    def one(path):
        return ";".join(quality_flags(file_quality(path, config)))

    workers = effective_workers(n_jobs, backend="threading")
    if workers == 1 or len(paths) < 2:
        return [one(p) for p in paths]
    with ThreadPoolExecutor(max_workers=workers) as pool:  # decoding releases the GIL
        return list(pool.map(one, paths))


def predict_folder(paths_or_folder, bundle=None, *, speakers=None, speaker=None, progress: bool = True, batch_size: int = 512, n_jobs: int | None = -1):
    """Predict every audio file of folders and/or a list of files; bad files are listed, not fatal.

    Features come from :func:`utils.features.extract.extract_corpus` (no cache), exactly as at
    training time; the model then runs on batches of ``batch_size`` clips.  While the features are
    being computed, the model (and TensorFlow, a few seconds) loads in a background thread.
    ``README.md`` gives measured speeds (``benchmarks/inference.py``).

    Parameters
    ----------
    paths_or_folder : str, Path or sequence of them
        Files and/or folders (searched recursively for :data:`utils.data.audio.AUDIO_SUFFIXES`).
    bundle : Bundle, str or Path, optional
        Default :data:`DEFAULT_BUNDLE`.
    speakers : "folder", str, Path, pandas.DataFrame or dict, optional
        Who speaks in each file (:func:`resolve_speakers`): ``"folder"`` (one folder per
        speaker), a CSV file or table with ``file`` and ``speaker`` columns, or a dict.  Then
        the bundle's speaker-adapted model predicts the clips of every speaker with at least
        the bundle's ``min_speech_seconds`` of speech; the other clips (and files the table
        does not list) get the single-clip model.  Legitimate only when the files really are
        grouped by speaker, and best when each speaker's clips mix several emotions: the
        adaptation takes the speaker's average as the reference, so a speaker who is angry in
        every clip looks less angry after it.
    speaker : str, optional
        One speaker for all the files (instead of ``speakers``).
    progress : bool
        Show a progress bar while computing features.
    batch_size : int
        Clips per model call.
    n_jobs : int or None
        Processes for decoding and features, as in scikit-learn (-1: all cores, capped by
        :func:`utils.core.parallel.effective_workers`; None: this process only).

    Returns
    -------
    results : pandas.DataFrame
        One row per predicted file, in input order: ``path``, ``emotion``, ``confidence``,
        ``flags`` (what makes the answer doubtful, ``;``-joined, empty if nothing:
        :data:`utils.data.quality.FLAGS`; flagged rows are kept) and one probability column per
        class (the bundle's labels); ``results.attrs["flags"]`` counts the rows of each flag.  With speakers also ``speaker`` and
        ``model`` (:data:`ADAPTED` or :data:`SINGLE_CLIP`), and ``results.attrs["speakers"]``
        holds :func:`speaker_summary` (clips, seconds of speech, and why a speaker was not
        adapted).
    skipped : pandas.DataFrame
        ``path`` and ``reason`` of every file that could not be used (not audio, truncated,
        silent, too short, ...) and of every folder without audio (:func:`collect_inputs`).

    Raises
    ------
    FileNotFoundError
        There is no file to predict at all (the message names each folder).
    BundleError
        The bundle cannot be used, or speakers were given and it has no adapted model.

    Examples
    --------
    >>> results, skipped = predict_folder("my_recordings/", "models/demo")   # doctest: +SKIP
    >>> results["emotion"].value_counts()                                   # doctest: +SKIP
    >>> results, _ = predict_folder("interviews/", speakers="folder")        # doctest: +SKIP
    >>> results.attrs["speakers"]                                           # doctest: +SKIP
    """
    items = [paths_or_folder] if isinstance(paths_or_folder, (str, os.PathLike)) else list(paths_or_folder)
    files, not_taken = collect_inputs(items)
    _some_files(files, not_taken)
    adapt = speakers is not None or speaker is not None
    who = resolve_speakers(files, items, speakers=speakers, speaker=speaker) if adapt else None
    b = get_bundle(bundle, background=True)
    if adapt and b.adapted is None:
        raise BundleError(b.folder, "has no speaker-adapted model (adapted/), so speakers cannot be used: predict without them, or use a bundle saved with adapted=...")
    with_frames = b.input_kind != "vector" or adapt
    with single_blas_thread():
        fs = extract_corpus([str(p) for p in files], b.config, with_frames=with_frames, n_jobs=n_jobs, cache_dir=False, progress=progress)
        # frame statistics of all clips, computed while the model may still be loading
        inputs = b.feature_set_inputs(fs) if len(fs) else None
        adapted_inputs = b.adapted.feature_set_inputs(fs) if adapt and len(fs) else None
    columns = ["path", *(["speaker", "model"] if adapt else []), "emotion", "confidence", "flags", *b.labels]
    skipped = pd.concat([not_taken, fs.skipped[["path", "reason"]]], ignore_index=True)
    b.model  # wait for the model loading in the background (raises BundleError if it is bad)
    if not len(fs):
        return pd.DataFrame(columns=columns), skipped
    probabilities = b.predict_proba(inputs, batch_size=batch_size)
    results = pd.DataFrame({"path": fs.rows["path"].to_numpy()})
    if adapt:
        speaker_of = dict(zip(map(str, files), who))
        row_speakers = np.asarray([speaker_of[p] for p in results["path"]], dtype=object)
        summary = speaker_summary(row_speakers, fs.rows["duration"].to_numpy(), b.min_speech_seconds)
        chosen = set(summary.loc[summary["adapted"], "speaker"])
        use = np.asarray([s in chosen for s in row_speakers])
        if use.any():
            probabilities[use] = adapted_proba(b, take(adapted_inputs, use), row_speakers[use], fs.rows["n_valid_frames"].to_numpy()[use])
        results["speaker"] = row_speakers
        results["model"] = np.where(use, ADAPTED, SINGLE_CLIP)
    best = probabilities.argmax(axis=1)
    results["emotion"] = np.asarray(b.labels, dtype=object)[best]
    results["confidence"] = probabilities[np.arange(len(best)), best].astype(float)
    with single_blas_thread():
        results["flags"] = _flags(results["path"], b.config, n_jobs)
    for j, label in enumerate(b.labels):
        results[label] = probabilities[:, j].astype(float)
    results = results[columns]
    results.attrs["flags"] = flag_counts(results["flags"])
    if adapt:
        results.attrs["speakers"] = summary
    return results, skipped
