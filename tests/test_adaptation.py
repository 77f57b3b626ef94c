"""Speaker adaptation as a product feature: the bundle's adapted part, folders with speakers, timelines, the command."""

import json

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

keras = pytest.importorskip("keras")

from utils.features.config import FeatureConfig
from utils.features.extract import extract_corpus
from utils.features.inputs import feature_set_inputs, input_shape
from utils.learn.scaling import speaker_normalize
from utils.predict.bundle import BundleError, load_bundle, save_bundle
from utils.predict.cli import main
from utils.predict.clips import ADAPTED, SINGLE_CLIP, predict_folder, resolve_speakers, speaker_summary
from utils.predict.timeline import predict_timeline

SR = 16000
CONFIG = FeatureConfig(n_mfcc=13, n_mels=32, n_frames=120, frame_features=("mfcc", "prosody"))
LABELS = ["angry", "happy", "sad"]
MIN_SECONDS = 3.0


def voice(seconds, f0=180.0, seed=0, level=0.2):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    y = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6)) * (0.6 + 0.4 * np.sin(2 * np.pi * (3 + seed % 3) * t))
    return (level * y + 0.003 * rng.standard_normal(len(t))).astype("float32")


def dense(n_in, seed):
    inputs = keras.Input((n_in,))
    hidden = keras.layers.Dense(8, activation="tanh", kernel_initializer=keras.initializers.RandomNormal(seed=seed))(inputs)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax", kernel_initializer=keras.initializers.RandomNormal(seed=seed + 1))(hidden))


def scaler(n, seed):
    rng = np.random.default_rng(seed)
    return {"mean": rng.normal(0, 0.1, n).tolist(), "scale": rng.uniform(0.5, 2, n).tolist()}


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory):
    n_stats = input_shape(CONFIG, "stats")[0]
    adapted = {"model": dense(n_stats, 5), "scaler": scaler(n_stats, 6), "input_kind": "stats", "min_speech_seconds": MIN_SECONDS, "extra": {"what": "adapted"}}
    return save_bundle(tmp_path_factory.mktemp("b") / "two", dense(CONFIG.vector_size, 1), CONFIG, scaler(CONFIG.vector_size, 2), LABELS, input_kind="vector", adapted=adapted)


@pytest.fixture(scope="module")
def plain_bundle(tmp_path_factory):
    return save_bundle(tmp_path_factory.mktemp("p") / "one", dense(CONFIG.vector_size, 1), CONFIG, scaler(CONFIG.vector_size, 2), LABELS, input_kind="vector")


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    """anna: 4 clips of 1.2 s (4.8 s of speech); ben: 1 clip of 1 s (too little)."""
    root = tmp_path_factory.mktemp("people")
    for name, n, f0 in (("anna", 4, 220), ("ben", 1, 120)):
        (root / name).mkdir()
        for i in range(n):
            sf.write(root / name / f"{name}{i}.wav", voice(1.2 if name == "anna" else 1.0, f0 + 15 * i, seed=i), SR)
    return root


