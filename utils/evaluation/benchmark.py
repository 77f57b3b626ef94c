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

Results are one row per recipe and fold (:func:`run_benchmark`), summarised as mean and standard
deviation over folds by :func:`summarize`.  ``benchmarks/ravdess_folds.py`` is the command line.

Examples
--------
>>> results = run_benchmark("path/to/ravdess", recipes=("seed", "course"), quick=True)  # doctest: +SKIP
>>> print(format_table(results))                                                        # doctest: +SKIP
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..features.extract import extract_corpus
from ..features.inputs import feature_set_inputs
from ..learn.labels import LabelEncoder
from ..learn.recipes import COURSE, SEED, CourseRecipe, SeedRecipe, train_course_cv
from ..learn.scaling import apply_scaler, fit_scaler, speaker_normalize
from ..learn.splits import fixed_folds, speaker_groups, speaker_kfold

EMOBOX_RAVDESS_FOLDS = ([1, 11, 20, 21], [4, 10, 12, 14], [8, 9, 19, 23], [3, 5, 7, 24], [2, 15, 16, 18], [6, 13, 17, 22])
"""EmoBox's six RAVDESS folds: the four test actors of each."""

RECIPES = ("seed", "course", "course+spk-norm")
"""Recipes :func:`run_benchmark` knows."""

QUICK = {"epochs_scale": 0.1, "n_folds": 2, "n_models": 2}
"""What ``quick=True`` changes: epochs x0.1, the first two folds, two networks per ensemble."""

CHANCE = 1 / 8
"""Chance level (uniform guess) on RAVDESS's 8 classes."""


# --------------------------------------------------------------------------------------------
# Clips and folds
# --------------------------------------------------------------------------------------------


def load_clips(root) -> pd.DataFrame:
    """The RAVDESS speech clips below ``root`` with their ``label`` (8 emotions).

    Song clips (``channel == "song"``), if any, are left out.

    Parameters
    ----------
    root : str or Path
        A RAVDESS folder (any layout; the demo corpus's RAVDESS part works too).

    Returns
    -------
    pandas.DataFrame
        :func:`utils.data.scan.scan_corpus` columns plus ``label``, one row per usable clip.
    """
    from ..data.scan import assign_labels, scan_corpus

    table = scan_corpus(root, read_samples=False).table
    table = table[(table["corpus"] == "ravdess") & (table["channel"] == "speech")].reset_index(drop=True)
    if table.empty:
        raise ValueError(f"no RAVDESS speech clips below {root}")
    return assign_labels(table, "ravdess8")


