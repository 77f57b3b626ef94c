"""What a model takes as input, computed the same way at training and at prediction time.

Input kinds (:data:`INPUT_KINDS`):

``"vector"``
    The pooled clip vector ``(config.vector_size,)`` (:func:`utils.features.clip.compute`).
``"frames"``
    The frame sequence ``(config.n_frames, config.n_frame_features)``.
``"stats"``
    Pooled statistics of the frame sequence over its real (unpadded) frames,
    :func:`frame_statistics`: the input of the course recipe's dense network.
``"log_frames"``
    The frame sequence with the mel bands in dB and each clip's own mean over its real frames
    removed from the MFCC and mel values (:func:`log_frames`): the input of the course's Conv1D.

:func:`signal_inputs` computes one signal's input, :func:`feature_set_inputs` the inputs of the
rows of an extracted :class:`~utils.features.featureset.FeatureSet`; :func:`input_shape` and
:func:`statistics_names` follow from the configuration alone.  The model bundle
(:mod:`utils.predict.bundle`) and the recipes (:mod:`utils.learn.recipes`) use nothing else.

Examples
--------
>>> config = FeatureConfig(n_frames=50, frame_features=("mfcc", "prosody"))
>>> input_shape(config, "stats")
(301,)
>>> statistics_names(config)[0], statistics_names(config)[-1]
('mfcc_01_mean', 'log_duration')
"""

from __future__ import annotations

import numpy as np

from ..core.arrays import BLOCK_ROWS, new_array
from .clip import clip_frames, compute
from .config import FeatureConfig
from .prosody import PROSODY_STATISTICS, prosody_statistics, regression_delta

INPUT_KINDS = ("vector", "frames", "stats", "log_frames")
"""What a model takes: pooled clip vectors, frame sequences, pooled statistics of the frames, or
frame sequences in dB with each clip's mean removed."""

FRAME_KINDS = ("frames", "log_frames")
"""Input kinds that are frame sequences (scaled frame by frame, padded at the end)."""


def statistics_names(config: FeatureConfig) -> list:
    """Names of the columns of :func:`frame_statistics` for ``config``.

    Per block of ``config.frame_features``: ``mfcc`` mean, standard deviation and
    ``config.percentiles`` of every coefficient, and (``config.deltas``) the standard deviation of
    its first and second regression deltas; ``mel`` mean and standard deviation of every band in
    dB; ``chroma`` mean and standard deviation; ``prosody``
    :data:`~utils.features.prosody.PROSODY_STATISTICS`.
    """
    names = []
    for block in config.frame_features:
        base = config.block_names(block)
        if block == "mfcc":
            names += [f"{n}_{s}" for s in ("mean", "std", *(f"p{q:g}" for q in config.percentiles)) for n in base]
            if config.deltas:
                names += [f"{n}_{s}" for s in ("delta_std", "delta2_std") for n in base]
        elif block == "prosody":
            names += list(PROSODY_STATISTICS)
        else:
            names += [f"{n}_{s}" for s in ("mean", "std") for n in base]
    return names


def _block_statistics(block: str, a: np.ndarray, config: FeatureConfig) -> list:
    """The statistics of one block's real frames ``a`` (``(t, block size)`` float64)."""
    if block == "mfcc":
        parts = [a.mean(0), a.std(0), *np.percentile(a, config.percentiles, axis=0)]
        if config.deltas:
            d1 = regression_delta(a, config.delta_width)
            parts += [d1.std(0), regression_delta(d1, config.delta_width).std(0)]
        return parts
    if block == "mel":
        db = 10 * np.log10(a + 1e-10)
        return [db.mean(0), db.std(0)]
    if block == "prosody":
        return [prosody_statistics(a, config)]
    return [a.mean(0), a.std(0)]


def _checked_sequences(frames, lengths, config: FeatureConfig) -> tuple:
    """``(frames float32, lengths int)``, or ValueError if they do not fit ``config``."""
    frames = np.asarray(frames, dtype=np.float32)
    lengths = np.asarray(lengths, dtype=int)
    if frames.ndim != 3 or frames.shape[1:] != config.frame_shape:
        raise ValueError(f"frames must have shape (n, {config.n_frames}, {config.n_frame_features}), not {frames.shape}")
    if lengths.shape != (len(frames),) or (len(lengths) and (lengths.min() < 1 or lengths.max() > config.n_frames)):
        raise ValueError(f"lengths must give 1..{config.n_frames} valid frames for each of the {len(frames)} sequences")
    return frames, lengths


