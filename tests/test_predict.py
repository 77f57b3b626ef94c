"""Inference on generated audio: one clip, a folder with bad files, a streamed timeline, the command."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import soundfile as sf  # noqa: E402

keras = pytest.importorskip("keras")

from utils.data.audio import (
    AudioError,  # noqa: E402
    stream_signal,
)
from utils.features.clip import clip_features, load_clip
from utils.features.config import FeatureConfig  # noqa: E402
from utils.notebook.plots import plot_timeline
from utils.predict.bundle import load_bundle, save_bundle  # noqa: E402
from utils.predict.cli import main
from utils.predict.clips import audio_files, predict_emotion, predict_folder
from utils.predict.timeline import SILENCE, predict_timeline  # noqa: E402

SR = 22050  # files are written at 22.05 kHz and resampled to the bundle's 16 kHz
CONFIG = FeatureConfig(n_mfcc=13, n_mels=32)
LABELS = ["angry", "happy", "sad"]


def voice(seconds, f0=180.0, seed=0):
    """A voiced, syllable-modulated tone at about -15 dBFS RMS."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    y = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6)) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))
    return (0.2 * y + 0.003 * rng.standard_normal(len(t))).astype("float32")


def quiet(seconds, seed=1):
    """Room noise at about -80 dBFS: silence to the timeline, yet not digital zero."""
    return (1e-4 * np.random.default_rng(seed).standard_normal(int(seconds * SR))).astype("float32")


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory):
    inputs = keras.Input((CONFIG.vector_size,))
    hidden = keras.layers.Dense(8, activation="tanh", kernel_initializer=keras.initializers.RandomNormal(seed=1))(inputs)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax", kernel_initializer=keras.initializers.RandomNormal(seed=2))(hidden))
    rng = np.random.default_rng(0)
    scaler = {"mean": rng.normal(0, 5, CONFIG.vector_size).tolist(), "scale": rng.uniform(5, 20, CONFIG.vector_size).tolist()}
    return save_bundle(tmp_path_factory.mktemp("bundle") / "demo", model, CONFIG, scaler, LABELS, input_kind="vector")


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    for i, f0 in enumerate((120, 180, 240)):
        sf.write(folder / f"clip{i}.wav", np.concatenate([quiet(0.2), voice(1.0, f0, seed=i), quiet(0.2)]), SR)
    (folder / "sub").mkdir()
    sf.write(folder / "sub" / "clip3.flac", voice(0.8, 150), SR)
    (folder / "text.wav").write_text("this is not audio")
    sf.write(folder / "short.wav", voice(0.01), SR)
    (folder / "notes.txt").write_text("not audio: reported as skipped")
    return folder


