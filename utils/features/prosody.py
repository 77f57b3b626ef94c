"""Prosody: pitch, voicing, periodicity and energy of every frame, and their clip statistics.

The pitch tracker is YIN (de Cheveigné & Kawahara 2002, ``decheveigne2002yin`` in
``references.bib``): for every frame, the cumulative mean normalised difference function
``d'(tau)`` of the signal with itself shifted by ``tau`` samples is computed; the first trough
below a threshold (or the deepest one, if none is) gives the period, refined by parabolic
interpolation.  :func:`yin` writes the few lines of it out with public NumPy and librosa functions
and returns the frame's *aperiodicity* ``d'`` at that trough as well as the pitch, which the
voicing decision needs; its pitch equals :func:`librosa.yin` with the same settings
(``tests/test_prosody.py``).

``librosa.pyin`` would give smoother contours but costs far more per clip; YIN with an
aperiodicity threshold is a fair voicing decision for clean speech.
"""

from __future__ import annotations

import math

import numpy as np

from .config import FeatureConfig
from .spectral import check_signal, power_spectrogram

PROSODY_STATISTICS = (
    "f0_mean", "f0_std", "f0_p10", "f0_p50", "f0_p90", "f0_range", "f0_slope", "f0_jitter",
    "voiced_fraction", "voiced_onsets_per_s", "periodicity_mean", "periodicity_std",
    "energy_mean", "energy_std", "energy_p10", "energy_p50", "energy_p90", "energy_range",
    "energy_delta_abs", "energy_voiced_mean", "log_duration",
)
"""Names of the clip-level prosody values of :func:`prosody_statistics` (voiced frames only for f0)."""


def pitch_frame_length(sr: int, fmin: float) -> int:
    """YIN analysis window: the power of two holding at least two periods of ``fmin``."""
    return int(2 ** math.ceil(math.log2(2 * sr / fmin)))


def _cumulative_mean_normalized_difference(frames: np.ndarray, min_period: int, max_period: int) -> np.ndarray:
    """YIN's ``d'(tau)`` for ``tau = min_period .. max_period`` of ``(frame_length, n)`` frames.

    The difference ``d(tau) = sum_j (x_j - x_{j+tau})**2`` is written with the autocorrelation
    ``r``: ``d(tau) = 2 (r(0) - r(tau)) - sum_{j < tau} x_j**2`` (equation 7 of the paper, with the
    energy of the frame's first ``tau`` samples), and ``d'(tau) = d(tau) / mean(d(1..tau))``.
    """
    import librosa

    acf = librosa.autocorrelate(frames, max_size=max_period + 1, axis=0)
    energy = np.cumsum(np.square(frames), axis=0)
    diff = np.zeros((max_period + 1, frames.shape[1]), dtype=frames.dtype)
    diff[1:] = 2 * (acf[:1] - acf[1 : max_period + 1]) - energy[:max_period]
    cumulative_mean = np.cumsum(diff[1:], axis=0) / np.arange(1, max_period + 1)[:, None]
    denominator = cumulative_mean[min_period - 1 : max_period]
    return diff[min_period : max_period + 1] / (denominator + np.finfo(denominator.dtype).tiny)


def _parabolic_shifts(x: np.ndarray) -> np.ndarray:
    """Offset (in bins, along axis 0) of the vertex of the parabola through each bin and its neighbours.

    0 where the vertex would lie more than one bin away, and at the two ends.
    """
    shifts = np.zeros_like(x)
    a = x[2:] + x[:-2] - 2 * x[1:-1]
    b = (x[2:] - x[:-2]) / 2
    inside = np.abs(b) < np.abs(a)
    shifts[1:-1] = np.where(inside, -b / np.where(inside, a, 1), 0)
    return shifts


