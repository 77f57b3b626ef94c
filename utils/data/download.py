"""Fetching and verifying the real RAVDESS and CREMA-D corpora, resumably and safely.

The course finds real corpora under the data folder (:func:`utils.sources.data_dir`), in the
layouts their publishers use::

    <dest>/ravdess/Actor_01/03-01-01-01-01-01-01.wav      (Zenodo zip layout, Actor_01 ... Actor_24)
    <dest>/cremad/AudioWAV/1001_DFA_ANG_XX.wav            (GitHub repository layout)
    <dest>/cremad/VideoDemographics.csv

This module puts them there.  From a terminal::

    python -m utils.data.download ravdess cremad             # both corpora into data/
    python -m utils.data.download ravdess --from-zip ~/Downloads/Audio_Speech_Actors_01-24.zip

How a download goes
-------------------
RAVDESS (:func:`download_ravdess`)
    1. Read the Zenodo record's metadata (:data:`ZENODO_API`): file name, size, md5, URL.
    2. Download the zip to ``<dest>/.downloads/NAME.part``.  An interrupted transfer leaves the
       ``.part`` file behind, and the next attempt (a retry, or the same command run again) asks
       the server only for the missing bytes with an HTTP ``Range`` request.
    3. Check size and md5; a mismatch deletes the file and raises :class:`ChecksumError`.
       Only a verified file is renamed to its final name.
    4. Check every archive member *before* writing anything: absolute paths, ``..`` and symbolic
       links are refused (:class:`UnsafeArchiveError`).  Then extract the ``Actor_XX/*.wav``
       members, each through a temporary name, and record the result in a manifest
       (``<dest>/.downloads/ravdess.json``) so that a re-run sees a complete copy and downloads
       nothing.

CREMA-D (:func:`download_cremad`)
    The audio lives in Git LFS.  For each file the small LFS *pointer* (``oid sha256:...``,
    ``size ...``) is read from :data:`CREMAD_RAW`, the audio itself from :data:`CREMAD_MEDIA`,
    and the audio is accepted only if its sha256 and size match the pointer.  The file names come
    from the GitHub trees API (:data:`CREMAD_TREE`) or from a names list you supply.  Eight
    threads download at once; transient errors (connection problems, HTTP 429/5xx, transfers cut
    short) are retried with exponential backoff; each verified file is appended to
    ``<dest>/.downloads/cremad-verified.jsonl`` so that an interrupted run resumes where it
    stopped.  A file that fails (say, HTTP 404) is reported and the others are kept.

Already downloaded elsewhere?  :func:`import_ravdess_zip` extracts a local copy of the Zenodo
zip (after checking its md5), and :func:`import_folder` copies (or hard-links) the audio files
of a folder from another mirror into the layout above, checking their names.

Safety rules shared by everything here: files are written under a temporary name and moved into
place only when complete and verified; nothing already on disk is replaced unless ``force=True``
(``--force``); every error names the file or URL and the problem.  Single-file functions raise
:class:`DownloadError`; batch functions return a :class:`DownloadResult` listing what was done,
what was already present and what failed, with reasons.

All URLs are parameters (module constants, function arguments, command-line options), so the
tests can point everything at a local server, and you can point it at a mirror.
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import json
import logging
import os
import random
import re
import shutil
import stat
import sys
import textwrap
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TypeVar

import pooch
import requests
from tqdm.auto import tqdm

from .. import __version__
from ..core.paths import data_dir

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# Sources and defaults
# --------------------------------------------------------------------------------------------

ZENODO_API = "https://zenodo.org/api/records/1188976"
"""Metadata of the RAVDESS Zenodo record (JSON: ``files[].key``, ``checksum``, ``size``, ``links.self``)."""

RAVDESS_SPEECH = "Audio_Speech_Actors_01-24.zip"
"""The speech audio of RAVDESS: 1,440 clips of 24 actors (208,468,073 bytes)."""

RAVDESS_SONG = "Audio_Song_Actors_01-24.zip"
"""The song audio of RAVDESS: 1,012 clips of 23 actors (actor 18 has no song recordings)."""

KNOWN_MD5 = {RAVDESS_SPEECH: "bc696df654c87fed845eb13823edef8a"}
"""md5 of the Zenodo archives, used to check an imported zip when the metadata cannot be reached."""

RAVDESS_EXPECTED = {RAVDESS_SPEECH: ("03-01-", 1440), RAVDESS_SONG: ("03-02-", 1012)}
"""Archive to (file name prefix, number of audio files) of a complete RAVDESS copy."""

CREMAD_REPO = "CheyneyComputerScience/CREMA-D"
CREMAD_TREE = f"https://api.github.com/repos/{CREMAD_REPO}/git/trees/master?recursive=1"
"""GitHub trees API listing of the CREMA-D repository (the file names under ``AudioWAV/``)."""

CREMAD_RAW = f"https://raw.githubusercontent.com/{CREMAD_REPO}/master"
"""Raw files of the repository: the Git LFS pointers of the audio, and ``VideoDemographics.csv``."""

CREMAD_MEDIA = f"https://media.githubusercontent.com/media/{CREMAD_REPO}/master"
"""The Git LFS content of the repository: the audio itself."""

CREMAD_AUDIO_DIR = "AudioWAV"
CREMAD_DEMOGRAPHICS = "VideoDemographics.csv"
CREMAD_EXPECTED = 7442
"""Number of WAV files of a complete CREMA-D copy (91 actors, 1001-1091)."""

RAVDESS_NAME = re.compile(r"\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-(\d{2})\.wav", re.IGNORECASE)
"""RAVDESS file names: seven two-digit fields, the last one the actor."""

CREMAD_NAME = re.compile(r"\d{4}_[A-Z]{3}_[A-Z]{3}_[A-Z]{2}\.wav", re.IGNORECASE)
"""CREMA-D file names: actor, sentence, emotion, level, e.g. ``1001_DFA_ANG_XX.wav``."""

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\.wav")
"""A downloadable CREMA-D name: one plain file name, no folders, no ``..``."""

STAGING_DIR = ".downloads"
"""Folder under the destination for partial downloads, kept archives and manifests."""

TIMEOUT = 60.0
"""Seconds to wait for a server to connect or to send the next bytes."""

RETRIES = 4
"""Extra attempts after a transient error (connection error, HTTP 429/5xx, transfer cut short)."""

BACKOFF = 1.0
"""Seconds before the first retry; doubled for each further one."""

WORKERS = 8
"""Parallel downloads of CREMA-D files."""

CHUNK = 1 << 16
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
LFS_SPEC = "https://git-lfs.github.com/spec/v1"
LABELS = {"ravdess": "RAVDESS", "cremad": "CREMA-D"}

T = TypeVar("T")


# --------------------------------------------------------------------------------------------
# Errors and results
# --------------------------------------------------------------------------------------------


class DownloadError(RuntimeError):
    """A file could not be fetched, verified or installed; the message names it and the problem."""


class ChecksumError(DownloadError):
    """Downloaded or imported bytes do not match the published checksum.

    Attributes
    ----------
    what : str
        The file (and where it came from).
    algorithm : str
        ``"md5"``, ``"sha256"`` ...
    expected, actual : str
        The published and the computed checksum.
    """

    def __init__(self, what: str, algorithm: str, expected: str, actual: str, detail: str = ""):
        self.what, self.algorithm, self.expected, self.actual = what, algorithm, expected, actual
        message = f"{what}: {algorithm} checksum mismatch: expected {expected}, got {actual}"
        super().__init__(message + (f"; {detail}" if detail else ""))


class UnsafeArchiveError(DownloadError):
    """An archive member would be written outside the destination (absolute path, ``..``, link)."""


class TransientError(DownloadError):
    """A failure worth retrying: connection trouble, HTTP 429/5xx, a transfer cut short."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class DownloadResult:
    """What a batch operation did, item by item.

    Attributes
    ----------
    corpus : str
        ``"ravdess"`` or ``"cremad"``.
    dest : Path
        The corpus folder written to.
    action : str
        ``"downloaded"`` or ``"imported"`` (wording of the summary).
    done : dict of str to str
        Item (archive or file name) to a short detail, for each item fetched and installed now.
    skipped : dict of str to str
        Item to reason, for each item already present (nothing fetched).
    failed : dict of str to str
        Item to error message, for each item that failed.
    notes : list of str
        Warnings worth reading (e.g. an import that could not be verified).
    """

    corpus: str
    dest: Path
    action: str = "downloaded"
    done: dict = field(default_factory=dict)
    skipped: dict = field(default_factory=dict)
    failed: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed

    def summary(self, max_failures: int = 20) -> str:
        """A few lines for the terminal: counts, then what was done, skipped and failed, and why."""
        label = LABELS.get(self.corpus, self.corpus)
        lines = [
            f"{label} -> {self.dest}: {len(self.done):,} {self.action}, "
            f"{len(self.skipped):,} already present, {len(self.failed):,} failed"
        ]
        if not self.done and not self.failed and self.skipped:
            lines.append(f"  nothing {self.action}: everything asked for was already present")
        lines += _grouped_lines(self.action, self.done)
        lines += _grouped_lines("already present", self.skipped)
        for i, (name, reason) in enumerate(self.failed.items()):
            if i == max_failures:
                lines.append(f"  ... and {len(self.failed) - max_failures:,} more failures")
                break
            lines.append(f"  FAILED {name}: {reason}")
        if self.failed and self.action == "downloaded":
            lines.append("  Run the same command again to retry what failed; verified files are kept.")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def _grouped_lines(label: str, items: dict, shown: int = 3) -> list[str]:
    """Summary lines for ``{name: reason}``: one line per distinct reason, a few names each."""
    groups: dict[str, list[str]] = {}
    for name, reason in items.items():
        groups.setdefault(reason, []).append(name)
    lines = []
    for reason, names in groups.items():
        text = ", ".join(names[:shown])
        if len(names) > shown:
            text += f" and {len(names) - shown:,} more"
        lines.append(f"  {label}: {text}" + (f" ({reason})" if reason else ""))
    return lines


