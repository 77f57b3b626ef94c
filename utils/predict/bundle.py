"""A trained model together with everything needed to use it: one folder, checked when loaded.

A model is useless without the exact feature settings it was trained on, the scaler fitted on its
training clips and the names of its outputs.  A *bundle* keeps them together::

    models/demo/
      model.keras            the Keras model (architecture + weights)
      feature_config.json    utils.features.config.FeatureConfig.to_json
      scaler.json            mean and scale as plain lists (utils.learn.scaling.scaler_to_dict)
      labels.json            class names in the order of the model's outputs
      bundle.json            format version, input kind, creation info, sha256 of each file above

Every file is read without executing code: JSON, and a ``.keras`` archive loaded with
``keras.saving.load_model(..., safe_mode=True)`` (no pickle, no lambda layers; the custom layers
of :mod:`utils.learn.networks` are registered classes).

:func:`load_bundle` refuses a bundle that is incomplete (a file missing), altered (a checksum
differs from ``bundle.json``) or inconsistent (the scaler's size differs from the feature size
of the configuration, the number of labels from the model's outputs, the model's input shape from
the configuration), or, when asked, made with another feature configuration than the caller's.
Every refusal is a :class:`BundleError` naming the folder, the file and the problem.

Input kinds
-----------
``"vector"``
    The model takes pooled clip vectors ``(batch, config.vector_size)`` (or
    ``(batch, vector_size, 1)``); the scaler has ``vector_size`` entries.
``"frames"``
    The model takes frame sequences ``(batch, config.n_frames, config.n_frame_features)``; the
    scaler has ``n_frame_features`` entries, applied to every frame (as
    :func:`utils.learn.scaling.apply_scaler` does).
``"stats"``
    The model takes pooled statistics of the frame sequence ``(batch, n_stats)``:
    :func:`utils.features.inputs.frame_statistics` of the clip's frames (the real, unpadded frames
    only), as the course recipe of :mod:`utils.evaluation.benchmark` trains on; ``n_stats`` follows from the
    configuration (:func:`n_statistics`, 429 for :data:`utils.learn.recipes.COURSE`).  The
    scaler has ``n_stats`` entries.  The model may be an ensemble
    (:func:`utils.learn.networks.ensemble_model`), saved as one ``.keras`` file.

Examples
--------
>>> save_bundle("models/demo", model, config, scaler, labels, input_kind="vector")  # doctest: +SKIP
>>> bundle = load_bundle("models/demo", expected_config=config)                     # doctest: +SKIP
>>> bundle.predict_proba(X_test[:5]).shape                                          # doctest: +SKIP
(5, 8)
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import shutil
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.files import file_digest
from ..features import config as feature_config
from ..features.config import FeatureConfig
from ..features.inputs import INPUT_KINDS, feature_set_inputs, input_shape, signal_inputs

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
    """``(input shape without batch, number of outputs)`` of a single-input, single-output model."""
    inputs = model.input_shape
    outputs = model.output_shape
    if isinstance(inputs, list) or isinstance(outputs, list):
        raise ValueError("must have exactly one input and one output")
    return tuple(inputs[1:]), int(outputs[-1])


def _consistency_problems(config, input_kind, n_scaler, labels, model_input, n_outputs) -> list:
    """Messages ``(file, problem)`` for every disagreement between the parts of a bundle."""
    problems = []
    size = input_shape(config, input_kind)[-1]
    what = {"vector": "features", "frames": "features per frame", "stats": "frame statistics"}[input_kind]
    if n_scaler != size:
        problems.append((SCALER_FILE, f"{SCALER_FILE} has {n_scaler} values but {CONFIG_FILE} gives {size} {what} (input kind {input_kind!r})"))
    expected = input_shape(config, input_kind)
    if model_input is not None and tuple(model_input) not in (expected, expected + (1,)):
        shown = ", ".join(str(d) for d in model_input)
        problems.append((MODEL_FILE, f"{MODEL_FILE} takes inputs of shape (batch, {shown}) but {CONFIG_FILE} gives {input_kind} inputs of shape (batch, {', '.join(map(str, expected))})"))
    if n_outputs is not None and n_outputs != len(labels):
        problems.append((LABELS_FILE, f"{LABELS_FILE} names {len(labels)} classes but {MODEL_FILE} has {n_outputs} outputs"))
    return problems


def _config_differences(found: FeatureConfig, expected: FeatureConfig) -> list:
    a, b = found.to_dict(), expected.to_dict()
    return [f"{k}={a[k]!r} (bundle) vs {b[k]!r} (expected)" for k in a if a[k] != b[k]]


# --------------------------------------------------------------------------------------------
# Bundle
# --------------------------------------------------------------------------------------------


@dataclass
class Bundle:
    """A loaded, checked model bundle (see :func:`load_bundle`).

    Attributes
    ----------
    folder : Path
    model : keras.Model
        When the bundle was loaded with ``background=True`` the first access waits for the model
        (and raises the :class:`BundleError` of a model that failed its checks).
    config : FeatureConfig
    scaler_mean, scaler_scale : np.ndarray
        The training scaler (float64).
    labels : list of str
        Class names in the model's output order.
    input_kind : {"vector", "frames", "stats"}
    info : dict
        The content of ``bundle.json`` (creation info, checksums, ``extra``).
    """

    folder: Path
    model: object
    config: FeatureConfig
    scaler_mean: np.ndarray
    scaler_scale: np.ndarray
    labels: list
    input_kind: str
    info: dict = field(default_factory=dict)

    def __getattribute__(self, name):
        value = object.__getattribute__(self, name)
        if name == "model" and isinstance(value, Future):
            value = value.result()  # raises the loader's BundleError
            object.__setattr__(self, "model", value)
        return value

    @property
    def model_ready(self) -> bool:
        """False while a model loaded with ``background=True`` is still loading."""
        value = object.__getattribute__(self, "model")
        return not isinstance(value, Future) or value.done()

    def __repr__(self) -> str:
        return (
            f"Bundle({str(self.folder)!r}, {self.input_kind} input {self.feature_shape}, "
            f"{len(self.labels)} classes {self.labels}, config {self.config.fingerprint()})"
        )

    @property
    def feature_shape(self) -> tuple:
        """Shape of one clip's (unscaled) features, as the model takes them."""
        return input_shape(self.config, self.input_kind)

    def features(self, y) -> np.ndarray:
        """Unscaled model input of one signal at ``config.sr`` (vector, frame sequence or statistics).

        Uses :func:`utils.features.inputs.signal_inputs`, exactly as at training time.  The signal
        must already be read and trimmed as :func:`utils.features.clip.load_clip` does.
        """
        return signal_inputs(y, self.config, self.input_kind)

    def feature_set_inputs(self, feature_set) -> np.ndarray:
        """Unscaled model inputs of the rows of a FeatureSet of ``config`` (:func:`utils.features.inputs.feature_set_inputs`)."""
        if feature_set.config != self.config:
            raise ValueError("the feature set was extracted with another FeatureConfig than this bundle's")
        return feature_set_inputs(feature_set, self.input_kind)

    def _batch(self, features) -> np.ndarray:
        X = np.asarray(features)
        shape = self.feature_shape
        if X.shape == shape:
            X = X[None]
        if X.shape[1:] != shape:
            raise ValueError(f"features of shape {X.shape} do not fit this bundle: expected (n, {', '.join(map(str, shape))}) ({self.input_kind} input)")
        return X

    def transform(self, features) -> np.ndarray:
        """Scale features with the bundle's scaler: ``(X - mean) / scale`` per feature, float32.

        The same arithmetic as :func:`utils.learn.scaling.apply_scaler` (frame sequences are scaled frame
        by frame).  A single clip's features are promoted to a batch of one.
        """
        X = self._batch(features)
        return ((X.astype(np.float64, copy=False) - self.scaler_mean) / self.scaler_scale).astype(np.float32)

    def predict_proba(self, features, batch_size: int = 512) -> np.ndarray:
        """Class probabilities of unscaled features: scaler, then model, in batches.

        Parameters
        ----------
        features : np.ndarray
            ``(n, *feature_shape)`` unscaled features, or one clip's ``feature_shape``.
        batch_size : int
            Clips per model call.

        Returns
        -------
        np.ndarray
            ``(n, len(labels))`` float32 probabilities, columns in the order of :attr:`labels`.

        Examples
        --------
        >>> bundle.predict_proba(fs.X).argmax(axis=1)    # doctest: +SKIP
        """
        X = self._batch(features)
        model = self.model
        channel_axis = len(model.input_shape) == X.ndim + 1  # a model taking (..., 1) inputs
        out = np.empty((len(X), len(self.labels)), dtype=np.float32)
        for start in range(0, len(X), batch_size):
            chunk = self.transform(X[start : start + batch_size])
            out[start : start + len(chunk)] = np.asarray(model(chunk[..., None] if channel_axis else chunk, training=False))
        return out


