"""Zip archives: member safety checks, and extraction of the RAVDESS ``Actor_XX/`` layout.

Every member is checked *before* anything is written: absolute paths, ``..`` and symbolic links
are refused (:class:`~.common.UnsafeArchiveError`).  Only the ``Actor_XX/*.wav`` members whose
names are valid RAVDESS names (:func:`utils.data.corpora.corpus_of_name`) are extracted, each
through a temporary name; files already in place with the member's size and CRC-32 are left
alone, files that differ are replaced only with ``force``.  A symbolic link already in the
destination (an ``Actor_XX`` folder or a file) is refused before anything is written, since
extracting would write through it.  A member with a RAVDESS name whose content is not WAV audio
is not extracted and is reported; the rest of the archive is.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from tqdm.auto import tqdm

from ..corpora import corpus_of_name
from .common import CHUNK, DownloadError, UnsafeArchiveError, ensure_free_space, part_path, short_error, wav_header_problem


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

    Accepts ``Actor_XX/NAME.wav`` at the top of the archive or below one wrapping folder, where
    ``NAME`` is a valid RAVDESS name; skips folders, other files and macOS metadata
    (``__MACOSX/``, ``._*``).

    Examples
    --------
    >>> ravdess_member_target("Audio/Actor_16/03-01-05-02-01-01-16.wav")
    'Actor_16/03-01-05-02-01-01-16.wav'
    >>> ravdess_member_target("Actor_16/03-01-09-02-01-01-16.wav") is None   # emotion 09
    True
    """
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if len(parts) < 2 or "__MACOSX" in parts or parts[-1].startswith("."):
        return None
    if not re.fullmatch(r"Actor_\d{2}", parts[-2]) or not parts[-1].lower().endswith(".wav"):
        return None
    if corpus_of_name(parts[-1]) != "ravdess":
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
    part = part_path(target)
    try:
        with archive.open(info) as src, open(part, "wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        part.unlink(missing_ok=True)
        raise DownloadError(f"{source}: cannot extract {info.filename!r}: {short_error(exc)}") from exc
    os.replace(part, target)


def _linked_target(root: Path, rel: str) -> Path | None:
    """The first symbolic link on the way from ``root`` to ``root / rel`` (``root`` itself may be one), or None."""
    path = root
    for part in PurePosixPath(rel).parts:
        path = path / part
        if path.is_symlink():
            return path
    return None


def _member_problem(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str | None:
    """Why a member is not WAV audio (its first bytes), or None."""
    try:
        with archive.open(info) as fh:
            head = fh.read(12)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        return f"cannot be read ({short_error(exc)})"
    return wav_header_problem(head)


def extract_ravdess_zip(zip_path, root, *, force: bool = False, progress: bool = True) -> tuple:
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
    files : dict of str to int
        ``"Actor_XX/NAME.wav"`` to size, for every audio file of the archive now in place.
    rejected : dict of str to str
        ``"Actor_XX/NAME.wav"`` to the reason, for every member with a RAVDESS name that is not
        WAV audio (not extracted).

    Raises
    ------
    UnsafeArchiveError
        A member would land outside ``root`` (see :func:`check_zip_members`), or a folder or file
        it would be written to is a symbolic link; nothing is written.
    DownloadError
        Not a zip, no RAVDESS audio inside, or existing different files and ``force`` is False.
    """
    zip_path, root = Path(zip_path), Path(root)
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DownloadError(f"{zip_path}: not a readable zip archive ({short_error(exc)})") from exc
    with archive:
        check_zip_members(archive, root, zip_path)
        members = {}  # target -> member; the first of duplicate names wins
        for info in archive.infolist():
            rel = None if info.is_dir() else ravdess_member_target(info.filename)
            if rel:
                members.setdefault(rel, info)
        if not members:
            raise DownloadError(f"{zip_path}: no Actor_XX/*.wav audio files inside; is this a RAVDESS archive?")
        for rel in members:
            link = _linked_target(root, rel)
            if link is not None:
                raise UnsafeArchiveError(
                    f"{zip_path}: refusing to extract: {link} is a symbolic link (to {os.readlink(link)}) and "
                    f"{rel} would be written through it; remove the link or extract elsewhere; nothing was extracted"
                )
        rejected = {rel: f"{zip_path}: member {info.filename!r} {problem}"
                    for rel, info in members.items() if (problem := _member_problem(archive, info))}
        members = {rel: info for rel, info in members.items() if rel not in rejected}
        todo, differing = [], []
        for rel, info in members.items():
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
        ensure_free_space(root, sum(info.file_size for info, _ in todo), f"extracting {zip_path.name}")
        for info, target in tqdm(todo, desc=f"extracting {zip_path.name}", unit="file",
                                 disable=not progress, leave=False):
            _extract_member(archive, info, target, zip_path)
        return {rel: info.file_size for rel, info in members.items()}, rejected