# --------------------------------------------------------------------------------------------
# HTTP: sessions, errors, retries
# --------------------------------------------------------------------------------------------

_local = threading.local()


def _session() -> requests.Session:
    """One :class:`requests.Session` per thread (keep-alive connections, a clear User-Agent)."""
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.headers["User-Agent"] = f"ser-course/{__version__} (utils.data.download; python-requests)"
        _local.session = session
    return session


def _short(exc: BaseException) -> str:
    """A one-line description of an exception (the innermost message of requests/urllib3 wrappers)."""
    while True:
        reason = getattr(exc, "reason", None)
        if isinstance(reason, BaseException):
            exc = reason
        elif exc.args and isinstance(exc.args[0], BaseException):
            exc = exc.args[0]
        else:
            break
    message = exc.args[0] if len(exc.args) > 1 and isinstance(exc.args[0], str) else str(exc)
    message = re.sub(r"^<?\w*HTTPS?Connection(Pool)?\(host=[^)]*\)>?:?\s*", "", message)
    text = " ".join(message.split()) or type(exc).__name__
    if "Failed to resolve" in text:
        text += " - no internet connection?"
    return text if len(text) <= 300 else text[:297] + "..."


def _body_hint(response: requests.Response) -> str:
    """The start of an error response's body (GitHub and Zenodo explain errors there)."""
    try:
        head = next(response.iter_content(400), b"")
    except requests.RequestException:
        return ""
    text = " ".join(head.decode("utf-8", "replace").split())
    if not text or text.lower().strip("0123456789: ") == (response.reason or "").lower():
        return ""  # nothing the status line does not say already
    return f": {text}"


def _retry_after(response: requests.Response) -> float | None:
    """Seconds from a ``Retry-After`` header, when it holds a number."""
    value = response.headers.get("Retry-After", "")
    return float(value) if value.strip().isdigit() else None


def _get(url: str, *, timeout: float, stream: bool = False, headers: dict | None = None,
         allow: Iterable[int] = ()) -> requests.Response:
    """GET ``url``; raise :class:`TransientError` or :class:`DownloadError` on failure.

    Parameters
    ----------
    url : str
    timeout : float
        Seconds to connect and between received bytes.
    stream : bool
        Leave the body unread (the caller iterates over it and closes the response).
    headers : dict, optional
    allow : iterable of int
        Error statuses returned to the caller instead of raised (e.g. 416 for range requests).
    """
    try:
        response = _session().get(url, timeout=timeout, stream=stream, headers=headers)
    except requests.RequestException as exc:
        raise TransientError(f"{url}: {_short(exc)}") from exc
    status = response.status_code
    if status < 400 or status in allow:
        return response
    message = f"{url}: HTTP {status} {response.reason or ''}".rstrip() + _body_hint(response)
    response.close()
    if status in RETRY_STATUS:
        raise TransientError(message, retry_after=_retry_after(response))
    raise DownloadError(message)


