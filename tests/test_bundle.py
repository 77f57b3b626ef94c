"""Model bundles: round trip, and every way a bundle can be refused, with a message naming the file."""

import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from utils.core.files import file_digest  # noqa: E402
from utils.features.config import FeatureConfig  # noqa: E402
from utils.learn.networks import temporal_conv1d  # noqa: E402
from utils.learn.scaling import apply_scaler, fit_scaler, scaler_from_dict  # noqa: E402
from utils.predict.bundle import CONFIG_FILE, INFO_FILE, LABELS_FILE, MODEL_FILE, SCALER_FILE, BundleError, load_bundle, save_bundle  # noqa: E402

CONFIG = FeatureConfig(n_mfcc=13, n_mels=32, n_frames=40)  # vector of 57, frames of 40 x 13
LABELS = ["angry", "happy", "sad"]


def dense_model(n_in, n_out=3):
    inputs = keras.Input((n_in,))
    return keras.Model(inputs, keras.layers.Dense(n_out, activation="softmax")(inputs))


def random_scaler(n, seed=0):
    rng = np.random.default_rng(seed)
    return {"mean": rng.standard_normal(n).tolist(), "scale": rng.uniform(0.5, 2, n).tolist()}


@pytest.fixture
def vector_bundle(tmp_path):
    folder = tmp_path / "vec"
    save_bundle(folder, dense_model(CONFIG.vector_size), CONFIG, random_scaler(CONFIG.vector_size), LABELS, input_kind="vector", extra={"uar": 0.5})
    return folder


def rewrite(folder, name, text):
    """Replace a file and record its new checksum, as a careless (not a corrupting) edit would."""
    (folder / name).write_text(text)
    info = json.loads((folder / INFO_FILE).read_text())
    info["files"][name]["sha256"] = file_digest(folder / name, "sha256")
    (folder / INFO_FILE).write_text(json.dumps(info))


def test_vector_round_trip_gives_the_same_predictions(vector_bundle):
    b = load_bundle(vector_bundle, expected_config=CONFIG)
    assert b.labels == LABELS and b.input_kind == "vector" and b.config == CONFIG
    assert b.info["extra"] == {"uar": 0.5} and b.info["input_shape"] == [57]
    assert sorted(p.name for p in vector_bundle.iterdir()) == sorted([MODEL_FILE, CONFIG_FILE, SCALER_FILE, LABELS_FILE, INFO_FILE])
    X = np.random.default_rng(1).standard_normal((5, 57)).astype("float32")
    scaler = scaler_from_dict(json.loads((vector_bundle / SCALER_FILE).read_text()))
    np.testing.assert_allclose(b.transform(X), apply_scaler(scaler, X), rtol=1e-6)
    original = keras.saving.load_model(vector_bundle / MODEL_FILE)
    expected = np.asarray(original(apply_scaler(scaler, X)))
    np.testing.assert_allclose(b.predict_proba(X, batch_size=2), expected, rtol=1e-5)
    assert b.predict_proba(X[0]).shape == (1, 3)
    with pytest.raises(ValueError, match=r"expected \(n, 57\)"):
        b.predict_proba(X[:, :50])


def test_frames_round_trip_with_a_fitted_scaler(tmp_path):
    rng = np.random.default_rng(2)
    frames = rng.standard_normal((6, 40, 13)).astype("float32")
    scaler = fit_scaler(frames)
    model = temporal_conv1d(40, 13, 3, filters=(4,))
    folder = save_bundle(tmp_path / "frm", model, CONFIG, scaler, LABELS, input_kind="frames")
    b = load_bundle(folder)
    expected = np.asarray(model(apply_scaler(scaler, frames), training=False))
    np.testing.assert_allclose(b.predict_proba(frames), expected, rtol=1e-5, atol=1e-6)
    assert b.feature_shape == (40, 13)


def test_a_model_with_a_channel_axis_is_accepted(tmp_path):
    inputs = keras.Input((57, 1))
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(inputs))
    folder = save_bundle(tmp_path / "chan", keras.Model(inputs, outputs), CONFIG, random_scaler(57), LABELS, input_kind="vector")
    assert load_bundle(folder).predict_proba(np.zeros((2, 57))).shape == (2, 3)


