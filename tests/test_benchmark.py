"""The RAVDESS fold benchmark (utils.evaluation.benchmark) on a tiny generated corpus, in its quick setting."""

import numpy as np
import pytest

from utils.data.demo.corpus import make_demo_corpus
from utils.evaluation.benchmark import EMOBOX_RAVDESS_FOLDS, RECIPES, benchmark_folds, format_table, load_clips, run_benchmark, summarize


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    return make_demo_corpus(root, actors=[1, 2, 3, 4, 5, 6])["ravdess"]


def test_emobox_folds_keep_present_actors_and_validation_comes_from_training(corpus):
    table = load_clips(corpus)
    assert all(not f["val"] for f in benchmark_folds(table, "emobox"))  # default: no fixed validation speakers
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


def test_only_folds_must_name_folds_of_the_run(corpus):
    with pytest.raises(ValueError, match=r"fold\(s\) \[9\] not among the folds"):
        run_benchmark(corpus, ["seed"], only_folds=[9])


@pytest.mark.slow
def test_a_run_in_parts_keeps_its_fold_numbers(corpus):
    part = run_benchmark(corpus, ["seed"], quick=True, only_folds=[2], seed=0)
    assert part["fold"].tolist() == [2] and [f["fold"] for f in part.attrs["folds"]] == [2]
    whole = benchmark_folds(load_clips(corpus), "emobox")
    assert part["test_actors"].iloc[0] == " ".join(map(str, whole[1]["test"]))


@pytest.mark.slow
def test_quick_benchmark_table_shape_and_no_leak(corpus):
    results = run_benchmark(corpus, RECIPES, quick=True, seed=0)
    n_folds = 2  # quick: the first two non-empty folds
    assert len(results) == n_folds * len(RECIPES)
    assert list(dict.fromkeys(results["recipe"])) == list(RECIPES)
    for column in ("accuracy", "uar", "macro_f1", "train_seconds"):
        assert results[column].between(0, np.inf).all()
    assert results[["accuracy", "uar", "macro_f1"]].le(1).all().all()
    no_validation = results["recipe"].isin(["seed", "egemaps", "egemaps+spk-norm", "compare", "compare+spk-norm"])
    assert results.loc[~no_validation, "val_accuracy"].between(0, 1).all() and results.loc[no_validation, "val_accuracy"].isna().all()
    networks = results["recipe"].isin(["seed", "course", "conv"])
    assert results.loc[networks, "epochs"].ge(1).all()
    for f in results.attrs["folds"]:
        assert not set(f["test"]) & (set(f["train"]) | set(f["val"]))
    summary = summarize(results)
    assert list(summary.index) == list(RECIPES) and (summary["folds"] == n_folds).all()
    text = format_table(results)
    assert "chance level: 12.5%" in text and "gain course / seed" in text and "gain ensemble / seed" in text


def test_the_ensemble_averages_the_two_networks():
    from utils.evaluation.folds import FoldResult, ensemble_fold

    mask = np.array([True, True, False])
    a = FoldResult(np.array([0]), np.array([0, 0]), 1.0, 3.0, 2, {"s1"}, mask, np.array([[0.9, 0.1]]), np.array([[0.6, 0.4], [0.2, 0.8]]))
    b = FoldResult(np.array([1]), np.array([1, 1]), 2.0, 4.0, 2, {"s2"}, mask, np.array([[0.3, 0.7]]), np.array([[0.1, 0.9], [0.4, 0.6]]))
    e = ensemble_fold(a, b)
    assert e.test_pred.tolist() == [0] and e.val_pred.tolist() == [1, 1] and e.train_seconds == 3.0 and e.train_speakers == {"s1", "s2"}
    np.testing.assert_allclose(e.test_proba, [[0.6, 0.4]])
    with pytest.raises(ValueError, match="different training clips"):
        ensemble_fold(a, FoldResult(b.test_pred, b.val_pred, 0, 0, 2, set(), ~mask, b.test_proba, b.val_proba))


