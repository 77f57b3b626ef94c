"""Running a trained model bundle on new audio: one clip, a folder of clips, or a long recording.

The features are computed exactly as at training time: every function reads the
:class:`~utils.features.FeatureConfig` stored in the bundle and uses
:func:`utils.features.load_clip` / :func:`utils.features.compute` with it (and, for bundles of
input kind ``"stats"``, :func:`utils.features.frame_statistics` of the frame sequences).

:func:`predict_emotion`
    One file: the emotion, its probability and all class probabilities.
:func:`predict_folder`
    Many files, fast: features from :func:`utils.features.extract_corpus` (no cache) while the
    model loads in a background thread, then the model on batches.  Files that cannot be used are
    listed with the reason; all others are predicted.
:func:`predict_timeline`
    A long recording, streamed block by block (memory stays bounded whatever the length): the
    signal is resampled as a continuous stream, cut into overlapping windows, silent windows are
    marked ``silence`` and the others predicted in batches.

From the command line (``python -m utils.predict --help``)::

    python -m utils.predict recordings/ --model models/demo --out results.csv
    python -m utils.predict interview.wav --model models/demo --timeline --window 3 --hop 1 --out timeline.csv

Examples
--------
>>> predict_emotion("clip.wav", "models/demo")["emotion"]                 # doctest: +SKIP
'angry'
>>> results, skipped = predict_folder("my_recordings/", "models/demo")    # doctest: +SKIP
>>> timeline = predict_timeline("meeting.flac", "models/demo")            # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.audio import AudioError, audio_info
from .bundle import INPUT_KINDS, Bundle, BundleError, input_features, load_bundle
from ..features.extract import extract_corpus, load_clip, trim_silence
from ..core.paths import PROJECT_ROOT

DEFAULT_BUNDLE = PROJECT_ROOT / "models" / "demo"
"""The bundle used when none is named (written by the course's training notebook)."""

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".aif", ".aiff", ".mp3")
"""File types looked for inside folders (libsndfile decodes them).  Files named explicitly are
always tried, whatever their suffix."""

SILENCE_DB = -45.0
"""Default threshold of :func:`predict_timeline`: a window whose RMS level is below this many dB
relative to full scale (dBFS) is silence.  Speech recorded at a sensible level has an RMS of about
-35 to -15 dBFS; a quiet room about -60 dBFS."""

SILENCE = "silence"
"""The ``emotion`` of a silent window."""


# --------------------------------------------------------------------------------------------
# Bundles and file lists
# --------------------------------------------------------------------------------------------

_CACHE: dict = {}


def get_bundle(bundle=None, *, background: bool = False) -> Bundle:
    """A :class:`~utils.bundle.Bundle` from a bundle or a folder (``None``: :data:`DEFAULT_BUNDLE`).

    Folders are loaded once and kept while their files are unchanged, so calling
    :func:`predict_emotion` in a loop does not reload the model each time.  With ``background``
    the model loads in a thread (see :func:`utils.bundle.load_bundle`) while features are computed.

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
        Files and/or folders.  Inside folders only :data:`AUDIO_SUFFIXES` are taken (hidden
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


PARALLEL_MIN_FILES = 300
"""Fewest files for which :func:`auto_jobs` starts worker processes."""


def auto_jobs(n_items: int, *, costly: bool = False) -> int:
    """Worker processes worth starting for ``n_items`` files: 1 (this process) or -1 (all cores).

    1 for fewer than :data:`PARALLEL_MIN_FILES` files (start-up would cost more than it saves),
    and on machines with at most 2 cores (one core computes, the other loads the model) unless
    the features are ``costly`` per clip (the ``"stats"`` input kind tracks pitch in every frame:
    on 2 cores a second process then pays for its start-up, 79 -> 98 clips/s on RAVDESS).
    """
    import joblib

    cores = joblib.cpu_count()  # respects CPU affinity and container quotas
    if n_items < PARALLEL_MIN_FILES or cores < 2:
        return 1
    return -1 if cores > 2 or costly else 1


def _blas_single_thread():
    """Context limiting BLAS to one thread: on small matrices two threads on a busy 2-core machine
    were measured 7x slower than one."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")


