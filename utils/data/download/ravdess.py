"""RAVDESS from Zenodo: the record's listing, the download, and the import of a zip you have.

How :func:`download_ravdess` goes:

1. Read the Zenodo record's metadata (:data:`ZENODO_API`): file name, size, md5, URL.
2. Download the zip to ``<dest>/.downloads/NAME.part``.  An interrupted transfer leaves the
   ``.part`` file behind, and the next attempt (a retry, or the same command run again) asks the
   server only for the missing bytes with an HTTP ``Range`` request
   (:func:`~.http.download_resumable`).
3. Check size and md5; a mismatch deletes the file and raises :class:`~.common.ChecksumError`.
   Only a verified file is renamed to its final name.
4. Check every archive member *before* writing anything, then extract the ``Actor_XX/*.wav``
   members (:func:`~.archive.extract_ravdess_zip`), and record the result in a manifest
   (``<dest>/.downloads/ravdess.json``) so that a re-run sees a complete copy and downloads
   nothing.

:func:`import_ravdess_zip` does steps 3 and 4 for a copy of the zip downloaded some other way,
checking it against the md5 you give, the one Zenodo publishes, or :data:`KNOWN_MD5`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ...core.files import file_digest
from ..corpora import corpus_of_name
from .archive import extract_ravdess_zip
from .common import ChecksumError, DownloadError, DownloadResult, part_path, resolve_dest, staging
from .http import BACKOFF, RETRIES, TIMEOUT, download_resumable, fetch_json

ZENODO_API = "https://zenodo.org/api/records/1188976"
"""Metadata of the RAVDESS Zenodo record (JSON: ``files[].key``, ``checksum``, ``size``, ``links.self``)."""

RAVDESS_SPEECH = "Audio_Speech_Actors_01-24.zip"
"""The speech audio of RAVDESS: 1,440 clips of 24 actors."""

RAVDESS_SONG = "Audio_Song_Actors_01-24.zip"
"""The song audio of RAVDESS: 1,012 clips of 23 actors (actor 18 has no song recordings)."""

KNOWN_MD5 = {RAVDESS_SPEECH: "bc696df654c87fed845eb13823edef8a"}
"""md5 of the Zenodo archives, used to check an imported zip when the metadata cannot be reached."""

RAVDESS_EXPECTED = {RAVDESS_SPEECH: ("03-01-", 1440), RAVDESS_SONG: ("03-02-", 1012)}
"""Archive to (file name prefix, number of audio files) of a complete RAVDESS copy."""


# --------------------------------------------------------------------------------------------
# The manifest: what was installed and verified
# --------------------------------------------------------------------------------------------


def _manifest_path(dest: Path) -> Path:
    return staging(dest) / "ravdess.json"


def _load_manifest(dest: Path) -> dict:
    """``<dest>/.downloads/ravdess.json``, or ``{}`` if missing or unreadable (it is only a cache)."""
    try:
        data = json.loads(_manifest_path(dest).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _record(dest: Path, key: str, record: dict) -> None:
    """Add an installed archive to the manifest (written atomically: temporary file, then rename)."""
    manifest = _load_manifest(dest)
    manifest[key] = record
    path = _manifest_path(dest)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(path)
    part.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
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


def _count_present(root: Path, key: str) -> int:
    """How many audio files of archive ``key`` are in ``root`` (valid names with its prefix)."""
    prefix, _ = RAVDESS_EXPECTED.get(key, ("", 0))
    if not prefix or not root.is_dir():
        return 0
    return sum(1 for p in root.glob(f"Actor_*/{prefix}*.wav") if corpus_of_name(p.name) == "ravdess")


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
# Zenodo
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


def _install_archive(info: ZenodoFile, dest: Path, result: DownloadResult, *, force: bool, keep_archive: bool,
                     timeout: float, retries: int, backoff: float, progress: bool) -> str:
    """Download, verify and extract one RAVDESS archive; return a one-line detail (members that are not audio go to ``result.failed``)."""
    zip_path = staging(dest) / info.key
    download_resumable(info.url, zip_path, md5=info.md5, size=info.size, force=force,
                       timeout=timeout, retries=retries, backoff=backoff, progress=progress)
    files, rejected = extract_ravdess_zip(zip_path, dest / "ravdess", force=force, progress=progress)
    _record(dest, info.key, {"md5": info.md5, "source": info.url, "verified": bool(info.md5), "files": files})
    result.failed.update({f"{info.key}: {rel}": reason for rel, reason in rejected.items()})
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
        The data folder; default :func:`utils.core.paths.data_dir`.
    song : bool
        Also the song recordings (:data:`RAVDESS_SONG`).
    force : bool
        Download again and replace files already present.
    keep_archive : bool
        Keep the verified zip in ``dest/.downloads/`` after extraction.
    zenodo_api : str
        The record's metadata URL (:data:`ZENODO_API`).
    timeout, retries, backoff
        See :data:`~.http.TIMEOUT`, :data:`~.http.RETRIES`, :data:`~.http.BACKOFF`.
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
    dest = resolve_dest(dest)
    result = DownloadResult("ravdess", dest / "ravdess")
    manifest = _load_manifest(dest)
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
            result.done[key] = _install_archive(
                files[key], dest, result, force=force, keep_archive=keep_archive, timeout=timeout,
                retries=retries, backoff=backoff, progress=progress)
        except (DownloadError, OSError) as exc:
            result.failed[key] = str(exc)
    return result


# --------------------------------------------------------------------------------------------
# A zip you already have
# --------------------------------------------------------------------------------------------


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
        The data folder; default :func:`utils.core.paths.data_dir`.
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
    dest = resolve_dest(dest)
    key = zip_path.name
    result = DownloadResult("ravdess", dest / "ravdess", action="imported")
    if not zip_path.is_file():
        result.failed[key] = f"{zip_path}: no such file"
        return result
    expected, source = _reference_md5(key, md5, zenodo_api, timeout)
    try:
        if expected:
            actual = file_digest(zip_path, "md5")
            if actual != expected:
                raise ChecksumError(str(zip_path), "md5", expected, actual,
                                    f"({source}); nothing was extracted, the zip was left in place")
        else:
            result.notes.append(f"{zip_path}: NOT verified ({source}); pass --md5 to check it")
        files, rejected = extract_ravdess_zip(zip_path, dest / "ravdess", force=force, progress=progress)
        _record(dest, key, {"md5": expected, "source": str(zip_path), "verified": bool(expected), "files": files})
        result.failed.update({f"{key}: {rel}": reason for rel, reason in rejected.items()})
        result.done[key] = f"{len(files):,} audio files" + (f", {source}" if expected else ", unverified")
    except (DownloadError, OSError) as exc:
        result.failed[key] = str(exc)
    return result
