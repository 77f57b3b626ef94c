"""HTTP: sessions that retry, small JSON/text documents, resumable transfers of files.

Retries are urllib3's: every thread gets a :class:`requests.Session` whose
:class:`~requests.adapters.HTTPAdapter` carries a :class:`urllib3.util.Retry` (connection errors,
HTTP 408/425/429/5xx; ``Retry-After`` is respected, otherwise the wait doubles each time).  When
the attempts are used up the adapter hands back the last answer, and :func:`get` turns it into a
:class:`~.common.DownloadError` that names the URL, the status and the server's explanation.

A transfer cut off in the middle of the body is nothing urllib3 retries: :func:`fetch_file`
keeps the bytes received in ``NAME.part`` and asks the server for the rest with an HTTP
``Range`` request, and so does the next run of the same command.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from tqdm.auto import tqdm
from urllib3.util import Retry

from ... import __version__
from ...core.files import file_digest
from .common import CHUNK, ChecksumError, DownloadError, ensure_free_space, part_path, short_error

log = logging.getLogger(__name__)

TIMEOUT = 60.0
"""Seconds to wait for a server to connect or to send the next bytes."""

RETRIES = 4
"""Extra attempts after a transient error (connection error, HTTP 429/5xx, transfer cut short)."""

BACKOFF = 1.0
"""Seconds before the second retry (the first is immediate); doubled for each further one."""

RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
"""HTTP statuses worth another attempt."""


class _Retry(Retry):
    """:class:`urllib3.util.Retry` that logs each wait (the command line shows it on stderr)."""

    def sleep(self, response=None) -> None:
        if self.history:
            last = self.history[-1]
            why = f"HTTP {last.status}" if last.status else short_error(last.error) if last.error else "error"
            wait = self.get_retry_after(response) if response is not None else None
            log.info("%s: %s; retrying in %.1f s", last.url, why, wait or self.get_backoff_time())
        super().sleep(response)


_local = threading.local()


def session(retries: int = RETRIES, backoff: float = BACKOFF) -> requests.Session:
    """This thread's :class:`requests.Session` that retries transient failures ``retries`` times.

    Keep-alive connections, a clear User-Agent; waits are 0, ``backoff``, 2 x ``backoff`` ... seconds
    unless the server says how long with ``Retry-After``.  Bad answers are returned, not raised.
    """
    sessions = _local.__dict__.setdefault("sessions", {})
    if (retries, backoff) not in sessions:
        s = requests.Session()
        s.headers["User-Agent"] = f"ser-course/{__version__} (utils.data.download; python-requests)"
        adapter = HTTPAdapter(max_retries=_Retry(
            total=retries, status_forcelist=RETRY_STATUS, allowed_methods=frozenset({"GET", "HEAD"}),
            backoff_factor=backoff / 2, respect_retry_after_header=True, raise_on_status=False))
        s.mount("http://", adapter)
        s.mount("https://", adapter)
        sessions[retries, backoff] = s
    return sessions[retries, backoff]


def _gave_up(retries: int) -> str:
    return f" (gave up after {retries + 1} attempts)" if retries else " (gave up after 1 attempt)"


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


def get(url: str, *, timeout: float = TIMEOUT, retries: int = RETRIES, backoff: float = BACKOFF,
        stream: bool = False, headers: dict | None = None, allow=()) -> requests.Response:
    """GET ``url`` (with :func:`session`'s retries); raise :class:`DownloadError` on failure.

    Parameters
    ----------
    url : str
    timeout : float
        Seconds to connect and between received bytes.
    retries, backoff
        See :data:`RETRIES`, :data:`BACKOFF`.
    stream : bool
        Leave the body unread (the caller iterates over it and closes the response).
    headers : dict, optional
    allow : iterable of int
        Error statuses returned to the caller instead of raised (e.g. 416 for range requests).
    """
    try:
        response = session(retries, backoff).get(url, timeout=timeout, stream=stream, headers=headers)
    except requests.RequestException as exc:
        transient = isinstance(exc, (requests.ConnectionError, requests.Timeout))
        raise DownloadError(f"{url}: {short_error(exc)}" + (_gave_up(retries) if transient else "")) from exc
    status = response.status_code
    if status < 400 or status in allow:
        return response
    message = f"{url}: HTTP {status} {response.reason or ''}".rstrip() + _body_hint(response)
    response.close()
    raise DownloadError(message + (_gave_up(retries) if status in RETRY_STATUS else ""))


def fetch_json(url: str, *, timeout: float = TIMEOUT, retries: int = RETRIES, backoff: float = BACKOFF):
    """Download and parse a JSON document, retrying transient errors.

    Raises
    ------
    DownloadError
        The server could not be reached, answered with an error, or sent something else than JSON.
    """
    response = get(url, timeout=timeout, retries=retries, backoff=backoff)
    try:
        return response.json()
    except ValueError as exc:
        raise DownloadError(f"{url}: the answer is not JSON ({short_error(exc)})") from exc


def fetch_text(url: str, *, timeout: float = TIMEOUT, retries: int = RETRIES, backoff: float = BACKOFF) -> str:
    """Download a small text document (an LFS pointer, a names list), retrying transient errors."""
    return get(url, timeout=timeout, retries=retries, backoff=backoff).text


# --------------------------------------------------------------------------------------------
# Transfers that resume
# --------------------------------------------------------------------------------------------


class _Interrupted(DownloadError):
    """A transfer cut short; the bytes received are kept in the ``.part`` file."""


def _range_start(content_range: str | None) -> int | None:
    """First byte of a ``Content-Range: bytes START-END/TOTAL`` header."""
    match = re.match(r"bytes\s+(\d+)-\d+/(\d+|\*)", content_range or "")
    return int(match.group(1)) if match else None


def _transfer(url: str, part: Path, size: int | None, *, timeout: float, retries: int, backoff: float,
              progress: bool) -> None:
    """One attempt to complete ``part`` from ``url``, continuing from the bytes already there."""
    have = part.stat().st_size if part.exists() else 0
    if size is not None and have > size:
        part.unlink()
        have = 0
    if size is not None and have == size and have > 0:
        return  # complete already; verification decides whether it is good
    headers = {"Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    response = get(url, timeout=timeout, retries=retries, backoff=backoff, stream=True, headers=headers,
                   allow=(416,))
    with response:
        if response.status_code == 416:
            if have:
                return  # nothing left to send after our bytes: verification decides
            raise DownloadError(f"{url}: HTTP 416 Range Not Satisfiable for a request without a range")
        if have and response.status_code == 206:
            start = _range_start(response.headers.get("Content-Range"))
            if start != have:
                part.unlink()
                raise _Interrupted(f"{url}: server resumed at byte {start}, not {have}; starting over")
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
                raise _Interrupted(
                    f"{url}: transfer interrupted after {fh.tell():,} bytes ({short_error(exc)}); "
                    f"the partial file {part} is kept and the download resumes from there"
                ) from exc
    got = part.stat().st_size
    if size is not None and got < size:
        raise _Interrupted(f"{url}: transfer ended early ({got:,} of {size:,} bytes)")


def fetch_file(url: str, part, *, size: int | None = None, timeout: float = TIMEOUT, retries: int = RETRIES,
               backoff: float = BACKOFF, progress: bool = False) -> None:
    """Complete ``part`` from ``url``, resuming a transfer cut short up to ``retries`` times.

    Raises
    ------
    DownloadError
        The server could not be reached or refused (after :func:`session`'s retries), or the
        transfer was cut short once more than ``retries`` allow (the bytes received are kept).
    """
    part = Path(part)
    for attempt in range(retries + 1):
        try:
            return _transfer(url, part, size, timeout=timeout, retries=retries, backoff=backoff,
                             progress=progress)
        except _Interrupted as exc:
            if attempt == retries:
                raise DownloadError(f"{exc}{_gave_up(retries)}") from exc
            delay = backoff * 2 ** (attempt - 1) if attempt else 0.0
            log.info("%s; retrying in %.1f s", exc, delay)
            time.sleep(delay)


def _mismatch(path: Path, md5: str | None, size: int | None) -> tuple | None:
    """None if ``path`` has the expected size and md5, else ``(kind, expected, actual)``."""
    actual_size = path.stat().st_size
    if size is not None and actual_size != size:
        return "size", f"{size:,} bytes", f"{actual_size:,} bytes"
    if md5:
        actual = file_digest(path, "md5")
        if actual != md5.lower():
            return "md5", md5.lower(), actual
    return None


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
    part = part_path(path)
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
        ensure_free_space(path.parent, max(size - have, 0), what)
    fetch_file(url, part, size=size, timeout=timeout, retries=retries, backoff=backoff, progress=progress)
    if not md5:
        log.warning("%s: no checksum published; the file was not verified", what)
    problem = _mismatch(part, md5, size)
    if problem is not None:
        part.unlink()
        kind, expected, actual = problem
        if kind == "size":
            raise DownloadError(f"{what}: size mismatch: expected {expected}, got {actual}; the bad file was removed")
        raise ChecksumError(what, kind, expected, actual, "the bad file was removed")
    os.replace(part, path)
    return True