def _result_row(probabilities: np.ndarray, labels: list) -> dict:
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
    with _blas_single_thread():
        y = load_clip(path, b.config)
        features = b.features(y)
    p = b.predict_proba(features)[0]
    row = _result_row(p, b.labels)
    return {"emotion": row["emotion"], "confidence": row["confidence"], "probabilities": {c: float(v) for c, v in zip(b.labels, p)}}


def predict_folder(paths_or_folder, bundle=None, *, progress: bool = True, batch_size: int = 512, n_jobs: int | None = None):
    """Predict every audio file of folders and/or a list of files; bad files are listed, not fatal.

    Features come from :func:`utils.features.extract_corpus` (no cache), exactly as at training
    time; the model then runs on batches of ``batch_size`` clips.  While the features are being
    computed, the model (and TensorFlow, a few seconds) loads in a background thread.

    How many processes compute the features (``n_jobs=None``, see :func:`auto_jobs`): on a
    2-core machine the calling process does it alone (one BLAS thread) while the model loads,
    except for the ``"stats"`` kind, whose per-frame pitch tracking makes a second process pay
    (RAVDESS: 18.2 s alone, 14.0-14.8 s with two, 97-103 clips/s).
    Measured with ``benchmarks/inference.py`` on RAVDESS (1,440 FLAC clips, 2 cores shared with
    other work), whole command included: in-process 11.2-11.9 s (121-129 clips/s, 12 CPU s);
    2 worker processes 8.9-15.7 s (92-162 clips/s, 14-15 CPU s: each worker's start-up and
    imports cost about 1.5 s).  With more cores and at least :data:`PARALLEL_MIN_FILES` files,
    all cores are used.

    Parameters
    ----------
    paths_or_folder : str, Path or sequence of them
        Files and/or folders (searched recursively for :data:`AUDIO_SUFFIXES`).
    bundle : Bundle, str or Path, optional
        Default :data:`DEFAULT_BUNDLE`.
    progress : bool
        Show a progress bar while computing features.
    batch_size : int
        Clips per model call.
    n_jobs : int, optional
        Processes for decoding and features (-1: all cores; default: :func:`auto_jobs`).

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
    frames = b.input_kind in ("frames", "stats")
    with _blas_single_thread():
        fs = extract_corpus([str(p) for p in files], b.config, frames=frames, n_jobs=auto_jobs(len(files), costly=b.input_kind == "stats") if n_jobs is None else n_jobs, cache_dir=False, progress=progress)
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


# --------------------------------------------------------------------------------------------
# Long recordings
# --------------------------------------------------------------------------------------------


def stream_signal(path, sr: int, *, block_seconds: float = 30.0):
    """Yield a file's signal as consecutive mono float32 blocks at ``sr``, never the whole file.

    Blocks of ``block_seconds`` are read with :meth:`soundfile.SoundFile.read`, mixed to mono and
    resampled with soxr's streaming resampler (``HQ``, the quality of
    :data:`utils.features.RES_TYPE`), which keeps the filter state between blocks: the
    concatenated output equals resampling the whole file at once.

    Raises
    ------
    AudioError
        Missing or undecodable file, or NaN samples; the message names the file.
    """
    import soundfile as sf

    path = Path(path)
    info = audio_info(path)
    native = info["sample_rate"]
    if info["frames"] == 0:
        raise AudioError(path, "holds no audio samples")
    resampler = None
    if native != sr:
        import soxr

        resampler = soxr.ResampleStream(native, sr, 1, dtype="float32", quality="HQ")
    blocksize = max(1, int(block_seconds * native))
    position = 0
    try:
        handle = sf.SoundFile(str(path))
    except Exception as exc:
        raise AudioError(path, f"cannot be decoded ({exc})") from None
    with handle:
        while True:
            try:
                data = handle.read(blocksize, dtype="float32", always_2d=True)
            except Exception as exc:
                raise AudioError(path, f"cannot be decoded after {position / native:.1f} s ({exc})") from None
            last = len(data) < blocksize
            mono = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1)
            if not np.all(np.isfinite(mono)):
                raise AudioError(path, f"contains NaN or infinite sample values near {position / native:.1f} s")
            position += len(data)
            out = resampler.resample_chunk(np.ascontiguousarray(mono), last=last) if resampler is not None else mono
            if len(out):
                yield np.ascontiguousarray(out, dtype=np.float32)
            if last:
                return


def _rms_db(y: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(y, dtype=np.float64)) + 1e-20))


def _window_features(segment: np.ndarray, starts, length: int, config, input_kind: str, silence_db: float):
    """Features of windows ``segment[s : s + length]``; ``None`` for silent ones.

    Each window is trimmed as :func:`utils.features.load_clip` trims a clip
    (:func:`utils.features.trim_silence`), then the bundle's input features are computed on it
    (:func:`utils.bundle.input_features`: vector, frame sequence or frame statistics).  Returns
    ``(features list, rms_db list)``.
    """
    if input_kind not in INPUT_KINDS:
        raise ValueError(f"input_kind must be one of {INPUT_KINDS}, not {input_kind!r}")
    out, levels = [], []
    with _blas_single_thread():
        for s in starts:
            y = segment[s : s + length]
            level = _rms_db(y)
            levels.append(level)
            if level < silence_db:
                out.append(None)
                continue
            y = trim_silence(y, config)
            if len(y) < config.n_fft:
                out.append(None)
                continue
            out.append(input_features(y, config, input_kind))
    return out, levels


class _WindowRunner:
    """Computes features of window batches, in worker processes when the batch is big enough."""

    MIN_PARALLEL = 64

    def __init__(self, config, input_kind: str, silence_db: float, n_jobs: int):
        import joblib

        self.config, self.input_kind, self.silence_db = config, input_kind, silence_db
        if n_jobs is None:
            n_jobs = 1 if joblib.cpu_count() <= 2 else -1
        self.n_workers = max(1, joblib.effective_n_jobs(n_jobs))
        self._parallel = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._parallel is not None:
            self._parallel.__exit__(*exc)

    def run(self, segment: np.ndarray, starts: list, length: int):
        if self.n_workers <= 1 or len(starts) < self.MIN_PARALLEL:
            return _window_features(segment, starts, length, self.config, self.input_kind, self.silence_db)
        import joblib

        if self._parallel is None:
            self._parallel = joblib.Parallel(n_jobs=self.n_workers, max_nbytes=None)
            self._parallel.__enter__()
        parts = np.array_split(np.asarray(starts), self.n_workers)
        tasks = []
        for part in parts:
            if not len(part):
                continue
            lo, hi = int(part[0]), int(part[-1]) + length
            tasks.append(joblib.delayed(_window_features)(segment[lo:hi].copy(), (part - lo).tolist(), length, self.config, self.input_kind, self.silence_db))
        features, levels = [], []
        for f, lv in self._parallel(tasks):
            features += f
            levels += lv
        return features, levels


def predict_timeline(
    path,
    bundle=None,
    *,
    window: float = 3.0,
    hop: float = 1.0,
    silence_db: float = SILENCE_DB,
    batch_size: int = 256,
    n_jobs: int | None = None,
    block_seconds: float = 30.0,
    progress: bool = False,
) -> pd.DataFrame:
    """Emotion over time in a long recording: overlapping windows, silence marked, bounded memory.

    The file is streamed in blocks of ``block_seconds`` (:func:`stream_signal`), resampled to the
    bundle's sample rate as one continuous stream, and cut into windows of ``window`` seconds
    starting every ``hop`` seconds (0, hop, 2 hop, ...) as long as a window fits entirely; the
    last, shorter stretch of less than ``hop`` seconds is not analysed.  A recording shorter than
    one window gives one window covering all of it (an :class:`AudioError` if it is shorter than
    the analysis window, ``n_fft`` samples).

    A window whose RMS level is below ``silence_db`` dBFS is marked ``silence`` and not
    predicted; so is one with less than ``n_fft`` samples left after trimming.  The others are
    trimmed (as :func:`utils.features.load_clip` trims clips) and predicted in batches of
    ``batch_size`` windows.  ``bundle.config.offset`` and ``duration`` do not apply here.

    Parameters
    ----------
    path : str or Path
        The recording.
    bundle : Bundle, str or Path, optional
        Default :data:`DEFAULT_BUNDLE`.
    window, hop : float
        Window length and step in seconds (``hop <= window`` gives overlapping windows).  The
        training clips' typical length (RAVDESS: about 3 s after trimming) is a good window.
    silence_db : float
        RMS level (dBFS) below which a window is silence (default :data:`SILENCE_DB`).
    batch_size : int
        Windows whose features are computed and predicted together.
    n_jobs : int
        Processes for the features of a batch (-1: all cores); batches of fewer than 64 windows
        are computed in this process.
    block_seconds : float
        Seconds of audio read at a time.
    progress : bool
        Show a progress bar (seconds of audio).

    Returns
    -------
    pandas.DataFrame
        One row per window: ``start``, ``end`` (seconds), ``emotion`` (or ``"silence"``),
        ``confidence``, ``silent`` (bool), ``rms_db``, and one probability column per class
        (NaN for silent windows).

    Raises
    ------
    AudioError
        The file is unusable, shorter than the analysis window, or silent in every window (the
        message says so and suggests lowering ``silence_db``).

    Examples
    --------
    >>> tl = predict_timeline("meeting.flac", "models/demo", window=3, hop=1)    # doctest: +SKIP
    >>> plot_timeline(tl)                                                       # doctest: +SKIP
    """
    if not (window > 0 and hop > 0 and block_seconds > 0):
        raise ValueError(f"window, hop and block_seconds must be positive, not {window}, {hop}, {block_seconds}")
    path = Path(path)
    b = get_bundle(bundle)
    config = b.config
    sr = config.sr
    length = int(round(window * sr))
    if length < config.n_fft:
        raise ValueError(f"window={window} s is shorter than the analysis window n_fft={config.n_fft} samples at {sr} Hz")
    bar = _seconds_bar(path, progress)
    rows = []
    buffer = np.zeros(0, dtype=np.float32)
    buffer_start = 0  # absolute sample index of buffer[0]
    k = 0  # index of the next window

    def start_of(i: int) -> int:
        return int(round(i * hop * sr))

    with _WindowRunner(config, b.input_kind, silence_db, n_jobs) as runner:
        for block in stream_signal(path, sr, block_seconds=block_seconds):
            buffer = np.concatenate([buffer, block]) if len(buffer) else block
            end = buffer_start + len(buffer)
            while start_of(k) + length <= end:
                first = k
                while start_of(k) + length <= end and k - first < batch_size:
                    k += 1
                rows += _predict_windows(b, runner, buffer, buffer_start, [start_of(i) for i in range(first, k)], length, sr)
            keep_from = min(start_of(k), end) - buffer_start
            buffer = buffer[keep_from:].copy()
            buffer_start += keep_from
            bar.update(len(block) / sr)
        total = buffer_start + len(buffer)
        if k == 0:  # shorter than one window: one window over everything
            if total < config.n_fft:
                raise AudioError(path, f"too short: {total} samples at {sr} Hz, shorter than the analysis window n_fft={config.n_fft}")
            rows += _predict_windows(b, runner, buffer, buffer_start, [0], total, sr)
    bar.close()
    table = pd.DataFrame(rows, columns=["start", "end", "emotion", "confidence", "silent", "rms_db", *b.labels])
    if table["silent"].all():
        raise AudioError(
            path,
            f"all {len(table)} windows are silent (RMS below {silence_db:g} dBFS; loudest window {table['rms_db'].max():.1f} dBFS): "
            "nothing to predict. If the recording is just quiet, lower silence_db",
        )
    return table


def _predict_windows(b: Bundle, runner, buffer, buffer_start, starts, length, sr) -> list:
    """Rows of :func:`predict_timeline` for windows at absolute sample ``starts``."""
    offsets = [s - buffer_start for s in starts]
    features, levels = runner.run(buffer, offsets, length)
    real = [i for i, f in enumerate(features) if f is not None]
    probabilities = b.predict_proba(np.stack([features[i] for i in real])) if real else np.zeros((0, len(b.labels)))
    by_window = dict(zip(real, probabilities))
    rows = []
    for i, s in enumerate(starts):
        base = {"start": s / sr, "end": (s + length) / sr, "rms_db": levels[i]}
        if i in by_window:
            rows.append({**base, **_result_row(by_window[i], b.labels), "silent": False})
        else:
            rows.append({**base, "emotion": SILENCE, "confidence": np.nan, "silent": True, **{c: np.nan for c in b.labels}})
    return rows


def _seconds_bar(path: Path, enabled: bool):
    from tqdm.auto import tqdm

    try:
        total = audio_info(path)["duration"]
    except AudioError:
        return tqdm(disable=True)
    return tqdm(total=total, desc=path.name, unit="s", disable=not enabled, bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s [{elapsed}<{remaining}]")


def plot_timeline(df: pd.DataFrame, ax=None, title: str | None = None):
    """Draw a timeline: one row per class, a bar where a window predicts it, darker when surer.

    Readable in grey scale: the class is given by the row, the confidence by the shade; silent
    windows are drawn in their own row (light hatching).  Overlapping windows are drawn as
    ``hop``-long bars at their start.

    Parameters
    ----------
    df : pandas.DataFrame
        Output of :func:`predict_timeline`.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> plot_timeline(predict_timeline("meeting.flac", "models/demo"))   # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    if not len(df):
        raise ValueError("the timeline is empty")
    fixed = {"start", "end", "emotion", "confidence", "silent", "rms_db", "path"}
    labels = [c for c in df.columns if c not in fixed]
    rows = labels + [SILENCE]
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 0.4 * len(rows) + 1.2))
    starts = df["start"].to_numpy(dtype=float)
    steps = np.diff(starts)
    width = float(np.median(steps)) if len(steps) else float(df["end"].iloc[0] - df["start"].iloc[0])
    cmap = plt.get_cmap("Greys")
    for y, name in enumerate(rows):
        part = df[df["emotion"] == name]
        if not len(part):
            continue
        spans = [(s, width) for s in part["start"]]
        if name == SILENCE:
            ax.broken_barh(spans, (y - 0.35, 0.7), facecolors="white", edgecolors="0.6", hatch="///", linewidth=0.3)
        else:
            colors = [cmap(0.3 + 0.7 * float(c)) for c in part["confidence"]]
            ax.broken_barh(spans, (y - 0.35, 0.7), facecolors=colors, edgecolors="none")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.invert_yaxis()
    ax.set_xlim(float(df["start"].min()), float(df["end"].max()))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("predicted")
    ax.set_title(title or "Emotion over time (darker = more confident)")
    return ax


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------

