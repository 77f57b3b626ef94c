"""Scaling: a StandardScaler fitted on training rows only, and per-speaker normalisation.

The scaler's statistics come from the training rows alone; validation and test rows are
transformed with them, never refitted, so nothing about the held-out speakers leaks into training.
Scalers are stored as plain JSON lists (:func:`scaler_to_dict`), never pickled.

Examples
--------
>>> import numpy as np
>>> scaler = fit_scaler(np.array([[0.0, 1.0], [2.0, 3.0]]))
>>> apply_scaler(scaler, np.array([[2.0, 3.0]])).tolist()
[[1.0, 1.0]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.arrays import BLOCK_ROWS, LARGE_ARRAY_BYTES, concatenate_rows, new_array

SCALER_BLOCK_BYTES = LARGE_ARRAY_BYTES
"""float64 frames above which :func:`fit_scaler` accumulates block by block: a fixed size (512 MiB),
not the machine's share, so that every machine fits the same scaler."""


def _checked_lengths(X: np.ndarray, lengths) -> np.ndarray:
    """``lengths`` as an array, or ValueError unless it gives 1..t real frames for each of X's sequences."""
    lengths = np.asarray(lengths)
    if lengths.shape != (X.shape[0],) or lengths.min() < 1 or lengths.max() > X.shape[1]:
        raise ValueError(f"lengths must give 1..{X.shape[1]} valid frames for each of the {X.shape[0]} sequences")
    return lengths


def _as_rows(X, lengths=None) -> np.ndarray:
    """2-D view of feature rows: ``(n, d)`` as is, ``(n, t, d)`` frames flattened (valid ones)."""
    X = np.asarray(X)
    if X.ndim == 2:
        if lengths is not None:
            raise ValueError("lengths only applies to frame sequences X of shape (n, t, d)")
        return X
    if X.ndim == 3:
        if lengths is None:
            return X.reshape(-1, X.shape[-1])
        lengths = _checked_lengths(X, lengths)
        mask = np.arange(X.shape[1])[None, :] < lengths[:, None]
        return X[mask]
    raise ValueError(f"X must have shape (n, d) or (n, t, d), not {X.shape}")


def fit_scaler(X_train, lengths=None):
    """A :class:`sklearn.preprocessing.StandardScaler` fitted on the training rows only.

    Parameters
    ----------
    X_train : np.ndarray
        ``(n, d)`` clip vectors, or ``(n, t, d)`` frame sequences (scaled per feature over all
        frames).
    lengths : array of int, optional
        For sequences: number of real frames of each, so that padding does not enter the
        statistics (``FeatureSet.rows["n_valid_frames"]``).  When those frames would take more
        than :data:`SCALER_BLOCK_BYTES` (512 MiB) as float64 (a corpus the size of
        CREMA-D), the statistics are accumulated block by block (``partial_fit``), equal up to
        rounding.

    Returns
    -------
    StandardScaler

    Examples
    --------
    >>> import numpy as np
    >>> s = fit_scaler(np.array([[0.0, 1.0], [2.0, 3.0]]))
    >>> s.mean_.tolist()
    [1.0, 2.0]
    """
    from sklearn.preprocessing import StandardScaler

    X = np.asarray(X_train)
    if X.ndim == 3 and lengths is not None:
        lengths = _checked_lengths(X, lengths)
        if int(lengths.sum()) * X.shape[-1] * 8 > SCALER_BLOCK_BYTES:   # its real frames as float64: too many to hold at once
            return _fit_in_blocks(X, lengths)
    rows = _as_rows64(X, lengths)
    if len(rows) < 2:
        raise ValueError(f"X_train must hold at least 2 rows to fit a scaler, not {len(rows)}")
    if not all(np.isfinite(chunk).all() for chunk in _chunks(rows)):
        raise ValueError("X_train contains NaN or infinite values")
    return StandardScaler().fit(rows)


