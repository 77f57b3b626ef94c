"""Tests of utils.data.sources: which corpus get_data_source chooses, and when it refuses.

Everything happens below pytest's tmp_path: SER_DATA_DIR points there, SER_RAVDESS_DIR,
SER_CREMAD_DIR and SER_DATA_SOURCE are set or removed per test, and the demo generator is
replaced by a fake that records its calls, so no corpus is built and the repository's own data/
folder is never looked at.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import utils.data.demo.corpus as demo_corpus
from utils.core.paths import PROJECT_ROOT, data_dir
from utils.data.audio import AUDIO_SUFFIXES
from utils.data.sources import SYNTHETIC_NOTICE, DataSource, find_real_corpora, get_data_source

ENV = ("SER_DATA_DIR", "SER_DATA_SOURCE", "SER_RAVDESS_DIR", "SER_CREMAD_DIR")


@pytest.fixture
def data(tmp_path, monkeypatch):
    """An empty data folder named by SER_DATA_DIR, no other SER_* variable set."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("SER_DATA_DIR", str(folder))
    assert data_dir() == folder.resolve()
    assert PROJECT_ROOT / "data" != data_dir()
    return folder.resolve()


@pytest.fixture
def fake_demo(monkeypatch):
    """Replace the demo generator (imported by get_data_source when it needs it) with a recorder."""
    calls = []

    def ensure_demo_corpus(root, seed=0, **kwargs):
        calls.append({"root": Path(root), "seed": seed, **kwargs})
        return demo_corpus.corpus_roots(root)

    monkeypatch.setattr(demo_corpus, "ensure_demo_corpus", ensure_demo_corpus)
    return calls


def tone(seconds: float = 0.2, sr: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)


