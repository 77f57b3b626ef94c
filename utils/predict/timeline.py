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
from ..data.quality import SILENCE_DB, audio_quality, level_db, quality_flags
from ..features.clip import normalize_level, remove_dc, trim_silence
from ..features.inputs import input_parts, n_valid_frames, signal_inputs
from .bundle import Bundle, BundleError
from .clips import ADAPTED, SINGLE_CLIP, adapted_proba, get_bundle, result_row

SILENCE = "silence"
"""The ``emotion`` of a silent window."""

SPEECH_ABOVE_SILENCE_DB = 30.0
"""How far below a recording's speech (its active level) :func:`silence_level_for` puts silence."""

SOFT_MARGIN_DB = 15.0
"""A recording whose speech (its active level) is less than this many dB above ``silence_db`` gets a
note: its softer speech may fall below the silence level and be skipped, while louder speech (anger,
say) is kept, which biases every share computed from the windows."""


def _window_features(segment: np.ndarray, starts, length: int, config, input_kind: str, silence_db: float):
    """Features of windows ``segment[s : s + length]``; ``None`` for silent ones.

    Each window is prepared as :func:`utils.features.clip.load_clip` prepares a clip (DC offset
    removed, silence trimmed, level normalised: :func:`utils.features.clip.prepare_signal`; the
    silence test reads the level as recorded), then the bundle's input features are computed on it
    (:func:`utils.features.inputs.signal_inputs`: vector, frame sequence or frame statistics).  Returns
    ``(features list, rms_db list)``.  With a tuple of kinds (a bundle and its adapted model) each
    window's features are a tuple of the inputs and the number of real frames.
    """
    for kind in input_kind if isinstance(input_kind, tuple) else (input_kind,):
        input_parts(kind)  # ValueError for an unknown kind
    out, levels = [], []
    with single_blas_thread():
        for s in starts:
            y = remove_dc(segment[s : s + length], config)   # an offset is not sound: it must not keep a window from silence
            level = level_db(y)
            levels.append(level)
            if level < silence_db:
                out.append(None)
                continue
            y = trim_silence(y, config)
            if len(y) < config.n_fft:
                out.append(None)
                continue
            y = normalize_level(y, config)
            if isinstance(input_kind, tuple):
                out.append((*signal_inputs(y, config, input_kind), n_valid_frames(len(y), config)))
            else:
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
    adapt: bool = False,
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
    adapt : bool
        Treat the recording as one speaker and use the bundle's speaker-adapted model: the
        inputs of all non-silent windows are z-scored with their own statistics before the
        adapted model predicts them.  The recording must have at least the bundle's
        ``min_speech_seconds`` of non-silent windows (counted once where windows overlap),
        otherwise the single-clip model answers and ``table.attrs["note"]`` says why.  Right
        only for a recording of one person (cut a conversation into speakers first), and the
        reference is that person's average over the recording: a recording that is angry
        throughout looks less angry after adaptation.  The inputs of every window are kept
        until the end (a few kB per window for statistics inputs).

    Returns
    -------
    pandas.DataFrame
        One row per window: ``start``, ``end`` (seconds), ``emotion`` (or ``"silence"``),
        ``confidence``, ``silent`` (bool), ``rms_db``, and one probability column per class
        (NaN for silent windows); with ``adapt`` also ``model`` (``"speaker-adapted"``,
        ``"single-clip"``, or empty for silent windows) and ``attrs["note"]``.  Always
        ``attrs["flags"]``, the recording's quality flags (:func:`utils.data.quality.quality_flags`,
        without ``too_long``), and ``attrs["level_note"]``: empty, or why soft speech may have
        been marked silence (its level within :data:`SOFT_MARGIN_DB` of ``silence_db``) and a
        ``silence_db`` to try.

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
    if adapt and b.adapted is None:
        raise BundleError(b.folder, "has no speaker-adapted model (adapted/), so adapt=True cannot be used: predict without it, or use a bundle saved with adapted=...")
    config = b.config
    sr = config.sr
    length = int(round(window * sr))
    if length < config.n_fft:
        raise ValueError(f"window={window} s is shorter than the analysis window n_fft={config.n_fft} samples at {sr} Hz")
    if hop * sr < config.hop_length:
        raise ValueError(f"hop={hop} s is shorter than one frame step of the features ({config.hop_length / sr:g} s at {sr} Hz): windows would repeat the same frames")
    bar = _seconds_bar(path, progress)
    kinds = (b.input_kind, b.adapted.input_kind) if adapt else b.input_kind
    kept = [] if adapt else None  # (row index, adapted input, real frames) of non-silent windows
    rows = []
    buffer = np.zeros(0, dtype=np.float32)
    buffer_start = 0  # absolute sample index of buffer[0]
    k = 0  # index of the next window

    def start_of(i: int) -> int:
        return int(round(i * hop * sr))

    with _WindowRunner(config, kinds, silence_db, n_jobs) as runner:
        for block in stream_signal(path, sr, block_seconds=block_seconds, res_type=config.res_type):
            buffer = np.concatenate([buffer, block]) if len(buffer) else block
            end = buffer_start + len(buffer)
            while start_of(k) + length <= end:
                first = k
                while start_of(k) + length <= end and k - first < batch_size:
                    k += 1
                rows += _predict_windows(b, runner, buffer, buffer_start, [start_of(i) for i in range(first, k)], length, sr, kept, len(rows))
            keep_from = min(start_of(k), end) - buffer_start
            buffer = buffer[keep_from:].copy()
            buffer_start += keep_from
            bar.update(len(block) / sr)
        total = buffer_start + len(buffer)
        if k == 0:  # shorter than one window: one window over everything
            if total < config.n_fft:
                raise AudioError(path, f"too short: {total} samples at {sr} Hz, shorter than the analysis window n_fft={config.n_fft}")
            rows += _predict_windows(b, runner, buffer, buffer_start, [0], total, sr, kept, len(rows))
    bar.close()
    table = pd.DataFrame(rows, columns=["start", "end", "emotion", "confidence", "silent", "rms_db", *b.labels])
    if adapt and not table["silent"].all():
        _adapt_timeline(b, table, kept)
    if table["silent"].all():
        raise AudioError(
            path,
            f"all {len(table)} windows are silent (RMS below {silence_db:g} dBFS; loudest window {table['rms_db'].max():.1f} dBFS): "
            "nothing to predict. If the recording is just quiet, lower silence_db",
        )
    _recording_checks(path, table, silence_db)
    return table