EXIT_OK, EXIT_NOTHING, EXIT_USAGE, EXIT_BUNDLE = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m utils.predict``."""
    parser = argparse.ArgumentParser(
        prog="python -m utils.predict",
        description=(
            "Predict the emotion of audio files with a trained model bundle. By default each file is one clip "
            "(one prediction per file); with --timeline each file is a long recording cut into overlapping "
            "windows (one prediction per window, silent windows marked 'silence')."
        ),
        epilog=(
            "Files that cannot be used (not audio, truncated, silent, too short) are skipped and listed with the "
            "reason; with --out they are also written to <out>.skipped.csv. Exit status: 0 when at least one file "
            "was processed, 1 when none could be, 2 for a usage error, 3 when the model bundle is missing or "
            "invalid. Example: python -m utils.predict recordings/ --model models/demo --out results.csv"
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATHS", help="audio files and/or folders (folders are searched recursively for .wav, .flac, .ogg, .aiff, .mp3 files)")
    parser.add_argument("--model", metavar="DIR", default=str(DEFAULT_BUNDLE), help="model bundle folder written by utils.bundle.save_bundle (default: models/demo of the course)")
    parser.add_argument("--out", metavar="CSV", default=None, help="write the predictions to this CSV file (path, emotion, confidence, one probability column per class; with --timeline also start, end, silent, rms_db). Without --out the first rows are printed")
    parser.add_argument("--timeline", action="store_true", help="treat each file as a long recording: predict overlapping windows instead of the whole file")
    parser.add_argument("--window", metavar="S", type=float, default=3.0, help="--timeline: window length in seconds (default 3.0)")
    parser.add_argument("--hop", metavar="S", type=float, default=1.0, help="--timeline: seconds between window starts (default 1.0)")
    parser.add_argument("--silence-db", metavar="DB", type=float, default=SILENCE_DB, help=f"--timeline: windows with an RMS level below this many dBFS are marked silence (default {SILENCE_DB:g})")
    parser.add_argument("--jobs", metavar="N", type=int, default=None, help="processes for decoding and features: 1 = this process only, -1 = all cores (default: automatic, this process alone on machines with 2 cores or fewer and for small jobs, all cores otherwise)")
    parser.add_argument("--batch-size", metavar="N", type=int, default=256, help="clips or windows per model call (default 256)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def _print_summary(results: pd.DataFrame, skipped: pd.DataFrame, seconds: float, timeline: bool, out=None):
    out = out or sys.stdout
    unit = "windows" if timeline else "files"
    print(f"predicted {len(results)} {unit} in {seconds:.1f} s; skipped {len(skipped)} file(s)", file=out)
    if len(results):
        counts = results["emotion"].value_counts()
        print("predicted emotions: " + ", ".join(f"{e} {n}" for e, n in counts.items()), file=out)
    if len(skipped):
        print("skipped:", file=out)
        for row in skipped.itertuples(index=False):
            print(f"  {row.path}: {row.reason}", file=out)


def _run_timeline(files, bundle, args) -> tuple:
    parts, skipped = [], []
    for path in files:
        try:
            table = predict_timeline(path, bundle, window=args.window, hop=args.hop, silence_db=args.silence_db, batch_size=args.batch_size, n_jobs=args.jobs, progress=not args.quiet)
        except AudioError as exc:
            skipped.append({"path": str(path), "reason": exc.reason})
            continue
        table.insert(0, "path", str(path))
        parts.append(table)
    results = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return results, pd.DataFrame(skipped, columns=["path", "reason"])


def main(argv=None) -> int:
    """Entry point of ``python -m utils.predict``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    if args.jobs == 0:
        parser.error("--jobs must be a non-zero number of processes (-1 for all cores)")
    if args.timeline and not (args.window > 0 and args.hop > 0):
        parser.error("--window and --hop must be positive")
    started = time.perf_counter()
    files, empty, seen = [], [], set()
    for item in args.paths:
        try:
            found = [f for f in audio_files(item) if f not in seen]
            seen.update(found)
            files += found
        except FileNotFoundError as exc:
            empty.append({"path": item, "reason": str(exc).removeprefix(f"{item}: ")})
    if not files:
        for row in empty:
            print(f"error: {row['path']}: {row['reason']}", file=sys.stderr)
        return EXIT_NOTHING
    try:
        bundle = get_bundle(args.model, background=True)
        if args.timeline:
            results, skipped = _run_timeline(files, bundle, args)
        else:
            results, skipped = predict_folder(files, bundle, progress=not args.quiet, batch_size=args.batch_size, n_jobs=args.jobs)
    except BundleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUNDLE
    except ValueError as exc:  # e.g. a window shorter than the bundle's analysis window
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    skipped = pd.concat([pd.DataFrame(empty, columns=["path", "reason"]), skipped], ignore_index=True) if empty else skipped
    _print_summary(results, skipped, time.perf_counter() - started, args.timeline)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        results.to_csv(out, index=False)
        print(f"wrote {out}")
        if len(skipped):
            skipped_path = out.with_name(out.stem + ".skipped.csv")
            skipped.to_csv(skipped_path, index=False)
            print(f"wrote {skipped_path}")
    elif len(results):
        with pd.option_context("display.width", 160, "display.max_columns", 20):
            print(results.head(20).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return EXIT_OK if len(results) else EXIT_NOTHING


if __name__ == "__main__":
    sys.exit(main())
