"""A trained model together with everything needed to use it: one folder, checked when loaded.

A model is useless without the exact feature settings it was trained on, the scaler fitted on its
training clips and the names of its outputs.  A *bundle* keeps them together::

    models/demo/
      model.keras            the Keras model (architecture + weights)
      feature_config.json    utils.features.config.FeatureConfig.to_json
      scaler.json            mean and scale as plain lists (utils.learn.scaling.scaler_to_dict)
      labels.json            class names in the order of the model's outputs
      bundle.json            format version, input kind, creation info, sha256 of each file above
      adapted/               optional: the speaker-adapted model, itself a bundle (see below)

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

Speaker adaptation
------------------
A bundle may carry a second model, in ``adapted/``, trained on *speaker-normalised* inputs
(every speaker's inputs z-scored with that speaker's own statistics,
:func:`utils.learn.scaling.speaker_normalize`).  It is used only when several unlabelled clips of
one speaker are predicted together (:func:`utils.predict.clips.predict_folder` with speakers,
:func:`utils.predict.timeline.predict_timeline` with ``adapt=True``), and only when the speaker
has at least ``min_speech_seconds`` of speech; otherwise the single-clip model answers.
``adapted/`` is a complete bundle (same feature configuration and labels, ``normalization``
``"speaker"`` in its ``bundle.json``); the outer ``bundle.json`` records the sha256 of its
``bundle.json`` and the minimum of speech, so the two cannot be mixed up.

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
from ..features.inputs import feature_set_inputs, input_parts, input_shape, signal_inputs
from .checks import (  # noqa: F401  (BundleError and the file names are part of this module's interface)
    ADAPTED_FOLDER,
    CONFIG_FILE,
    CONTENT_FILES,
    FORMAT,
    FORMAT_VERSION,
    INFO_FILE,
    LABELS_FILE,
    MODEL_FILE,
    NORMALIZATIONS,
    SCALER_FILE,
    BundleError,
    _check_labels,
    _check_scaler_values,
    _config_differences,
    _consistency_problems,
    _model_shapes,
    _scaler_dict,
)

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
    input_kind : {"vector", "frames", "stats", "log_frames"}
    info : dict
        The content of ``bundle.json`` (creation info, checksums, ``extra``).
    normalization : {"none", "speaker"}
        ``"speaker"``: the model takes speaker-normalised inputs (the ``adapted/`` part).
    adapted : Bundle or None
        The speaker-adapted model, if the bundle has one (see the module docstring).
    min_speech_seconds : float or None
        Speech a speaker needs for :attr:`adapted` to be used (``None`` without it).
    """

    folder: Path
    model: object
    config: FeatureConfig
    scaler_mean: np.ndarray
    scaler_scale: np.ndarray
    labels: list
    input_kind: str
    info: dict = field(default_factory=dict)
    normalization: str = "none"
    adapted: Bundle | None = None
    min_speech_seconds: float | None = None

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
        adapted = f", speaker-adapted {self.adapted.input_kind} model (from {self.min_speech_seconds:g} s of speech)" if self.adapted is not None else ""
        return (
            f"Bundle({str(self.folder)!r}, {self.input_kind} input {self.feature_shape}, "
            f"{len(self.labels)} classes {self.labels}, config {self.config.fingerprint()}{adapted})"
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

    @property
    def parts(self) -> tuple:
        """The simple input kinds the model takes (one for most models; two for the joint ensemble)."""
        return input_parts(self.input_kind)

    def _batch(self, features) -> tuple:
        """The features as a tuple of batches, one per part (a single clip promoted to a batch of one)."""
        shapes = self.feature_shape if len(self.parts) > 1 else (self.feature_shape,)
        given = features if len(self.parts) > 1 else (features,)
        if not isinstance(given, (tuple, list)) or len(given) != len(shapes):
            raise ValueError(f"this bundle takes {len(shapes)} inputs ({self.input_kind}), one array each, not {type(features).__name__}")
        out = []
        for X, shape, kind in zip(given, shapes, self.parts):
            X = np.asarray(X)
            if X.shape == shape:
                X = X[None]
            if X.shape[1:] != shape:
                raise ValueError(f"features of shape {X.shape} do not fit this bundle: expected (n, {', '.join(map(str, shape))}) ({kind} input)")
            out.append(X)
        if len({len(X) for X in out}) != 1:
            raise ValueError(f"the inputs describe different numbers of clips: {[len(X) for X in out]}")
        return tuple(out)

    def transform(self, features):
        """Scale features with the bundle's scaler: ``(X - mean) / scale`` per feature, float32.

        The same arithmetic as :func:`utils.learn.scaling.apply_scaler` (frame sequences are scaled frame
        by frame).  A single clip's features are promoted to a batch of one.  For a compound input
        kind, a tuple with one scaled array per part (the scaler holds the parts' values one after
        the other).
        """
        parts, out, start = self._batch(features), [], 0
        for X in parts:
            d = X.shape[-1]
            mean, scale = self.scaler_mean[start : start + d], self.scaler_scale[start : start + d]
            out.append(((X.astype(np.float64, copy=False) - mean) / scale).astype(np.float32))
            start += d
        return tuple(out) if len(self.parts) > 1 else out[0]

    def predict_proba(self, features, batch_size: int = 512) -> np.ndarray:
        """Class probabilities of unscaled features: scaler, then model, in batches.

        Parameters
        ----------
        features : np.ndarray or tuple of np.ndarray
            ``(n, *feature_shape)`` unscaled features, or one clip's ``feature_shape``; for a
            compound input kind, a tuple with one such array per part.
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
        parts = self._batch(features)
        model = self.model
        several = len(parts) > 1
        channel_axis = not several and len(model.input_shape) == parts[0].ndim + 1  # a model taking (..., 1) inputs
        n = len(parts[0])
        out = np.empty((n, len(self.labels)), dtype=np.float32)
        for start in range(0, n, batch_size):
            chunk = [X[start : start + batch_size] for X in parts]
            scaled = self.transform(tuple(chunk) if several else chunk[0])
            if several:
                given = list(scaled)
            else:
                given = scaled[..., None] if channel_axis else scaled
            out[start : start + len(chunk[0])] = np.asarray(model(given, training=False))
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


def save_bundle(folder, model, config: FeatureConfig, scaler, labels, *, input_kind: str, extra: dict | None = None, adapted: dict | None = None, normalization: str = "none") -> Path:
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
    input_kind : {"vector", "frames", "stats", "log_frames"}
        What the model takes (see the module docstring).
    extra : dict, optional
        Anything JSON-serialisable to keep in ``bundle.json`` (training data, scores, ...).
    adapted : dict, optional
        The speaker-adapted model, saved in ``adapted/``: ``model``, ``scaler`` (fitted on the
        speaker-normalised training inputs), ``input_kind`` and ``min_speech_seconds`` (the
        speech a speaker needs before it is used), optionally ``extra``.  Same configuration
        and labels as the main model.
    normalization : {"none", "speaker"}
        What the model expects (``"speaker"`` is how the ``adapted/`` part is saved).

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
    try:
        input_parts(input_kind)
    except ValueError as exc:
        raise BundleError(folder, str(exc)) from None
    if normalization not in NORMALIZATIONS:
        raise BundleError(folder, f"normalization must be one of {NORMALIZATIONS}, not {normalization!r}")
    if normalization == "speaker" and adapted is not None:
        raise BundleError(folder, "a speaker-normalised model cannot carry another adapted model")
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
    adapted_entry = _check_adapted(folder, adapted) if adapted is not None else None

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".{folder.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        if adapted_entry is not None:
            save_bundle(tmp / ADAPTED_FOLDER, adapted["model"], config, adapted["scaler"], labels, input_kind=adapted["input_kind"], extra=adapted.get("extra"), normalization="speaker")
            adapted_entry["bundle_sha256"] = file_digest(tmp / ADAPTED_FOLDER / INFO_FILE, "sha256")
        model.save(tmp / MODEL_FILE)
        config.to_json(tmp / CONFIG_FILE)
        (tmp / SCALER_FILE).write_text(json.dumps(scaler_data, indent=1) + "\n", encoding="utf-8")
        (tmp / LABELS_FILE).write_text(json.dumps(labels, indent=1) + "\n", encoding="utf-8")
        info = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "input_kind": input_kind,
            "normalization": normalization,
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
        if adapted_entry is not None:
            info["adapted"] = adapted_entry
        (tmp / INFO_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        _replace_folder(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _check_adapted(folder: Path, adapted) -> dict:
    """The ``adapted`` entry of ``bundle.json`` for save_bundle's ``adapted`` argument (checked)."""
    if not isinstance(adapted, dict):
        raise BundleError(folder, f"adapted must be a dict with model, scaler, input_kind and min_speech_seconds, not {type(adapted).__name__}")
    missing = [k for k in ("model", "scaler", "input_kind", "min_speech_seconds") if k not in adapted]
    unknown = sorted(set(adapted) - {"model", "scaler", "input_kind", "min_speech_seconds", "extra"})
    if missing or unknown:
        raise BundleError(folder, f"adapted: missing {missing}, unknown {unknown}")
    seconds = adapted["min_speech_seconds"]
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not np.isfinite(seconds) or seconds <= 0:
        raise BundleError(folder, f"adapted: min_speech_seconds must be a positive number of seconds, not {seconds!r}")
    return {"folder": ADAPTED_FOLDER, "input_kind": adapted["input_kind"], "min_speech_seconds": float(seconds)}


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
    try:
        input_parts(info.get("input_kind"))
    except ValueError:
        raise BundleError(folder, f"{INFO_FILE} gives input kind {info.get('input_kind')!r}, not a known kind (or kinds joined by '+')", INFO_FILE) from None
    if info.get("normalization", "none") not in NORMALIZATIONS:
        raise BundleError(folder, f"{INFO_FILE} gives normalization {info.get('normalization')!r}, not one of {NORMALIZATIONS}", INFO_FILE)
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

    adapted, min_seconds = _load_adapted(folder, info, config, labels, background) if "adapted" in info else (None, None)
    if background:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="load-model")
        model = executor.submit(checked_model)
        executor.shutdown(wait=False)
    else:
        model = checked_model()
    return Bundle(
        folder=folder, model=model, config=config, scaler_mean=mean, scaler_scale=scale, labels=labels, input_kind=input_kind, info=info,
        normalization=info.get("normalization", "none"), adapted=adapted, min_speech_seconds=min_seconds,
    )


