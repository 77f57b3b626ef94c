"""The checks of notebook 00: is this machine ready for the course, and how long will the series take?

:func:`package_table` compares the installed versions with the pins of ``requirements.txt``;
:func:`keras_check` builds and runs a tiny network; :func:`speed_task` times a small piece of the
course's real work (features of a few clips, a few epochs of a small network) and
:func:`expected_seconds` scales the series' measured running times by it.

The reference figures (:data:`REFERENCE`) were measured once on the machine they name, with
``python -m utils.notebook.series`` on the demo corpus (from an empty cache) and :func:`speed_task`
on the same machine, idle.  Scaling by one small task is rough: a machine with more cores gains
more on the parallel feature extraction than the task shows, and memory, not speed, is what
limits notebook 05 on Binder (README.md, Quick start).
"""

from __future__ import annotations

import platform
import sys
import time
from importlib import metadata

import numpy as np
import pandas as pd

from ..core.paths import PROJECT_ROOT


def _supported_pythons() -> tuple:
    """The (major, minor) versions of pyproject.toml's ``requires-python = ">=3.A,<3.B"``."""
    import re

    text = (PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    low, high = map(int, re.search(r'^requires-python = ">=3\.(\d+),<3\.(\d+)"', text, re.M).groups())
    return tuple((3, minor) for minor in range(low, high))


PYTHON_SUPPORTED = _supported_pythons()
"""Python versions the pinned environment resolves on (pyproject.toml's ``requires-python``:
3.11 to 3.13, checked by ``scripts/check_pins.py``)."""

REFERENCE = {
    "machine": "2 CPU cores (x86-64, Linux), no GPU, idle",
    "task_seconds": 5.1,
    "notebook_seconds": {
        "00": 30.0,
        "01": 9.0,
        "02": 10.0,
        "03": 12.0,
        "04": 13.0,
        "05": 149.0,
        "06": 12.5,
        "07": 84.0,
    },
}
"""Measured on the machine named: :func:`speed_task` and each notebook's execution on the demo corpus."""


MEASURED_MEMORY = 2 * 2**30
"""The memory notebook 05 is measured in: binder-sim's 2 GiB, one core (``scripts/binder_limits.py``;
README, "On Binder")."""

SCRATCH_PER_FRAMES = 3.0
"""Peak scratch disk space of notebook 05, as a multiple of the bytes of all the clips' frame
sequences, when they are kept on disk: in section 4 the raw, dB and scaled sequences exist
together.  Measured on the full-size demo under binder-sim: 3.0 GB at once for 1.15 GB of
sequences (2.6 times), rounded up."""


def frame_bytes(n_clips: int, config) -> int:
    """Bytes of the float32 frame sequences of ``n_clips`` clips with ``config`` (129.6 kB a clip for the course's)."""
    return int(n_clips) * int(config.n_frames) * int(config.n_frame_features) * 4


def memory_outlook(n_clips: int, config, *, limit: int | None = None, free_disk: int | None = None) -> str:
    """Lines saying how large notebook 05's frame sequences are, where they are kept and whether this machine suits.

    Arrays over :func:`utils.core.arrays.large_array_bytes` are kept on disk
    (:mod:`utils.core.arrays`), so memory does not grow with the corpus beyond that; the disk
    then needs about :data:`SCRATCH_PER_FRAMES` times the sequences' size.  A warning is added
    when the machine has less memory than :data:`MEASURED_MEMORY` or too little free disk.

    Parameters
    ----------
    n_clips : int
    config : FeatureConfig
        The frames' configuration (``COURSE.features``).
    limit : int, optional
        Bytes of memory; default :func:`utils.core.parallel.memory_limit`.
    free_disk : int, optional
        Free bytes where the scratch files go; default: measured there.

    Examples
    --------
    >>> from utils.learn.recipes import COURSE
    >>> print(memory_outlook(480, COURSE.features, limit=2 * 2**30, free_disk=10**10))
    frame sequences: 62 MB for 480 clips, kept in memory (arrays over 128 MiB go to disk on this machine)
    >>> print(memory_outlook(8882, COURSE.features, limit=2 * 2**30, free_disk=10**9))   # doctest: +NORMALIZE_WHITESPACE
    frame sequences: 1,151 MB for 8,882 clips, partly on disk (arrays over 128 MiB go to disk on this machine)
    WARNING: about 3.5 GB of free disk space is needed under data/derived/scratch, and 1.0 GB is free.
    """
    import shutil

    from ..core.arrays import large_array_bytes, scratch_dir
    from ..core.parallel import memory_limit

    limit = memory_limit() if limit is None else limit
    total, threshold = frame_bytes(n_clips, config), large_array_bytes(limit)
    where = "kept in memory" if total <= threshold else "partly on disk"
    lines = [f"frame sequences: {total / 1e6:,.0f} MB for {n_clips:,} clips, {where} (arrays over {threshold / 2**20:.0f} MiB go to disk on this machine)"]
    if limit and limit < MEASURED_MEMORY:
        lines.append(f"WARNING: this machine allows {limit / 2**30:.1f} GiB of memory; the notebook was measured to fit in "
                     f"{MEASURED_MEMORY / 2**30:.0f} GiB. Set CORPORA to fewer corpora above or use a machine with more memory.")
    if total > threshold:
        need = SCRATCH_PER_FRAMES * total
        free = shutil.disk_usage(scratch_dir()).free if free_disk is None else free_disk
        if free < need:
            lines.append(f"WARNING: about {need / 1e9:.1f} GB of free disk space is needed under data/derived/scratch, and {free / 1e9:.1f} GB is free.")
    return "\n".join(lines)


def pinned_requirements(path=None) -> dict:
    """``{package: version}`` pinned (``==``) in ``requirements.txt`` for this platform.

    Examples
    --------
    >>> pins = pinned_requirements()
    >>> pins["keras"].count(".") >= 1 and "librosa" in pins
    True
    """
    from packaging.requirements import Requirement

    path = PROJECT_ROOT / "requirements.txt" if path is None else path
    pins = {}
    for line in open(path, encoding="utf-8"):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate():
            continue
        spec = next((s for s in req.specifier if s.operator == "=="), None)
        if spec is not None:
            pins[req.name] = spec.version
    return pins


def package_table(pins: dict | None = None) -> pd.DataFrame:
    """One row per pinned package: the pinned and the installed version, and whether they agree.

    A package that is not installed has ``installed`` ``"missing"``.
    """
    pins = pinned_requirements() if pins is None else pins
    rows = []
    for name, pinned in pins.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        rows.append({"package": name, "pinned": pinned, "installed": installed, "ok": installed == pinned})
    return pd.DataFrame(rows)


def python_check() -> dict:
    """The running Python: version, whether the pinned environment supports it, the platform."""
    version = sys.version_info[:2]
    return {
        "python": platform.python_version(),
        "supported": version in PYTHON_SUPPORTED,
        "platform": f"{platform.system()} {platform.machine()}",
    }


def keras_check() -> dict:
    """Build a tiny Keras network, run it once, and say which backend and devices it used."""
    from ..learn.networks import keras  # loaded there with TensorFlow's start-up notices hidden
    from ..learn.networks import tensorflow as tf

    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    out = model.predict(np.ones((2, 4), dtype="float32"), verbose=0)
    return {
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "tensorflow": tf.__version__,
        "devices": ", ".join(d.device_type for d in tf.config.list_physical_devices()),
        "runs": bool(out.shape == (2, 3) and np.allclose(out.sum(axis=1), 1, atol=1e-5)),
    }


def speed_task(seed: int = 0) -> float:
    """Seconds this machine takes for a small piece of the course's work.

    Features of 16 two-second signals (mel spectrogram and MFCC with librosa, as notebook 03
    computes them) and 20 epochs of a dense network of the course's size on 800 random rows
    of 429 statistics (as notebook 05 trains them).  The best of two runs, so that a first-call
    start-up does not count.
    """
    import keras
    import librosa

    from ..learn.networks import stats_mlp
    from ..learn.training import set_determinism

    rng = np.random.default_rng(seed)
    signals = rng.standard_normal((16, 32000)).astype(np.float32) * 0.1
    X = rng.standard_normal((800, 429)).astype(np.float32)
    y = rng.integers(0, 8, 800)

    def once() -> float:
        start = time.perf_counter()
        for s in signals:
            mel = librosa.feature.melspectrogram(y=s, sr=16000, n_fft=512, hop_length=160, n_mels=64)
            librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=40)
        set_determinism(seed)
        model = stats_mlp(X.shape[1], 8)
        model.fit(X, y, epochs=20, batch_size=32, verbose=0)
        keras.backend.clear_session()
        return time.perf_counter() - start

    once()
    return min(once(), once())


def expected_seconds(task_seconds: float, reference: dict = REFERENCE) -> pd.Series:
    """Each notebook's expected execution seconds here: the reference times scaled by ``task_seconds``.

    Examples
    --------
    >>> twice_as_slow = expected_seconds(2 * REFERENCE["task_seconds"])
    >>> float(round(twice_as_slow["05"] / REFERENCE["notebook_seconds"]["05"], 6))
    2.0
    """
    if not task_seconds > 0:
        raise ValueError(f"task_seconds must be positive, not {task_seconds!r}")
    ratio = task_seconds / reference["task_seconds"]
    return pd.Series({nb: s * ratio for nb, s in reference["notebook_seconds"].items()}, name="expected seconds")
