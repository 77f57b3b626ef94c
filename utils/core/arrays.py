"""Large arrays: in memory while they are small, on disk once they would crowd it out.

The frame sequences of a large corpus do not fit a small machine: those of RAVDESS and CREMA-D
together are 1.15 GB of float32, and a notebook needs several versions of them (as extracted,
in dB, scaled), beside about 0.8 GB for TensorFlow, on a Binder session of 2 GB.
:func:`new_array` gives an ordinary array up to :data:`LARGE_ARRAY_BYTES` and, above it, a
:class:`numpy.memmap` on a scratch file: an array like any other, whose pages the operating
system reads from disk when they are used and drops again when memory runs short.  The scratch
file has no name (it is deleted as soon as it is opened), so its disk space comes back when the
array is garbage-collected, also after a crash.  The values are the same either way; only the
place they are kept differs.

The helpers that make large arrays (:func:`utils.features.extract.extract_corpus` with frames,
:func:`utils.features.inputs.log_frames`, :func:`utils.learn.scaling.apply_scaler` and
:func:`~utils.learn.scaling.speaker_normalize`) fill them block by block through
:func:`new_array`, and training reads them batch by batch
(:class:`utils.learn.training.Batches`).

Examples
--------
>>> a = new_array((3, 2))
>>> a.shape, a.dtype.name, is_on_disk(a)
((3, 2), 'float32', False)
>>> concatenate_rows([np.ones((1, 2)), np.zeros((2, 2))]).tolist()
[[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]]
"""

from __future__ import annotations

import mmap
import tempfile

import numpy as np

from .paths import data_dir

LARGE_ARRAY_BYTES = 512 * 2**20
"""Arrays larger than this (512 MiB) are kept on disk by :func:`new_array`, or than a sixteenth
of the machine's memory where that is less (:func:`large_array_bytes`).

With 8 GB or more, the frame sequences of RAVDESS (1,440 clips, 187 MB) stay in memory and those
of CREMA-D or of both corpora (1.15 GB) go to disk; on Binder's 2 GiB, every array over 128 MiB
goes, so that TensorFlow and the arrays in use keep enough memory between them."""


def large_array_bytes(memory: int | None = None) -> int:
    """Bytes above which :func:`new_array` keeps an array on disk on this machine.

    :data:`LARGE_ARRAY_BYTES`, or a sixteenth of the machine's memory (``memory``, default
    :func:`utils.core.parallel.memory_limit`: the container's limit on Binder) when that is
    less: 128 MiB on 2 GiB.

    Examples
    --------
    >>> large_array_bytes(2 * 2**30) // 2**20, large_array_bytes(64 * 2**30) // 2**20
    (128, 512)
    """
    if memory is None:
        from .parallel import memory_limit

        memory = memory_limit()
    return LARGE_ARRAY_BYTES if not memory else min(LARGE_ARRAY_BYTES, int(memory) // 16)

BLOCK_ROWS = 256
"""Sequences handled at a time when a helper fills a large array (33 MB with the course's features)."""


def scratch_dir():
    """The folder of the scratch files, ``data/derived/scratch`` (created if missing).

    Inside the data folder rather than the system's temporary folder, which on some systems is
    kept in memory (tmpfs) and would defeat the purpose.  It stays empty: the files in it have no
    name.
    """
    folder = data_dir() / "derived" / "scratch"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def new_array(shape, dtype=np.float32, *, limit: int | None = None) -> np.ndarray:
    """An uninitialised array: :func:`numpy.empty`, or on disk when larger than ``limit`` bytes.

    Parameters
    ----------
    shape : tuple of int
    dtype : numpy dtype
    limit : int, optional
        Bytes above which the array is kept on disk; default :func:`large_array_bytes`.

    Returns
    -------
    np.ndarray
        An array (a :class:`numpy.memmap` when on disk; :func:`is_on_disk` tells which).
    """
    shape = (int(shape),) if np.isscalar(shape) else tuple(int(s) for s in shape)
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if nbytes <= (large_array_bytes() if limit is None else int(limit)) or nbytes == 0:
        return np.empty(shape, dtype=dtype)
    # TemporaryFile is unlinked at once (POSIX); the mapping keeps the data until it is freed.
    with tempfile.TemporaryFile(dir=scratch_dir(), prefix="array-") as handle:
        return np.memmap(handle, dtype=dtype, mode="w+", shape=shape)


def is_on_disk(array) -> bool:
    """Whether ``array`` (or the array it is a view of) lives in a file rather than in memory."""
    while array is not None:
        if isinstance(array, mmap.mmap) or (isinstance(array, np.memmap) and array._mmap is not None):
            return True
        array = getattr(array, "base", None)
    return False


def concatenate_rows(arrays) -> np.ndarray:
    """:func:`numpy.concatenate` along the first axis into a :func:`new_array` (on disk when large).

    The same values as ``np.concatenate(arrays)``; the parts are copied one at a time.
    """
    arrays = [np.asarray(a) for a in arrays]
    if not arrays:
        raise ValueError("concatenate_rows needs at least one array")
    tail = {a.shape[1:] for a in arrays}
    if len(tail) != 1:
        raise ValueError(f"the arrays must agree in all but their first dimension, not {sorted(tail)}")
    out = new_array((sum(len(a) for a in arrays),) + arrays[0].shape[1:], np.result_type(*arrays))
    start = 0
    for a in arrays:
        for block in range(0, len(a), BLOCK_ROWS):
            part = a[block : block + BLOCK_ROWS]
            out[start : start + len(part)] = part
            start += len(part)
    return out