def benchmark_folds(table: pd.DataFrame, folds="emobox", *, n_val: int = 0, seed: int = 0, k: int = 6) -> list:
    """The test, validation and training speakers of every fold.

    Parameters
    ----------
    table : pandas.DataFrame
        Clips (``corpus``, ``actor``, ``gender``), e.g. from :func:`load_clips`.
    folds : "emobox", "auto" or list of lists of int
        ``"emobox"``: :data:`EMOBOX_RAVDESS_FOLDS`, keeping in each fold the actors present in
        ``table`` and dropping folds left empty (the demo corpus has actors 1-8 only).
        ``"auto"``: :func:`utils.learn.splits.speaker_kfold` with ``k`` folds (fewer if there are fewer
        speakers).  A list gives the test actors of each fold.
    n_val : int
        Fixed validation speakers per fold, drawn from that fold's training actors in proportion
        to gender (:func:`utils.learn.splits.fixed_folds`); at most a fifth of them (at least one), so
        a small corpus keeps most of its speakers for training (RAVDESS: 4 of 20).  Default 0:
        none, as :func:`run_benchmark` uses them (the course recipes rotate their validation
        speakers among the training actors, :func:`train_course_cv`).
    seed : int
        Seed of the validation draws (fold ``i`` uses ``seed + i``).
    k : int
        Number of folds for ``"auto"``.

    Returns
    -------
    list of dict
        Per fold: ``fold`` (1-based), ``test``, ``val``, ``train`` (sorted actor numbers) and
        ``split`` (a Series of ``"train"``/``"val"``/``"test"`` aligned with ``table``).

    Examples
    --------
    >>> folds = benchmark_folds(load_clips("path/to/ravdess"))     # doctest: +SKIP
    >>> folds[0]["test"]                                            # doctest: +SKIP
    [1, 11, 20, 21]
    """
    actors = set(int(a) for a in table["actor"])
    if isinstance(folds, str) and folds == "auto":
        n_speakers = len(actors)
        if n_speakers < 3:
            raise ValueError(f"--folds auto needs at least 3 speakers, not {n_speakers}")
        kfold = speaker_kfold(table, k=min(k, n_speakers), seed=seed)
        groups = [sorted(int(a) for a in table.loc[np.asarray(s) == "test", "actor"].unique()) for s in kfold]
    else:
        source = EMOBOX_RAVDESS_FOLDS if isinstance(folds, str) and folds == "emobox" else folds
        if isinstance(source, str):
            raise ValueError(f"folds must be 'emobox', 'auto' or a list of lists of actors, not {folds!r}")
        groups = [[int(a) for a in fold if int(a) in actors] for fold in source]
        groups = [g for g in groups if g]
    if not groups:
        raise ValueError("no fold has a test actor in this corpus")
    out = []
    for i, test in enumerate(groups):
        n_train = len(actors - set(test))
        if n_train < 2:
            raise ValueError(f"fold {i + 1} leaves {n_train} training actor(s); at least 2 are needed (one for validation)")
        val_size = min(n_val, max(1, round(n_train / 5))) / n_train if n_val > 0 else 0.0
        split = fixed_folds(table, [test], corpus="ravdess", val_size=val_size, seed=seed + i)[0]
        parts = {p: sorted(int(a) for a in table.loc[split == p, "actor"].unique()) for p in ("train", "val", "test")}
        out.append({"fold": i + 1, **parts, "split": split})
    return out


# --------------------------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------------------------


@dataclass
class BenchmarkData:
    """Clips, labels and the features every recipe needs.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per clip (:func:`load_clips`).
    encoder : LabelEncoder
    y : np.ndarray
        Class index of every clip.
    speakers : np.ndarray
        Speaker key of every clip.
    seed_X, seed_clip, seed_augmented : np.ndarray
        Seed features: rows, the clip of each row, and whether the row is a noisy copy.
    course_X : np.ndarray
        Course statistics, one row per clip (:func:`utils.features.inputs.frame_statistics`).
    seconds : dict
        Feature seconds per recipe family.
    """

    table: pd.DataFrame
    encoder: LabelEncoder
    y: np.ndarray
    speakers: np.ndarray
    seed_X: np.ndarray | None = None
    seed_clip: np.ndarray | None = None
    seed_augmented: np.ndarray | None = None
    course_X: np.ndarray | None = None
    seconds: dict = field(default_factory=dict)