def write_clip(path: Path, fmt: str | None = None) -> Path:
    """A real, decodable audio file (format from the suffix unless given)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), tone(), 16000, format=fmt)
    return path


def ravdess_like(folder: Path, suffix: str = ".wav") -> Path:
    """A RAVDESS-style folder with one clip, ``Actor_01/03-01-05-02-01-01-01<suffix>``."""
    write_clip(folder / "Actor_01" / f"03-01-05-02-01-01-01{suffix}")
    return folder


# ----------------------------------------------------------------------------------------------
# SER_DATA_SOURCE / prefer
# ----------------------------------------------------------------------------------------------


def test_demo_is_forced_even_when_a_real_corpus_exists(data, fake_demo, monkeypatch, capsys):
    ravdess_like(data / "ravdess")
    assert find_real_corpora() == {"ravdess": (data / "ravdess").resolve()}
    monkeypatch.setenv("SER_DATA_SOURCE", "demo")
    source = get_data_source(seed=3)
    assert source.kind == "demo" and source.synthetic
    assert source.roots == demo_corpus.corpus_roots(data / "demo")
    assert [(c["root"], c["seed"]) for c in fake_demo] == [(data / "demo", 3)]
    assert "SYNTHETIC" in capsys.readouterr().out


def test_real_without_real_data_names_the_folders_looked_in(data, fake_demo, monkeypatch):
    monkeypatch.setenv("SER_DATA_SOURCE", "real")
    with pytest.raises(FileNotFoundError) as info:
        get_data_source(verbose=False)
    message = str(info.value)
    assert str(data / "ravdess") in message and str(data / "cremad") in message
    assert "SER_RAVDESS_DIR" in message and "SER_CREMAD_DIR" in message
    assert fake_demo == [], "a demanded real corpus must never fall back to the demo"


def test_real_finds_the_real_corpus(data, fake_demo, monkeypatch):
    ravdess_like(data / "ravdess")
    monkeypatch.setenv("SER_DATA_SOURCE", "real")
    source = get_data_source(verbose=False)
    assert source.kind == "real" and not source.synthetic
    assert source.roots == {"ravdess": (data / "ravdess").resolve()}
    assert fake_demo == []


def test_auto_without_real_data_uses_the_demo_under_the_data_folder(data, fake_demo, capsys):
    source = get_data_source(verbose=True)  # SER_DATA_SOURCE unset: auto
    assert source.kind == "demo"
    assert len(fake_demo) == 1 and fake_demo[0]["root"] == data / "demo" and fake_demo[0]["seed"] == 0
    assert source.roots == {"ravdess": data / "demo" / demo_corpus.RAVDESS_DIR, "cremad": data / "demo" / demo_corpus.CREMAD_DIR}
    out = capsys.readouterr().out
    assert out.strip() == source.describe().strip()
    assert SYNTHETIC_NOTICE in source.describe()


def test_auto_goes_through_the_real_ensure_demo_corpus(data, monkeypatch):
    """Without the fake: ensure_demo_corpus finds no intact corpus under data/demo and builds one there."""
    built = []

    def make_demo_corpus(root, seed=0, **kwargs):
        built.append((Path(root), seed))
        return demo_corpus.corpus_roots(root)

    monkeypatch.setattr(demo_corpus, "make_demo_corpus", make_demo_corpus)
    source = get_data_source(seed=5, verbose=False)
    assert source.kind == "demo" and built == [(data / "demo", 5)]
    assert source.roots["ravdess"] == data / "demo" / demo_corpus.RAVDESS_DIR


def test_explicit_auto_is_the_same_as_unset(data, fake_demo, monkeypatch):
    monkeypatch.setenv("SER_DATA_SOURCE", "auto")
    assert get_data_source(verbose=False).kind == "demo"
    ravdess_like(data / "ravdess")
    assert get_data_source(verbose=False).kind == "real"
    assert len(fake_demo) == 1


def test_auto_finds_real_audio_under_the_data_folder(data, fake_demo, capsys):
    ravdess_like(data / "ravdess")
    write_clip(data / "cremad" / "AudioWAV" / "1001_DFA_ANG_XX.wav")
    source = get_data_source()
    assert source.kind == "real"
    assert source.roots == {"ravdess": (data / "ravdess").resolve(), "cremad": (data / "cremad").resolve()}
    assert fake_demo == []
    out = capsys.readouterr().out
    assert "real corpora" in out and "SYNTHETIC" not in out
    assert source.tag == "real recordings"


def test_mode_is_case_insensitive(data, fake_demo, monkeypatch):
    ravdess_like(data / "ravdess")
    monkeypatch.setenv("SER_DATA_SOURCE", "DEMO")
    assert get_data_source(verbose=False).kind == "demo"
    assert get_data_source("Real", verbose=False).kind == "real"


@pytest.mark.parametrize("value", ["synthetic", "true", "demo ", "reall"])
def test_invalid_data_source_is_refused(data, fake_demo, monkeypatch, value):
    monkeypatch.setenv("SER_DATA_SOURCE", value)
    with pytest.raises(ValueError, match="SER_DATA_SOURCE"):
        get_data_source(verbose=False)
    assert fake_demo == []


def test_invalid_prefer_is_refused(data, fake_demo):
    with pytest.raises(ValueError, match="prefer"):
        get_data_source("both", verbose=False)


def test_prefer_overrides_the_environment_variable(data, fake_demo, monkeypatch):
    # The variable demands real data that is not there; prefer="demo" wins.
    monkeypatch.setenv("SER_DATA_SOURCE", "real")
    assert get_data_source("demo", verbose=False).kind == "demo"
    assert get_data_source("auto", verbose=False).kind == "demo"
    # The variable forces the demo; prefer="real" / "auto" use the real corpus that now exists.
    ravdess_like(data / "ravdess")
    monkeypatch.setenv("SER_DATA_SOURCE", "demo")
    assert get_data_source("real", verbose=False).kind == "real"
    assert get_data_source("auto", verbose=False).kind == "real"
    # An invalid variable does not matter when prefer is given ...
    monkeypatch.setenv("SER_DATA_SOURCE", "nonsense")
    assert get_data_source("demo", verbose=False).kind == "demo"
    # ... but an invalid prefer does, whatever the variable says.
    monkeypatch.setenv("SER_DATA_SOURCE", "demo")
    with pytest.raises(ValueError):
        get_data_source("nonsense", verbose=False)


# ----------------------------------------------------------------------------------------------
# SER_RAVDESS_DIR / SER_CREMAD_DIR
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["SER_RAVDESS_DIR", "SER_CREMAD_DIR"])
def test_variable_pointing_at_an_empty_folder_is_an_error(data, fake_demo, monkeypatch, tmp_path, variable):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv(variable, str(empty))
    with pytest.raises(FileNotFoundError, match=variable):
        get_data_source(verbose=False)
    assert fake_demo == [], "a wrong variable must not silently turn into synthetic data"


@pytest.mark.parametrize("variable", ["SER_RAVDESS_DIR", "SER_CREMAD_DIR"])
def test_variable_pointing_at_a_folder_without_audio_is_an_error(data, fake_demo, monkeypatch, tmp_path, variable):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "README.txt").write_text("not audio")
    (folder / "table.csv").write_text("a,b\n1,2\n")
    for where in (folder, tmp_path / "missing"):
        monkeypatch.setenv(variable, str(where))
        with pytest.raises(FileNotFoundError, match=variable):
            get_data_source(verbose=False)


def test_variable_is_an_error_even_when_the_data_folder_has_the_corpus(data, fake_demo, monkeypatch, tmp_path):
    ravdess_like(data / "ravdess")
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("SER_RAVDESS_DIR", str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="SER_RAVDESS_DIR"):
        get_data_source(verbose=False)


def test_variables_point_at_corpora_anywhere(data, fake_demo, monkeypatch, tmp_path):
    ravdess_like(data / "ravdess")  # the variable wins over the data folder
    elsewhere = ravdess_like(tmp_path / "elsewhere" / "RAVDESS")
    crema = tmp_path / "crema"
    write_clip(crema / "1001_DFA_ANG_XX.wav")
    monkeypatch.setenv("SER_RAVDESS_DIR", str(elsewhere))
    monkeypatch.setenv("SER_CREMAD_DIR", str(crema))
    source = get_data_source(verbose=False)
    assert source.kind == "real"
    assert source.roots == {"ravdess": elsewhere.resolve(), "cremad": crema.resolve()}
    assert fake_demo == []


def test_variable_for_one_corpus_and_data_folder_for_the_other(data, fake_demo, monkeypatch, tmp_path):
    write_clip(data / "cremad" / "1001_DFA_ANG_XX.wav")
    elsewhere = ravdess_like(tmp_path / "R")
    monkeypatch.setenv("SER_RAVDESS_DIR", str(elsewhere))
    assert get_data_source(verbose=False).roots == {"ravdess": elsewhere.resolve(), "cremad": (data / "cremad").resolve()}


# ----------------------------------------------------------------------------------------------
# What counts as audio
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix, fmt", [(".wav", None), (".flac", None), (".ogg", "OGG"), (".oga", "OGG")])
def test_decodable_audio_formats_count(data, fake_demo, suffix, fmt):
    assert suffix in AUDIO_SUFFIXES
    write_clip(data / "ravdess" / "Actor_01" / f"03-01-05-02-01-01-01{suffix}", fmt)
    source = get_data_source(verbose=False)
    assert source.kind == "real" and "ravdess" in source.roots


@pytest.mark.parametrize("suffix", list(AUDIO_SUFFIXES) + [".WAV", ".Flac"])
def test_every_audio_suffix_counts_whatever_its_case(data, fake_demo, suffix):
    folder = data / "cremad" / "deep" / "er"
    folder.mkdir(parents=True)
    (folder / f"1001_DFA_ANG_XX{suffix}").write_bytes(b"\0" * 64)
    assert get_data_source(verbose=False).roots == {"cremad": (data / "cremad").resolve()}


def test_a_folder_of_other_files_is_not_a_corpus(data, fake_demo):
    folder = data / "ravdess"
    folder.mkdir()
    for name in ("README.txt", "Audio_Speech_Actors_01-24.zip", "notes.md", "clip.wav.part", "wav"):
        (folder / name).write_bytes(b"x")
    source = get_data_source(verbose=False)
    assert source.kind == "demo", f"a folder without audio files was taken for a corpus: {source.roots}"
    assert len(fake_demo) == 1


def test_a_folder_named_like_audio_is_not_audio(data, fake_demo):
    (data / "ravdess" / "Actor_01.wav").mkdir(parents=True)
    (data / "ravdess" / "Actor_01.wav" / "README.txt").write_text("no audio here")
    assert get_data_source(verbose=False).kind == "demo"


# ----------------------------------------------------------------------------------------------
# DataSource
# ----------------------------------------------------------------------------------------------


def test_describe_and_tag():
    demo = DataSource("demo", {"ravdess": Path("/x/RAVDESS-demo-synthetic")})
    real = DataSource("real", {"ravdess": Path("/y/ravdess"), "cremad": Path("/y/cremad")})
    assert demo.synthetic and not real.synthetic
    assert demo.tag == "synthetic demo data" and real.tag == "real recordings"
    assert "SYNTHETIC" in demo.describe() and "SYNTHETIC" not in real.describe()
    text = real.describe()
    assert text.splitlines()[0] == "DATA: real corpora."
    assert "ravdess" in text and "cremad" in text and "/y/cremad" in text
    assert "RAVDESS-demo-synthetic" in demo.describe()
