"""Speaker-independent benchmark on RAVDESS: the seed recipe against the course's recipe, fold by fold.

The protocol is EmoBox's (Ma et al. 2024) for RAVDESS: six folds, each holding out four actors
(:data:`EMOBOX_RAVDESS_FOLDS`), so every actor is a test speaker exactly once and every test
speaker is unseen.  Validation speakers always come from the fold's training actors, never from
its test actors: the course recipes deal the 20 training actors into five gender-balanced groups,
each held out by two of the ten ensemble members for early stopping (:func:`train_course_cv`),
and the members' out-of-fold predictions on those groups are the figure every choice of settings
looked at.  Scalers, and the statistics of per-speaker normalisation of training speakers, come from
training rows only; the statistics of a test speaker come from that speaker's own unlabelled
clips.

Recipes (:data:`RECIPES`):

``seed``
    The seed tutorial as its README describes it: 2.5 s from 0.6 s at 22,050 Hz, no trimming,
    180 pooled values (40 MFCC + 12 chroma + 128 mel means, :data:`SEED_CONFIG`), one noisy copy
    ``y + 0.035 max|y| N(0, 1)`` per training clip (``Augmentation("peak_noise", 0.035)``;
    all the fold's training actors, since the recipe uses no validation data), a
    StandardScaler on the training rows, :func:`utils.model.seed_conv1d` trained with Adam, batch
    64, 50 epochs, no early stopping, learning rate x0.4 after 2 epochs without a lower
    *training* loss (:func:`utils.model.train_fixed`).
``course``
    Pooled statistics of the frame sequences of :data:`COURSE_CONFIG` (MFCC with deltas, log-mel
    bands, pitch, voicing, energy and speaking rate: :func:`utils.features.frame_statistics`,
    429 values), standardised on the training rows, fed to :func:`utils.model.stats_mlp`
    trained with mixup (:func:`utils.model.train`); an ensemble of :data:`COURSE_SETTINGS`
    ``["n_models"]`` networks with different seeds, each stopped early on a group of held-out
    training speakers (:func:`train_course_cv`); the test prediction averages their
    probabilities.  The ensemble is one Keras model, saved as a bundle of input kind ``"stats"``
    (:mod:`utils.bundle`); :func:`course_statistics` computes its input.
    :func:`train_course_model` trains the same ensemble with one fixed validation set (notebook
    05 uses it to compare the recipe with other models on the same validation speakers).
``course+spk-norm``
    The same, after z-scoring every speaker's statistics with that speaker's own mean and
    standard deviation (:func:`utils.splits.speaker_normalize`).  Legitimate only where several
    unlabelled clips of each speaker are available at prediction time; reported separately.

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

from ..data.augment import Augmentation
from ..features.extract import FeatureConfig, extract_corpus, frame_statistics
from ..learn.splits import LabelEncoder, apply_scaler, fit_scaler, fixed_folds, speaker_groups, speaker_kfold, speaker_normalize

EMOBOX_RAVDESS_FOLDS = ([1, 11, 20, 21], [4, 10, 12, 14], [8, 9, 19, 23], [3, 5, 7, 24], [2, 15, 16, 18], [6, 13, 17, 22])
"""EmoBox's six RAVDESS folds: the four test actors of each."""

RECIPES = ("seed", "course", "course+spk-norm")
"""Recipes :func:`run_benchmark` knows."""

SEED_CONFIG = FeatureConfig(sr=22050, offset=0.6, duration=2.5, trim_db=None, n_fft=2048, hop_length=512)
"""The seed tutorial's features: 180 means (40 MFCC, 12 chroma, 128 mel) of 2.5 s from 0.6 s."""

SEED_AUGMENTATION = Augmentation("peak_noise", 0.035)
"""The seed tutorial's one noisy copy per training clip."""

SEED_SETTINGS = {"epochs": 50, "batch_size": 64, "lr_factor": 0.4, "lr_patience": 2}
"""The seed tutorial's training: Adam (1e-3), batch 64, 50 epochs, LR x0.4 on a training-loss plateau."""

COURSE_CONFIG = FeatureConfig(sr=16000, trim_db=30.0, n_fft=512, hop_length=160, n_mels=64, n_mfcc=40, n_frames=300, frame_features=("mfcc", "mel", "prosody"))
"""The course recipe's features: 16 kHz, silence trimmed at 30 dB, 32 ms frames every
10 ms, sequences of 40 MFCC + 64 mel bands + 4 prosody values (pitch, voicing, periodicity,
energy), pooled by :func:`utils.features.frame_statistics`."""