def prepare_data(table: pd.DataFrame, recipes=RECIPES, *, cache_dir=None, n_jobs: int = -1, seed_recipe: SeedRecipe = SEED, course_recipe: CourseRecipe = COURSE) -> BenchmarkData:
    """Compute (or read from the cache) the features of every clip for the given recipes.

    The seed recipe's noisy copies are computed for every clip, since every clip trains in five
    folds out of six; each fold then uses the copies of its *training* clips only.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`load_clips`.
    recipes : sequence of str
        Any of :data:`RECIPES`.
    cache_dir : str or Path
        Feature cache (:func:`utils.features.extract.extract_corpus`).  Required: the benchmark never
        writes into the repository's default cache.
    n_jobs : int
        Feature processes (-1: all cores).
    seed_recipe, course_recipe : SeedRecipe, CourseRecipe
        Whose feature configurations to extract.

    Returns
    -------
    BenchmarkData
    """
    if cache_dir is None:
        raise ValueError("cache_dir is required (use a temporary folder)")
    unknown = [r for r in recipes if r not in RECIPES]
    if unknown:
        raise ValueError(f"unknown recipe(s) {unknown}; known: {RECIPES}")
    encoder = LabelEncoder().fit(table["label"])
    data = BenchmarkData(table=table, encoder=encoder, y=encoder.transform(table["label"]), speakers=speaker_groups(table).to_numpy())
    if "seed" in recipes:
        start = time.perf_counter()
        fs = extract_corpus(table, seed_recipe.features, augmentations=[seed_recipe.augmentation], cache_dir=cache_dir, progress=False, n_jobs=n_jobs)
        _check_complete(fs, table, "seed")
        data.seed_X, data.seed_clip, data.seed_augmented = fs.X, table.index.get_indexer(fs.rows["index"]), fs.rows["augmented"].to_numpy(bool)
        data.seconds["seed"] = time.perf_counter() - start
    if any(r.startswith("course") for r in recipes):
        start = time.perf_counter()
        fs = extract_corpus(table, course_recipe.features, with_frames=True, cache_dir=cache_dir, progress=False, n_jobs=n_jobs)
        _check_complete(fs, table, "course")
        data.course_X = feature_set_inputs(fs, course_recipe.input_kind)
        data.seconds["course"] = time.perf_counter() - start
    return data


def _check_complete(fs, table: pd.DataFrame, name: str):
    """Every clip must have its original row: the folds are defined on the whole table."""
    original = fs.rows[~fs.rows["augmented"]]
    if len(fs.skipped) or set(original["index"]) != set(table.index):
        raise ValueError(f"{name} features: {len(fs.skipped)} clip(s) could not be used: {fs.skipped.head().to_dict('records')}")


# --------------------------------------------------------------------------------------------
# One fold of one recipe
# --------------------------------------------------------------------------------------------


@dataclass
class FoldResult:
    """Predictions and costs of one recipe on one fold.

    Attributes
    ----------
    test_pred : np.ndarray
        Predicted class indices of the fold's test clips (in table order).
    val_pred : np.ndarray
        Validation predictions of the clips in ``val_mask`` (in table order): for the course
        recipes, out-of-fold predictions of every training clip by the member that held its
        speaker out (:func:`train_course_cv`); empty for the seed recipe, which has none.
    train_seconds : float
        Wall-clock seconds of training (all ensemble members), features excluded.
    epochs : float
        Epochs run (mean over ensemble members).
    n_train_rows : int
        Training rows (augmented copies included).
    train_speakers : set
        Speakers of the rows the networks were actually given for training or validation (for the
        course recipes, the speakers of the validation groups that ``train_course_cv`` formed
        from its training table), for the leakage check of :func:`run_benchmark`.
    val_mask : np.ndarray
        Clips (boolean, table order) that ``val_pred`` describes.
    """

    test_pred: np.ndarray
    val_pred: np.ndarray
    train_seconds: float
    epochs: float
    n_train_rows: int
    train_speakers: set
    val_mask: np.ndarray


def _parts(split) -> dict:
    values = np.asarray(split)
    return {p: values == p for p in ("train", "val", "test")}


def run_seed_fold(data: BenchmarkData, split, *, epochs_scale: float = 1.0, seed: int = 0, recipe: SeedRecipe = SEED) -> FoldResult:
    """Train and apply the seed recipe on one fold (see the module docstring).

    Training rows are all the fold's training clips (``"train"`` and ``"val"``: the seed uses no
    validation data) and their noisy copies.
    """
    from ..learn.networks import seed_conv1d
    from ..learn.training import set_determinism, train_fixed

    parts = _parts(split)
    clip = data.seed_clip
    pool = parts["train"] | parts["val"]
    train_rows = pool[clip]
    test_rows = parts["test"][clip] & ~data.seed_augmented
    scaler = fit_scaler(data.seed_X[train_rows])
    X = apply_scaler(scaler, data.seed_X)
    set_determinism(seed)
    model = seed_conv1d(X.shape[1], data.encoder.n_classes)
    epochs = max(1, round(recipe.epochs * epochs_scale))
    start = time.perf_counter()
    _, n_epochs = train_fixed(
        model, X[train_rows], data.y[clip[train_rows]], epochs=epochs, batch_size=recipe.batch_size,
        lr_factor=recipe.lr_factor, lr_patience=recipe.lr_patience, seed=seed,
    )
    seconds = time.perf_counter() - start
    pred = model.predict(X[test_rows], verbose=0, batch_size=256).argmax(axis=1)
    none = np.zeros(len(parts["test"]), dtype=bool)
    return FoldResult(pred, np.zeros(0, dtype=int), seconds, float(n_epochs), int(train_rows.sum()), set(data.speakers[clip[train_rows]]), none)