def frame_statistics(frames, lengths, config: FeatureConfig) -> np.ndarray:
    """Pooled statistics of frame sequences (input kind ``"stats"``), columns :func:`statistics_names`.

    Only the real (unpadded) frames of each sequence enter the statistics.  They are a fixed
    function of the sequences that :func:`~utils.features.extract.extract_corpus` computes for
    ``config`` (``with_frames=True``), so a bundle recomputes them for a new clip from the same
    :class:`~utils.features.config.FeatureConfig`.

    Parameters
    ----------
    frames : np.ndarray
        ``(n, n_frames, n_frame_features)`` sequences laid out as ``config.frame_features``.
    lengths : array of int
        Real frames of each sequence (``FeatureSet.rows["n_valid_frames"]``).
    config : FeatureConfig

    Returns
    -------
    np.ndarray
        ``(n, len(statistics_names(config)))`` float32.

    Examples
    --------
    >>> import numpy as np
    >>> config = FeatureConfig(n_frames=50, frame_features=("mfcc", "prosody"))
    >>> y = np.random.default_rng(0).standard_normal(8000).astype("float32") * 0.1
    >>> frame_statistics(clip_frames(y, config)[None], [50], config).shape
    (1, 301)
    """
    frames, lengths = _checked_sequences(frames, lengths, config)
    offsets = _block_offsets(config)
    out = np.zeros((len(frames), len(statistics_names(config))), dtype=np.float32)
    for i, (seq, n) in enumerate(zip(frames, lengths)):
        seq = seq[:n].astype(np.float64)
        parts = []
        for block in config.frame_features:
            parts += _block_statistics(block, seq[:, offsets[block][0] : offsets[block][1]], config)
        out[i] = np.concatenate(parts)
    return out


def _block_offsets(config: FeatureConfig) -> dict:
    offsets, start = {}, 0
    for block in config.frame_features:
        offsets[block] = (start, start + config.block_size(block))
        start += config.block_size(block)
    return offsets


def log_frames(frames, lengths, config: FeatureConfig) -> np.ndarray:
    """Frame sequences for the Conv1D (input kind ``"log_frames"``).

    Two changes to the sequences of :func:`~utils.features.extract.extract_corpus`:

    * the mel bands (power) become decibels, ``10 log10(p + 1e-10)``, as for the mel statistics;
    * *per-utterance mean normalisation*: each clip's own mean over its real frames is subtracted
      from its MFCC and mel values, so what is left is how the spectrum moves within the clip,
      not the microphone, the room or the voice's average colour.  The prosody values (pitch in
      semitones, voicing, energy) and chroma are kept as they are.

    Padded frames (after the real ones) are set to 0, so they stay equal to each other, as
    :class:`utils.learn.networks.FrameMask` expects.

    Parameters
    ----------
    frames : np.ndarray
        ``(n, n_frames, n_frame_features)`` sequences laid out as ``config.frame_features``.
    lengths : array of int
        Real frames of each sequence.
    config : FeatureConfig

    Returns
    -------
    np.ndarray
        float32, the shape of ``frames`` (on disk when large, :func:`utils.core.arrays.new_array`).

    Examples
    --------
    >>> config = FeatureConfig(n_frames=4, n_mfcc=2, frame_features=("mfcc",))
    >>> log_frames(np.array([[[1.0, 2.0], [3.0, 6.0], [0.0, 0.0], [0.0, 0.0]]]), [2], config)[0].tolist()
    [[-1.0, -2.0], [1.0, 2.0], [0.0, 0.0], [0.0, 0.0]]
    """
    frames, lengths = _checked_sequences(frames, lengths, config)
    out = new_array(frames.shape)
    for start in range(0, len(frames), BLOCK_ROWS):   # in blocks: no temporary copies of a whole corpus
        block = slice(start, start + BLOCK_ROWS)
        out[block] = _log_frames(frames[block], lengths[block], config)
    return out


