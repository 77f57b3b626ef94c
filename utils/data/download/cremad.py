"""CREMA-D from GitHub: the repository's file list, Git LFS pointers, and the verified download.

The audio lives in Git LFS.  For each file the small LFS *pointer* (``oid sha256:...``,
``size ...``) is read from :data:`CREMAD_RAW`, the audio itself from :data:`CREMAD_MEDIA`, and the
audio is accepted only if its sha256 and size match the pointer.  The file names come from the
GitHub trees API (:data:`CREMAD_TREE`) or from a names list you supply; only valid CREMA-D names
(:func:`utils.data.corpora.corpus_of_name`) that are plain file names are fetched.
:data:`WORKERS` threads download at once; each verified file is appended to
``<dest>/.downloads/cremad-verified.jsonl`` so that an interrupted run resumes where it stopped.
A file that fails (say, HTTP 404) is reported and the others are kept.
``VideoDemographics.csv`` is checked against its Git object id from the listing when known.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from ...core.files import file_digest
from ..corpora import DEMOGRAPHICS_FILE, parse_name
from .common import ChecksumError, DownloadError, DownloadResult, resolve_dest, short_error, staging
from .http import BACKOFF, RETRIES, TIMEOUT, fetch_file, fetch_json, fetch_text

CREMAD_REPO = "CheyneyComputerScience/CREMA-D"
CREMAD_TREE = f"https://api.github.com/repos/{CREMAD_REPO}/git/trees/master?recursive=1"
"""GitHub trees API listing of the CREMA-D repository (the file names under ``AudioWAV/``)."""

CREMAD_RAW = f"https://raw.githubusercontent.com/{CREMAD_REPO}/master"
"""Raw files of the repository: the Git LFS pointers of the audio, and ``VideoDemographics.csv``."""

CREMAD_MEDIA = f"https://media.githubusercontent.com/media/{CREMAD_REPO}/master"
"""The Git LFS content of the repository: the audio itself."""

CREMAD_AUDIO_DIR = "AudioWAV"
CREMAD_EXPECTED = 7442
"""Number of WAV files of a complete CREMA-D copy (91 actors, 1001-1091)."""

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\.wav")
"""A name that is safe to write: one plain file name, no folders (``..`` is refused separately)."""

WORKERS = 8
"""Parallel downloads of CREMA-D files."""

LFS_SPEC = "https://git-lfs.github.com/spec/v1"


# --------------------------------------------------------------------------------------------
# Listing
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
    net = dict(timeout=timeout, retries=retries, backoff=backoff)
    data = fetch_json(tree_url, **net)
    entries = _tree_entries(data, tree_url)
    prefix = CREMAD_AUDIO_DIR + "/"
    names = [e["path"][len(prefix):] for e in entries
             if e.get("type") == "blob" and e.get("path", "").startswith(prefix) and e["path"].endswith(".wav")]
    top = {e.get("path"): e for e in entries}
    if data.get("truncated"):
        folder = top.get(CREMAD_AUDIO_DIR)
        if folder is None:  # the recursive listing stopped before it; list the top level
            top_url = re.sub(r"[?&]recursive=[^&]*", "", tree_url)
            top = {e.get("path"): e for e in _tree_entries(fetch_json(top_url, **net), top_url)}
            folder = top.get(CREMAD_AUDIO_DIR)
        if folder is None or not folder.get("url"):
            raise DownloadError(f"{tree_url}: listing truncated and no {CREMAD_AUDIO_DIR} folder found in it")
        sub = _tree_entries(fetch_json(folder["url"], **net), folder["url"])
        names = [e["path"] for e in sub if e.get("type") == "blob" and e.get("path", "").endswith(".wav")]
    if not names:
        raise DownloadError(f"{tree_url}: no {CREMAD_AUDIO_DIR}/*.wav files listed")
    demographics = top.get(DEMOGRAPHICS_FILE) or {}
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


def _valid_names(names: Iterable[str], result: DownloadResult) -> list:
    """Unique safe CREMA-D file names; the others are reported as failed (and not fetched)."""
    valid = []
    for name in dict.fromkeys(names):
        if not SAFE_NAME.fullmatch(name) or ".." in name:
            result.failed[name] = "not a plain .wav file name (folders and '..' are not allowed); skipped"
            continue
        try:
            corpus = parse_name(name)["corpus"]
        except ValueError as exc:
            result.failed[name] = f"not a CREMA-D file name ({exc}); skipped"
            continue
        if corpus != "cremad":
            result.failed[name] = "a RAVDESS file name, not a CREMA-D one; skipped"
            continue
        valid.append(name)
    return valid


# --------------------------------------------------------------------------------------------
# Downloading
# --------------------------------------------------------------------------------------------


@dataclass
class _CremadJob:
    """Everything the worker threads share while fetching CREMA-D files."""

    audio_dir: Path
    part_dir: Path
    manifest_path: Path
    raw_url: str
    media_url: str
    force: bool
    net: dict
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


def _fresh_fetch(url: str, part: Path, net: dict) -> None:
    """Download ``url`` to ``part`` from scratch (a leftover ``part`` is discarded).

    No size is passed on purpose: a short answer (an error page instead of the audio) is not a
    transfer to resume but content for the checksum to refuse.
    """
    part.unlink(missing_ok=True)
    fetch_file(url, part, **net)


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


def _verify_lfs(path: Path, pointer: LfsPointer) -> str | None:
    """None if ``path`` matches the pointer (size and sha256), else the file's sha256."""
    size = path.stat().st_size
    actual = file_digest(path, "sha256")
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
    pointer = parse_lfs_pointer(fetch_text(pointer_url, **job.net), pointer_url)
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
    _fresh_fetch(media_url, part, job.net)
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
                        net: dict) -> tuple:
    """Fetch ``VideoDemographics.csv`` (a plain file; checked against its Git id when known)."""
    target = root / DEMOGRAPHICS_FILE
    if target.exists() and not force:
        if sha and file_digest(target, "git-blob") != sha:
            return "skipped", "kept; differs from the repository's current version (use --force to replace)"
        return "skipped", "verified against its Git id" if sha else "present"
    url = f"{raw_url.rstrip('/')}/{DEMOGRAPHICS_FILE}"
    part = part_dir / (DEMOGRAPHICS_FILE + ".part")
    _fresh_fetch(url, part, net)
    if sha:
        actual = file_digest(part, "git-blob")
        if actual != sha:
            part.unlink()
            raise ChecksumError(f"{DEMOGRAPHICS_FILE} from {url}", "git sha1", sha, actual,
                                "the downloaded file was removed")
    elif b"ActorID" not in part.read_bytes()[:200]:
        part.unlink()
        raise DownloadError(f"{url}: does not look like the CREMA-D demographics table (no ActorID column)")
    root.mkdir(parents=True, exist_ok=True)
    os.replace(part, target)
    return "done", ""


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
                    result.failed[name] = f"{type(exc).__name__}: {short_error(exc)}"
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
        The data folder; default :func:`utils.core.paths.data_dir`.
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
        See :data:`~.http.TIMEOUT`, :data:`~.http.RETRIES`, :data:`~.http.BACKOFF`.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    DownloadResult
        One item per file (plus ``VideoDemographics.csv``, and ``file list`` if listing failed).
    """
    dest = resolve_dest(dest)
    root = dest / "cremad"
    result = DownloadResult("cremad", root)
    net = dict(timeout=timeout, retries=retries, backoff=backoff)
    job = _CremadJob(root / CREMAD_AUDIO_DIR, staging(dest) / "cremad", staging(dest) / "cremad-verified.jsonl",
                     raw_url, media_url, force, net)
    job.part_dir.mkdir(parents=True, exist_ok=True)
    job.verified = _load_verified(job.manifest_path)

    sha = None
    if names is None and names_file is None:
        try:
            listing = list_cremad_files(tree_url, **net)
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
            result.failed["file list"] = f"{names_file}: cannot read the names list ({short_error(exc)})"
            names = []
    names = _valid_names(names, result)

    try:
        status, detail = _fetch_demographics(root, job.part_dir, raw_url, sha, force=force, net=net)
        (result.done if status == "done" else result.skipped)[DEMOGRAPHICS_FILE] = detail
    except (DownloadError, OSError) as exc:
        result.failed[DEMOGRAPHICS_FILE] = str(exc)
    if names:
        job.audio_dir.mkdir(parents=True, exist_ok=True)
        _run_pool(names, job, result, workers, progress)
    return result