def test_the_adapted_part_is_saved_loaded_and_checked(bundle_dir, tmp_path):
    b = load_bundle(bundle_dir)
    assert b.normalization == "none" and b.adapted is not None
    assert b.adapted.normalization == "speaker" and b.adapted.input_kind == "stats" and b.min_speech_seconds == MIN_SECONDS
    assert b.adapted.info["extra"] == {"what": "adapted"} and "speaker-adapted stats model" in repr(b)
    # a replaced adapted model is refused: its bundle.json no longer matches the outer checksum
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(bundle_dir, copy)
    info = json.loads((copy / "adapted" / "bundle.json").read_text())
    info["extra"] = {"what": "something else"}
    (copy / "adapted" / "bundle.json").write_text(json.dumps(info))
    with pytest.raises(BundleError, match="adapted/bundle.json does not match the checksum"):
        load_bundle(copy)
    shutil.rmtree(copy / "adapted")
    with pytest.raises(BundleError, match="adapted/bundle.json is missing"):
        load_bundle(copy)
    with pytest.raises(BundleError, match="min_speech_seconds must be a positive number"):
        save_bundle(tmp_path / "bad", dense(CONFIG.vector_size, 1), CONFIG, scaler(CONFIG.vector_size, 2), LABELS, input_kind="vector",
                    adapted={"model": dense(5, 1), "scaler": scaler(5, 1), "input_kind": "stats", "min_speech_seconds": 0})
    with pytest.raises(BundleError, match="adapted"):  # the adapted model's shape must fit the configuration
        save_bundle(tmp_path / "bad2", dense(CONFIG.vector_size, 1), CONFIG, scaler(CONFIG.vector_size, 2), LABELS, input_kind="vector",
                    adapted={"model": dense(5, 1), "scaler": scaler(5, 1), "input_kind": "stats", "min_speech_seconds": 3})
    assert not (tmp_path / "bad2").exists()


def test_speakers_from_folders_adapt_who_has_enough_speech(bundle_dir, people):
    results, skipped = predict_folder(people, bundle_dir, speakers="folder", progress=False, n_jobs=None)
    assert skipped.empty
    assert list(results.columns) == ["path", "speaker", "model", "emotion", "confidence", "flags", *LABELS]
    by = results.groupby("speaker")["model"].agg(set).to_dict()
    assert by == {"anna": {ADAPTED}, "ben": {SINGLE_CLIP}}
    summary = results.attrs["speakers"].set_index("speaker")
    assert summary.loc["anna", "clips"] == 4 and summary.loc["anna", "adapted"]
    assert "less than the 3 s of speech" in summary.loc["ben", "note"] and "from at least 2 clips" in summary.loc["ben", "note"]
    # the adapted probabilities are: anna's statistics z-scored with her own mean and spread, then the adapted model
    b = load_bundle(bundle_dir)
    anna = sorted(str(p) for p in (people / "anna").glob("*.wav"))
    fs = extract_corpus(anna, CONFIG, with_frames=True, cache_dir=False, progress=False, n_jobs=None)
    expected = b.adapted.predict_proba(speaker_normalize(feature_set_inputs(fs, "stats"), ["anna"] * 4))
    got = results.set_index("path").loc[list(fs.rows["path"]), LABELS].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    # ben's clip gets exactly the single-clip prediction
    plain, _ = predict_folder(people / "ben", bundle_dir, progress=False, n_jobs=None)
    np.testing.assert_allclose(results.loc[results["speaker"] == "ben", LABELS].to_numpy(), plain[LABELS].to_numpy(), rtol=1e-5)


def test_one_speaker_for_all_and_a_speakers_table(bundle_dir, people, tmp_path):
    results, _ = predict_folder(people, bundle_dir, speaker="P01", progress=False, n_jobs=None)
    assert set(results["speaker"]) == {"P01"} and set(results["model"]) == {ADAPTED}
    table = pd.DataFrame({"file": ["anna/anna0.wav", "anna/anna1.wav", "anna2.wav", "anna/anna3.wav"], "speaker": ["A", "A", "A", "A"]})
    table.to_csv(tmp_path / "who.csv", index=False)
    assert resolve_speakers(sorted((people / "anna").glob("*.wav")), [people], speakers=tmp_path / "who.csv") == ["A"] * 4
    results, _ = predict_folder(people, bundle_dir, speakers=tmp_path / "who.csv", progress=False, n_jobs=None)
    assert results.loc[results["speaker"] == "A", "model"].eq(ADAPTED).all()
    assert results.loc[results["speaker"].isna(), "model"].eq(SINGLE_CLIP).all()  # ben is not in the table
    with pytest.raises(ValueError, match="'file' column .* 'speaker' column"):
        resolve_speakers([people / "ben" / "ben0.wav"], speakers=pd.DataFrame({"file": ["ben0.wav"]}))
    with pytest.raises(ValueError, match="either speakers .* or speaker"):
        resolve_speakers([people / "ben" / "ben0.wav"], speakers="folder", speaker="x")


