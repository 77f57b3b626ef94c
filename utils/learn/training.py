"""Training the networks: reproducible seeding, early stopping on validation speakers, mixup.

Reproducibility: call :func:`set_determinism` *before* building a model (the initial weights come
from the seeded generator) and pass the same ``seed`` to :func:`train`; two runs then give the
same weights, on the same machine and library versions.

Validation data for :func:`train` always come from held-out *training* speakers chosen by the
caller (see :mod:`utils.learn.splits`), never from the test set: early stopping and the
learning-rate schedule look at the validation loss, so whatever they see is no longer an unseen
test.

Examples
--------
>>> set_determinism(42)                                                    # doctest: +SKIP
>>> model = seed_conv1d(n_features=180, n_classes=8)                       # doctest: +SKIP
>>> history, epochs = train(model, X_tr, y_tr, X_val, y_val, epochs=60)    # doctest: +SKIP
"""

from __future__ import annotations

import random
import warnings

import numpy as np

from .networks import _check_positive, _compile, keras

_SHAPE_BATCHES = 2
"""Batches that Keras reads from a ``PyDataset`` to learn their shapes before training
(``keras.src.trainers.data_adapters.data_adapter_utils.NUM_BATCHES_FOR_TENSOR_SPEC``)."""

# --------------------------------------------------------------------------------------------
# Seeding, class weights, training
# --------------------------------------------------------------------------------------------


def set_determinism(seed: int = 42) -> None:
    """Seed Python, NumPy and TensorFlow and make TensorFlow's ops deterministic.

    Calls :func:`keras.utils.set_random_seed` and
    :func:`tf.config.experimental.enable_op_determinism`; safe to call more than once.  Call it
    before building a model so that the initial weights are reproducible too.  Deterministic ops
    can be a little slower; results are reproducible on the same machine and library versions.

    Parameters
    ----------
    seed : int
        The seed.

    Examples
    --------
    >>> set_determinism(42)                          # doctest: +SKIP
    """
    import tensorflow as tf

    keras.utils.set_random_seed(int(seed))
    tf.config.experimental.enable_op_determinism()


def _check_labels(y, n_classes: int, name: str = "y") -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class indices, not shape {y.shape}")
    if y.size and not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        else:
            raise ValueError(f"{name} must hold integer class indices 0..{n_classes - 1}, not {y.dtype} values")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"{name} holds class indices outside 0..{n_classes - 1} (min {y.min()}, max {y.max()})")
    return y.astype(np.int64)


def class_weights(y, n_classes: int) -> dict:
    """Balanced class weights ``n_samples / (n_classes * count_c)``, as a dict for Keras.

    scikit-learn's ``compute_class_weight("balanced")``: a class with half the average number of
    clips weighs 2.  A class absent from ``y`` gets weight 1.0 (it never occurs, so its weight is
    never used) and a warning.

    Parameters
    ----------
    y : array of int
        Class indices of the training clips.
    n_classes : int
        Number of classes of the model.

    Returns
    -------
    dict of int to float

    Examples
    --------
    >>> class_weights([0, 0, 0, 1], 2)
    {0: 0.6666666666666666, 1: 2.0}
    """
    from sklearn.utils.class_weight import compute_class_weight

    _check_positive(n_classes=n_classes)
    y = _check_labels(y, n_classes)
    if not y.size:
        raise ValueError("y is empty: no training labels to weight")
    present = np.unique(y)
    missing = sorted(set(range(n_classes)) - set(present.tolist()))
    if missing:
        warnings.warn(f"class(es) {missing} do not occur in y; they get weight 1.0", stacklevel=2)
    weights = dict(zip(present.tolist(), compute_class_weight("balanced", classes=present, y=y)))
    # scikit-learn divides by the number of classes present; Keras's model has n_classes outputs
    scale = len(present) / n_classes
    return {c: float(weights[c] * scale) if c in weights else 1.0 for c in range(n_classes)}


