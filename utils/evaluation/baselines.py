"""The field's standard baselines: openSMILE functionals with a logistic regression.

A deep model earns its place only if it beats what the field uses as a matter of course: the
functionals of openSMILE (Eyben et al. 2010, ``eyben2010opensmile`` in ``references.bib``), a
fixed set of statistics of low-level descriptors per clip, fed to a linear classifier.  Two sets
are measured (:data:`OPENSMILE_SETS`):

``egemaps``
    The 88 eGeMAPS v02 functionals (Eyben et al. 2016, ``eyben2016gemaps``): a small set of
    pitch, loudness, spectral and voice-quality parameters chosen by experts for affect.
``compare``
    The 6,373 ComParE 2016 functionals (Schuller et al. 2016, ``schuller2016compare``): a
    brute-force set of many descriptors and many statistics.

The classifier is scikit-learn's ``LogisticRegression(C=0.1)`` after a ``StandardScaler``,
both fitted on the training rows only; ``C`` is not tuned (:data:`LOGREG_C`).  With
``spk_norm`` every speaker's functionals are first z-scored with that speaker's own statistics,
as for the course recipes (:func:`utils.learn.scaling.speaker_normalize`).

openSMILE is an optional, pinned extra (``pip install -e .[baselines]``); the rest of the
course does not need it, and :func:`opensmile_functionals` says how to install it if missing.

Examples
--------
>>> X = opensmile_functionals(paths, "egemaps", cache_dir="/tmp/cache")              # doctest: +SKIP
>>> pred = logistic_baseline(X[train], y[train], X[test])                           # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

OPENSMILE_SETS = {"egemaps": "eGeMAPSv02", "compare": "ComParE_2016"}
"""The openSMILE feature sets measured, by the short names the benchmark uses."""

OPENSMILE_SIZES = {"egemaps": 88, "compare": 6373}
"""Functionals per clip of each set."""

OPENSMILE_VERSION = "2.6.0"
"""The pinned version of the ``opensmile`` package (``pyproject.toml``'s ``baselines`` extra)."""

LOGREG_C = 0.1
"""Inverse regularisation strength of the logistic regression (fixed, not tuned)."""


def _check_installed(name: str) -> None:
    try:
        import opensmile  # noqa: F401
    except ImportError:
        raise ImportError(
            f"the openSMILE baselines need the 'opensmile' package: pip install opensmile=={OPENSMILE_VERSION} "
            "(or pip install -e '.[baselines]' in the course folder)"
        ) from None
    if name not in OPENSMILE_SETS:
        raise ValueError(f"unknown openSMILE set {name!r}; known: {sorted(OPENSMILE_SETS)}")


def _functionals_of(paths: list, name: str):
    """openSMILE's table for ``paths``, computed in this (worker) process."""
    import opensmile

    smile = opensmile.Smile(feature_set=getattr(opensmile.FeatureSet, OPENSMILE_SETS[name]), feature_level=opensmile.FeatureLevel.Functionals)
    return smile.process_files(paths)


def _extract(paths: list, name: str, n_jobs: int):
    """openSMILE's table for ``paths`` from fresh *spawned* worker processes.

    openSMILE's native library aborts the process when TensorFlow is loaded in it (as it is once a
    network has been trained), and a forked worker inherits TensorFlow; spawned workers start
    clean.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import pandas as pd

    n = max(1, min(int(n_jobs), len(paths)))
    chunks = [list(c) for c in np.array_split(np.asarray(paths, dtype=object), n) if len(c)]
    with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pd.concat(list(pool.map(_functionals_of, chunks, [name] * len(chunks))))


def _cache_key(paths, name: str) -> str:
    """Depends on the set, the package version and every file's path, size and modification time."""
    h = hashlib.blake2b(digest_size=12)
    h.update(json.dumps([name, OPENSMILE_VERSION]).encode())
    for p in paths:
        st = os.stat(p)
        h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def opensmile_functionals(paths, name: str, *, cache_dir=None, n_jobs: int = 1) -> np.ndarray:
    """openSMILE functionals of every file, one row per file, in the order given.

    Parameters
    ----------
    paths : sequence of str or Path
        Audio files, read at their own sample rate and analysed whole (no trimming), as openSMILE
        is normally used.
    name : {"egemaps", "compare"}
        The set (:data:`OPENSMILE_SETS`).
    cache_dir : str or Path, optional
        Folder for a cache file ``opensmile-<name>-<key>.npy``, reused while the files, the set
        and the package version are unchanged.
    n_jobs : int
        Worker processes (always at least one, started fresh: see :func:`_extract`).

    Returns
    -------
    np.ndarray
        ``(len(paths), OPENSMILE_SIZES[name])`` float32.

    Raises
    ------
    ImportError
        ``opensmile`` is not installed (the message says how to install it).
    ValueError
        A file gives no or non-finite functionals (the message names it).
    """
    paths = [str(p) for p in paths]
    _check_installed(name)
    cache = None
    if cache_dir is not None:
        cache = Path(cache_dir) / f"opensmile-{name}-{_cache_key(paths, name)}.npy"
        if cache.is_file():
            return np.load(cache)
    table = _extract(paths, name, n_jobs)
    files = table.index.get_level_values("file").astype(str)
    if len(table) != len(paths) or list(files) != paths:
        missing = sorted(set(paths) - set(files))[:3]
        raise ValueError(f"openSMILE {name}: no functionals for {len(set(paths) - set(files))} file(s), e.g. {missing}")
    X = table.to_numpy(dtype=np.float32)
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        raise ValueError(f"openSMILE {name}: non-finite functionals for {int(bad.sum())} file(s), e.g. {paths[int(np.argmax(bad))]}")
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, X)
    return X


def logistic_baseline(X_train, y_train, X_test, *, C: float = LOGREG_C, seed: int = 0) -> np.ndarray:
    """Class probabilities of ``X_test`` from a StandardScaler + LogisticRegression fitted on the training rows.

    Parameters
    ----------
    X_train, X_test : np.ndarray
        Functionals (already speaker-normalised for the adapted baseline).
    y_train : array of int
        Class indices ``0 .. n_classes - 1``; every class must occur.
    C : float
        Default :data:`LOGREG_C`.
    seed : int

    Returns
    -------
    np.ndarray
        ``(len(X_test), n_classes)`` probabilities.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); y = (X[:, 0] > 0).astype(int)
    >>> proba = logistic_baseline(X[:150], y[:150], X[150:])
    >>> proba.shape, bool((proba.argmax(axis=1) == y[150:]).mean() > 0.9)
    ((50, 2), True)
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000, random_state=seed))
    model.fit(np.asarray(X_train, dtype=np.float64), np.asarray(y_train))
    return model.predict_proba(np.asarray(X_test, dtype=np.float64))
