"""What a model takes as input, computed the same way at training and at prediction time.

Input kinds (:data:`INPUT_KINDS`):

``"vector"``
    The pooled clip vector ``(config.vector_size,)`` (:func:`utils.features.clip.compute`).
``"frames"``
    The frame sequence ``(config.n_frames, config.n_frame_features)``.
``"stats"``
    Pooled statistics of the frame sequence over its real (unpadded) frames,
    :func:`frame_statistics`: the input of the course recipe's dense network.

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

from .clip import clip_frames, compute
from .config import FeatureConfig
from .prosody import PROSODY_STATISTICS, prosody_statistics, regression_delta

INPUT_KINDS = ("vector", "frames", "stats")
"""What a model takes: pooled clip vectors, frame sequences or pooled statistics of the frames."""


def _check_kind(input_kind: str) -> None:
    if input_kind not in INPUT_KINDS:
        raise ValueError(f"input_kind must be one of {INPUT_KINDS}, not {input_kind!r}")


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
    frames = np.asarray(frames, dtype=np.float32)
    lengths = np.asarray(lengths, dtype=int)
    if frames.ndim != 3 or frames.shape[1:] != config.frame_shape:
        raise ValueError(f"frames must have shape (n, {config.n_frames}, {config.n_frame_features}), not {frames.shape}")
    if lengths.shape != (len(frames),) or (len(lengths) and (lengths.min() < 1 or lengths.max() > config.n_frames)):
        raise ValueError(f"lengths must give 1..{config.n_frames} valid frames for each of the {len(frames)} sequences")
    offsets, start = {}, 0
    for block in config.frame_features:
        offsets[block] = (start, start + config.block_size(block))
        start += config.block_size(block)
    out = np.zeros((len(frames), len(statistics_names(config))), dtype=np.float32)
    for i, (seq, n) in enumerate(zip(frames, lengths)):
        seq = seq[:n].astype(np.float64)
        parts = []
        for block in config.frame_features:
            parts += _block_statistics(block, seq[:, offsets[block][0] : offsets[block][1]], config)
        out[i] = np.concatenate(parts)
    return out


def n_valid_frames(n_samples: int, config: FeatureConfig) -> int:
    """Real (unpadded) frames of the sequence of a signal of ``n_samples`` samples.

    ``1 + n_samples // hop_length`` STFT frames, at most ``n_frames``: the same count as
    ``FeatureSet.rows["n_valid_frames"]``.
    """
    return int(min(1 + int(n_samples) // config.hop_length, config.n_frames))


def input_shape(config: FeatureConfig, input_kind: str) -> tuple:
    """Shape of one clip's model input: ``(vector_size,)``, ``(n_frames, n_frame_features)`` or ``(n_stats,)``."""
    _check_kind(input_kind)
    if input_kind == "vector":
        return (config.vector_size,)
    if input_kind == "frames":
        return tuple(config.frame_shape)
    return (len(statistics_names(config)),)


def signal_inputs(y, config: FeatureConfig, input_kind: str) -> np.ndarray:
    """Unscaled model input of one signal (read and trimmed as :func:`~utils.features.clip.load_clip` does)."""
    _check_kind(input_kind)
    if input_kind == "vector":
        return compute(y, config, with_frames=False)[0]
    if input_kind == "frames":
        return compute(y, config, with_frames=True)[1]
    sequence = clip_frames(y, config)  # only the frame blocks are computed
    return frame_statistics(sequence[None], [n_valid_frames(len(y), config)], config)[0]


def feature_set_inputs(feature_set, input_kind: str) -> np.ndarray:
    """Unscaled model inputs of the rows of a :class:`~utils.features.featureset.FeatureSet`.

    ``"vector"``: ``fs.X``; ``"frames"``: ``fs.frames``; ``"stats"``: :func:`frame_statistics` of
    ``fs.frames`` over ``fs.rows["n_valid_frames"]``.  The last two need a set extracted with
    ``with_frames=True``.
    """
    _check_kind(input_kind)
    if input_kind == "vector":
        return feature_set.X
    if feature_set.frames is None:
        raise ValueError(f"input kind {input_kind!r} needs frame sequences: extract the features with with_frames=True")
    if input_kind == "frames":
        return feature_set.frames
    return frame_statistics(feature_set.frames, feature_set.rows["n_valid_frames"].to_numpy(), feature_set.config)