COURSE_SETTINGS = {
    "hidden": (256, 128),
    "dropout": 0.5,
    "input_noise": 0.1,
    "learning_rate": 1e-3,
    "batch_size": 32,
    "max_epochs": 200,
    "patience": 15,
    "class_weight": False,
    "mixup": 0.2,
    "n_models": 10,
    "n_groups": 5,
}
"""The course recipe's model and training settings (chosen on validation speakers: the
out-of-fold predictions of :func:`train_course_cv`)."""

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
        :func:`utils.corpus.scan_corpus` columns plus ``label``, one row per usable clip.
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
        ``"auto"``: :func:`utils.splits.speaker_kfold` with ``k`` folds (fewer if there are fewer
        speakers).  A list gives the test actors of each fold.
    n_val : int
        Fixed validation speakers per fold, drawn from that fold's training actors in proportion
        to gender (:func:`utils.splits.fixed_folds`); at most a fifth of them (at least one), so
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
        Course statistics, one row per clip (:func:`utils.features.frame_statistics`).
    course_names : list of str
        Names of the statistics.
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
    course_names: list = field(default_factory=list)
    seconds: dict = field(default_factory=dict)


def prepare_data(table: pd.DataFrame, recipes=RECIPES, *, cache_dir=None, n_jobs: int = -1) -> BenchmarkData:
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
        Feature cache (:func:`utils.features.extract_corpus`).  Required: the benchmark never
        writes into the repository's default cache.
    n_jobs : int
        Feature processes (-1: all cores).

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
    paths = table["path"].tolist()
    if "seed" in recipes:
        start = time.perf_counter()
        fs = extract_corpus(paths, SEED_CONFIG, augmentations=[SEED_AUGMENTATION], cache_dir=cache_dir, progress=False, n_jobs=n_jobs)
        _check_complete(fs, len(paths), "seed")
        data.seed_X, data.seed_clip, data.seed_augmented = fs.X, fs.rows["clip"].to_numpy(), fs.rows["augmented"].to_numpy(bool)
        data.seconds["seed"] = time.perf_counter() - start
    if any(r.startswith("course") for r in recipes):
        start = time.perf_counter()
        fs = extract_corpus(paths, COURSE_CONFIG, frames=True, cache_dir=cache_dir, progress=False, n_jobs=n_jobs)
        _check_complete(fs, len(paths), "course")
        data.course_X, data.course_names = course_statistics(fs, COURSE_CONFIG)
        data.seconds["course"] = time.perf_counter() - start
    return data


def course_statistics(feature_set, config: FeatureConfig = COURSE_CONFIG) -> tuple:
    """The course recipe's statistics of the rows of a FeatureSet extracted with ``frames=True``.

    :func:`utils.features.frame_statistics` of ``feature_set.frames`` over each row's
    ``n_valid_frames`` real frames: what :func:`prepare_data` computes, and what a bundle of input
    kind ``"stats"`` (:mod:`utils.bundle`) recomputes for a new clip.

    Parameters
    ----------
    feature_set : utils.features.FeatureSet
        From ``extract_corpus(paths, config, frames=True)``.
    config : FeatureConfig
        The configuration the set was extracted with (default :data:`COURSE_CONFIG`).

    Returns
    -------
    X : np.ndarray
        ``(n_rows, n_statistics)`` float32 (429 columns for :data:`COURSE_CONFIG`).
    names : list of str
        Name of every column.

    Examples
    --------
    >>> fs = extract_corpus(paths, COURSE_CONFIG, frames=True)     # doctest: +SKIP
    >>> X, names = course_statistics(fs)                          # doctest: +SKIP
    """
    if feature_set.frames is None:
        raise ValueError("the feature set has no frame sequences: extract it with frames=True")
    if getattr(feature_set, "config", config) != config:
        raise ValueError("the feature set was extracted with another FeatureConfig than the one given")
    return frame_statistics(feature_set.frames, feature_set.rows["n_valid_frames"].to_numpy(), config)


def _check_complete(fs, n_clips: int, name: str):
    """Every clip must have its original row, in order (a skipped clip would misalign labels)."""
    original = fs.rows[~fs.rows["augmented"]]
    if len(fs.skipped) or not np.array_equal(original["clip"].to_numpy(), np.arange(n_clips)):
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
        Speakers whose rows were used for training or validation (for the leakage check).
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


