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


@pytest.mark.slow
def test_training_on_two_corpora_weights_each_the_same(tmp_path, monkeypatch):
    import pandas as pd

    import utils.evaluation.crosscorpus as crosscorpus

    seen = []

    def recording(corpus):
        weights = crosscorpus_weights(corpus)
        seen.append(pd.Series(weights).groupby(np.asarray(corpus)).sum())
        return weights

    crosscorpus_weights = crosscorpus.corpus_weights
    monkeypatch.setattr(crosscorpus, "corpus_weights", recording)
    first = make_demo_corpus(tmp_path / "a", seed=0, actors=(1, 2))
    second = make_demo_corpus(tmp_path / "b", seed=1, actors=(3,))
    train = pd.concat([scan_corpus(first[c], read_samples=False).table for c in ("ravdess", "cremad")], ignore_index=True)
    test = scan_corpus(second["cremad"], read_samples=False).table
    results = cross_corpus(train, test, recipe=TINY, cache_dir=tmp_path / "cache", n_jobs=1)
    assert results["n_train"][1] == 4 and results["n_test"] == (len(test), 1)
    assert len(seen) == len(SETTINGS)
    for totals in seen:
        assert list(totals.index) == ["cremad", "ravdess"] and np.isclose(totals.iloc[0], totals.iloc[1])
