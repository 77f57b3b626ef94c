"""Speaker-independent benchmark on RAVDESS: the seed recipe against the course's recipe, fold by fold.

The protocol is EmoBox's (Ma et al. 2024) for RAVDESS: six folds, each holding out four actors
(:data:`EMOBOX_RAVDESS_FOLDS`), so every actor is a test speaker exactly once and every test
speaker is unseen.  Validation speakers always come from the fold's training actors, never from
its test actors: the course recipes deal the 20 training actors into five gender-balanced groups,
each held out by two of the ten ensemble members for early stopping
(:func:`utils.learn.recipes.train_course_cv`),
and the members' out-of-fold predictions on those groups are the figure every choice of settings
looked at.  Scalers, and the statistics of per-speaker normalisation of training speakers, come from
training rows only; the statistics of a test speaker come from that speaker's own unlabelled
clips.

Recipes (:data:`RECIPES`) are those of :mod:`utils.learn.recipes`; the benchmark only measures
them:

``seed``
    :data:`utils.learn.recipes.SEED`, trained on all the fold's training actors (it uses no
    validation data).
``course``
    :data:`utils.learn.recipes.COURSE`, trained by :func:`utils.learn.recipes.train_course_cv`
    on all the fold's training actors; the test prediction averages the ensemble's
    probabilities.
``course+spk-norm``
    The same, after z-scoring every speaker's statistics with that speaker's own mean and
    standard deviation (:func:`utils.learn.scaling.speaker_normalize`).  Legitimate only where
    several unlabelled clips of each speaker are available at prediction time; reported
    separately.
``conv``
    :data:`utils.learn.recipes.CONV`, the course's Conv1D over time on ``log_frames``, trained by
    :func:`utils.learn.recipes.train_conv_cv` on all the fold's training actors.
``conv+spk-norm``
    The same after per-speaker normalisation of the frame values.
``ensemble`` (and ``ensemble+spk-norm``)
    The mean of the probabilities of ``conv`` and ``course`` (or of their ``+spk-norm``
    versions), both trained in the same run; its out-of-fold figure averages their out-of-fold
    probabilities alike.
``egemaps``, ``compare`` (and ``+spk-norm``)
    The field's baselines (:mod:`utils.evaluation.baselines`): openSMILE's eGeMAPS or ComParE
    2016 functionals with a logistic regression (C = 0.1, not tuned) trained on all the fold's
    training actors; they need the optional ``opensmile`` package.

Results are one row per recipe and fold (:func:`run_benchmark`), summarised as mean and standard
deviation over folds by :func:`summarize`.  ``benchmarks/ravdess_folds.py`` is the command line.

Examples
--------
>>> results = run_benchmark("path/to/ravdess", recipes=("seed", "course"), quick=True)  # doctest: +SKIP
>>> print(format_table(results))                                                        # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..learn.recipes import CLASS_CONV, CLASS_COURSE, CONV, COURSE
from .baselines import OPENSMILE_SETS
from .folds import (  # noqa: F401  (EMOBOX_RAVDESS_FOLDS, load_clips and benchmark_folds are part of the benchmark's interface)
    EMOBOX_RAVDESS_FOLDS,
    FoldResult,
    _parts,
    benchmark_folds,
    ensemble_fold,
    load_clips,
    prepare_data,
    run_baseline_fold,
    run_conv_fold,
    run_course_fold,
    run_seed_fold,
)

RECIPES = (
    "seed", "course", "course+spk-norm", "conv", "conv+spk-norm", "ensemble", "ensemble+spk-norm",
    "egemaps", "egemaps+spk-norm", "compare", "compare+spk-norm",
)
"""Recipes :func:`run_benchmark` knows."""

QUICK = {"epochs_scale": 0.1, "n_folds": 2, "n_models": 2}
"""What ``quick=True`` changes: epochs x0.1, the first two folds, two networks per ensemble."""

CHANCE = 1 / 8
"""Chance level (uniform guess) on RAVDESS's 8 classes."""


# --------------------------------------------------------------------------------------------
# The whole benchmark
# --------------------------------------------------------------------------------------------


def _scores(y_true, y_pred, labels) -> dict:
    from .metrics import evaluate

    if not len(y_true):
        return {"accuracy": np.nan, "uar": np.nan, "macro_f1": np.nan}
    r = evaluate(y_true, y_pred, labels)
    return {"accuracy": r.accuracy, "uar": r.uar, "macro_f1": r.macro_f1}


