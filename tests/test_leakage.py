"""Tests of utils.evaluation.leakage: the rows each protocol really trains and tests on, and the experiment.

The clip table and the FeatureSet are built here from numbers, no audio is decoded: every clip
of the table has one original feature row and one augmented copy, as
``extract_corpus(table, config, augmentations=[Augmentation("noise", 20)])`` gives them.  The
table's index labels are deliberately not 0..n-1 and, in one variant, the feature rows are
shuffled, so a protocol that mixed up positions and index labels would be caught.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from utils.evaluation.leakage import PROTOCOLS, leakage_experiment, leakage_summary, protocol_rows
from utils.features.config import FeatureConfig
from utils.features.featureset import KEY_COLUMNS, ROW_COLUMNS, SKIPPED_COLUMNS, FeatureSet

LABELS = ("angry", "happy", "neutral", "sad")
SPEAKERS = [("ravdess", a, "male" if a % 2 else "female") for a in range(1, 7)] + [
    ("cremad", 1001, "female"), ("cremad", 1002, "male"), ("cremad", 1003, "male"), ("cremad", 1004, "female")]
CLIPS_PER_LABEL = 3
DIM = 16
TEST_SIZE = 0.25


def build(*, shuffle_rows: bool = False, label_signal: float = 0.5, augmented: bool = True, seed: int = 0):
    """A clip table (10 speakers x 4 labels x 3 clips) and its FeatureSet (original + one noisy copy each)."""
    rng = np.random.default_rng(seed)
    label_mean = {label: rng.normal(0, 1, DIM) for label in LABELS}
    table, rows, X = [], [], []
    n = 0
    for corpus, actor, gender in SPEAKERS:
        speaker = f"{corpus}:{actor:02d}"
        voice = rng.normal(0, 0.5, DIM)
        for label in LABELS:
            for k in range(CLIPS_PER_LABEL):
                index = 1000 + 7 * n  # index labels that are not positions
                n += 1
                name = f"{speaker.replace(':', '_')}_{label}_{k}"
                table.append({"index": index, "path": f"/nowhere/{name}.wav", "file": f"{name}.wav", "corpus": corpus,
                              "actor": actor, "speaker": speaker, "gender": gender, "emotion": label, "label": label})
                x = label_signal * label_mean[label] + voice + rng.normal(0, 1, DIM)
                copies = (False, True) if augmented else (False,)
                for is_copy in copies:
                    rows.append({"index": index, "path": f"/nowhere/{name}.wav", "clip_id": name,
                                 "augmentation": "noise20dB" if is_copy else "original", "augmented": is_copy,
                                 "duration": 1.5, "n_valid_frames": 150, "speaker": speaker, "label": label,
                                 "corpus": corpus, "actor": actor, "gender": gender})
                    X.append(x + rng.normal(0, 0.1, DIM) if is_copy else x)
    table = pd.DataFrame(table).set_index("index")
    table.index.name = None
    rows = pd.DataFrame(rows, columns=ROW_COLUMNS + list(KEY_COLUMNS))
    X = np.asarray(X, dtype=np.float32)
    if shuffle_rows:
        order = rng.permutation(len(rows))
        rows, X = rows.iloc[order].reset_index(drop=True), X[order]
    features = FeatureSet(X=X, rows=rows, skipped=pd.DataFrame(columns=SKIPPED_COLUMNS), config=FeatureConfig())
    return table, features


@pytest.fixture(params=[False, True], ids=["extract-order", "shuffled-rows"])
def data(request):
    return build(shuffle_rows=request.param)


def split_facts(table, features, protocol, seed=0, test_size=TEST_SIZE):
    train, test = protocol_rows(protocol, table, features.rows, seed=seed, test_size=test_size)
    rows = features.rows
    index = rows["index"].to_numpy()
    speaker = table.loc[index, "speaker"].to_numpy()  # from the table, not from the rows' own column
    augmented = rows["augmented"].to_numpy(bool)
    return {
        "train": np.asarray(train), "test": np.asarray(test), "index": index, "speaker": speaker,
        "augmented": augmented, "label": table.loc[index, "label"].to_numpy(),
    }


def leaked_test_rows(f) -> np.ndarray:
    """Test rows whose clip (its original or its copy) also has a row in training."""
    train_clips = set(f["index"][f["train"]])
    return np.array([i for i in f["test"] if f["index"][i] in train_clips], dtype=int)


# ----------------------------------------------------------------------------------------------
# Properties every protocol has
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_train_and_test_are_disjoint_valid_rows(data, protocol, seed):
    table, features = data
    f = split_facts(table, features, protocol, seed)
    n = len(features.rows)
    for part in ("train", "test"):
        rows = f[part]
        assert rows.ndim == 1 and np.issubdtype(rows.dtype, np.integer)
        assert len(rows) > 0
        assert rows.min() >= 0 and rows.max() < n
        assert len(np.unique(rows)) == len(rows), f"{part} holds a row twice"
    assert not set(f["train"]) & set(f["test"])
    # Nothing but augmented copies of test clips is left out.
    unused = np.setdiff1d(np.arange(n), np.concatenate([f["train"], f["test"]]))
    assert np.all(f["augmented"][unused])
    test_clips = set(f["index"][f["test"]])
    assert all(f["index"][i] in test_clips for i in unused)
    # The protocol changes with the seed.
    other = split_facts(table, features, protocol, seed + 10)
    assert not np.array_equal(np.sort(f["test"]), np.sort(other["test"]))


def test_unknown_protocol_is_refused(data):
    table, features = data
    with pytest.raises(ValueError, match="protocol"):
        protocol_rows("d", table, features.rows, seed=0, test_size=TEST_SIZE)


# ----------------------------------------------------------------------------------------------
# (a) augment, then split randomly
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_protocol_a_leaks_copies_and_speakers(data, seed):
    table, features = data
    f = split_facts(table, features, "a", seed)
    n = len(features.rows)
    assert len(f["train"]) + len(f["test"]) == n  # the whole pool, copies included
    assert len(f["test"]) == pytest.approx(TEST_SIZE * n, abs=1)
    assert f["augmented"][f["test"]].any(), "(a) must test on augmented copies"
    leaked = leaked_test_rows(f)
    assert len(leaked) > 0.5 * len(f["test"]), "(a) should put the other copy of most test rows into training"
    assert f["augmented"][leaked].any() and (~f["augmented"][leaked]).any()  # copies and originals both leak
    assert set(f["speaker"][f["train"]]) & set(f["speaker"][f["test"]])
    assert set(f["speaker"][f["test"]]) == set(table["speaker"])  # every speaker on both sides
    # stratified by label over the pool
    counts = pd.Series(f["label"][f["test"]]).value_counts()
    assert set(counts.index) == set(LABELS) and counts.max() - counts.min() <= 1


# ----------------------------------------------------------------------------------------------
# (b) split randomly, augment training only
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_protocol_b_has_no_copy_leak_but_shares_speakers(data, seed):
    table, features = data
    f = split_facts(table, features, "b", seed)
    assert not f["augmented"][f["test"]].any(), "(b) must not test on augmented copies"
    assert len(leaked_test_rows(f)) == 0, "a test clip has a row (original or copy) in training"
    assert not set(f["index"][f["test"]]) & set(f["index"][f["train"]])
    # one test row per test clip, a stratified quarter of the clips
    assert len(np.unique(f["index"][f["test"]])) == len(f["test"])
    assert len(f["test"]) == pytest.approx(TEST_SIZE * len(table), abs=1)
    counts = pd.Series(f["label"][f["test"]]).value_counts()
    assert set(counts.index) == set(LABELS) and counts.max() - counts.min() <= 1
    # training clips come with their copies
    train_clips = set(f["index"][f["train"]])
    assert len(f["train"]) == 2 * len(train_clips)
    assert f["augmented"][f["train"]].sum() == len(train_clips)
    # the same voices are on both sides
    assert set(f["speaker"][f["train"]]) & set(f["speaker"][f["test"]])


# ----------------------------------------------------------------------------------------------
# (c) split by speaker, augment training only
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_protocol_c_keeps_speakers_apart(data, seed):
    table, features = data
    f = split_facts(table, features, "c", seed)
    train_speakers, test_speakers = set(f["speaker"][f["train"]]), set(f["speaker"][f["test"]])
    assert not train_speakers & test_speakers, f"speakers on both sides: {train_speakers & test_speakers}"
    assert train_speakers | test_speakers == set(table["speaker"])
    assert len(test_speakers) == round(TEST_SIZE * table["speaker"].nunique())
    assert not f["augmented"][f["test"]].any(), "(c) must not test on augmented copies"
    assert len(leaked_test_rows(f)) == 0
    # every clip of a test speaker is tested once (its original), every training clip trains twice
    test_clips = table.index[table["speaker"].isin(test_speakers)]
    assert sorted(f["index"][f["test"]]) == sorted(test_clips)
    train_clips = table.index[table["speaker"].isin(train_speakers)]
    assert sorted(f["index"][f["train"]]) == sorted(np.repeat(train_clips, 2))
    assert f["augmented"][f["train"]].sum() == len(train_clips)


def test_protocols_use_the_table_index_labels_not_positions():
    """A table whose index is shuffled: the rows' ``index`` values must be looked up as labels."""
    table, features = build()
    shuffled = table.sample(frac=1.0, random_state=3)
    for protocol in ("b", "c"):
        f = split_facts(shuffled, features, protocol, seed=0)
        # The split itself depends on table order, but its guarantees must still hold.
        assert len(leaked_test_rows(f)) == 0 and not f["augmented"][f["test"]].any()
    f = split_facts(shuffled, features, "c", seed=0)
    assert not set(f["speaker"][f["train"]]) & set(f["speaker"][f["test"]])
    assert len(set(f["speaker"][f["test"]])) == round(TEST_SIZE * table["speaker"].nunique())


