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


TRAINING_MEMORY_MIB = {480: 1336, 1440: 2011}
"""Peak memory (MiB) of notebook 05's class path by number of clips in notebook 04's split,
measured with ``scripts/binder_limits.py`` under binder-sim (one core, 2 GiB): the demo corpus
(480 clips of the six shared emotions) and the real RAVDESS (measured before the last two memory
savings of the training helpers, so on the high side).  The frame sequences are most of what
grows with the corpus."""


def training_memory(n_clips: int) -> int:
    """About how many bytes notebook 05 needs at its peak for ``n_clips`` clips.

    A straight line through :data:`TRAINING_MEMORY_MIB`: a rough guide for other corpus sizes
    (8,882 clips, RAVDESS and CREMA-D together, come out at about 7.1 GiB).

    Examples
    --------
    >>> round(training_memory(1440) / 2**20)
    2011
    """
    (n0, m0), (n1, m1) = sorted(TRAINING_MEMORY_MIB.items())
    return int((m0 + (m1 - m0) * (n_clips - n0) / (n1 - n0)) * 2**20)


def memory_outlook(n_clips: int, limit: int | None = None) -> str:
    """A line saying whether notebook 05's training fits this machine's memory, with what to do if not.

    ``limit`` defaults to :func:`utils.core.parallel.memory_limit` (the container's limit on
    Binder, else the RAM size).

    Examples
    --------
    >>> memory_outlook(1440, limit=2 * 2**30)
    'memory: about 2.0 GiB at the peak for 1,440 clips; this machine allows 2.0 GiB'
    >>> print(memory_outlook(8882, limit=2 * 2**30))   # doctest: +ELLIPSIS
    memory: about 7.1 GiB at the peak for 8,882 clips; this machine allows 2.0 GiB
    WARNING: more than this machine allows: the kernel will probably die in section 4. ...
    """
    from ..core.parallel import memory_limit

    limit = memory_limit() if limit is None else limit
    need = training_memory(n_clips)
    line = f"memory: about {need / 2**30:.1f} GiB at the peak for {n_clips:,} clips"
    if not limit:
        return line
    line += f"; this machine allows {limit / 2**30:.1f} GiB"
    if need > limit:
        line += ("\nWARNING: more than this machine allows: the kernel will probably die in section 4. Set CORPORA to "
                 "fewer corpora above (RAVDESS alone fits Binder's 2 GB) or run this notebook on a machine with more memory.")
    return line


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
