"""The course's networks (Keras 3, TensorFlow backend): two Conv1D designs, a dense model, ensembles.

Two designs are built here, both ending in a softmax over the classes and compiled with Adam and
sparse categorical cross-entropy (labels are class *indices* ``0 .. n_classes - 1``):

:func:`seed_conv1d`
    The classic design of the project this course grew from.  It takes the pooled clip vector (180
    values: 40 MFCC + 12 chroma + 128 mel means) and convolves over it *as if it were a signal*:
    neighbouring entries of the vector are treated like neighbouring time steps.  That is an odd
    assumption (MFCC 40 and chroma 1 are neighbours, yet unrelated), kept because it is what the
    seed project did and because it works reasonably well; the notebooks discuss why.
:func:`temporal_conv1d`
    A Conv1D that convolves over *time*: its input is the frame-level sequence of a clip
    (``n_frames x n_frame_features``, see :func:`utils.features.clip.clip_frames`), so each filter
    looks at a few consecutive 10 ms frames.  Padded frames are ignored by the final average.

Training (reproducible seeding, early stopping on validation speakers, mixup) is
:mod:`utils.learn.training`'s.

Examples
--------
>>> model = seed_conv1d(n_features=180, n_classes=8)                       # doctest: +SKIP
>>> layer_table(model)        # utils.notebook.display.layer_table  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow C++ logs: errors and below hidden (harmless tf.data notices); set it to see them
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


@contextlib.contextmanager
def _quiet_native_start():
    """Hide what TensorFlow's C++ runtime writes to the process's stderr while it loads.

    Loading prints notices (oneDNN, absl) straight to file descriptor 2, before any Python
    logging setting applies; in a notebook they appear as a red block above the first output.
    ``SER_TF_STARTUP_LOG=1`` shows them.  Errors still raise as Python exceptions.
    """
    if os.environ.get("SER_TF_STARTUP_LOG") == "1":
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 (an unusual embedding): nothing to hide
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


with _quiet_native_start():
    import keras  # noqa: E402  (after the environment variables above)
    import tensorflow  # noqa: E402, F401  (loaded here so that its start-up notices stay hidden)
from keras import layers, ops  # noqa: E402

# TensorFlow's Python logger warns about function retracing when several small models predict in
# turn (an ensemble, a notebook comparing models); harmless, and noise for a learner.
logging.getLogger("tensorflow").setLevel(logging.ERROR)

SERIAL_PACKAGE = "ser_course"
"""Package name under which the custom layers are registered for (safe) model loading."""


# --------------------------------------------------------------------------------------------
# Custom layers of the temporal model (registered: loadable with safe_mode=True, no lambdas)
# --------------------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package=SERIAL_PACKAGE)
class FrameMask(layers.Layer):
    """``(batch, frames, 1)`` float mask: 0 for a padded frame, 1 for a real one.

    :func:`utils.features.clip.clip_frames` pads a short clip *at the end* with identical frames, and
    scaling (:func:`utils.learn.scaling.apply_scaler`) maps identical frames to identical frames.  So a
    frame is taken as padding when it equals the sequence's last frame in every feature, whatever
    scaling was applied.  For an unpadded sequence this leaves out only its last frame (1 of 300
    by default); two real frames are never exactly equal in practice.
    """

    def call(self, x):
        real = ops.any(ops.not_equal(x, x[:, -1:, :]), axis=-1, keepdims=True)
        return ops.cast(real, x.dtype)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 1)


@keras.saving.register_keras_serializable(package=SERIAL_PACKAGE)
class MaskedGlobalAverage(layers.Layer):
    """Average over time of ``x`` where ``mask`` is 1; inputs ``[x (b, t, c), mask (b, t, 1)]``.

    A sequence whose mask is all 0 (cannot happen for a real clip) gives zeros, not NaN.
    """

    def call(self, inputs):
        x, mask = inputs
        total = ops.sum(x * mask, axis=1)
        count = ops.maximum(ops.sum(mask, axis=1), 1.0)
        return total / count

    def compute_output_shape(self, input_shapes):
        shape = input_shapes[0]
        return (shape[0], shape[2])


@keras.saving.register_keras_serializable(package=SERIAL_PACKAGE)
class MaskedMeanStd(layers.Layer):
    """Mean and standard deviation over time of ``x`` where ``mask`` is 1, concatenated.

    Inputs ``[x (b, t, c), mask (b, t, 1)]``, output ``(b, 2 c)``: statistics pooling, the
    network's own version of the clip statistics of :func:`utils.features.inputs.frame_statistics`.
    """

    def call(self, inputs):
        x, mask = inputs
        count = ops.maximum(ops.sum(mask, axis=1), 1.0)
        mean = ops.sum(x * mask, axis=1) / count
        var = ops.sum(ops.square(x - mean[:, None, :]) * mask, axis=1) / count
        return ops.concatenate([mean, ops.sqrt(var + 1e-6)], axis=-1)

    def compute_output_shape(self, input_shapes):
        shape = input_shapes[0]
        return (shape[0], 2 * shape[2])


@keras.saving.register_keras_serializable(package=SERIAL_PACKAGE)
class SpecAugment(layers.Layer):
    """Time and feature masking of frame sequences in training (Park et al. 2019, SpecAugment).

    In training, each sequence gets ``n_time`` stretches of up to ``time_width`` frames and
    ``n_feature`` bands of up to ``feature_width`` features set to zero (the scaled inputs' mean),
    at random places; the network must then recognise the emotion from what is left, which keeps
    it from relying on a few frames or features.  At prediction time it does nothing.
    """

    def __init__(self, time_width: int = 20, feature_width: int = 8, n_time: int = 2, n_feature: int = 2, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.time_width, self.feature_width, self.n_time, self.n_feature, self.seed = int(time_width), int(feature_width), int(n_time), int(n_feature), seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _masks(self, batch, size, width, count, axis_shape):
        keep = None
        index = ops.cast(ops.arange(size), "float32")[None, :]
        for _ in range(count):
            w = ops.floor(keras.random.uniform((batch, 1), 0.0, width + 1.0, seed=self.seed_generator))
            start = ops.floor(keras.random.uniform((batch, 1), seed=self.seed_generator) * ops.maximum(size - w, 1.0))
            inside = ops.logical_and(index >= start, index < start + w)
            part = 1.0 - ops.cast(inside, "float32")
            keep = part if keep is None else keep * part
        return ops.reshape(keep, axis_shape) if keep is not None else None

    def call(self, x, training=False):
        if not training:
            return x
        batch, frames, features = ops.shape(x)[0], x.shape[1], x.shape[2]
        keep = ops.ones_like(x)
        time_keep = self._masks(batch, frames, self.time_width, self.n_time, (batch, frames, 1))
        feature_keep = self._masks(batch, features, self.feature_width, self.n_feature, (batch, 1, features))
        if time_keep is not None:
            keep = keep * ops.cast(time_keep, x.dtype)
        if feature_keep is not None:
            keep = keep * ops.cast(feature_keep, x.dtype)
        return x * keep

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "time_width": self.time_width, "feature_width": self.feature_width, "n_time": self.n_time, "n_feature": self.n_feature, "seed": self.seed}


# --------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------


def _compile(model: keras.Model, learning_rate: float) -> keras.Model:
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _check_positive(**values):
    for name, value in values.items():
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, not {value!r}")


def seed_conv1d(n_features: int = 180, n_classes: int = 8, *, learning_rate: float = 1e-3) -> keras.Model:
    """The seed project's Conv1D over the pooled feature vector.

    Layers: the ``(n_features,)`` vector is reshaped to ``(n_features, 1)``, then four blocks of
    Conv1D (256, 256, 128, 64 filters; kernel 5, ``same`` padding, ReLU), each followed by
    MaxPooling1D (pool 5, strides 2, ``same``), Dropout 0.2 after the third block, Flatten,
    Dense 32 ReLU, Dropout 0.3, and a Dense softmax over the classes.

    Parameters
    ----------
    n_features : int
        Length of the clip vector (``FeatureConfig.vector_size``, 180 by default).
    n_classes : int
        Number of classes (8 for RAVDESS, 6 for the shared label set).
    learning_rate : float
        Adam's initial learning rate.

    Returns
    -------
    keras.Model
        Compiled; input ``(batch, n_features)``, output ``(batch, n_classes)`` probabilities.

    Examples
    --------
    >>> model = seed_conv1d(180, 8)                  # doctest: +SKIP
    >>> model.input_shape, model.output_shape        # doctest: +SKIP
    ((None, 180), (None, 8))
    """
    _check_positive(n_features=n_features, n_classes=n_classes)
    inputs = keras.Input(shape=(n_features,), name="features")
    x = layers.Reshape((n_features, 1), name="as_signal")(inputs)
    for i, filters in enumerate((256, 256, 128, 64), start=1):
        x = layers.Conv1D(filters, 5, padding="same", activation="relu", name=f"conv{i}")(x)
        x = layers.MaxPooling1D(pool_size=5, strides=2, padding="same", name=f"pool{i}")(x)
        if i == 3:
            x = layers.Dropout(0.2, name="dropout3")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(32, activation="relu", name="dense")(x)
    x = layers.Dropout(0.3, name="dropout_dense")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="emotion")(x)
    return _compile(keras.Model(inputs, outputs, name="seed_conv1d"), learning_rate)


def temporal_conv1d(
    n_frames: int,
    n_frame_features: int,
    n_classes: int,
    *,
    filters=(32, 64, 64),
    kernel_size: int = 5,
    pool_size: int = 2,
    dense: int = 32,
    dropout: float = 0.3,
    mask_padding: bool = True,
    learning_rate: float = 1e-3,
) -> keras.Model:
    """A small Conv1D over time on frame-level features.

    Each block is Conv1D (``same`` padding, no bias) + BatchNormalization + ReLU +
    MaxPooling1D(``pool_size``); after the blocks a global average over time (only over real
    frames when ``mask_padding``), Dropout, Dense ``dense`` ReLU and a Dense softmax.  With the
    defaults (300 frames x 40 MFCC) it has about 40,000 weights.

    Parameters
    ----------
    n_frames, n_frame_features : int
        Shape of one clip's sequence (``FeatureConfig.frame_shape``).
    n_classes : int
        Number of classes.
    filters : sequence of int
        Filters of each block; the number of blocks is ``len(filters)``.
    kernel_size : int
        Conv1D kernel length in frames (5 frames = 50 ms at a 10 ms hop).
    pool_size : int
        Max-pooling factor after each block.
    dense : int
        Units of the hidden dense layer.
    dropout : float
        Dropout rate before the dense head.
    mask_padding : bool
        Average only over real frames, not over the padding of clips shorter than ``n_frames``
        (see :class:`FrameMask`: frames equal to the last frame count as padding).
    learning_rate : float
        Adam's initial learning rate.

    Returns
    -------
    keras.Model
        Compiled; input ``(batch, n_frames, n_frame_features)``, output ``(batch, n_classes)``.

    Examples
    --------
    >>> model = temporal_conv1d(300, 40, 8)          # doctest: +SKIP
    >>> model.input_shape                            # doctest: +SKIP
    (None, 300, 40)
    """
    _check_positive(n_frames=n_frames, n_frame_features=n_frame_features, n_classes=n_classes, kernel_size=kernel_size, pool_size=pool_size, dense=dense)
    filters = tuple(int(f) for f in filters)
    if not filters or min(filters) < 1:
        raise ValueError(f"filters must list at least one positive number of filters, not {filters!r}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), not {dropout!r}")
    inputs = keras.Input(shape=(n_frames, n_frame_features), name="frames")
    x = inputs
    mask = FrameMask(name="frame_mask")(inputs) if mask_padding else None
    for i, f in enumerate(filters, start=1):
        x = layers.Conv1D(f, kernel_size, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.Activation("relu", name=f"relu{i}")(x)
        x = layers.MaxPooling1D(pool_size, padding="same", name=f"pool{i}")(x)
        if mask is not None:
            mask = layers.MaxPooling1D(pool_size, padding="same", name=f"mask_pool{i}")(mask)
    if mask is not None:
        x = MaskedGlobalAverage(name="masked_average")([x, mask])
    else:
        x = layers.GlobalAveragePooling1D(name="average")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Dense(dense, activation="relu", name="dense")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="emotion")(x)
    return _compile(keras.Model(inputs, outputs, name="temporal_conv1d"), learning_rate)


def course_conv1d(
    n_frames: int,
    n_frame_features: int,
    n_classes: int,
    *,
    filters=(64, 128, 128),
    kernel_size: int = 5,
    input_pool: int = 2,
    input_noise: float = 0.1,
    spec_augment: tuple | None = (20, 8, 2, 2),
    dropout: float = 0.4,
    learning_rate: float = 1e-3,
    seed: int | None = None,
) -> keras.Model:
    """The course's Conv1D over time (:data:`utils.learn.recipes.CONV`'s network).

    Layers, in order:

    1. :class:`FrameMask` finds the real (unpadded) frames of the input.
    2. ``AveragePooling1D(input_pool)`` averages pairs of 10 ms frames (20 ms steps: emotion lives
       in syllables and phrases, not in single frames; half the frames, half the cost); the mask
       is max-pooled alike.
    3. In training only: ``GaussianNoise(input_noise)`` and :class:`SpecAugment` masking
       (``spec_augment = (time_width, feature_width, n_time, n_feature)``, or None).
    4. Per entry of ``filters``: ``Conv1D`` (``same`` padding, no bias) + ``BatchNormalization``
       + ReLU + ``MaxPooling1D(2)`` (the mask pooled alike).
    5. :class:`MaskedMeanStd`: mean and standard deviation over the real time steps.
    6. ``Dropout(dropout)`` and a ``Dense`` softmax.

    Parameters
    ----------
    n_frames, n_frame_features : int
        Shape of one clip's sequence.
    n_classes : int
    filters : sequence of int
        Filters of each convolution block.
    kernel_size : int
        Time steps each filter sees (5 steps of 20 ms = 100 ms in the first block).
    input_pool : int
        Frames averaged into one time step before the convolutions (1: none).
    input_noise : float
        Standard deviation of the Gaussian noise on the scaled inputs in training (0: none).
    spec_augment : tuple of 4 int or None
        :class:`SpecAugment` settings.
    dropout : float
    learning_rate : float
        Adam's learning rate.
    seed : int, optional
        Seed of the SpecAugment masks.

    Returns
    -------
    keras.Model
        Compiled with Adam and the categorical cross-entropy on *one-hot* targets (mixup blends
        them); input ``(batch, n_frames, n_frame_features)``, output ``(batch, n_classes)``.

    Examples
    --------
    >>> model = course_conv1d(300, 108, 8)          # doctest: +SKIP
    >>> model.count_params()                        # doctest: +SKIP
    162440
    """
    _check_positive(n_frames=n_frames, n_frame_features=n_frame_features, n_classes=n_classes, kernel_size=kernel_size, input_pool=input_pool)
    filters = tuple(int(f) for f in filters)
    if not filters or min(filters) < 1:
        raise ValueError(f"filters must list at least one positive number of filters, not {filters!r}")
    if not 0 <= dropout < 1 or input_noise < 0:
        raise ValueError(f"dropout must be in [0, 1) and input_noise >= 0, not {dropout!r} and {input_noise!r}")
    if spec_augment is not None and (len(spec_augment) != 4 or min(spec_augment) < 0):
        raise ValueError(f"spec_augment must be (time_width, feature_width, n_time, n_feature) of non-negative integers or None, not {spec_augment!r}")
    inputs = keras.Input(shape=(n_frames, n_frame_features), name="frames")
    mask = FrameMask(name="frame_mask")(inputs)
    x = inputs
    if input_pool > 1:
        x = layers.AveragePooling1D(input_pool, padding="same", name="frame_pairs")(x)
        mask = layers.MaxPooling1D(input_pool, padding="same", name="mask_pairs")(mask)
    if input_noise > 0:
        x = layers.GaussianNoise(input_noise, seed=seed, name="input_noise")(x)
    if spec_augment is not None:
        x = SpecAugment(*spec_augment, seed=seed, name="spec_augment")(x)
    for i, f in enumerate(filters, start=1):
        x = layers.Conv1D(f, kernel_size, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.Activation("relu", name=f"relu{i}")(x)
        x = layers.MaxPooling1D(2, padding="same", name=f"pool{i}")(x)
        mask = layers.MaxPooling1D(2, padding="same", name=f"mask_pool{i}")(mask)
    x = MaskedMeanStd(name="mean_std")([x, mask])
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="emotion")(x)
    model = keras.Model(inputs, outputs, name="course_conv1d")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def stats_mlp(
    n_features: int,
    n_classes: int,
    *,
    hidden=(256, 128),
    dropout: float = 0.4,
    input_noise: float = 0.1,
    learning_rate: float = 1e-3,
) -> keras.Model:
    """A small dense network on pooled statistics of a clip (the course's benchmark model).

    Its input is a vector of clip-level statistics such as
    :func:`utils.features.inputs.frame_statistics` computes (means, spreads and percentiles of MFCC and
    their deltas, log-mel band statistics, pitch, voicing and energy), standardised with a
    scaler fitted on the training rows.  Layers: GaussianNoise(``input_noise``) on the input
    (active in training only: a cheap feature-space augmentation), then per hidden layer Dense +
    BatchNormalization + ReLU + Dropout(``dropout``), and a Dense softmax.  With 429 inputs and
    the defaults it has about 145,000 weights.  On small corpora such a model on pooled statistics is often stronger than a network on
    the frame sequences, which overfits the few speakers it sees.

    Parameters
    ----------
    n_features : int
        Length of the statistics vector.
    n_classes : int
        Number of classes.
    hidden : sequence of int
        Units of each hidden layer.
    dropout : float
        Dropout rate after each hidden layer.
    input_noise : float
        Standard deviation of the Gaussian noise added to the (standardised) inputs in
        training; 0 disables it.
    learning_rate : float
        Adam's initial learning rate.

    Returns
    -------
    keras.Model
        Compiled; input ``(batch, n_features)``, output ``(batch, n_classes)`` probabilities.

    Examples
    --------
    >>> model = stats_mlp(429, 8)                    # doctest: +SKIP
    >>> model.input_shape, model.output_shape        # doctest: +SKIP
    ((None, 429), (None, 8))
    """
    _check_positive(n_features=n_features, n_classes=n_classes)
    hidden = tuple(int(h) for h in hidden)
    if not hidden or min(hidden) < 1:
        raise ValueError(f"hidden must list at least one positive layer size, not {hidden!r}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), not {dropout!r}")
    if input_noise < 0:
        raise ValueError(f"input_noise must be >= 0, not {input_noise!r}")
    inputs = keras.Input(shape=(n_features,), name="statistics")
    x = layers.GaussianNoise(input_noise, name="input_noise")(inputs) if input_noise > 0 else inputs
    for i, units in enumerate(hidden, start=1):
        x = layers.Dense(units, name=f"dense{i}")(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.Activation("relu", name=f"relu{i}")(x)
        x = layers.Dropout(dropout, name=f"dropout{i}")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="emotion")(x)
    return _compile(keras.Model(inputs, outputs, name="stats_mlp"), learning_rate)


# --------------------------------------------------------------------------------------------
# Ensembles as one model
# --------------------------------------------------------------------------------------------


def ensemble_model(models, *, name: str = "ensemble") -> keras.Model:
    """One Keras model averaging the softmax outputs of several trained networks.

    The members become nested models named ``member_1``, ``member_2``, ... (they share their
    layers and weights with the models given, which are left unchanged); the output is
    ``keras.layers.Average`` of their outputs, so the whole ensemble is saved as ONE ``.keras``
    file that loads with ``keras.saving.load_model(..., safe_mode=True)`` (no lambdas, only
    built-in and registered layers).  Members' training-only layers (``GaussianNoise``,
    ``Dropout``) stay inactive when the ensemble is called with ``training=False`` or through
    ``predict``.  A single member is wrapped as it is (no averaging layer).

    Parameters
    ----------
    models : sequence of keras.Model
        Trained networks with one input and one output, all of the same input and output shape.
    name : str
        Name of the ensemble model.

    Returns
    -------
    keras.Model
        Not compiled (for inference and saving); input as the members', output
        ``(batch, n_classes)``, the mean of the members' probabilities.

    Examples
    --------
    >>> ensemble = ensemble_model([model_a, model_b])       # doctest: +SKIP
    >>> ensemble.save("models/course/model.keras")           # doctest: +SKIP
    """
    models = list(models)
    if not models:
        raise ValueError("models is empty: an ensemble needs at least one member")
    shapes = set()
    for i, m in enumerate(models):
        if not isinstance(m, keras.Model):
            raise ValueError(f"member {i + 1} is a {type(m).__name__}, not a keras.Model")
        if isinstance(m.input_shape, list) or isinstance(m.output_shape, list):
            raise ValueError(f"member {i + 1} must have exactly one input and one output")
        shapes.add((tuple(m.input_shape[1:]), tuple(m.output_shape[1:])))
    if len(shapes) != 1:
        raise ValueError(f"members differ in input/output shapes: {sorted(shapes)}")
    (input_shape, _), = shapes
    # Re-wrapped under unique names: layer names must be unique inside the ensemble.
    members = [keras.Model(m.input, m.output, name=f"member_{i}") for i, m in enumerate(models, start=1)]
    first = models[0].layers[0] if models[0].layers else None
    inputs = keras.Input(shape=input_shape, name=first.name if isinstance(first, layers.InputLayer) else "input")
    outputs = [member(inputs) for member in members]
    output = outputs[0] if len(outputs) == 1 else layers.Average(name="average")(outputs)
    return keras.Model(inputs, output, name=name)


def joint_ensemble(models, *, name: str = "joint_ensemble") -> keras.Model:
    """One Keras model averaging the probabilities of networks that take *different* inputs.

    The course's final model averages a Conv1D ensemble on frame sequences and a dense ensemble
    on statistics: the joint model has one input per member (in the members' order) and outputs
    the mean of their probabilities.  Saved as one ``.keras`` file; a bundle describes its inputs
    with a compound input kind such as ``"log_frames+stats"``.

    Parameters
    ----------
    models : sequence of keras.Model
        Trained models with one input each and the same number of outputs.
    name : str

    Returns
    -------
    keras.Model
        Not compiled; inputs a list (one array per member), output ``(batch, n_classes)``.
    """
    models = list(models)
    if len(models) < 2:
        raise ValueError("a joint ensemble needs at least two models")
    if len({tuple(m.output_shape[1:]) for m in models}) != 1 or any(isinstance(m.input_shape, list) for m in models):
        raise ValueError("every model needs one input and the same output shape")
    inputs = [keras.Input(shape=m.input_shape[1:], name=f"input_{i}") for i, m in enumerate(models, start=1)]
    wrapped = [keras.Model(m.input, m.output, name=f"part_{i}") for i, m in enumerate(models, start=1)]
    return keras.Model(inputs, layers.Average(name="average")([w(x) for w, x in zip(wrapped, inputs)]), name=name)


def ensemble_members(ensemble: keras.Model) -> list:
    """The member networks of a model built by :func:`ensemble_model` (also after loading)."""
    return [layer for layer in ensemble.layers if isinstance(layer, keras.Model)]
