"""Tests of utils.learn.splits: speaker-independent splits, the leak of random splits, scaling, labels."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from utils.learn.labels import LabelEncoder
from utils.learn.scaling import apply_scaler, fit_scaler, scaler_from_dict, scaler_to_dict
from utils.learn.splits import check_disjoint, fixed_folds, random_split, speaker_groups, speaker_kfold, speaker_split, split_indices

RAVDESS_EMOTIONS = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]
CREMAD_EMOTIONS = ["neutral", "happy", "sad", "angry", "fearful", "disgust"]


def ravdess_table(n_actors: int = 24, per_emotion: int = 4) -> pd.DataFrame:
    rows = [
        {"path": f"Actor_{a:02d}/03-01-{e + 1:02d}-01-01-{r:02d}-{a:02d}.wav", "corpus": "ravdess", "actor": a,
         "gender": "male" if a % 2 else "female", "emotion": emotion}
        for a in range(1, n_actors + 1)
        for e, emotion in enumerate(RAVDESS_EMOTIONS)
        for r in range(per_emotion)
    ]
    return pd.DataFrame(rows)


def cremad_table(n_actors: int = 20, per_emotion: int = 3, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    genders = rng.choice(["male", "female"], size=n_actors)
    rows = [
        {"path": f"{1001 + i}_DFA_{emotion[:3].upper()}_{r}.wav", "corpus": "cremad", "actor": 1001 + i,
         "gender": genders[i], "emotion": emotion}
        for i in range(n_actors)
        for emotion in CREMAD_EMOTIONS
        for r in range(per_emotion)
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def both():
    return pd.concat([ravdess_table(), cremad_table()], ignore_index=True)


def speakers_of(table, split, part):
    return set(speaker_groups(table)[split == part])


# --------------------------------------------------------------------------------------------
# Speakers and splits
# --------------------------------------------------------------------------------------------


def test_speaker_groups_keep_corpora_apart():
    table = pd.DataFrame({
        "path": ["a", "b", "c", "d"], "corpus": ["ravdess", "cremad", "other", "ravdess"],
        "actor": [1, 1001, 1, 1], "gender": ["male"] * 4, "emotion": ["sad"] * 4,
    })
    groups = speaker_groups(table)
    assert groups.tolist() == ["ravdess:01", "cremad:1001", "other:01", "ravdess:01"]
    assert groups.nunique() == 3  # ravdess 1 and other 1 are different people


def test_speaker_split_has_no_overlap_and_balances(both):
    split = speaker_split(both, test_size=0.2, val_size=0.1, seed=3)
    check_disjoint(both, split)
    assert set(split) == {"train", "val", "test"}
    test, val, train = (speakers_of(both, split, p) for p in ("test", "val", "train"))
    assert not (test & val) and not (test & train) and not (val & train)
    n = speaker_groups(both).nunique()
    assert len(test) == round(0.2 * n) and len(val) == round(0.1 * n)
    for part in (test, val):  # both corpora, both genders in the held-out parts
        genders = set(both.loc[speaker_groups(both).isin(part), "gender"])
        corpora = {s.split(":")[0] for s in part}
        assert genders == {"male", "female"} and corpora == {"ravdess", "cremad"}
    # reproducible, and a different seed gives a different draw
    assert split.equals(speaker_split(both, test_size=0.2, val_size=0.1, seed=3))
    assert not split.equals(speaker_split(both, test_size=0.2, val_size=0.1, seed=4))


def test_speaker_split_two_corpora_with_same_actor_numbers():
    a = ravdess_table(n_actors=6)
    b = ravdess_table(n_actors=6).assign(corpus="other")
    table = pd.concat([a, b], ignore_index=True)
    split = speaker_split(table, test_size=0.25, val_size=0.0, seed=0)
    check_disjoint(table, split)
    assert speaker_groups(table).nunique() == 12
    assert len(speakers_of(table, split, "test")) == 3


def test_random_split_leaks_speakers(both):
    split = random_split(both, test_size=0.2, val_size=0.1, seed=0)
    train, test = speakers_of(both, split, "train"), speakers_of(both, split, "test")
    assert len(train & test) > 0.9 * len(test)  # nearly every test speaker is also trained on
    with pytest.raises(ValueError, match="more than one part"):
        check_disjoint(both, split)
    # it is stratified by emotion: each emotion is ~20 % test
    share = (split == "test").groupby(both["emotion"]).mean()
    assert share.between(0.15, 0.25).all()
    assert abs((split == "val").mean() - 0.1) < 0.02


def test_random_split_needs_only_its_stratify_column():
    table = pd.DataFrame({"label": ["a", "b"] * 20})
    split = random_split(table, test_size=0.25, val_size=0.0, seed=0, stratify="label")
    assert (split == "test").sum() == 10 and set(split) == {"train", "test"}
    with pytest.raises(ValueError, match="emotion"):
        random_split(table)


def test_speaker_kfold_each_speaker_tested_once(both):
    splits = speaker_kfold(both, k=5, seed=1, val_size=0.1)
    assert len(splits) == 5
    tested = []
    for split in splits:
        check_disjoint(both, split)
        test = speakers_of(both, split, "test")
        val = speakers_of(both, split, "val")
        assert val and not (val & test)
        tested.extend(test)
    assert sorted(tested) == sorted(speaker_groups(both).unique())
    sizes = [len(speakers_of(both, s, "test")) for s in splits]
    assert max(sizes) - min(sizes) <= 1


def test_fixed_folds():
    table = ravdess_table()
    folds = [[1, 11, 20, 21], [2, 12, 13, 22]]
    splits = fixed_folds(table, folds)
    assert len(splits) == 2
    for split, fold in zip(splits, folds):
        check_disjoint(table, split)
        assert speakers_of(table, split, "test") == {f"ravdess:{a:02d}" for a in fold}
    with_val = fixed_folds(table, folds, val_size=0.1, seed=0)[0]
    assert speakers_of(table, with_val, "val").isdisjoint({f"ravdess:{a:02d}" for a in folds[0]})
    with pytest.raises(ValueError, match="ravdess:30"):
        fixed_folds(table, [[1, 30]])
    with pytest.raises(ValueError, match="ravdess:01"):
        fixed_folds(table, [[1, 2], [3, 1]])


def test_fixed_folds_with_two_corpora(both):
    with pytest.raises(ValueError, match="corpus="):
        fixed_folds(both, [[1, 2]])
    split = fixed_folds(both, [[1, 2]], corpus="ravdess")[0]
    assert speakers_of(both, split, "test") == {"ravdess:01", "ravdess:02"}
    split = fixed_folds(both, [["cremad:1001", "ravdess:03"]])[0]
    assert speakers_of(both, split, "test") == {"cremad:1001", "ravdess:03"}


def test_check_disjoint_names_the_speaker():
    table = ravdess_table(n_actors=3, per_emotion=1)
    split = pd.Series("train", index=table.index)
    split.iloc[0] = "test"  # one clip of actor 1 in test, the rest in train
    with pytest.raises(ValueError, match="ravdess:01 in test/train"):
        check_disjoint(table, split)


def test_split_argument_errors(both):
    with pytest.raises(ValueError, match="test_size"):
        speaker_split(both, test_size=1.5)
    with pytest.raises(ValueError, match="lower test_size"):
        speaker_split(ravdess_table(n_actors=2), test_size=0.3, val_size=0.3)
    with pytest.raises(ValueError, match="k must"):
        speaker_kfold(both, k=1)
    with pytest.raises(ValueError, match="gender"):
        speaker_split(both.drop(columns="gender"))


def test_split_indices(both):
    split = speaker_split(both, seed=0)
    idx = split_indices(split)
    assert sum(len(v) for v in idx.values()) == len(both)
    assert set(split.iloc[idx["test"]]) == {"test"}


# --------------------------------------------------------------------------------------------
# Scaling and labels
# --------------------------------------------------------------------------------------------


def test_scaler_is_fit_on_train_only(both):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(len(both), 5)) + np.where(both["corpus"] == "cremad", 3.0, 0.0)[:, None]
    idx = split_indices(speaker_split(both, seed=0))
    scaler = fit_scaler(X[idx["train"]])
    np.testing.assert_allclose(scaler.mean_, X[idx["train"]].mean(axis=0))
    assert not np.allclose(scaler.mean_, X.mean(axis=0))
    scaled = apply_scaler(scaler, X[idx["train"]])
    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(scaled.std(axis=0), 1, atol=1e-4)


def test_scaler_dict_round_trip():
    X = np.random.default_rng(1).normal(2.0, 3.0, size=(50, 4))
    scaler = fit_scaler(X)
    data = json.loads(json.dumps(scaler_to_dict(scaler)))
    assert set(data) == {"mean", "scale", "n_samples_seen"} and all(isinstance(v, float) for v in data["mean"])
    again = scaler_from_dict(data)
    np.testing.assert_array_equal(again.transform(X), scaler.transform(X))
    np.testing.assert_array_equal(apply_scaler(again, X), apply_scaler(scaler, X))
    with pytest.raises(ValueError, match="scale"):
        scaler_from_dict({"mean": [0.0], "scale": [0.0]})


def test_scaler_on_sequences_ignores_padding():
    seq = np.zeros((3, 10, 2), np.float32)
    lengths = np.array([4, 10, 6])
    for i, n in enumerate(lengths):
        seq[i, :n] = 5.0 + i
    scaler = fit_scaler(seq, lengths=lengths)
    expected = np.concatenate([np.full(n, 5.0 + i) for i, n in enumerate(lengths)]).mean()
    np.testing.assert_allclose(scaler.mean_, [expected, expected])
    assert apply_scaler(scaler, seq).shape == seq.shape


def test_scaler_in_blocks_gives_the_whole_array_result_bit_for_bit(monkeypatch):
    """fit_scaler and apply_scaler work without whole-array float64 copies, and compute the same bits."""
    from sklearn.preprocessing import StandardScaler

    from utils.learn import scaling

    rng = np.random.default_rng(0)
    seq = (rng.standard_normal((40, 30, 5)) * 7 + 3).astype(np.float32)
    lengths = rng.integers(1, 31, size=40)
    real = np.arange(30)[None, :] < lengths[:, None]
    reference = StandardScaler().fit(seq[real].astype(np.float64))
    monkeypatch.setattr(scaling, "_CHUNK_ROWS", 7)                       # many blocks, one partial
    scaler = fit_scaler(seq, lengths=lengths)
    assert np.array_equal(scaler.mean_, reference.mean_) and np.array_equal(scaler.scale_, reference.scale_)
    whole = ((seq.reshape(-1, 5) - reference.mean_) / reference.scale_).astype(np.float32).reshape(seq.shape)
    scaled = apply_scaler(scaler, seq)
    assert scaled.dtype == np.float32 and np.array_equal(scaled, whole)
    seq[3, 0, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fit_scaler(seq, lengths=lengths)


def test_label_encoder_fixed_order_and_json(tmp_path):
    enc = LabelEncoder().fit(["surprised", "sad", "angry", "neutral", "calm", "sad"])
    assert enc.classes_ == ["neutral", "calm", "sad", "angry", "surprised"]
    assert LabelEncoder().fit(reversed(enc.classes_)).classes_ == enc.classes_
    codes = enc.transform(["angry", "neutral"])
    assert codes.tolist() == [3, 0]
    again = LabelEncoder.from_json(enc.to_json(tmp_path / "labels.json"))
    assert again.inverse_transform(codes).tolist() == ["angry", "neutral"]
    with pytest.raises(ValueError, match="bored"):
        enc.transform(["bored"])
    fixed = LabelEncoder(["sad", "happy"])
    assert fixed.fit(["happy"]).transform(["sad"]).tolist() == [0]
