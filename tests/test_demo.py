"""Tests of the synthetic demo corpus generator (the package utils/data/demo/).

Builds use a small actor subset (1 and 2, or one of them) in temporary folders.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf

from utils.core.paths import PROJECT_ROOT
from utils.data.corpora import CREMAD_SENTENCES, RAVDESS_EMOTIONS, parse_name
from utils.data.demo import cli, synth, voices
from utils.data.demo import corpus as demo  # "corpus" is the fixture below

ACTORS = (1, 2)


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
    """Labels of a RAVDESS-style name (fails the test if it is not an audio-only speech name)."""
    assert path.stem.startswith("03-01-"), f"{path.name}: not audio-only speech"
    labels = parse_name(path)
    assert labels["corpus"] == "ravdess", path.name
    return labels


def _cremad_labels(path: Path) -> dict:
    """Labels of a CREMA-D-style name, plus its sentence and level codes."""
    labels = parse_name(path)
    assert labels["corpus"] == "cremad", path.name
    _, labels["sentence"], _, labels["level"] = path.stem.split("_")
    return labels


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
    assert {lab["emotion"] for lab in labels} == set(RAVDESS_EMOTIONS.values())
    assert {lab["intensity"] for lab in labels if lab["emotion"] == "neutral"} == {"normal"}
    assert {lab["intensity"] for lab in labels if lab["emotion"] != "neutral"} == {"normal", "strong"}
    assert len({lab["statement"] for lab in labels}) == 2
    # 1 neutral + 7 emotions x 2 intensities, x 2 statements, x repetitions, per actor
    per_actor = (1 + 7 * 2) * 2 * len(demo.RAVDESS_DEMO_REPETITIONS)
    assert len(files) == per_actor * len(ACTORS)


def test_cremad_names_parse_and_follow_the_level_design(corpus):
    _, roots = corpus
    files = _wavs(roots["cremad"])
    assert all(p.parent.name == "AudioWAV" for p in files)
    labels = [_cremad_labels(p) for p in files]
    assert {lab["actor"] for lab in labels} == {1000 + a for a in ACTORS}
    assert {lab["sentence"] for lab in labels} <= set(CREMAD_SENTENCES)
    assert len({lab["sentence"] for lab in labels}) >= 4
    assert {lab["emotion"] for lab in labels} == {"angry", "disgust", "fearful", "happy", "neutral", "sad"}
    for lab in labels:
        if lab["sentence"] == "IEO" and lab["emotion"] != "neutral":
            assert lab["level"] in {"LO", "MD", "HI"}
        else:
            assert lab["level"] == "XX"
    ieo_levels = {lab["level"] for lab in labels if lab["sentence"] == "IEO" and lab["emotion"] == "angry"}
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
    all_sexes = {demo.cremad_actor_id(a): demo.CREMAD_DEMO_ACTORS[demo.cremad_actor_id(a)][1]
                 for a in demo.DEFAULT_ACTORS}
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


@pytest.mark.slow
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
        cli.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--out", "--seed", "--force", "--size"):
        assert option in text
    assert "SYNTHETIC" in text


def test_every_file_name_parses_to_the_planned_labels(corpus):
    """The scanner's parser reads back from each name exactly the labels the plan rendered."""
    from utils.data.scan import read_demographics

    root, roots = corpus
    plan = demo.corpus_plan(ACTORS)
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    wavs = {entry["path"] for entry in manifest["files"] if entry["path"].endswith(".wav")}
    assert wavs == {spec.relpath for spec in plan}
    sexes = read_demographics(roots["cremad"] / "VideoDemographics.csv")
    for spec in plan:
        assert (root / spec.relpath).is_file(), spec.relpath
        labels = parse_name(spec.relpath)
        actor = spec.actor if spec.corpus == "ravdess" else demo.cremad_actor_id(spec.actor)
        parsed = tuple(labels[key] for key in ("corpus", "actor", "emotion", "intensity", "statement"))
        assert parsed == (spec.corpus, actor, spec.emotion, spec.intensity, spec.sentence), spec.relpath
        gender = labels["gender"] if spec.corpus == "ravdess" else sexes[actor]
        assert gender == ("female" if spec.female else "male"), spec.relpath


