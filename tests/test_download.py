"""Tests of the package utils.data.download against a local HTTP server (127.0.0.1, never the internet).

The server serves tiny generated archives and WAV files, supports HTTP Range requests, can cut a
response short (an interrupted transfer), answer 404 or 503 for chosen files, and counts requests.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import stat
import subprocess
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
import soundfile as sf

import utils.data.download
from utils.data.corpora import DEMOGRAPHICS_FILE, corpus_of_name
from utils.data.download.archive import extract_ravdess_zip, ravdess_member_target
from utils.data.download.cli import main
from utils.data.download.common import ChecksumError, DownloadError, UnsafeArchiveError
from utils.data.download.cremad import download_cremad, list_cremad_files, parse_lfs_pointer
from utils.data.download.http import download_resumable, fetch_json
from utils.data.download.importing import import_folder, layout_target
from utils.data.download.ravdess import RAVDESS_SPEECH, download_ravdess, import_ravdess_zip

REPO = Path(__file__).resolve().parents[1]
NET = dict(timeout=5, retries=2, backoff=0.01, progress=False)
RAV_MEMBERS = [
    "Actor_01/03-01-01-01-01-01-01.wav",
    "Actor_01/03-01-05-02-01-01-01.wav",
    "Actor_02/03-01-03-01-02-02-02.wav",
]
CREMA_NAMES = ["1001_DFA_ANG_XX.wav", "1001_DFA_DIS_XX.wav", "1002_IEO_HAP_HI.wav"]
DEMOGRAPHICS = (b"ActorID,Age,Sex,Race,Ethnicity\n"
                b"1001,51,Male,Caucasian,Not Hispanic\n1002,21,Female,Caucasian,Not Hispanic\n")


# --------------------------------------------------------------------------------------------
# The local server
# --------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    timeout = 5  # seconds a connection may stay silent

    def log_message(self, *args):  # keep the test output clean
        pass

    def _send(self, code: int, body: bytes = b"", headers: dict | None = None):
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        fake = self.server.fake
        path = urlsplit(self.path).path
        rng = self.headers.get("Range")
        with fake.lock:
            fake.log.append((path, rng))
            failing = fake.fail.get(path, 0)
            if failing:
                fake.fail[path] = failing - 1
            cut = fake.cut.pop(path, None)
        if path in fake.missing or path not in fake.files:
            return self._send(404, b"Not Found")
        if failing:
            return self._send(503, b"busy", {"Retry-After": fake.retry_after})
        data = fake.files[path]
        code, headers, start = 200, {}, 0
        if rng:
            start = int(re.fullmatch(r"bytes=(\d+)-", rng).group(1))
            if start >= len(data):
                return self._send(416, b"", {"Content-Range": f"bytes */{len(data)}"})
            code, headers = 206, {"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"}
        body = data[start:]
        if cut is None:
            return self._send(code, body, headers)
        # An interrupted transfer: announce the whole body, send part of it, drop the connection.
        self.send_response(code)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:cut])
        self.wfile.flush()
        self.close_connection = True


class FakeServer:
    """Files by URL path, plus knobs: ``missing`` (404), ``cut`` (bytes sent before the connection
    drops, once), ``fail`` (number of 503 answers first, with ``Retry-After: retry_after`` seconds);
    ``log`` records ``(path, Range)``."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.missing: set[str] = set()
        self.cut: dict[str, int] = {}
        self.fail: dict[str, int] = {}
        self.retry_after = "0"
        self.log: list[tuple[str, str | None]] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.fake = self
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def hits(self, fragment: str) -> int:
        """Number of requests whose path contains ``fragment``."""
        with self.lock:
            return sum(fragment in path for path, _ in self.log)

    def ranges(self, fragment: str) -> list:
        with self.lock:
            return [rng for path, rng in self.log if fragment in path]


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    fake = FakeServer()
    fake.thread.start()
    yield fake
    fake.httpd.shutdown()
    fake.httpd.server_close()
    fake.thread.join(timeout=5)