def _retrying(action: Callable[[], T], *, retries: int, backoff: float) -> T:
    """Run ``action``; after a :class:`TransientError` wait (exponential backoff) and try again.

    Raises
    ------
    DownloadError
        The last error, once ``retries`` extra attempts have failed too.
    """
    for attempt in range(retries + 1):
        try:
            return action()
        except TransientError as exc:
            if attempt == retries:
                tries = f"{retries + 1} attempts" if retries else "1 attempt"
                raise DownloadError(f"{exc} (gave up after {tries})") from exc
            delay = exc.retry_after if exc.retry_after is not None else backoff * 2**attempt
            delay = min(delay, 120.0) * random.uniform(1.0, 1.25)
            log.info("%s; retrying in %.1f s", exc, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


def fetch_json(url: str, *, timeout: float = TIMEOUT, retries: int = RETRIES, backoff: float = BACKOFF):
    """Download and parse a JSON document, retrying transient errors.

    Raises
    ------
    DownloadError
        The server could not be reached, answered with an error, or sent something else than JSON.
    """

    def attempt():
        response = _get(url, timeout=timeout)
        try:
            return response.json()
        except ValueError as exc:
            raise DownloadError(f"{url}: the answer is not JSON ({_short(exc)})") from exc

    return _retrying(attempt, retries=retries, backoff=backoff)


def fetch_text(url: str, *, timeout: float = TIMEOUT, retries: int = RETRIES, backoff: float = BACKOFF) -> str:
    """Download a small text document (an LFS pointer, a names list), retrying transient errors."""
    return _retrying(lambda: _get(url, timeout=timeout).text, retries=retries, backoff=backoff)


# --------------------------------------------------------------------------------------------
# Files: hashes, temporary names, free space
# --------------------------------------------------------------------------------------------


def file_hash(path, algorithm: str = "sha256") -> str:
    """Hex digest of a file (``"md5"``, ``"sha256"`` ...), read in chunks (:func:`pooch.file_hash`)."""
    return pooch.file_hash(str(path), alg=algorithm)


def git_blob_sha1(path) -> str:
    """The Git object id of a file's content (what the GitHub trees API lists as ``sha``)."""
    data = Path(path).read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _part(path: Path) -> Path:
    """The temporary name a file is written under until it is complete and verified."""
    return path.with_name(path.name + ".part")


def _content_hint(path: Path) -> str:
    """Say what a file holds when it is not audio (an HTML error page, an LFS pointer ...)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(120)
    except OSError:
        return ""
    if head[:4] == b"RIFF" or not head:
        return ""
    text = " ".join(head.decode("utf-8", "replace").split())
    return f"the server sent no WAV data; it began with {text[:80]!r}"


def _ensure_free_space(folder: Path, needed: int, what: str) -> None:
    """Raise :class:`DownloadError` if ``folder``'s disk has less than ``needed`` bytes free."""
    probe = folder
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if needed > free:
        raise DownloadError(
            f"{what}: needs {needed / 1e6:,.0f} MB of disk space in {folder}, only {free / 1e6:,.0f} MB free"
        )


# --------------------------------------------------------------------------------------------
# Resumable download of one large file
# --------------------------------------------------------------------------------------------


def _range_start(content_range: str | None) -> int | None:
    """First byte of a ``Content-Range: bytes START-END/TOTAL`` header."""
    match = re.match(r"bytes\s+(\d+)-\d+/(\d+|\*)", content_range or "")
    return int(match.group(1)) if match else None


def _transfer(url: str, part: Path, size: int | None, *, timeout: float, progress: bool) -> None:
    """One attempt to complete ``part`` from ``url``, continuing from the bytes already there.

    Raises
    ------
    TransientError
        The transfer was interrupted (the bytes received so far are kept for the next attempt).
    """
    have = part.stat().st_size if part.exists() else 0
    if size is not None and have > size:
        part.unlink()
        have = 0
    if size is not None and have == size and have > 0:
        return  # complete already; verification decides whether it is good
    headers = {"Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    response = _get(url, timeout=timeout, stream=True, headers=headers, allow=(416,))
    with response:
        if response.status_code == 416:
            if have:
                return  # nothing left to send after our bytes: verification decides
            raise DownloadError(f"{url}: HTTP 416 Range Not Satisfiable for a request without a range")
        if have and response.status_code == 206:
            start = _range_start(response.headers.get("Content-Range"))
            if start != have:
                part.unlink()
                raise TransientError(f"{url}: server resumed at byte {start}, not {have}; starting over")
            mode = "ab"
            log.info("%s: resuming at byte %d", part.name, have)
        else:
            if have:
                log.info("%s: the server does not resume transfers; starting over", url)
            mode, have = "wb", 0
        length = response.headers.get("Content-Length", "")
        total = have + int(length) if length.isdigit() else size
        with open(part, mode) as fh, tqdm(total=total, initial=have, unit="B", unit_scale=True,
                                          unit_divisor=1024, desc=part.name[:-5], disable=not progress,
                                          leave=False) as bar:
            try:
                for chunk in response.iter_content(CHUNK):
                    fh.write(chunk)
                    bar.update(len(chunk))
            except requests.RequestException as exc:
                raise TransientError(
                    f"{url}: transfer interrupted after {fh.tell():,} bytes ({_short(exc)}); "
                    f"the partial file {part} is kept and the download resumes from there"
                ) from exc
    got = part.stat().st_size
    if size is not None and got < size:
        raise TransientError(f"{url}: transfer ended early ({got:,} of {size:,} bytes)")


def _mismatch(path: Path, md5: str | None, size: int | None) -> tuple | None:
    """None if ``path`` has the expected size and md5, else ``(kind, expected, actual)``."""
    actual_size = path.stat().st_size
    if size is not None and actual_size != size:
        return "size", f"{size:,} bytes", f"{actual_size:,} bytes"
    if md5:
        actual = file_hash(path, "md5")
        if actual != md5.lower():
            return "md5", md5.lower(), actual
    return None


def _verify_md5(path: Path, md5: str | None, size: int | None, what: str) -> None:
    """Check size and md5 of ``path``; on mismatch delete it and raise :class:`ChecksumError`."""
    problem = _mismatch(path, md5, size)
    if problem is None:
        return
    path.unlink()
    kind, expected, actual = problem
    if kind == "size":
        raise DownloadError(f"{what}: size mismatch: expected {expected}, got {actual}; the bad file was removed")
    raise ChecksumError(what, kind, expected, actual, "the bad file was removed")


def download_resumable(url: str, path, *, md5: str | None = None, size: int | None = None,
                       force: bool = False, timeout: float = TIMEOUT, retries: int = RETRIES,
                       backoff: float = BACKOFF, progress: bool = True) -> bool:
    """Download a (large) file through ``PATH.part``, resuming interrupted transfers.

    Parameters
    ----------
    url : str
    path : str or Path
        Final name; written only once the file is complete and verified.
    md5 : str, optional
        Expected md5 (hex).  Without it the file is not verified (a warning is logged).
    size : int, optional
        Expected size in bytes.
    force : bool
        Download again even if ``path`` exists; discard a partial ``.part`` file.
    timeout, retries, backoff
        See :data:`TIMEOUT`, :data:`RETRIES`, :data:`BACKOFF`.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    bool
        True if downloaded now, False if ``path`` was already there and verified.

    Raises
    ------
    ChecksumError
        The download does not match ``md5``; the bad file was deleted.
    DownloadError
        The download failed (after retries), or ``path`` exists and does not verify.
    """
    path = Path(path)
    part = _part(path)
    what = f"{path.name} from {url}"
    if force:
        path.unlink(missing_ok=True)
        part.unlink(missing_ok=True)
    if path.exists():
        problem = _mismatch(path, md5, size)
        if problem is None:
            return False
        kind, expected, actual = problem
        raise DownloadError(
            f"{path}: already exists but does not match {url} ({kind}: expected {expected}, got {actual}); "
            "not overwritten - delete it or use --force"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if size is not None:
        have = part.stat().st_size if part.exists() else 0
        _ensure_free_space(path.parent, max(size - have, 0), what)
    _retrying(lambda: _transfer(url, part, size, timeout=timeout, progress=progress),
              retries=retries, backoff=backoff)
    if not md5:
        log.warning("%s: no checksum published; the file was not verified", what)
    _verify_md5(part, md5, size, what)
    os.replace(part, path)
    return True


# --------------------------------------------------------------------------------------------
# Zip archives: safety checks and extraction of the RAVDESS layout
# --------------------------------------------------------------------------------------------


def _unsafe_reason(info: zipfile.ZipInfo, dest: Path) -> str | None:
    """Why a member must not be extracted into ``dest`` (resolved), or None if it is safe."""
    name = info.filename
    if stat.S_ISLNK(info.external_attr >> 16):
        return "is a symbolic link"
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
        return "has an absolute path"
    if ".." in re.split(r"[\\/]+", name):
        return "contains '..'"
    if not (dest / name).resolve().is_relative_to(dest):
        return "would be written outside the destination"
    return None


def check_zip_members(archive: zipfile.ZipFile, dest, source="archive") -> None:
    """Refuse an archive with any member that could land outside ``dest``.

    Parameters
    ----------
    archive : zipfile.ZipFile
    dest : str or Path
        The folder the archive is meant to be extracted into.
    source : str or Path
        The archive's name, for the error message.

    Raises
    ------
    UnsafeArchiveError
        A member has an absolute path, contains ``..``, is a symbolic link, or resolves outside
        ``dest``.  Nothing is extracted.
    """
    root = Path(dest).resolve()
    for info in archive.infolist():
        reason = _unsafe_reason(info, root)
        if reason:
            raise UnsafeArchiveError(
                f"{source}: refusing to extract: member {info.filename!r} {reason}; nothing was extracted"
            )


def ravdess_member_target(name: str) -> str | None:
    """Where a zip member goes under ``ravdess/``: ``"Actor_XX/NAME.wav"``, or None to skip it.

    Accepts ``Actor_XX/NAME.wav`` at the top of the archive or below one wrapping folder; skips
    folders, non-WAV files and macOS metadata (``__MACOSX/``, ``._*``).
    """
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if len(parts) < 2 or "__MACOSX" in parts or parts[-1].startswith("."):
        return None
    if not re.fullmatch(r"Actor_\d{2}", parts[-2]) or not parts[-1].lower().endswith(".wav"):
        return None
    return f"{parts[-2]}/{parts[-1]}"


def _file_crc32(path: Path) -> int:
    """CRC-32 of a file (what a zip records per member)."""
    crc = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


def _same_as_member(path: Path, info: zipfile.ZipInfo) -> bool:
    """True if ``path`` holds exactly the member's bytes (size and CRC-32)."""
    return path.stat().st_size == info.file_size and _file_crc32(path) == info.CRC


def _extract_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, source) -> None:
    """Write one member to ``target`` through a temporary name (CRC checked while reading)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = _part(target)
    try:
        with archive.open(info) as src, open(part, "wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        part.unlink(missing_ok=True)
        raise DownloadError(f"{source}: cannot extract {info.filename!r}: {_short(exc)}") from exc
    os.replace(part, target)


def extract_ravdess_zip(zip_path, root, *, force: bool = False, progress: bool = True) -> dict:
    """Safely extract the ``Actor_XX/*.wav`` members of a RAVDESS zip into ``root``.

    Parameters
    ----------
    zip_path : str or Path
    root : str or Path
        The ``ravdess/`` folder; files end up as ``root/Actor_XX/NAME.wav``.
    force : bool
        Replace existing files whose content differs from the archive.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    dict of str to int
        ``"Actor_XX/NAME.wav"`` to size, for every audio file of the archive now in place.

    Raises
    ------
    UnsafeArchiveError
        A member would land outside ``root`` (see :func:`check_zip_members`); nothing is written.
    DownloadError
        Not a zip, no RAVDESS audio inside, or existing different files and ``force`` is False.
    """
    zip_path, root = Path(zip_path), Path(root)
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DownloadError(f"{zip_path}: not a readable zip archive ({_short(exc)})") from exc
    with archive:
        check_zip_members(archive, root, zip_path)
        members = {}  # target -> member; the first of duplicate names wins
        for info in archive.infolist():
            rel = None if info.is_dir() else ravdess_member_target(info.filename)
            if rel:
                members.setdefault(rel, info)
        plan = [(info, rel) for rel, info in members.items()]
        if not plan:
            raise DownloadError(f"{zip_path}: no Actor_XX/*.wav audio files inside; is this a RAVDESS archive?")
        todo, differing = [], []
        for info, rel in plan:
            target = root / rel
            if not target.exists():
                todo.append((info, target))
            elif not _same_as_member(target, info):
                differing.append(rel)
                if force:
                    todo.append((info, target))
        if differing and not force:
            raise DownloadError(
                f"{zip_path}: {len(differing)} file(s) under {root} differ from the archive "
                f"(e.g. {differing[0]}); not overwritten - use --force to replace them"
            )
        root.mkdir(parents=True, exist_ok=True)
        _ensure_free_space(root, sum(info.file_size for info, _ in todo), f"extracting {zip_path.name}")
        for info, target in tqdm(todo, desc=f"extracting {zip_path.name}", unit="file",
                                 disable=not progress, leave=False):
            _extract_member(archive, info, target, zip_path)
        return {rel: info.file_size for info, rel in plan}


# --------------------------------------------------------------------------------------------
# Manifests: what was installed and verified
# --------------------------------------------------------------------------------------------


def _staging(dest: Path) -> Path:
    return dest / STAGING_DIR


def _load_json(path: Path) -> dict:
    """A JSON object from ``path``, or ``{}`` if missing or unreadable (it is only a cache)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save_json(path: Path, data: dict) -> None:
    """Write JSON atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = _part(path)
    part.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(part, path)


def _record_complete(root: Path, record) -> bool:
    """True if every file a manifest record lists is in ``root`` with its recorded size."""
    if not isinstance(record, dict) or not record.get("files"):
        return False
    for rel, size in record["files"].items():
        path = root / rel
        if not path.is_file() or path.stat().st_size != size:
            return False
    return True


def _record_ravdess(dest: Path, key: str, record: dict) -> None:
    """Add an installed archive to ``<dest>/.downloads/ravdess.json``."""
    manifest_path = _staging(dest) / "ravdess.json"
    manifest = _load_json(manifest_path)
    manifest[key] = record
    _save_json(manifest_path, manifest)


def _count_present(root: Path, key: str) -> int:
    """How many audio files of archive ``key`` are in ``root`` (by name prefix)."""
    prefix, _ = RAVDESS_EXPECTED.get(key, ("", 0))
    if not prefix or not root.is_dir():
        return 0
    return sum(1 for p in root.glob(f"Actor_*/{prefix}*.wav") if RAVDESS_NAME.fullmatch(p.name))


def _ravdess_present(root: Path, manifest: dict, key: str) -> str | None:
    """Why archive ``key`` needs no download (a complete copy is present), or None."""
    record = manifest.get(key)
    if _record_complete(root, record):
        how = "verified" if record.get("verified", True) else "imported without verification"
        return f"{len(record['files']):,} files in place, {how}"
    prefix, expected = RAVDESS_EXPECTED.get(key, ("", 0))
    if expected and _count_present(root, key) == expected:
        return (f"all {expected:,} {prefix}*.wav files found (not installed by this tool, not re-checked; "
                "use --force to download and replace them)")
    return None


# --------------------------------------------------------------------------------------------
# RAVDESS
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZenodoFile:
    """One file of a Zenodo record: name, download URL, checksum, size."""

    key: str
    url: str
    md5: str | None
    size: int | None


def fetch_zenodo_files(api_url: str = ZENODO_API, *, timeout: float = TIMEOUT, retries: int = RETRIES,
                       backoff: float = BACKOFF) -> dict:
    """Read a Zenodo record's metadata: ``{file name: ZenodoFile}``.

    Parameters
    ----------
    api_url : str
        The record's API address, e.g. ``https://zenodo.org/api/records/1188976``.

    Raises
    ------
    DownloadError
        The metadata could not be fetched or lists no files.
    """
    record = fetch_json(api_url, timeout=timeout, retries=retries, backoff=backoff)
    entries = record.get("files") if isinstance(record, dict) else None
    if isinstance(entries, dict):  # the /files endpoint of newer Zenodo versions
        entries = entries.get("entries")
    if not entries:
        raise DownloadError(f"{api_url}: the record's metadata lists no files")
    files = {}
    for entry in entries:
        key = entry.get("key") or entry.get("filename")
        if not key:
            continue
        algorithm, _, digest = (entry.get("checksum") or "").partition(":")
        url = (entry.get("links") or {}).get("self") or f"{api_url.rstrip('/')}/files/{key}/content"
        size = entry.get("size")
        files[key] = ZenodoFile(key, url, digest.lower() if algorithm == "md5" and digest else None,
                                int(size) if size is not None else None)
    return files


def _install_ravdess_archive(info: ZenodoFile, dest: Path, *, force: bool, keep_archive: bool,
                             timeout: float, retries: int, backoff: float, progress: bool) -> str:
    """Download, verify and extract one RAVDESS archive; return a one-line detail."""
    zip_path = _staging(dest) / info.key
    root = dest / "ravdess"
    download_resumable(info.url, zip_path, md5=info.md5, size=info.size, force=force,
                       timeout=timeout, retries=retries, backoff=backoff, progress=progress)
    files = extract_ravdess_zip(zip_path, root, force=force, progress=progress)
    _record_ravdess(dest, info.key, {"md5": info.md5, "source": info.url, "verified": bool(info.md5),
                                      "files": files})
    if not keep_archive:
        zip_path.unlink()
    return f"{len(files):,} audio files"


def download_ravdess(dest=None, *, song: bool = False, force: bool = False, keep_archive: bool = False,
                     zenodo_api: str = ZENODO_API, timeout: float = TIMEOUT, retries: int = RETRIES,
                     backoff: float = BACKOFF, progress: bool = True) -> DownloadResult:
    """Download RAVDESS audio from Zenodo into ``dest/ravdess/Actor_XX/``.

    Parameters
    ----------
    dest : str or Path, optional
        The data folder; default :func:`utils.sources.data_dir`.
    song : bool
        Also the song recordings (:data:`RAVDESS_SONG`, another ~200 MB).
    force : bool
        Download again and replace files already present.
    keep_archive : bool
        Keep the verified zip in ``dest/.downloads/`` after extraction.
    zenodo_api : str
        The record's metadata URL (:data:`ZENODO_API`).
    timeout, retries, backoff
        See :data:`TIMEOUT`, :data:`RETRIES`, :data:`BACKOFF`.
    progress : bool
        Show tqdm progress bars.

    Returns
    -------
    DownloadResult
        One item per archive.

    Examples
    --------
    >>> result = download_ravdess()           # doctest: +SKIP
    >>> print(result.summary())               # doctest: +SKIP
    RAVDESS -> .../data/ravdess: 1 downloaded, 0 already present, 0 failed
    """
    dest = _dest(dest)
    result = DownloadResult("ravdess", dest / "ravdess")
    manifest = _load_json(_staging(dest) / "ravdess.json")
    pending = []
    for key in [RAVDESS_SPEECH] + ([RAVDESS_SONG] if song else []):
        reason = None if force else _ravdess_present(dest / "ravdess", manifest, key)
        if reason:
            result.skipped[key] = reason
        else:
            pending.append(key)
    if not pending:
        return result
    try:
        files = fetch_zenodo_files(zenodo_api, timeout=timeout, retries=retries, backoff=backoff)
    except DownloadError as exc:
        result.failed.update({key: f"cannot read the Zenodo metadata: {exc}" for key in pending})
        return result
    for key in pending:
        if key not in files:
            result.failed[key] = f"{zenodo_api}: the record lists no file {key!r} (it lists {sorted(files)})"
            continue
        if not files[key].md5:
            result.notes.append(f"{key}: the record publishes no md5; the download was not verified")
        try:
            result.done[key] = _install_ravdess_archive(
                files[key], dest, force=force, keep_archive=keep_archive, timeout=timeout,
                retries=retries, backoff=backoff, progress=progress)
        except (DownloadError, OSError) as exc:
            result.failed[key] = str(exc)
    return result


def _reference_md5(key: str, md5: str | None, zenodo_api: str | None, timeout: float) -> tuple:
    """The md5 to check an imported zip against, and where it came from (``(None, why)`` if none)."""
    if md5:
        return md5.lower(), "given md5"
    why = "no md5 given"
    if zenodo_api:
        try:
            files = fetch_zenodo_files(zenodo_api, timeout=timeout, retries=1, backoff=0.5)
            if key in files and files[key].md5:
                return files[key].md5, f"md5 published at {zenodo_api}"
            why = f"{zenodo_api} lists no md5 for {key!r}"
        except DownloadError as exc:
            why = f"could not read {zenodo_api} ({exc})"
    if key in KNOWN_MD5:
        return KNOWN_MD5[key], "md5 of the Zenodo archive known to this module"
    return None, why


def import_ravdess_zip(zip_path, dest=None, *, md5: str | None = None, force: bool = False,
                       zenodo_api: str | None = ZENODO_API, timeout: float = 20.0,
                       progress: bool = True) -> DownloadResult:
    """Extract a RAVDESS zip you already have (e.g. downloaded in a browser) into ``dest/ravdess/``.

    The zip is checked against ``md5`` if given, else against the md5 in the Zenodo metadata
    (if reachable), else against :data:`KNOWN_MD5`; if none applies it is extracted with a warning.
    The zip itself is left where it is, even when it does not verify.

    Parameters
    ----------
    zip_path : str or Path
        E.g. ``~/Downloads/Audio_Speech_Actors_01-24.zip``.
    dest : str or Path, optional
        The data folder; default :func:`utils.sources.data_dir`.
    md5 : str, optional
        Expected md5 of the zip.
    force : bool
        Replace existing files that differ from the archive.
    zenodo_api : str or None
        Where to look up the md5; None to skip the look-up.
    timeout : float
        Seconds for the metadata look-up.
    progress : bool
        Show a progress bar.

    Returns
    -------
    DownloadResult
        One item: the zip's name.
    """
    zip_path = Path(zip_path).expanduser()
    dest = _dest(dest)
    key = zip_path.name
    result = DownloadResult("ravdess", dest / "ravdess", action="imported")
    if not zip_path.is_file():
        result.failed[key] = f"{zip_path}: no such file"
        return result
    expected, source = _reference_md5(key, md5, zenodo_api, timeout)
    try:
        if expected:
            actual = file_hash(zip_path, "md5")
            if actual != expected:
                raise ChecksumError(str(zip_path), "md5", expected, actual,
                                    f"({source}); nothing was extracted, the zip was left in place")
        else:
            result.notes.append(f"{zip_path}: NOT verified ({source}); pass --md5 to check it")
        files = extract_ravdess_zip(zip_path, dest / "ravdess", force=force, progress=progress)
        _record_ravdess(dest, key, {"md5": expected, "source": str(zip_path), "verified": bool(expected),
                                     "files": files})
        result.done[key] = f"{len(files):,} audio files" + (f", {source}" if expected else ", unverified")
    except (DownloadError, OSError) as exc:
        result.failed[key] = str(exc)
    return result


# --------------------------------------------------------------------------------------------
# CREMA-D
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LfsPointer:
    """A Git LFS pointer: the sha256 and size of the real file."""

    oid: str
    size: int


def parse_lfs_pointer(text: str, source: str = "pointer") -> LfsPointer:
    """Parse a Git LFS pointer file (``version ...`` / ``oid sha256:HEX`` / ``size N``).

    Raises
    ------
    DownloadError
        ``text`` is not a Git LFS pointer.
    """
    fields = dict(line.split(" ", 1) for line in text.strip().splitlines() if " " in line)
    oid = fields.get("oid", "")
    size = fields.get("size", "")
    if (not fields.get("version", "").startswith(LFS_SPEC) or not re.fullmatch(r"sha256:[0-9a-f]{64}", oid)
            or not size.strip().isdigit()):
        head = " ".join(text.split())[:80]
        raise DownloadError(f"{source}: not a Git LFS pointer (it begins with {head!r})")
    return LfsPointer(oid.split(":", 1)[1], int(size))


@dataclass
class CremadListing:
    """The CREMA-D file names to fetch, and the Git id of ``VideoDemographics.csv`` if known."""

    names: list
    demographics_sha: str | None = None


def _tree_entries(data, url: str) -> list:
    if not isinstance(data, dict) or not isinstance(data.get("tree"), list):
        raise DownloadError(f"{url}: not a GitHub tree listing (no 'tree' list)")
    return data["tree"]


def list_cremad_files(tree_url: str = CREMAD_TREE, *, timeout: float = TIMEOUT, retries: int = RETRIES,
                      backoff: float = BACKOFF) -> CremadListing:
    """List the WAV files under ``AudioWAV/`` with the GitHub trees API.

    A recursive listing that GitHub truncates (too many entries) is completed by listing the
    ``AudioWAV`` folder on its own.

    Raises
    ------
    DownloadError
        The listing could not be fetched (e.g. the API's hourly limit) or holds no WAV files.
    """
    data = fetch_json(tree_url, timeout=timeout, retries=retries, backoff=backoff)
    entries = _tree_entries(data, tree_url)
    prefix = CREMAD_AUDIO_DIR + "/"
    names = [e["path"][len(prefix):] for e in entries
             if e.get("type") == "blob" and e.get("path", "").startswith(prefix) and e["path"].endswith(".wav")]
    top = {e.get("path"): e for e in entries}
    if data.get("truncated"):
        folder = top.get(CREMAD_AUDIO_DIR)
        if folder is None:  # the recursive listing stopped before it; list the top level
            top_url = re.sub(r"[?&]recursive=[^&]*", "", tree_url)
            top = {e.get("path"): e for e in _tree_entries(fetch_json(top_url, timeout=timeout, retries=retries,
                                                                       backoff=backoff), top_url)}
            folder = top.get(CREMAD_AUDIO_DIR)
        if folder is None or not folder.get("url"):
            raise DownloadError(f"{tree_url}: listing truncated and no {CREMAD_AUDIO_DIR} folder found in it")
        sub = _tree_entries(fetch_json(folder["url"], timeout=timeout, retries=retries, backoff=backoff),
                            folder["url"])
        names = [e["path"] for e in sub if e.get("type") == "blob" and e.get("path", "").endswith(".wav")]
    if not names:
        raise DownloadError(f"{tree_url}: no {CREMAD_AUDIO_DIR}/*.wav files listed")
    demographics = top.get(CREMAD_DEMOGRAPHICS) or {}
    return CremadListing(sorted(set(names)), demographics.get("sha"))


def read_names_file(path) -> list:
    """Read a list of CREMA-D file names, one per line (``#`` comments and blank lines ignored).

    Lines may carry the ``AudioWAV/`` folder; ``1001_DFA_ANG_XX`` without ``.wav`` is accepted.
    """
    names = []
    for line in Path(path).expanduser().read_text(encoding="utf-8").splitlines():
        name = line.split("#", 1)[0].strip()
        if not name:
            continue
        name = name.removeprefix(CREMAD_AUDIO_DIR + "/")
        if not name.lower().endswith(".wav"):
            name += ".wav"
        names.append(name)
    return names


@dataclass
class _CremadJob:
    """Everything the worker threads share while fetching CREMA-D files."""

    audio_dir: Path
    part_dir: Path
    manifest_path: Path
    raw_url: str
    media_url: str
    force: bool
    timeout: float
    retries: int
    backoff: float
    verified: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, base: str, name: str) -> str:
        return f"{base.rstrip('/')}/{CREMAD_AUDIO_DIR}/{name}"

    def record(self, name: str, pointer: LfsPointer) -> None:
        """Append a verified file to the manifest (one JSON line; survives interruptions)."""
        line = json.dumps({"name": name, "sha256": pointer.oid, "size": pointer.size})
        with self.lock:
            self.verified[name] = {"sha256": pointer.oid, "size": pointer.size}
            with open(self.manifest_path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")


def _load_verified(path: Path) -> dict:
    """Read ``cremad-verified.jsonl``: ``{name: {"sha256", "size"}}`` (later lines win, bad lines ignored)."""
    verified = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return verified
    for line in lines:
        try:
            entry = json.loads(line)
            verified[entry["name"]] = {"sha256": entry["sha256"], "size": int(entry["size"])}
        except (ValueError, KeyError, TypeError):
            continue
    return verified


def _fetch_to(url: str, part: Path, timeout: float) -> None:
    """One attempt to download a small file to ``part`` (overwritten)."""
    with _get(url, timeout=timeout, stream=True, headers={"Accept-Encoding": "identity"}) as response:
        try:
            with open(part, "wb") as fh:
                for chunk in response.iter_content(CHUNK):
                    fh.write(chunk)
        except requests.RequestException as exc:
            raise TransientError(f"{url}: transfer interrupted ({_short(exc)})") from exc


def _verify_lfs(path: Path, pointer: LfsPointer) -> str | None:
    """None if ``path`` matches the pointer (size and sha256), else the file's sha256."""
    size = path.stat().st_size
    actual = file_hash(path, "sha256")
    return None if size == pointer.size and actual == pointer.oid else actual


def _fetch_cremad_file(name: str, job: _CremadJob) -> tuple:
    """Fetch, verify and install one CREMA-D WAV; return ``("done" | "skipped", detail)``.

    Raises
    ------
    DownloadError
        With a message naming the file and the problem.
    """
    target = job.audio_dir / name
    known = job.verified.get(name)
    if not job.force and known and target.is_file() and target.stat().st_size == known["size"]:
        return "skipped", "verified earlier"
    pointer_url = job.url(job.raw_url, name)
    pointer = parse_lfs_pointer(
        fetch_text(pointer_url, timeout=job.timeout, retries=job.retries, backoff=job.backoff), pointer_url)
    if target.exists() and not job.force:
        actual = _verify_lfs(target, pointer)
        if actual is None:
            job.record(name, pointer)
            return "skipped", "found on disk, verified against its LFS pointer"
        raise DownloadError(
            f"{target}: already exists but does not match its Git LFS pointer "
            f"(sha256 {actual}, {target.stat().st_size:,} bytes; expected sha256 {pointer.oid}, "
            f"{pointer.size:,} bytes); not overwritten - use --force to replace it")
    media_url = job.url(job.media_url, name)
    part = job.part_dir / (name + ".part")
    _retrying(lambda: _fetch_to(media_url, part, job.timeout), retries=job.retries, backoff=job.backoff)
    actual = _verify_lfs(part, pointer)
    if actual is not None:
        got = part.stat().st_size
        hint = _content_hint(part)
        part.unlink()
        raise ChecksumError(
            f"{name} from {media_url}", "sha256", f"{pointer.oid} ({pointer.size:,} bytes)",
            f"{actual} ({got:,} bytes)",
            "the downloaded file was removed" + (f"; {hint}" if hint else ""))
    os.replace(part, target)
    job.record(name, pointer)
    return "done", ""


def _fetch_demographics(root: Path, part_dir: Path, raw_url: str, sha: str | None, *, force: bool,
                        timeout: float, retries: int, backoff: float) -> tuple:
    """Fetch ``VideoDemographics.csv`` (a plain file; checked against its Git id when known)."""
    target = root / CREMAD_DEMOGRAPHICS
    if target.exists() and not force:
        if sha and git_blob_sha1(target) != sha:
            return "skipped", "kept; differs from the repository's current version (use --force to replace)"
        return "skipped", "verified against its Git id" if sha else "present"
    url = f"{raw_url.rstrip('/')}/{CREMAD_DEMOGRAPHICS}"
    part = part_dir / (CREMAD_DEMOGRAPHICS + ".part")
    _retrying(lambda: _fetch_to(url, part, timeout), retries=retries, backoff=backoff)
    if sha:
        actual = git_blob_sha1(part)
        if actual != sha:
            part.unlink()
            raise ChecksumError(f"{CREMAD_DEMOGRAPHICS} from {url}", "git sha1", sha, actual,
                                "the downloaded file was removed")
    elif b"ActorID" not in part.read_bytes()[:200]:
        part.unlink()
        raise DownloadError(f"{url}: does not look like the CREMA-D demographics table (no ActorID column)")
    root.mkdir(parents=True, exist_ok=True)
    os.replace(part, target)
    return "done", ""


def _valid_names(names: Iterable[str], result: DownloadResult) -> list:
    """Unique safe file names; unsafe ones (folders, ``..``) are reported as failed."""
    valid = []
    for name in dict.fromkeys(names):
        if SAFE_NAME.fullmatch(name) and ".." not in name:
            valid.append(name)
        else:
            result.failed[name] = "not a plain .wav file name (folders and '..' are not allowed); skipped"
    return valid


def _run_pool(names: list, job: _CremadJob, result: DownloadResult, workers: int, progress: bool) -> None:
    """Fetch ``names`` with a thread pool, filling ``result``; Ctrl-C cancels what has not started."""
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="cremad")
    try:
        futures = {pool.submit(_fetch_cremad_file, name, job): name for name in names}
        with tqdm(total=len(futures), desc="CREMA-D", unit="file", disable=not progress) as bar:
            for future in as_completed(futures):
                name = futures[future]
                try:
                    status, detail = future.result()
                    (result.done if status == "done" else result.skipped)[name] = detail
                except DownloadError as exc:
                    result.failed[name] = str(exc)
                except Exception as exc:  # noqa: BLE001 - a bug or disk error in one file must not lose the others
                    result.failed[name] = f"{type(exc).__name__}: {_short(exc)}"
                bar.update()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def download_cremad(dest=None, *, names: Iterable[str] | None = None, names_file=None, force: bool = False,
                    workers: int = WORKERS, raw_url: str = CREMAD_RAW, media_url: str = CREMAD_MEDIA,
                    tree_url: str = CREMAD_TREE, timeout: float = TIMEOUT, retries: int = RETRIES,
                    backoff: float = BACKOFF, progress: bool = True) -> DownloadResult:
    """Download CREMA-D audio (Git LFS) into ``dest/cremad/AudioWAV/``, verifying every file.

    Parameters
    ----------
    dest : str or Path, optional
        The data folder; default :func:`utils.sources.data_dir`.
    names : iterable of str, optional
        File names to fetch (e.g. ``["1001_DFA_ANG_XX.wav"]``); default: all, listed from
        ``tree_url``.
    names_file : str or Path, optional
        A file with one name per line, instead of ``names`` (see :func:`read_names_file`).
    force : bool
        Download again and replace files already present.
    workers : int
        Parallel downloads.
    raw_url, media_url, tree_url : str
        See :data:`CREMAD_RAW`, :data:`CREMAD_MEDIA`, :data:`CREMAD_TREE`.
    timeout, retries, backoff
        See :data:`TIMEOUT`, :data:`RETRIES`, :data:`BACKOFF`.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    DownloadResult
        One item per file (plus ``VideoDemographics.csv``, and ``file list`` if listing failed).
    """
    dest = _dest(dest)
    root = dest / "cremad"
    result = DownloadResult("cremad", root)
    staging = _staging(dest)
    job = _CremadJob(root / CREMAD_AUDIO_DIR, staging / "cremad", staging / "cremad-verified.jsonl",
                     raw_url, media_url, force, timeout, retries, backoff)
    job.part_dir.mkdir(parents=True, exist_ok=True)
    job.verified = _load_verified(job.manifest_path)

    sha = None
    if names is None and names_file is None:
        try:
            listing = list_cremad_files(tree_url, timeout=timeout, retries=retries, backoff=backoff)
            names, sha = listing.names, listing.demographics_sha
            if len(names) != CREMAD_EXPECTED:
                result.notes.append(f"{tree_url} lists {len(names):,} WAV files; a complete CREMA-D has "
                                    f"{CREMAD_EXPECTED:,}")
        except DownloadError as exc:
            result.failed["file list"] = f"{exc} (pass --names FILE with the file names to skip the listing)"
            names = []
    elif names_file is not None:
        try:
            names = read_names_file(names_file)
        except OSError as exc:
            result.failed["file list"] = f"{names_file}: cannot read the names list ({_short(exc)})"
            names = []
    names = _valid_names(names, result)

    try:
        status, detail = _fetch_demographics(root, job.part_dir, raw_url, sha, force=force, timeout=timeout,
                                             retries=retries, backoff=backoff)
        (result.done if status == "done" else result.skipped)[CREMAD_DEMOGRAPHICS] = detail
    except (DownloadError, OSError) as exc:
        result.failed[CREMAD_DEMOGRAPHICS] = str(exc)
    if names:
        job.audio_dir.mkdir(parents=True, exist_ok=True)
        _run_pool(names, job, result, workers, progress)
    return result


# --------------------------------------------------------------------------------------------
# Importing a folder from another mirror
# --------------------------------------------------------------------------------------------


def _layout_target(corpus: str, name: str) -> str | None:
    """Relative path of a file in the course layout, or None if the name does not fit the corpus."""
    if corpus == "ravdess":
        match = RAVDESS_NAME.fullmatch(name)
        return f"Actor_{match.group(1)}/{name}" if match else None
    if CREMAD_NAME.fullmatch(name):
        return f"{CREMAD_AUDIO_DIR}/{name}"
    return None


def _content_problem(path: Path) -> str | None:
    """Why a file is not WAV audio (a Git LFS pointer, something else), or None."""
    with open(path, "rb") as fh:
        head = fh.read(12)
    if head.startswith(b"version http"):
        return "is a Git LFS pointer, not audio (the folder comes from a clone or zip without Git LFS)"
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return "is not a WAV file (no RIFF/WAVE header)"
    return None


def _place(src: Path, target: Path, *, link: bool) -> None:
    """Copy (or hard-link) ``src`` to ``target`` through a temporary name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = _part(target)
    part.unlink(missing_ok=True)
    if link:
        try:
            os.link(src, part)
        except OSError:
            shutil.copyfile(src, part)
    else:
        shutil.copyfile(src, part)
    os.replace(part, target)


def _import_one(src: Path, target: Path, *, force: bool, link: bool) -> tuple:
    """Install one file; return ``("done" | "skipped", detail)`` or raise :class:`DownloadError`."""
    problem = _content_problem(src)
    if problem:
        raise DownloadError(f"{src}: {problem}")
    if target.exists():
        if filecmp.cmp(src, target, shallow=False):
            return "skipped", "identical file already in place"
        if not force:
            raise DownloadError(f"{target}: already exists and differs from {src}; not overwritten - "
                                "use --force to replace it")
    _place(src, target, link=link)
    return "done", ""


def _import_demographics(files: list, folder: Path, root: Path, result: DownloadResult, *, force: bool) -> None:
    """Copy CREMA-D's ``VideoDemographics.csv`` from an imported folder, if it has one."""
    csv = next((p for p in files if p.name == CREMAD_DEMOGRAPHICS), None)
    target = root / CREMAD_DEMOGRAPHICS
    if csv is None:
        result.notes.append(f"no {CREMAD_DEMOGRAPHICS} in {folder}; speaker sex will be unknown")
    elif target.exists() and not force:
        result.skipped[CREMAD_DEMOGRAPHICS] = "kept the one already in place"
    else:
        try:
            _place(csv, target, link=False)
            result.done[CREMAD_DEMOGRAPHICS] = ""
        except OSError as exc:
            result.failed[CREMAD_DEMOGRAPHICS] = f"{csv}: cannot copy ({_short(exc)})"


def import_folder(corpus: str, folder, dest=None, *, force: bool = False, link: bool = False,
                  progress: bool = True) -> DownloadResult:
    """Copy (or hard-link) a corpus folder from another mirror into the course layout.

    Every ``.wav`` file below ``folder`` whose name follows the corpus's naming scheme is placed
    under ``dest/ravdess/Actor_XX/`` or ``dest/cremad/AudioWAV/``; for CREMA-D a
    ``VideoDemographics.csv`` is copied too.  Files with other names are listed as skipped; Git
    LFS pointers and non-WAV files as failed.

    Parameters
    ----------
    corpus : {"ravdess", "cremad"}
    folder : str or Path
        Any layout (flat, ``Actor_XX/``, nested ...).
    dest : str or Path, optional
        The data folder; default :func:`utils.sources.data_dir`.
    force : bool
        Replace existing files that differ.
    link : bool
        Hard-link instead of copying where the file system allows it (saves disk space).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    DownloadResult
        One item per file found.
    """
    if corpus not in LABELS:
        raise ValueError(f"corpus must be one of {sorted(LABELS)}, not {corpus!r}")
    folder = Path(folder).expanduser()
    dest = _dest(dest)
    root = dest / corpus
    result = DownloadResult(corpus, root, action="imported")
    if not folder.is_dir():
        result.failed[str(folder)] = f"{folder}: no such folder"
        return result
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")
                   and "__MACOSX" not in p.parts)
    audio = [p for p in files if p.suffix.lower() == ".wav"]
    placed: dict[str, Path] = {}
    for src in tqdm(audio, desc=f"importing {LABELS[corpus]}", unit="file", disable=not progress):
        rel = _layout_target(corpus, src.name)
        if rel is None:
            result.skipped[str(src)] = f"name does not follow the {LABELS[corpus]} naming scheme; not imported"
            continue
        if rel in placed:
            result.skipped[str(src)] = f"same name as {placed[rel]}; first one kept"
            continue
        placed[rel] = src
        try:
            status, detail = _import_one(src, root / rel, force=force, link=link)
            (result.done if status == "done" else result.skipped)[src.name] = detail
        except (DownloadError, OSError) as exc:
            result.failed[src.name] = str(exc)
    if corpus == "cremad":
        _import_demographics(files, folder, root, result, force=force)
    if not placed:
        result.failed[str(folder)] = f"{folder}: no {LABELS[corpus]} audio files found (.wav named like " + (
            "03-01-05-02-01-01-16.wav)" if corpus == "ravdess" else "1001_DFA_ANG_XX.wav)")
    expected = 1440 if corpus == "ravdess" else CREMAD_EXPECTED
    if placed and len(placed) < expected:
        result.notes.append(f"{len(placed):,} {LABELS[corpus]} files found in {folder}; the full corpus has "
                            f"{expected:,}" + (" speech clips" if corpus == "ravdess" else ""))
    return result


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def _dest(dest) -> Path:
    """The data folder to write into: ``dest`` or :func:`utils.sources.data_dir`."""
    return Path(dest).expanduser().resolve() if dest is not None else data_dir()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m utils.data.download``."""
    parser = argparse.ArgumentParser(
        prog="python -m utils.data.download",
        description=textwrap.fill(
            "Download the real RAVDESS and/or CREMA-D corpora (or import a copy you already have) into "
            "the course's data folder, verifying every file against its published checksum. "
            "Interrupted downloads resume when you run the same command again; files already present "
            "and verified are not downloaded again; existing files are never overwritten without --force.",
            width=88),
        epilog=(
            "examples:\n"
            "  python -m utils.data.download ravdess                 # RAVDESS speech, ~208 MB\n"
            "  python -m utils.data.download ravdess cremad --dest data/\n"
            "  python -m utils.data.download ravdess --from-zip ~/Downloads/Audio_Speech_Actors_01-24.zip\n"
            "  python -m utils.data.download cremad --from-folder /media/usb/CREMA-D\n\n"
            "Exit status: 0 when everything asked for is present and verified, 1 if anything failed, "
            "2 for a usage error. See data/README.md for sizes, licences and citations."),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("corpora", nargs="+", choices=sorted(LABELS), metavar="CORPUS",
                        help="which corpora: 'ravdess' (Zenodo, ~208 MB zip) and/or 'cremad' (GitHub "
                             "Git LFS, 7,442 WAV files, ~600 MB)")
    parser.add_argument("--dest", metavar="DIR", default=None,
                        help="data folder to fill; the corpora go to DIR/ravdess and DIR/cremad "
                             "(default: the course's data/ folder, or $SER_DATA_DIR)")
    parser.add_argument("--force", action="store_true",
                        help="download or import again and replace files already present "
                             "(without it, existing files are never overwritten)")
    parser.add_argument("--no-progress", action="store_true", help="do not show progress bars")

    what = parser.add_argument_group("RAVDESS")
    what.add_argument("--song", action="store_true",
                      help=f"also download the song recordings ({RAVDESS_SONG}, 1,012 clips, another ~200 MB)")
    what.add_argument("--keep-archive", action="store_true",
                      help=f"keep the verified zip in DIR/{STAGING_DIR}/ after extracting it "
                           "(default: delete it to save disk space)")

    local = parser.add_argument_group("importing a copy you already have (instead of downloading)")
    local.add_argument("--from-zip", metavar="ZIP",
                       help=f"extract a RAVDESS zip already downloaded (e.g. {RAVDESS_SPEECH}); it is "
                            "checked against --md5, else the md5 published on Zenodo, else a warning is printed")
    local.add_argument("--md5", metavar="HEX", help="expected md5 of the --from-zip archive")
    local.add_argument("--from-folder", metavar="DIR",
                       help="copy the audio files of a folder from another mirror (any layout) into the "
                            "course layout, checking their names; give exactly one corpus")
    local.add_argument("--link", action="store_true",
                       help="with --from-folder: hard-link instead of copying where possible (saves space)")

    crema = parser.add_argument_group("CREMA-D")
    crema.add_argument("--names", metavar="FILE",
                       help="file with the CREMA-D WAV names to fetch, one per line (default: all, listed "
                            "with the GitHub API)")
    crema.add_argument("--workers", type=int, default=WORKERS, metavar="N",
                       help=f"parallel downloads (default: {WORKERS})")

    net = parser.add_argument_group("network")
    net.add_argument("--retries", type=int, default=RETRIES, metavar="N",
                     help=f"extra attempts after a transient error (connection error, HTTP 429/5xx, transfer "
                          f"cut short), waiting {BACKOFF:g} s, then twice as long each time (default: {RETRIES})")
    net.add_argument("--timeout", type=float, default=TIMEOUT, metavar="SECONDS",
                     help=f"seconds to wait for a server to connect or send data (default: {TIMEOUT:g})")

    urls = parser.add_argument_group("sources (for mirrors and tests)")
    urls.add_argument("--zenodo-api", default=ZENODO_API, metavar="URL",
                      help=f"RAVDESS record metadata (default: {ZENODO_API})")
    urls.add_argument("--cremad-tree", default=CREMAD_TREE, metavar="URL",
                      help=f"GitHub trees API listing of CREMA-D (default: {CREMAD_TREE})")
    urls.add_argument("--cremad-raw", default=CREMAD_RAW, metavar="URL",
                      help=f"base URL of the raw files: LFS pointers and {CREMAD_DEMOGRAPHICS} "
                           f"(default: {CREMAD_RAW})")
    urls.add_argument("--cremad-media", default=CREMAD_MEDIA, metavar="URL",
                      help=f"base URL of the Git LFS audio (default: {CREMAD_MEDIA})")
    return parser


def _check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Reject option combinations that make no sense (exit status 2)."""
    args.corpora = list(dict.fromkeys(args.corpora))
    if args.from_zip and args.from_folder:
        parser.error("use either --from-zip or --from-folder, not both")
    if args.from_zip and args.corpora != ["ravdess"]:
        parser.error("--from-zip imports a RAVDESS zip: give only the corpus 'ravdess'")
    if args.from_folder and len(args.corpora) != 1:
        parser.error("--from-folder imports one corpus: give either 'ravdess' or 'cremad'")
    if args.md5 and not args.from_zip:
        parser.error("--md5 checks the archive given with --from-zip")
    if args.md5 and not re.fullmatch(r"[0-9a-fA-F]{32}", args.md5):
        parser.error(f"--md5 {args.md5!r}: expected 32 hexadecimal digits")
    if args.song and (args.from_zip or args.from_folder):
        parser.error("--song downloads from Zenodo; to import the song zip, pass it to --from-zip")
    if args.link and not args.from_folder:
        parser.error("--link applies to --from-folder")
    if args.names and "cremad" not in args.corpora:
        parser.error("--names applies to the corpus 'cremad'")
    if args.workers < 1 or args.retries < 0 or args.timeout <= 0:
        parser.error("--workers must be >= 1, --retries >= 0 and --timeout > 0")