def run_seed_fold(data: BenchmarkData, split, *, epochs_scale: float = 1.0, seed: int = 0) -> FoldResult:
    """Train and apply the seed recipe on one fold (see the module docstring).

    Training rows are all the fold's training clips (``"train"`` and ``"val"``: the seed uses no
    validation data) and their noisy copies.
    """
    from ..learn.networks import seed_conv1d, set_determinism, train_fixed

    parts = _parts(split)
    clip = data.seed_clip
    pool = parts["train"] | parts["val"]
    train_rows = pool[clip]
    test_rows = parts["test"][clip] & ~data.seed_augmented
    scaler = fit_scaler(data.seed_X[train_rows])
    X = apply_scaler(scaler, data.seed_X)
    set_determinism(seed)
    model = seed_conv1d(X.shape[1], data.encoder.n_classes)
    epochs = max(1, round(SEED_SETTINGS["epochs"] * epochs_scale))
    start = time.perf_counter()
    _, n_epochs = train_fixed(
        model, X[train_rows], data.y[clip[train_rows]], epochs=epochs, batch_size=SEED_SETTINGS["batch_size"],
        lr_factor=SEED_SETTINGS["lr_factor"], lr_patience=SEED_SETTINGS["lr_patience"], seed=seed,
    )
    seconds = time.perf_counter() - start
    pred = model.predict(X[test_rows], verbose=0, batch_size=256).argmax(axis=1)
    none = np.zeros(len(parts["test"]), dtype=bool)
    return FoldResult(pred, np.zeros(0, dtype=int), seconds, float(n_epochs), int(train_rows.sum()), set(data.speakers[clip[train_rows]]), none)