def _log_frames(frames: np.ndarray, lengths: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """:func:`log_frames` of a block of checked sequences."""
    out = frames.copy()
    offsets = _block_offsets(config)
    if "mel" in offsets:
        a, b = offsets["mel"]
        out[:, :, a:b] = 10 * np.log10(out[:, :, a:b] + 1e-10)
    real = (np.arange(config.n_frames)[None, :] < lengths[:, None])[..., None]
    for block in ("mfcc", "mel"):
        if block in offsets:
            a, b = offsets[block]
            part = out[:, :, a:b]
            mean = (part * real).sum(axis=1, keepdims=True) / lengths[:, None, None]
            out[:, :, a:b] = part - mean
    out[~real[..., 0]] = 0.0
    return out


def n_valid_frames(n_samples: int, config: FeatureConfig) -> int:
    """Real (unpadded) frames of the sequence of a signal of ``n_samples`` samples.

    ``1 + n_samples // hop_length`` STFT frames, at most ``n_frames``: the same count as
    ``FeatureSet.rows["n_valid_frames"]``.
    """
    return int(min(1 + int(n_samples) // config.hop_length, config.n_frames))


def input_parts(input_kind: str) -> tuple:
    """The simple kinds of an input kind: ``("log_frames", "stats")`` for ``"log_frames+stats"``.

    A *compound* kind joins simple kinds (:data:`INPUT_KINDS`) with ``+``: a model with one input
    per part, such as the course's ensemble of a Conv1D and a dense network on statistics.

    Examples
    --------
    >>> input_parts("log_frames+stats"), input_parts("stats")
    (('log_frames', 'stats'), ('stats',))
    """
    parts = tuple(str(input_kind).split("+")) if isinstance(input_kind, str) else ()
    if not parts or any(p not in INPUT_KINDS for p in parts) or len(set(parts)) != len(parts):
        raise ValueError(f"input_kind must be one of {INPUT_KINDS} or several of them joined by '+', not {input_kind!r}")
    return parts


def input_shape(config: FeatureConfig, input_kind: str) -> tuple:
    """Shape of one clip's model input: ``(vector_size,)``, ``(n_frames, n_frame_features)`` or ``(n_stats,)``.

    For a compound kind, a tuple with the shape of each part.
    """
    parts = input_parts(input_kind)
    if len(parts) > 1:
        return tuple(input_shape(config, p) for p in parts)
    if input_kind == "vector":
        return (config.vector_size,)
    if input_kind in FRAME_KINDS:
        return tuple(config.frame_shape)
    return (len(statistics_names(config)),)


def input_size(config: FeatureConfig, input_kind: str) -> int:
    """Values the scaler of an input kind holds: the last dimension of each part, summed."""
    parts = input_parts(input_kind)
    return int(sum(input_shape(config, p)[-1] for p in parts))


def signal_inputs(y, config: FeatureConfig, input_kind):
    """Unscaled model input of one signal (read and trimmed as :func:`~utils.features.clip.load_clip` does).

    A compound kind gives a tuple with one input per part.  ``input_kind`` may also be a tuple of
    kinds (a bundle and its speaker-adapted model): then a tuple of their inputs, all from one
    computation of the features.
    """
    kinds = input_kind if isinstance(input_kind, tuple) else (input_kind,)
    simple = sorted({p for k in kinds for p in input_parts(k)})
    n = n_valid_frames(len(y), config)
    if "vector" in simple:
        vector, sequence = compute(y, config, with_frames=simple != ["vector"])
    else:
        vector, sequence = None, clip_frames(y, config)  # only the frame blocks are computed
    values = {
        "vector": vector, "frames": sequence,
        "log_frames": log_frames(sequence[None], [n], config)[0] if "log_frames" in simple else None,
        "stats": frame_statistics(sequence[None], [n], config)[0] if "stats" in simple else None,
    }
    out = tuple(values[k] if "+" not in k else tuple(values[p] for p in input_parts(k)) for k in kinds)
    return out if isinstance(input_kind, tuple) else out[0]


def feature_set_inputs(feature_set, input_kind: str):
    """Unscaled model inputs of the rows of a :class:`~utils.features.featureset.FeatureSet`.

    ``"vector"``: ``fs.X``; ``"frames"``: ``fs.frames``; ``"stats"``: :func:`frame_statistics` and
    ``"log_frames"``: :func:`log_frames` of ``fs.frames`` over ``fs.rows["n_valid_frames"]``.  All
    but the first need a set extracted with ``with_frames=True``.  A compound kind gives a tuple
    with one array per part.
    """
    parts = input_parts(input_kind)
    if len(parts) > 1:
        return tuple(feature_set_inputs(feature_set, p) for p in parts)
    if input_kind == "vector":
        return feature_set.X
    if feature_set.frames is None:
        raise ValueError(f"input kind {input_kind!r} needs frame sequences: extract the features with with_frames=True")
    if input_kind == "frames":
        return feature_set.frames
    lengths = feature_set.rows["n_valid_frames"].to_numpy()
    if input_kind == "log_frames":
        return log_frames(feature_set.frames, lengths, feature_set.config)
    return frame_statistics(feature_set.frames, lengths, feature_set.config)