def yin(y, sr: int, *, fmin: float, fmax: float, frame_length: int, hop_length: int, threshold: float) -> tuple:
    """Pitch and aperiodicity of every frame by YIN, frames centred on ``t * hop_length``.

    Parameters
    ----------
    y : np.ndarray
        Mono float signal.
    sr : int
        Its sample rate.
    fmin, fmax : float
        Search range of the fundamental frequency (Hz).
    frame_length : int
        Analysis window in samples (it must hold at least two periods of ``fmin``).
    hop_length : int
        Samples between frames.
    threshold : float
        The first trough of ``d'`` below this value gives the period (``trough_threshold`` of
        :func:`librosa.yin`).

    Returns
    -------
    f0 : np.ndarray
        ``(1 + len(y) // hop_length,)`` fundamental frequency in Hz.
    aperiodicity : np.ndarray
        ``d'`` at the chosen period: near 0 for a periodic frame, near 1 or above for noise.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.sin(2 * np.pi * 200 * np.arange(8000) / 8000)
    >>> f0, ap = yin(y, 8000, fmin=60, fmax=500, frame_length=512, hop_length=80, threshold=0.1)
    >>> round(float(np.median(f0))), bool(np.median(ap) < 0.05)
    (200, True)
    """
    import librosa

    y = np.asarray(y)
    padded = np.pad(y, (frame_length // 2, frame_length // 2))
    frames = librosa.util.frame(padded, frame_length=frame_length, hop_length=hop_length)
    min_period = int(np.floor(sr / fmax))
    max_period = min(int(np.ceil(sr / fmin)), frame_length - 1)
    cmnd = _cumulative_mean_normalized_difference(frames, min_period, max_period)
    shifts = _parabolic_shifts(cmnd)
    is_trough = librosa.util.localmin(cmnd, axis=0)
    is_trough[0, :] = cmnd[0, :] < cmnd[1, :]
    below = is_trough & (cmnd < threshold)
    lag = np.where(below.any(axis=0), np.argmax(below, axis=0), np.argmin(cmnd, axis=0))
    columns = np.arange(cmnd.shape[1])
    period = min_period + lag + shifts[lag, columns]
    return sr / period, cmnd[lag, columns]


def prosody_frames(y, config: FeatureConfig, *, power=None) -> np.ndarray:
    """Pitch, voicing, periodicity and energy of every STFT frame, ``(n_stft_frames, 4)`` float32.

    The columns are :data:`utils.features.config.PROSODY_NAMES`:

    ``f0_semitones``
        Fundamental frequency from :func:`yin` (``config.pitch_fmin`` to ``config.pitch_fmax``,
        at most ``sr / 4``; window :func:`pitch_frame_length`) in semitones above 55 Hz,
        ``12 * log2(f0 / 55)``; 0 on unvoiced frames.
    ``voiced``
        1 where the frame is voiced (aperiodicity below ``config.voicing_threshold`` and energy
        within ``config.voicing_top_db`` dB of the loudest frame), else 0.
    ``periodicity``
        ``1 - aperiodicity`` clipped to [0, 1]: how periodic (harmonic) the frame is.
    ``energy_db``
        Frame energy in dB, ``10 log10(mean power of the STFT frame + 1e-10)``.

    The frames are centred like the STFT's (``1 + len(y) // hop_length`` of them), so the block
    lines up with the spectral ones.

    Parameters
    ----------
    y : np.ndarray
        Mono float signal at ``config.sr``.
    config : FeatureConfig
    power : np.ndarray, optional
        The clip's :func:`~utils.features.spectral.power_spectrogram`, if already computed.

    Returns
    -------
    np.ndarray
        ``(n_stft_frames, 4)`` float32.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(16000) / 16000
    >>> y = (0.3 * np.sin(2 * np.pi * 220 * t)).astype("float32")
    >>> p = prosody_frames(y, FeatureConfig())
    >>> p.shape, round(float(np.median(p[10:-10, 0])), 1), float(p[10:-10, 1].min())
    ((101, 4), 24.0, 1.0)
    """
    y = check_signal(y, config)
    if power is None:
        power = power_spectrogram(y, config)
    f0, aperiodicity = yin(
        y, config.sr, fmin=config.pitch_fmin, fmax=min(config.pitch_fmax, config.sr / 4),
        frame_length=pitch_frame_length(config.sr, config.pitch_fmin), hop_length=config.hop_length,
        threshold=config.voicing_threshold,
    )
    n = power.shape[0]
    f0, aperiodicity = f0[:n], aperiodicity[:n]  # both have 1 + len(y) // hop_length frames
    energy_db = 10 * np.log10(power.mean(axis=1) + 1e-10)
    voiced = (aperiodicity < config.voicing_threshold) & (energy_db > energy_db.max() - config.voicing_top_db)
    semitones = np.where(voiced, 12 * np.log2(np.maximum(f0, 1.0) / 55.0), 0.0)
    periodicity = np.clip(1 - aperiodicity, 0, 1)
    return np.stack([semitones, voiced.astype(np.float64), periodicity, energy_db], axis=1).astype(np.float32)


def regression_delta(a: np.ndarray, width: int) -> np.ndarray:
    """Regression deltas over time of ``(t, d)`` frames (:func:`librosa.feature.delta`).

    A sequence shorter than ``width`` frames uses the widest odd window it holds (``nearest``
    edges), one of fewer than 3 frames gives zeros.
    """
    import librosa

    if len(a) < 3:
        return np.zeros_like(a)
    return librosa.feature.delta(a, width=min(width, len(a) if len(a) % 2 else len(a) - 1), axis=0, mode="interp" if len(a) >= width else "nearest")


def prosody_statistics(p: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """The clip-level values :data:`PROSODY_STATISTICS` of ``(t, 4)`` real prosody frames.

    Pitch statistics over voiced frames (mean, spread, 10th/50th/90th percentiles, range, slope in
    semitones per second, mean absolute frame-to-frame change inside voiced stretches), voiced
    fraction, voiced onsets per second (a speaking-rate proxy), periodicity, energy statistics and
    the log duration of the analysed signal.  Clips with fewer than two voiced frames get zeros
    for the pitch values.
    """
    semitones, voiced, periodicity, energy = p[:, 0], p[:, 1] > 0.5, p[:, 2], p[:, 3]
    seconds = len(p) * config.hop_length / config.sr
    f0 = semitones[voiced]
    if len(f0) >= 2:
        q10, q50, q90 = np.percentile(f0, [10, 50, 90])
        t = np.flatnonzero(voiced) * config.hop_length / config.sr
        slope = float(np.polyfit(t, f0, 1)[0]) if np.ptp(t) > 0 else 0.0
        steps = np.diff(semitones)[voiced[1:] & voiced[:-1]]
        jitter = float(np.mean(np.abs(steps))) if len(steps) else 0.0
        f0_stats = [f0.mean(), f0.std(), q10, q50, q90, q90 - q10, slope, jitter]
    else:
        f0_stats = [0.0] * 8
    onsets = np.count_nonzero(voiced[1:] & ~voiced[:-1]) + int(voiced[0])
    e_q = np.percentile(energy, [10, 50, 90])
    d_energy = regression_delta(energy[:, None], config.delta_width)[:, 0]
    return np.asarray([
        *f0_stats,
        voiced.mean(),
        onsets / seconds,
        periodicity.mean(),
        periodicity.std(),
        energy.mean(),
        energy.std(),
        *e_q,
        e_q[2] - e_q[0],
        np.abs(d_energy).mean(),
        energy[voiced].mean() if voiced.any() else energy.mean(),
        np.log(seconds),
    ], dtype=np.float64)


def voiced_frame_count(y, config: FeatureConfig) -> int:
    """How many frames of a signal are voiced, as the ``voiced`` column of :func:`prosody_frames` decides.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(16000) / 16000
    >>> voiced_frame_count((0.3 * np.sin(2 * np.pi * 220 * t)).astype("float32"), FeatureConfig()) > 90
    True
    >>> voiced_frame_count((0.01 * np.random.default_rng(0).standard_normal(16000)).astype("float32"), FeatureConfig())
    0
    """
    return int(prosody_frames(y, config)[:, 1].sum())