def run_course_fold(data: BenchmarkData, split, *, spk_norm: bool = False, epochs_scale: float = 1.0, n_models: int | None = None, seed: int = 0, settings: dict | None = None) -> FoldResult:
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
        Ensemble size (default ``settings["n_models"]``).
    seed : int
        Seed of the validation groups; member ``m`` is seeded with ``seed + m``.
    settings : dict, optional
        Overrides of :data:`COURSE_SETTINGS`, for experiments judged on the out-of-fold
        predictions of the training speakers.

    Returns
    -------
    FoldResult
    """
    s = {**COURSE_SETTINGS, **(settings or {})}
    n_models = int(n_models or s["n_models"])
    parts = _parts(split)
    X = speaker_normalize(data.course_X, data.speakers) if spk_norm else data.course_X
    pool = parts["train"] | parts["val"]
    max_epochs = max(1, round(s["max_epochs"] * epochs_scale))
    ensemble, scaler, info = train_course_cv(
        X[pool], data.y[pool], data.table[pool].reset_index(drop=True), data.encoder.n_classes,
        settings={**s, "max_epochs": max_epochs, "n_models": n_models}, seed=seed,
    )
    test_pred = ensemble.predict(apply_scaler(scaler, X[parts["test"]]), verbose=0, batch_size=256).argmax(axis=1)
    return FoldResult(test_pred, info["oof_proba"].argmax(axis=1), info["seconds"], float(np.mean(info["epochs"])), int(pool.sum()), set(data.speakers[pool]), pool)


def train_course_model(X_train_stats, y_train, X_val_stats, y_val, n_classes: int, *, settings: dict = COURSE_SETTINGS, seed: int = 0):
    """Train the course recipe's ensemble, every member stopped early on the same validation rows.

    :func:`train_course_cv` is the recipe as the benchmark runs it; this variant, with one fixed
    validation set, lets the recipe be compared with other models on the same validation
    speakers.  A scaler is fitted on the training rows only and applied to both parts; then
    ``settings["n_models"]`` :func:`utils.model.stats_mlp` networks are trained, member ``m``
    seeded with ``seed + m`` (:func:`utils.model.set_determinism` before building it and as the
    seed of :func:`utils.model.train`), each stopped early on the validation rows (at most
    ``settings["max_epochs"]`` epochs, patience ``min(settings["patience"], max_epochs)``).  The
    members are joined by :func:`utils.model.ensemble_model` into one model averaging their
    probabilities, which :func:`utils.bundle.save_bundle` saves as one file (input kind
    ``"stats"``).

    Parameters
    ----------
    X_train_stats, X_val_stats : np.ndarray
        Unscaled statistics (:func:`course_statistics`) of the training and validation clips
        (validation: held-out *training* speakers, never test speakers).
    y_train, y_val : array of int
        Class indices.
    n_classes : int
    settings : dict
        :data:`COURSE_SETTINGS` or overrides of some of its keys.
    seed : int

    Returns
    -------
    ensemble : keras.Model
        Input ``(batch, n_statistics)`` scaled statistics, output the members' mean probabilities.
    scaler : sklearn.preprocessing.StandardScaler
        Fitted on ``X_train_stats``.
    info : dict
        ``epochs`` (list, epochs run per member), ``seconds`` (training wall-clock seconds, all
        members), ``n_models``, ``max_epochs``, ``patience``, ``seed`` and ``settings`` (JSON-ready).

    Examples
    --------
    >>> ensemble, scaler, info = train_course_model(X_tr, y_tr, X_va, y_va, 8)     # doctest: +SKIP
    >>> save_bundle("models/course", ensemble, COURSE_CONFIG, scaler, labels, input_kind="stats")  # doctest: +SKIP
    """
    from ..learn.networks import ensemble_model

    s = {**COURSE_SETTINGS, **(settings or {})}
    X_tr, X_va = np.asarray(X_train_stats), np.asarray(X_val_stats)
    if X_tr.ndim != 2 or X_va.ndim != 2 or X_tr.shape[1] != X_va.shape[1]:
        raise ValueError(f"training and validation statistics must be 2-D with the same columns, not {X_tr.shape} and {X_va.shape}")
    n_models, max_epochs = int(s["n_models"]), int(s["max_epochs"])
    if n_models < 1 or max_epochs < 1:
        raise ValueError(f"n_models and max_epochs must be at least 1, not {n_models} and {max_epochs}")
    scaler = fit_scaler(X_tr)
    X_tr, X_va = apply_scaler(scaler, X_tr), apply_scaler(scaler, X_va)
    members, epochs, seconds = [], [], 0.0
    for m in range(n_models):
        model, n, sec = _train_member(X_tr, y_train, X_va, y_val, n_classes, s, seed + m)
        members.append(model)
        epochs.append(n)
        seconds += sec
    info = _info(s, epochs, seconds, seed)
    return ensemble_model(members, name="course_ensemble"), scaler, info


def _train_member(X_tr, y_tr, X_va, y_va, n_classes: int, s: dict, seed: int):
    """One :func:`utils.model.stats_mlp` of the course recipe, early-stopped on ``X_va``.

    Returns the model, the epochs it ran and its training seconds.
    """
    from ..learn.networks import set_determinism, stats_mlp, train

    max_epochs = int(s["max_epochs"])
    set_determinism(seed)
    model = stats_mlp(X_tr.shape[1], n_classes, hidden=s["hidden"], dropout=s["dropout"], input_noise=s["input_noise"], learning_rate=s["learning_rate"])
    start = time.perf_counter()
    _, n = train(
        model, X_tr, y_tr, X_va, y_va, epochs=max_epochs, batch_size=s["batch_size"], class_weight=s["class_weight"],
        patience=min(s["patience"], max_epochs), seed=seed, mixup=s["mixup"],
    )
    return model, int(n), time.perf_counter() - start


def _info(s: dict, epochs: list, seconds: float, seed: int) -> dict:
    """The JSON-ready training record of a course ensemble."""
    return {
        "epochs": epochs, "seconds": seconds, "n_models": len(epochs), "max_epochs": int(s["max_epochs"]),
        "patience": int(min(s["patience"], s["max_epochs"])), "seed": int(seed),
        "settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in s.items()},
    }


def member_groups(table: pd.DataFrame, n_groups: int, *, seed: int = 0) -> list:
    """Deal the speakers of ``table`` into ``n_groups`` validation groups, one per ensemble member.

    :func:`utils.splits.speaker_kfold`: every speaker is in exactly one group, groups differ by
    at most one speaker and have a similar mix of genders (and corpora).  With fewer speakers
    than ``n_groups``, there are as many groups as speakers.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per clip with ``corpus``, ``gender`` and ``actor`` (or instead a ``speaker`` key
        ``"corpus:actor"``, as in a saved split), the training clips only.
    n_groups : int
        At least 2.
    seed : int

    Returns
    -------
    list of np.ndarray
        Boolean masks over the rows of ``table``, one per group.

    Examples
    --------
    >>> t = pd.DataFrame({"corpus": "ravdess", "actor": [1, 1, 2, 3, 4], "gender": ["male", "male", "female", "male", "female"]})
    >>> [m.astype(int).tolist() for m in member_groups(t, 2)]
    [[1, 1, 1, 0, 0], [0, 0, 0, 1, 1]]
    """
    from ..learn.splits import speaker_groups

    n_speakers = speaker_groups(table).nunique()
    if n_groups < 2 or n_speakers < 2:
        raise ValueError(f"rotating validation needs at least 2 groups and 2 speakers, not {n_groups} groups of {n_speakers} speaker(s)")
    return [np.asarray(split) == "test" for split in speaker_kfold(table, k=min(n_groups, n_speakers), seed=seed)]


def train_course_cv(X_stats, y, table: pd.DataFrame, n_classes: int, *, settings: dict = COURSE_SETTINGS, seed: int = 0):
    """Train the course recipe's ensemble on *all* training speakers, with rotating validation.

    The training speakers are dealt into ``settings["n_groups"]`` groups (:func:`member_groups`;
    fewer if there are fewer members or speakers).  Member ``m`` trains on every group but group
    ``m % n_groups`` and is stopped early on that group, so the members hold out different voices,
    every training speaker teaches most of the members, and no speaker has to be set aside for
    validation alone.  With ``n_models = 2 * n_groups`` (the recipe: 10 and 5), two members with
    different seeds share each held-out group.  The members' mean prediction on their own
    held-out group is an *out-of-fold* prediction: one honest validation score over all the
    training speakers (``info["oof_proba"]``), a steadier guide for choosing settings than a few
    validation speakers.  The scaler is fitted on all the training rows.

    This is how the benchmark trains the course recipes, and how notebook 05 trains the model it
    ships once the recipe has been chosen.  The test speakers must not be in ``X_stats``.

    Parameters
    ----------
    X_stats : np.ndarray
        Unscaled statistics (:func:`course_statistics`) of the training clips.
    y : array of int
        Class indices.
    table : pandas.DataFrame
        The same clips' ``corpus``, ``gender`` and ``actor`` or ``speaker`` (row ``i`` describes
        ``X_stats[i]``; see :func:`member_groups`).
    n_classes : int
    settings : dict
        :data:`COURSE_SETTINGS` or overrides of some of its keys.
    seed : int
        Seed of the groups; member ``m`` is seeded with ``seed + m``.

    Returns
    -------
    ensemble : keras.Model
        The members' mean probabilities (:func:`utils.model.ensemble_model`).
    scaler : sklearn.preprocessing.StandardScaler
    info : dict
        As :func:`train_course_model`, plus ``oof_proba`` (``(n, n_classes)``: every row's
        probabilities from the member that did not train on it) and ``groups`` (the speakers of
        each validation group).

    Examples
    --------
    >>> ensemble, scaler, info = train_course_cv(X, y, clips, 8)         # doctest: +SKIP
    >>> (info["oof_proba"].argmax(axis=1) == y).mean()                   # doctest: +SKIP
    """
    from ..learn.networks import ensemble_model
    from ..learn.splits import speaker_groups

    s = {**COURSE_SETTINGS, **(settings or {})}
    X = np.asarray(X_stats)
    y = np.asarray(y)
    if X.ndim != 2 or len(X) != len(y) or len(X) != len(table):
        raise ValueError(f"X_stats {X.shape}, y ({len(y)},) and table ({len(table)} rows) must describe the same clips")
    if int(s["max_epochs"]) < 1:
        raise ValueError(f"max_epochs must be at least 1, not {s['max_epochs']}")
    n_models = int(s["n_models"])
    if n_models < 2:
        raise ValueError(f"rotating validation needs at least 2 members, not n_models={n_models}")
    groups = member_groups(table, min(int(s["n_groups"]), n_models), seed=seed)
    scaler = fit_scaler(X)
    Xs = apply_scaler(scaler, X)
    oof = np.zeros((len(X), n_classes), dtype=np.float32)
    votes = np.zeros(len(X), dtype=np.float32)
    members, epochs, seconds = [], [], 0.0
    for m in range(n_models):
        held = groups[m % len(groups)]
        model, n, sec = _train_member(Xs[~held], y[~held], Xs[held], y[held], n_classes, s, seed + m)
        oof[held] += model.predict(Xs[held], verbose=0, batch_size=256)
        votes[held] += 1
        members.append(model)
        epochs.append(n)
        seconds += sec
    oof /= votes[:, None]
    info = _info(s, epochs, seconds, seed)
    keys = speaker_groups(table).to_numpy()
    info["groups"] = [sorted(set(keys[g])) for g in groups]
    info["oof_proba"] = oof
    return ensemble_model(members, name="course_ensemble"), scaler, info


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
