"""One signal: reading and trimming a clip, and its clip vector and frame sequence.

Reading a clip (:func:`load_clip`) goes through :func:`utils.data.audio.load_audio`, so a bad
file is reported the same way everywhere, resampled to ``config.sr`` with ``config.res_type``.
Every signal then goes through :func:`prepare_signal`, in clip, folder and timeline mode alike:
its DC offset is removed when ``config.remove_dc`` is set (:func:`remove_dc`), and leading and
trailing silence is trimmed when ``config.trim_db`` is set (:func:`librosa.effects.trim` with
``frame_length=n_fft``, ``hop_length=hop_length``), and its level is brought to
``config.level_db`` when that is set (:func:`normalize_level`), all *before* any augmentation, so
a noisy copy covers the same speech.

Clips shorter than the analysis window (``n_fft`` samples, 32 ms at the defaults) are rejected,
never padded: :func:`load_clip` raises :class:`~utils.data.audio.AudioError` naming the file, and
:func:`compute` raises :class:`ValueError` naming ``y``.

The classic clip vector is the 180-dimensional one of the course: 40 MFCC + 12 chroma + 128 mel
bands, each averaged over time (:func:`clip_features`).  Frame-level sequences
(:func:`clip_frames`, for the Conv1D models) have a fixed length of ``config.n_frames`` STFT
frames: a longer clip keeps its middle (``frame_crop="center"``) or its beginning
(``frame_crop="start"``); a shorter one is padded *at the end* with ``pad_value``.

Examples
--------
>>> import numpy as np
>>> config = FeatureConfig()
>>> y = np.random.default_rng(0).standard_normal(16000).astype("float32") * 0.1
>>> clip_features(y, config).shape
(180,)
>>> clip_frames(y, config).shape
(300, 40)
"""

from __future__ import annotations

import numpy as np

from ..data.audio import AudioError, load_audio
from ..data.quality import active_level_db
from .config import SPECTRAL_BLOCKS, FeatureConfig
from .prosody import prosody_frames
from .spectral import power_spectrogram, spectral_blocks


def time_major_blocks(y, config: FeatureConfig, blocks) -> dict:
    """Feature blocks as ``(n_stft_frames, block size)`` float32 arrays, from one STFT."""
    power = power_spectrogram(y, config)
    out = spectral_blocks(power, config, set(blocks) - {"prosody"})
    if "prosody" in blocks:
        out["prosody"] = prosody_frames(y, config, power=power)
    return out


def feature_blocks(y, config: FeatureConfig, blocks=SPECTRAL_BLOCKS) -> dict:
    """Frame-wise feature blocks of a clip, all from one STFT.

    Parameters
    ----------
    y : np.ndarray
        Mono signal at ``config.sr``.
    config : FeatureConfig
    blocks : iterable of str
        Which of ``"mfcc"``, ``"chroma"``, ``"mel"`` to compute.

    Returns
    -------
    dict of str to np.ndarray
        Each block as float32 ``(block size, n_stft_frames)``, as the librosa function of the same
        name returns it.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).standard_normal(8000).astype("float32") * 0.1
    >>> feature_blocks(y, FeatureConfig(), ["mel"])["mel"].shape
    (128, 51)
    """
    return {name: block.T for name, block in time_major_blocks(y, config, blocks).items()}


_POOL = {
    "mean": lambda a: np.mean(a, axis=0),
    "std": lambda a: np.std(a, axis=0),
    "min": lambda a: np.min(a, axis=0),
    "max": lambda a: np.max(a, axis=0),
}


def _pool(blocks: dict, config: FeatureConfig) -> np.ndarray:
    """Clip vector: every statistic of every vector block over time, statistics outermost."""
    parts = [_POOL[stat](blocks[b]) for stat in config.stats for b in config.vector_features]
    return np.concatenate(parts).astype(np.float32, copy=False)


def _sequence(blocks: dict, config: FeatureConfig) -> np.ndarray:
    """Frame sequence ``(n_frames, n_frame_features)``: cropped or padded at the end."""
    seq = np.concatenate([blocks[b] for b in config.frame_features], axis=1)
    n = config.n_frames
    if len(seq) > n:
        start = (len(seq) - n) // 2 if config.frame_crop == "center" else 0
        return np.ascontiguousarray(seq[start : start + n], dtype=np.float32)
    out = np.full((n, seq.shape[1]), config.pad_value, dtype=np.float32)
    out[: len(seq)] = seq
    return out


def compute(y, config: FeatureConfig, with_frames: bool = False):
    """Clip vector and, optionally, the frame sequence of one signal, from a single STFT.

    Parameters
    ----------
    y : np.ndarray
        Mono float signal at ``config.sr``, at least ``config.n_fft`` samples long.
    config : FeatureConfig
    with_frames : bool
        Also return the frame-level sequence.

    Returns
    -------
    vector : np.ndarray
        ``(config.vector_size,)`` float32.
    sequence : np.ndarray or None
        ``(config.n_frames, config.n_frame_features)`` float32, or ``None`` if ``with_frames=False``.

    Raises
    ------
    ValueError
        ``y`` is not mono, not floating point, not finite, or shorter than ``n_fft`` samples.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).standard_normal(16000).astype("float32") * 0.1
    >>> vector, sequence = compute(y, FeatureConfig(), with_frames=True)
    >>> vector.shape, sequence.shape
    ((180,), (300, 40))
    """
    wanted = set(config.vector_features) | (set(config.frame_features) if with_frames else set())
    blocks = time_major_blocks(y, config, wanted)
    return _pool(blocks, config), (_sequence(blocks, config) if with_frames else None)


