"""The spectral blocks of a clip: one STFT, and mel, MFCC and chroma derived from it.

:func:`power_spectrogram` computes the short-time Fourier transform (STFT) of a clip once (the
frames of :func:`librosa.stft` with a Hann window, ``center=True`` and zero padding, in one real
FFT) and :func:`spectral_blocks` derives the three blocks from its power spectrogram
``S = |STFT|**2``:

- mel = ``mel_basis @ S`` (the slaney mel filterbank of :func:`librosa.filters.mel`),
- MFCC = the orthonormal type-2 DCT of ``power_to_db(mel)``, first ``n_mfcc`` rows,
- chroma = ``chroma_basis @ S`` (:func:`librosa.filters.chroma` with ``tuning=0.0``), each frame
  divided by its maximum,

which is what :func:`librosa.feature.melspectrogram`, :func:`librosa.feature.mfcc` and
:func:`librosa.feature.chroma_stft` (with ``tuning=0.0``) compute when called one by one, each
from the signal and each with its own STFT (to float32 rounding; ``tests/test_features.py``
checks the agreement).  The filterbanks and the DCT matrix are built once per configuration
(:func:`functools.lru_cache`).  Internally the spectrogram is time-major (frames x bins), so that
the filterbank products are plain C-ordered matrix products.
"""

from __future__ import annotations

import functools

import numpy as np

from .config import FeatureConfig


@functools.lru_cache(maxsize=16)
def mel_basis(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float | None) -> np.ndarray:
    """Slaney mel filterbank ``(n_mels, 1 + n_fft // 2)``, float32, as librosa's melspectrogram uses."""
    import librosa

    return _frozen(librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax))


@functools.lru_cache(maxsize=16)
def chroma_basis(sr: int, n_fft: int, n_chroma: int) -> np.ndarray:
    """Chroma filterbank ``(n_chroma, 1 + n_fft // 2)`` with ``tuning=0.0``, float32."""
    import librosa

    return _frozen(librosa.filters.chroma(sr=sr, n_fft=n_fft, n_chroma=n_chroma, tuning=0.0))


@functools.lru_cache(maxsize=16)
def dct_matrix(n_mfcc: int, n_mels: int) -> np.ndarray:
    """First ``n_mfcc`` rows of the orthonormal type-2 DCT on ``n_mels`` points, float32.

    ``dct_matrix(n_mfcc, n_mels) @ log_mel`` equals
    ``scipy.fft.dct(log_mel, type=2, norm="ortho", axis=0)[:n_mfcc]``, as in librosa's mfcc.
    """
    import scipy.fft

    return _frozen(scipy.fft.dct(np.eye(n_mels), type=2, norm="ortho", axis=0)[:n_mfcc].astype(np.float32))


@functools.lru_cache(maxsize=16)
def stft_window(n_fft: int, win_length: int | None) -> np.ndarray:
    """Periodic Hann window of ``win_length`` zero-padded to ``n_fft`` in the centre, as librosa's stft."""
    import librosa
    import scipy.signal

    window = scipy.signal.get_window("hann", win_length or n_fft, fftbins=True)
    return _frozen(librosa.util.pad_center(window, size=n_fft).astype(np.float32))


@functools.lru_cache(maxsize=16)
def _transposed(name: str, *args) -> np.ndarray:
    """C-ordered transposes of the filterbanks, for products with time-major spectrograms."""
    basis = {"mel": mel_basis, "chroma": chroma_basis, "dct": dct_matrix}[name](*args)
    return _frozen(np.ascontiguousarray(basis.T))


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def check_signal(y, config: FeatureConfig) -> np.ndarray:
    """Return ``y`` as a contiguous float32 mono signal long enough for one analysis window."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be a mono signal of shape (n,), not shape {y.shape}")
    if not np.issubdtype(y.dtype, np.floating):
        raise ValueError(f"y must hold floating-point samples in [-1, 1], not {y.dtype}")
    if len(y) < config.n_fft:
        raise ValueError(
            f"y holds {len(y)} samples, shorter than the analysis window n_fft={config.n_fft} "
            f"({1000 * config.n_fft / config.sr:.0f} ms at sr={config.sr})"
        )
    y = np.ascontiguousarray(y, dtype=np.float32)
    if not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinite samples")
    return y


def power_spectrogram(y, config: FeatureConfig) -> np.ndarray:
    """``|STFT|**2`` of a clip, time-major ``(n_stft_frames, 1 + n_fft // 2)`` float32.

    The same frames as ``librosa.stft(y, n_fft, hop_length, win_length, window="hann",
    center=True, pad_mode="constant")``: the signal is zero-padded by ``n_fft // 2`` on both
    sides and frame ``t`` is centred on sample ``t * hop_length``, so there are
    ``1 + len(y) // hop_length`` frames, computed with one real FFT over all frames.

    Examples
    --------
    >>> import numpy as np
    >>> power_spectrogram(np.ones(16000, "float32"), FeatureConfig()).shape
    (101, 257)
    """
    import scipy.fft

    y = check_signal(y, config)
    half = config.n_fft // 2
    padded = np.pad(y, (half, half))
    frames = np.lib.stride_tricks.sliding_window_view(padded, config.n_fft)[:: config.hop_length]
    spectrum = scipy.fft.rfft(frames * stft_window(config.n_fft, config.win_length), axis=1)
    return (spectrum.real**2 + spectrum.imag**2).astype(np.float32, copy=False)



def spectral_blocks(power: np.ndarray, config: FeatureConfig, blocks) -> dict:
    """The spectral blocks named in ``blocks`` (any of mfcc, mel, chroma) from a power spectrogram.

    Parameters
    ----------
    power : np.ndarray
        Time-major ``(n_stft_frames, 1 + n_fft // 2)`` output of :func:`power_spectrogram`.
    config : FeatureConfig
    blocks : iterable of str

    Returns
    -------
    dict of str to np.ndarray
        Each block as float32 ``(n_stft_frames, block size)``.
    """
    import librosa

    blocks = set(blocks)
    out = {}
    if blocks & {"mel", "mfcc"}:
        mel = power @ _transposed("mel", config.sr, config.n_fft, config.n_mels, config.fmin, config.fmax)
        if "mel" in blocks:
            out["mel"] = mel
        if "mfcc" in blocks:
            out["mfcc"] = librosa.power_to_db(mel) @ _transposed("dct", config.n_mfcc, config.n_mels)
    if "chroma" in blocks:
        raw = power @ _transposed("chroma", config.sr, config.n_fft, config.n_chroma)
        out["chroma"] = librosa.util.normalize(raw, norm=np.inf, axis=1)
    return out
