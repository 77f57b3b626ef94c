"""Cross-corpus honesty: train on one corpus, test on another that the model never saw.

A researcher applies the course's model to recordings that are not RAVDESS: other voices, another
language, another microphone and room.  :func:`cross_corpus` measures exactly that: the course
recipe (:data:`utils.learn.recipes.COURSE`) is trained on every speaker of one corpus and tested on
every clip of another, on the emotions both share (``shared6``: calm merged into neutral,
surprised dropped; emotions of the test corpus outside the model's classes, such as EmoDB's
boredom, are left out of the scores).  It runs twice:

``single-clip``
    Each test clip is classified on its own, as :func:`utils.predict.clips.predict_folder` does.
``adapted``
    Per-speaker normalisation (:func:`utils.learn.scaling.speaker_normalize`) on both sides: the
    model is trained on speaker-normalised statistics, and each test speaker's statistics come from
    all of that speaker's clips (unlabelled; the labels are never used).  Legitimate only when
    several clips of each speaker are available; the statistics depend on each speaker's mix of
    emotions.

Reported per setting: accuracy, UAR, macro F1 (with chance levels), per-class recall with the
number of test clips, and the share of test clips predicted as each class (a model that answers
one class for most clips is not useful, whatever its accuracy).  ``benchmarks/cross_corpus.py`` is
the command line.

Examples
--------
>>> results = cross_corpus(scan_corpus("ravdess").table, scan_corpus("emodb").table, cache_dir="/tmp/c")  # doctest: +SKIP
>>> print(format_cross_corpus(results))                                                                    # doctest: +SKIP
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..data.corpora import EMOTIONS_SHARED, label_order
from ..data.scan import assign_labels
from ..features.extract import extract_corpus
from ..features.inputs import feature_set_inputs
from ..learn.labels import LabelEncoder
from ..learn.recipes import CONV, COURSE, ConvRecipe, CourseRecipe, train_conv_cv, train_course_cv, train_joint_cv
from ..learn.scaling import apply_scaler, speaker_normalize
from ..learn.training import corpus_weights
from .metrics import evaluate

SETTINGS = ("single-clip", "adapted")
"""The two ways :func:`cross_corpus` classifies the test corpus."""


MODELS = ("course", "conv", "joint")
"""What :func:`cross_corpus` can train: the course recipe, the Conv1D recipe, or both averaged."""


def _features(table: pd.DataFrame, recipe: CourseRecipe, cache_dir, n_jobs) -> tuple:
    """Statistics, Conv1D inputs, real frames and rows of every usable clip of ``table`` (clips that fail are left out)."""
    fs = extract_corpus(table, recipe.features, with_frames=True, cache_dir=cache_dir, progress=False, n_jobs=n_jobs)
    inputs = {"stats": feature_set_inputs(fs, recipe.input_kind), "frames": feature_set_inputs(fs, CONV.input_kind), "lengths": fs.rows["n_valid_frames"].to_numpy()}
    return inputs, fs.rows.reset_index(drop=True), fs.skipped


def _adapt(inputs: dict, speakers) -> dict:
    """Every speaker's inputs z-scored with that speaker's own statistics (labels unused)."""
    return {
        "stats": speaker_normalize(inputs["stats"], speakers),
        "frames": speaker_normalize(inputs["frames"], speakers, lengths=inputs["lengths"]),
        "lengths": inputs["lengths"],
    }


def _train_and_predict(model: str, train: dict, y, rows, n_classes: int, test: dict, known, recipe: CourseRecipe, conv: ConvRecipe, seed: int) -> np.ndarray:
    """Class predictions of the test clips ``known`` by ``model`` trained on ``train`` (each training corpus weighing the same)."""
    w = corpus_weights(rows["corpus"])
    if model == "course":
        ensemble, scaler, _ = train_course_cv(train["stats"], y, rows, n_classes, recipe=recipe, seed=seed, sample_weight=w)
        return ensemble.predict(apply_scaler(scaler, test["stats"][known]), verbose=0, batch_size=256).argmax(axis=1)
    if model == "conv":
        ensemble, scaler, _ = train_conv_cv(train["frames"], train["lengths"], y, rows, n_classes, recipe=conv, seed=seed, sample_weight=w)
        return ensemble.predict(apply_scaler(scaler, test["frames"][known]), verbose=0, batch_size=64).argmax(axis=1)
    joint, scaler, _ = train_joint_cv(train["frames"], train["lengths"], train["stats"], y, rows, n_classes, conv=conv, course=recipe, seed=seed, sample_weight=w)
    n_frame = train["frames"].shape[-1]
    mean, scale = np.asarray(scaler["mean"]), np.asarray(scaler["scale"])
    scaled = [((test["frames"][known] - mean[:n_frame]) / scale[:n_frame]).astype(np.float32), ((test["stats"][known] - mean[n_frame:]) / scale[n_frame:]).astype(np.float32)]
    return joint.predict(scaled, verbose=0, batch_size=64).argmax(axis=1)


def cross_corpus(train_table: pd.DataFrame, test_table: pd.DataFrame, *, model: str = "course", recipe: CourseRecipe = COURSE, conv: ConvRecipe = CONV, cache_dir=None, seed: int = 0, n_jobs: int = -1, log=None) -> dict:
    """Train the course recipe on one corpus and test it on another, single-clip and adapted.

    Parameters
    ----------
    train_table, test_table : pandas.DataFrame
        Clip tables (:func:`utils.data.scan.scan_corpus`); the test corpus's speakers must not
        be in the training table.  A training table of several corpora (e.g. RAVDESS and
        CREMA-D, concatenated) is trained with :func:`utils.learn.training.corpus_weights`, so
        that each corpus weighs the same in total.
    recipe, conv : CourseRecipe, ConvRecipe
        The two recipes (defaults :data:`~utils.learn.recipes.COURSE` and :data:`~utils.learn.recipes.CONV`).
    cache_dir : str or Path, optional
        Feature cache (:func:`utils.features.extract.extract_corpus`).
    seed : int
        Seed of the validation groups and the networks.
    n_jobs : int
        Feature processes.
    log : callable, optional
        Called with a progress line.

    Returns
    -------
    dict
        ``classes``, ``n_train`` (clips, speakers), ``n_test`` (clips, speakers, on the shared
        emotions), ``left_out`` (test clips per emotion outside the classes), ``skipped`` and,
        per setting of :data:`SETTINGS`, a dict with ``report`` (:class:`~utils.evaluation.metrics.Report`),
        ``predicted_share`` (Series: share of test clips predicted as each class) and
        ``train_seconds``.

    Raises
    ------
    ValueError
        A speaker in both tables, or no test clip with an emotion the model knows.
    """
    say = log or (lambda line: None)
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, not {model!r}")
    train = assign_labels(train_table, "shared6")
    shared = [e for e in EMOTIONS_SHARED if e in set(train["label"])]
    overlap = set(train["speaker"]) & set(test_table["speaker"])
    if overlap:
        raise ValueError(f"speakers {sorted(overlap)[:5]} are in both the training and the test table")
    test = test_table.assign(label=test_table["emotion"].replace({"calm": "neutral"}))
    encoder = LabelEncoder(label_order(shared))
    X_train, rows_train, skipped_train = _features(train, recipe, cache_dir, n_jobs)
    X_test, rows_test, skipped_test = _features(test, recipe, cache_dir, n_jobs)
    y_train = encoder.transform(rows_train["label"])
    known = rows_test["label"].isin(encoder.classes_).to_numpy()
    if not known.any():
        raise ValueError(f"no test clip has one of the model's emotions {encoder.classes_}")
    y_test = encoder.transform(rows_test.loc[known, "label"])
    out = {
        "classes": list(encoder.classes_),
        "n_train": (len(rows_train), rows_train["speaker"].nunique()),
        "n_test": (int(known.sum()), rows_test.loc[known, "speaker"].nunique()),
        "left_out": rows_test.loc[~known, "label"].value_counts().to_dict(),
        "skipped": pd.concat([skipped_train, skipped_test], ignore_index=True),
    }
    out["model"] = model
    for setting in SETTINGS:
        if setting == "adapted":
            X_tr = _adapt(X_train, rows_train["speaker"].to_numpy())
            X_te = _adapt(X_test, rows_test["speaker"].to_numpy())  # all of each speaker's clips, labels unused
        else:
            X_tr, X_te = X_train, X_test
        start = time.perf_counter()
        predicted = _train_and_predict(model, X_tr, y_train, rows_train, len(encoder.classes_), X_te, known, recipe, conv, seed)
        seconds = time.perf_counter() - start
        report = evaluate(y_test, predicted, encoder.classes_, groups=rows_test.loc[known, ["speaker"]].reset_index(drop=True))
        share = pd.Series(np.bincount(predicted, minlength=len(encoder.classes_)) / len(predicted), index=encoder.classes_, name="predicted share")
        out[setting] = {"report": report, "predicted_share": share, "train_seconds": seconds}
        say(f"{setting}: accuracy {report.accuracy:.3f}, UAR {report.uar:.3f} (chance {report.chance['uar']:.3f}); "
            f"most predicted {share.idxmax()} {share.max():.0%}; {seconds:.0f} s training")
    return out


def result_table(results: dict) -> pd.DataFrame:
    """One row per setting: accuracy, UAR, macro F1, chance, the most predicted class and its share."""
    rows = []
    for setting in SETTINGS:
        r, share = results[setting]["report"], results[setting]["predicted_share"]
        rows.append({
            "setting": setting, "accuracy": r.accuracy, "uar": r.uar, "macro_f1": r.macro_f1, "chance_uar": r.chance["uar"],
            "most_predicted": share.idxmax(), "most_predicted_share": float(share.max()), "train_seconds": results[setting]["train_seconds"],
        })
    return pd.DataFrame(rows)


def class_table(results: dict) -> pd.DataFrame:
    """Per class: test clips, recall and predicted share in each setting."""
    first = results[SETTINGS[0]]["report"]
    table = pd.DataFrame({"test clips": first.per_class["support"].astype(int)})
    for setting in SETTINGS:
        table[f"recall ({setting})"] = results[setting]["report"].per_class["recall"]
        table[f"predicted share ({setting})"] = results[setting]["predicted_share"]
    return table


def format_cross_corpus(results: dict, train_name: str = "training corpus", test_name: str = "test corpus") -> str:
    """The two tables as text, with the sizes and the emotions left out."""
    n_tr, s_tr = results["n_train"]
    n_te, s_te = results["n_test"]
    lines = [
        f"trained on {train_name}: {n_tr} clips, {s_tr} speakers; tested on {test_name}: {n_te} clips, {s_te} speakers",
        f"classes: {', '.join(results['classes'])}; left out of the test (no such class): {results['left_out'] or 'none'}",
        "",
        result_table(results).to_string(index=False, float_format=lambda v: f"{v:.3f}"),
        "",
        class_table(results).to_string(float_format=lambda v: f"{v:.3f}"),
    ]
    return "\n".join(lines)
