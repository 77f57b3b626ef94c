"""The course's two training recipes as frozen objects, and how the course recipe is trained.

:data:`SEED` (:class:`SeedRecipe`)
    The seed tutorial as its README describes it: 2.5 s from 0.6 s at 22,050 Hz, no trimming,
    180 pooled values (40 MFCC + 12 chroma + 128 mel means), one noisy copy
    ``y + 0.035 max|y| N(0, 1)`` per training clip, a StandardScaler on the training rows,
    :func:`utils.learn.networks.seed_conv1d` trained with Adam, batch 64, 50 epochs, no early
    stopping, learning rate x0.4 after 2 epochs without a lower *training* loss
    (:func:`utils.learn.training.train_fixed`).
:data:`COURSE` (:class:`CourseRecipe`)
    Pooled statistics of frame sequences (MFCC with deltas, log-mel bands, pitch, voicing,
    energy and speaking rate; input kind ``"stats"`` of :mod:`utils.features.inputs`),
    standardised on the training rows, fed to an ensemble of
    :func:`utils.learn.networks.stats_mlp` networks trained with mixup, each stopped early on a
    group of held-out training speakers (:func:`train_course_cv`).  Every setting was chosen on
    validation speakers (the out-of-fold predictions of :func:`train_course_cv`), never on test
    speakers.

A recipe rejects unknown settings: ``COURSE.replace(dropout=0.4)`` gives a variant,
``COURSE.replace(droput=0.4)`` raises ValueError.  The benchmark
(:mod:`utils.evaluation.benchmark`) measures these recipes; notebook 05 trains with them.

Examples
--------
>>> COURSE.n_models, COURSE.features.frame_features
(10, ('mfcc', 'mel', 'prosody'))
>>> COURSE.replace(droput=0.4)
Traceback (most recent call last):
...
ValueError: CourseRecipe has no setting(s) ['droput']; its settings: ['features', 'input_kind', 'hidden', 'dropout', 'input_noise', 'learning_rate', 'batch_size', 'max_epochs', 'patience', 'class_weight', 'mixup', 'n_models', 'n_groups']
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.augment import Augmentation
from ..features.config import FeatureConfig
from .scaling import apply_scaler, fit_scaler
from .splits import speaker_groups, speaker_kfold


class _Recipe:
    """Shared behaviour of the recipes: checked variants and a JSON-ready description."""

    def replace(self, **changes):
        """A copy with some settings changed; unknown settings raise ValueError naming them."""
        names = [f.name for f in dataclasses.fields(self)]
        unknown = sorted(set(changes) - set(names))
        if unknown:
            raise ValueError(f"{type(self).__name__} has no setting(s) {unknown}; its settings: {names}")
        return dataclasses.replace(self, **changes)

    def at_level(self, level_db):
        """A copy whose features bring every clip to ``level_db`` dBFS of active level (None: levels as recorded).

        >>> COURSE.at_level(None).features.level_db is None, COURSE.at_level(-25.0).features.level_db
        (True, -25.0)
        """
        return self.replace(features=dataclasses.replace(self.features, level_db=level_db))

    def to_dict(self) -> dict:
        """Plain JSON-ready values (the feature configuration and augmentation as dicts)."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, FeatureConfig):
                value = value.to_dict()
            elif isinstance(value, Augmentation):
                value = dataclasses.asdict(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out


def _positive(recipe, *names):
    for name in names:
        value = getattr(recipe, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"{type(recipe).__name__}.{name} must be positive, not {value!r}")


@dataclass(frozen=True)
class SeedRecipe(_Recipe):
    """The seed tutorial's recipe (see the module docstring); the benchmark's baseline.

    Parameters
    ----------
    features : FeatureConfig
        180 means (40 MFCC, 12 chroma, 128 mel) of 2.5 s from 0.6 s at 22,050 Hz.
    augmentation : Augmentation
        One noisy copy per training clip, noise of 0.035 times the clip's peak.
    epochs, batch_size : int
        Adam, batch 64, 50 epochs, no early stopping.
    lr_factor : float
        The learning rate is multiplied by this after ``lr_patience`` epochs without a lower
        training loss.
    lr_patience : int
    """

    features: FeatureConfig = FeatureConfig(sr=22050, offset=0.6, duration=2.5, trim_db=None, n_fft=2048, hop_length=512)
    augmentation: Augmentation = Augmentation("peak_noise", 0.035)
    epochs: int = 50
    batch_size: int = 64
    lr_factor: float = 0.4
    lr_patience: int = 2

    def __post_init__(self):
        _positive(self, "epochs", "batch_size", "lr_patience")
        if not 0 < self.lr_factor < 1:
            raise ValueError(f"SeedRecipe.lr_factor must be in (0, 1), not {self.lr_factor!r}")


@dataclass(frozen=True)
class CourseRecipe(_Recipe):
    """The course recipe (see the module docstring): an ensemble of dense networks on statistics.

    Parameters
    ----------
    features : FeatureConfig
        16 kHz, silence trimmed at 30 dB, every clip brought to an active level of -30 dBFS (so
        that a recording's gain does not change its features; ``level_db``), 32 ms frames every
        10 ms, sequences of 40 MFCC + 64 mel bands + 4 prosody values, pooled by
        :func:`utils.features.inputs.frame_statistics`.
    input_kind : str
        ``"stats"``: what the networks take.
    hidden : tuple of int
        Units of the hidden layers of :func:`utils.learn.networks.stats_mlp`.
    dropout, input_noise, learning_rate : float
        Its dropout after each hidden layer, Gaussian input noise and Adam's learning rate.
    batch_size, max_epochs, patience : int
        Training: at most ``max_epochs`` epochs, stopped ``patience`` epochs after the last
        lower validation loss.
    class_weight : bool
        Weight the loss by class frequency (not combined with mixup).
    mixup : float
        Mixup's Beta parameter (0 disables it).
    n_models : int
        Networks in the ensemble (different seeds).
    n_groups : int
        Groups of training speakers the members hold out in turn (:func:`train_course_cv`).
    """

    features: FeatureConfig = FeatureConfig(sr=16000, trim_db=30.0, level_db=-30.0, n_fft=512, hop_length=160, n_mels=64, n_mfcc=40, n_frames=300, frame_features=("mfcc", "mel", "prosody"))
    input_kind: str = "stats"
    hidden: tuple = (256, 128)
    dropout: float = 0.5
    input_noise: float = 0.1
    learning_rate: float = 1e-3
    batch_size: int = 32
    max_epochs: int = 200
    patience: int = 15
    class_weight: bool = False
    mixup: float = 0.2
    n_models: int = 10
    n_groups: int = 5

    def __post_init__(self):
        _positive(self, "learning_rate", "batch_size", "max_epochs", "patience", "n_models", "n_groups")
        if self.input_kind != "stats":
            raise ValueError(f"CourseRecipe.input_kind must be 'stats', not {self.input_kind!r}")
        if not 0 <= self.dropout < 1 or self.input_noise < 0 or self.mixup < 0:
            raise ValueError("CourseRecipe: dropout must be in [0, 1), input_noise and mixup >= 0")
        if self.mixup > 0 and self.class_weight:
            raise ValueError("CourseRecipe: mixup and class_weight cannot be combined")
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))