def corpus_weights(corpus) -> np.ndarray:
    """Per-row weights under which every corpus weighs the same in total, ``n / (n_corpora * n_corpus)``.

    Trained on two corpora of different sizes, a network would otherwise learn mostly the larger
    one (CREMA-D has six times RAVDESS's clips of the six shared emotions).  Rows of one corpus weigh the same; the weights
    average 1, so the loss keeps its scale, and with one corpus they are all 1.

    Parameters
    ----------
    corpus : array of str
        The corpus of each training row (e.g. ``table["corpus"]``).

    Returns
    -------
    np.ndarray of float

    Examples
    --------
    >>> corpus_weights(["ravdess", "cremad", "cremad", "cremad"]).tolist()
    [2.0, 0.6666666666666666, 0.6666666666666666, 0.6666666666666666]
    """
    corpus = np.asarray(corpus).astype(str)
    if corpus.ndim != 1 or not corpus.size:
        raise ValueError(f"corpus must be a non-empty 1-D array of corpus names, not shape {corpus.shape}")
    names, index, counts = np.unique(corpus, return_inverse=True, return_counts=True)
    return len(corpus) / (len(names) * counts[index])


def _check_weights(weights, n_rows: int, name: str):
    """``weights`` as a float32 array of ``n_rows`` positive finite values, or None."""
    if weights is None:
        return None
    w = np.asarray(weights, dtype=np.float32)
    if w.shape != (n_rows,) or not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
        raise ValueError(f"{name} must hold one finite, non-negative weight per row ({n_rows}), not shape {w.shape}")
    return w


class RowsOf:
    """Some rows of an array, without copying them: ``RowsOf(X, rows)`` stands for ``X[rows]``.

    :class:`MixupBatches` (and so :func:`train` with mixup) reads its batches straight from ``X``,
    so that the training part of a large array (the frame sequences of a corpus, hundreds of MB)
    is not copied for every network of an ensemble.  Anything else gets ``X[rows]`` through
    ``np.asarray``.

    Examples
    --------
    >>> part = RowsOf(np.arange(10.0).reshape(5, 2), [4, 0])
    >>> len(part), part.shape, np.asarray(part).tolist()
    (2, (2, 2), [[8.0, 9.0], [0.0, 1.0]])
    """

    def __init__(self, X, rows):
        self.base = np.asarray(X)
        self.rows = np.asarray(rows, dtype=np.intp)
        if self.rows.ndim != 1 or (len(self.rows) and (self.rows.min() < 0 or self.rows.max() >= len(self.base))):
            raise ValueError(f"rows must be positions 0..{len(self.base) - 1} of X")

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def shape(self) -> tuple:
        return (len(self.rows),) + self.base.shape[1:]

    @property
    def ndim(self) -> int:
        return self.base.ndim

    @property
    def dtype(self):
        return self.base.dtype

    def __array__(self, dtype=None, copy=None):
        out = self.base[self.rows]
        return out if dtype is None else out.astype(dtype, copy=False)


def model_input(model: keras.Model, X) -> np.ndarray:
    """``X`` as float32 in the model's input shape (adds or drops a trailing axis of size 1).

    A :class:`RowsOf` of float32 rows in that shape is returned as it is (not copied).

    Raises
    ------
    ValueError
        If ``X`` cannot be given that shape; the message shows both shapes.
    """
    expected = tuple(model.input_shape[1:])
    if isinstance(X, RowsOf) and X.dtype == np.float32 and X.shape[1:] == expected:
        return X
    X = np.asarray(X, dtype=np.float32)
    if X.shape[1:] == expected:
        return X
    if X.shape[1:] == expected + (1,):
        return X[..., 0]
    if expected[-1:] == (1,) and X.shape[1:] == expected[:-1]:
        return X[..., None]
    raise ValueError(f"data of shape {X.shape} do not fit the model's input shape (batch, {', '.join(map(str, expected))})")


def _readable(X) -> tuple:
    """``(array, rows)``: a :class:`RowsOf`'s array and rows, or ``(X as float32, None)``."""
    if isinstance(X, RowsOf) and X.dtype == np.float32:
        return X.base, X.rows
    return np.asarray(X, dtype=np.float32), None