def _run(args: argparse.Namespace) -> list:
    """Do what the command line asks; return one :class:`DownloadResult` per corpus."""
    net = dict(timeout=args.timeout, retries=args.retries, progress=not args.no_progress)
    if args.from_zip:
        return [import_ravdess_zip(args.from_zip, args.dest, md5=args.md5, force=args.force,
                                   zenodo_api=args.zenodo_api, progress=not args.no_progress)]
    if args.from_folder:
        return [import_folder(args.corpora[0], args.from_folder, args.dest, force=args.force, link=args.link,
                              progress=not args.no_progress)]
    results = []
    for corpus in args.corpora:
        print(f"{LABELS[corpus]}: checking what is needed ...", file=sys.stderr, flush=True)
        if corpus == "ravdess":
            results.append(download_ravdess(args.dest, song=args.song, force=args.force,
                                            keep_archive=args.keep_archive, zenodo_api=args.zenodo_api, **net))
        else:
            results.append(download_cremad(args.dest, names_file=args.names, force=args.force,
                                           workers=args.workers, raw_url=args.cremad_raw,
                                           media_url=args.cremad_media, tree_url=args.cremad_tree, **net))
    return results


class _TqdmHandler(logging.Handler):
    """Print log records above the progress bars instead of through them."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:  # noqa: BLE001 - logging must never break a download
            self.handleError(record)


def _setup_logging() -> None:
    """Show this module's warnings and progress notes on stderr (once)."""
    if not any(isinstance(h, _TqdmHandler) for h in log.handlers):
        handler = _TqdmHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)


def main(argv=None) -> int:
    """Entry point of ``python -m utils.data.download``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_args(parser, args)
    _setup_logging()
    try:
        results = _run(args)
    except KeyboardInterrupt:
        print("\ninterrupted: run the same command again to resume; verified files are kept", file=sys.stderr)
        return 130
    print()
    for result in results:
        print(result.summary())
    failed = sum(len(r.failed) for r in results)
    if failed:
        print(f"\n{failed:,} item(s) failed; see the reasons above.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