def _load_adapted(folder: Path, info: dict, config: FeatureConfig, labels: list, background: bool) -> tuple:
    """The checked ``adapted/`` bundle of ``folder`` and its minimum of speech."""
    entry = info["adapted"]
    if not isinstance(entry, dict) or entry.get("folder") != ADAPTED_FOLDER or not isinstance(entry.get("min_speech_seconds"), (int, float)) or entry["min_speech_seconds"] <= 0:
        raise BundleError(folder, f"{INFO_FILE}: 'adapted' must give folder {ADAPTED_FOLDER!r}, min_speech_seconds > 0 and bundle_sha256", INFO_FILE)
    sub = folder / ADAPTED_FOLDER
    if not (sub / INFO_FILE).is_file():
        raise BundleError(folder, f"{INFO_FILE} lists a speaker-adapted model but {ADAPTED_FOLDER}/{INFO_FILE} is missing (an incomplete bundle; save it again)", ADAPTED_FOLDER)
    actual = file_digest(sub / INFO_FILE, "sha256")
    if actual != entry.get("bundle_sha256"):
        raise BundleError(folder, f"{ADAPTED_FOLDER}/{INFO_FILE} does not match the checksum in {INFO_FILE}: the adapted model was replaced or changed after the bundle was saved", ADAPTED_FOLDER)
    adapted = load_bundle(sub, expected_config=config, background=background)
    if adapted.normalization != "speaker":
        raise BundleError(folder, f"{ADAPTED_FOLDER}/ holds a model for raw inputs, not speaker-normalised ones", ADAPTED_FOLDER)
    if adapted.labels != labels:
        raise BundleError(folder, f"{ADAPTED_FOLDER}/ names the classes {adapted.labels}, the main model {labels}", ADAPTED_FOLDER)
    return adapted, float(entry["min_speech_seconds"])


def is_bundle(folder) -> bool:
    """True if ``folder`` holds a ``bundle.json`` (without checking anything else)."""
    return (Path(folder) / INFO_FILE).is_file()