def _fit_in_blocks(X: np.ndarray, lengths: np.ndarray):
    """:func:`fit_scaler` of sequences too many to hold as one float64 array.

    ``StandardScaler.partial_fit`` on :data:`~utils.core.arrays.BLOCK_ROWS` sequences at a time
    (Chan et al.'s update of the mean and variance): equal to one ``fit`` up to rounding.
    """
    from sklearn.preprocessing import StandardScaler

    if int(lengths.sum()) < 2:
        raise ValueError(f"X_train must hold at least 2 rows to fit a scaler, not {int(lengths.sum())}")
    scaler = StandardScaler()
    for start in range(0, len(X), BLOCK_ROWS):
        block = slice(start, start + BLOCK_ROWS)
        rows = _as_rows64(X[block], lengths[block])
        if not np.isfinite(rows).all():
            raise ValueError("X_train contains NaN or infinite values")
        scaler.partial_fit(rows)
    return scaler


_CHUNK_ROWS = 1 << 16
"""Rows handled at a time where a whole-array operation would need temporary copies of it."""


def _chunks(rows: np.ndarray):
    """Consecutive blocks of at most :data:`_CHUNK_ROWS` rows (views, no copies)."""
    for start in range(0, len(rows), _CHUNK_ROWS):
        yield rows[start : start + _CHUNK_ROWS]


def _as_rows64(X, lengths=None) -> np.ndarray:
    """:func:`_as_rows` as one float64 array, filled sequence by sequence.

    The same values as ``_as_rows(X, lengths).astype(np.float64)``, without the float32 copy of
    every real frame in between: for the frame sequences of a whole corpus that copy alone is
    hundreds of megabytes.
    """
    X = np.asarray(X)
    if X.ndim != 3 or lengths is None:
        return np.asarray(_as_rows(X, lengths), dtype=np.float64)
    lengths = _checked_lengths(X, lengths)
    out = np.empty((int(lengths.sum()), X.shape[-1]), dtype=np.float64)
    start = 0
    for seq, n in zip(X, lengths):
        out[start : start + n] = seq[:n]
        start += n
    return out


def apply_scaler(scaler, X) -> np.ndarray:
    """Scale ``(n, d)`` vectors or ``(n, t, d)`` sequences with a fitted scaler; float32 out.

    A large result is kept on disk (:func:`utils.core.arrays.new_array`); the values are the same.

    Examples
    --------
    >>> import numpy as np
    >>> s = fit_scaler(np.array([[0.0], [2.0]]))
    >>> apply_scaler(s, np.array([[2.0]])).tolist()
    [[1.0]]
    """
    X = np.asarray(X)
    d = len(scaler.mean_)
    if X.ndim not in (2, 3) or X.shape[-1] != d:
        raise ValueError(f"X must have shape (n, {d}) or (n, t, {d}), not {X.shape}")
    rows = X.reshape(-1, d)
    out = new_array(rows.shape)   # on disk when large (utils.core.arrays)
    for start in range(0, len(rows), _CHUNK_ROWS):   # in blocks: the float64 arithmetic needs no copy of all of X
        block = slice(start, start + _CHUNK_ROWS)
        out[block] = (rows[block] - scaler.mean_) / scaler.scale_
    return out.reshape(X.shape)


def scaler_to_dict(scaler) -> dict:
    """``mean``, ``scale`` and ``n_samples_seen`` of a fitted scaler as plain lists (JSON, no pickle)."""
    if not hasattr(scaler, "mean_"):
        raise ValueError("scaler is not fitted")
    return {
        "mean": [float(v) for v in scaler.mean_],
        "scale": [float(v) for v in scaler.scale_],
        "n_samples_seen": int(np.max(scaler.n_samples_seen_)),
    }


def scaler_from_dict(data: dict):
    """Rebuild a fitted :class:`~sklearn.preprocessing.StandardScaler` from :func:`scaler_to_dict`."""
    from sklearn.preprocessing import StandardScaler

    if not isinstance(data, dict) or "mean" not in data or "scale" not in data:
        raise ValueError("a scaler dict must hold 'mean' and 'scale' lists")
    mean = np.asarray(data["mean"], dtype=np.float64)
    scale = np.asarray(data["scale"], dtype=np.float64)
    if mean.ndim != 1 or mean.shape != scale.shape or len(mean) == 0:
        raise ValueError(f"scaler dict: 'mean' and 'scale' must be lists of equal length, got {mean.shape} and {scale.shape}")
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale)) and np.all(scale > 0)):
        raise ValueError("scaler dict: 'mean' must be finite and 'scale' finite and positive")
    scaler = StandardScaler()
    scaler.mean_ = mean
    scaler.scale_ = scale
    scaler.var_ = scale**2
    scaler.n_features_in_ = len(mean)
    scaler.n_samples_seen_ = int(data.get("n_samples_seen", 0))
    return scaler