def clip_features(y, config: FeatureConfig) -> np.ndarray:
    """The pooled clip vector, ``(config.vector_size,)`` float32 (see :func:`compute`).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).standard_normal(16000).astype("float32") * 0.1
    >>> clip_features(y, FeatureConfig()).shape
    (180,)
    """
    return compute(y, config, with_frames=False)[0]


def clip_frames(y, config: FeatureConfig) -> np.ndarray:
    """The frame sequence, ``(config.n_frames, config.n_frame_features)`` float32.

    Only the blocks of ``config.frame_features`` are computed.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).standard_normal(16000).astype("float32") * 0.1
    >>> clip_frames(y, FeatureConfig(n_frames=50)).shape
    (50, 40)
    """
    return _sequence(time_major_blocks(y, config, config.frame_features), config)


def trim_silence(y, config: FeatureConfig) -> np.ndarray:
    """Cut leading and trailing silence as :func:`load_clip` does (no-op if ``config.trim_db`` is None).

    Frames more than ``config.trim_db`` dB below the loudest frame are silence
    (:func:`librosa.effects.trim` with ``frame_length=n_fft``, ``hop_length=hop_length``).
    Signals shorter than ``n_fft`` are returned unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.concatenate([np.zeros(8000), 0.5 * np.ones(8000), np.zeros(8000)]).astype("float32")
    >>> len(trim_silence(y, FeatureConfig())) < len(y)
    True
    """
    if config.trim_db is None or len(y) < config.n_fft:
        return y
    import librosa

    trimmed, _ = librosa.effects.trim(y, top_db=config.trim_db, frame_length=config.n_fft, hop_length=config.hop_length)
    return trimmed


def remove_dc(y, config: FeatureConfig) -> np.ndarray:
    """The signal minus its mean (its DC offset), if ``config.remove_dc`` is set; else ``y`` unchanged.

    A constant offset adds energy at 0 Hz to every frame: trimming (which looks for quiet frames)
    then finds none, and the lowest mel bands and the first MFCCs follow the offset rather than
    the voice.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.sin(np.linspace(0, 200 * np.pi, 16000)).astype("float32") + 0.01
    >>> round(float(remove_dc(y, FeatureConfig()).mean()), 6)
    0.0
    """
    if not config.remove_dc or not len(y):
        return y
    return (y - np.mean(y, dtype=np.float64)).astype(y.dtype, copy=False)


def normalize_level(y, config: FeatureConfig) -> np.ndarray:
    """The signal scaled so that its active level is ``config.level_db`` dBFS (``y`` unchanged if that is None).

    The active level is :func:`utils.data.quality.active_level_db` (pauses do not count).  The
    result may exceed full scale (it is never written back to a file, and float features do not
    clip).  A signal without any energy is returned unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from utils.data.quality import active_level_db
    >>> y = 0.01 * np.sin(np.linspace(0, 400 * np.pi, 16000)).astype("float32")
    >>> round(active_level_db(normalize_level(y, FeatureConfig(level_db=-25.0)), 16000), 1)
    -25.0
    """
    if config.level_db is None or not len(y):
        return y
    level = active_level_db(y, config.sr)
    if level < -150:
        return y
    return (y * np.float32(10 ** ((config.level_db - level) / 20))).astype(y.dtype, copy=False)


def prepare_signal(y, config: FeatureConfig) -> np.ndarray:
    """What every signal goes through before its features: :func:`remove_dc`, :func:`trim_silence`, then :func:`normalize_level`.

    Examples
    --------
    >>> import numpy as np
    >>> tone = 0.3 * np.sin(np.linspace(0, 200 * np.pi, 8000))
    >>> y = (np.concatenate([np.zeros(8000), tone, np.zeros(8000)]) + 0.01).astype("float32")
    >>> len(prepare_signal(y, FeatureConfig())) < 12000          # the offset does not stop the trimming
    True
    """
    return normalize_level(trim_silence(remove_dc(y, config), config), config)


def load_clip(path, config: FeatureConfig) -> np.ndarray:
    """Read a file as the mono float32 signal the features are computed from.

    Decodes with :func:`utils.data.audio.load_audio` (``offset``, ``duration``, resampled to
    ``config.sr`` with ``config.res_type``), then removes the DC offset and trims silence
    (:func:`prepare_signal`).

    Parameters
    ----------
    path : str or Path
    config : FeatureConfig

    Returns
    -------
    np.ndarray
        ``(n,)`` float32 at ``config.sr``.

    Raises
    ------
    AudioError
        Everything :func:`~utils.data.audio.load_audio` rejects, and clips shorter than the analysis
        window (``n_fft`` samples) after trimming.

    Examples
    --------
    >>> y = load_clip("data/demo/RAVDESS-demo-synthetic/Actor_01/03-01-05-02-01-01-01.wav", FeatureConfig())  # doctest: +SKIP
    """
    y, _ = load_audio(path, sr=config.sr, offset=config.offset, duration=config.duration, res_type=config.res_type)
    read = len(y)
    y = prepare_signal(y, config)
    if len(y) < config.n_fft:
        trimmed = f" after trimming silence (read {read})" if len(y) != read else ""
        raise AudioError(
            path,
            f"too short: {len(y)} samples{trimmed} at {config.sr} Hz, shorter than the analysis window "
            f"n_fft={config.n_fft} ({1000 * config.n_fft / config.sr:.0f} ms)",
        )
    return np.ascontiguousarray(y, dtype=np.float32)