@dataclass(frozen=True)
class ConvRecipe(_Recipe):
    """The course's Conv1D over time (:func:`utils.learn.networks.course_conv1d`), an ensemble with rotating validation.

    Parameters
    ----------
    features : FeatureConfig
        The course recipe's configuration (the same cached frames serve both).
    input_kind : str
        ``"log_frames"`` (:func:`utils.features.inputs.log_frames`): the frame sequence with the mel
        bands in dB and each clip's own mean removed from the MFCC and mel values.
    filters, kernel_size, input_pool, input_noise, spec_augment, dropout, learning_rate
        The network (:func:`utils.learn.networks.course_conv1d`).
    batch_size, max_epochs, patience : int
        Training, stopped ``patience`` epochs after the last lower validation loss.
    mixup : float
        Mixup's Beta parameter (0 disables it).
    n_models, n_groups : int
        Networks in the ensemble, and groups of training speakers they hold out in turn.
    """

    features: FeatureConfig = CourseRecipe.features
    input_kind: str = "log_frames"
    filters: tuple = (64, 128, 128)
    kernel_size: int = 5
    input_pool: int = 2
    input_noise: float = 0.1
    spec_augment: tuple | None = (20, 8, 2, 2)
    dropout: float = 0.4
    learning_rate: float = 1e-3
    batch_size: int = 32
    max_epochs: int = 40
    patience: int = 8
    mixup: float = 0.2
    n_models: int = 5
    n_groups: int = 5

    def __post_init__(self):
        _positive(self, "kernel_size", "input_pool", "learning_rate", "batch_size", "max_epochs", "patience", "n_models", "n_groups")
        if self.input_kind != "log_frames":
            raise ValueError(f"ConvRecipe.input_kind must be 'log_frames', not {self.input_kind!r}")
        if not 0 <= self.dropout < 1 or self.input_noise < 0 or self.mixup < 0:
            raise ValueError("ConvRecipe: dropout must be in [0, 1), input_noise and mixup >= 0")
        object.__setattr__(self, "filters", tuple(int(f) for f in self.filters))
        if self.spec_augment is not None:
            object.__setattr__(self, "spec_augment", tuple(int(v) for v in self.spec_augment))


