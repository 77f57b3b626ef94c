"""Data augmentation: noise at a chosen signal-to-noise ratio, pitch shift and time stretch.

Augmentation makes extra *training* examples.  It is applied to training clips only, after the
split: a noisy copy of a test clip in the training set would let the model recognise that clip
(and its speaker) instead of the emotion.

The noise level is set by a signal-to-noise ratio in decibels,

    SNR_dB = 10 log10(P_signal / P_noise),

so 20 dB means the speech carries 100 times the power of the noise, whatever the recording's
level.  The signal's power is measured over the parts that hold speech (not the silence before
and after it), so two recordings of the same sentence get the same audible amount of noise.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> y = np.sin(2 * np.pi * 220 * np.arange(16000) / 16000).astype("float32")
>>> noisy = add_noise(y, snr_db=10, rng=rng)
>>> round(measure_snr(y, noisy), 1)
10.0
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np

ACTIVE_TOP_DB = 40.0
"""Frames more than this many dB below the loudest frame count as silence when measuring power."""


def _as_rng(rng) -> np.random.Generator:
    """Accept a Generator, a seed, or None (fresh, unseeded)."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def active_mask(y: np.ndarray, *, top_db: float = ACTIVE_TOP_DB, frame_length: int = 1024, hop_length: int = 256) -> np.ndarray:
    """Boolean mask of the samples that belong to non-silent stretches of ``y``.

    Uses :func:`librosa.effects.split`, which marks frames within ``top_db`` of the loudest frame.
    """
    import librosa

    mask = np.zeros(len(y), dtype=bool)
    for start, stop in librosa.effects.split(y, top_db=top_db, frame_length=frame_length, hop_length=hop_length):
        mask[start:stop] = True
    return mask


def signal_power(y: np.ndarray, *, active_only: bool = True, top_db: float = ACTIVE_TOP_DB) -> float:
    """Mean power (mean of squared samples) of ``y``, over its active parts by default."""
    y = np.asarray(y, dtype=np.float32)
    if active_only:
        mask = active_mask(y, top_db=top_db)
        if mask.any():
            y = y[mask]
    return float(np.dot(y, y)) / y.size if y.size else 0.0


def add_noise(y: np.ndarray, snr_db: float, rng=None, *, active_only: bool = True) -> np.ndarray:
    """Add white Gaussian noise so that the speech-to-noise ratio is ``snr_db`` decibels.

    Parameters
    ----------
    y : np.ndarray
        Mono signal.
    snr_db : float
        Wanted signal-to-noise ratio in dB (lower means noisier; 0 dB is equal power).
    rng : np.random.Generator or int, optional
        Source of the noise; pass one for repeatable results.
    active_only : bool
        Measure the signal's power over its speech only (default) or over the whole clip.

    Returns
    -------
    np.ndarray
        ``y`` plus noise, same dtype and length.
    """
    y = np.asarray(y)
    if not np.isfinite(snr_db):
        raise ValueError(f"snr_db must be a finite number of decibels, not {snr_db!r}")
    p_signal = signal_power(y, active_only=active_only)
    if p_signal == 0.0:
        return y.copy()
    p_noise = p_signal / (10.0 ** (snr_db / 10.0))
    noise = _as_rng(rng).standard_normal(len(y), dtype=np.float32)
    noise *= np.float32(np.sqrt(p_noise))
    return (y + noise).astype(y.dtype, copy=False)


def add_noise_peak_fraction(y: np.ndarray, fraction: float, rng=None) -> np.ndarray:
    """Add Gaussian noise whose standard deviation is ``fraction`` of the clip's peak amplitude.

    This is the common recipe that notebook 02 compares with :func:`add_noise`: the noise it adds
    depends on a single loudest sample, so two clips get very different SNRs for the same fraction.
    """
    y = np.asarray(y)
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    return (y + fraction * peak * _as_rng(rng).standard_normal(len(y))).astype(y.dtype, copy=False)


