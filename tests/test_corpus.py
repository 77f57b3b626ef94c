"""Scanning corpus folders: naming schemes, layouts, labels and bad files."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from utils.data.corpora import EMOTIONS_SHARED, label_order, parse_cremad_name, parse_name, parse_ravdess_name
from utils.data.scan import CorpusError, assign_labels, scan_corpus


def tone(path: Path, sr: int = 16000, seconds: float = 0.5, channels: int = 1, amplitude: float = 0.3, subtype="PCM_16"):
    """Write a short sine tone (or silence with amplitude 0) as an audio file."""
    t = np.arange(int(sr * seconds)) / sr
    y = amplitude * np.sin(2 * np.pi * 220 * t)
    if channels > 1:
        y = np.stack([y] * channels, axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, y, sr, subtype=subtype)
    return path


def test_parse_ravdess_fields():
    row = parse_ravdess_name("03-01-05-02-01-01-16")
    assert row == {
        "corpus": "ravdess", "actor": 16, "gender": "female", "emotion": "angry", "intensity": "strong",
        "statement": "Kids are talking by the door", "repetition": 1, "channel": "speech",
    }
    assert parse_ravdess_name("03-02-08-01-02-02-07")["gender"] == "male"
    assert parse_ravdess_name("03-02-08-01-02-02-07")["channel"] == "song"


@pytest.mark.parametrize("stem, says", [
    ("03-01-09-01-01-01-01", "emotion code 09 is not one of 01-08"),
    ("03-01-01-02-01-01-01", "emotion 01 with intensity 02"),
    ("03-01-02-01-03-01-01", "statement code 03"),
    ("03-01-05-02-01-01", None), ("3-1-5-2-1-1-16", None),
])
def test_parse_ravdess_rejects_bad_codes_and_names_the_code(stem, says):
    with pytest.raises(ValueError, match=says):
        parse_ravdess_name(stem)


def test_parse_cremad_fields_and_errors():
    row = parse_cremad_name("1091_IEO_SAD_HI")
    assert (row["actor"], row["emotion"], row["intensity"]) == (1091, "sad", "high")
    with pytest.raises(ValueError, match="emotion code 'XYZ'"):
        parse_cremad_name("1001_DFA_XYZ_XX")
    with pytest.raises(ValueError, match="sentence code"):
        parse_cremad_name("1001_ABC_ANG_XX")


def test_parse_name_explains_both_schemes():
    with pytest.raises(ValueError, match="RAVDESS scheme .*CREMA-D scheme"):
        parse_name("interview_part1.wav")


def test_scan_mixed_layouts_and_bad_files(tmp_path):
    ravdess = tmp_path / "ravdess"
    tone(ravdess / "Actor_01" / "03-01-05-02-01-01-01.wav", sr=48000)
    tone(ravdess / "Actor_02" / "03-01-04-01-02-02-02.flac", sr=48000, subtype="PCM_24")
    tone(ravdess / "Actor_02" / "03-01-01-01-01-01-02.wav", sr=44100, channels=2)
    cremad = tmp_path / "cremad"
    tone(cremad / "AudioWAV" / "1001_DFA_ANG_XX.wav")
    tone(cremad / "AudioWAV" / "1002_IEO_HAP_HI.wav", subtype="FLOAT")
    pd.DataFrame({"ActorID": [1001, 1002], "Age": [51, 21], "Sex": ["Male", "Female"], "Race": ["Caucasian"] * 2, "Ethnicity": ["Not Hispanic"] * 2}).to_csv(cremad / "VideoDemographics.csv", index=False)
    # bad or foreign files
    (ravdess / ".DS_Store").write_bytes(b"\x00\x01junk")
    (ravdess / "README.md").write_text("notes")
    (ravdess / "Actor_01" / "03-01-06-01-01-01-01.wav").write_text("this is text, not audio")
    good = tone(tmp_path / "full.wav", sr=48000)
    data = good.read_bytes()
    (ravdess / "Actor_01" / "03-01-07-01-01-01-01.wav").write_bytes(data[: len(data) // 2])
    tone(ravdess / "Actor_01" / "03-01-03-01-01-01-01.wav", amplitude=0.0)
    tone(cremad / "AudioWAV" / "my_recording.wav")

    result = scan_corpus({"ravdess": ravdess, "cremad": cremad})
    table, skipped = result.table, result.skipped
    assert len(table) == 5
    assert set(table["corpus"]) == {"ravdess", "cremad"}
    assert table.set_index("file").loc["1002_IEO_HAP_HI.wav", "gender"] == "female"
    assert table.set_index("file").loc["1001_DFA_ANG_XX.wav", "gender"] == "male"
    stereo = table.set_index("file").loc["03-01-01-01-01-01-02.wav"]
    assert (stereo["channels"], stereo["sample_rate"]) == (2, 44100)
    assert table["duration"].between(0.49, 0.51).all()
    assert {"ravdess:01", "ravdess:02", "cremad:1001", "cremad:1002"} == set(table["speaker"])

    reasons = {Path(p).name: r for p, r in zip(skipped["path"], skipped["reason"])}
    assert set(reasons) == {".DS_Store", "README.md", "03-01-06-01-01-01-01.wav", "03-01-07-01-01-01-01.wav", "03-01-03-01-01-01-01.wav", "my_recording.wav"}
    assert "hidden" in reasons[".DS_Store"]
    assert "not an audio file" in reasons["README.md"]
    assert "not readable as audio" in reasons["03-01-06-01-01-01-01.wav"]
    assert "truncated" in reasons["03-01-07-01-01-01-01.wav"]
    assert "silent" in reasons["03-01-03-01-01-01-01.wav"]
    assert "neither the RAVDESS" in reasons["my_recording.wav"]
    assert "6 files skipped" in result.report()


def test_scan_flat_folder_in_parallel(tmp_path):
    for actor in (3, 4):
        tone(tmp_path / f"03-01-02-01-01-01-{actor:02d}.wav", amplitude=0.1 * actor)
    serial = scan_corpus(tmp_path).table
    parallel = scan_corpus(tmp_path, n_jobs=2).table
    pd.testing.assert_frame_equal(serial, parallel)
    assert list(serial["gender"]) == ["male", "female"]


def test_duplicate_names_are_reported(tmp_path):
    tone(tmp_path / "a" / "03-01-02-01-01-01-03.wav")
    tone(tmp_path / "b" / "03-01-02-01-01-01-03.wav")
    result = scan_corpus(tmp_path)
    assert len(result.table) == 1
    assert result.skipped["reason"].str.startswith("duplicate of").all()


def test_byte_identical_files_are_reported(tmp_path):
    first = tone(tmp_path / "03-01-03-01-02-01-07.wav")
    (tmp_path / "03-01-03-01-02-02-07.wav").write_bytes(first.read_bytes())
    tone(tmp_path / "03-01-03-01-02-01-09.wav", amplitude=0.2)
    result = scan_corpus(tmp_path)
    assert list(result.table["file"]) == ["03-01-03-01-02-01-07.wav", "03-01-03-01-02-01-09.wav"]
    assert result.skipped["reason"].tolist() == ["same audio as 03-01-03-01-02-01-07.wav (byte-identical file)"]


def test_bad_folders_get_clear_messages(tmp_path):
    with pytest.raises(CorpusError, match=r"does not exist"):
        scan_corpus(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match=r"empty.*expected RAVDESS"):
        scan_corpus(tmp_path / "empty")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    tone(tmp_path / "other" / "song.wav")
    with pytest.raises(CorpusError, match=r"no usable .*\(2 files checked, 2 skipped, e\.g\. notes\.txt: not an audio file"):
        scan_corpus(tmp_path / "other")


def test_assign_labels_sets():
    table = pd.DataFrame({
        "corpus": ["ravdess"] * 3 + ["cremad"] * 2,
        "emotion": ["calm", "surprised", "angry", "angry", "neutral"],
    })
    shared = assign_labels(table)
    assert list(shared["label"]) == ["neutral", "angry", "angry", "neutral"]
    dropped = assign_labels(table, calm="drop")
    assert "calm" not in set(dropped["emotion"]) and len(dropped) == 3
    only_ravdess = assign_labels(table[table.corpus == "ravdess"])
    assert list(only_ravdess["label"]) == ["calm", "surprised", "angry"]
    with pytest.raises(ValueError, match="RAVDESS-only"):
        assign_labels(table, "ravdess8")
    assert set(shared["label"]) <= set(EMOTIONS_SHARED)
    assert label_order(["sad", "neutral", "angry"]) == ["neutral", "sad", "angry"]


def test_scan_recordings_takes_any_names_and_optional_labels(tmp_path):
    from utils.data.scan import scan_recordings

    root = tmp_path / "interviews"
    tone(root / "p01" / "interview part 1.wav")
    tone(root / "p01" / "part2.flac")
    tone(root / "p02" / "part2.flac", seconds=0.7)                # same name, another speaker: kept
    tone(root / "p02" / "silence.wav", amplitude=0.0)
    (root / "notes.txt").write_text("not audio")
    labels = tmp_path / "labels.csv"
    labels.write_text("file,speaker,emotion\np01/interview part 1.wav,anna,angry\npart9.wav,bob,sad\n")

    result = scan_recordings(root, labels=labels, speaker_from_folder=True)
    table = result.table.set_index(result.table["path"].map(lambda p: Path(p).relative_to(root).as_posix()))
    assert sorted(table.index) == ["p01/interview part 1.wav", "p01/part2.flac", "p02/part2.flac"]
    assert (table["corpus"] == "own").all()
    assert table.loc["p01/interview part 1.wav", "speaker"] == "anna" and table.loc["p01/interview part 1.wav", "emotion"] == "angry"
    assert table.loc["p01/part2.flac", "speaker"] == "p01" and pd.isna(table.loc["p01/part2.flac", "emotion"])
    assert table.loc["p02/part2.flac", "speaker"] == "p02"
    reasons = dict(zip(result.skipped["path"].map(lambda p: Path(p).name), result.skipped["reason"]))
    assert reasons["silence.wav"].startswith("silent") and "not an audio file" in reasons["notes.txt"]
    assert reasons["part9.wav"] == "listed in the labels table but not found"


def test_scan_recordings_has_the_corpus_columns_and_refuses_bad_labels(tmp_path):
    from utils.data.scan import COLUMNS, scan_recordings

    tone(tmp_path / "a" / "clip.wav")
    result = scan_recordings(tmp_path / "a")
    assert list(result.table.columns) == COLUMNS and result.table["speaker"].isna().all()
    bad = tmp_path / "bad.csv"
    bad.write_text("name,emotion\nclip.wav,sad\n")
    with pytest.raises(CorpusError, match="needs a 'file' column"):
        scan_recordings(tmp_path / "a", labels=bad)
    with pytest.raises(CorpusError, match="no usable audio"):
        (tmp_path / "b").mkdir()
        (tmp_path / "b" / "x.txt").write_text("x")
        scan_recordings(tmp_path / "b")
