"""Emotion over time in a long recording: overlapping windows, silence marked, bounded memory.

:func:`predict_timeline` streams the file block by block (:func:`utils.data.audio.stream_signal`,
resampled as one continuous stream), cuts it into overlapping windows, marks silent windows
``silence`` and predicts the others in batches, so memory stays bounded whatever the length.

Examples
--------
>>> timeline = predict_timeline("meeting.flac", "models/demo", window=3, hop=1)    # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..core.parallel import effective_workers, single_blas_thread
from ..data.audio import AudioError, audio_info, stream_signal
from ..features.clip import trim_silence
from ..features.inputs import INPUT_KINDS, signal_inputs
from .bundle import Bundle
from .clips import get_bundle, result_row

SILENCE_DB = -45.0
"""Default threshold of :func:`predict_timeline`: a window whose RMS level is below this many dB
relative to full scale (dBFS) is silence.  Speech recorded at a sensible level has an RMS of about
-35 to -15 dBFS; a quiet room about -60 dBFS."""

SILENCE = "silence"
"""The ``emotion`` of a silent window."""


def _rms_db(y: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(y, dtype=np.float64)) + 1e-20))


def _window_features(segment: np.ndarray, starts, length: int, config, input_kind: str, silence_db: float):
    """Features of windows ``segment[s : s + length]``; ``None`` for silent ones.

    Each window is trimmed as :func:`utils.features.clip.load_clip` trims a clip
    (:func:`utils.features.clip.trim_silence`), then the bundle's input features are computed on it
    (:func:`utils.features.inputs.signal_inputs`: vector, frame sequence or frame statistics).  Returns
    ``(features list, rms_db list)``.
    """
    if input_kind not in INPUT_KINDS:
        raise ValueError(f"input_kind must be one of {INPUT_KINDS}, not {input_kind!r}")
    out, levels = [], []
    with single_blas_thread():
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
            out.append(signal_inputs(y, config, input_kind))
    return out, levels


class _WindowRunner:
    """Computes features of window batches, in worker processes when the batch is big enough."""

    def __init__(self, config, input_kind: str, silence_db: float, n_jobs: int):
        self.config, self.input_kind, self.silence_db, self.n_jobs = config, input_kind, silence_db, n_jobs
        self._parallel = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._parallel is not None:
            self._parallel.__exit__(*exc)

    def run(self, segment: np.ndarray, starts: list, length: int):
        n_workers = effective_workers(self.n_jobs, n_items=len(starts))
        if n_workers <= 1:
            return _window_features(segment, starts, length, self.config, self.input_kind, self.silence_db)
        import joblib

        if self._parallel is None:
            self._parallel = joblib.Parallel(n_jobs=n_workers, max_nbytes=None)
            self._parallel.__enter__()
        parts = np.array_split(np.asarray(starts), n_workers)
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
    n_jobs: int | None = -1,
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
    trimmed (as :func:`utils.features.clip.load_clip` trims clips) and predicted in batches of
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
    n_jobs : int or None
        Processes for the features of a batch, as in scikit-learn (-1: all cores), used only for
        batches big enough to repay them (:func:`utils.core.parallel.effective_workers`).
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
        for block in stream_signal(path, sr, block_seconds=block_seconds, res_type=config.res_type):
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
            rows.append({**base, **result_row(by_window[i], b.labels), "silent": False})
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