def test_full_plan_is_consistent_with_the_corpora_and_the_synthesiser():
    """All 8 actors, without rendering: valid unique names, known phones, strengths for every code."""
    from utils.data.corpora import CREMAD_LEVELS, RAVDESS_INTENSITIES

    plan = demo.corpus_plan()
    assert len(plan) == len({spec.relpath for spec in plan}) == 8 * (30 + 34)
    for spec in plan:
        assert parse_name(spec.relpath)["emotion"] == spec.emotion
        assert spec.emotion in voices.EMOTION_PROFILES
        assert spec.sentence in synth.SYLLABLES
    for corpus_name in ("ravdess", "cremad"):
        for actor in demo.DEFAULT_ACTORS:
            indices = [s.index for s in plan if s.corpus == corpus_name and s.actor == actor]
            assert indices == list(range(len(indices)))  # the clip numbers of the seed streams
    assert set(demo.RAVDESS_STRENGTH) == set(RAVDESS_INTENSITIES)
    assert set(demo.CREMAD_STRENGTH) == set(CREMAD_LEVELS)
    assert set(demo.CREMAD_DEMO_SENTENCES) <= set(CREMAD_SENTENCES)
    assert set(demo.CREMAD_DEMO_ACTORS) == {demo.cremad_actor_id(a) for a in demo.DEFAULT_ACTORS}
    for syllables in synth.SYLLABLES.values():
        for onset, vowel, coda, _ in syllables:
            assert vowel in synth.FORMANTS_MALE and vowel in synth.FORMANTS_FEMALE
            assert {onset, coda} - {""} <= set(synth.CONSONANTS)


def test_n_jobs_means_what_it_means_in_scikit_learn(monkeypatch, tmp_path):
    """None is one process, the default is -1 (all cores, within the course's memory cap)."""
    import inspect

    from utils.core.parallel import effective_workers

    seen = []
    real_parallel = demo.Parallel

    def spy(n_jobs, **kwargs):
        seen.append(n_jobs)
        return real_parallel(n_jobs=1, **kwargs)

    monkeypatch.setattr(demo, "Parallel", spy)
    monkeypatch.setattr(demo, "render_clip", lambda spec, seed, root: (spec.relpath, 0))
    demo.make_demo_corpus(tmp_path, n_jobs=None, actors=[1])
    demo.make_demo_corpus(tmp_path, actors=[1])
    assert seen == [1, effective_workers(-1)]
    for function in (demo.make_demo_corpus, demo.ensure_demo_corpus):
        assert inspect.signature(function).parameters["n_jobs"].default == -1
    assert cli.build_parser().parse_args([]).n_jobs == -1


def test_bad_arguments_are_rejected_before_anything_is_deleted(tmp_path, capsys):
    keep = tmp_path / "RAVDESS-demo-synthetic" / "Actor_01" / "old.wav"
    keep.parent.mkdir(parents=True)
    keep.write_bytes(b"x")
    for kwargs in ({"seed": -1}, {"seed": 1.5}, {"n_jobs": 0}):
        with pytest.raises(ValueError, match="seed|n_jobs"):
            demo.make_demo_corpus(tmp_path, **kwargs)
    assert cli.main(["--out", str(tmp_path), "--seed", "-1"]) == 2
    assert cli.main(["--out", str(tmp_path), "--n-jobs", "0"]) == 2
    assert "--n-jobs" in capsys.readouterr().err
    assert keep.exists()