# ----------------------------------------------------------------------------------------------
# leakage_experiment and leakage_summary
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def experiment():
    table, features = build(shuffle_rows=True)
    seeds = (0, 1)
    return table, features, seeds, leakage_experiment(table, features, seeds=seeds, test_size=TEST_SIZE)


def test_experiment_has_one_row_per_protocol_and_seed(experiment):
    table, features, seeds, results = experiment
    assert list(results.columns) == ["protocol", "description", "seed", "accuracy", "uar", "n_train", "n_test"]
    assert len(results) == len(PROTOCOLS) * len(seeds)
    assert sorted(zip(results["protocol"], results["seed"])) == sorted((p, s) for p in PROTOCOLS for s in seeds)
    assert all(results["description"] == results["protocol"].map(PROTOCOLS))
    for column in ("accuracy", "uar"):
        assert results[column].between(0.0, 1.0).all()
    for _, row in results.iterrows():
        train, test = protocol_rows(row["protocol"], table, features.rows, seed=int(row["seed"]), test_size=TEST_SIZE)
        assert (row["n_train"], row["n_test"]) == (len(train), len(test)), row["protocol"]


def test_experiment_trains_on_the_right_labels():
    """With labels that are easy to tell apart every protocol scores high; misaligned rows would score chance."""
    table, features = build(shuffle_rows=True, label_signal=4.0, seed=1)
    results = leakage_experiment(table, features, seeds=(0,), test_size=TEST_SIZE)
    assert (results["accuracy"] > 0.85).all(), results[["protocol", "accuracy"]]
    assert (results["uar"] > 0.85).all()


def test_summary_has_one_row_per_protocol(experiment):
    *_, results = experiment
    summary = leakage_summary(results)
    assert len(summary) == len(PROTOCOLS)
    assert sorted(summary["protocol"]) == sorted(PROTOCOLS)
    assert {"accuracy mean", "accuracy std", "uar mean", "uar std"} <= set(summary.columns)
    for _, row in summary.iterrows():
        mine = results[results["protocol"] == row["protocol"]]
        assert row["accuracy mean"] == pytest.approx(mine["accuracy"].mean())
        assert row["uar std"] == pytest.approx(mine["uar"].std())
        assert row["description"] == PROTOCOLS[row["protocol"]]


def test_features_without_augmented_rows_are_refused():
    table, features = build(augmented=False)
    with pytest.raises(ValueError, match="augment"):
        leakage_experiment(table, features, seeds=(0,))


def test_table_without_label_is_refused(data):
    table, features = data
    with pytest.raises(ValueError, match="label"):
        leakage_experiment(table.drop(columns="label"), features, seeds=(0,))


def test_features_of_other_clips_are_refused():
    table, features = build()
    with pytest.raises(ValueError, match="not in table"):
        leakage_experiment(table.iloc[: len(table) // 2], features, seeds=(0,))