def run_benchmark(
    corpus,
    recipes=("seed", "course", "course+spk-norm"),
    *,
    folds="emobox",
    epochs_scale: float = 1.0,
    quick: bool = False,
    cache_dir=None,
    seed: int = 0,
    only_folds=None,
    class_path: bool = False,
    level_db=COURSE.features.level_db,
    log=None,
) -> pd.DataFrame:
    """Run every recipe on every fold and return one row per (recipe, fold).

    Parameters
    ----------
    corpus : str, Path or pandas.DataFrame
        A RAVDESS folder, or a clip table from :func:`load_clips`.
    recipes : sequence of str
        Any of :data:`RECIPES`.
    folds : "emobox", "auto" or list
        See :func:`benchmark_folds`.
    epochs_scale : float
        Multiplies every epoch count.
    quick : bool
        Apply :data:`QUICK`: fewer epochs, folds and ensemble members (a smoke test).
    cache_dir : str or Path, optional
        Feature cache; default a temporary folder removed afterwards.
    seed : int
        Seed of the validation groups (:func:`member_groups`) and of the models.
    only_folds : sequence of int, optional
        Run these folds only (1-based numbers of ``folds``), e.g. to finish a run in parts;
        the rows keep their fold numbers, so parts concatenate into the whole run.
    class_path : bool
        Train the Conv1D and statistics recipes as notebook 05's class path does
        (:data:`utils.learn.recipes.CLASS_CONV` and :data:`~utils.learn.recipes.CLASS_COURSE`).
    level_db : float or None
        :attr:`~utils.features.config.FeatureConfig.level_db` of the Conv1D and statistics
        recipes' features (default: theirs): every clip brought to this active level, or None
        for levels as recorded.
    log : callable, optional
        Called with a progress line after each fold.

    Returns
    -------
    pandas.DataFrame
        Columns ``recipe``, ``fold``, ``test_actors``, ``n_test``, ``accuracy``, ``uar``,
        ``macro_f1`` (test), ``val_accuracy``, ``val_uar`` (out-of-fold, over the training
        speakers; NaN for the seed recipe), ``train_seconds``, ``epochs``, ``n_train_rows``.
        ``run_benchmark(...).attrs`` holds ``feature_seconds`` and ``folds`` (the fold dicts,
        without the splits).

    Raises
    ------
    AssertionError
        If a test speaker's rows were used for training or validation (never expected).
    """
    import tempfile

    if epochs_scale <= 0:
        raise ValueError(f"epochs_scale must be positive, not {epochs_scale}")
    recipes = tuple(recipes)
    unknown = [r for r in recipes if r not in RECIPES]
    if unknown or not recipes:
        raise ValueError(f"unknown recipe(s) {unknown or recipes}; known: {RECIPES}")
    table = corpus if isinstance(corpus, pd.DataFrame) else load_clips(corpus)
    n_models = None
    conv_recipe, course_recipe = (CLASS_CONV, CLASS_COURSE) if class_path else (CONV, COURSE)
    conv_recipe, course_recipe = conv_recipe.at_level(level_db), course_recipe.at_level(level_db)
    if quick:
        epochs_scale *= QUICK["epochs_scale"]
        n_models = QUICK["n_models"]
    fold_list = benchmark_folds(table, folds, seed=seed)
    if quick:
        fold_list = fold_list[: QUICK["n_folds"]]
    if only_folds is not None:
        known = [f["fold"] for f in fold_list]
        missing = sorted(set(only_folds) - set(known))
        if missing or not only_folds:
            raise ValueError(f"only_folds {sorted(only_folds)}: fold(s) {missing or 'none'} not among the folds {known}")
        fold_list = [f for f in fold_list if f["fold"] in set(only_folds)]
    with tempfile.TemporaryDirectory(prefix="ser-benchmark-") as tmp:
        data = prepare_data(table, recipes, cache_dir=cache_dir or tmp, course_recipe=course_recipe, conv_recipe=conv_recipe)
    labels = data.encoder.classes_
    rows = []
    for f in fold_list:
        split = f["split"]
        parts = _parts(split)
        test_speakers = set(data.speakers[parts["test"]])
        done = {}
        for recipe in _run_order(recipes):
            base, spk = recipe.split("+")[0], recipe.endswith("spk-norm")
            suffix = "+spk-norm" if spk else ""
            if recipe == "seed":
                result = run_seed_fold(data, split, epochs_scale=epochs_scale, seed=seed)
            elif base in OPENSMILE_SETS:
                result = run_baseline_fold(data, split, base, spk_norm=spk, seed=seed)
            elif base == "ensemble":
                result = ensemble_fold(done["conv" + suffix], done["course" + suffix])
            elif base == "conv":
                result = run_conv_fold(data, split, spk_norm=spk, epochs_scale=epochs_scale, n_models=n_models, seed=seed, recipe=conv_recipe)
            else:
                result = run_course_fold(data, split, spk_norm=spk, epochs_scale=epochs_scale, n_models=n_models, seed=seed, recipe=course_recipe)
            done[recipe] = result
            if recipe not in recipes:
                continue
            if result.train_speakers & test_speakers:
                raise AssertionError(f"fold {f['fold']}: test speakers {sorted(result.train_speakers & test_speakers)} were used in training")
            test = _scores(data.y[parts["test"]], result.test_pred, labels)
            val = _scores(data.y[result.val_mask], result.val_pred, labels)
            rows.append({
                "recipe": recipe, "fold": f["fold"], "test_actors": " ".join(map(str, f["test"])),
                "n_test": int(parts["test"].sum()),
                **test, "val_accuracy": val["accuracy"], "val_uar": val["uar"],
                "train_seconds": result.train_seconds, "epochs": result.epochs, "n_train_rows": result.n_train_rows,
            })
            if log is not None:
                r = rows[-1]
                log(f"fold {f['fold']} {recipe:16s} test acc {r['accuracy']:.3f} UAR {r['uar']:.3f} F1 {r['macro_f1']:.3f} | "
                    f"out-of-fold acc {r['val_accuracy']:.3f} | {r['train_seconds']:.0f} s, {r['epochs']:.0f} epochs")
    out = pd.DataFrame(rows)
    order = {r: i for i, r in enumerate(recipes)}
    out = out.sort_values(["fold", "recipe"], key=lambda c: c.map(order) if c.name == "recipe" else c, kind="stable").reset_index(drop=True)
    out.attrs["feature_seconds"] = dict(data.seconds)
    out.attrs["folds"] = [{k: v for k, v in f.items() if k != "split"} for f in fold_list]
    return out