# --------------------------------------------------------------------------------------------
# Generated corpora
# --------------------------------------------------------------------------------------------


def wav_bytes(seed: int, seconds: float = 0.05, rate: int = 16000) -> bytes:
    """A short generated tone as WAV bytes (never real corpus audio)."""
    t = np.arange(int(seconds * rate)) / rate
    signal = 0.3 * np.sin(2 * np.pi * (220 + 40 * seed) * t)
    buffer = io.BytesIO()
    sf.write(buffer, signal, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def make_zip(members: dict) -> bytes:
    """A zip of ``{name: bytes}`` (names written as given, even malicious ones)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data)
    return buffer.getvalue()


def ravdess_zip(extra: int = 0) -> bytes:
    """A RAVDESS-like zip (``Actor_XX/*.wav``); ``extra`` kB of padding in a readme makes it bigger."""
    members = {name: wav_bytes(i) for i, name in enumerate(RAV_MEMBERS)}
    if extra:
        members["readme.txt"] = os.urandom(extra * 1024)
    return make_zip(members)


def serve_ravdess(server: FakeServer, data: bytes, md5: str | None = None, key: str = RAVDESS_SPEECH) -> str:
    """Publish ``data`` as a Zenodo record file; return the record's API URL."""
    file_path = f"/api/records/1188976/files/{key}/content"
    server.files[file_path] = data
    record = {"id": 1188976, "files": [{
        "key": key, "size": len(data), "checksum": "md5:" + (md5 or hashlib.md5(data).hexdigest()),
        "links": {"self": server.url + file_path},
    }]}
    server.files["/api/records/1188976"] = json.dumps(record).encode()
    return server.url + "/api/records/1188976"


def lfs_pointer(data: bytes) -> bytes:
    return (f"version https://git-lfs.github.com/spec/v1\noid sha256:{hashlib.sha256(data).hexdigest()}\n"
            f"size {len(data)}\n").encode()


def serve_cremad(server: FakeServer, names=CREMA_NAMES) -> dict:
    """Publish a CREMA-D-like repository; return the URL keyword arguments of download_cremad."""
    audio = {name: wav_bytes(i + 10) for i, name in enumerate(names)}
    for name, data in audio.items():
        server.files[f"/raw/AudioWAV/{name}"] = lfs_pointer(data)
        server.files[f"/media/AudioWAV/{name}"] = data
    server.files["/raw/VideoDemographics.csv"] = DEMOGRAPHICS
    blob = hashlib.sha1(b"blob %d\0" % len(DEMOGRAPHICS) + DEMOGRAPHICS).hexdigest()
    tree = [{"path": "AudioWAV", "type": "tree", "sha": "0" * 40},
            {"path": "VideoDemographics.csv", "type": "blob", "sha": blob}]
    tree += [{"path": f"AudioWAV/{name}", "type": "blob", "sha": "1" * 40} for name in names]
    tree += [{"path": "AudioMP3/1001_DFA_ANG_XX.mp3", "type": "blob", "sha": "2" * 40}]
    server.files["/tree"] = json.dumps({"sha": "f" * 40, "tree": tree, "truncated": False}).encode()
    server.audio = audio
    return dict(raw_url=server.url + "/raw", media_url=server.url + "/media",
                tree_url=server.url + "/tree?recursive=1")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------
# RAVDESS
# --------------------------------------------------------------------------------------------


def test_ravdess_download_ends_in_actor_layout(server, tmp_path):
    api = serve_ravdess(server, ravdess_zip())
    result = download_ravdess(tmp_path, zenodo_api=api, **NET)
    assert result.ok, result.summary()
    assert list(result.done) == [RAVDESS_SPEECH]
    for name in RAV_MEMBERS:
        audio, rate = sf.read(tmp_path / "ravdess" / name)
        assert rate == 16000 and len(audio) == 800
    assert not (tmp_path / "ravdess" / "readme.txt").exists()
    wavs = sorted(p.relative_to(tmp_path / "ravdess").as_posix() for p in (tmp_path / "ravdess").rglob("*")
                  if p.is_file())
    assert wavs == sorted(RAV_MEMBERS)  # nothing but the audio in the corpus folder
    assert not (tmp_path / ".downloads" / RAVDESS_SPEECH).exists()  # archive deleted by default
    assert "1 downloaded" in result.summary()


def test_ravdess_checksum_mismatch_removes_file_and_names_both(server, tmp_path):
    data = ravdess_zip()
    api = serve_ravdess(server, data, md5="0" * 32)
    result = download_ravdess(tmp_path, zenodo_api=api, **NET)
    reason = result.failed[RAVDESS_SPEECH]
    assert RAVDESS_SPEECH in reason and "0" * 32 in reason and hashlib.md5(data).hexdigest() in reason
    staging = tmp_path / ".downloads"
    assert not list(staging.glob("*.zip*"))  # neither the zip nor a .part left behind
    assert not (tmp_path / "ravdess" / "Actor_01").exists()
    with pytest.raises(ChecksumError) as info:
        download_resumable(server.url + f"/api/records/1188976/files/{RAVDESS_SPEECH}/content",
                              tmp_path / "x.zip", md5="0" * 32, **NET)
    assert info.value.expected == "0" * 32 and info.value.actual == hashlib.md5(data).hexdigest()
    assert not (tmp_path / "x.zip").exists() and not (tmp_path / "x.zip.part").exists()


def test_interrupted_transfer_resumes_with_range(server, tmp_path):
    data = ravdess_zip(extra=200)  # ~200 kB so that the cut falls mid-file
    api = serve_ravdess(server, data)
    content = f"/files/{RAVDESS_SPEECH}/content"
    server.cut[f"/api/records/1188976{content}"] = 70_000
    result = download_ravdess(tmp_path, zenodo_api=api, **NET)
    assert result.ok, result.summary()
    first, second = server.ranges(content)
    assert first is None
    # the retry asks only for the missing bytes (the client keeps what it wrote, whole chunks)
    assert 0 < int(re.fullmatch(r"bytes=(\d+)-", second).group(1)) <= 70_000
    assert (tmp_path / "ravdess" / RAV_MEMBERS[2]).is_file()


def test_partial_file_from_an_earlier_run_is_resumed(server, tmp_path):
    data = ravdess_zip(extra=300)
    api = serve_ravdess(server, data)
    content = f"/files/{RAVDESS_SPEECH}/content"
    server.cut[f"/api/records/1188976{content}"] = 150_000
    first = download_ravdess(tmp_path, zenodo_api=api, **{**NET, "retries": 0})
    assert "transfer interrupted" in first.failed[RAVDESS_SPEECH]
    kept = (tmp_path / ".downloads" / (RAVDESS_SPEECH + ".part")).stat().st_size
    assert 0 < kept <= 150_000
    second = download_ravdess(tmp_path, zenodo_api=api, **NET)
    assert second.ok and server.ranges(content) == [None, f"bytes={kept}-"]
    assert not list((tmp_path / ".downloads").glob("*.part"))


def test_transient_503_is_retried(server, tmp_path):
    api = serve_ravdess(server, ravdess_zip())
    server.fail["/api/records/1188976"] = 2
    result = download_ravdess(tmp_path, zenodo_api=api, **NET)
    assert result.ok and server.hits("/api/records/1188976") == 4  # 2 x 503, metadata, zip


def test_retry_after_from_the_server_is_respected(server):
    server.files["/doc.json"] = b'{"ok": true}'
    server.fail["/doc.json"] = 1
    server.retry_after = "1"
    start = time.monotonic()
    assert fetch_json(server.url + "/doc.json", timeout=5, retries=2, backoff=0.01) == {"ok": True}
    assert time.monotonic() - start >= 0.9  # waited as long as the server asked, not the 0.01 s backoff
    assert server.hits("/doc.json") == 2


def test_retries_used_up_give_a_clear_message(server):
    server.files["/doc.json"] = b"{}"
    server.fail["/doc.json"] = 5
    with pytest.raises(DownloadError) as info:
        fetch_json(server.url + "/doc.json", timeout=5, retries=1, backoff=0.01)
    message = str(info.value)
    assert "/doc.json: HTTP 503" in message and "busy" in message and "gave up after 2 attempts" in message
    assert server.hits("/doc.json") == 2
    server.missing.add("/doc.json")  # a 404 is not worth another attempt
    with pytest.raises(DownloadError, match="HTTP 404") as info:
        fetch_json(server.url + "/doc.json", timeout=5, retries=3, backoff=0.01)
    assert "gave up" not in str(info.value) and server.hits("/doc.json") == 3


def test_ravdess_rerun_downloads_nothing_and_force_downloads_again(server, tmp_path):
    api = serve_ravdess(server, ravdess_zip())
    assert download_ravdess(tmp_path, zenodo_api=api, **NET).ok
    before = len(server.log)
    again = download_ravdess(tmp_path, zenodo_api=api, **NET)
    assert again.ok and not again.done and RAVDESS_SPEECH in again.skipped
    assert len(server.log) == before  # not even the metadata
    assert "nothing downloaded" in again.summary()
    forced = download_ravdess(tmp_path, zenodo_api=api, force=True, **NET)
    assert list(forced.done) == [RAVDESS_SPEECH]
    assert server.hits("/content") == 2


def test_existing_different_files_are_not_overwritten(server, tmp_path):
    api = serve_ravdess(server, ravdess_zip())
    mine = tmp_path / "ravdess" / RAV_MEMBERS[0]
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"my own file")
    result = download_ravdess(tmp_path, zenodo_api=api, keep_archive=True, **NET)
    assert "--force" in result.failed[RAVDESS_SPEECH] and RAV_MEMBERS[0] in result.failed[RAVDESS_SPEECH]
    assert mine.read_bytes() == b"my own file"
    assert not (tmp_path / "ravdess" / RAV_MEMBERS[1]).exists()  # refused before writing anything
    forced = download_ravdess(tmp_path, zenodo_api=api, force=True, **NET)
    assert forced.ok and mine.read_bytes() != b"my own file"


@pytest.mark.parametrize("evil", ["../evil.wav", "/tmp/ser-course-evil.wav", "Actor_01/../../evil.wav"])
def test_malicious_archive_member_is_refused(server, tmp_path, evil):
    data = make_zip({RAV_MEMBERS[0]: wav_bytes(0), evil: b"RIFF evil"})
    assert evil in zipfile.ZipFile(io.BytesIO(data)).namelist()
    dest = tmp_path / "data"
    api = serve_ravdess(server, data)
    result = download_ravdess(dest, zenodo_api=api, **NET)
    reason = result.failed[RAVDESS_SPEECH]
    assert "refusing to extract" in reason and evil in reason
    assert not (tmp_path / "evil.wav").exists() and not Path("/tmp/ser-course-evil.wav").exists()
    assert not (dest / "ravdess" / RAV_MEMBERS[0]).exists()  # nothing extracted at all


def test_symlink_member_is_refused(tmp_path):
    link = zipfile.ZipInfo("Actor_01/link.wav")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(link, "/etc/passwd")
    zip_path = tmp_path / "links.zip"
    zip_path.write_bytes(buffer.getvalue())
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        extract_ravdess_zip(zip_path, tmp_path / "ravdess", progress=False)
    assert not (tmp_path / "ravdess" / "Actor_01").exists()


def test_a_link_already_in_the_destination_is_not_written_through(tmp_path):
    """An Actor_XX folder (or a file) that is a symbolic link would let the zip write outside ``ravdess/``."""
    zip_path = tmp_path / "a.zip"
    zip_path.write_bytes(make_zip({f"Audio/{RAV_MEMBERS[0]}": wav_bytes(0)}))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = tmp_path / "data" / "ravdess"
    root.mkdir(parents=True)
    (root / RAV_MEMBERS[0].split("/")[0]).symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(UnsafeArchiveError, match="is a symbolic link"):
        extract_ravdess_zip(zip_path, root, progress=False)
    assert not list(elsewhere.iterdir())
    result = import_ravdess_zip(zip_path, tmp_path / "data", zenodo_api=None, progress=False)
    assert "symbolic link" in result.failed[zip_path.name] and not list(elsewhere.iterdir())


def test_members_that_are_not_audio_are_reported_and_the_rest_extracted(tmp_path):
    zip_path = tmp_path / "a.zip"
    zip_path.write_bytes(make_zip({RAV_MEMBERS[0]: wav_bytes(0), RAV_MEMBERS[1]: b"<html>Sign in to continue</html>"}))
    result = import_ravdess_zip(zip_path, tmp_path / "data", zenodo_api=None, progress=False)
    assert (tmp_path / "data" / "ravdess" / RAV_MEMBERS[0]).is_file()
    assert not (tmp_path / "data" / "ravdess" / RAV_MEMBERS[1]).exists()
    assert "not a WAV file" in result.failed[f"{zip_path.name}: {RAV_MEMBERS[1]}"] and not result.ok
    assert "1 audio files" in result.done[zip_path.name]


def test_import_from_local_zip(server, tmp_path):
    data = ravdess_zip()
    zip_path = tmp_path / "Audio_Speech_Actors_01-24.zip"
    zip_path.write_bytes(data)
    api = serve_ravdess(server, data)  # md5 looked up in the (local) metadata
    result = import_ravdess_zip(zip_path, tmp_path / "data", zenodo_api=api, progress=False)
    assert result.ok and "md5 published" in result.done[zip_path.name]
    assert (tmp_path / "data" / "ravdess" / RAV_MEMBERS[1]).is_file()
    # recorded: a later download finds the complete copy and fetches nothing
    before = len(server.log)
    assert download_ravdess(tmp_path / "data", zenodo_api=api, **NET).skipped
    assert len(server.log) == before

    bad = import_ravdess_zip(zip_path, tmp_path / "other", md5="1" * 32, zenodo_api=None, progress=False)
    reason = bad.failed[zip_path.name]
    assert "1" * 32 in reason and hashlib.md5(data).hexdigest() in reason and str(zip_path) in reason
    assert zip_path.exists()  # the user's file is never deleted

    offline = tmp_path / "mine.zip"
    offline.write_bytes(data)
    unverified = import_ravdess_zip(offline, tmp_path / "third", zenodo_api=server.url + "/nothing",
                                       progress=False)
    assert unverified.ok and "NOT verified" in unverified.notes[0]


def test_import_from_folder_builds_the_layout(tmp_path):
    mirror = tmp_path / "mirror" / "flat"
    mirror.mkdir(parents=True)
    (mirror / "03-01-01-01-01-01-07.wav").write_bytes(wav_bytes(1))
    (mirror / "03-01-02-01-01-01-12.wav").write_bytes(wav_bytes(2))
    (mirror / "notes.wav").write_bytes(wav_bytes(3))
    (mirror / "03-01-03-01-01-01-12.wav").write_bytes(lfs_pointer(b"x"))
    result = import_folder("ravdess", tmp_path / "mirror", tmp_path / "data", progress=False)
    assert (tmp_path / "data/ravdess/Actor_07/03-01-01-01-01-01-07.wav").is_file()
    assert (tmp_path / "data/ravdess/Actor_12/03-01-02-01-01-01-12.wav").is_file()
    assert "naming scheme" in result.skipped[str(mirror / "notes.wav")]
    assert "Git LFS pointer" in result.failed["03-01-03-01-01-01-12.wav"]
    again = import_folder("ravdess", tmp_path / "mirror", tmp_path / "data", progress=False)
    assert not again.done and again.skipped["03-01-01-01-01-01-07.wav"].startswith("identical")


def test_import_cremad_folder_with_demographics(tmp_path):
    mirror = tmp_path / "CREMA-D-main"
    (mirror / "AudioWAV").mkdir(parents=True)
    (mirror / "AudioWAV" / CREMA_NAMES[0]).write_bytes(wav_bytes(0))
    (mirror / "AudioWAV" / CREMA_NAMES[1]).write_bytes(b"RIFF1234AVI junk")
    (mirror / "VideoDemographics.csv").write_bytes(DEMOGRAPHICS)
    result = import_folder("cremad", mirror, tmp_path / "data", link=True, progress=False)
    assert set(result.done) == {CREMA_NAMES[0], DEMOGRAPHICS_FILE}
    assert "not a WAV file" in result.failed[CREMA_NAMES[1]]
    assert (tmp_path / "data/cremad/AudioWAV" / CREMA_NAMES[0]).read_bytes() == wav_bytes(0)
    assert (tmp_path / "data/cremad/VideoDemographics.csv").read_bytes() == DEMOGRAPHICS


@pytest.mark.parametrize("name", [
    "03-01-05-02-01-01-16.wav",   # valid RAVDESS
    "03-01-09-01-01-01-16.wav",   # RAVDESS-looking, emotion 09 does not exist
    "03-01-01-02-01-01-16.wav",   # neutral with strong intensity
    "03-01-05-02-01-01-00.wav",   # actor 00
    "1001_DFA_ANG_XX.wav",        # valid CREMA-D
    "1001_DFA_BOR_XX.wav",        # CREMA-D-looking, no emotion BOR
    "1001_dfa_ang_xx.wav",        # lower case: the scanner refuses it
    "notes.wav",
])
def test_name_checks_agree_with_corpora(name):
    for corpus in ("ravdess", "cremad"):
        assert (layout_target(corpus, name) is not None) == (corpus_of_name(name) == corpus)
    assert (ravdess_member_target(f"Actor_16/{name}") is not None) == (corpus_of_name(name) == "ravdess")


def test_names_the_scanner_refuses_are_not_imported(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "03-01-05-02-01-01-16.wav").write_bytes(wav_bytes(1))
    (mirror / "03-01-09-01-01-01-16.wav").write_bytes(wav_bytes(2))  # no emotion 09
    result = import_folder("ravdess", mirror, tmp_path / "data", progress=False)
    assert list(result.done) == ["03-01-05-02-01-01-16.wav"]
    assert "naming scheme" in result.skipped[str(mirror / "03-01-09-01-01-01-16.wav")]
    assert not list((tmp_path / "data").rglob("03-01-09-*"))

    zip_path = tmp_path / "a.zip"
    zip_path.write_bytes(make_zip({RAV_MEMBERS[0]: wav_bytes(0), "Actor_01/03-01-09-01-01-01-01.wav": wav_bytes(1)}))
    assert list(extract_ravdess_zip(zip_path, tmp_path / "zip" / "ravdess", progress=False)[0]) == [RAV_MEMBERS[0]]
    assert not (tmp_path / "zip" / "ravdess" / "Actor_01" / "03-01-09-01-01-01-01.wav").exists()


# --------------------------------------------------------------------------------------------
# CREMA-D
# --------------------------------------------------------------------------------------------


def test_cremad_download_verifies_and_reports_a_404(server, tmp_path):
    urls = serve_cremad(server)
    server.missing.add(f"/media/AudioWAV/{CREMA_NAMES[1]}")
    result = download_cremad(tmp_path, workers=3, **urls, **NET)
    assert set(result.done) == {CREMA_NAMES[0], CREMA_NAMES[2], DEMOGRAPHICS_FILE}
    reason = result.failed[CREMA_NAMES[1]]
    assert "404" in reason and CREMA_NAMES[1] in reason
    audio_dir = tmp_path / "cremad" / "AudioWAV"
    for name in (CREMA_NAMES[0], CREMA_NAMES[2]):
        assert sha256(audio_dir / name) == hashlib.sha256(server.audio[name]).hexdigest()
    assert not (audio_dir / CREMA_NAMES[1]).exists()
    assert (tmp_path / "cremad" / "VideoDemographics.csv").read_bytes() == DEMOGRAPHICS
    assert not list(tmp_path.rglob("*.part"))
    assert "listed" not in " ".join(result.notes) or "7,442" in " ".join(result.notes)

    # the next run fetches only what failed
    server.missing.clear()
    before = server.hits("/AudioWAV/")
    again = download_cremad(tmp_path, **urls, **NET)
    assert again.ok and list(again.done) == [CREMA_NAMES[1]]
    assert server.hits("/AudioWAV/") == before + 2  # one pointer and one audio file


def test_cremad_content_not_matching_its_pointer(server, tmp_path):
    urls = serve_cremad(server)
    server.files[f"/media/AudioWAV/{CREMA_NAMES[0]}"] = b"<html>This repository exceeded its LFS budget</html>"
    result = download_cremad(tmp_path, **urls, **NET)
    reason = result.failed[CREMA_NAMES[0]]
    expected = hashlib.sha256(server.audio[CREMA_NAMES[0]]).hexdigest()
    got = hashlib.sha256(server.files[f"/media/AudioWAV/{CREMA_NAMES[0]}"]).hexdigest()
    assert CREMA_NAMES[0] in reason and expected in reason and got in reason and "LFS budget" in reason
    assert not (tmp_path / "cremad" / "AudioWAV" / CREMA_NAMES[0]).exists()
    assert len(result.done) == 3  # the two other files and the demographics table


def test_cremad_rerun_downloads_nothing_and_force_downloads_again(server, tmp_path):
    urls = serve_cremad(server)
    assert download_cremad(tmp_path, **urls, **NET).ok
    audio_requests = server.hits("/AudioWAV/")
    again = download_cremad(tmp_path, **urls, **NET)
    assert again.ok and not again.done and len(again.skipped) == 4
    assert server.hits("/AudioWAV/") == audio_requests
    assert "nothing downloaded" in again.summary()
    forced = download_cremad(tmp_path, force=True, **urls, **NET)
    assert set(forced.done) == set(CREMA_NAMES) | {DEMOGRAPHICS_FILE}
    assert server.hits("/media/AudioWAV/") == 2 * len(CREMA_NAMES)


def test_cremad_existing_files_are_checked_not_overwritten(server, tmp_path):
    urls = serve_cremad(server)
    audio_dir = tmp_path / "cremad" / "AudioWAV"
    audio_dir.mkdir(parents=True)
    (audio_dir / CREMA_NAMES[0]).write_bytes(server.audio[CREMA_NAMES[0]])  # a good copy, no manifest
    (audio_dir / CREMA_NAMES[1]).write_bytes(b"different")
    result = download_cremad(tmp_path, **urls, **NET)
    assert "verified against its LFS pointer" in result.skipped[CREMA_NAMES[0]]
    assert "--force" in result.failed[CREMA_NAMES[1]]
    assert (audio_dir / CREMA_NAMES[1]).read_bytes() == b"different"
    assert server.hits(f"/media/AudioWAV/{CREMA_NAMES[0]}") == 0


def test_cremad_names_file_and_unsafe_names(server, tmp_path):
    urls = serve_cremad(server)
    names = tmp_path / "names.txt"
    names.write_text(f"# two files\nAudioWAV/{CREMA_NAMES[2]}\n1001_DFA_ANG_XX\n../../escape.wav\n")
    result = download_cremad(tmp_path / "data", names_file=names, **urls, **NET)
    assert set(result.done) == {CREMA_NAMES[2], CREMA_NAMES[0], DEMOGRAPHICS_FILE}
    assert "not a plain" in result.failed["../../escape.wav"]
    assert server.hits("/tree") == 0
    assert not list(tmp_path.rglob("escape*"))


def test_cremad_names_that_are_not_cremad_names_are_not_fetched(server, tmp_path):
    urls = serve_cremad(server)
    asked = [CREMA_NAMES[0], "1001_DFA_BOR_XX.wav", "03-01-01-01-01-01-01.wav"]
    result = download_cremad(tmp_path, names=asked, **urls, **NET)
    assert set(result.done) == {CREMA_NAMES[0], DEMOGRAPHICS_FILE}
    assert "not a CREMA-D file name" in result.failed["1001_DFA_BOR_XX.wav"]
    assert "RAVDESS" in result.failed["03-01-01-01-01-01-01.wav"]
    assert server.hits("BOR") == 0 and server.hits("03-01-") == 0


def test_cremad_truncated_tree_listing_is_completed(server, tmp_path):
    urls = serve_cremad(server)
    full = json.loads(server.files["/tree"])
    folder = {"path": "AudioWAV", "type": "tree", "url": server.url + "/subtree"}
    server.files["/tree"] = json.dumps({"tree": full["tree"][:2] + [folder], "truncated": True}).encode()
    sub = [{"path": name, "type": "blob"} for name in CREMA_NAMES]
    server.files["/subtree"] = json.dumps({"tree": sub, "truncated": False}).encode()
    listing = list_cremad_files(urls["tree_url"], timeout=5, retries=0)
    assert listing.names == sorted(CREMA_NAMES) and listing.demographics_sha


def test_parse_lfs_pointer():
    pointer = parse_lfs_pointer(lfs_pointer(b"abc").decode())
    assert pointer.size == 3 and pointer.oid == hashlib.sha256(b"abc").hexdigest()
    with pytest.raises(DownloadError, match="some/url: not a Git LFS pointer"):
        parse_lfs_pointer("RIFF....WAVE", "some/url")


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def _cli(*args, timeout=60):
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    return subprocess.run([sys.executable, "-m", "utils.data.download", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_package_only_maps_its_modules():
    # callers import each name from the module that defines it
    assert not hasattr(utils.data.download, "download_ravdess") and utils.data.download.__doc__


@pytest.mark.slow
def test_cli_help():
    run = _cli("--help")
    assert run.returncode == 0
    for option in ("--dest", "--song", "--force", "--from-zip", "--from-folder", "--md5", "--names",
                   "--workers", "--retries", "--timeout", "--zenodo-api", "--cremad-raw", "--cremad-media",
                   "--cremad-tree", "--keep-archive", "--no-progress", "--link"):
        assert option in run.stdout


@pytest.mark.slow
def test_cli_downloads_both_corpora_from_the_local_server(server, tmp_path):
    api = serve_ravdess(server, ravdess_zip())
    urls = serve_cremad(server)
    args = ["ravdess", "cremad", "--dest", str(tmp_path), "--no-progress", "--retries", "0",
            "--timeout", "5", "--zenodo-api", api, "--cremad-raw", urls["raw_url"],
            "--cremad-media", urls["media_url"], "--cremad-tree", urls["tree_url"]]
    run = _cli(*args)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "RAVDESS" in run.stdout and "CREMA-D" in run.stdout and "0 failed" in run.stdout
    assert (tmp_path / "ravdess" / RAV_MEMBERS[0]).is_file()
    assert (tmp_path / "cremad" / "AudioWAV" / CREMA_NAMES[2]).is_file()

    server.missing.add(f"/media/AudioWAV/{CREMA_NAMES[0]}")
    assert main([*args, "--force"]) == 1  # a failure makes the command exit non-zero


def test_cli_rejects_nonsense_combinations(capsys):
    with pytest.raises(SystemExit) as info:
        main(["cremad", "--from-zip", "x.zip"])
    assert info.value.code == 2
    assert "--from-zip" in capsys.readouterr().err