class Batches(keras.utils.PyDataset):
    """Batches of rows of ``X`` (with their targets and weights) for Keras, read one batch at a time.

    Given arrays, :meth:`keras.Model.fit` and :meth:`~keras.Model.predict` first copy them whole
    into TensorFlow (and the process keeps that memory afterwards); a ``Batches`` hands them one
    batch at a time instead, read from ``X`` where it is: an array, an
    array kept on disk (:func:`utils.core.arrays.new_array`) or some rows of one
    (:class:`RowsOf`).  So a corpus's frame sequences train a network without a second copy of
    them in memory.  With ``shuffle``, the rows come in a new seeded random order every epoch (as
    ``fit(..., shuffle=True)`` does); without, in order (for validation and prediction).

    Parameters
    ----------
    X : array or RowsOf, or a list of them
        A list for a model with several inputs (one array per input, the same rows in each):
        every batch then holds a tuple of arrays, one per input.
    targets : array, optional
        One row (class index or one-hot row) per row of ``X``; without, batches hold ``X`` only
        (for ``predict``).
    batch_size : int
    shuffle : bool
    seed : int
    weights : array of float, optional
        One weight per row, the third element of every batch.

    Examples
    --------
    >>> batches = Batches(np.arange(10.0).reshape(5, 2), np.arange(5), batch_size=2)
    >>> len(batches), [t.tolist() for _, t in (batches[i] for i in range(len(batches)))]
    (3, [[0, 1], [2, 3], [4]])
    >>> [x.shape for x in Batches([np.zeros((5, 3, 2)), np.zeros((5, 4))], batch_size=2)[2][0]]   # two inputs
    [(1, 3, 2), (1, 4)]
    """

    def __init__(self, X, targets=None, *, batch_size: int = 32, shuffle: bool = False, seed: int = 0, weights=None):
        super().__init__()
        self.several = isinstance(X, (list, tuple))
        # Rows of a larger array (RowsOf) are read from it batch by batch: the same values, no copy.
        self.parts = [_readable(x) for x in (X if self.several else [X])]
        lengths = {len(source) if rows is None else len(rows) for source, rows in self.parts}
        if len(lengths) != 1:
            raise ValueError(f"the inputs of X must have the same number of rows, not {sorted(lengths)}")
        self.n = lengths.pop()
        self.targets = None if targets is None else np.asarray(targets)
        if self.targets is not None and len(self.targets) != self.n:
            raise ValueError(f"{self.n} rows of X but {len(self.targets)} target rows")
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float32)
        if self.weights is not None and self.weights.shape != (self.n,):
            raise ValueError(f"weights must hold one weight per row of X ({self.n}), not shape {self.weights.shape}")
        self.batch_size, self.shuffle = int(batch_size), bool(shuffle)
        _check_positive(batch_size=self.batch_size)
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(self.n) if self.shuffle else np.arange(self.n)

    def __len__(self) -> int:
        return int(np.ceil(self.n / self.batch_size))

    def _picked(self, index: int) -> tuple:
        """The positions of batch ``index`` and their rows of ``X``."""
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        x = [source[rows] if part_rows is None else source[part_rows[rows]] for source, part_rows in self.parts]
        return rows, tuple(x) if self.several else x[0]

    def __getitem__(self, index: int):
        rows, x = self._picked(index)
        if self.targets is None:
            return (x,)
        batch = (x, self.targets[rows])
        return batch if self.weights is None else batch + (self.weights[rows],)

    def on_epoch_end(self):
        if self.shuffle:
            self.order = self.rng.permutation(self.n)


