"""What every module of the package shares: errors, the result of a batch, file-system rules.

Single-file functions raise :class:`DownloadError` (or its subclasses); batch functions return a
:class:`DownloadResult`.  Files are written under a temporary name (:func:`part_path`) and moved
into place only when complete and verified; partial downloads, kept archives and manifests live in
the staging folder :data:`STAGING_DIR` under the destination.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ...core.paths import data_dir
from ..corpora import CORPORA

STAGING_DIR = ".downloads"
"""Folder under the destination for partial downloads, kept archives and manifests."""

CHUNK = 1 << 16
"""Bytes read or written at a time."""


# --------------------------------------------------------------------------------------------
# Errors
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


def wav_header_problem(head: bytes) -> str | None:
    """Why a file starting with ``head`` (its first 12 bytes) is not WAV audio, or None.

    Examples
    --------
    >>> wav_header_problem(b"RIFF\\x24\\x00\\x00\\x00WAVE") is None
    True
    >>> wav_header_problem(b"version https://git-lfs")
    'is a Git LFS pointer, not audio (the folder comes from a clone or zip without Git LFS)'
    """
    if head.startswith(b"version http"):
        return "is a Git LFS pointer, not audio (the folder comes from a clone or zip without Git LFS)"
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return "is not a WAV file (no RIFF/WAVE header)"
    return None


def short_error(exc: BaseException) -> str:
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


# --------------------------------------------------------------------------------------------
# Results of batch operations
# --------------------------------------------------------------------------------------------


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
        label = CORPORA.get(self.corpus, self.corpus)
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
# Folders and temporary names
# --------------------------------------------------------------------------------------------


def resolve_dest(dest) -> Path:
    """The data folder to write into: ``dest`` or :func:`utils.core.paths.data_dir`."""
    return Path(dest).expanduser().resolve() if dest is not None else data_dir()


def staging(dest: Path) -> Path:
    """The staging folder :data:`STAGING_DIR` of the data folder ``dest``."""
    return dest / STAGING_DIR


def part_path(path: Path) -> Path:
    """The temporary name a file is written under until it is complete and verified."""
    return path.with_name(path.name + ".part")


def ensure_free_space(folder: Path, needed: int, what: str) -> None:
    """Raise :class:`DownloadError` if ``folder``'s disk has less than ``needed`` bytes free."""
    probe = folder
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if needed > free:
        raise DownloadError(
            f"{what}: needs {needed / 1e6:,.0f} MB of disk space in {folder}, only {free / 1e6:,.0f} MB free"
        )
