"""Importing a corpus folder from another mirror (Kaggle, a USB stick, a colleague).

:func:`import_folder` copies (or hard-links) the audio files of a folder in any layout into the
course layout.  A file is imported only if its name is a valid name of the corpus
(:func:`utils.data.corpora.parse_name`, the check the corpus scanner applies too) and its content
is WAV audio; Git LFS pointers (a clone made without Git LFS) are recognised and refused.
"""

from __future__ import annotations

import filecmp
import os
import shutil
from pathlib import Path

from tqdm.auto import tqdm

from ..corpora import CORPORA, DEMOGRAPHICS_FILE, parse_name
from .common import DownloadError, DownloadResult, part_path, resolve_dest, short_error, wav_header_problem
from .cremad import CREMAD_AUDIO_DIR, CREMAD_EXPECTED
from .ravdess import RAVDESS_EXPECTED, RAVDESS_SPEECH


def layout_target(corpus: str, name: str) -> str | None:
    """Relative path of a file in the course layout, or None if the name is not one of the corpus.

    Examples
    --------
    >>> layout_target("ravdess", "03-01-05-02-01-01-16.wav")
    'Actor_16/03-01-05-02-01-01-16.wav'
    >>> layout_target("cremad", "1001_DFA_ANG_XX.wav")
    'AudioWAV/1001_DFA_ANG_XX.wav'
    >>> layout_target("ravdess", "03-01-09-02-01-01-16.wav") is None    # no emotion 09
    True
    """
    try:
        labels = parse_name(name)
    except ValueError:
        return None
    if labels["corpus"] != corpus:
        return None
    return f"Actor_{labels['actor']:02d}/{name}" if corpus == "ravdess" else f"{CREMAD_AUDIO_DIR}/{name}"


def _content_problem(path: Path) -> str | None:
    """Why a file is not WAV audio (a Git LFS pointer, something else), or None."""
    with open(path, "rb") as fh:
        return wav_header_problem(fh.read(12))


def _place(src: Path, target: Path, *, link: bool) -> None:
    """Copy (or hard-link) ``src`` to ``target`` through a temporary name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(target)
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
    csv = next((p for p in files if p.name == DEMOGRAPHICS_FILE), None)
    target = root / DEMOGRAPHICS_FILE
    if csv is None:
        result.notes.append(f"no {DEMOGRAPHICS_FILE} in {folder}; speaker sex will be unknown")
    elif target.exists() and not force:
        result.skipped[DEMOGRAPHICS_FILE] = "kept the one already in place"
    else:
        try:
            _place(csv, target, link=False)
            result.done[DEMOGRAPHICS_FILE] = ""
        except OSError as exc:
            result.failed[DEMOGRAPHICS_FILE] = f"{csv}: cannot copy ({short_error(exc)})"


def import_folder(corpus: str, folder, dest=None, *, force: bool = False, link: bool = False,
                  progress: bool = True) -> DownloadResult:
    """Copy (or hard-link) a corpus folder from another mirror into the course layout.

    Every ``.wav`` file below ``folder`` whose name is a valid name of the corpus is placed under
    ``dest/ravdess/Actor_XX/`` or ``dest/cremad/AudioWAV/``; for CREMA-D a
    ``VideoDemographics.csv`` is copied too.  Files with other names are listed as skipped; Git
    LFS pointers and non-WAV files as failed.

    Parameters
    ----------
    corpus : {"ravdess", "cremad"}
    folder : str or Path
        Any layout (flat, ``Actor_XX/``, nested ...).
    dest : str or Path, optional
        The data folder; default :func:`utils.core.paths.data_dir`.
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
    if corpus not in CORPORA:
        raise ValueError(f"corpus must be one of {sorted(CORPORA)}, not {corpus!r}")
    folder = Path(folder).expanduser()
    dest = resolve_dest(dest)
    root = dest / corpus
    label = CORPORA[corpus]
    result = DownloadResult(corpus, root, action="imported")
    if not folder.is_dir():
        result.failed[str(folder)] = f"{folder}: no such folder"
        return result
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")
                   and "__MACOSX" not in p.parts)
    audio = [p for p in files if p.suffix.lower() == ".wav"]
    placed: dict[str, Path] = {}
    for src in tqdm(audio, desc=f"importing {label}", unit="file", disable=not progress):
        rel = layout_target(corpus, src.name)
        if rel is None:
            result.skipped[str(src)] = f"name does not follow the {label} naming scheme; not imported"
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
        result.failed[str(folder)] = f"{folder}: no {label} audio files found (.wav named like " + (
            "03-01-05-02-01-01-16.wav)" if corpus == "ravdess" else "1001_DFA_ANG_XX.wav)")
    expected = RAVDESS_EXPECTED[RAVDESS_SPEECH][1] if corpus == "ravdess" else CREMAD_EXPECTED
    if placed and len(placed) < expected:
        result.notes.append(f"{len(placed):,} {label} files found in {folder}; the full corpus has "
                            f"{expected:,}" + (" speech clips" if corpus == "ravdess" else ""))
    return result