class MixupBatches(Batches):
    """Shuffled training batches with mixup, for :func:`train` (``mixup > 0``).

    Every epoch the rows are shuffled; in each batch, row ``i`` is blended with row ``p(i)`` of a
    random permutation ``p`` of the batch: ``lam * x_i + (1 - lam) * x_p(i)`` and the same for the
    one-hot labels, ``lam ~ Beta(alpha, alpha)`` per row.  Seeded, so runs repeat.  With
    ``weights`` (one per row), each batch also carries the blended rows' weights, blended alike.
    Rows are read one batch at a time, as :class:`Batches` reads them.

    Examples
    --------
    >>> import numpy as np
    >>> batches = MixupBatches(np.eye(4, dtype="float32"), np.eye(4, dtype="float32"), batch_size=2, alpha=0.2, seed=0)
    >>> x, t = batches[0]
    >>> len(batches), x.shape, bool(np.allclose(t.sum(axis=1), 1) and np.allclose(x, t))
    (2, (2, 4), True)
    """

    def __init__(self, X, targets, *, batch_size: int = 32, alpha: float = 0.2, seed: int = 0, weights=None):
        if isinstance(X, (list, tuple)):
            raise ValueError("MixupBatches blends the rows of one input array, not of a list of them")
        super().__init__(X, np.asarray(targets, dtype=np.float32), batch_size=batch_size, shuffle=True, seed=seed, weights=weights)
        self.alpha = float(alpha)

    def __getitem__(self, index: int):
        rows, x = self._picked(index)
        t = self.targets[rows]
        lam = self.rng.beta(self.alpha, self.alpha, size=(len(rows),) + (1,) * (x.ndim - 1)).astype(np.float32)
        partner = self.rng.permutation(len(rows))
        lam_t = lam.reshape(len(rows), 1)
        blend = lam * x + (1 - lam) * x[partner], lam_t * t + (1 - lam_t) * t[partner]
        if self.weights is None:
            return blend
        w = self.weights[rows]
        return blend + (lam_t[:, 0] * w + (1 - lam_t[:, 0]) * w[partner],)


class _Endless(keras.utils.PyDataset):
    """The batches of one epoch after another, without end, for ``fit(..., steps_per_epoch=len(batches))``.

    Keras then keeps one iterator for the whole fit instead of starting one every epoch (about
    a third of an epoch's time for the course's small dense networks).  Everything else is as
    ``fit(batches)`` does it, so the weights come out the same: Keras first reads the first
    batches once to learn their shapes (:data:`_SHAPE_BATCHES`), ``batches.on_epoch_end`` runs
    before every epoch (after the shape reads too), and every epoch visits the batches in an order
    that Python's seeded ``random.shuffle`` draws (``fit``'s ``shuffle=True``).
    """

    def __init__(self, batches: Batches):
        super().__init__()
        self.batches, self.n = batches, len(batches)
        self.shape_reads = min(_SHAPE_BATCHES, self.n)

    @property
    def num_batches(self):
        return None

    def __getitem__(self, index: int):
        if self.shape_reads:   # Keras reading the first batches for their shapes, before the first epoch
            self.shape_reads -= 1
            return self.batches[index]
        position = index % self.n
        if position == 0:   # an epoch begins: Keras has ended the one before (or the shape reads)
            self.batches.on_epoch_end()
            self.order = list(range(self.n))
            random.shuffle(self.order)
        return self.batches[self.order[position]]


class _ValidationLoss(keras.callbacks.Callback):
    """``val_loss`` and ``val_accuracy`` after every epoch, as ``fit(validation_data=...)`` logs them.

    The validation rows go through the model in large batches (``predict_on_batch``, dropout,
    noise and masking off, as in ``evaluate``), and the loss and accuracy are computed from the
    probabilities with the model's own loss (a name or a ``keras.losses.Loss``, taken per row):
    the loss is the mean of each row's loss times its weight, the accuracy the share of rows
    whose most probable class is theirs (unweighted), as Keras computes them.  It saves Keras's
    evaluation loop, most of an epoch's time for a small network.  Put it first among the
    callbacks: early stopping and the learning-rate schedule read what it logs.
    """

    def __init__(self, X_val, targets, weights, *, batch_size: int = 256):
        super().__init__()
        self.batches = Batches(X_val, batch_size=batch_size)
        self.targets = np.asarray(targets)
        self.labels = self.targets.argmax(axis=1) if self.targets.ndim == 2 else self.targets
        self.weights = np.ones(len(self.targets), dtype=np.float32) if weights is None else np.asarray(weights, dtype=np.float32)

    def on_epoch_end(self, epoch, logs=None):
        proba = np.concatenate([keras.ops.convert_to_numpy(self.model.predict_on_batch(self.batches[i][0])) for i in range(len(self.batches))])
        loss_fn = self.model.loss
        per_row = loss_fn.call if isinstance(loss_fn, keras.losses.Loss) else keras.losses.get(loss_fn)   # unreduced: one loss per row
        loss = keras.ops.convert_to_numpy(per_row(self.targets, proba))
        logs = {} if logs is None else logs
        logs["val_loss"] = float(np.mean(loss * self.weights))
        logs["val_accuracy"] = float(np.mean(proba.argmax(axis=1) == self.labels))   # unweighted, as Keras's compiled metrics are