SEED = SeedRecipe()
"""The seed tutorial's recipe."""

COURSE = CourseRecipe()
"""The course recipe, with the settings chosen on validation speakers."""

CONV = ConvRecipe()
"""The course's Conv1D recipe, with the settings chosen on validation speakers."""

CLASS_CONV = CONV.replace(n_models=2, max_epochs=20)
CLASS_COURSE = COURSE.replace(n_models=2)
"""The class path of notebook 05 (with :data:`CLASS_CONV`): two networks per ensemble instead of five
and ten, and Conv1Ds stopped after at most 20 epochs instead of 40, so that the notebook runs in a
workshop on one core.  ``benchmarks/ravdess_folds.py --class-path`` measures what it costs."""

MIN_SPEECH_SECONDS = 15.0
"""Seconds of speech a speaker needs before a bundle's speaker-adapted model is used for them.

Measured on the validation speakers of two RAVDESS folds (``benchmarks/adaptation_speech.py``;
``benchmarks/results/adaptation_speech.csv``): with the statistics of fewer clips, adaptation is
*less* accurate than single clips (2 clips, 3.6 s: 37.6% against 53.6%); it breaks even at about
6 clips, 10.7 s (58.0% against 55.1%), and gains at least 3 points from 8 clips, 14.7 s (59.3%
against 54.7%), rounded up here.  With all 60 clips of an actor (109 s) it reaches 66.1%.
"""


# --------------------------------------------------------------------------------------------
# Training the course recipe
# --------------------------------------------------------------------------------------------


