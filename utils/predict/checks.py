"""The parts of a model bundle and the checks they must pass, shared by saving and loading.

:mod:`utils.predict.bundle` describes the layout; here are its file names, :class:`BundleError`
and the checks of the scaler, the labels and their agreement with the feature configuration and
the model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..features.config import FeatureConfig
from ..features.inputs import input_parts, input_shape, input_size

FORMAT = "ser-course-model-bundle"
"""Value of ``bundle.json``'s ``format`` field."""

FORMAT_VERSION = 1
"""Version of the bundle layout; raised when it changes."""

MODEL_FILE = "model.keras"
CONFIG_FILE = "feature_config.json"
SCALER_FILE = "scaler.json"
LABELS_FILE = "labels.json"
INFO_FILE = "bundle.json"
CONTENT_FILES = (MODEL_FILE, CONFIG_FILE, SCALER_FILE, LABELS_FILE)
"""The files whose checksums ``bundle.json`` lists."""

ADAPTED_FOLDER = "adapted"
"""Sub-folder holding the speaker-adapted model's bundle, when there is one."""

NORMALIZATIONS = ("none", "speaker")
"""What a bundle's model expects: raw inputs, or inputs z-scored per speaker."""



class BundleError(ValueError):
    """A model bundle that cannot be used; the message names the folder, the file and the problem.

    Attributes
    ----------
    folder : Path
    file : str or None
        The file concerned (``None`` for the folder itself or a bad argument to
        :func:`save_bundle`).
    problem : str
        The message without the ``bundle <folder>:`` prefix.
    """

    def __init__(self, folder, problem: str, file: str | None = None):
        self.folder = Path(folder)
        self.file = file
        self.problem = problem
        super().__init__(f"bundle {folder}: {problem}")


# --------------------------------------------------------------------------------------------
# Helpers shared by saving and loading
# --------------------------------------------------------------------------------------------


def _scaler_dict(scaler) -> dict:
    """A fitted scaler (StandardScaler-like) or a ``{"mean", "scale"}`` dict as plain lists."""
    if isinstance(scaler, dict):
        data = dict(scaler)
    elif hasattr(scaler, "mean_") and hasattr(scaler, "scale_"):
        from ..learn.scaling import scaler_to_dict

        data = scaler_to_dict(scaler)
    else:
        raise ValueError(f"scaler must be a fitted StandardScaler or a dict with 'mean' and 'scale', not {type(scaler).__name__}")
    if data.get("mean") is None or data.get("scale") is None:
        raise ValueError("has no mean or no scale (fitted with_mean=False?); give a dict with 'mean' and 'scale' lists")
    data["mean"] = [float(v) for v in np.asarray(data["mean"], dtype=np.float64).ravel()]
    data["scale"] = [float(v) for v in np.asarray(data["scale"], dtype=np.float64).ravel()]
    return data


def _check_scaler_values(data) -> tuple:
    """``(mean, scale)`` float64 arrays from a scaler dict, or ValueError saying what is wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("mean"), list) or not isinstance(data.get("scale"), list):
        raise ValueError("must hold a JSON object with 'mean' and 'scale' lists")
    try:
        mean = np.asarray(data["mean"], dtype=np.float64)
        scale = np.asarray(data["scale"], dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("'mean' and 'scale' must hold numbers only") from None
    if mean.ndim != 1 or mean.shape != scale.shape or not len(mean):
        raise ValueError(f"'mean' has {mean.size} values but 'scale' has {scale.size}; they must be equally long and non-empty")
    if not np.all(np.isfinite(mean)) or not np.all(np.isfinite(scale)) or not np.all(scale > 0):
        raise ValueError("'mean' must be finite and 'scale' finite and positive")
    return mean, scale


def _check_labels(labels) -> list:
    if hasattr(labels, "classes_"):
        labels = labels.classes_
    if isinstance(labels, str) or not isinstance(labels, (list, tuple, np.ndarray)):
        raise ValueError(f"must be a list of class names, not {type(labels).__name__}")
    labels = list(labels)
    if not labels or not all(isinstance(c, (str, np.str_)) and c for c in labels):
        raise ValueError("must be a non-empty list of non-empty class names")
    labels = [str(c) for c in labels]
    if len(set(labels)) != len(labels):
        raise ValueError(f"names a class twice: {labels}")
    return labels


def _model_shapes(model) -> tuple:
    """``(input shape without batch, number of outputs)`` of a model with one output.

    A model with several inputs gives a tuple of their shapes (for a compound input kind).
    """
    inputs = model.input_shape
    outputs = model.output_shape
    if isinstance(outputs, list):
        raise ValueError("must have exactly one output")
    if isinstance(inputs, list):
        return tuple(tuple(i[1:]) for i in inputs), int(outputs[-1])
    return tuple(inputs[1:]), int(outputs[-1])


def _shapes_text(shapes) -> str:
    """``(batch, 300, 108)``, or ``(batch, 300, 108) and (batch, 429)`` for several inputs."""
    shapes = tuple(shapes)
    several = shapes and isinstance(shapes[0], tuple)
    return " and ".join(f"(batch, {', '.join(map(str, s))})" for s in (shapes if several else (shapes,)))


def _consistency_problems(config, input_kind, n_scaler, labels, model_input, n_outputs) -> list:
    """Messages ``(file, problem)`` for every disagreement between the parts of a bundle."""
    problems = []
    size = input_size(config, input_kind)
    names = {"vector": "features", "frames": "features per frame", "log_frames": "features per frame", "stats": "frame statistics"}
    what = " + ".join(names[p] for p in input_parts(input_kind))
    if n_scaler != size:
        problems.append((SCALER_FILE, f"{SCALER_FILE} has {n_scaler} values but {CONFIG_FILE} gives {size} {what} (input kind {input_kind!r})"))
    expected = input_shape(config, input_kind)
    compound = len(input_parts(input_kind)) > 1
    if model_input is not None and tuple(model_input) not in ((expected,) if compound else (expected, expected + (1,))):
        problems.append((MODEL_FILE, f"{MODEL_FILE} takes inputs of shape {_shapes_text(model_input)} but {CONFIG_FILE} gives {input_kind} inputs of shape {_shapes_text(expected)}"))
    if n_outputs is not None and n_outputs != len(labels):
        problems.append((LABELS_FILE, f"{LABELS_FILE} names {len(labels)} classes but {MODEL_FILE} has {n_outputs} outputs"))
    return problems


def _config_differences(found: FeatureConfig, expected: FeatureConfig) -> list:
    a, b = found.to_dict(), expected.to_dict()
    return [f"{k}={a[k]!r} (bundle) vs {b[k]!r} (expected)" for k in a if a[k] != b[k]]


# --------------------------------------------------------------------------------------------
# Bundle