def train(
    model: keras.Model,
    X_train,
    y_train,
    X_val,
    y_val,
    *,
    epochs: int = 100,
    batch_size: int = 32,
    class_weight: bool = True,
    patience: int = 10,
    seed: int = 42,
    verbose: int = 0,
    mixup: float = 0.0,
    sample_weight=None,
    val_sample_weight=None,
):
    """Fit ``model`` with early stopping and learning-rate reduction on the validation loss.

    Validation data must come from held-out *training* speakers (speakers in neither the
    training part nor the test set), never from the test set: the validation loss decides when
    training stops, which weights are kept and when the learning rate drops.

    Callbacks: ``EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)``
    (the returned model holds the weights of the epoch with the lowest validation loss) and
    ``ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=max(1, patience // 2))``.

    Parameters
    ----------
    model : keras.Model
        A model from this module (or any model taking ``X``; compiled with Adam if it is not).
    X_train, y_train : array
        Scaled features and class indices of the training clips.
    X_val, y_val : array
        The same for the validation clips (held-out training speakers).
    epochs : int
        Most epochs to run.
    batch_size : int
    class_weight : bool
        Weight the loss with :func:`class_weights` of ``y_train``.
    patience : int
        Epochs without a lower validation loss before stopping.
    seed : int
        Passed to :func:`set_determinism` before fitting (shuffling and dropout).
    verbose : int
        Keras verbosity (0 silent, 1 progress bar, 2 one line per epoch).
    mixup : float
        If positive, train with *mixup* (Zhang et al. 2018): every training row is blended with
        another row of its batch, ``lam * x_i + (1 - lam) * x_j``, and so are their one-hot
        labels, with ``lam ~ Beta(mixup, mixup)`` drawn per row.  The model sees blends between
        the clips instead of the clips alone, which smooths its decision boundaries; 0.2 is a
        common value.  The model is recompiled with categorical cross-entropy (same optimizer and
        learning rate); validation rows are not blended.  Not combined with ``class_weight``.
    sample_weight, val_sample_weight : array of float, optional
        One weight per training (validation) row, e.g. :func:`corpus_weights`, multiplying each
        row's loss (with mixup, a blend's weight is blended as its labels are).  The validation
        weights also weight the validation loss that early stopping watches.

    Returns
    -------
    history : dict of str to list of float
        Per-epoch ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy`` and ``learning_rate``.
    epochs_run : int
        Number of epochs actually run.

    Examples
    --------
    >>> history, n = train(model, X_tr, y_tr, X_val, y_val, epochs=60, seed=42)  # doctest: +SKIP
    """
    _check_positive(epochs=epochs, batch_size=batch_size, patience=patience)
    n_classes = int(model.output_shape[-1])
    X_train, X_val = model_input(model, X_train), model_input(model, X_val)
    y_train = _check_labels(y_train, n_classes, "y_train")
    y_val = _check_labels(y_val, n_classes, "y_val")
    if len(X_train) != len(y_train) or len(X_val) != len(y_val):
        raise ValueError(f"{len(X_train)} training rows with {len(y_train)} labels, {len(X_val)} validation rows with {len(y_val)} labels")
    if not len(X_val):
        raise ValueError("the validation set is empty: hold out some training speakers for validation")
    w_train = _check_weights(sample_weight, len(y_train), "sample_weight")
    w_val = _check_weights(val_sample_weight, len(y_val), "val_sample_weight")
    if not getattr(model, "compiled", False):
        _compile(model, 1e-3)
    set_determinism(seed)
    callbacks = [
        None,   # the validation loss, computed first (below)
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=max(1, patience // 2), min_lr=1e-6),
    ]
    if mixup < 0 or not np.isfinite(mixup):
        raise ValueError(f"mixup must be a non-negative number, not {mixup!r}")
    if mixup > 0:
        if class_weight:
            raise ValueError("mixup and class_weight cannot be combined: pass class_weight=False")
        learning_rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="categorical_crossentropy", metrics=["accuracy"])
        eye = np.eye(n_classes, dtype=np.float32)
        callbacks[0] = _ValidationLoss(X_val, eye[y_val], w_val)
        batches = MixupBatches(X_train, eye[y_train], batch_size=batch_size, alpha=mixup, seed=seed, weights=w_train)
        fitted = model.fit(_Endless(batches), steps_per_epoch=len(batches), epochs=epochs, callbacks=callbacks, shuffle=False, verbose=verbose)
    else:
        callbacks[0] = _ValidationLoss(X_val, y_val, w_val)
        fitted = model.fit(
            np.asarray(X_train),   # Keras shuffles arrays itself: rows of a larger array (RowsOf) are copied here
            y_train,
            epochs=epochs,
            batch_size=batch_size,
            class_weight=class_weights(y_train, n_classes) if class_weight else None,
            sample_weight=w_train,
            callbacks=callbacks,
            shuffle=True,
            verbose=verbose,
        )
    history = {key: [float(v) for v in values] for key, values in fitted.history.items()}
    return history, len(history.get("loss", []))


