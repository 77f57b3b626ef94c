"""Features of many files on all cores, read from the content-keyed cache where possible.

:func:`extract_corpus` takes a clip table (from :func:`utils.data.scan.scan_corpus`) or a list of
paths and returns a :class:`~utils.features.featureset.FeatureSet` whose rows carry each clip's
key (its index, speaker and label).

Parallel work
-------------
:func:`extract_corpus` hashes the files, reads what the cache (:mod:`utils.features.cache`)
holds, and splits the rest into batches of up to 32 files.  Each file is decoded once and all its
variants (the original and the augmented copies) are computed from that one signal.  The calling
process computes batches itself and, for large jobs, loky worker processes take batches from the
other end of the queue: how many follows :func:`utils.core.parallel.effective_workers` (a worker
must import librosa, numba and scipy before it is useful, while the caller is already
computing).  ``backend="dask"`` (or any joblib backend) sends every batch through
:class:`joblib.Parallel` instead.

Examples
--------
>>> from utils.data.augment import Augmentation
>>> train = extract_corpus(train_clips, FeatureConfig(), augmentations=[Augmentation("noise", 20)])  # doctest: +SKIP
>>> train.rows[["speaker", "label", "augmentation"]].head()                                        # doctest: +SKIP
"""

from __future__ import annotations

import math
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..core.arrays import new_array
from ..core.files import NotRegularFile, file_digest
from ..core.parallel import check_n_jobs, effective_workers, single_blas_thread
from ..core.paths import derived_dir
from ..data.audio import AudioError
from .cache import FeatureCache, entry_key
from .clip import compute, load_clip
from .config import FeatureConfig
from .featureset import KEY_COLUMNS, ROW_COLUMNS, SKIPPED_COLUMNS, FeatureSet

FLUSH_ROWS = 512
"""Newly computed rows are written to a new cache shard every this many rows (and at the end)."""


def _digest_or_reason(path) -> tuple:
    """``(content digest, None)`` or ``(None, reason)`` for a file that cannot be read."""
    try:
        return file_digest(path, "blake2b-128"), None
    except FileNotFoundError:
        return None, "file not found"
    except NotRegularFile as exc:
        return None, f"not a regular file ({exc.kind})"
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror or exc})"


def _variant(augmentation, clip_id: str) -> str:
    """Cache variant of an entry: ``original`` or the augmentation key plus the clip id seeding it."""
    return "original" if augmentation is None else f"{augmentation.key()}|{clip_id}"


def _describe(exc: Exception) -> str:
    """Reason text of an exception for ``FeatureSet.skipped``."""
    if isinstance(exc, AudioError):
        return exc.reason
    return f"{type(exc).__name__}: {exc}"


def _extract_batch(items: list, config: FeatureConfig, with_frames: bool) -> list:
    """Worker: decode each file once and compute its requested variants.

    ``items`` holds ``(clip, path, clip_id, [(slot, augmentation or None), ...])``.  Returns
    ``(clip, slot, vector, meta, sequence, reason)`` tuples, ``vector`` being ``None`` on failure.
    BLAS runs single-threaded here (:func:`utils.core.parallel.single_blas_thread`).
    """
    with single_blas_thread():
        return _extract_items(items, config, with_frames)