# --------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------


def _versions() -> dict:
    from importlib import metadata

    import keras

    try:
        course = metadata.version("ser-course")
    except metadata.PackageNotFoundError:  # running from a checkout that was not installed
        course = "not installed"
    versions = {"python": platform.python_version(), "ser-course": course, "keras": keras.__version__, "numpy": np.__version__}
    try:
        import tensorflow as tf

        versions["tensorflow"] = tf.__version__
    except ImportError:  # pragma: no cover - the course always has TensorFlow
        pass
    return versions


def save_bundle(folder, model, config: FeatureConfig, scaler, labels, *, input_kind: str, extra: dict | None = None) -> Path:
    """Write a model bundle folder (replacing an existing bundle there as a whole).

    The parts are checked against each other first, so a bundle that :func:`load_bundle` would
    refuse is never written.  Files are written to a temporary folder beside ``folder`` that then
    takes its place, so an interrupted save leaves the previous bundle intact.

    Parameters
    ----------
    folder : str or Path
        The bundle folder, e.g. ``models/demo``.
    model : keras.Model
        Trained model with one input and one softmax output.
    config : FeatureConfig
        The feature configuration the model was trained with.
    scaler : StandardScaler or dict
        The scaler fitted on the training clips (``utils.learn.scaling.fit_scaler``), or a dict with
        ``mean`` and ``scale`` lists.
    labels : sequence of str or utils.learn.labels.LabelEncoder
        Class names in the order of the model's outputs.
    input_kind : {"vector", "frames", "stats"}
        What the model takes (see the module docstring).
    extra : dict, optional
        Anything JSON-serialisable to keep in ``bundle.json`` (training data, scores, ...).

    Returns
    -------
    Path
        The bundle folder.

    Raises
    ------
    BundleError
        The parts disagree (the message says how).

    Examples
    --------
    >>> save_bundle("models/demo", model, config, scaler, enc.classes_, input_kind="vector",
    ...             extra={"test_uar": 0.61})      # doctest: +SKIP
    """
    folder = Path(folder)
    if input_kind not in INPUT_KINDS:
        raise BundleError(folder, f"input_kind must be one of {INPUT_KINDS}, not {input_kind!r}")
    if not isinstance(config, FeatureConfig):
        raise BundleError(folder, f"config must be a FeatureConfig, not {type(config).__name__}")
    try:
        scaler_data = _scaler_dict(scaler)
        mean, _ = _check_scaler_values(scaler_data)
    except ValueError as exc:
        raise BundleError(folder, f"scaler: {exc}") from None
    try:
        labels = _check_labels(labels)
    except ValueError as exc:
        raise BundleError(folder, f"labels: {exc}") from None
    try:
        model_input, n_outputs = _model_shapes(model)
    except (AttributeError, ValueError) as exc:
        raise BundleError(folder, f"model: {exc}") from None
    problems = _consistency_problems(config, input_kind, len(mean), labels, model_input, n_outputs)
    if problems:
        raise BundleError(folder, "; ".join(p for _, p in problems), problems[0][0])
    try:
        extra_json = json.loads(json.dumps(extra if extra is not None else {}))
    except (TypeError, ValueError) as exc:
        raise BundleError(folder, f"extra must be JSON-serialisable ({exc})") from None

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".{folder.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        model.save(tmp / MODEL_FILE)
        config.to_json(tmp / CONFIG_FILE)
        (tmp / SCALER_FILE).write_text(json.dumps(scaler_data, indent=1) + "\n", encoding="utf-8")
        (tmp / LABELS_FILE).write_text(json.dumps(labels, indent=1) + "\n", encoding="utf-8")
        info = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "input_kind": input_kind,
            "input_shape": list(input_shape(config, input_kind)),
            "labels": labels,
            "created": {
                "utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "model_name": getattr(model, "name", ""),
                "parameters": int(model.count_params()),
                "feature_config_fingerprint": config.fingerprint(),
                "versions": _versions(),
            },
            "files": {name: {"sha256": file_digest(tmp / name, "sha256"), "bytes": (tmp / name).stat().st_size} for name in CONTENT_FILES},
            "extra": extra_json,
        }
        (tmp / INFO_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        _replace_folder(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _replace_folder(new: Path, folder: Path) -> None:
    """Put ``new`` at ``folder``; an existing folder there is moved aside, then removed."""
    if folder.exists() or folder.is_symlink():
        if not folder.is_dir():
            raise BundleError(folder, "exists and is not a folder")
        old = folder.parent / f".{folder.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(folder, old)
        os.replace(new, folder)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, folder)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _read_json(folder: Path, name: str):
    path = folder / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BundleError(folder, f"{name} missing", name) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(folder, f"{name} is not valid JSON ({exc})", name) from None


def _read_info(folder: Path) -> dict:
    if not folder.exists():
        raise BundleError(folder, "folder not found")
    if not folder.is_dir():
        raise BundleError(folder, "is not a folder (a bundle is a folder holding model.keras, feature_config.json, ...)")
    if not (folder / INFO_FILE).is_file():
        present = sorted(p.name for p in folder.iterdir())[:8]
        raise BundleError(folder, f"{INFO_FILE} missing: not a model bundle written by utils.predict.bundle.save_bundle (folder holds {present})", INFO_FILE)
    info = _read_json(folder, INFO_FILE)
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise BundleError(folder, f"{INFO_FILE} does not describe a {FORMAT!r}", INFO_FILE)
    version = info.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BundleError(folder, f"{INFO_FILE} has format version {version!r}; this code reads version {FORMAT_VERSION} (update the course code)", INFO_FILE)
    if info.get("input_kind") not in INPUT_KINDS:
        raise BundleError(folder, f"{INFO_FILE} gives input kind {info.get('input_kind')!r}, not one of {INPUT_KINDS}", INFO_FILE)
    files = info.get("files")
    if not isinstance(files, dict) or any(name not in files for name in CONTENT_FILES):
        raise BundleError(folder, f"{INFO_FILE} must list the checksums of {list(CONTENT_FILES)}", INFO_FILE)
    return info


def _verify_files(folder: Path, info: dict) -> None:
    missing = [name for name in CONTENT_FILES if not (folder / name).is_file()]
    if missing:
        raise BundleError(folder, f"{', '.join(missing)} missing (an incomplete bundle; save it again)", missing[0])
    for name in CONTENT_FILES:
        expected = info["files"][name].get("sha256") if isinstance(info["files"][name], dict) else None
        actual = file_digest(folder / name, "sha256")
        if actual != expected:
            raise BundleError(folder, f"{name} does not match the checksum in {INFO_FILE} (sha256 {actual[:12]}... instead of {str(expected)[:12]}...): the file was changed or damaged after the bundle was saved", name)


def _load_model(folder: Path):
    from ..learn import networks  # registers the custom layers; loads TensorFlow with its start-up notices hidden

    keras = networks.keras

    try:
        return keras.saving.load_model(folder / MODEL_FILE, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for a bad archive
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BundleError(folder, f"{MODEL_FILE} cannot be loaded ({type(exc).__name__}: {text[:300]})", MODEL_FILE) from None


def load_bundle(folder, *, expected_config: FeatureConfig | None = None, background: bool = False) -> Bundle:
    """Read a model bundle and check that it is complete, unaltered and consistent.

    Checks, in order: ``bundle.json`` is present and of a known format version; every file it
    lists is present and has the recorded sha256; the configuration, scaler and labels are
    valid; the configuration's fingerprint, computed by this version of the feature code, is
    the one recorded at saving time (so a change of the feature code or configuration is
    refused, never silently used); the scaler's size equals the configuration's feature size; ``expected_config`` (if
    given) equals the bundle's configuration; the model loads (``safe_mode=True``), its input
    shape matches the configuration and its number of outputs the number of labels.

    Parameters
    ----------
    folder : str or Path
        The bundle folder.
    expected_config : FeatureConfig, optional
        The configuration the caller computes features with; a bundle made with another one is
        refused (its predictions would be meaningless).
    background : bool
        Check everything but the model now, then load the model (importing TensorFlow takes a
        few seconds) in a background thread while the caller computes features with
        ``bundle.config``; the model's checks then raise on first use of ``bundle.model``.

    Returns
    -------
    Bundle

    Raises
    ------
    BundleError
        The message names the folder, the file and the problem, e.g. ``bundle models/x:
        scaler.json has 360 values but feature_config.json gives 180 features``.

    Examples
    --------
    >>> bundle = load_bundle("models/demo")          # doctest: +SKIP
    >>> bundle.labels                                # doctest: +SKIP
    ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised']
    """
    folder = Path(folder)
    info = _read_info(folder)
    _verify_files(folder, info)
    try:
        config = FeatureConfig.from_dict(_read_json(folder, CONFIG_FILE))
    except ValueError as exc:
        if isinstance(exc, BundleError):
            raise
        raise BundleError(folder, f"{CONFIG_FILE} is not a valid feature configuration ({exc})", CONFIG_FILE) from None
    try:
        mean, scale = _check_scaler_values(_read_json(folder, SCALER_FILE))
    except BundleError:
        raise
    except ValueError as exc:
        raise BundleError(folder, f"{SCALER_FILE} {exc}", SCALER_FILE) from None
    try:
        labels = _check_labels(_read_json(folder, LABELS_FILE))
    except BundleError:
        raise
    except ValueError as exc:
        raise BundleError(folder, f"{LABELS_FILE} {exc}", LABELS_FILE) from None
    recorded = (info.get("created") or {}).get("feature_config_fingerprint")
    if recorded != config.fingerprint():
        raise BundleError(
            folder,
            f"{INFO_FILE} records feature configuration {recorded!r} but {CONFIG_FILE} has fingerprint "
            f"{config.fingerprint()!r} with this version of the course's feature code (FEATURE_VERSION "
            f"{feature_config.FEATURE_VERSION}): the features would not be computed as in training. Retrain and save the "
            "bundle again, or use the course version it was made with",
            CONFIG_FILE,
        )
    input_kind = info["input_kind"]
    problems = _consistency_problems(config, input_kind, len(mean), labels, None, None)
    if problems:
        raise BundleError(folder, problems[0][1], problems[0][0])
    if expected_config is not None:
        differences = _config_differences(config, expected_config)
        if differences:
            raise BundleError(folder, f"{CONFIG_FILE} differs from the expected feature configuration: {'; '.join(differences)}", CONFIG_FILE)
    def checked_model():
        model = _load_model(folder)
        try:
            model_input, n_outputs = _model_shapes(model)
        except ValueError as exc:
            raise BundleError(folder, f"{MODEL_FILE} {exc}", MODEL_FILE) from None
        problems = _consistency_problems(config, input_kind, len(mean), labels, model_input, n_outputs)
        if problems:
            raise BundleError(folder, problems[0][1], problems[0][0])
        return model

    if background:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="load-model")
        model = executor.submit(checked_model)
        executor.shutdown(wait=False)
    else:
        model = checked_model()
    return Bundle(folder=folder, model=model, config=config, scaler_mean=mean, scaler_scale=scale, labels=labels, input_kind=input_kind, info=info)


def is_bundle(folder) -> bool:
    """True if ``folder`` holds a ``bundle.json`` (without checking anything else)."""
    return (Path(folder) / INFO_FILE).is_file()