def train_fixed(
    model: keras.Model,
    X_train,
    y_train,
    *,
    epochs: int = 50,
    batch_size: int = 64,
    lr_factor: float = 0.4,
    lr_patience: int = 2,
    class_weight: bool = False,
    seed: int = 42,
    verbose: int = 0,
):
    """Fit for a fixed number of epochs, lowering the learning rate when the *training* loss stalls.

    This is the seed project's schedule: no validation data, no early stopping, and
    ``ReduceLROnPlateau(monitor="loss", factor=lr_factor, patience=lr_patience)``.  It needs no
    held-out speakers, but nothing tells it when the model starts to learn the training voices
    instead of the emotions; :func:`train` (early stopping on validation speakers) is the
    course's choice.  Kept to reproduce the seed recipe as a baseline.

    Parameters
    ----------
    model : keras.Model
    X_train, y_train : array
        Scaled features and class indices of the training rows.
    epochs : int
        Epochs to run (all of them).
    batch_size : int
    lr_factor : float
        Factor the learning rate is multiplied by on a plateau of the training loss.
    lr_patience : int
        Epochs without a lower training loss before the learning rate drops.
    class_weight : bool
        Weight the loss with :func:`class_weights` (the seed did not).
    seed : int
        Passed to :func:`set_determinism` before fitting.
    verbose : int
        Keras verbosity.

    Returns
    -------
    history : dict of str to list of float
        Per-epoch ``loss``, ``accuracy`` and ``learning_rate``.
    epochs_run : int

    Examples
    --------
    >>> history, n = train_fixed(seed_conv1d(180, 8), X_tr, y_tr, epochs=50)  # doctest: +SKIP
    """
    _check_positive(epochs=epochs, batch_size=batch_size, lr_patience=lr_patience)
    if not 0 < lr_factor < 1:
        raise ValueError(f"lr_factor must be in (0, 1), not {lr_factor!r}")
    n_classes = int(model.output_shape[-1])
    X_train = model_input(model, X_train)
    y_train = _check_labels(y_train, n_classes, "y_train")
    if len(X_train) != len(y_train):
        raise ValueError(f"{len(X_train)} training rows with {len(y_train)} labels")
    if not getattr(model, "compiled", False):
        _compile(model, 1e-3)
    set_determinism(seed)
    fitted = model.fit(
        X_train,
        y_train,
        epochs=epochs,
        batch_size=batch_size,
        class_weight=class_weights(y_train, n_classes) if class_weight else None,
        callbacks=[keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=lr_factor, patience=lr_patience, min_lr=1e-7)],
        shuffle=True,
        verbose=verbose,
    )
    history = {key: [float(v) for v in values] for key, values in fitted.history.items()}
    return history, len(history.get("loss", []))