@pytest.mark.slow
def test_python_m_runs_the_command_line():
    result = subprocess.run([sys.executable, "-m", "utils.data.demo", "--help"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m utils.data.demo")
    assert "--n-jobs" in result.stdout


# ----------------------------------------------------------------------------------------------
# The full size: the real corpora's design and number of clips
# ----------------------------------------------------------------------------------------------


def test_full_size_plan_has_the_real_corpora_design():
    """RAVDESS: 24 actors x 60 clips; CREMA-D: 91 actors x 82 clips (the real corpus lacks 20)."""
    from utils.data.corpora import CREMAD_ACTORS, RAVDESS_REPETITIONS, RAVDESS_STATEMENTS

    plan = demo.corpus_plan(size="full")
    assert len(plan) == len({spec.relpath for spec in plan}) == 24 * 60 + 91 * 82
    ravdess = [spec for spec in plan if spec.corpus == "ravdess"]
    cremad = [spec for spec in plan if spec.corpus == "cremad"]
    assert sorted({spec.actor for spec in ravdess}) == list(range(1, 25))
    assert sorted({demo.cremad_actor_id(spec.actor) for spec in cremad}) == list(CREMAD_ACTORS)
    for part, per_actor in ((ravdess, 60), (cremad, 82)):
        for actor in {spec.actor for spec in part}:
            indices = [spec.index for spec in part if spec.actor == actor]
            assert indices == list(range(per_actor))
    labels = [parse_name(spec.relpath) for spec in ravdess]
    stems = [Path(spec.relpath).stem.split("-") for spec in ravdess]
    assert {stem[5] for stem in stems} == set(RAVDESS_REPETITIONS)
    assert {stem[4] for stem in stems} == set(RAVDESS_STATEMENTS)
    assert sum(lab["emotion"] == "neutral" for lab in labels) == 24 * 4   # 96, as in the real corpus
    assert sum(lab["emotion"] == "angry" for lab in labels) == 24 * 8     # 192
    sentences = {Path(spec.relpath).stem.split("_")[1] for spec in cremad}
    assert sentences == set(CREMAD_SENTENCES)
    assert sum(spec.emotion == "neutral" for spec in cremad) == 91 * 12
    # The small size is what it always was: the course's demo.
    assert len(demo.corpus_plan()) == 8 * (30 + 34)
    assert demo.corpus_plan() == demo.corpus_plan(size="small")


def test_full_size_demographics_match_the_real_mix():
    from utils.data.corpora import CREMAD_ACTORS

    rows = {actor: demo.cremad_demographics(actor) for actor in CREMAD_ACTORS}
    assert sum(row[1] == "Female" for row in rows.values()) == demo.CREMAD_FEMALE_ACTORS == 43
    assert all(20 <= row[0] <= 74 for row in rows.values())
    assert {actor: rows[actor] for actor in demo.CREMAD_DEMO_ACTORS} == demo.CREMAD_DEMO_ACTORS
    assert demo.cremad_demographics(1050) == rows[1050]           # the same ID, the same row
    with pytest.raises(ValueError, match="1092"):
        demo.cremad_demographics(1092)


def test_full_size_subset_builds_and_is_checked_by_size(tmp_path):
    """Actor 24 (in both parts) and 91 (CREMA-D only) exist at full size alone."""
    from utils.data.scan import read_demographics

    root = tmp_path / "full"
    roots = demo.make_demo_corpus(root, seed=0, n_jobs=1, actors=[24, 91], size="full")
    assert len(_wavs(roots["ravdess"] / "Actor_24")) == 60
    assert len(_wavs(roots["cremad"])) == 2 * 82
    for path in _wavs(roots["cremad"]):     # the eight sentences only the full size speaks, too
        y, sr = sf.read(path)
        assert sr == 16000 and 2.0 <= y.size / sr <= 4.0 and 0.01 < np.abs(y).max() < 1.0, path.name
    assert read_demographics(roots["cremad"] / "VideoDemographics.csv") == {
        actor: demo.cremad_demographics(actor)[1].lower() for actor in (1024, 1091)}
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["size"] == "full" and manifest["n_files"] == 60 + 2 * 82 + 2
    assert demo.corpus_is_intact(root, seed=0, actors=[24, 91], size="full")
    with pytest.raises(ValueError, match="subset of 1-8"):
        demo.corpus_is_intact(root, seed=0, actors=[24, 91])          # no actor 24 at the small size
    with pytest.raises(ValueError, match="size must be one of"):
        demo.make_demo_corpus(root, actors=[1], size="huge")
    assert demo.corpus_is_intact(root, seed=0, actors=[24, 91], size="full")   # nothing deleted


def test_a_manifest_from_before_sizes_is_a_small_corpus(tmp_path):
    root = tmp_path / "demo"
    demo.make_demo_corpus(root, seed=0, n_jobs=1, actors=[1])
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    del manifest["size"]
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert demo.corpus_is_intact(root, seed=0, actors=[1])
    assert not demo.corpus_is_intact(root, seed=0, actors=[1], size="full")


def test_ser_demo_size_selects_the_full_corpus_folder(monkeypatch, tmp_path, capsys):
    """SER_DEMO_SIZE=full: data/demo-full, the models/demo-full bundle and a line saying so."""
    from utils.data import sources

    built = []

    def fake_ensure(root, seed=0, *, n_jobs=-1, actors=None, size="small"):
        built.append((Path(root), size))
        return demo.corpus_roots(root)

    monkeypatch.setattr(demo, "ensure_demo_corpus", fake_ensure)
    monkeypatch.setenv("SER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SER_DATA_SOURCE", "demo")
    monkeypatch.setenv("SER_DEMO_SIZE", "full")
    source = sources.get_data_source()
    assert built == [(tmp_path / "demo-full", "full")]
    assert (source.size, source.bundle_name) == ("full", "demo-full")
    assert "Full size (SER_DEMO_SIZE=full)" in capsys.readouterr().out
    monkeypatch.delenv("SER_DEMO_SIZE")
    assert sources.get_data_source(verbose=False).bundle_name == "demo"
    assert built[-1] == (tmp_path / "demo", "small")
    monkeypatch.setenv("SER_DEMO_SIZE", "huge")
    with pytest.raises(ValueError, match="SER_DEMO_SIZE must be one of"):
        sources.get_data_source(verbose=False)
    assert sources.DataSource("real", {}).bundle_name == "real"


def test_command_line_size_full_writes_into_demo_full(monkeypatch, tmp_path, capsys):
    calls = []
    monkeypatch.setenv("SER_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(cli, "corpus_is_intact", lambda root, seed, size: False)
    monkeypatch.setattr(cli, "make_demo_corpus", lambda root, seed, n_jobs, size: calls.append((Path(root), size)))
    assert cli.main(["--size", "full"]) == 0
    assert calls == [(tmp_path / "demo-full", "full")]
    assert "Generated 8,902 synthetic clips" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["--size", "huge"])
