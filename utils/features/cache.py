"""The feature cache on disk: rows keyed by file content and variant, one folder per configuration.

:func:`~utils.features.extract.extract_corpus` keeps what it computed under ``cache_dir``
(default ``derived_dir() / "cache"``)::

    cache_dir/
      features-<fingerprint>/         one folder per FeatureConfig (config.fingerprint())
        config.json                   the configuration, for people reading the folder
        vec-<id>.npz                  shards of clip vectors
        frm-<id>.npz                  shards of clip vectors together with frame sequences

Each shard is a plain ``.npz`` (no pickle) with the arrays ``keys`` (``S32``: one entry key per
row), ``X`` (float32, rows x vector_size), ``meta`` (float64, rows x 2: duration in seconds of
the signal, number of STFT frames), ``sums`` (uint64: a 64-bit BLAKE2b checksum of each row's key,
vector and meta) and, in ``frm-`` shards, ``frames`` (float32, rows x n_frames x features) with
``frame_sums`` (the checksum of each row's key and sequence).

An entry's key is ``blake2b(content digest of the file | variant)`` (:func:`entry_key`), where the
content digest is :func:`utils.core.files.file_digest` of the file's bytes (not its path or
modification time) and the variant is ``original`` or the augmentation's
:meth:`~utils.data.augment.Augmentation.key` together with the clip id that seeds it.  The
configuration is the folder.  So editing a file or changing any setting recomputes; an unchanged
re-run only hashes the files and reads a few shards.

Shards are written to a temporary file that is then renamed, so a shard is complete or absent, and
when a folder holds more than :data:`MAX_SHARDS` small shards of a kind (under half of
:data:`MERGED_SHARD_BYTES`) they are merged into shards of at most :data:`MERGED_SHARD_BYTES`, so
that neither merging nor reading ever holds more than about that much of a large corpus.  A
shard that cannot be read or has the wrong shapes is deleted, a row whose checksum does not match
is dropped, and the entries concerned are simply computed again, with a warning.
"""

from __future__ import annotations

import hashlib
import os
import uuid
import warnings
from pathlib import Path

import numpy as np

from .config import FeatureConfig

MAX_SHARDS = 8
"""A cache folder holding more small shards than this of one kind has them merged."""

MERGED_SHARD_BYTES = 128 * 2**20
"""Largest shard that merging writes (about 1,000 clips with the course's frame sequences); a shard
of at least half of it is left as it is."""


def entry_key(digest: str, variant: str) -> bytes:
    """32-byte ASCII key of one cache entry (file content + variant)."""
    return hashlib.blake2b(f"{digest}|{variant}".encode(), digest_size=16).hexdigest().encode("ascii")


def _row_sum(key: bytes, *arrays) -> int:
    """64-bit checksum of one cache row: its key and the bytes of its arrays."""
    h = hashlib.blake2b(bytes(key), digest_size=8)
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return int.from_bytes(h.digest(), "little")


def atomic_savez(path: Path, arrays: dict):
    """``np.savez`` to a temporary file in the same folder, then rename it into place."""
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex}-{path.name}")
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