def test_speakers_need_a_bundle_with_an_adapted_model(plain_bundle, people):
    with pytest.raises(BundleError, match="has no speaker-adapted model"):
        predict_folder(people, plain_bundle, speakers="folder", progress=False, n_jobs=None)


def test_speaker_summary_counts_speech():
    s = speaker_summary(["a", None, "b", "b"], [10.0, 5.0, 1.0, 1.5], 2.0)
    assert s["speaker"].isna().tolist() == [False, True, False] and s["clips"].tolist() == [1, 1, 2]
    assert s["adapted"].tolist() == [False, False, True]
    assert "from at least 2 clips" in s["note"][0] and s["note"][1].startswith("no speaker given")
    assert "2.5 s of speech in 2 clips" in s["note"][2]


@pytest.fixture(scope="module")
def long_recording(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rec")
    sf.write(folder / "long.wav", np.concatenate([voice(3, 150), np.zeros(SR, "float32") + 1e-5, voice(3, 210, seed=2)]), SR)
    sf.write(folder / "brief.wav", voice(1.5, 180), SR)
    return folder


def test_timeline_adapts_one_recording_as_one_speaker(bundle_dir, long_recording):
    single = predict_timeline(long_recording / "long.wav", bundle_dir, window=1.0, hop=0.5, n_jobs=None)
    adapted = predict_timeline(long_recording / "long.wav", bundle_dir, window=1.0, hop=0.5, n_jobs=None, adapt=True)
    assert "adapted to" in adapted.attrs["note"]
    voiced = ~adapted["silent"]
    assert set(adapted.loc[voiced, "model"]) == {ADAPTED} and set(adapted.loc[~voiced, "model"]) == {""}
    assert not np.allclose(adapted.loc[voiced, LABELS].to_numpy(float), single.loc[voiced, LABELS].to_numpy(float))
    np.testing.assert_allclose(adapted.loc[voiced, LABELS].sum(axis=1), 1.0, rtol=1e-5)
    brief = predict_timeline(long_recording / "brief.wav", bundle_dir, window=1.0, hop=0.5, n_jobs=None, adapt=True)
    assert "less than the 3 s of speech" in brief.attrs["note"] and set(brief["model"]) == {SINGLE_CLIP}


def test_the_command_line_adapts_and_reports(bundle_dir, people, long_recording, tmp_path, capsys):
    out = tmp_path / "r.csv"
    assert main([str(people), "--model", str(bundle_dir), "--speakers-from-folders", "--quiet", "--jobs", "1", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "speaker adaptation:" in text and "anna: adapted to 4.8 s of speech in 4 clips" in text and "ben: 1.0 s of speech" in text
    assert set(pd.read_csv(out)["model"]) == {ADAPTED, SINGLE_CLIP}
    assert main([str(long_recording / "long.wav"), "--model", str(bundle_dir), "--timeline", "--adapt", "--window", "1", "--hop", "0.5", "--quiet", "--jobs", "1"]) == 0
    assert "adapted to" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main([str(people), "--model", str(bundle_dir), "--adapt"])
    assert "--adapt applies to --timeline" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(people), "--model", str(bundle_dir), "--speakers", str(tmp_path / "none.csv")])
    assert "no such file" in capsys.readouterr().err


def conv(seed):
    from utils.learn.networks import course_conv1d

    return course_conv1d(CONFIG.n_frames, CONFIG.n_frame_features, 3, filters=(4,), spec_augment=None, seed=seed)


def test_a_joint_model_of_two_input_kinds_is_one_bundle(tmp_path, people, long_recording):
    """A Conv1D on log frames and a dense network on statistics, averaged: kind "log_frames+stats"."""
    from utils.learn.networks import joint_ensemble

    n_stats, n_frame = input_shape(CONFIG, "stats")[0], CONFIG.n_frame_features
    kind = "log_frames+stats"
    assert input_shape(CONFIG, kind) == (CONFIG.frame_shape, (n_stats,))
    both = scaler(n_frame + n_stats, 3)
    adapted = {"model": joint_ensemble([conv(7), dense(n_stats, 8)]), "scaler": both, "input_kind": kind, "min_speech_seconds": MIN_SECONDS}
    folder = save_bundle(tmp_path / "joint", joint_ensemble([conv(1), dense(n_stats, 2)]), CONFIG, both, LABELS, input_kind=kind, adapted=adapted)
    b = load_bundle(folder)
    assert b.parts == ("log_frames", "stats") and b.adapted.parts == ("log_frames", "stats")
    results, _ = predict_folder(people, folder, speakers="folder", progress=False, n_jobs=None)
    assert set(results["model"]) == {ADAPTED, SINGLE_CLIP}
    np.testing.assert_allclose(results[LABELS].sum(axis=1), 1.0, rtol=1e-5)
    # the joint model is the mean of its two parts, each given its own scaled input
    files = sorted(str(p) for p in (people / "ben").glob("*.wav"))
    fs = extract_corpus(files, CONFIG, with_frames=True, cache_dir=False, progress=False, n_jobs=None)
    frames, stats = feature_set_inputs(fs, "log_frames"), feature_set_inputs(fs, "stats")
    scaled = b.transform((frames, stats))
    parts = [layer for layer in b.model.layers if isinstance(layer, keras.Model)]
    expected = (np.asarray(parts[0](scaled[0])) + np.asarray(parts[1](scaled[1]))) / 2
    np.testing.assert_allclose(b.predict_proba((frames, stats)), expected, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="takes 2 inputs"):
        b.predict_proba(stats)
    timeline = predict_timeline(long_recording / "long.wav", folder, window=1.0, hop=0.5, n_jobs=None, adapt=True)
    assert "adapted to" in timeline.attrs["note"]
    with pytest.raises(BundleError, match="scaler.json has 5 values"):
        save_bundle(tmp_path / "bad", joint_ensemble([conv(1), dense(n_stats, 2)]), CONFIG, scaler(5, 1), LABELS, input_kind=kind)
    with pytest.raises(BundleError, match="inputs of shape"):
        save_bundle(tmp_path / "bad2", joint_ensemble([dense(n_stats, 1), conv(2)]), CONFIG, both, LABELS, input_kind=kind)


def test_adaptation_curve_draws_k_clips_per_speaker():
    from utils.evaluation.adaptation import adaptation_curve, break_even

    rng = np.random.default_rng(0)
    speakers = np.repeat(["a", "b", "c"], 10)
    y = np.tile(np.arange(2), 15)
    offset = {"a": 5.0, "b": -5.0, "c": 0.0}
    X = (y + np.array([offset[s] for s in speakers]) + 0.1 * rng.standard_normal(30))[:, None]
    seen = []

    def predict(Xn):  # after per-speaker normalisation the class is the sign
        seen.append(len(Xn))
        return np.stack([(Xn[:, 0] < 0), (Xn[:, 0] >= 0)], axis=1).astype(float)

    single = np.full((30, 2), 0.5)
    single[:, 0] += 0.1  # always class 0: right half of the time
    curve = adaptation_curve(X, y, speakers, np.full(30, 2.0), predict, single, ks=(2, 4, 10, 20), n_draws=3)
    assert curve["clips"].tolist() == [2, 4, 10]          # 20 is more than any speaker has
    assert curve["speech_seconds"].tolist() == [4.0, 8.0, 20.0] and set(seen) == {6, 12, 30}
    full = curve[curve["clips"] == 10].iloc[0]          # all of each speaker's clips
    assert full["adapted"] == 1.0 and full["single"] == 0.5 and full["gain"] == 0.5
    assert break_even(curve) == curve["speech_seconds"].iloc[int(np.argmax(curve["gain"].to_numpy() >= 0))]
