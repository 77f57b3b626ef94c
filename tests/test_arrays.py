"""Large arrays on disk (utils.core.arrays): the same values as in memory, read batch by batch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import utils.core.arrays as arrays
from utils.core.arrays import concatenate_rows, is_on_disk, new_array, scratch_dir
from utils.features.config import FeatureConfig
from utils.learn.scaling import apply_scaler, fit_scaler, speaker_normalize

CONFIG = FeatureConfig(n_frames=40, n_mfcc=4, n_mels=6, frame_features=("mfcc", "mel", "prosody"))


@pytest.fixture
def sequences():
    rng = np.random.default_rng(0)
    frames = np.abs(rng.standard_normal((23, *CONFIG.frame_shape))).astype("float32")
    lengths = rng.integers(1, CONFIG.n_frames + 1, len(frames))
    speakers = np.arange(len(frames)) % 4
    return frames, lengths, speakers


def on_disk_from_now(monkeypatch):
    """Every array made by new_array from here on is kept on disk."""
    monkeypatch.setattr(arrays, "LARGE_ARRAY_BYTES", 0)


def test_small_arrays_stay_in_memory_and_large_ones_go_to_nameless_files(tmp_path, monkeypatch):
    monkeypatch.setenv("SER_DATA_DIR", str(tmp_path))
    small = new_array((4, 3))
    assert isinstance(small, np.ndarray) and not is_on_disk(small) and small.dtype == np.float32
    big = new_array((1000, 50), np.float64, limit=1000)
    assert is_on_disk(big) and is_on_disk(big[10:20]) and big.shape == (1000, 50) and big.dtype == np.float64
    big[:] = 2.0
    assert float(big.sum()) == 100_000.0
    assert not is_on_disk(big[[1, 2]]) and not is_on_disk(big * 2)   # copies are ordinary arrays
    assert scratch_dir() == tmp_path / "derived" / "scratch" and list(scratch_dir().iterdir()) == []   # nameless: nothing to clean up
    assert not is_on_disk(new_array((0, 5), limit=0))
    with pytest.raises(ValueError, match="first dimension"):
        concatenate_rows([np.zeros((1, 2)), np.zeros((1, 3))])


def test_helpers_give_the_same_values_on_disk_as_in_memory(sequences, tmp_path, monkeypatch):
    """log_frames, scaling, speaker normalisation and concatenation: identical bits, whichever place."""
    from utils.features.inputs import log_frames

    monkeypatch.setenv("SER_DATA_DIR", str(tmp_path))
    frames, lengths, speakers = sequences
    scaler = fit_scaler(frames, lengths=lengths)

    def results():
        logged = log_frames(frames, lengths, CONFIG)
        return [logged, apply_scaler(scaler, logged), speaker_normalize(logged, speakers, lengths=lengths),
                concatenate_rows([logged[:5], logged[5:]])]

    in_memory = results()
    assert not any(is_on_disk(a) for a in in_memory)
    on_disk_from_now(monkeypatch)
    monkeypatch.setattr(arrays, "BLOCK_ROWS", 3)
    on_disk = results()
    assert all(is_on_disk(a) for a in on_disk)
    for a, b in zip(in_memory, on_disk):
        assert a.dtype == b.dtype == np.float32 and np.array_equal(a, b)


def test_log_frames_in_blocks_equal_one_whole_computation(sequences, monkeypatch):
    from utils.features import inputs

    frames, lengths, _ = sequences
    whole = inputs._log_frames(frames, lengths, CONFIG)
    monkeypatch.setattr(inputs, "BLOCK_ROWS", 4)
    assert np.array_equal(inputs.log_frames(frames, lengths, CONFIG), whole)


def test_a_scaler_of_too_many_frames_is_fitted_in_blocks_to_the_same_statistics(sequences, monkeypatch):
    import utils.learn.scaling as scaling

    frames, lengths, _ = sequences
    whole = fit_scaler(frames, lengths=lengths)
    monkeypatch.setattr(scaling, "SCALER_BLOCK_BYTES", 0)
    monkeypatch.setattr(scaling, "BLOCK_ROWS", 5)
    blocks = fit_scaler(frames, lengths=lengths)
    assert int(blocks.n_samples_seen_) == int(lengths.sum()) == int(whole.n_samples_seen_)
    np.testing.assert_allclose(blocks.mean_, whole.mean_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(blocks.scale_, whole.scale_, rtol=1e-10)
    bad = frames.copy()
    bad[7, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fit_scaler(bad, lengths=np.maximum(lengths, 1))


def test_frames_of_many_clips_are_extracted_in_blocks_into_one_array(tmp_path, monkeypatch):
    """extract_corpus with frames over BLOCK_CLIPS clips: the rows of one extraction, the frames on disk."""
    import soundfile as sf

    import utils.features.extract as extract
    from utils.data.augment import Augmentation

    monkeypatch.setenv("SER_DATA_DIR", str(tmp_path))
    rng = np.random.default_rng(1)
    paths = []
    for i in range(5):
        path = tmp_path / f"clip{i}.wav"
        t = np.arange(int(16000 * (0.4 + 0.1 * i))) / 16000
        sf.write(path, (0.3 * np.sin(2 * np.pi * (150 + 20 * i) * t) + 0.01 * rng.standard_normal(len(t))).astype("float32"), 16000)
        paths.append(path)
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio\n" * 20)
    table = pd.DataFrame({"path": [paths[0], bad, *paths[1:]], "speaker": list("abcdef"), "label": list("xyxyxy")}, index=range(20, 26))
    options = dict(augmentations=[Augmentation("noise", 20)], n_jobs=1, cache_dir=tmp_path / "cache", progress=False)
    whole = extract.extract_corpus(table, CONFIG, with_frames=True, **options)
    on_disk_from_now(monkeypatch)
    monkeypatch.setattr(extract, "BLOCK_CLIPS", 2)
    blocks = extract.extract_corpus(table, CONFIG, with_frames=True, **options)
    assert is_on_disk(blocks.frames) and not is_on_disk(whole.frames)
    assert np.array_equal(blocks.frames, whole.frames) and np.array_equal(blocks.X, whole.X)
    assert blocks.rows.equals(whole.rows) and blocks.skipped.equals(whole.skipped)
    assert len(blocks) == 10 and blocks.n_cached == len(whole) and blocks.n_computed == 0


def test_batches_read_rows_in_order_or_shuffled_and_train_as_arrays_do():
    """Batches: what Keras gets from arrays, one batch at a time; validation on RowsOf gives the same weights."""
    from utils.learn.networks import stats_mlp
    from utils.learn.training import Batches, RowsOf, set_determinism, train

    rng = np.random.default_rng(2)
    X = rng.standard_normal((30, 4)).astype("float32")
    y = np.arange(30) % 3
    ordered = Batches(X, y, batch_size=8, weights=np.ones(30))
    assert len(ordered) == 4 and np.array_equal(np.concatenate([ordered[i][0] for i in range(4)]), X)
    assert len(ordered[3]) == 3 and len(Batches(X, batch_size=8)[0]) == 1   # no targets: inputs only, for predict
    shuffled = [Batches(RowsOf(X, np.arange(20)), y[:20], batch_size=8, shuffle=True, seed=4) for _ in range(2)]
    for batches in shuffled:
        batches.on_epoch_end()
    first = [np.concatenate([b[i][1] for i in range(len(b))]) for b in shuffled]
    assert np.array_equal(first[0], first[1]) and sorted(first[0]) == sorted(y[:20]) and not np.array_equal(first[0], y[:20])
    weights = []
    for val in (X[20:], RowsOf(X, np.arange(20, 30))):
        set_determinism(5)
        model = stats_mlp(4, 3, hidden=(8,))
        history, _ = train(model, RowsOf(X, np.arange(20)), y[:20], val, y[20:], epochs=2, patience=2, seed=5, class_weight=False, mixup=0.2)
        weights.append((model.get_weights(), history["val_loss"]))
    assert weights[0][1] == weights[1][1]
    for wa, wb in zip(weights[0][0], weights[1][0]):
        np.testing.assert_array_equal(wa, wb)
    with pytest.raises(ValueError, match="target rows"):
        Batches(X, y[:5])
    with pytest.raises(ValueError, match="one weight per row"):
        Batches(X, y, weights=np.ones(3))


def test_batches_of_several_inputs_predict_what_predict_on_the_arrays_does(tmp_path, monkeypatch):
    """A list of arrays (one per model input, on disk or not) goes to predict a batch at a time."""
    import keras

    from utils.learn.training import Batches, MixupBatches, RowsOf

    monkeypatch.setenv("SER_DATA_DIR", str(tmp_path))
    on_disk_from_now(monkeypatch)
    rng = np.random.default_rng(3)
    frames, stats = concatenate_rows([rng.standard_normal((11, 5, 3))]), rng.standard_normal((11, 4))
    assert is_on_disk(frames)
    a, b = keras.Input((5, 3)), keras.Input((4,))
    joined = keras.layers.Concatenate()([keras.layers.GlobalAveragePooling1D()(a), b])
    model = keras.Model([a, b], keras.layers.Dense(2, activation="softmax")(joined))
    batches = Batches([frames, stats], batch_size=4)
    assert len(batches) == 3 and [x.shape for x in batches[2][0]] == [(3, 5, 3), (3, 4)]
    expected = model.predict([np.asarray(frames), stats], verbose=0)
    np.testing.assert_allclose(model.predict(batches, verbose=0), expected, rtol=1e-5, atol=1e-6)
    part = Batches([RowsOf(frames, [7, 1]), RowsOf(stats.astype("float32"), [7, 1])], batch_size=4)
    np.testing.assert_allclose(model.predict(part, verbose=0), expected[[7, 1]], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="same number of rows"):
        Batches([frames, stats[:5]])
    with pytest.raises(ValueError, match="one input array"):
        MixupBatches([frames, stats], np.eye(2)[np.arange(11) % 2])


def test_the_size_that_goes_to_disk_follows_small_machines(tmp_path, monkeypatch):
    import utils.core.parallel as parallel
    from utils.core.arrays import LARGE_ARRAY_BYTES, large_array_bytes

    monkeypatch.setenv("SER_DATA_DIR", str(tmp_path))

    monkeypatch.setattr(parallel, "memory_limit", lambda: 2 * 2**30)
    assert large_array_bytes() == 128 * 2**20                      # Binder: a sixteenth of 2 GiB
    assert not is_on_disk(new_array((100, 2**18))) and is_on_disk(new_array((200, 2**18)))   # 100 and 200 MiB
    monkeypatch.setattr(parallel, "memory_limit", lambda: 64 * 2**30)
    assert large_array_bytes() == LARGE_ARRAY_BYTES == 512 * 2**20
    monkeypatch.setattr(parallel, "memory_limit", lambda: None)
    assert large_array_bytes() == LARGE_ARRAY_BYTES
