"""Files: one helper for every checksum the course computes, and one way to walk a folder.

The feature cache keys entries by a BLAKE2b digest of each file's bytes, bundles record SHA-256
checksums of their files, downloads verify MD5 (Zenodo) and Git blob ids (GitHub), and the corpus
scan finds byte-identical clips.  All of them call :func:`file_digest`, which reads the file in
chunks with :func:`hashlib.file_digest`.  :func:`walk_files` lists what is below a folder,
following linked sub-folders, for the corpus scan and folder prediction alike.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
>>> _ = path.write_bytes(b"hello")
>>> file_digest(path, "sha256")[:12]
'2cf24dba5fb0'
>>> file_digest(path, "git-blob")[:12]      # what ``git hash-object`` prints
'b6fc4c620b67'
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

ALGORITHMS = ("blake2b-128", "sha256", "md5", "sha1", "git-blob")
"""Digests :func:`file_digest` computes; ``git-blob`` is Git's object id of the content."""


class NotRegularFile(OSError):
    """A path that exists but is not a regular file (``kind``: "a named pipe", "a folder", ...)."""

    def __init__(self, path, kind: str):
        self.path, self.kind = Path(path), kind
        super().__init__(f"{path}: not a regular file ({kind})")


def _hasher(algorithm: str, size: int):
    if algorithm == "blake2b-128":
        return hashlib.blake2b(digest_size=16)
    if algorithm == "git-blob":
        h = hashlib.sha1()
        h.update(b"blob %d\0" % size)
        return h
    if algorithm in ALGORITHMS:
        return hashlib.new(algorithm)
    raise ValueError(f"algorithm must be one of {ALGORITHMS}, not {algorithm!r}")


def file_digest(path, algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes, read in chunks.

    Parameters
    ----------
    path : str or Path
        A regular file.
    algorithm : str
        One of :data:`ALGORITHMS`.

    Returns
    -------
    str
        The hex digest.

    Raises
    ------
    OSError
        The file cannot be read (missing, no permission); :class:`NotRegularFile` if it is not a
        regular file (a named pipe or a device would block or never end, so it is refused before
        it is opened).
    """
    kind = not_regular(path)
    if kind:
        raise NotRegularFile(path, kind)
    with open(path, "rb") as fh:
        size = _size(fh) if algorithm == "git-blob" else 0
        return hashlib.file_digest(fh, lambda: _hasher(algorithm, size)).hexdigest()


def _size(fh) -> int:
    return os.fstat(fh.fileno()).st_size


def not_regular(path) -> str | None:
    """What ``path`` is if it exists but is not a regular file (``"a named pipe"``, ...), else None.

    Opening a named pipe blocks until something writes to it, and a device may never end, so
    every reader checks this first.  Links are followed.

    Examples
    --------
    >>> not_regular(".") , not_regular("no-such-file")
    ('a folder', None)
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return name
    return "not a regular file"


def walk_files(root, *, hidden: bool = False) -> list:
    """Every entry below ``root`` that is not a folder, following linked sub-folders, sorted.

    A corpus is often assembled from links (``corpus/Actor_01 -> /data/ravdess/Actor_01``);
    :meth:`pathlib.Path.rglob` does not follow them in Python 3.11, so the files behind a linked
    folder would be missed without a word.  Each real folder is entered once, so a link that
    points back up does not loop.  Named pipes and other special files are listed too, so that
    callers can report them rather than lose them.

    Parameters
    ----------
    root : str or Path
        A folder.
    hidden : bool
        Include names starting with ``.`` (files, and files inside such folders); default no.

    Returns
    -------
    list of Path
        Paths as seen from ``root`` (through the links), sorted.

    Examples
    --------
    >>> import tempfile
    >>> top = Path(tempfile.mkdtemp())
    >>> (top / "real").mkdir(); _ = (top / "real" / "a.wav").write_bytes(b"")
    >>> (top / "corpus").mkdir(); (top / "corpus" / "Actor_01").symlink_to(top / "real")
    >>> [p.relative_to(top).as_posix() for p in walk_files(top / "corpus")]
    ['corpus/Actor_01/a.wav']
    """
    root = Path(root)
    out, seen = [], set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        if not hidden:
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            files = [f for f in files if not f.startswith(".")]
        out.extend(Path(folder) / f for f in files)
    return sorted(out)
