"""The pieces of the RAVDESS benchmark: clips, EmoBox's folds, features, and one recipe on one fold.

:mod:`utils.evaluation.benchmark` runs them all and formats the table; its docstring describes the
protocol and the recipes.  Here, :func:`benchmark_folds` defines the folds,
:func:`prepare_data` computes every feature once, and ``run_*_fold`` train one recipe on one
fold's training speakers and predict its test speakers, returning a :class:`FoldResult`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..features.extract import extract_corpus
from ..features.inputs import feature_set_inputs
from ..learn.labels import LabelEncoder
from ..learn.recipes import CONV, COURSE, SEED, ConvRecipe, CourseRecipe, SeedRecipe, train_conv_cv, train_course_cv
from ..learn.scaling import apply_scaler, fit_scaler, speaker_normalize
from ..learn.splits import fixed_folds, speaker_groups, speaker_kfold
from .baselines import OPENSMILE_SETS, logistic_baseline, opensmile_functionals

EMOBOX_RAVDESS_FOLDS = ([1, 11, 20, 21], [4, 10, 12, 14], [8, 9, 19, 23], [3, 5, 7, 24], [2, 15, 16, 18], [6, 13, 17, 22])
"""EmoBox's six RAVDESS folds: the four test actors of each."""


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
    conv_X, lengths : np.ndarray
        Conv1D inputs (:func:`utils.features.inputs.log_frames`) and real frames of every clip.
    opensmile : dict
        openSMILE functionals (one row per clip) by set name, for the baselines.
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
    conv_X: np.ndarray | None = None
    lengths: np.ndarray | None = None
    opensmile: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)


def _needs(recipes) -> set:
    """Feature families the recipes need (an ensemble needs both networks' inputs)."""
    out = set()
    for r in recipes:
        base = r.split("+")[0]
        out |= {"conv", "course"} if base == "ensemble" else {base}
    return out


FAMILIES = ("seed", "course", "conv", "ensemble", *OPENSMILE_SETS)
"""Recipe families (a recipe is a family, optionally with ``+spk-norm``)."""