@pytest.mark.slow
def test_member_groups_and_rotating_validation(corpus):
    """Every training speaker is held out by exactly one member; its out-of-fold row comes from that member."""
    from utils.features.extract import extract_corpus
    from utils.learn.labels import LabelEncoder
    from utils.learn.recipes import COURSE, member_groups, train_course_cv
    from utils.learn.splits import speaker_groups

    table = load_clips(corpus)
    groups = member_groups(table, 3, seed=0)
    assert len(groups) == 3 and np.array_equal(np.sum(groups, axis=0), np.ones(len(table)))
    keys = speaker_groups(table).to_numpy()
    assert all(not set(keys[a]) & set(keys[b]) for i, a in enumerate(groups) for b in groups[i + 1 :])
    with pytest.raises(ValueError, match="at least 2"):
        member_groups(table[table["actor"] == 1], 3)
    saved_split = table[["path", "file", "corpus", "actor", "speaker", "gender", "label"]]  # as notebook 04 saves it
    assert all(np.array_equal(a, b) for a, b in zip(groups, member_groups(saved_split, 3, seed=0)))

    fs = extract_corpus(table, COURSE.features, with_frames=True, progress=False, cache_dir=False)
    from utils.features.inputs import feature_set_inputs

    X = feature_set_inputs(fs, "stats")
    y = LabelEncoder().fit(table["label"]).transform(table["label"])
    recipe = COURSE.replace(n_models=3, max_epochs=2, hidden=(8,))
    ensemble, scaler, info = train_course_cv(X, y, table, 8, recipe=recipe, seed=0)
    assert info["n_models"] == 3 and len(info["groups"]) == 3 and len(info["epochs"]) == 3
    assert sorted(s for g in info["groups"] for s in g) == sorted(set(keys))
    assert info["oof_proba"].shape == (len(table), 8) and np.isfinite(info["oof_proba"]).all()
    np.testing.assert_allclose(info["oof_proba"].sum(axis=1), 1, atol=1e-4)
    assert ensemble.output_shape == (None, 8)
    with pytest.raises(ValueError, match="same clips"):
        train_course_cv(X[:-1], y, table, 8, recipe=recipe)


@pytest.mark.slow
def test_the_joint_recipe_shares_its_groups_and_is_one_bundle(corpus, tmp_path):
    from utils.features.extract import extract_corpus
    from utils.features.inputs import feature_set_inputs
    from utils.learn.labels import LabelEncoder
    from utils.learn.recipes import CONV, COURSE, train_joint_cv
    from utils.predict.bundle import load_bundle, save_bundle

    table = load_clips(corpus)
    fs = extract_corpus(table, COURSE.features, with_frames=True, progress=False, cache_dir=False)
    frames, stats, lengths = feature_set_inputs(fs, "log_frames"), feature_set_inputs(fs, "stats"), fs.rows["n_valid_frames"].to_numpy()
    encoder = LabelEncoder().fit(table["label"])
    y = encoder.transform(table["label"])
    conv, course = CONV.replace(n_models=2, n_groups=2, max_epochs=1, filters=(4,)), COURSE.replace(n_models=2, n_groups=2, max_epochs=1, hidden=(8,))
    model, scaler, info = train_joint_cv(frames, lengths, stats, y, table, encoder.n_classes, conv=conv, course=course, seed=0)
    assert info["input_kind"] == "log_frames+stats" and info["conv"]["groups"] == info["course"]["groups"] == info["groups"]
    assert len(scaler["mean"]) == frames.shape[-1] + stats.shape[-1]
    np.testing.assert_allclose(info["oof_proba"].sum(axis=1), 1, atol=1e-4)
    folder = save_bundle(tmp_path / "joint", model, COURSE.features, scaler, encoder, input_kind=info["input_kind"])
    b = load_bundle(folder)
    n = frames.shape[-1]
    mean, scale = np.asarray(scaler["mean"]), np.asarray(scaler["scale"])
    scaled = [((frames - mean[:n]) / scale[:n]).astype("float32"), ((stats - mean[n:]) / scale[n:]).astype("float32")]
    np.testing.assert_allclose(b.predict_proba((frames, stats)), model.predict(scaled, verbose=0), atol=1e-5)
