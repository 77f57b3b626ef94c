"""Feature extraction on a real Dask cluster: two worker processes on loopback, started and stopped here.

``extract_corpus(..., backend="dask")`` must give exactly what the default joblib processes give,
rows, skipped files, features and cache alike.  Needs the optional ``cluster`` extra
(``requirements-cluster.txt``, installed by ``scripts/setup.sh``).
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

distributed = pytest.importorskip("distributed")

from utils.data.augment import Augmentation  # noqa: E402
from utils.features.config import FeatureConfig  # noqa: E402
from utils.features.extract import extract_corpus  # noqa: E402

SR = 16000


def _voice(seconds, f0, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    y = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6)) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    return (0.2 * y + 0.003 * rng.standard_normal(len(t))).astype("float32")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster_clips")
    paths = []
    for i in range(12):
        path = folder / f"clip{i:02d}.wav"
        sf.write(path, _voice(1.0 + 0.1 * i, 110 + 15 * i, i), SR)
        paths.append(path)
    bad = folder / "broken.wav"
    bad.write_text("not audio")
    return paths[:6] + [bad] + paths[6:]


@pytest.fixture(scope="module")
def cluster():
    """A local cluster: a scheduler and two single-threaded worker processes, all on 127.0.0.1."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=40) as local, distributed.Client(local) as client:
        yield client


def _cache_folders(root):
    """The cache's folders, named by the configuration's fingerprint (the shard files inside are named by batch)."""
    return sorted(p.name for p in root.iterdir() if p.is_dir())


@pytest.mark.slow
def test_dask_backend_gives_exactly_the_joblib_result_and_cache(tmp_path, files, cluster):
    config = FeatureConfig(frame_features=("mfcc", "prosody"), n_frames=120)
    noisy = [Augmentation("noise", 20)]
    assert len(cluster.scheduler_info()["workers"]) == 2
    on_dask = extract_corpus(files, config, augmentations=noisy, with_frames=True, backend="dask", cache_dir=tmp_path / "dask", progress=False)
    with_joblib = extract_corpus(files, config, augmentations=noisy, with_frames=True, n_jobs=2, cache_dir=tmp_path / "joblib", progress=False)
    assert on_dask.n_computed == with_joblib.n_computed == 24 and on_dask.n_cached == 0
    assert on_dask.rows.equals(with_joblib.rows)
    assert on_dask.skipped.equals(with_joblib.skipped) and on_dask.skipped["path"].str.endswith("broken.wav").all()
    assert np.array_equal(on_dask.X, with_joblib.X) and np.array_equal(on_dask.frames, with_joblib.frames)
    assert _cache_folders(tmp_path / "dask") == _cache_folders(tmp_path / "joblib") == [f"features-{config.fingerprint()}"]
    # the cache the cluster wrote is the one a laptop reads, and the other way round: nothing is computed again
    for cache in ("dask", "joblib"):
        again = extract_corpus(files, config, augmentations=noisy, with_frames=True, n_jobs=None, cache_dir=tmp_path / cache, progress=False)
        assert again.n_computed == 0 and again.n_cached == 24
        assert np.array_equal(again.X, on_dask.X) and np.array_equal(again.frames, on_dask.frames) and again.rows.equals(on_dask.rows)
