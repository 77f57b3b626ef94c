"""Tests of utils.features.extract: agreement with librosa, configuration, extraction, cache, bad files.

All audio is generated here, in pytest's tmp_path; nothing reads the real corpora.
"""

from __future__ import annotations

import dataclasses
import json
import warnings

import librosa
import numpy as np
import pytest
import soundfile as sf

from utils.data.audio import AudioError
from utils.data.augment import Augmentation
from utils.features.clip import clip_features, clip_frames, compute, feature_blocks, load_clip
from utils.features.config import FeatureConfig
from utils.features.extract import extract_corpus
from utils.features.featureset import FeatureSet

NOISE = Augmentation("noise", 20)


def speechlike(sr: int = 16000, seconds: float = 1.2, f0: float = 180.0, seed: int = 0) -> np.ndarray:
    """A voiced-sounding test signal: harmonics with a syllable-rate envelope, a little noise,
    and quiet lead-in and tail so that trimming has something to do."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    voice = sum(np.sin(2 * np.pi * f0 * k * t * (1 + 0.03 * np.sin(2 * np.pi * 3 * t))) / k for k in range(1, 8))
    envelope = 0.5 * (1 - np.cos(2 * np.pi * 4 * t)) * np.minimum(1, 10 * np.minimum(t, t[-1] - t))
    y = 0.2 * voice * envelope + 0.003 * rng.standard_normal(len(t))
    pad = np.zeros(int(0.2 * sr))
    return np.concatenate([pad + 1e-4 * rng.standard_normal(len(pad)), y, pad]).astype(np.float32)


def librosa_vector(y, sr, *, n_mfcc=40, n_fft=512, hop_length=160, win_length=None, n_mels=128, fmin=0.0, fmax=None, n_chroma=12):
    """The classic vector, each block from its own librosa function, averaged over time."""
    common = dict(sr=sr, n_fft=n_fft, hop_length=hop_length, win_length=win_length)
    mfcc = librosa.feature.mfcc(y=y, n_mfcc=n_mfcc, n_mels=n_mels, fmin=fmin, fmax=fmax, **common)
    chroma = librosa.feature.chroma_stft(y=y, tuning=0.0, n_chroma=n_chroma, **common)
    mel = librosa.feature.melspectrogram(y=y, n_mels=n_mels, fmin=fmin, fmax=fmax, **common)
    return np.concatenate([mfcc.mean(axis=1), chroma.mean(axis=1), mel.mean(axis=1)]).astype(np.float32)


def write(path, y, sr, subtype="PCM_16", fmt=None):
    sf.write(str(path), y.T if np.ndim(y) == 2 else y, sr, subtype=subtype, format=fmt)
    return path


@pytest.fixture
def clips(tmp_path):
    """Four good 16 kHz WAV files of different content."""
    folder = tmp_path / "clips"
    folder.mkdir()
    return [write(folder / f"clip{i}.wav", speechlike(f0=120 + 40 * i, seed=i), 16000) for i in range(4)]


# --------------------------------------------------------------------------------------------
# Agreement with librosa
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sr, params",
    [
        (16000, {}),
        (16000, dict(win_length=400, n_mels=64, n_mfcc=20, fmin=50.0, fmax=7000.0)),
        (22050, dict(n_fft=2048, hop_length=512)),
    ],
)
def test_vector_matches_librosa_one_by_one(sr, params):
    y = speechlike(sr=sr)
    config = FeatureConfig(sr=sr, **params)
    ours = clip_features(y, config)
    theirs = librosa_vector(y, sr, **params)
    assert ours.dtype == np.float32
    assert ours.shape == (config.vector_size,) == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_classic_vector_is_180_and_names_follow_blocks():
    config = FeatureConfig()
    names = config.feature_names()
    assert config.vector_size == 180 == len(names)
    assert names[0] == "mfcc_01_mean" and names[40] == "chroma_01_mean" and names[-1] == "mel_128_mean"
    both = FeatureConfig(stats=("mean", "std"))
    assert both.vector_size == 360
    y = speechlike()
    v = clip_features(y, both)
    np.testing.assert_allclose(v[:180], clip_features(y, config), rtol=1e-6)
    mfcc = feature_blocks(y, both, ["mfcc"])["mfcc"]
    np.testing.assert_allclose(v[180:220], mfcc.std(axis=1), rtol=1e-5)


def test_frame_sequence_shape_crop_and_pad():
    y = speechlike(seconds=1.2)  # 1.6 s with padding: 161 STFT frames
    n_stft = 1 + len(y) // 160
    config = FeatureConfig(n_frames=300)
    seq = clip_frames(y, config)
    assert seq.shape == (300, 40) and seq.dtype == np.float32
    mfcc = feature_blocks(y, config, ["mfcc"])["mfcc"].T
    np.testing.assert_allclose(seq[:n_stft], mfcc, rtol=1e-6)
    assert np.all(seq[n_stft:] == 0.0)

    short = FeatureConfig(n_frames=100, frame_features=("mfcc", "chroma"))
    seq = clip_frames(y, short)
    assert seq.shape == (100, 52) == short.frame_shape
    start = (n_stft - 100) // 2
    np.testing.assert_allclose(seq[:, :40], mfcc[start : start + 100], rtol=1e-6)
    head = clip_frames(y, dataclasses.replace(short, frame_crop="start"))
    np.testing.assert_allclose(head[:, :40], mfcc[:100], rtol=1e-6)

    vector, seq = compute(y, config, with_frames=True)
    assert vector.shape == (180,) and seq.shape == (300, 40)
    assert compute(y, config)[1] is None


def test_compute_rejects_short_stereo_and_integer_input():
    config = FeatureConfig()
    with pytest.raises(ValueError, match="n_fft=512"):
        clip_features(np.zeros(100, np.float32) + 0.1, config)
    with pytest.raises(ValueError, match="mono"):
        clip_features(np.zeros((2, 16000), np.float32), config)
    with pytest.raises(ValueError, match="floating-point"):
        clip_features(np.zeros(16000, np.int16), config)


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


def test_config_json_round_trip(tmp_path):
    config = FeatureConfig(stats=("mean", "std"), trim_db=None, duration=2.5, offset=0.5, fmax=7600.0)
    path = config.to_json(tmp_path / "sub" / "config.json")
    again = FeatureConfig.from_json(path)
    assert again == config
    assert again.fingerprint() == config.fingerprint()
    assert isinstance(again.stats, tuple)
    assert json.loads(path.read_text())["stats"] == ["mean", "std"]


CHANGED = {
    "sr": 22050, "offset": 0.1, "duration": 3.0, "trim_db": 40.0, "n_fft": 1024, "win_length": 400,
    "hop_length": 256, "n_mfcc": 20, "n_mels": 64, "n_chroma": 24, "fmin": 20.0, "fmax": 7000.0,
    "stats": ("mean", "std"), "vector_features": ("mfcc",), "n_frames": 200,
    "frame_features": ("mel",), "frame_crop": "start", "pad_value": -1.0, "res_type": "soxr_vhq",
    "pitch_fmin": 70.0, "pitch_fmax": 500.0, "voicing_threshold": 0.3, "voicing_top_db": 35.0,
    "percentiles": (25.0, 50.0, 75.0), "deltas": False, "delta_width": 5, "remove_dc": False,
    "level_db": -30.0,
}


def test_fingerprint_is_stable_and_changes_with_every_field():
    base = FeatureConfig()
    assert base.fingerprint() == FeatureConfig().fingerprint()
    assert len(base.fingerprint()) == 12
    assert set(CHANGED) == {f.name for f in dataclasses.fields(FeatureConfig)}
    prints = {base.fingerprint()}
    for name, value in CHANGED.items():
        prints.add(dataclasses.replace(base, **{name: value}).fingerprint())
    assert len(prints) == len(CHANGED) + 1


@pytest.mark.parametrize(
    "change, field",
    [
        ({"n_fft": "512"}, "n_fft"),
        ({"sr": 16000.5}, "sr"),
        ({"hop_length": True}, "hop_length"),
        ({"stats": "mean"}, "stats"),
        ({"stats": ["median"]}, "stats"),
        ({"n_mfcc": 200}, "n_mfcc"),
        ({"fmax": 9000.0}, "fmax"),
        ({"frame_crop": "end"}, "frame_crop"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_from_json_rejects_bad_fields(tmp_path, change, field):
    data = {**FeatureConfig().to_dict(), **change}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=field):
        FeatureConfig.from_json(path)


def test_from_json_rejects_missing_field_and_bad_json(tmp_path):
    data = FeatureConfig().to_dict()
    del data["n_mels"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="n_mels"):
        FeatureConfig.from_json(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        FeatureConfig.from_json(path)


def test_a_configuration_saved_before_dc_removal_reads_as_without_it(tmp_path):
    data = FeatureConfig().to_dict()
    del data["remove_dc"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    assert FeatureConfig.from_json(path) == FeatureConfig(remove_dc=False)   # what it computed then


def test_a_configuration_saved_before_level_normalisation_keeps_its_fingerprint(tmp_path):
    """Caches and bundles made before ``level_db`` existed stay valid: at None it is not fingerprinted."""
    data = FeatureConfig().to_dict()
    del data["level_db"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    old = FeatureConfig.from_json(path)
    assert old.level_db is None and old == FeatureConfig()
    assert "level_db" not in json.dumps(data)
    assert old.fingerprint() == FeatureConfig().fingerprint() != FeatureConfig(level_db=-30.0).fingerprint()


def _speech_like(seconds=1.5, sr=16000):
    t = np.arange(int(seconds * sr)) / sr
    y = sum(np.sin(2 * np.pi * k * 170 * t) / k for k in range(1, 6)) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))
    pause = np.zeros(sr)
    return np.concatenate([pause, 0.2 * y, pause]).astype("float32")


def test_a_dc_offset_changes_neither_trimming_nor_features(tmp_path):
    """A constant offset of 0.01 used to stop the trimming (all of 3.5 s kept) and move every feature."""
    config = FeatureConfig(frame_features=("mfcc", "mel", "prosody"))
    y = _speech_like()
    sf.write(tmp_path / "clean.wav", y, 16000)
    sf.write(tmp_path / "offset.wav", y + 0.01, 16000)
    clean, offset = load_clip(tmp_path / "clean.wav", config), load_clip(tmp_path / "offset.wav", config)
    assert len(clean) < 1.7 * 16000 and len(offset) == len(clean)
    v_clean, f_clean = compute(clean, config, with_frames=True)
    v_offset, f_offset = compute(offset, config, with_frames=True)
    assert np.allclose(v_offset, v_clean, atol=1e-3 * np.abs(v_clean).max())
    sounding = f_clean[:, -1] > -60   # frame energy in dB: the last, nearly empty frame is left out
    assert np.allclose(f_offset[sounding], f_clean[sounding], atol=1e-3 * np.abs(f_clean).max())
    without = dataclasses.replace(config, remove_dc=False)   # the old behaviour, for contrast
    assert len(load_clip(tmp_path / "offset.wav", without)) > 3 * 16000


def test_level_normalisation_makes_every_feature_independent_of_the_recording_gain(tmp_path):
    """The same speech recorded 20 dB louder: the same features with ``level_db``, others without."""
    config = FeatureConfig(frame_features=("mfcc", "mel", "prosody"), level_db=-30.0)
    y = _speech_like() * 0.05
    sf.write(tmp_path / "quiet.wav", y, 16000, subtype="FLOAT")
    sf.write(tmp_path / "loud.wav", y * 10, 16000, subtype="FLOAT")
    quiet, loud = load_clip(tmp_path / "quiet.wav", config), load_clip(tmp_path / "loud.wav", config)
    assert np.allclose(quiet, loud, atol=1e-6)
    from utils.data.quality import active_level_db
    assert active_level_db(loud, 16000) == pytest.approx(-30.0, abs=0.01)
    v_quiet, f_quiet = compute(quiet, config, with_frames=True)
    v_loud, f_loud = compute(loud, config, with_frames=True)
    assert np.allclose(v_loud, v_quiet, rtol=1e-4, atol=1e-4 * np.abs(v_quiet).max())
    assert np.allclose(f_loud, f_quiet, rtol=1e-4, atol=1e-4 * np.abs(f_quiet).max())
    as_recorded = dataclasses.replace(config, level_db=None)   # the gain shows in the features
    v_q, v_l = (clip_features(load_clip(tmp_path / f"{n}.wav", as_recorded), as_recorded) for n in ("quiet", "loud"))
    assert not np.allclose(v_l, v_q, rtol=0.05)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"level_db": 3.0}, "level_db"), ({"sr": 0}, "sr"), ({"hop_length": 0}, "hop_length"), ({"win_length": 1024}, "win_length"),
     ({"trim_db": -3.0}, "trim_db"), ({"n_frames": 0}, "n_frames"), ({"vector_features": ()}, "vector_features"),
     ({"frame_features": ("mfcc", "mfcc")}, "frame_features"), ({"duration": 0.0}, "duration")],
)
def test_constructor_errors_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        FeatureConfig(**kwargs)


# --------------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------------


def test_load_clip_handles_formats_rates_and_channels(tmp_path):
    y16 = speechlike()
    files = {
        "int16": write(tmp_path / "a.wav", y16, 16000, "PCM_16"),
        "float": write(tmp_path / "b.wav", y16, 16000, "FLOAT"),
        "flac48k": write(tmp_path / "c.flac", librosa.resample(y16, orig_sr=16000, target_sr=48000), 48000, "PCM_16", "FLAC"),
        "stereo22k": write(tmp_path / "d.wav", np.stack([y16, 0.5 * y16]), 16000, "PCM_24"),
        "8k": write(tmp_path / "e.wav", librosa.resample(y16, orig_sr=16000, target_sr=8000), 8000),
        "96k": write(tmp_path / "f.wav", librosa.resample(y16, orig_sr=16000, target_sr=96000), 96000, "PCM_24"),
    }
    config = FeatureConfig(trim_db=None)
    vectors = {}
    for name, path in files.items():
        y = load_clip(path, config)
        assert y.dtype == np.float32 and y.ndim == 1
        assert abs(len(y) - len(y16)) <= 2, name
        vectors[name] = clip_features(y, config)
        assert np.all(np.isfinite(vectors[name]))
    # 16-bit and float files of the same signal give (nearly) the same MFCCs
    np.testing.assert_allclose(vectors["int16"][:40], vectors["float"][:40], rtol=0.02, atol=0.05)
    # trimming shortens the clip by about the silent lead-in and tail
    trimmed = load_clip(files["float"], FeatureConfig(trim_db=30.0))
    assert 0.6 * len(y16) < len(trimmed) < 0.9 * len(y16)


def test_load_clip_rejects_clip_shorter_than_window(tmp_path):
    path = write(tmp_path / "tiny.wav", 0.5 * np.ones(160, np.float32), 16000)
    with pytest.raises(AudioError, match="shorter than the analysis window"):
        load_clip(path, FeatureConfig(trim_db=None))


# --------------------------------------------------------------------------------------------
# Corpus extraction and the cache
# --------------------------------------------------------------------------------------------


def test_extract_rows_and_augmentations(clips, tmp_path):
    config = FeatureConfig()
    fs = extract_corpus(clips, config, augmentations=[NOISE], n_jobs=1, cache_dir=tmp_path / "cache", progress=False)
    assert fs.X.shape == (8, 180) and fs.X.dtype == np.float32
    assert fs.rows["index"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert fs.rows["augmentation"].tolist() == ["original", "noise20dB"] * 4
    assert fs.rows["augmented"].tolist() == [False, True] * 4
    assert fs.rows["clip_id"].tolist()[:2] == ["clip0", "clip0"]
    assert fs.skipped.empty and fs.n_computed == 8 and fs.n_cached == 0
    for i, path in enumerate(clips):
        np.testing.assert_allclose(fs.X[2 * i], clip_features(load_clip(path, config), config), rtol=1e-5, atol=1e-6)
    noisy = NOISE.apply(load_clip(clips[1], config), config.sr, clip_id="clip1")
    np.testing.assert_allclose(fs.X[3], clip_features(noisy, config), rtol=1e-5, atol=1e-6)


def test_cache_rerun_reads_cache_and_changes_recompute(clips, tmp_path, monkeypatch):
    import utils.features.extract as features

    calls = []
    real = features.compute
    monkeypatch.setattr(features, "compute", lambda y, config, with_frames=False: calls.append(1) or real(y, config, with_frames))
    cache = tmp_path / "cache"
    config = FeatureConfig()
    first = extract_corpus(clips, config, augmentations=[NOISE], n_jobs=1, cache_dir=cache, progress=False)
    assert len(calls) == 8
    again = extract_corpus(clips, config, augmentations=[NOISE], n_jobs=1, cache_dir=cache, progress=False)
    assert len(calls) == 8 and again.n_cached == 8 and again.n_computed == 0
    np.testing.assert_array_equal(first.X, again.X)
    assert again.rows.equals(first.rows)

    # new content at the same path: only that file's two rows are recomputed
    write(clips[2], speechlike(f0=300, seed=9), 16000)
    changed = extract_corpus(clips, config, augmentations=[NOISE], n_jobs=1, cache_dir=cache, progress=False)
    assert len(calls) == 10 and changed.n_computed == 2 and changed.n_cached == 6
    assert not np.allclose(changed.X[4], first.X[4])
    # a copy of a file elsewhere (same bytes) is a cache hit: the key is the content, not the path
    copy = tmp_path / "elsewhere.wav"
    copy.write_bytes(clips[0].read_bytes())
    moved = extract_corpus([copy], config, n_jobs=1, cache_dir=cache, progress=False)
    assert moved.n_cached == 1 and len(calls) == 10
    # another configuration recomputes everything
    other = extract_corpus(clips, dataclasses.replace(config, n_mfcc=20), n_jobs=1, cache_dir=cache, progress=False)
    assert other.n_computed == 4 and other.X.shape == (4, 160)
    # another augmentation recomputes only the copies
    louder = Augmentation("noise", 10)
    mixed = extract_corpus(clips, config, augmentations=[louder], n_jobs=1, cache_dir=cache, progress=False)
    assert mixed.n_cached == 4 and mixed.n_computed == 4


def test_augmentations_only_for_the_paths_passed(clips, tmp_path):
    cache = tmp_path / "cache"
    config = FeatureConfig()
    all_clips = extract_corpus(clips, config, n_jobs=1, cache_dir=cache, progress=False)
    assert len(all_clips) == 4 and not all_clips.rows["augmented"].any()
    train = extract_corpus(clips[:2], config, augmentations=[NOISE], n_jobs=1, cache_dir=cache, progress=False)
    assert len(train) == 4 and train.n_cached == 2 and train.n_computed == 2
    augmented_paths = set(train.rows.loc[train.rows["augmented"], "path"])
    assert augmented_paths == {str(p) for p in clips[:2]}


def _only_shard(cache):
    shards = list(cache.glob("features-*/*.npz"))
    assert len(shards) == 1
    return shards[0]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "wrong_shape", "tampered_row"])
def test_corrupt_cache_entry_is_recomputed(clips, tmp_path, damage):
    cache = tmp_path / "cache"
    config = FeatureConfig()
    first = extract_corpus(clips, config, n_jobs=1, cache_dir=cache, progress=False)
    shard = _only_shard(cache)
    if damage == "truncate":
        shard.write_bytes(shard.read_bytes()[:-500])
    elif damage == "garbage":
        data = bytearray(shard.read_bytes())
        data[len(data) // 2 : len(data) // 2 + 64] = b"\x5a" * 64
        shard.write_bytes(bytes(data))
    else:
        with np.load(shard) as z:
            arrays = {k: z[k] for k in z.files}
        if damage == "wrong_shape":
            arrays["X"] = arrays["X"][:, :100]
        else:
            arrays["X"][1, 3] += 1.0  # a valid file whose row no longer matches its checksum
        with open(shard, "wb") as fh:
            np.savez(fh, **arrays)
    with pytest.warns(RuntimeWarning, match="feature cache"):
        again = extract_corpus(clips, config, n_jobs=1, cache_dir=cache, progress=False)
    np.testing.assert_allclose(again.X, first.X, rtol=1e-6)
    expected = 1 if damage == "tampered_row" else 4
    assert again.n_computed == expected and again.n_cached == 4 - expected
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        healed = extract_corpus(clips, config, n_jobs=1, cache_dir=cache, progress=False)
    assert healed.n_cached == 4


def test_bad_files_are_skipped_with_reasons(clips, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    text = bad / "notes.wav"
    text.write_text("this is not audio\n" * 20)
    truncated = write(bad / "cut.wav", speechlike(), 16000)
    truncated.write_bytes(truncated.read_bytes()[:5000])
    silent = write(bad / "silent.wav", np.zeros(16000, np.float32), 16000)
    tiny = write(bad / "tiny.wav", 0.5 * np.ones(200, np.float32), 16000)
    missing = bad / "missing.wav"
    paths = [clips[0], text, clips[1], truncated, silent, tiny, missing, clips[2], clips[3]]
    fs = extract_corpus(paths, FeatureConfig(), augmentations=[NOISE], n_jobs=1, cache_dir=tmp_path / "cache", progress=False)
    assert sorted(set(fs.rows["index"])) == [0, 2, 7, 8]
    assert len(fs) == 8
    reasons = dict(zip(fs.skipped["path"], fs.skipped["reason"]))
    assert set(fs.skipped["augmentation"]) == {"all"}
    assert "not readable as audio" in reasons[str(text)]
    assert "truncated" in reasons[str(truncated)]
    assert "silent" in reasons[str(silent)]
    assert "shorter than the analysis window" in reasons[str(tiny)]
    assert "not found" in reasons[str(missing)]


def test_frames_and_save_load_round_trip(clips, tmp_path):
    config = FeatureConfig(n_frames=120)
    fs = extract_corpus(clips, config, augmentations=[NOISE], with_frames=True, n_jobs=1, cache_dir=tmp_path / "cache", progress=False)
    assert fs.frames.shape == (8, 120, 40) and fs.frames.dtype == np.float32
    assert (fs.rows["n_valid_frames"] <= 120).all() and (fs.rows["n_valid_frames"] > 50).all()
    cached = extract_corpus(clips, config, augmentations=[NOISE], with_frames=True, n_jobs=1, cache_dir=tmp_path / "cache", progress=False)
    assert cached.n_cached == 8
    np.testing.assert_array_equal(cached.frames, fs.frames)
    # vectors alone are served from the frame shards too
    assert extract_corpus(clips, config, n_jobs=1, cache_dir=tmp_path / "cache", progress=False).n_cached == 4

    fs.save(tmp_path / "saved")
    back = FeatureSet.load(tmp_path / "saved")
    np.testing.assert_array_equal(back.X, fs.X)
    np.testing.assert_array_equal(back.frames, fs.frames)
    assert back.config == config
    assert back.rows[["index", "path", "augmentation", "augmented"]].equals(fs.rows[["index", "path", "augmentation", "augmented"]])
    assert list((tmp_path / "saved").iterdir())  # npz + csv + json, nothing pickled
    assert {p.suffix for p in (tmp_path / "saved").iterdir()} == {".npz", ".csv", ".json"}


def test_statistics_in_blocks_equal_the_whole_extraction(clips, tmp_path):
    """extract_statistics: the rows, skipped files and statistics of one extraction with frames."""
    import pandas as pd

    from utils.features.extract import extract_statistics
    from utils.features.inputs import feature_set_inputs

    config = FeatureConfig(n_frames=120, frame_features=("mfcc", "mel", "prosody"))
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio\n" * 20)
    table = pd.DataFrame({"path": [clips[0], bad, *clips[1:]], "speaker": list("abcde"), "label": list("xyxyx")},
                         index=[10, 11, 12, 13, 14])
    options = dict(augmentations=[NOISE], n_jobs=1, cache_dir=tmp_path / "cache", progress=False)
    whole = extract_corpus(table, config, with_frames=True, **options)
    for source in (table, list(table["path"])):
        fs, stats = extract_statistics(source, config, block_size=2, **options)
        assert fs.frames is None and fs.n_cached == len(whole) and fs.n_computed == 0
        assert np.array_equal(stats, feature_set_inputs(whole, "stats")) and stats.dtype == np.float32
        np.testing.assert_array_equal(fs.X, whole.X)
        if source is table:                                  # the table's index labels and key columns
            assert fs.rows.equals(whole.rows) and fs.skipped.equals(whole.skipped)
        else:                                                # positions in the list, as extract_corpus gives them
            assert list(fs.rows["index"]) == list(whole.rows["index"] - 10)
            assert fs.rows[["path", "augmentation", "n_valid_frames"]].equals(whole.rows[["path", "augmentation", "n_valid_frames"]])
            assert list(fs.skipped["path"]) == [str(bad)] and list(fs.skipped["index"]) == [1]
    with pytest.raises(ValueError, match="block_size"):
        extract_statistics(table, config, block_size=0, **options)
    with pytest.raises(ValueError, match="with_frames"):
        extract_statistics(table, config, with_frames=True, **options)


@pytest.mark.slow
def test_parallel_matches_serial_and_cache_can_be_disabled(clips, tmp_path, monkeypatch):
    import utils.core.parallel as parallel

    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 1)  # start a worker even for 12 clips
    paths = clips * 3
    config = FeatureConfig()
    serial = extract_corpus(paths, config, augmentations=[NOISE], n_jobs=1, cache_dir=False, progress=False)
    parallel = extract_corpus(paths, config, augmentations=[NOISE], n_jobs=2, cache_dir=False, progress=False)
    np.testing.assert_array_equal(serial.X, parallel.X)
    assert serial.rows.equals(parallel.rows)
    # identical files are computed once
    assert serial.n_computed == 8 and len(serial) == 24


@pytest.mark.slow
def test_joblib_parallel_still_works_after_a_shared_run(clips, monkeypatch):
    """extract_corpus's worker is joblib's reusable executor, so joblib.Parallel can reuse it."""
    import joblib

    import utils.core.parallel as parallel

    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 1)
    extract_corpus(clips * 3, FeatureConfig(), n_jobs=2, cache_dir=False, progress=False)
    assert joblib.Parallel(n_jobs=2)(joblib.delayed(abs)(-i) for i in range(4)) == [0, 1, 2, 3]


@pytest.mark.slow
def test_shared_run_returns_every_batch_once(clips, monkeypatch):
    """The calling process and a worker share the batches; each comes back exactly once."""
    import time

    import utils.features.extract as features

    config = FeatureConfig()
    batches = [[(i, str(p), p.stem, [(0, None)])] for i, p in enumerate(clips + clips)]
    expected = {b[0][0]: features._extract_batch(b, config, False)[0][2] for b in batches}
    real = features._extract_batch

    def slow(batch, config, frames):  # a slow caller leaves batches to the (unpatched) worker
        time.sleep(0.4)
        return real(batch, config, frames)

    monkeypatch.setattr(features, "_extract_batch", slow)
    out = list(features._shared_run(batches, config, False, 1))
    assert sorted(b[0][0] for b, _ in out) == list(range(len(batches)))
    for batch, results in out:
        np.testing.assert_array_equal(results[0][2], expected[batch[0][0]])


def test_extract_argument_errors(clips):
    with pytest.raises(ValueError, match="clip_ids"):
        extract_corpus(clips, FeatureConfig(), clip_ids=["a"], cache_dir=False)
    with pytest.raises(ValueError, match="augmentations"):
        extract_corpus(clips, FeatureConfig(), augmentations=["noise"], cache_dir=False)
    with pytest.raises(ValueError, match="n_jobs"):
        extract_corpus(clips, FeatureConfig(), n_jobs=0, cache_dir=False)


def test_cache_merging_and_reading_hold_bounded_memory(tmp_path, monkeypatch):
    """Small shards merge into shards of at most MERGED_SHARD_BYTES; big ones stay; rows read are copies."""
    from utils.features import cache as cache_module
    from utils.features.cache import FeatureCache, entry_key

    config = FeatureConfig(n_frames=20, n_mfcc=4, frame_features=("mfcc",))
    cache = FeatureCache(tmp_path, config)
    rng = np.random.default_rng(0)
    row_bytes = 32 + 4 * config.vector_size + 16 + 8 + 4 * 20 * 4 + 8
    monkeypatch.setattr(cache_module, "MERGED_SHARD_BYTES", 50 * row_bytes)
    entries = {}
    for shard in range(30):                      # 30 writes of 10 rows: merging starts at the 9th small shard
        batch = []
        for i in range(10):
            key = entry_key(f"file{shard}-{i}", "original")
            vector = rng.standard_normal(config.vector_size).astype(np.float32)
            frames = rng.standard_normal((20, 4)).astype(np.float32)
            batch.append((key, vector, np.array([1.0, 20.0]), frames))
            entries[key] = (vector, frames)
        cache.write(batch, with_frames=True)
        assert len(cache._small_shards("frm")) <= cache_module.MAX_SHARDS
    sizes = [p.stat().st_size for p in cache.shards("frm")]
    assert max(sizes) <= 50 * row_bytes + 4096                    # no merged shard above the cap (plus the npz headers)
    assert len(sizes) < 30
    found = cache.lookup(set(entries), with_frames=True)
    assert set(found) == set(entries)
    for key, (vector, frames) in entries.items():
        np.testing.assert_array_equal(found[key][0], vector)
        np.testing.assert_array_equal(found[key][2], frames)
    one = next(iter(entries))
    row = cache.lookup({one}, with_frames=True)[one][2]
    assert row.base is None or row.base.shape[0] == 1            # a copy of the one row, not a view of its shard
