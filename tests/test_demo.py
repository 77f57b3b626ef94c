"""Tests of the synthetic demo corpus generator (utils/demo.py).

Builds use a small actor subset in temporary folders, so the whole module runs in seconds.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf

from utils.data import demo

ACTORS = (1, 2)
RAVDESS_RE = re.compile(r"^03-01-(0[1-8])-(0[12])-(0[12])-(0[12])-(\d{2})$")
CREMAD_RE = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$")
REAL_CREMAD_SENTENCES = {"IEO", "TIE", "IOM", "IWW", "TAI", "MTI", "IWL", "ITH", "DFA", "ITS", "TSI", "WSI"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A demo corpus of actors 1 and 2 (seed 0), built once for the module."""
    root = tmp_path_factory.mktemp("demo")
    roots = demo.make_demo_corpus(root, seed=0, n_jobs=1, actors=ACTORS)
    return root, roots


def _wavs(folder: Path) -> list:
    """All WAV files below ``folder``, sorted."""
    return sorted(Path(folder).rglob("*.wav"))


def _ravdess_labels(path: Path) -> dict:
    """Parse a RAVDESS-style name (fails the test if it does not match)."""
    match = RAVDESS_RE.match(path.stem)
    assert match, f"bad RAVDESS name {path.name}"
    emotion, intensity, statement, repetition, actor = match.groups()
    return {"emotion": emotion, "intensity": intensity, "statement": statement, "actor": int(actor)}


def _cremad_labels(path: Path) -> dict:
    """Parse a CREMA-D-style name (fails the test if it does not match)."""
    match = CREMAD_RE.match(path.stem)
    assert match, f"bad CREMA-D name {path.name}"
    actor, sentence, emotion, level = match.groups()
    return {"actor": int(actor), "sentence": sentence, "emotion": emotion, "level": level}


def _db(x: np.ndarray) -> float:
    """RMS level of ``x`` in dBFS."""
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x))) + 1e-12))