def test_saving_again_replaces_the_bundle(vector_bundle):
    save_bundle(vector_bundle, dense_model(57, 2), CONFIG, random_scaler(57), ["x", "y"], input_kind="vector")
    assert load_bundle(vector_bundle).labels == ["x", "y"]
    assert [p.name for p in vector_bundle.parent.iterdir() if p.name.startswith(".")] == []


def expect(folder, *needles):
    with pytest.raises(BundleError) as info:
        load_bundle(folder).model
    message = str(info.value)
    assert message.startswith(f"bundle {folder}:"), message
    for needle in needles:
        assert needle in message, message
    return info.value


def test_missing_file(vector_bundle):
    (vector_bundle / SCALER_FILE).unlink()
    error = expect(vector_bundle, "scaler.json missing")
    assert error.file == SCALER_FILE


def test_edited_file_fails_its_checksum(vector_bundle):
    (vector_bundle / LABELS_FILE).write_text(json.dumps(["angry", "happy", "calm"]))
    expect(vector_bundle, "labels.json does not match the checksum", "bundle.json")


def test_scaler_size_differs_from_the_configuration(vector_bundle):
    rewrite(vector_bundle, SCALER_FILE, json.dumps(random_scaler(114)))
    expect(vector_bundle, "scaler.json has 114 values but feature_config.json gives 57 features")


def test_labels_differ_from_the_model_outputs(vector_bundle):
    rewrite(vector_bundle, LABELS_FILE, json.dumps(LABELS + ["sad2"]))
    expect(vector_bundle, "labels.json names 4 classes but model.keras has 3 outputs")


def record_fingerprint(folder, fingerprint):
    """Write a fingerprint into bundle.json as if the bundle had been saved with it."""
    info = json.loads((folder / INFO_FILE).read_text())
    info["created"]["feature_config_fingerprint"] = fingerprint
    (folder / INFO_FILE).write_text(json.dumps(info))


def test_model_input_differs_from_the_configuration(tmp_path):
    folder = save_bundle(tmp_path / "frm", temporal_conv1d(40, 13, 3, filters=(4,)), CONFIG, random_scaler(13), LABELS, input_kind="frames")
    config = json.loads((folder / CONFIG_FILE).read_text())
    config["n_frames"] = 30
    rewrite(folder, CONFIG_FILE, json.dumps(config))
    record_fingerprint(folder, FeatureConfig.from_dict(config).fingerprint())
    expect(folder, "model.keras takes inputs of shape (batch, 40, 13)", "(batch, 30, 13)")


def test_edited_configuration_is_refused_by_its_fingerprint(vector_bundle):
    """An edited feature_config.json whose checksum was updated still fails the fingerprint check."""
    config = json.loads((vector_bundle / CONFIG_FILE).read_text())
    config["pitch_fmax"] = 400.0
    rewrite(vector_bundle, CONFIG_FILE, json.dumps(config))
    expect(vector_bundle, f"bundle.json records feature configuration {CONFIG.fingerprint()!r}", "Retrain")


def test_bundle_of_another_feature_version_is_refused(vector_bundle, monkeypatch):
    """The same configuration under another FEATURE_VERSION (changed formulas) has another fingerprint."""
    import utils.features.config as feature_config

    monkeypatch.setattr(feature_config, "FEATURE_VERSION", feature_config.FEATURE_VERSION + 1)
    assert CONFIG.fingerprint() != json.loads((vector_bundle / INFO_FILE).read_text())["created"]["feature_config_fingerprint"]
    expect(vector_bundle, "has fingerprint", f"FEATURE_VERSION {feature_config.FEATURE_VERSION}")


def test_expected_configuration_differs(vector_bundle):
    with pytest.raises(BundleError, match=r"feature_config.json differs from the expected feature configuration: n_mels=32 \(bundle\) vs 128"):
        load_bundle(vector_bundle, expected_config=FeatureConfig(n_mfcc=13))


def test_invalid_contents(vector_bundle):
    rewrite(vector_bundle, CONFIG_FILE, json.dumps({"sr": 16000}))
    expect(vector_bundle, "feature_config.json is not a valid feature configuration", "missing")


