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

Long recordings are :mod:`utils.predict.timeline`'s; the command line is :mod:`utils.predict.cli`
(``python -m utils.predict --help``).

Examples
--------
>>> predict_emotion("clip.wav", "models/demo")["emotion"]                 # doctest: +SKIP
'angry'
>>> results, skipped = predict_folder("my_recordings/", "models/demo")    # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.parallel import single_blas_thread
from ..core.paths import PROJECT_ROOT
from ..data.audio import AUDIO_SUFFIXES
from ..features.clip import load_clip
from ..features.extract import extract_corpus
from .bundle import Bundle, load_bundle

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


def audio_files(paths_or_folder) -> list:
    """The files to predict: files as given, folders searched recursively for audio files.

    Parameters
    ----------
    paths_or_folder : str, Path or sequence of them
        Files and/or folders.  Inside folders only :data:`utils.data.audio.AUDIO_SUFFIXES` are taken (hidden
        files and folders are left out); named files are always taken.

    Returns
    -------
    list of Path
        In the order given, each folder's files sorted; duplicates removed.

    Raises
    ------
    FileNotFoundError
        A folder holds no audio file, or nothing was given; the message names the folder.
    """
    if isinstance(paths_or_folder, (str, os.PathLike)):
        paths_or_folder = [paths_or_folder]
    items = [Path(p) for p in paths_or_folder]
    if not items:
        raise FileNotFoundError("no files or folders given")
    files, seen = [], set()
    for item in items:
        if item.is_dir():
            found = sorted(
                p for p in item.rglob("*")
                if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file() and not any(part.startswith(".") for part in p.relative_to(item).parts)
            )
            if not found:
                raise FileNotFoundError(f"{item}: no audio files ({', '.join(AUDIO_SUFFIXES)}) in this folder or below it")
        else:
            found = [item]
        for p in found:
            if p not in seen:
                seen.add(p)
                files.append(p)
    return files


def result_row(probabilities: np.ndarray, labels: list) -> dict:
    """``emotion``, ``confidence`` and one probability per class, for one prediction."""
    best = int(np.argmax(probabilities))
    return {"emotion": labels[best], "confidence": float(probabilities[best]), **{c: float(p) for c, p in zip(labels, probabilities)}}


# --------------------------------------------------------------------------------------------
# One clip, many clips
# --------------------------------------------------------------------------------------------


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
        ``emotion`` (str), ``confidence`` (its probability) and ``probabilities``
        (``{class: probability}`` in the bundle's label order).

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
    return {"emotion": row["emotion"], "confidence": row["confidence"], "probabilities": {c: float(v) for c, v in zip(b.labels, p)}}


def predict_folder(paths_or_folder, bundle=None, *, progress: bool = True, batch_size: int = 512, n_jobs: int | None = -1):
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
        One row per predicted file, in input order: ``path``, ``emotion``, ``confidence`` and one
        probability column per class (the bundle's labels).
    skipped : pandas.DataFrame
        ``path`` and ``reason`` of every file that could not be used (not audio, truncated,
        silent, too short, ...).

    Raises
    ------
    FileNotFoundError
        A folder holds no audio file (the message names it).
    BundleError
        The bundle cannot be used.

    Examples
    --------
    >>> results, skipped = predict_folder("my_recordings/", "models/demo")   # doctest: +SKIP
    >>> results["emotion"].value_counts()                                   # doctest: +SKIP
    """
    files = audio_files(paths_or_folder)
    b = get_bundle(bundle, background=True)
    with_frames = b.input_kind in ("frames", "stats")
    with single_blas_thread():
        fs = extract_corpus([str(p) for p in files], b.config, with_frames=with_frames, n_jobs=n_jobs, cache_dir=False, progress=progress)
        # "stats": frame statistics of all clips, computed while the model may still be loading
        inputs = b.feature_set_inputs(fs) if len(fs) else None
    columns = ["path", "emotion", "confidence", *b.labels]
    skipped = fs.skipped[["path", "reason"]].reset_index(drop=True)
    b.model  # wait for the model loading in the background (raises BundleError if it is bad)
    if not len(fs):
        return pd.DataFrame(columns=columns), skipped
    probabilities = b.predict_proba(inputs, batch_size=batch_size)
    best = probabilities.argmax(axis=1)
    results = pd.DataFrame({"path": fs.rows["path"].to_numpy(), "emotion": np.asarray(b.labels, dtype=object)[best], "confidence": probabilities[np.arange(len(best)), best].astype(float)})
    for j, label in enumerate(b.labels):
        results[label] = probabilities[:, j].astype(float)
    return results[columns], skipped