def measure_snr(clean: np.ndarray, noisy: np.ndarray, *, active_only: bool = True) -> float:
    """SNR in dB of ``noisy`` against the ``clean`` signal it was made from."""
    clean = np.asarray(clean, dtype=np.float64)
    noise = np.asarray(noisy, dtype=np.float64) - clean
    mask = active_mask(clean.astype(np.float32)) if active_only else np.ones(len(clean), bool)
    if not mask.any():
        mask[:] = True
    p_signal = np.mean(clean[mask] ** 2)
    p_noise = np.mean(noise[mask] ** 2)
    return float(10 * np.log10(p_signal / p_noise)) if p_noise > 0 else float("inf")


def pitch_shift(y: np.ndarray, sr: int, n_steps: float) -> np.ndarray:
    """Shift the pitch by ``n_steps`` semitones, keeping the duration (librosa's phase vocoder)."""
    import librosa

    return librosa.effects.pitch_shift(np.asarray(y, dtype=np.float32), sr=sr, n_steps=n_steps)


def time_stretch(y: np.ndarray, rate: float) -> np.ndarray:
    """Speed up (``rate > 1``) or slow down (``rate < 1``) without changing the pitch."""
    import librosa

    if rate <= 0:
        raise ValueError(f"rate must be positive, not {rate!r}")
    return librosa.effects.time_stretch(np.asarray(y, dtype=np.float32), rate=rate)


@dataclass(frozen=True)
class Augmentation:
    """One augmentation, described by plain values so it can key a cache and be saved as JSON.

    Parameters
    ----------
    kind : {"noise", "peak_noise", "pitch", "stretch"}
        ``noise`` adds white noise at ``value`` dB SNR; ``peak_noise`` adds white noise whose
        standard deviation is ``value`` times the clip's peak amplitude (the seed project's
        ``y + 0.035 * max|y| * N(0, 1)``, see :func:`add_noise_peak_fraction`); ``pitch`` shifts
        by ``value`` semitones; ``stretch`` changes the tempo by the factor ``value``.
    value : float
        The amount, as above.
    seed : int
        Seed of the noise (used by ``noise`` and ``peak_noise``); the same seed and clip give the
        same copy.

    Examples
    --------
    >>> Augmentation("noise", 20).name
    'noise20dB'
    >>> Augmentation("peak_noise", 0.035).name
    'peaknoise0.035'
    """

    kind: str
    value: float
    seed: int = 0

    def __post_init__(self):
        if self.kind not in {"noise", "peak_noise", "pitch", "stretch"}:
            raise ValueError(f"Augmentation kind must be 'noise', 'peak_noise', 'pitch' or 'stretch', not {self.kind!r}")
        if self.kind == "peak_noise" and not (np.isfinite(self.value) and self.value >= 0):
            raise ValueError(f"peak_noise needs a fraction of the peak >= 0, not {self.value!r}")

    @property
    def name(self) -> str:
        """Short readable name, e.g. ``noise20dB``, ``peaknoise0.035``, ``pitch+2``, ``stretch0.9``."""
        if self.kind == "noise":
            return f"noise{self.value:g}dB"
        if self.kind == "peak_noise":
            return f"peaknoise{self.value:g}"
        if self.kind == "pitch":
            return f"pitch{self.value:+g}"
        return f"stretch{self.value:g}"

    def key(self) -> str:
        """Stable hash of the description, for cache keys."""
        return hashlib.sha1(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]

    def apply(self, y: np.ndarray, sr: int, *, clip_id: str = "") -> np.ndarray:
        """Return the augmented copy of ``y``; ``clip_id`` makes the noise differ between clips."""
        if self.kind in ("noise", "peak_noise"):
            digest = hashlib.sha1(f"{self.seed}:{clip_id}".encode()).digest()
            rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
            if self.kind == "peak_noise":
                return add_noise_peak_fraction(y, self.value, rng)
            return add_noise(y, self.value, rng)
        if self.kind == "pitch":
            return pitch_shift(y, sr, self.value)
        return time_stretch(y, self.value)