def _file_bytes(root: Path) -> dict:
    """``{relative path: bytes}`` of every WAV file below ``root``."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.wav"))}


def test_returns_the_two_corpus_folders(corpus):
    root, roots = corpus
    assert roots == {"ravdess": root / "RAVDESS-demo-synthetic", "cremad": root / "CREMA-D-demo-synthetic"}
    assert all(folder.is_dir() for folder in roots.values())


def test_ravdess_names_parse_and_cover_all_conditions(corpus):
    _, roots = corpus
    files = _wavs(roots["ravdess"])
    labels = [_ravdess_labels(p) for p in files]
    for path, lab in zip(files, labels):
        assert path.parent.name == f"Actor_{lab['actor']:02d}"
    assert {lab["actor"] for lab in labels} == set(ACTORS)
    assert {lab["emotion"] for lab in labels} == {f"{e:02d}" for e in range(1, 9)}
    assert {lab["intensity"] for lab in labels if lab["emotion"] == "01"} == {"01"}
    assert {lab["intensity"] for lab in labels if lab["emotion"] != "01"} == {"01", "02"}
    # 1 neutral + 7 emotions x 2 intensities, x 2 statements, x repetitions, per actor
    per_actor = (1 + 7 * 2) * 2 * len(demo.RAVDESS_REPETITIONS)
    assert len(files) == per_actor * len(ACTORS)


def test_cremad_names_parse_and_follow_the_level_design(corpus):
    _, roots = corpus
    files = _wavs(roots["cremad"])
    assert all(p.parent.name == "AudioWAV" for p in files)
    labels = [_cremad_labels(p) for p in files]
    assert {lab["actor"] for lab in labels} == {1000 + a for a in ACTORS}
    assert {lab["sentence"] for lab in labels} <= REAL_CREMAD_SENTENCES
    assert len({lab["sentence"] for lab in labels}) >= 4
    assert {lab["emotion"] for lab in labels} == {"ANG", "DIS", "FEA", "HAP", "NEU", "SAD"}
    for lab in labels:
        if lab["sentence"] == "IEO" and lab["emotion"] != "NEU":
            assert lab["level"] in {"LO", "MD", "HI"}
        else:
            assert lab["level"] == "XX"
    ieo_levels = {lab["level"] for lab in labels if lab["sentence"] == "IEO" and lab["emotion"] == "ANG"}
    assert ieo_levels == {"LO", "MD", "HI"}


@pytest.mark.parametrize("corpus_name, sr", [("ravdess", 48000), ("cremad", 16000)])
def test_audio_format_and_duration(corpus, corpus_name, sr):
    _, roots = corpus
    for path in _wavs(roots[corpus_name]):
        info = sf.info(str(path))
        assert (info.samplerate, info.channels, info.subtype, info.format) == (sr, 1, "PCM_16", "WAV"), path.name
        assert 2.0 <= info.duration <= 4.0, (path.name, info.duration)


def test_quiet_head_and_tail_around_louder_speech(corpus):
    _, roots = corpus
    for path in _wavs(roots["ravdess"])[::3] + _wavs(roots["cremad"])[::3]:
        y, sr = sf.read(str(path), dtype="float32")
        head, tail = y[: int(0.3 * sr)], y[-int(0.2 * sr):]
        assert _db(head) < -60 and _db(tail) < -60, path.name
        assert np.count_nonzero(head) > 0.5 * head.size, f"{path.name}: digital silence, not a noise floor"
        frames = librosa.feature.rms(y=y, frame_length=2048, hop_length=512)[0]
        assert 20 * np.log10(frames.max()) > _db(head) + 25, path.name


def test_no_clipping_and_no_peak_normalisation(corpus):
    _, roots = corpus
    peaks = []
    for path in _wavs(roots["ravdess"]) + _wavs(roots["cremad"]):
        y, _ = sf.read(str(path), dtype="int16")
        peaks.append(np.abs(y.astype(np.int32)).max() / 32768)
    assert max(peaks) < 0.99
    # Loudness differs between clips: peaks are not all set to one level.
    assert max(peaks) / min(peaks) > 4


def test_both_genders_in_each_corpus(corpus):
    _, roots = corpus
    ravdess_actors = {_ravdess_labels(p)["actor"] for p in _wavs(roots["ravdess"])}
    assert {a % 2 for a in ravdess_actors} == {0, 1}  # odd male, even female
    with open(roots["cremad"] / "VideoDemographics.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["ActorID", "Age", "Sex", "Race", "Ethnicity"]
    sexes = {int(r["ActorID"]): r["Sex"] for r in rows}
    assert set(sexes) == {_cremad_labels(p)["actor"] for p in _wavs(roots["cremad"])}
    assert set(sexes.values()) == {"Male", "Female"}
    # Sex is not simply odd/even by ID in the CREMA-D-style part.
    all_sexes = {1000 + a: demo.CREMAD_ACTORS[1000 + a][1] for a in demo.DEFAULT_ACTORS}
    assert len({(actor % 2, sex) for actor, sex in all_sexes.items()}) > 2


def test_readme_and_manifest(corpus):
    root, _ = corpus
    readme = (root / "README.txt").read_text(encoding="utf-8")
    assert "SYNTHETIC" in readme and "NOT REAL SPEECH" in readme
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["generator_version"] == demo.GENERATOR_VERSION
    assert manifest["seed"] == 0
    listed = {entry["path"]: entry["bytes"] for entry in manifest["files"]}
    on_disk = {p.relative_to(root).as_posix(): p.stat().st_size for p in root.rglob("*") if p.is_file()}
    on_disk.pop("manifest.json")
    assert listed == on_disk
    assert manifest["n_files"] == len(listed)


def test_same_seed_same_bytes_other_seed_other_audio(corpus, tmp_path):
    root, _ = corpus
    reference = {k: v for k, v in _file_bytes(root).items() if "Actor_01" in k or "/1001_" in k}
    # A second build: other folder, other worker count, only actor 1 -> the same bytes.
    demo.make_demo_corpus(tmp_path / "again", seed=0, n_jobs=2, actors=[1])
    assert _file_bytes(tmp_path / "again") == reference
    demo.make_demo_corpus(tmp_path / "other", seed=1, n_jobs=1, actors=[1])
    other = _file_bytes(tmp_path / "other")
    assert other.keys() == reference.keys()
    assert all(other[name] != reference[name] for name in reference)


def test_ensure_keeps_an_intact_corpus_and_repairs_a_damaged_one(tmp_path):
    root = tmp_path / "demo"
    roots = demo.ensure_demo_corpus(root, seed=0, n_jobs=1, actors=[2])
    files = sorted(p for p in root.rglob("*") if p.is_file())
    before = {p: p.stat().st_mtime_ns for p in files}
    content = {p: p.read_bytes() for p in files}

    assert demo.ensure_demo_corpus(root, seed=0, n_jobs=1, actors=[2]) == roots
    assert {p: p.stat().st_mtime_ns for p in files} == before

    victim = next(p for p in files if p.suffix == ".wav")
    victim.unlink()
    (root / "keep.txt").write_text("not the generator's")
    demo.ensure_demo_corpus(root, seed=0, n_jobs=1, actors=[2])
    assert victim.read_bytes() == content[victim]
    assert (root / "keep.txt").exists()
    assert demo.corpus_is_intact(root, seed=0, actors=[2])

    assert not demo.corpus_is_intact(root, seed=1, actors=[2])
    assert not demo.corpus_is_intact(root, seed=0, actors=[1, 2])


def test_truncated_file_is_detected(tmp_path):
    root = tmp_path / "demo"
    demo.make_demo_corpus(root, seed=0, n_jobs=1, actors=[1])
    victim = next((root / "CREMA-D-demo-synthetic").rglob("*.wav"))
    victim.write_bytes(victim.read_bytes()[:-100])
    assert not demo.corpus_is_intact(root, seed=0, actors=[1])


def _speech_level_and_pitch(path: Path) -> tuple:
    """Speech RMS (dBFS, loud frames only) and median F0 (semitones re 100 Hz) of a clip."""
    y, sr = librosa.load(str(path), sr=16000)
    rms = librosa.feature.rms(y=y, frame_length=1024, hop_length=256)[0]
    f0 = librosa.yin(y, fmin=60, fmax=600, sr=sr, frame_length=1024, hop_length=256)
    n = min(rms.size, f0.size)
    loud = 20 * np.log10(rms[:n] + 1e-12) > 20 * np.log10(rms.max()) - 15
    level = float(20 * np.log10(np.sqrt(np.mean(rms[:n][loud] ** 2))))
    pitch = float(np.median(12 * np.log2(f0[:n][loud] / 100)))
    return level, pitch


@pytest.mark.parametrize("actor", ACTORS)
def test_angry_is_louder_and_higher_than_sad(corpus, actor):
    """Banse & Scherer (1996), Juslin & Laukka (2003): anger raises level and F0, sadness lowers them."""
    _, roots = corpus
    folder = roots["ravdess"] / f"Actor_{actor:02d}"
    for statement in ("01", "02"):
        angry = _speech_level_and_pitch(folder / f"03-01-05-02-{statement}-01-{actor:02d}.wav")
        sad = _speech_level_and_pitch(folder / f"03-01-04-02-{statement}-01-{actor:02d}.wav")
        assert angry[0] > sad[0] + 6, (statement, angry, sad)
        assert angry[1] > sad[1] + 2, (statement, angry, sad)


def test_strong_intensity_departs_further_from_neutral(corpus):
    _, roots = corpus
    wav = roots["cremad"] / "AudioWAV"
    for actor in (1000 + a for a in ACTORS):
        neutral = _speech_level_and_pitch(wav / f"{actor}_IEO_NEU_XX.wav")[0]
        low = _speech_level_and_pitch(wav / f"{actor}_IEO_ANG_LO.wav")[0]
        high = _speech_level_and_pitch(wav / f"{actor}_IEO_ANG_HI.wav")[0]
        assert neutral < low < high, (actor, neutral, low, high)


def test_bad_actor_subset_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="actors"):
        demo.make_demo_corpus(tmp_path, actors=[9])
    assert not (tmp_path / "RAVDESS-demo-synthetic").exists()


def test_command_line_help_explains_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        demo.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--out", "--seed", "--force"):
        assert option in text
    assert "SYNTHETIC" in text