def test_predict_emotion_on_a_clip(bundle_dir, clips):
    out = predict_emotion(clips / "clip0.wav", bundle_dir)
    assert set(out) == {"emotion", "confidence", "probabilities", "flags"} and out["flags"] == []
    assert list(out["probabilities"]) == LABELS
    assert sum(out["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    assert out["emotion"] == max(out["probabilities"], key=out["probabilities"].get)
    assert out["confidence"] == max(out["probabilities"].values())
    b = load_bundle(bundle_dir)
    expected = b.predict_proba(clip_features(load_clip(clips / "clip0.wav", CONFIG), CONFIG))[0]
    np.testing.assert_allclose(list(out["probabilities"].values()), expected, rtol=1e-5)
    assert predict_emotion(clips / "clip0.wav", b) == out  # a loaded Bundle works too


def test_predict_emotion_names_a_bad_file(bundle_dir, clips):
    with pytest.raises(AudioError, match="text.wav"):
        predict_emotion(clips / "text.wav", bundle_dir)
    with pytest.raises(AudioError, match="short.wav: too short"):
        predict_emotion(clips / "short.wav", bundle_dir)


def test_predict_folder_skips_bad_files_and_keeps_the_rest(bundle_dir, clips):
    results, skipped = predict_folder(clips, bundle_dir, progress=False)
    assert list(results.columns) == ["path", "emotion", "confidence", "flags", *LABELS]
    assert sorted(pd.Series(results["path"]).map(lambda p: p.split("/")[-1])) == ["clip0.wav", "clip1.wav", "clip2.wav", "clip3.flac"]
    np.testing.assert_allclose(results[LABELS].sum(axis=1), 1.0, rtol=1e-5)
    assert (results["confidence"] == results[LABELS].max(axis=1)).all()
    reasons = dict(zip(skipped["path"].map(lambda p: p.split("/")[-1]), skipped["reason"]))
    assert set(reasons) == {"text.wav", "short.wav", "notes.txt"}   # every file met is in one table or the other
    assert "not readable as audio" in reasons["text.wav"] and "too short" in reasons["short.wav"]
    assert reasons["notes.txt"].startswith("not an audio file the course reads (.txt)")
    single = predict_emotion(clips / "clip1.wav", bundle_dir)
    row = results[results["path"].str.endswith("clip1.wav")].iloc[0]
    assert row["emotion"] == single["emotion"] and row["confidence"] == pytest.approx(single["confidence"], rel=1e-5)
    one, none_skipped = predict_folder([clips / "clip2.wav"], bundle_dir, progress=False)
    assert len(one) == 1 and none_skipped.empty


def test_empty_folder_is_a_clear_error(tmp_path, bundle_dir):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no audio here")
    with pytest.raises(FileNotFoundError, match=r"empty: no audio files"):
        predict_folder(tmp_path / "empty", bundle_dir)
    assert audio_files([tmp_path / "missing.wav"]) == [tmp_path / "missing.wav"]


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """20 s: voice 0-6 s, quiet 6-11 s, voice 11-17 s, quiet 17-20 s."""
    path = tmp_path_factory.mktemp("long") / "long.wav"
    y = np.concatenate([voice(6, 150), quiet(5), voice(6, 220, seed=3), quiet(3, seed=2)])
    sf.write(path, y, SR)
    return path


def test_stream_signal_equals_resampling_the_whole_file(recording):
    import librosa

    streamed = np.concatenate(list(stream_signal(recording, 16000, block_seconds=1.3)))
    y, sr = sf.read(recording, dtype="float32")
    whole = librosa.resample(y, orig_sr=sr, target_sr=16000, res_type="soxr_hq")
    assert len(streamed) == len(whole)
    np.testing.assert_allclose(streamed, whole, atol=1e-6)


def test_timeline_marks_silence_and_has_the_right_windows(bundle_dir, recording):
    tl = predict_timeline(recording, bundle_dir, window=3.0, hop=1.0, block_seconds=2.0)
    assert list(tl.columns) == ["start", "end", "emotion", "confidence", "silent", "rms_db", *LABELS]
    assert tl["start"].tolist() == pytest.approx(list(range(18)))  # 0, 1, ..., 17: the last one ends at 20 s
    assert (tl["end"] - tl["start"]).tolist() == pytest.approx([3.0] * 18)
    silent = tl.loc[tl["silent"], "start"].round().astype(int).tolist()
    assert silent == [6, 7, 8, 17]
    assert (tl.loc[tl["silent"], "emotion"] == SILENCE).all()
    assert tl.loc[tl["silent"], LABELS].isna().all().all()
    voiced = tl[~tl["silent"]]
    assert voiced["emotion"].isin(LABELS).all()
    np.testing.assert_allclose(voiced[LABELS].sum(axis=1), 1.0, rtol=1e-5)
    same = predict_timeline(recording, bundle_dir, window=3.0, hop=1.0, block_seconds=30.0)
    pd.testing.assert_frame_equal(tl, same, rtol=1e-5)  # blocks do not change the result
    ax = plot_timeline(tl)
    assert ax.get_xlabel() == "time (s)"


def test_timeline_hop_larger_than_the_window(bundle_dir, recording):
    tl = predict_timeline(recording, bundle_dir, window=2.0, hop=5.0, block_seconds=1.0)
    assert tl["start"].tolist() == pytest.approx([0, 5, 10, 15])


def test_timeline_flags_a_doubtful_recording_and_speech_near_the_silence_level(tmp_path, bundle_dir, recording, capsys):
    from utils.data.quality import SILENCE_DB, audio_quality
    from utils.predict.timeline import SOFT_MARGIN_DB

    plain = predict_timeline(recording, bundle_dir)
    assert plain.attrs["flags"] == [] and plain.attrs["level_note"] == ""
    y, sr = sf.read(recording, dtype="float32")
    active = audio_quality(recording)["active_db"]
    assert active > SILENCE_DB + SOFT_MARGIN_DB, "the test recording is at a normal level"
    soft = tmp_path / "soft.wav"
    sf.write(soft, y * 10 ** ((SILENCE_DB + 10 - active) / 20), sr)       # speech 10 dB above the silence level
    tl = predict_timeline(soft, bundle_dir)
    assert tl.attrs["level_note"].startswith(f"its speech is at about {SILENCE_DB + 10:.0f} dBFS, within {SOFT_MARGIN_DB:g} dB")
    assert f"consider silence_db={SILENCE_DB - 20:.0f}" in tl.attrs["level_note"]
    assert "low_level" not in tl.attrs["flags"]
    quieter = predict_timeline(soft, bundle_dir, silence_db=SILENCE_DB - 20)
    assert quieter.attrs["level_note"] == "" and quieter["silent"].sum() <= tl["silent"].sum()
    offset = tmp_path / "offset.wav"
    sf.write(offset, y + 0.02, sr)
    assert predict_timeline(offset, bundle_dir).attrs["flags"] == ["dc_offset"]
    assert main([str(soft), str(offset), str(recording), "--model", str(bundle_dir), "--timeline", "--quiet", "--out", str(tmp_path / "tl.csv")]) == 0
    printed = capsys.readouterr().out
    assert "doubtful recordings (predicted; check them):" in printed
    assert f"{soft}: its speech is at about" in printed and f"{offset}: dc_offset (DC offset above" in printed
    lines = printed.splitlines()
    start = lines.index("doubtful recordings (predicted; check them):") + 1
    listed = [line for line in lines[start:start + 3] if line.startswith("  ")]
    assert len(listed) == 2 and not any(line.startswith(f"  {recording}:") for line in listed), "only the doubtful ones"


def test_all_silent_recording_gives_a_clear_message(tmp_path, bundle_dir):
    path = tmp_path / "quiet.wav"
    sf.write(path, quiet(8), SR)
    with pytest.raises(AudioError, match=r"quiet.wav: all 6 windows are silent .*lower silence_db"):
        predict_timeline(path, bundle_dir)


def test_recording_shorter_than_a_window_is_one_window(tmp_path, bundle_dir):
    path = tmp_path / "brief.wav"
    sf.write(path, voice(1.5), SR)
    tl = predict_timeline(path, bundle_dir, window=3.0)
    assert len(tl) == 1 and tl.loc[0, "start"] == 0 and tl.loc[0, "end"] == pytest.approx(1.5)
    assert not tl.loc[0, "silent"]
    sf.write(tmp_path / "tiny.wav", voice(0.01), SR)
    with pytest.raises(AudioError, match="tiny.wav: too short"):
        predict_timeline(tmp_path / "tiny.wav", bundle_dir)


@pytest.mark.slow
def test_cli_help_explains_every_option():
    done = subprocess.run([sys.executable, "-m", "utils.predict", "--help"], capture_output=True, text=True, check=True)
    for option in ("PATHS", "--model", "--out", "--timeline", "--window", "--hop", "--silence-db", "--jobs", "--batch-size", "--quiet", "Exit status"):
        assert option in done.stdout, option


def test_cli_writes_a_csv_and_lists_skipped_files(tmp_path, bundle_dir, clips, capsys):
    out = tmp_path / "results.csv"
    code = main([str(clips), "--model", str(bundle_dir), "--out", str(out), "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0
    table = pd.read_csv(out)
    assert len(table) == 4 and list(table.columns) == ["path", "emotion", "confidence", "flags", *LABELS]
    skipped = pd.read_csv(tmp_path / "results.skipped.csv")
    assert sorted(skipped["path"].map(lambda p: p.split("/")[-1])) == ["notes.txt", "short.wav", "text.wav"]
    assert "predicted 4 files" in printed and "text.wav: not readable as audio" in printed


def test_cli_timeline_and_exit_codes(tmp_path, bundle_dir, clips, recording, capsys):
    out = tmp_path / "timeline.csv"
    assert main([str(recording), str(clips / "text.wav"), "--model", str(bundle_dir), "--timeline", "--out", str(out), "--quiet"]) == 0
    table = pd.read_csv(out)
    assert table.columns[0] == "path" and len(table) == 18 and (table["emotion"] == SILENCE).sum() == 4
    assert main([str(clips / "text.wav"), "--model", str(bundle_dir), "--quiet"]) == 1  # nothing processed
    assert main([str(clips / "clip0.wav"), "--model", str(tmp_path / "no-bundle"), "--quiet"]) == 3
    assert "bundle" in capsys.readouterr().err
    assert main([str(recording), "--model", str(bundle_dir), "--timeline", "--hop", "0.00001", "--quiet"]) == 2   # not a million windows
    assert "hop=1e-05 s is shorter than one frame step of the features (0.01 s" in capsys.readouterr().err


def test_a_frames_bundle_predicts_clips_and_windows(tmp_path, clips, recording):
    from utils.learn.networks import temporal_conv1d

    config = FeatureConfig(n_mfcc=13, n_mels=32, n_frames=50)
    model = temporal_conv1d(50, 13, 3, filters=(4,), dense=4)
    folder = save_bundle(tmp_path / "frames", model, config, {"mean": [0.0] * 13, "scale": [10.0] * 13}, LABELS, input_kind="frames")
    results, skipped = predict_folder(clips, folder, progress=False)
    assert len(results) == 4 and len(skipped) == 3
    tl = predict_timeline(recording, folder)
    assert len(tl) == 18 and tl["silent"].sum() == 4


STATS_CONFIG = FeatureConfig(n_mfcc=13, n_mels=32, n_frames=100, frame_features=("mfcc", "mel", "prosody"), level_db=-30.0)   # the timeline must normalise windows as clips are


@pytest.fixture(scope="module")
def stats_bundle_dir(tmp_path_factory):
    """An input-kind "stats" bundle: a 2-member ensemble (noise + dropout), scaler fitted on voices."""
    from utils.features.inputs import input_shape, signal_inputs
    from utils.learn.networks import ensemble_model, stats_mlp

    n = input_shape(STATS_CONFIG, "stats")[0]
    keras.utils.set_random_seed(0)
    members = [stats_mlp(n, 3, hidden=(8,)) for _ in range(2)]
    X = np.stack([signal_inputs(load_clip_signal(voice(1.0, f0, seed=i)), STATS_CONFIG, "stats") for i, f0 in enumerate((110, 160, 230))])
    scaler = {"mean": X.mean(axis=0).tolist(), "scale": np.maximum(X.std(axis=0), 1e-3).tolist()}
    return save_bundle(tmp_path_factory.mktemp("stats") / "course", ensemble_model(members), STATS_CONFIG, scaler, LABELS, input_kind="stats")


def load_clip_signal(y):
    """A generated signal as the bundle would see it: resampled to 16 kHz (no trimming needed)."""
    import librosa

    return librosa.resample(y, orig_sr=SR, target_sr=STATS_CONFIG.sr, res_type="soxr_hq")


def test_a_stats_bundle_predicts_a_clip_and_a_folder(stats_bundle_dir, clips):
    from utils.features.clip import clip_frames
    from utils.features.inputs import frame_statistics

    b = load_bundle(stats_bundle_dir)
    assert b.input_kind == "stats" and b.feature_shape == (13 * 7 + 2 * 32 + 21,)
    out = predict_emotion(clips / "clip0.wav", stats_bundle_dir)
    y = load_clip(clips / "clip0.wav", STATS_CONFIG)
    n_valid = min(1 + len(y) // STATS_CONFIG.hop_length, STATS_CONFIG.n_frames)
    stats = frame_statistics(clip_frames(y, STATS_CONFIG)[None], [n_valid], STATS_CONFIG)[0]
    np.testing.assert_allclose(list(out["probabilities"].values()), b.predict_proba(stats)[0], rtol=1e-5)
    results, skipped = predict_folder(clips, stats_bundle_dir, progress=False)
    assert len(results) == 4 and set(skipped["path"].map(lambda p: p.split("/")[-1])) == {"text.wav", "short.wav", "notes.txt"}
    np.testing.assert_allclose(results[LABELS].sum(axis=1), 1.0, rtol=1e-5)
    row = results[results["path"].str.endswith("clip0.wav")].iloc[0]
    np.testing.assert_allclose(row[LABELS].to_numpy(float), list(out["probabilities"].values()), rtol=1e-4, atol=1e-6)
    assert row["emotion"] == out["emotion"]


def test_a_stats_bundle_predicts_a_timeline(tmp_path, stats_bundle_dir):
    from utils.features.clip import prepare_signal

    path = tmp_path / "twelve.wav"
    sf.write(path, np.concatenate([voice(5, 140), quiet(4), voice(3, 210, seed=4)]), SR)
    tl = predict_timeline(path, stats_bundle_dir, window=3.0, hop=1.0, batch_size=4)
    assert tl["start"].tolist() == pytest.approx(list(range(10)))
    assert tl.loc[tl["silent"], "start"].round().astype(int).tolist() == [5, 6]  # quiet 5-9 s
    voiced = tl[~tl["silent"]]
    assert voiced["emotion"].isin(LABELS).all()
    np.testing.assert_allclose(voiced[LABELS].sum(axis=1), 1.0, rtol=1e-5)
    # the first window equals the statistics of its samples (DC removed, trimmed, level normalised), predicted directly
    b = load_bundle(stats_bundle_dir)
    signal = np.concatenate(list(stream_signal(path, STATS_CONFIG.sr)))
    first = b.predict_proba(b.features(prepare_signal(signal[: 3 * STATS_CONFIG.sr], STATS_CONFIG)))[0]
    np.testing.assert_allclose(tl.loc[0, LABELS].to_numpy(float), first, rtol=1e-4, atol=1e-6)


def _fails_fast(seconds=60):
    """Fail the test instead of hanging (a named pipe blocks whoever opens it)."""
    import signal

    def stop(*_):
        raise TimeoutError("blocked: a named pipe was opened")

    signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)


def test_nothing_given_is_lost_linked_folders_pipes_and_unreadable_formats(tmp_path, bundle_dir, clips):
    import os

    from utils.predict.clips import collect_inputs

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "speaker_a").symlink_to(clips / "sub", target_is_directory=True)   # a corpus assembled from links
    (corpus / "loop").symlink_to(corpus, target_is_directory=True)              # a link back up must not loop
    (corpus / "interview.m4a").write_bytes(b"\0\0\0 ftypM4A ")
    os.mkfifo(corpus / "pipe.wav")
    (tmp_path / "empty").mkdir()
    files, not_taken = collect_inputs([corpus, tmp_path / "empty", clips / "clip0.wav"])
    assert [p.name for p in files] == ["pipe.wav", "clip3.flac", "clip0.wav"]   # each folder sorted by path
    reasons = dict(zip(not_taken["path"].map(lambda p: p.split("/")[-1]), not_taken["reason"]))
    assert set(reasons) == {"interview.m4a", "empty"}
    assert "(.m4a); convert it to WAV or FLAC" in reasons["interview.m4a"] and reasons["empty"].startswith("no audio files")
    _fails_fast()
    try:
        results, skipped = predict_folder([corpus, tmp_path / "empty", clips / "clip0.wav"], bundle_dir, progress=False, n_jobs=None)
    finally:
        import signal

        signal.alarm(0)
    assert sorted(p.split("/")[-1] for p in results["path"]) == ["clip0.wav", "clip3.flac"]   # the empty folder does not abort the call
    reasons = dict(zip(skipped["path"].map(lambda p: p.split("/")[-1]), skipped["reason"]))
    assert set(reasons) == {"interview.m4a", "empty", "pipe.wav"}
    assert reasons["pipe.wav"] == "not a regular file (a named pipe)"


def test_a_named_pipe_is_refused_before_it_is_opened(tmp_path):
    import os

    from utils.core.files import NotRegularFile, file_digest
    from utils.data.audio import load_audio

    pipe = tmp_path / "clip.wav"
    os.mkfifo(pipe)
    _fails_fast()
    try:
        with pytest.raises(NotRegularFile, match="a named pipe"):
            file_digest(pipe)
        with pytest.raises(AudioError, match=r"clip.wav: not a regular file \(a named pipe\)"):
            load_audio(pipe)
    finally:
        import signal

        signal.alarm(0)


def test_cli_checks_out_before_any_work(tmp_path, bundle_dir, clips, capsys):
    (tmp_path / "results").mkdir()
    (tmp_path / "a-file").write_text("x")
    for out, message in ((tmp_path / "results", "is a folder"), (tmp_path / "a-file" / "r.csv", "cannot be created")):
        with pytest.raises(SystemExit) as stop:
            main([str(clips / "clip0.wav"), "--model", str(bundle_dir), "--out", str(out), "--quiet"])
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert f"--out {out}: " in err and message in err and "predicted" not in err


def test_a_linked_actor_folder_is_scanned(tmp_path):
    from utils.data.scan import scan_corpus

    real = tmp_path / "store" / "Actor_01"
    real.mkdir(parents=True)
    sf.write(real / "03-01-05-02-01-01-01.wav", voice(1.0), SR)
    corpus = tmp_path / "ravdess"
    corpus.mkdir()
    (corpus / "Actor_01").symlink_to(real, target_is_directory=True)
    result = scan_corpus(corpus)
    assert list(result.table["file"]) == ["03-01-05-02-01-01-01.wav"] and result.table["emotion"].tolist() == ["angry"]


def _tone(seconds, sr=SR, level=0.2):
    return level * voice(seconds) / 0.2 if sr == SR else (level * np.sin(2 * np.pi * 180 * np.arange(int(seconds * sr)) / sr)).astype("float32")


BAD_INPUTS = {   # file name: (how it is written, expected outcome: a set of flags, or the start of a skip reason)
    "dc_offset.wav": (lambda p: sf.write(p, voice(1.5) + 0.01, SR), {"dc_offset"}),
    "near_silence.wav": (lambda p: sf.write(p, voice(1.5) * 10 ** (-45 / 20), SR), {"low_level"}),   # about -60 dBFS RMS, peak above -70
    "room_noise.wav": (lambda p: sf.write(p, 3e-4 * np.random.default_rng(0).standard_normal(SR * 2), SR), {"low_level", "no_voiced_frames"}),
    "loud_noise.wav": (lambda p: sf.write(p, 0.05 * np.random.default_rng(1).standard_normal(SR * 2), SR), {"no_voiced_frames"}),
    "clipped.wav": (lambda p: sf.write(p, np.clip(voice(1.5) * 8, -1, 1), SR), {"clipping"}),
    "short.wav": (lambda p: sf.write(p, voice(0.3), SR), {"too_short"}),
    "long.flac": (lambda p: sf.write(p, np.tile(voice(1.0), 31), SR), {"too_long"}),
    "half_cancel.wav": (lambda p: sf.write(p, np.stack([voice(1.5), -0.98 * voice(1.5)], axis=1), SR), {"mono_cancels", "low_level"}),
    "anti_phase.wav": (lambda p: sf.write(p, np.stack([voice(1.5), -voice(1.5)], axis=1), SR), "silent once its channels are mixed to mono"),
    "clean_8k.wav": (lambda p: sf.write(p, _tone(1.5, 8000), 8000), set()),
    "clean_96k_24bit.wav": (lambda p: sf.write(p, _tone(1.5, 96000), 96000, subtype="PCM_24"), set()),
    "clean_6ch.wav": (lambda p: sf.write(p, np.tile(voice(1.5)[:, None], (1, 6)), SR), set()),
    "clean.aiff": (lambda p: sf.write(p, voice(1.5), SR, format="AIFF"), set()),
    "ogg_named.wav": (lambda p: sf.write(p, voice(1.5), SR, format="OGG"), set()),
    "digital_zero.wav": (lambda p: sf.write(p, np.zeros(SR), SR), "silent (peak below -70 dBFS)"),
    "empty.wav": (lambda p: sf.write(p, np.zeros(0), SR), "holds no audio samples"),
    "truncated.wav": (lambda p: (sf.write(p, voice(1.5), SR), p.write_bytes(p.read_bytes()[:20000])), "truncated WAV"),
    "text.wav": (lambda p: p.write_text("not audio"), "not readable as audio"),
    "interview.m4a": (lambda p: p.write_bytes(b"\0\0\0 ftypM4A "), "not an audio file the course reads (.m4a)"),
}


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad_inputs")
    for name, (write, _) in BAD_INPUTS.items():
        write(folder / name)
    return folder


def test_every_bad_input_ends_flagged_or_skipped_with_its_reason(bundle_dir, bad_inputs):
    """The bad-input matrix: every file ends in exactly one table, with the expected flags or reason."""
    results, skipped = predict_folder(bad_inputs, bundle_dir, progress=False, n_jobs=None)
    flags = {p.split("/")[-1]: set(f.split(";")) - {""} for p, f in zip(results["path"], results["flags"])}
    reasons = {p.split("/")[-1]: r for p, r in zip(skipped["path"], skipped["reason"])}
    assert not set(flags) & set(reasons) and set(flags) | set(reasons) == set(BAD_INPUTS)   # nothing lost, nothing twice
    for name, (_, expected) in BAD_INPUTS.items():
        if isinstance(expected, set):
            assert name in flags and flags[name] == expected, (name, flags.get(name), reasons.get(name))
        else:
            assert name in reasons and reasons[name].startswith(expected), (name, reasons.get(name), flags.get(name))
    assert results.attrs["flags"]["low_level"] == sum(isinstance(e, set) and "low_level" in e for _, e in BAD_INPUTS.values())


def test_the_cli_counts_the_flags(tmp_path, bundle_dir, bad_inputs, capsys):
    out = tmp_path / "r.csv"
    assert main([str(bad_inputs), "--model", str(bundle_dir), "--out", str(out), "--quiet", "--jobs", "1"]) == 0
    printed = capsys.readouterr().out
    table = pd.read_csv(out, keep_default_na=False)
    n_flagged = int((table["flags"] != "").sum())
    assert n_flagged == sum(1 for _, e in BAD_INPUTS.values() if isinstance(e, set) and e)
    assert f"doubtful: {n_flagged} of {len(table)} files flagged" in printed and "  dc_offset: 1 (DC offset above" in printed


def test_a_long_batch_keeps_what_it_finished(tmp_path, bundle_dir, clips, monkeypatch):
    import utils.predict.cli as cli

    out = tmp_path / "r.csv"
    monkeypatch.setattr(cli, "PART_FILES", 2)
    assert main([str(clips), "--model", str(bundle_dir), "--out", str(out), "--quiet", "--jobs", "1"]) == 0
    whole, _ = predict_folder(clips, bundle_dir, progress=False, n_jobs=None)
    in_parts = pd.read_csv(out, keep_default_na=False)
    assert in_parts["path"].tolist() == whole["path"].tolist() and np.allclose(in_parts[LABELS], whole[LABELS], atol=1e-6)
    assert not out.with_suffix(".partial.csv").exists()

    calls = []

    def interrupted(files, *args, **kwargs):
        calls.append(files)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return predict_folder(files, *args, **kwargs)

    monkeypatch.setattr(cli, "predict_folder", interrupted)
    with pytest.raises(KeyboardInterrupt):
        main([str(clips), "--model", str(bundle_dir), "--out", str(tmp_path / "cut.csv"), "--quiet", "--jobs", "1"])
    kept = pd.read_csv(tmp_path / "cut.partial.csv")
    assert len(kept) >= 1 and set(kept["path"]) <= set(map(str, calls[0]))   # the first part survived the interruption


def test_the_timeline_refuses_what_clip_mode_refuses(tmp_path, bundle_dir, bad_inputs):
    """One decoder for both paths: a truncated or empty WAV is refused by the streaming timeline too."""
    for name, reason in (("truncated.wav", "truncated WAV"), ("empty.wav", "holds no audio samples"), ("text.wav", "not readable as audio")):
        with pytest.raises(AudioError, match=reason):
            predict_timeline(bad_inputs / name, bundle_dir, window=1.0, hop=0.5, progress=False, n_jobs=None)