# --------------------------------------------------------------------------------------------
# Per-speaker normalisation
# --------------------------------------------------------------------------------------------


def speaker_normalize(X, speakers, *, lengths=None, fit_rows=None, eps: float = 1e-6) -> np.ndarray:
    """Z-score each speaker's features with that speaker's own mean and standard deviation.

    Every feature of every row is centred and scaled with statistics computed over the rows of
    the same speaker only, so voice-specific offsets (a high or low voice, a loud or quiet
    recording) are removed and what remains is how each clip differs from that speaker's usual
    self.  No labels are used.  On RAVDESS this is often worth several points of accuracy.

    When is it legitimate?  Only when, at prediction time, *several clips of the same speaker*
    are available (unlabelled) to compute that speaker's statistics: for instance a batch of
    recordings of one person, or an enrolment session.  It is then an honest form of
    unsupervised speaker adaptation, and for a test speaker its statistics come only from that
    speaker's unlabelled audio.  It does not apply to a single clip of an unknown speaker, so
    always report results with and without it.  The statistics also depend on the mix of
    emotions in the speaker's clips (RAVDESS has every emotion for every actor); a speaker who
    is angry in every clip would look "neutral" after normalisation.

    Parameters
    ----------
    X : np.ndarray
        ``(n, d)`` clip vectors or ``(n, t, d)`` frame sequences.
    speakers : sequence
        Speaker key of every row (e.g. ``table["speaker"]`` aligned with ``X``).
    lengths : array of int, optional
        For sequences: real frames of each (padding is excluded from the statistics and left
        as it is, so that padded frames stay equal to each other).
    fit_rows : array of bool, optional
        Rows whose values enter the statistics (e.g. the original clips, not their augmented
        copies); all rows of a speaker are normalised.  Default: all rows.  A speaker with no
        fitting row uses all of its rows.
    eps : float
        Added to the standard deviation.

    Returns
    -------
    np.ndarray
        float32 array of the shape of ``X``.

    Examples
    --------
    >>> X = np.array([[1.0], [3.0], [10.0], [14.0]])
    >>> speaker_normalize(X, ["a", "a", "b", "b"], eps=0).ravel().tolist()
    [-1.0, 1.0, -1.0, 1.0]
    """
    X = np.asarray(X, dtype=np.float32)
    speakers = np.asarray(speakers)
    if X.ndim not in (2, 3):
        raise ValueError(f"X must have shape (n, d) or (n, t, d), not {X.shape}")
    if speakers.shape != (len(X),):
        raise ValueError(f"speakers must give one speaker per row of X ({len(X)}), not shape {speakers.shape}")
    fit_rows = np.ones(len(X), bool) if fit_rows is None else np.asarray(fit_rows, bool)
    if fit_rows.shape != (len(X),):
        raise ValueError(f"fit_rows must hold one flag per row of X ({len(X)})")
    if X.ndim == 3:
        lengths = np.full(len(X), X.shape[1]) if lengths is None else np.asarray(lengths)
        if lengths.shape != (len(X),) or (len(X) and (lengths.min() < 1 or lengths.max() > X.shape[1])):
            raise ValueError(f"lengths must give 1..{X.shape[1]} valid frames for each of the {len(X)} sequences")
        valid = np.arange(X.shape[1])[None, :] < lengths[:, None]
    elif lengths is not None:
        raise ValueError("lengths only applies to frame sequences X of shape (n, t, d)")
    out = concatenate_rows([X])   # a copy, on disk when large (utils.core.arrays)
    for s in pd.unique(speakers):
        rows = speakers == s
        fit = rows & fit_rows
        if not fit.any():
            fit = rows
        if X.ndim == 2:
            ref = X[fit].astype(np.float64)
        else:
            ref = X[fit][valid[fit]].astype(np.float64)
        mean, std = ref.mean(axis=0), ref.std(axis=0) + eps
        std[std == 0] = 1.0
        if X.ndim == 2:
            out[rows] = (X[rows] - mean) / std
        else:
            block = out[rows]
            mask = valid[rows]
            block[mask] = (block[mask] - mean) / std
            out[rows] = block
    return out.astype(np.float32, copy=False)   # X was made float32 above: no second copy
