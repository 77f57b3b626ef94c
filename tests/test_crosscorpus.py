"""Training on one corpus and testing on another (demo corpus: RAVDESS-style -> CREMA-D-style)."""

import numpy as np
import pytest

pytest.importorskip("keras")

from utils.data.corpora import parse_emodb_name, parse_name
from utils.data.demo.corpus import make_demo_corpus
from utils.data.scan import scan_corpus
from utils.evaluation.crosscorpus import SETTINGS, class_table, cross_corpus, format_cross_corpus, result_table
from utils.learn.recipes import CONV, COURSE

TINY = COURSE.replace(n_models=2, n_groups=2, max_epochs=2, patience=1, hidden=(8,))
TINY_CONV = CONV.replace(n_models=2, n_groups=2, max_epochs=2, patience=1, filters=(4,))


def test_emodb_names_parse():
    labels = parse_name("03a01Fa.flac")
    assert labels["corpus"] == "emodb" and labels["emotion"] == "happy" and labels["gender"] == "male" and labels["actor"] == 3
    assert parse_emodb_name("16b10Lb")["emotion"] == "boredom" and parse_emodb_name("16b10Lb")["repetition"] == 2
    with pytest.raises(ValueError, match="speaker 04"):
        parse_emodb_name("04a01Fa")
    with pytest.raises(ValueError, match="emotion code 'X'"):
        parse_emodb_name("03a01Xa")


@pytest.mark.slow
def test_cross_corpus_on_the_demo_corpus(tmp_path):
    roots = make_demo_corpus(tmp_path / "demo", seed=0, actors=(1, 2, 3))
    train = scan_corpus(roots["ravdess"], read_samples=False).table
    test = scan_corpus(roots["cremad"], read_samples=False).table
    results = cross_corpus(train, test, recipe=TINY, cache_dir=tmp_path / "cache", n_jobs=1)
    assert results["classes"] == ["neutral", "happy", "sad", "angry", "fearful", "disgust"]
    assert results["n_train"] == (len(train[train["emotion"] != "surprised"]), 3)
    assert results["n_test"] == (len(test), 3) and results["left_out"] == {}
    for setting in SETTINGS:
        share = results[setting]["predicted_share"]
        assert np.isclose(share.sum(), 1.0) and list(share.index) == results["classes"]
        assert 0 <= results[setting]["report"].uar <= 1
    table = result_table(results)
    assert list(table["setting"]) == list(SETTINGS)
    assert class_table(results)["test clips"].sum() == len(test)
    assert "tested on" in format_cross_corpus(results)
    with pytest.raises(ValueError, match="both the training and the test table"):
        cross_corpus(train, train, recipe=TINY, cache_dir=tmp_path / "cache", n_jobs=1)
    joint = cross_corpus(train, test, model="joint", recipe=TINY, conv=TINY_CONV, cache_dir=tmp_path / "cache", n_jobs=1)
    assert joint["model"] == "joint" and joint["n_test"] == results["n_test"]
    assert all(np.isclose(joint[s]["predicted_share"].sum(), 1.0) for s in SETTINGS)
    with pytest.raises(ValueError, match="model must be one of"):
        cross_corpus(train, test, model="seed", cache_dir=tmp_path / "cache", n_jobs=1)