def train_course_model(X_train_stats, y_train, X_val_stats, y_val, n_classes: int, *, recipe: CourseRecipe = COURSE, seed: int = 0):
    """Train the course recipe's ensemble, every member stopped early on the same validation rows.

    :func:`train_course_cv` is the recipe as the benchmark runs it; this variant, with one fixed
    validation set, lets the recipe be compared with other models on the same validation
    speakers.  A scaler is fitted on the training rows only and applied to both parts; then
    ``recipe.n_models`` :func:`utils.learn.networks.stats_mlp` networks are trained, member ``m``
    seeded with ``seed + m`` (:func:`utils.learn.training.set_determinism` before building it and as the
    seed of :func:`utils.learn.training.train`), each stopped early on the validation rows (at most
    ``recipe.max_epochs`` epochs, patience ``min(recipe.patience, max_epochs)``).  The
    members are joined by :func:`utils.learn.networks.ensemble_model` into one model averaging their
    probabilities, which :func:`utils.predict.bundle.save_bundle` saves as one file (input kind
    ``"stats"``).

    Parameters
    ----------
    X_train_stats, X_val_stats : np.ndarray
        Unscaled statistics (:func:`course_statistics`) of the training and validation clips
        (validation: held-out *training* speakers, never test speakers).
    y_train, y_val : array of int
        Class indices.
    n_classes : int
    recipe : CourseRecipe
        The recipe (default :data:`COURSE`; ``COURSE.replace(...)`` for a variant).
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
    from .networks import ensemble_model

    X_tr, X_va = np.asarray(X_train_stats), np.asarray(X_val_stats)
    if X_tr.ndim != 2 or X_va.ndim != 2 or X_tr.shape[1] != X_va.shape[1]:
        raise ValueError(f"training and validation statistics must be 2-D with the same columns, not {X_tr.shape} and {X_va.shape}")
    n_models, max_epochs = int(recipe.n_models), int(recipe.max_epochs)
    if n_models < 1 or max_epochs < 1:
        raise ValueError(f"n_models and max_epochs must be at least 1, not {n_models} and {max_epochs}")
    scaler = fit_scaler(X_tr)
    X_tr, X_va = apply_scaler(scaler, X_tr), apply_scaler(scaler, X_va)
    members, epochs, seconds = [], [], 0.0
    for m in range(n_models):
        model, n, sec = _train_member(X_tr, y_train, X_va, y_val, n_classes, recipe, seed + m)
        members.append(model)
        epochs.append(n)
        seconds += sec
    info = _info(recipe, epochs, seconds, seed)
    return ensemble_model(members, name="course_ensemble"), scaler, info


def _train_member(X_tr, y_tr, X_va, y_va, n_classes: int, recipe: CourseRecipe, seed: int, w_tr=None, w_va=None):
    """One :func:`utils.learn.networks.stats_mlp` of the course recipe, early-stopped on ``X_va``.

    Returns the model, the epochs it ran and its training seconds.
    """
    from .networks import stats_mlp
    from .training import set_determinism, train

    max_epochs = int(recipe.max_epochs)
    set_determinism(seed)
    model = stats_mlp(X_tr.shape[1], n_classes, hidden=recipe.hidden, dropout=recipe.dropout, input_noise=recipe.input_noise, learning_rate=recipe.learning_rate)
    start = time.perf_counter()
    _, n = train(
        model, X_tr, y_tr, X_va, y_va, epochs=max_epochs, batch_size=recipe.batch_size, class_weight=recipe.class_weight,
        patience=min(recipe.patience, max_epochs), seed=seed, mixup=recipe.mixup, sample_weight=w_tr, val_sample_weight=w_va,
    )
    return model, int(n), time.perf_counter() - start


def _info(recipe: CourseRecipe, epochs: list, seconds: float, seed: int) -> dict:
    """The JSON-ready training record of a course ensemble."""
    settings = recipe.to_dict()
    settings.pop("features")
    return {
        "epochs": epochs, "seconds": seconds, "n_models": len(epochs), "max_epochs": int(recipe.max_epochs),
        "patience": int(min(recipe.patience, recipe.max_epochs)), "seed": int(seed), "settings": settings,
    }


def _train_conv_member(X_tr, y_tr, X_va, y_va, n_classes: int, recipe: ConvRecipe, seed: int, w_tr=None, w_va=None):
    """One :func:`utils.learn.networks.course_conv1d` of the Conv1D recipe, early-stopped on ``X_va``."""
    from .networks import course_conv1d
    from .training import set_determinism, train

    set_determinism(seed)
    model = course_conv1d(
        X_tr.shape[1], X_tr.shape[2], n_classes, filters=recipe.filters, kernel_size=recipe.kernel_size, input_pool=recipe.input_pool,
        input_noise=recipe.input_noise, spec_augment=recipe.spec_augment, dropout=recipe.dropout, learning_rate=recipe.learning_rate, seed=seed,
    )
    start = time.perf_counter()
    _, n = train(
        model, X_tr, y_tr, X_va, y_va, epochs=int(recipe.max_epochs), batch_size=recipe.batch_size, class_weight=False,
        patience=min(recipe.patience, recipe.max_epochs), seed=seed, mixup=recipe.mixup, sample_weight=w_tr, val_sample_weight=w_va,
    )
    return model, int(n), time.perf_counter() - start


def train_conv_cv(X_frames, lengths, y, table: pd.DataFrame, n_classes: int, *, recipe: ConvRecipe = CONV, seed: int = 0, sample_weight=None):
    """Train the Conv1D recipe's ensemble on all training speakers, with rotating validation.

    As :func:`train_course_cv`, for frame sequences: a scaler fitted on the real frames of all the
    training clips (:func:`utils.learn.scaling.fit_scaler` with ``lengths``), then
    ``recipe.n_models`` :func:`utils.learn.networks.course_conv1d` networks, member ``m`` held out
    from validation group ``m % n_groups`` and stopped early on it.

    Parameters
    ----------
    X_frames : np.ndarray
        ``(n, n_frames, n_features)`` unscaled inputs of kind ``recipe.input_kind`` of the
        training clips (:func:`utils.features.inputs.feature_set_inputs`).
    lengths : array of int
        Real frames of each sequence.
    y : array of int
    table : pandas.DataFrame
        The clips' ``corpus``, ``gender`` and ``actor`` or ``speaker``.
    n_classes : int
    recipe : ConvRecipe
    seed : int
    sample_weight : array of float, optional
        As in :func:`train_course_cv`.

    Returns
    -------
    ensemble, scaler, info
        As :func:`train_course_cv` (``info["oof_proba"]``: out-of-fold probabilities).
    """
    X = np.asarray(X_frames)
    if X.ndim != 3:
        raise ValueError(f"X_frames must be 3-D (clips x frames x features), not {X.shape}")
    scaler = fit_scaler(X, lengths=lengths)

    def member(X_tr, y_tr, X_va, y_va, member_seed, w_tr, w_va):
        return _train_conv_member(X_tr, y_tr, X_va, y_va, n_classes, recipe, member_seed, w_tr, w_va)

    return _rotate(apply_scaler(scaler, X), y, table, n_classes, recipe, seed, scaler, member, "conv_ensemble", sample_weight)


def member_groups(table: pd.DataFrame, n_groups: int, *, seed: int = 0) -> list:
    """Deal the speakers of ``table`` into ``n_groups`` validation groups, one per ensemble member.

    :func:`utils.learn.splits.speaker_kfold`: every speaker is in exactly one group, groups differ by
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
    n_speakers = speaker_groups(table).nunique()
    if n_groups < 2 or n_speakers < 2:
        raise ValueError(f"rotating validation needs at least 2 groups and 2 speakers, not {n_groups} groups of {n_speakers} speaker(s)")
    return [np.asarray(split) == "test" for split in speaker_kfold(table, k=min(n_groups, n_speakers), seed=seed)]