def _run_order(recipes) -> list:
    """The recipes in the order they must run: an ensemble after (and with) its two networks."""
    order = []
    for r in recipes:
        if r.startswith("ensemble"):
            suffix = r[len("ensemble"):]
            order += [x for x in ("conv" + suffix, "course" + suffix) if x not in order]
        if r not in order:
            order.append(r)
    return order


SUMMARY_COLUMNS = ("accuracy", "uar", "macro_f1", "val_accuracy", "train_seconds", "epochs")
"""Columns :func:`summarize` averages."""


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over folds of each recipe (one row per recipe).

    Parameters
    ----------
    results : pandas.DataFrame
        From :func:`run_benchmark`.

    Returns
    -------
    pandas.DataFrame
        Index: recipe (in the order of ``results``); columns ``<metric>_mean`` and
        ``<metric>_sd`` for :data:`SUMMARY_COLUMNS`, ``folds``, ``total_train_seconds`` and
        ``min_fold_accuracy``.
    """
    order = list(dict.fromkeys(results["recipe"]))
    grouped = results.groupby("recipe", sort=False)
    out = pd.DataFrame(index=pd.Index(order, name="recipe"))
    for c in SUMMARY_COLUMNS:
        out[f"{c}_mean"] = grouped[c].mean()
        out[f"{c}_sd"] = grouped[c].std(ddof=1)
    out["folds"] = grouped.size()
    out["total_train_seconds"] = grouped["train_seconds"].sum()
    out["min_fold_accuracy"] = grouped["accuracy"].min()
    return out


def _pct(value) -> str:
    """A fraction as a percentage with one decimal, or "-" for NaN."""
    return "-" if pd.isna(value) else f"{100 * value:.1f}"


def format_table(results: pd.DataFrame) -> str:
    """Per-fold rows and a ``mean ± sd`` row per recipe, as text (percentages for the scores).

    Also states the chance level and, when both are present, the gain of the course recipe over
    the seed recipe as a ratio of mean accuracies from this one run.
    """
    lines = []
    header = f"{'recipe':16s} {'fold':>4s} {'test actors':12s} {'WA %':>12s} {'UAR %':>12s} {'macro F1 %':>12s} {'OOF WA %':>9s} {'train s':>9s} {'epochs':>7s}"
    lines.append(header)
    lines.append("-" * len(header))
    summary = summarize(results)
    for recipe in summary.index:
        for _, r in results[results["recipe"] == recipe].iterrows():
            lines.append(
                f"{recipe:16s} {r['fold']:>4d} {r['test_actors']:12s} {100 * r['accuracy']:>12.1f} {100 * r['uar']:>12.1f} "
                f"{100 * r['macro_f1']:>12.1f} {_pct(r['val_accuracy']):>9s} {r['train_seconds']:>9.1f} {r['epochs']:>7.1f}"
            )
        s = summary.loc[recipe]

        def ms(c, scale=100.0, fmt=".1f"):
            sd = s[f"{c}_sd"]
            sd = 0.0 if pd.isna(sd) else sd
            return f"{scale * s[f'{c}_mean']:{fmt}} ± {scale * sd:{fmt}}"

        lines.append(
            f"{recipe:16s} {'mean':>4s} {'':12s} {ms('accuracy'):>12s} {ms('uar'):>12s} {ms('macro_f1'):>12s} "
            f"{_pct(s['val_accuracy_mean']):>9s} {s['train_seconds_mean']:>9.1f} {s['epochs_mean']:>7.1f}"
        )
        lines.append(f"{'':16s} total training {s['total_train_seconds']:.0f} s over {int(s['folds'])} folds; worst fold WA {100 * s['min_fold_accuracy']:.1f}%")
        lines.append("")
    lines.append(f"chance level: {100 * CHANCE:.1f}% (1/8 classes; UAR and macro F1 likewise)")
    lines.append("OOF WA: out-of-fold accuracy on the fold's training speakers, each clip predicted by the member that")
    lines.append("held its speaker out (the figure settings are chosen on; the seed recipe has no validation)")
    if "seed" in summary.index:
        base = summary.loc["seed", "accuracy_mean"]
        for recipe in summary.index:
            if recipe != "seed" and base > 0:
                lines.append(f"gain {recipe} / seed (mean WA, this run): {summary.loc[recipe, 'accuracy_mean'] / base:.2f}x")
    return "\n".join(lines)