class FeatureCache:
    """The shard files of one configuration under a cache folder (see the module docstring).

    Parameters
    ----------
    cache_dir : str or Path
        The cache root; the shards live in ``cache_dir / f"features-{config.fingerprint()}"``.
    config : FeatureConfig

    Examples
    --------
    >>> cache = FeatureCache("/tmp/ser-cache", FeatureConfig())      # doctest: +SKIP
    >>> found = cache.lookup([key], with_frames=False)                    # doctest: +SKIP
    """

    def __init__(self, cache_dir, config: FeatureConfig):
        self.config = config
        self.folder = Path(cache_dir) / f"features-{config.fingerprint()}"
        self.problems: list = []

    def shards(self, kind: str) -> list:
        """Shard files of one kind (``"vec"`` or ``"frm"``), oldest first."""
        if not self.folder.is_dir():
            return []
        found = []
        for p in self.folder.glob(f"{kind}-*.npz"):
            try:
                found.append((p.stat().st_mtime_ns, p.name, p))
            except FileNotFoundError:  # removed by another process meanwhile
                continue
        return [p for *_, p in sorted(found)]

    def _problem(self, path: Path, reason: str, remove: bool):
        message = f"feature cache: {path.name}: {reason}; " + ("removed, " if remove else "") + "its entries will be recomputed"
        self.problems.append(message)
        warnings.warn(message, RuntimeWarning, stacklevel=4)
        if remove:
            path.unlink(missing_ok=True)

    def _read(self, path: Path, with_frames: bool, names=None):
        """Arrays of a shard after shape checks, or ``None`` (and the shard removed)."""
        if names is None:
            names = ["keys", "X", "meta", "sums"] + (["frames", "frame_sums"] if with_frames else [])
        try:
            # Opened here so the file is closed even when numpy fails to parse it.
            with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as data:
                arrays = {name: data[name] for name in names}
        except FileNotFoundError:
            return None
        except Exception as exc:  # truncated zip, bad CRC, missing member, garbage bytes
            self._problem(path, f"unreadable ({type(exc).__name__}: {exc})", remove=True)
            return None
        n = len(arrays["keys"])
        expected = {
            "keys": ((n,), "S"),
            "X": ((n, self.config.vector_size), "f"),
            "meta": ((n, 2), "f"),
            "sums": ((n,), "u"),
            "frames": ((n, *self.config.frame_shape), "f"),
            "frame_sums": ((n,), "u"),
        }
        for name, a in arrays.items():
            shape, kind = expected[name]
            if a.shape != shape or a.dtype.kind != kind:
                self._problem(path, f"{name} has shape {a.shape} and dtype {a.dtype}, expected {shape}", remove=True)
                return None
        return arrays

    @staticmethod
    def _valid_rows(arrays: dict, rows) -> list:
        """The rows among ``rows`` whose stored checksums match their content."""
        keys, X, meta, sums = arrays["keys"], arrays["X"], arrays["meta"], arrays["sums"]
        good = [i for i in rows if _row_sum(keys[i], X[i], meta[i]) == int(sums[i])]
        if "frames" in arrays:
            frames, frame_sums = arrays["frames"], arrays["frame_sums"]
            good = [i for i in good if _row_sum(keys[i], frames[i]) == int(frame_sums[i])]
        return good

    def lookup(self, keys, with_frames: bool) -> dict:
        """Find cached entries.

        Parameters
        ----------
        keys : iterable of bytes
            Entry keys (see the module docstring).
        with_frames : bool
            Only entries stored with their frame sequence count.

        Returns
        -------
        dict
            ``key -> (vector, meta, sequence or None)`` for every key found intact.
        """
        wanted = set(keys)
        found = {}
        kinds = ("frm",) if with_frames else ("vec", "frm")
        for kind in kinds:
            for path in reversed(self.shards(kind)):  # newest first
                if not wanted:
                    return found
                index = self._read(path, False, names=["keys"])
                if index is None:
                    continue
                rows = [i for i, k in enumerate(index["keys"].tolist()) if k in wanted]
                if not rows:
                    continue
                arrays = self._read(path, with_frames=with_frames)
                if arrays is None:
                    continue
                good = self._valid_rows(arrays, rows)
                if len(good) < len(rows):
                    self._problem(path, f"{len(rows) - len(good)} row(s) fail their checksum", remove=False)
                    self._rewrite_without_bad_rows(path, kind)
                # Copies of the wanted rows only, so that the shard's arrays are freed after this loop.
                picked = {name: arrays[name][good] for name in ("keys", "X", "meta") + (("frames",) if with_frames else ())}
                del arrays
                for j, key in enumerate(picked["keys"].tolist()):
                    found[key] = (picked["X"][j], picked["meta"][j], picked["frames"][j] if with_frames else None)
                    wanted.discard(key)
        return found

    def _rewrite_without_bad_rows(self, path: Path, kind: str):
        """Replace a shard by its rows that pass their checksums (or remove it if none do)."""
        arrays = self._read(path, with_frames=kind == "frm")
        if arrays is None:
            return
        good = self._valid_rows(arrays, range(len(arrays["keys"])))
        if not good:
            path.unlink(missing_ok=True)
            return
        atomic_savez(path, {name: a[good] for name, a in arrays.items()})

    def write(self, entries: list, with_frames: bool) -> Path | None:
        """Store ``(key, vector, meta, sequence)`` entries as one new shard; merge shards if many.

        Returns the new shard's path (``None`` for no entries).
        """
        if not entries:
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        config_path = self.folder / "config.json"
        if not config_path.exists():
            self.config.to_json(config_path)
        kind = "frm" if with_frames else "vec"
        keys = np.array([e[0] for e in entries], dtype="S32")
        X = np.stack([e[1] for e in entries]).astype(np.float32, copy=False)
        meta = np.stack([e[2] for e in entries]).astype(np.float64, copy=False)
        arrays = {
            "keys": keys,
            "X": X,
            "meta": meta,
            "sums": np.array([_row_sum(k, x, m) for k, x, m in zip(keys, X, meta)], dtype=np.uint64),
        }
        if with_frames:
            seqs = np.stack([e[3] for e in entries]).astype(np.float32, copy=False)
            arrays["frames"] = seqs
            arrays["frame_sums"] = np.array([_row_sum(k, f) for k, f in zip(keys, seqs)], dtype=np.uint64)
        path = self.folder / f"{kind}-{uuid.uuid4().hex[:16]}.npz"
        atomic_savez(path, arrays)
        if len(self._small_shards(kind)) > MAX_SHARDS:
            self.compact(kind)
        return path

    def _small_shards(self, kind: str) -> list:
        """Shards of one kind under half of :data:`MERGED_SHARD_BYTES`, oldest first: those merging takes."""
        small = []
        for path in self.shards(kind):
            try:
                if path.stat().st_size < MERGED_SHARD_BYTES // 2:
                    small.append(path)
            except FileNotFoundError:
                continue
        return small

    def compact(self, kind: str):
        """Merge the small intact shards of one kind (one row per key) into shards of at most :data:`MERGED_SHARD_BYTES`.

        The shards are read one at a time and a merged shard is written as soon as it is full,
        so merging holds at most about two merged shards' worth of rows, whatever the corpus.
        Shards of at least half that size are not touched.
        """
        paths = self._small_shards(kind)
        parts, seen, held = [], set(), 0

        def flush():
            nonlocal parts, held
            if parts:
                merged = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
                atomic_savez(self.folder / f"{kind}-{uuid.uuid4().hex[:16]}.npz", merged)
            parts, held = [], 0

        for path in reversed(paths):  # newest first: a key keeps its newest row
            arrays = self._read(path, with_frames=kind == "frm")
            if arrays is None:
                continue
            keep = [i for i in self._valid_rows(arrays, range(len(arrays["keys"]))) if arrays["keys"][i] not in seen]
            seen.update(arrays["keys"][keep].tolist())
            if not keep:
                continue
            row_bytes = sum(a[:1].nbytes for a in arrays.values())
            for start in range(0, len(keep), max(1, MERGED_SHARD_BYTES // row_bytes)):
                rows = keep[start : start + max(1, MERGED_SHARD_BYTES // row_bytes)]
                if held and held + len(rows) * row_bytes > MERGED_SHARD_BYTES:
                    flush()
                parts.append({name: a[rows] for name, a in arrays.items()})
                held += len(rows) * row_bytes
            del arrays
        flush()
        for path in paths:
            path.unlink(missing_ok=True)