def train_course_cv(X_stats, y, table: pd.DataFrame, n_classes: int, *, recipe: CourseRecipe = COURSE, seed: int = 0, sample_weight=None):
    """Train the course recipe's ensemble on *all* training speakers, with rotating validation.

    The training speakers are dealt into ``recipe.n_groups`` groups (:func:`member_groups`;
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
    recipe : CourseRecipe
        The recipe (default :data:`COURSE`; ``COURSE.replace(...)`` for a variant).
    seed : int
        Seed of the groups; member ``m`` is seeded with ``seed + m``.
    sample_weight : array of float, optional
        One weight per clip, e.g. :func:`utils.learn.training.corpus_weights` of ``table["corpus"]``
        when training on two corpora; it weights each member's training loss and the validation
        loss that stops it.  The scaler is not weighted.

    Returns
    -------
    ensemble : keras.Model
        The members' mean probabilities (:func:`utils.learn.networks.ensemble_model`).
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
    X = np.asarray(X_stats)
    if X.ndim != 2:
        raise ValueError(f"X_stats must be 2-D (clips x statistics), not {X.shape}")
    scaler = fit_scaler(X)

    def member(X_tr, y_tr, X_va, y_va, member_seed, w_tr, w_va):
        return _train_member(X_tr, y_tr, X_va, y_va, n_classes, recipe, member_seed, w_tr, w_va)

    return _rotate(apply_scaler(scaler, X), y, table, n_classes, recipe, seed, scaler, member, "course_ensemble", sample_weight)


def _release_functions(model) -> None:
    """Drop a trained member's compiled training, evaluation and prediction functions.

    Each holds a traced TensorFlow graph (about 15 MB for a Conv1D); an ensemble of many members
    would otherwise keep them all.  Keras rebuilds a function when it is needed again.
    """
    for name in ("train_function", "test_function", "predict_function"):
        if hasattr(model, name):
            setattr(model, name, None)


def _rotate(Xs, y, table: pd.DataFrame, n_classes: int, recipe, seed: int, scaler, member, name: str, sample_weight=None):
    """Rotating validation (see :func:`train_course_cv`) of scaled inputs ``Xs``, whatever the network.

    ``member(X_tr, y_tr, X_va, y_va, seed, w_tr, w_va)`` trains one network (weights None when
    ``sample_weight`` is) and returns ``(model, epochs, seconds)``.  Returns the ensemble, the scaler and the info dict of :func:`train_course_cv`.
    """
    from .networks import ensemble_model
    from .training import Batches, RowsOf

    y = np.asarray(y)
    if len(Xs) != len(y) or len(Xs) != len(table):
        raise ValueError(f"inputs ({len(Xs)} rows), y ({len(y)},) and table ({len(table)} rows) must describe the same clips")
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float32)
    if w is not None and w.shape != y.shape:
        raise ValueError(f"sample_weight must hold one weight per clip ({len(y)}), not shape {w.shape}")
    n_models = int(recipe.n_models)
    if n_models < 2:
        raise ValueError(f"rotating validation needs at least 2 members, not n_models={n_models}")
    groups = member_groups(table, min(int(recipe.n_groups), n_models), seed=seed)
    oof = np.zeros((len(Xs), n_classes), dtype=np.float32)
    votes = np.zeros(len(Xs), dtype=np.float32)
    members, epochs, seconds = [], [], 0.0
    for m in range(n_models):
        held = groups[m % len(groups)]
        w_tr, w_va = (None, None) if w is None else (w[~held], w[held])
        # Training and validation rows are read from Xs batch by batch (RowsOf): no copies of Xs per member.
        held_rows = RowsOf(Xs, np.flatnonzero(held))
        model, n, sec = member(RowsOf(Xs, np.flatnonzero(~held)), y[~held], held_rows, y[held], seed + m, w_tr, w_va)
        oof[held] += model.predict(Batches(held_rows, batch_size=256), verbose=0)
        votes[held] += 1
        _release_functions(model)
        members.append(model)
        epochs.append(n)
        seconds += sec
    oof /= np.maximum(votes, 1)[:, None]
    info = _info(recipe, epochs, seconds, seed)
    keys = speaker_groups(table).to_numpy()
    info["groups"] = [sorted(set(keys[g])) for g in groups]
    info["oof_proba"] = oof
    return ensemble_model(members, name=name), scaler, info


def train_joint_cv(
    X_frames, lengths, X_stats, y, table: pd.DataFrame, n_classes: int, *, conv: ConvRecipe = CONV, course: CourseRecipe = COURSE, seed: int = 0, sample_weight=None,
):
    """The Conv1D recipe and the course recipe, each with rotating validation, averaged into one model.

    :func:`train_conv_cv` on the frame sequences and :func:`train_course_cv` on the statistics of
    the same clips, with the same validation groups (same ``table`` and ``seed``); then
    :func:`utils.learn.networks.joint_ensemble` averages their probabilities.  The joint model's
    inputs are ``[frames, statistics]`` (compound input kind ``conv.input_kind + "+" +
    course.input_kind``) and its scaler the two scalers' values one after the other, as a model
    bundle stores them.  ``sample_weight`` (e.g. corpus-balanced weights) goes to both.

    Returns
    -------
    model : keras.Model
        Inputs ``[scaled frames, scaled statistics]``, output the mean of the two ensembles.
    scaler : dict
        ``mean`` and ``scale`` lists: the frame scaler's values, then the statistics scaler's.
    info : dict
        ``conv`` and ``course`` (the two training records), ``oof_proba`` (the mean of their
        out-of-fold probabilities), ``groups``, ``seconds`` and ``input_kind``.
    """
    from .networks import joint_ensemble

    conv_model, conv_scaler, conv_info = train_conv_cv(X_frames, lengths, y, table, n_classes, recipe=conv, seed=seed, sample_weight=sample_weight)
    course_model, course_scaler, course_info = train_course_cv(X_stats, y, table, n_classes, recipe=course, seed=seed, sample_weight=sample_weight)
    if conv_info["groups"] != course_info["groups"]:
        raise AssertionError("the two ensembles must hold out the same validation groups")
    scaler = {
        "mean": np.concatenate([conv_scaler.mean_, course_scaler.mean_]).tolist(),
        "scale": np.concatenate([conv_scaler.scale_, course_scaler.scale_]).tolist(),
    }
    info = {
        "conv": {k: v for k, v in conv_info.items() if k != "oof_proba"},
        "course": {k: v for k, v in course_info.items() if k != "oof_proba"},
        "oof_proba": (conv_info["oof_proba"] + course_info["oof_proba"]) / 2,
        "groups": conv_info["groups"], "seconds": conv_info["seconds"] + course_info["seconds"],
        "input_kind": f"{conv.input_kind}+{course.input_kind}",
    }
    return joint_ensemble([conv_model, course_model]), scaler, info