def test_damaged_model_archive(vector_bundle):
    (vector_bundle / MODEL_FILE).write_bytes(b"not a keras archive")
    info = json.loads((vector_bundle / INFO_FILE).read_text())
    info["files"][MODEL_FILE]["sha256"] = file_digest(vector_bundle / MODEL_FILE, "sha256")
    (vector_bundle / INFO_FILE).write_text(json.dumps(info))
    expect(vector_bundle, "model.keras cannot be loaded")


def test_code_in_a_model_is_refused(tmp_path):
    inputs = keras.Input((57,))
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Lambda(lambda x: x * 2)(inputs))
    folder = save_bundle(tmp_path / "lam", keras.Model(inputs, outputs), CONFIG, random_scaler(57), LABELS, input_kind="vector")
    expect(folder, "model.keras cannot be loaded")


def test_not_a_bundle(tmp_path, vector_bundle):
    expect(tmp_path / "nowhere", "folder not found")
    (tmp_path / "empty").mkdir()
    expect(tmp_path / "empty", "bundle.json missing")
    info = json.loads((vector_bundle / INFO_FILE).read_text())
    info["format_version"] = 99
    (vector_bundle / INFO_FILE).write_text(json.dumps(info))
    expect(vector_bundle, "format version 99")


def test_background_loading_reports_model_problems_on_first_use(vector_bundle):
    rewrite(vector_bundle, LABELS_FILE, json.dumps(["a", "b"]))
    b = load_bundle(vector_bundle, background=True)  # labels vs outputs needs the model
    assert b.labels == ["a", "b"]
    with pytest.raises(BundleError, match="labels.json names 2 classes but model.keras has 3 outputs"):
        b.model


def test_save_refuses_inconsistent_parts(tmp_path):
    folder = tmp_path / "bad"
    with pytest.raises(BundleError, match="scaler.json has 10 values but feature_config.json gives 57 features"):
        save_bundle(folder, dense_model(57), CONFIG, random_scaler(10), LABELS, input_kind="vector")
    with pytest.raises(BundleError, match="labels.json names 2 classes but model.keras has 3 outputs"):
        save_bundle(folder, dense_model(57), CONFIG, random_scaler(57), ["a", "b"], input_kind="vector")
    with pytest.raises(BundleError, match="input_kind"):
        save_bundle(folder, dense_model(57), CONFIG, random_scaler(57), LABELS, input_kind="image")
    with pytest.raises(BundleError, match="names a class twice"):
        save_bundle(folder, dense_model(57), CONFIG, random_scaler(57), ["a", "a", "b"], input_kind="vector")
    with pytest.raises(BundleError, match="JSON"):
        save_bundle(folder, dense_model(57), CONFIG, random_scaler(57), LABELS, input_kind="vector", extra={"x": object()})
    assert not folder.exists()


# --------------------------------------------------------------------------------------------
# Input kind "stats": pooled frame statistics, an ensemble saved as one file
# --------------------------------------------------------------------------------------------

STATS_CONFIG = FeatureConfig(n_mfcc=13, n_mels=32, n_frames=40, frame_features=("mfcc", "mel", "prosody"))


@pytest.fixture(scope="module")
def stats_ensemble():
    """A 2-member course ensemble trained for 2 epochs on random statistics shaped right."""
    from utils.features.inputs import input_shape
    from utils.learn.recipes import train_course_model

    n = input_shape(STATS_CONFIG, "stats")[0]
    rng = np.random.default_rng(3)
    X = rng.standard_normal((48, n)).astype("float32") * 3 + 1
    y = np.arange(48) % 3
    from utils.learn.recipes import COURSE

    recipe = COURSE.replace(n_models=2, max_epochs=2, patience=1, hidden=(8,), batch_size=16)
    ensemble, scaler, info = train_course_model(X[:36], y[:36], X[36:], y[36:], 3, recipe=recipe, seed=0)
    return ensemble, scaler, info, X