def prepare_data(table: pd.DataFrame, recipes=("seed", "course", "conv"), *, cache_dir=None, n_jobs: int = -1, seed_recipe: SeedRecipe = SEED, course_recipe: CourseRecipe = COURSE, conv_recipe: ConvRecipe = CONV) -> BenchmarkData:
    """Compute (or read from the cache) the features of every clip for the given recipes.

    The seed recipe's noisy copies are computed for every clip, since every clip trains in five
    folds out of six; each fold then uses the copies of its *training* clips only.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`load_clips`.
    recipes : sequence of str
        Recipe names (:data:`utils.evaluation.benchmark.RECIPES`).
    cache_dir : str or Path
        Feature cache (:func:`utils.features.extract.extract_corpus`).  Required: the benchmark never
        writes into the repository's default cache.
    n_jobs : int
        Feature processes (-1: all cores).
    seed_recipe, course_recipe, conv_recipe : SeedRecipe, CourseRecipe, ConvRecipe
        Whose feature configurations to extract.

    Returns
    -------
    BenchmarkData
    """
    if cache_dir is None:
        raise ValueError("cache_dir is required (use a temporary folder)")
    unknown = [r for r in recipes if r.split("+")[0] not in FAMILIES]
    if unknown:
        raise ValueError(f"unknown recipe(s) {unknown}; known families: {FAMILIES}")
    encoder = LabelEncoder().fit(table["label"])
    data = BenchmarkData(table=table, encoder=encoder, y=encoder.transform(table["label"]), speakers=speaker_groups(table).to_numpy())
    needs = _needs(recipes)
    if "seed" in needs:
        start = time.perf_counter()
        fs = extract_corpus(table, seed_recipe.features, augmentations=[seed_recipe.augmentation], cache_dir=cache_dir, progress=False, n_jobs=n_jobs)
        _check_complete(fs, table, "seed")
        data.seed_X, data.seed_clip, data.seed_augmented = fs.X, table.index.get_indexer(fs.rows["index"]), fs.rows["augmented"].to_numpy(bool)
        data.seconds["seed"] = time.perf_counter() - start
    for name, recipe in (("course", course_recipe), ("conv", conv_recipe)):
        if name in needs:
            start = time.perf_counter()
            fs = extract_corpus(table, recipe.features, with_frames=True, cache_dir=cache_dir, progress=False, n_jobs=n_jobs)
            _check_complete(fs, table, name)
            if name == "course":
                data.course_X = feature_set_inputs(fs, recipe.input_kind)
            else:
                data.conv_X, data.lengths = feature_set_inputs(fs, recipe.input_kind), fs.rows["n_valid_frames"].to_numpy()
            data.seconds[name] = time.perf_counter() - start
    for name in OPENSMILE_SETS:
        if name in needs:
            start = time.perf_counter()
            data.opensmile[name] = opensmile_functionals(table["path"].astype(str).tolist(), name, cache_dir=cache_dir, n_jobs=2 if n_jobs != 1 else 1)
            data.seconds[name] = time.perf_counter() - start
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
    test_proba, val_proba : np.ndarray or None
        The probabilities behind ``test_pred`` and ``val_pred`` (the networks' recipes), for
        the ensembles.
    """

    test_pred: np.ndarray
    val_pred: np.ndarray
    train_seconds: float
    epochs: float
    n_train_rows: int
    train_speakers: set
    val_mask: np.ndarray
    test_proba: np.ndarray | None = None
    val_proba: np.ndarray | None = None


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
    test_proba = ensemble.predict(apply_scaler(scaler, X[parts["test"]]), verbose=0, batch_size=256)
    return FoldResult(
        test_proba.argmax(axis=1), info["oof_proba"].argmax(axis=1), info["seconds"], float(np.mean(info["epochs"])), int(pool.sum()),
        set().union(*info["groups"]), pool, test_proba, info["oof_proba"],
    )


def run_conv_fold(data: BenchmarkData, split, *, spk_norm: bool = False, epochs_scale: float = 1.0, n_models: int | None = None, seed: int = 0, recipe: ConvRecipe = CONV) -> FoldResult:
    """Train and apply the Conv1D recipe on one fold: :func:`utils.learn.recipes.train_conv_cv` on the training speakers.

    As :func:`run_course_fold`; with ``spk_norm`` every speaker's frame values are z-scored with
    that speaker's own statistics over their real frames.
    """
    n_models = int(n_models or recipe.n_models)
    parts = _parts(split)
    X = speaker_normalize(data.conv_X, data.speakers, lengths=data.lengths) if spk_norm else data.conv_X
    pool = parts["train"] | parts["val"]
    max_epochs = max(1, round(recipe.max_epochs * epochs_scale))
    ensemble, scaler, info = train_conv_cv(
        X[pool], data.lengths[pool], data.y[pool], data.table[pool].reset_index(drop=True), data.encoder.n_classes,
        recipe=recipe.replace(max_epochs=max_epochs, n_models=max(2, n_models)), seed=seed,
    )
    test_proba = ensemble.predict(apply_scaler(scaler, X[parts["test"]]), verbose=0, batch_size=64)
    return FoldResult(
        test_proba.argmax(axis=1), info["oof_proba"].argmax(axis=1), info["seconds"], float(np.mean(info["epochs"])), int(pool.sum()),
        set().union(*info["groups"]), pool, test_proba, info["oof_proba"],
    )


def ensemble_fold(conv: FoldResult, course: FoldResult) -> FoldResult:
    """The mean of two fold results' probabilities (same fold, same training speakers)."""
    if not np.array_equal(conv.val_mask, course.val_mask):
        raise ValueError("the two results describe different training clips")
    test = (conv.test_proba + course.test_proba) / 2
    val = (conv.val_proba + course.val_proba) / 2
    return FoldResult(
        test.argmax(axis=1), val.argmax(axis=1), conv.train_seconds + course.train_seconds, float("nan"), conv.n_train_rows,
        conv.train_speakers | course.train_speakers, conv.val_mask, test, val,
    )


def run_baseline_fold(data: BenchmarkData, split, name: str, *, spk_norm: bool = False, seed: int = 0) -> FoldResult:
    """An openSMILE baseline on one fold: logistic regression on all the fold's training actors.

    With ``spk_norm`` every speaker's functionals are z-scored with that speaker's own statistics
    first (test speakers' from their own unlabelled clips).  No validation data is used: ``C`` is
    fixed (:data:`utils.evaluation.baselines.LOGREG_C`).
    """
    parts = _parts(split)
    X = data.opensmile[name]
    X = speaker_normalize(X, data.speakers) if spk_norm else X
    pool = parts["train"] | parts["val"]
    start = time.perf_counter()
    proba = logistic_baseline(X[pool], data.y[pool], X[parts["test"]], seed=seed)
    seconds = time.perf_counter() - start
    none = np.zeros(len(pool), dtype=bool)
    return FoldResult(proba.argmax(axis=1), np.zeros(0, dtype=int), seconds, float("nan"), int(pool.sum()), set(data.speakers[pool]), none)
