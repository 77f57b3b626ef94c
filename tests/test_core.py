"""The bottom layer: the one file-hash helper, the one worker policy, the paths."""

import hashlib
import subprocess

import pytest

from utils.core import parallel
from utils.core.files import ALGORITHMS, file_digest
from utils.core.paths import PROJECT_ROOT, data_dir, derived_dir, display_path


def eight_cores(n_jobs):
    """joblib.effective_n_jobs on a machine with 8 cores."""
    return 1 if n_jobs is None else (n_jobs if n_jobs > 0 else 8 + 1 + n_jobs)


@pytest.fixture
def some_file(tmp_path):
    path = tmp_path / "bytes.bin"
    path.write_bytes(bytes(range(256)) * 1000)
    return path


@pytest.mark.parametrize("algorithm", ["sha256", "md5", "sha1"])
def test_file_digest_equals_hashlib(some_file, algorithm):
    assert file_digest(some_file, algorithm) == hashlib.new(algorithm, some_file.read_bytes()).hexdigest()


def test_blake2b_and_git_blob_digests(some_file):
    data = some_file.read_bytes()
    assert file_digest(some_file, "blake2b-128") == hashlib.blake2b(data, digest_size=16).hexdigest()
    git = subprocess.run(["git", "hash-object", str(some_file)], capture_output=True, text=True, check=True).stdout.strip()
    assert file_digest(some_file, "git-blob") == git


def test_file_digest_refuses_unknown_algorithms_and_missing_files(tmp_path, some_file):
    with pytest.raises(ValueError, match="algorithm must be one of"):
        file_digest(some_file, "crc32")
    with pytest.raises(FileNotFoundError):
        file_digest(tmp_path / "missing.wav")
    assert set(ALGORITHMS) >= {"sha256", "git-blob"}


def test_n_jobs_means_what_it_means_in_scikit_learn(monkeypatch):
    monkeypatch.setattr(parallel, "memory_limit", lambda: 64 * 2**30)
    monkeypatch.setattr("joblib.effective_n_jobs", eight_cores)
    assert parallel.effective_workers(None) == 1
    assert parallel.effective_workers(1) == 1
    assert parallel.effective_workers(3) == 3
    assert parallel.effective_workers(-1) == 8
    assert parallel.effective_workers(-2) == 7
    for bad in (0, 1.5, True, "2"):
        with pytest.raises(ValueError, match="n_jobs"):
            parallel.effective_workers(bad)


def test_workers_are_capped_by_memory_and_by_work(monkeypatch):
    monkeypatch.setattr("joblib.effective_n_jobs", eight_cores)
    monkeypatch.setattr(parallel, "memory_limit", lambda: 2 * 2**30)  # a Binder container
    assert parallel.effective_workers(-1) == 1 + (2 * 2**30 - parallel.MAIN_MEMORY) // parallel.WORKER_MEMORY == 4
    monkeypatch.setattr(parallel, "memory_limit", lambda: 64 * 2**30)
    assert parallel.effective_workers(-1, n_items=parallel.MIN_ITEMS_PER_WORKER - 1) == 1
    assert parallel.effective_workers(-1, n_items=3 * parallel.MIN_ITEMS_PER_WORKER) == 4
    # another joblib backend (e.g. a Dask cluster) is not capped by this machine's memory or the work
    assert parallel.effective_workers(2, n_items=1, backend="threading") == 2


def test_data_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("SER_DATA_DIR", raising=False)
    assert data_dir() == PROJECT_ROOT / "data"
    monkeypatch.setenv("SER_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path.resolve() and derived_dir() == tmp_path.resolve() / "derived"
    assert display_path(PROJECT_ROOT / "data" / "x.wav") == "data/x.wav"
    assert display_path(tmp_path) == str(tmp_path)
