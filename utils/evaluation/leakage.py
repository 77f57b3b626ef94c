"""The leakage experiment: one quick model, the same data, three ways of splitting and augmenting.

(a) ``augment, then split randomly``
    every clip and its noisy copy are pooled and the pool is split at random, stratified by
    label: copies of test clips sit in the training set, and every speaker is on both sides
    (the way many tutorials do it).
(b) ``split randomly, augment training only``
    clips are split at random (stratified); only training clips get a noisy copy.  No copy leaks,
    but the test speakers' voices are still in the training set.
(c) ``split by speaker, augment training only``
    whole speakers go to training or test; only training clips get a noisy copy.  This is what a
    new user's recordings look like to the model.

The model is the same in all three (a scikit-learn multilayer perceptron with fixed settings and
early stopping on part of the training rows, so no test data is used to choose anything), and so
are the clips and the features.  Only the protocol differs, so the differences in test accuracy
are what the leaks invent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..learn.scaling import apply_scaler, fit_scaler
from ..learn.splits import random_split, speaker_split

PROTOCOLS = {
    "a": "augment, then split randomly",
    "b": "split randomly, augment training only",
    "c": "split by speaker, augment training only",
}


def quick_model(seed: int = 0):
    """The experiment's fixed model: an MLP with one hidden layer of 256 units and weight decay.

    It stops when its accuracy on a random tenth of the *training* rows has not improved for
    10 epochs (scikit-learn's ``early_stopping``), so no test row influences it.
    """
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(hidden_layer_sizes=(256,), alpha=1e-3, max_iter=300, early_stopping=True, n_iter_no_change=10, random_state=seed)


def _fit_score(X_train, y_train, X_test, y_test, seed: int) -> dict:
    """Scale on the training rows, fit the quick model, return accuracy and UAR on the test rows."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import accuracy_score, balanced_accuracy_score

    scaler = fit_scaler(X_train)
    model = quick_model(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(apply_scaler(scaler, X_train), y_train)
    predicted = model.predict(apply_scaler(scaler, X_test))
    return {
        "accuracy": accuracy_score(y_test, predicted),
        "uar": balanced_accuracy_score(y_test, predicted),
        "n_train": len(y_train),
        "n_test": len(y_test),
    }


def protocol_rows(protocol: str, table: pd.DataFrame, rows: pd.DataFrame, *, seed: int, test_size: float):
    """Row positions (into the feature rows) of the training and test sets of one protocol.

    Parameters
    ----------
    protocol : {"a", "b", "c"}
    table : pandas.DataFrame
        The clip table (one row per clip, columns of :func:`utils.data.scan.scan_corpus` plus
        ``label``), whose index labels are the ``rows["index"]`` values.
    rows : pandas.DataFrame
        ``FeatureSet.rows``: ``index`` and ``augmented`` for every feature row.

    Returns
    -------
    train, test : np.ndarray
    """
    if protocol == "a":
        pool = table.loc[rows["index"].to_numpy()].reset_index(drop=True)
        part = random_split(pool, test_size=test_size, val_size=0.0, seed=seed, stratify="label").to_numpy()
        return np.flatnonzero(part == "train"), np.flatnonzero(part == "test")
    if protocol == "b":
        part = random_split(table, test_size=test_size, val_size=0.0, seed=seed, stratify="label")
    elif protocol == "c":
        part = speaker_split(table, test_size=test_size, val_size=0.0, seed=seed)
    else:
        raise ValueError(f"protocol must be one of {sorted(PROTOCOLS)}, not {protocol!r}")
    clip_part = part.loc[rows["index"].to_numpy()].to_numpy()
    augmented = rows["augmented"].to_numpy(bool)
    train = np.flatnonzero(clip_part == "train")
    test = np.flatnonzero((clip_part == "test") & ~augmented)
    return train, test


def leakage_experiment(table: pd.DataFrame, features, *, seeds=(0, 1, 2), test_size: float = 0.2) -> pd.DataFrame:
    """Train and test the quick model under the three protocols, for several seeds.

    Parameters
    ----------
    table : pandas.DataFrame
        Clip table with a ``label`` column (:func:`utils.data.scan.assign_labels`), the one given
        to :func:`utils.features.extract.extract_corpus`.
    features : utils.features.featureset.FeatureSet
        Features of every clip in ``table`` *and* of one augmented copy of each (the experiment
        needs copies of all clips for protocol (a); protocols (b) and (c) use only the copies of
        their training clips).
    seeds : sequence of int
        One split and one model initialisation per seed.
    test_size : float
        Fraction of clips (a, b) or speakers (c) held out for testing.

    Returns
    -------
    pandas.DataFrame
        One row per protocol and seed: ``protocol``, ``description``, ``seed``, ``accuracy``,
        ``uar`` (unweighted average recall), ``n_train``, ``n_test``.
    """
    if "label" not in table.columns:
        raise ValueError("table needs a 'label' column (utils.data.scan.assign_labels)")
    if not features.rows["augmented"].any():
        raise ValueError("features hold no augmented copies; extract them with augmentations=[...]")
    if not set(features.rows["index"]) <= set(table.index):
        raise ValueError("features hold rows of clips that are not in table: extract them from this table")
    labels = table.loc[features.rows["index"].to_numpy(), "label"].to_numpy()
    results = []
    for seed in seeds:
        for protocol, description in PROTOCOLS.items():
            train, test = protocol_rows(protocol, table, features.rows, seed=seed, test_size=test_size)
            scores = _fit_score(features.X[train], labels[train], features.X[test], labels[test], seed)
            results.append({"protocol": protocol, "description": description, "seed": seed, **scores})
    return pd.DataFrame(results)


def leakage_summary(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds of accuracy and UAR, one row per protocol."""
    grouped = results.groupby(["protocol", "description"])[["accuracy", "uar"]]
    summary = grouped.agg(["mean", "std"])
    summary.columns = [f"{metric} {stat}" for metric, stat in summary.columns]
    return summary.reset_index()