def run_course_fold(data: BenchmarkData, split, *, spk_norm: bool = False, epochs_scale: float = 1.0, n_models: int | None = None, seed: int = 0, recipe: CourseRecipe = COURSE) -> FoldResult:
    """Train and apply the course recipe on one fold: :func:`train_course_cv` on the training speakers.

    All the fold's training speakers (``"train"`` and ``"val"``) train the ensemble, each member
    held out from a different group of them for early stopping; the test speakers are never
    seen.

    Parameters
    ----------
    data : BenchmarkData
    split : pandas.Series
        ``"train"``/``"val"``/``"test"`` per clip.
    spk_norm : bool
        Per-speaker normalisation (the ``course+spk-norm`` recipe).
    epochs_scale : float
        Multiplies the maximum number of epochs.
    n_models : int, optional
        Ensemble size (default ``recipe.n_models``).
    seed : int
        Seed of the validation groups; member ``m`` is seeded with ``seed + m``.
    recipe : CourseRecipe
        Default :data:`utils.learn.recipes.COURSE`; a variant (``COURSE.replace(...)``) for
        experiments judged on the out-of-fold predictions of the training speakers.

    Returns
    -------
    FoldResult
    """
    n_models = int(n_models or recipe.n_models)
    parts = _parts(split)
    X = speaker_normalize(data.course_X, data.speakers) if spk_norm else data.course_X
    pool = parts["train"] | parts["val"]
    max_epochs = max(1, round(recipe.max_epochs * epochs_scale))
    ensemble, scaler, info = train_course_cv(
        X[pool], data.y[pool], data.table[pool].reset_index(drop=True), data.encoder.n_classes,
        recipe=recipe.replace(max_epochs=max_epochs, n_models=n_models), seed=seed,
    )
    test_pred = ensemble.predict(apply_scaler(scaler, X[parts["test"]]), verbose=0, batch_size=256).argmax(axis=1)
    return FoldResult(test_pred, info["oof_proba"].argmax(axis=1), info["seconds"], float(np.mean(info["epochs"])), int(pool.sum()), set().union(*info["groups"]), pool)


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
    if quick:
        epochs_scale *= QUICK["epochs_scale"]
        n_models = QUICK["n_models"]
    fold_list = benchmark_folds(table, folds, seed=seed)
    if quick:
        fold_list = fold_list[: QUICK["n_folds"]]
    with tempfile.TemporaryDirectory(prefix="ser-benchmark-") as tmp:
        data = prepare_data(table, recipes, cache_dir=cache_dir or tmp)
    labels = data.encoder.classes_
    rows = []
    for f in fold_list:
        split = f["split"]
        parts = _parts(split)
        test_speakers = set(data.speakers[parts["test"]])
        for recipe in recipes:
            if recipe == "seed":
                result = run_seed_fold(data, split, epochs_scale=epochs_scale, seed=seed)
            else:
                result = run_course_fold(data, split, spk_norm=recipe.endswith("spk-norm"), epochs_scale=epochs_scale, n_models=n_models, seed=seed)
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
    out.attrs["feature_seconds"] = dict(data.seconds)
    out.attrs["folds"] = [{k: v for k, v in f.items() if k != "split"} for f in fold_list]
    return out


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