def test_statistics_shape_matches_frame_statistics():
    from utils.features.clip import clip_frames, compute
    from utils.features.inputs import frame_statistics, input_shape, n_valid_frames, signal_inputs, statistics_names
    from utils.learn.recipes import COURSE

    y = (0.1 * np.random.default_rng(0).standard_normal(5000)).astype("float32")
    X = frame_statistics(clip_frames(y, STATS_CONFIG)[None], [n_valid_frames(len(y), STATS_CONFIG)], STATS_CONFIG)
    names = statistics_names(STATS_CONFIG)
    assert input_shape(STATS_CONFIG, "stats") == (len(names),) == (X.shape[1],)
    assert input_shape(COURSE.features, "stats") == (429,)
    assert n_valid_frames(len(y), STATS_CONFIG) == 1 + 5000 // STATS_CONFIG.hop_length
    np.testing.assert_array_equal(signal_inputs(y, STATS_CONFIG, "stats"), X[0])
    # the frame blocks alone give the same sequence as compute() at training time
    np.testing.assert_array_equal(clip_frames(y, STATS_CONFIG), compute(y, STATS_CONFIG, with_frames=True)[1])


@pytest.mark.slow
def test_stats_round_trip_with_an_ensemble(tmp_path, stats_ensemble):
    from utils.learn.networks import ensemble_members

    ensemble, scaler, info, X = stats_ensemble
    assert len(info["epochs"]) == 2 and all(1 <= e <= 2 for e in info["epochs"]) and info["seconds"] > 0
    folder = save_bundle(tmp_path / "stats", ensemble, STATS_CONFIG, scaler, LABELS, input_kind="stats", extra={"train": info})
    b = load_bundle(folder, expected_config=STATS_CONFIG)
    assert b.input_kind == "stats" and b.feature_shape == (X.shape[1],) and b.info["input_shape"] == [X.shape[1]]
    assert len(ensemble_members(b.model)) == 2
    kinds = {type(layer).__name__ for m in ensemble_members(b.model) for layer in m.layers}
    assert {"GaussianNoise", "Dropout"} <= kinds
    expected = np.asarray(ensemble(apply_scaler(scaler, X), training=False))
    members = [np.asarray(m(apply_scaler(scaler, X), training=False)) for m in ensemble_members(ensemble)]
    np.testing.assert_allclose(expected, np.mean(members, axis=0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(b.predict_proba(X, batch_size=7), expected, rtol=1e-5, atol=1e-7)
    # the archive alone loads in safe mode too
    again = keras.saving.load_model(folder / MODEL_FILE, safe_mode=True, compile=False)
    np.testing.assert_allclose(np.asarray(again(apply_scaler(scaler, X), training=False)), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.slow
def test_stats_bundle_with_a_wrong_scaler_size_is_refused(tmp_path, stats_ensemble):
    ensemble, scaler, _, X = stats_ensemble
    n = X.shape[1]
    folder = save_bundle(tmp_path / "stats", ensemble, STATS_CONFIG, scaler, LABELS, input_kind="stats")
    rewrite(folder, SCALER_FILE, json.dumps(random_scaler(n - 1)))
    with pytest.raises(BundleError, match=rf"scaler.json has {n - 1} values but feature_config.json gives {n} frame statistics \(input kind 'stats'\)") as info:
        load_bundle(folder)
    assert info.value.file == SCALER_FILE
    with pytest.raises(BundleError, match=rf"scaler.json has {n - 1} values .* {n} frame statistics"):
        save_bundle(tmp_path / "bad", ensemble, STATS_CONFIG, random_scaler(n - 1), LABELS, input_kind="stats")
    # CONFIG has MFCC frames only: 13 x (mean, std, 3 percentiles, 2 delta spreads) = 91 statistics
    with pytest.raises(BundleError, match=rf"^bundle .*bad: model.keras takes inputs of shape \(batch, {n}\) but feature_config.json gives stats inputs of shape \(batch, 91\)$"):
        save_bundle(tmp_path / "bad", ensemble, CONFIG, random_scaler(91), LABELS, input_kind="stats")


def test_ensemble_model_checks_its_members():
    from utils.learn.networks import ensemble_model

    with pytest.raises(ValueError, match="at least one member"):
        ensemble_model([])
    with pytest.raises(ValueError, match="differ in input/output shapes"):
        ensemble_model([dense_model(4), dense_model(5)])
    single = ensemble_model([dense_model(4)])
    assert single.input_shape == (None, 4) and single.output_shape == (None, 3)
