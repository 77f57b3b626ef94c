"""The RAVDESS fold benchmark (utils.benchmark) on a tiny generated corpus, in its quick setting."""

import numpy as np
import pytest

from utils.benchmark import EMOBOX_RAVDESS_FOLDS, RECIPES, benchmark_folds, format_table, load_clips, run_benchmark, summarize
from utils.demo import make_demo_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    return make_demo_corpus(root, actors=[1, 2, 3, 4, 5, 6])["ravdess"]


def test_emobox_folds_keep_present_actors_and_validation_comes_from_training(corpus):
    table = load_clips(corpus)
    folds = benchmark_folds(table, "emobox", n_val=4, seed=0)
    present = set(table["actor"])
    expected = [[a for a in f if a in present] for f in EMOBOX_RAVDESS_FOLDS]
    assert [f["test"] for f in folds] == [f for f in expected if f]
    for f in folds:
        assert not set(f["test"]) & set(f["val"]) and not set(f["test"]) & set(f["train"])
        assert not set(f["val"]) & set(f["train"]) and f["val"] and f["train"]
        assert set(f["test"]) | set(f["val"]) | set(f["train"]) == present
        split = np.asarray(f["split"])
        assert set(table.loc[split == "test", "actor"]) == set(f["test"])
    auto = benchmark_folds(table, "auto", seed=0)
    assert sorted(a for f in auto for a in f["test"]) == sorted(present)


def test_quick_benchmark_table_shape_and_no_leak(corpus):
    results = run_benchmark(corpus, RECIPES, quick=True, seed=0)
    n_folds = 2  # quick: the first two non-empty folds
    assert len(results) == n_folds * len(RECIPES)
    assert list(dict.fromkeys(results["recipe"])) == list(RECIPES)
    for column in ("accuracy", "uar", "macro_f1", "train_seconds", "epochs"):
        assert results[column].between(0, np.inf).all()
    assert results[["accuracy", "uar", "macro_f1"]].le(1).all().all()
    for _, row in results.iterrows():
        test = set(row["test_actors"].split())
        assert not test & set(row["val_actors"].split())
    for f in results.attrs["folds"]:
        assert not set(f["test"]) & (set(f["train"]) | set(f["val"]))
    summary = summarize(results)
    assert list(summary.index) == list(RECIPES) and (summary["folds"] == n_folds).all()
    text = format_table(results)
    assert "chance level: 12.5%" in text and "gain course / seed" in text