def silence_level_for(active_db: float, silence_db: float = SILENCE_DB) -> float:
    """A ``silence_db`` for a recording whose speech is at ``active_db`` dBFS (:func:`utils.data.quality.audio_quality`).

    :data:`SPEECH_ABOVE_SILENCE_DB` below the speech, or ``silence_db`` if that is lower, so that a
    soft speaker's quieter speech is not marked silence while their louder speech is kept.

    Examples
    --------
    >>> silence_level_for(-20.0), silence_level_for(-40.0)
    (-50.0, -70.0)
    """
    return min(silence_db, active_db - SPEECH_ABOVE_SILENCE_DB)


def _recording_checks(path: Path, table: pd.DataFrame, silence_db: float) -> None:
    """File-level quality flags and a note on soft speech, in ``table.attrs`` (see :func:`predict_timeline`)."""
    measures = audio_quality(path)
    table.attrs["flags"] = [f for f in quality_flags(measures) if f != "too_long"]  # a timeline is for long recordings
    active = measures["active_db"]
    table.attrs["level_note"] = (
        f"its speech is at about {active:.0f} dBFS, within {SOFT_MARGIN_DB:g} dB of the silence level ({silence_db:g} dBFS): "
        f"softer speech may be marked silence ({table['silent'].mean():.0%} of the windows are), which biases shares of emotions "
        f"towards loud ones; consider silence_db={silence_level_for(active, silence_db):.0f}"
        if active < silence_db + SOFT_MARGIN_DB else ""
    )


def _stack(inputs: list):
    """Windows' inputs as one batch (a tuple of batches for a compound input kind)."""
    if isinstance(inputs[0], tuple):
        return tuple(np.stack(part) for part in zip(*inputs))
    return np.stack(inputs)


def speech_coverage(starts, ends) -> float:
    """Seconds covered by the union of the intervals ``[start, end)`` (overlaps counted once).

    Examples
    --------
    >>> speech_coverage([0, 1, 2, 10], [3, 4, 5, 13])
    8.0
    """
    total, reach = 0.0, -np.inf
    for s, e in sorted(zip(starts, ends)):
        if e > reach:
            total += e - max(s, reach)
            reach = e
    return float(total)


def _adapt_timeline(b: Bundle, table: pd.DataFrame, kept: list) -> None:
    """Replace the predictions of the non-silent windows by the adapted model's, if there is enough speech."""
    voiced = ~table["silent"].to_numpy(bool)
    seconds = speech_coverage(table.loc[voiced, "start"], table.loc[voiced, "end"])
    table["model"] = np.where(voiced, SINGLE_CLIP, "")
    if seconds < b.min_speech_seconds or len(kept) < 2:
        table.attrs["note"] = (f"{seconds:.1f} s of non-silent windows, less than the {b.min_speech_seconds:g} s of speech that speaker "
                               "adaptation needs: single-clip model")
        return
    index = [i for i, _, _ in kept]
    X = _stack([x for _, x, _ in kept])
    lengths = np.asarray([n for _, _, n in kept])
    probabilities = adapted_proba(b, X, np.zeros(len(index), dtype=int), lengths)
    for i, p in zip(index, probabilities):
        row = result_row(p, b.labels)
        for key, value in row.items():
            table.at[i, key] = value
    table.loc[index, "model"] = ADAPTED
    table.attrs["note"] = f"adapted to {seconds:.1f} s of non-silent windows (one speaker)"


def _predict_windows(b: Bundle, runner, buffer, buffer_start, starts, length, sr, kept=None, first_row: int = 0) -> list:
    """Rows of :func:`predict_timeline` for windows at absolute sample ``starts``.

    With ``kept`` (a list), the features are ``(input, adapted input, real frames)`` tuples and
    ``(row index, adapted input, real frames)`` of every non-silent window is appended to it.
    """
    offsets = [s - buffer_start for s in starts]
    features, levels = runner.run(buffer, offsets, length)
    real = [i for i, f in enumerate(features) if f is not None]
    if kept is not None:
        kept += [(first_row + i, features[i][1], features[i][2]) for i in real]
        features = [f[0] if f is not None else None for f in features]
    probabilities = b.predict_proba(_stack([features[i] for i in real])) if real else np.zeros((0, len(b.labels)))
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