def _extract_items(items: list, config: FeatureConfig, with_frames: bool) -> list:
    """Body of :func:`_extract_batch`."""
    out = []
    for clip, path, clip_id, variants in items:
        try:
            y = load_clip(path, config)
        except Exception as exc:  # every failure is reported, none stops the batch
            reason = _describe(exc)
            out.extend((clip, slot, None, None, None, reason) for slot, _ in variants)
            continue
        for slot, augmentation in variants:
            try:
                signal = y if augmentation is None else augmentation.apply(y, config.sr, clip_id=clip_id)
                vector, seq = compute(signal, config, with_frames=with_frames)
            except Exception as exc:
                reason = _describe(exc)
                out.append((clip, slot, None, None, None, reason if augmentation is None else f"{augmentation.name}: {reason}"))
                continue
            meta = np.array([len(signal) / config.sr, 1 + len(signal) // config.hop_length], dtype=np.float64)
            out.append((clip, slot, vector, meta, seq, None))
    return out


def _batches(items: list, n_workers: int) -> list:
    """Split work into about eight tasks per process, 1 to 32 files each.

    Small tasks keep the processes evenly loaded to the end; tasks of up to 32 files keep the
    overhead per task negligible.
    """
    size = max(1, min(32, math.ceil(len(items) / (8 * n_workers))))
    return [items[i : i + size] for i in range(0, len(items), size)]


def _run_batches(batches, config, with_frames, n_workers, backend):
    """Yield ``(batch, results)`` of :func:`_extract_batch` for every batch, in completion order.

    * a ``backend`` given: all batches through :class:`joblib.Parallel` under that backend;
    * one process: everything in the calling process;
    * otherwise :func:`_shared_run`: the calling process works too, beside ``n_workers - 1`` loky
      worker processes.
    """
    if backend is not None:
        import joblib

        with joblib.parallel_config(backend=backend):
            parallel = joblib.Parallel(n_jobs=n_workers, return_as="generator", batch_size=1)
            tasks = (joblib.delayed(_tagged_batch)(i, b, config, with_frames) for i, b in enumerate(batches))
            for i, results in parallel(tasks):
                yield batches[i], results
        return
    if n_workers <= 1 or len(batches) <= 1:
        for batch in batches:
            yield batch, _extract_batch(batch, config, with_frames)
        return
    yield from _shared_run(batches, config, with_frames, n_workers - 1)


def _shared_run(batches, config, with_frames, n_remote: int):
    """The calling process and ``n_remote`` loky workers share the batches.

    The caller takes batches from the front of the queue and the workers from the back.  Starting
    a worker costs it one to two seconds (importing librosa, numba and scipy), during which the
    caller is already computing, and the caller is usually a notebook kernel that has librosa
    loaded anyway, so on two cores this is faster than two workers and takes one worker's memory
    less.  When the queue is empty, the caller takes over batches still waiting for a worker (and,
    when none is left, the worker's oldest unfinished one), so a slow-starting worker never holds
    up the end: whichever result comes first is used.  Workers are reused from one call to the next
    (loky's reusable executor).
    """
    from collections import deque

    from joblib.executor import get_memmapping_executor

    # joblib's own factory of loky's reusable executor, so that a later joblib.Parallel in the
    # same process finds the executor it expects (loky's bare one lacks joblib's bookkeeping)
    executor = get_memmapping_executor(n_remote)
    queue = deque(enumerate(batches))
    running: dict = {}  # future -> batch index, in submission order
    done: set = set()
    try:
        while len(done) < len(batches):
            for future in [f for f in running if f.done()]:
                i = running.pop(future)
                if i in done or future.cancelled():
                    continue
                done.add(i)
                yield batches[i], future.result()[1]
            while queue and len(running) < 2 * n_remote:
                i, batch = queue.pop()
                running[executor.submit(_tagged_batch, i, batch, config, with_frames)] = i
            if queue:
                i, batch = queue.popleft()
            else:
                pending = [(f, i) for f, i in running.items() if i not in done]
                if not pending:
                    continue
                # newest first: it is the most likely to be still waiting, and then it is cancelled;
                # if all have started, compute the oldest here too and use whichever ends first
                future, i = next(((f, i) for f, i in reversed(pending) if f.cancel()), pending[0])
                if future.cancelled():
                    running.pop(future)
                batch = batches[i]
            done.add(i)
            yield batch, _extract_batch(batch, config, with_frames)
    finally:
        for future in running:
            future.cancel()


def _tagged_batch(i, batch, config, with_frames):
    return i, _extract_batch(batch, config, with_frames)



def extract_corpus(
    clips,
    config: FeatureConfig,
    *,
    augmentations=(),
    with_frames: bool = False,
    n_jobs: int = -1,
    backend=None,
    cache_dir=None,
    progress: bool = True,
    clip_ids=None,
) -> FeatureSet:
    """Features of many files on all cores, read from the cache where possible.

    Parameters
    ----------
    clips : pandas.DataFrame or sequence of str or Path
        A clip table with a ``path`` column (:func:`utils.data.scan.scan_corpus`, with
        ``label`` from :func:`~utils.data.scan.assign_labels`), or a list of audio files.  Every
        feature row carries its clip's index label (``rows["index"]``; the position for a list)
        and the table's :data:`~utils.features.featureset.KEY_COLUMNS`.
    config : FeatureConfig
    augmentations : sequence of utils.data.augment.Augmentation
        Extra copies of *every* clip, one row each after the original (which is always
        included).  Pass training clips only: augmenting test clips leaks them.
    with_frames : bool
        Also compute the frame sequences (``FeatureSet.frames``).  For more than
        :data:`BLOCK_CLIPS` clips they are extracted that many clips at a time into one array,
        kept on disk when large (:func:`utils.core.arrays.new_array`: those of RAVDESS and
        CREMA-D together are 1.15 GB).
    n_jobs : int or None
        Processes that compute, as in scikit-learn (``-1``: all cores, ``None``: one).  The
        calling process is one of them and works beside loky workers, started only when there
        is enough to compute and reused by later calls (:func:`utils.core.parallel.effective_workers`).
    backend : str, optional
        joblib backend, passed to :func:`joblib.parallel_config` (default: loky processes).
        ``"dask"`` spreads the work over a Dask cluster, see the example.
    cache_dir : str, Path or False, optional
        Cache root, default ``derived_dir() / "cache"``; ``False`` disables the cache.
    progress : bool
        Show a tqdm progress bar while computing.
    clip_ids : sequence of str, optional
        One id per clip, seeding the augmentations (the same id and augmentation give the same
        copy) and kept in ``rows["clip_id"]``.  Default: the file name without extension.

    Returns
    -------
    FeatureSet
        Rows in the order of ``clips``, each file's original first, then its augmented copies in
        the order of ``augmentations``.  Files that fail are in ``skipped`` with the reason;
        all others are present.

    Examples
    --------
    >>> from utils.data.augment import Augmentation
    >>> config = FeatureConfig()
    >>> train = extract_corpus(clips[split == "train"], config, augmentations=[Augmentation("noise", 20)])  # doctest: +SKIP
    >>> test = extract_corpus(clips[split == "test"], config)                                                 # doctest: +SKIP

    On a Dask cluster (``pip install dask distributed``; the workers need this course's
    environment, with ``utils`` importable)::

        from dask.distributed import Client
        client = Client("tcp://scheduler:8786")      # or Client() for a local cluster
        fs = extract_corpus(clips, config, backend="dask")
    """
    if with_frames and len(clips) > BLOCK_CLIPS:
        options = dict(augmentations=augmentations, n_jobs=n_jobs, backend=backend, cache_dir=cache_dir, progress=progress)
        parts, frames = [], None
        for fs in _block_sets(clips, config, BLOCK_CLIPS, clip_ids, options):
            if frames is None:   # room for every row: each clip and its augmented copies
                frames, filled = new_array((len(clips) * (1 + len(tuple(augmentations))), *config.frame_shape)), 0
            frames[filled : filled + len(fs)] = fs.frames
            filled += len(fs)
            fs.frames = None
            parts.append(fs)
        merged = _merge(parts, config)
        merged.frames = frames[: len(merged)]
        return merged
    return _extract(clips, config, augmentations, with_frames, n_jobs, backend, cache_dir, progress, clip_ids)


def _extract(clips, config, augmentations, with_frames, n_jobs, backend, cache_dir, progress, clip_ids) -> FeatureSet:
    """:func:`extract_corpus` of clips whose frames (if asked for) are held in memory at once."""
    paths, index, clip_keys = _clip_list(clips)
    augmentations = tuple(augmentations)
    for a in augmentations:
        if not all(hasattr(a, attr) for attr in ("apply", "key", "name")):
            raise ValueError(f"augmentations must hold utils.data.augment.Augmentation objects, not {a!r}")
    names = ["original"] + [a.name for a in augmentations]
    if len(set(names)) != len(names):
        raise ValueError(f"augmentations must differ from each other and from 'original': {names}")
    if clip_ids is None:
        clip_ids = [Path(p).stem for p in paths]
    else:
        clip_ids = [str(c) for c in clip_ids]
        if len(clip_ids) != len(paths):
            raise ValueError(f"clip_ids holds {len(clip_ids)} ids for {len(paths)} paths")
    check_n_jobs(n_jobs)
    if cache_dir is None:
        cache_dir = derived_dir() / "cache"
    cache = FeatureCache(cache_dir, config) if cache_dir is not False else None
    variants = [None, *augmentations]

    # 1. Content digests (threads: hashlib releases the GIL) and cache look-up.
    n_threads = max(1, min(8, len(paths)))
    with ThreadPoolExecutor(n_threads) as pool:
        digests = list(pool.map(_digest_or_reason, paths))
    results: dict = {}  # (clip, slot) -> (vector, meta, sequence) or reason string
    keys = {}
    for clip, (digest, reason) in enumerate(digests):
        for slot, aug in enumerate(variants):
            if digest is None:
                results[(clip, slot)] = reason
            else:
                keys[(clip, slot)] = entry_key(digest, _variant(aug, clip_ids[clip]))
    found = cache.lookup(set(keys.values()), with_frames) if cache is not None else {}
    n_cached = 0
    for cs, key in keys.items():
        if key in found:
            results[cs] = found[key]
            n_cached += 1

    # 2. Compute what is missing; identical entries (same file content twice) only once.
    todo: dict = {}
    first_slot: dict = {}
    for (clip, slot), key in keys.items():
        if (clip, slot) in results:
            continue
        if key in first_slot:
            continue
        first_slot[key] = (clip, slot)
        todo.setdefault(clip, []).append((slot, variants[slot]))
    items = [(clip, paths[clip], clip_ids[clip], todo[clip]) for clip in sorted(todo)]
    n_computed = 0
    if items:
        n_workers = effective_workers(n_jobs, n_items=len(items), backend=backend)
        batches = _batches(items, n_workers)
        pending = []
        bar = _progress(len(items), progress)
        try:
            for batch, batch_results in _run_batches(batches, config, with_frames, n_workers, backend):
                for clip, slot, vector, meta, seq, reason in batch_results:
                    if vector is None:
                        results[(clip, slot)] = reason
                        continue
                    results[(clip, slot)] = (vector, meta, seq)
                    n_computed += 1
                    pending.append((keys[(clip, slot)], vector, meta, seq))
                if cache is not None and len(pending) >= FLUSH_ROWS:
                    _write_quietly(cache, pending, with_frames)
                    pending = []
                bar.update(len(batch))
        finally:
            bar.close()
            if cache is not None and pending:
                _write_quietly(cache, pending, with_frames)
        for (clip, slot), key in keys.items():  # duplicates of an entry computed once
            if (clip, slot) not in results:
                results[(clip, slot)] = results[first_slot[key]]

    return _assemble(paths, index, clip_keys, clip_ids, names, results, config, with_frames, n_computed, n_cached)


BLOCK_CLIPS = 1000
"""Clips whose frame sequences are extracted at a time, by :func:`extract_corpus` with frames for
a larger list and by :func:`extract_statistics` (130 MB with the course's features)."""


def extract_statistics(clips, config: FeatureConfig, *, block_size: int = BLOCK_CLIPS, clip_ids=None, **options) -> tuple:
    """:func:`extract_corpus` with frames, reduced to the frames' statistics block by block.

    The statistics (input kind ``"stats"``, :func:`utils.features.inputs.frame_statistics`) are
    computed for ``block_size`` clips at a time and their frame sequences dropped, so memory does
    not grow with the corpus: the sequences of RAVDESS and CREMA-D together are 1.15 GB, their
    statistics 15 MB.  The cache is shared with :func:`extract_corpus`.

    Parameters
    ----------
    clips, config, clip_ids
        As for :func:`extract_corpus`.
    block_size : int
        Clips per block.
    **options
        ``augmentations``, ``n_jobs``, ``backend``, ``cache_dir``, ``progress``: as for
        :func:`extract_corpus`.

    Returns
    -------
    feature_set : FeatureSet
        Every row, vector and skipped file of ``extract_corpus(clips, config, with_frames=True)``
        in the same order, without ``frames``; ``rows["index"]`` as there.
    stats : np.ndarray
        ``(len(feature_set), len(statistics_names(config)))`` float32, the same values as
        ``feature_set_inputs(extract_corpus(..., with_frames=True), "stats")``.
    """
    from .inputs import frame_statistics, statistics_names

    if isinstance(block_size, bool) or int(block_size) != block_size or block_size < 1:
        raise ValueError(f"block_size must be a positive integer, not {block_size!r}")
    if "with_frames" in options:
        raise ValueError("extract_statistics always reads the frames (and lets them go): do not pass with_frames")
    parts, stats = [], []
    for fs in _block_sets(clips, config, int(block_size), clip_ids, options):
        stats.append(frame_statistics(fs.frames, fs.rows["n_valid_frames"].to_numpy(), config))
        fs.frames = None
        parts.append(fs)
    return _merge(parts, config), np.concatenate(stats).reshape(-1, len(statistics_names(config)))


def _block_sets(clips, config: FeatureConfig, block_size: int, clip_ids, options: dict):
    """:func:`extract_corpus` with frames of ``block_size`` clips at a time: one FeatureSet per block.

    Rows keep their clip's index label (a list of paths is numbered across all blocks).
    """
    import pandas as pd

    paths, _, _ = _clip_list(clips)
    table = clips if isinstance(clips, pd.DataFrame) else pd.DataFrame({"path": paths})
    ids = [Path(p).stem for p in paths] if clip_ids is None else [str(c) for c in clip_ids]
    if len(ids) != len(paths):
        raise ValueError(f"clip_ids holds {len(ids)} ids for {len(paths)} paths")
    for start in range(0, max(len(table), 1), block_size):
        block = slice(start, start + block_size)
        yield _extract(table.iloc[block], config, options.get("augmentations", ()), True, options.get("n_jobs", -1),
                       options.get("backend"), options.get("cache_dir"), options.get("progress", True), ids[block])


def _merge(parts: list, config: FeatureConfig) -> FeatureSet:
    """One FeatureSet (without frames) of the blocks of :func:`_block_sets`, in order."""
    import pandas as pd

    return FeatureSet(
        X=np.concatenate([fs.X for fs in parts]),
        rows=pd.concat([fs.rows for fs in parts], ignore_index=True),
        skipped=pd.concat([fs.skipped for fs in parts if len(fs.skipped)] or [parts[0].skipped], ignore_index=True),
        config=config,
        n_computed=sum(fs.n_computed for fs in parts),
        n_cached=sum(fs.n_cached for fs in parts),
    )


def _write_quietly(cache: FeatureCache, entries: list, with_frames: bool):
    """Store entries; a cache that cannot be written (read-only, disk full) only costs a warning."""
    try:
        cache.write(entries, with_frames)
    except OSError as exc:
        warnings.warn(f"feature cache: could not write to {cache.folder} ({exc}); features are returned but not cached", RuntimeWarning, stacklevel=3)


def _progress(total: int, enabled: bool):
    """A tqdm bar (notebook widget where available) or a silent stand-in."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="features", unit="file", disable=not enabled)



def _clip_list(clips) -> tuple:
    """``(paths, index labels, key columns or None)`` of a clip table or a list of paths."""
    import pandas as pd

    if isinstance(clips, pd.DataFrame):
        if "path" not in clips.columns:
            raise ValueError("a clip table needs a 'path' column (utils.data.scan.scan_corpus makes one)")
        if not clips.index.is_unique:
            raise ValueError("the clip table's index must be unique: it is the key every feature row carries")
        keys = clips[[c for c in KEY_COLUMNS if c in clips.columns]].reset_index(drop=True)
        return [str(p) for p in clips["path"]], list(clips.index), keys
    if isinstance(clips, (str, Path)):
        raise ValueError("clips must be a clip table or a list of paths, not a single path")
    paths = [str(p) for p in clips]
    return paths, list(range(len(paths))), None


def _assemble(paths, index, clip_keys, clip_ids, names, results, config, with_frames, n_computed, n_cached) -> FeatureSet:
    """Order the results as rows of a :class:`FeatureSet`, each carrying its clip's key."""
    import pandas as pd

    rows, skipped, vectors, sequences, positions = [], [], [], [], []
    for clip, path in enumerate(paths):
        values = [results[(clip, slot)] for slot in range(len(names))]
        failed = [v for v in values if isinstance(v, str)]
        if len(names) > 1 and len(failed) == len(names) and len(set(failed)) == 1:
            # The file itself is unusable: one line, not one per copy.
            skipped.append({"index": index[clip], "path": path, "augmentation": "all", "reason": failed[0]})
            continue
        for slot, (name, value) in enumerate(zip(names, values)):
            if isinstance(value, str):
                skipped.append({"index": index[clip], "path": path, "augmentation": name, "reason": value})
                continue
            vector, meta, seq = value
            rows.append({
                "index": index[clip], "path": path, "clip_id": clip_ids[clip], "augmentation": name,
                "augmented": slot > 0, "duration": float(meta[0]), "n_valid_frames": int(min(meta[1], config.n_frames)),
            })
            positions.append(clip)
            vectors.append(vector)
            if with_frames:
                sequences.append(seq)
    table = pd.DataFrame(rows, columns=ROW_COLUMNS)
    if clip_keys is not None:
        table = pd.concat([table, clip_keys.iloc[positions].reset_index(drop=True)], axis=1)
    X = np.stack(vectors).astype(np.float32, copy=False) if vectors else np.zeros((0, config.vector_size), np.float32)
    seqs = None
    if with_frames:
        seqs = np.stack(sequences).astype(np.float32, copy=False) if sequences else np.zeros((0, *config.frame_shape), np.float32)
    return FeatureSet(
        X=X, rows=table, skipped=pd.DataFrame(skipped, columns=SKIPPED_COLUMNS), config=config,
        frames=seqs, n_computed=n_computed, n_cached=n_cached,
    )
