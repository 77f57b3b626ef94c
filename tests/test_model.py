"""The Conv1D builders, seeding, class weights and the training loop (tiny models, random data)."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from utils.learn.networks import FrameMask, MaskedGlobalAverage, seed_conv1d, temporal_conv1d  # noqa: E402
from utils.learn.training import class_weights, model_input, set_determinism, train


def test_seed_conv1d_follows_the_seed_design():
    model = seed_conv1d(n_features=180, n_classes=8)
    assert model.input_shape == (None, 180)
    assert model.output_shape == (None, 8)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv1D)]
    assert [c.filters for c in convs] == [256, 256, 128, 64]
    assert all(c.kernel_size == (5,) and c.padding == "same" for c in convs)
    pools = [layer for layer in model.layers if isinstance(layer, keras.layers.MaxPooling1D)]
    assert [(p.pool_size, p.strides, p.padding) for p in pools] == [((5,), (2,), "same")] * 4
    names = [layer.name for layer in model.layers]
    assert names.index("dropout3") == names.index("pool3") + 1
    assert [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)] == [0.2, 0.3]
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [d.units for d in dense] == [32, 8]
    p = np.asarray(model(np.random.default_rng(0).standard_normal((3, 180)).astype("float32")))
    assert p.shape == (3, 8)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)


def test_temporal_conv1d_shapes_and_options():
    model = temporal_conv1d(50, 13, 4, filters=(8, 16))
    assert model.input_shape == (None, 50, 13)
    assert model.output_shape == (None, 4)
    assert sum(isinstance(layer, keras.layers.Conv1D) for layer in model.layers) == 2
    assert any(isinstance(layer, MaskedGlobalAverage) for layer in model.layers)
    plain = temporal_conv1d(50, 13, 4, filters=(8,), mask_padding=False)
    assert not any(isinstance(layer, FrameMask) for layer in plain.layers)
    with pytest.raises(ValueError, match="n_classes"):
        temporal_conv1d(50, 13, 0)
    with pytest.raises(ValueError, match="filters"):
        temporal_conv1d(50, 13, 3, filters=())


def test_frame_mask_and_masked_average_ignore_end_padding():
    x = np.random.default_rng(1).standard_normal((2, 10, 3)).astype("float32")
    x[0, 6:] = -0.7  # padded after 6 real frames (any constant: scaling moves the pad value)
    mask = np.asarray(FrameMask()(x))[..., 0]
    assert mask[0].tolist() == [1] * 6 + [0] * 4
    assert mask[1].tolist() == [1] * 9 + [0]  # unpadded: only the last frame is left out
    average = np.asarray(MaskedGlobalAverage()([x, mask[..., None]]))
    np.testing.assert_allclose(average[0], x[0, :6].mean(axis=0), rtol=1e-5)


def test_model_input_adds_or_drops_a_channel_axis():
    model = seed_conv1d(20, 3)
    assert model_input(model, np.zeros((4, 20, 1))).shape == (4, 20)
    assert model_input(model, np.zeros((4, 20))).dtype == np.float32
    with pytest.raises(ValueError, match=r"\(4, 21\)"):
        model_input(model, np.zeros((4, 21)))


def test_class_weights_are_balanced():
    assert class_weights([0, 0, 0, 1], 2) == {0: pytest.approx(2 / 3), 1: 2.0}
    weights = class_weights(np.repeat([0, 1, 2], [10, 5, 5]), 3)
    assert weights[0] == pytest.approx(20 / 30) and weights[1] == pytest.approx(20 / 15)
    with pytest.warns(UserWarning, match=r"\[2\]"):
        assert class_weights([0, 1], 3)[2] == 1.0
    with pytest.raises(ValueError, match="outside"):
        class_weights([0, 3], 3)


def _tiny_data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((48, 20, 5)).astype("float32")
    y = rng.integers(0, 3, 48)
    X[np.arange(48), :, 0] += y[:, None]  # a learnable signal
    return X[:36], y[:36], X[36:], y[36:]


def _train_once(seed):
    X_tr, y_tr, X_val, y_val = _tiny_data()
    set_determinism(seed)
    model = temporal_conv1d(20, 5, 3, filters=(4,), dense=8)
    history, epochs = train(model, X_tr, y_tr, X_val, y_val, epochs=3, batch_size=8, patience=2, seed=seed)
    return model, history, epochs


@pytest.mark.slow
def test_training_is_reproducible_and_reports_history():
    set_determinism(3)
    set_determinism(3)  # safe to call twice
    a, history, epochs = _train_once(7)
    b, _, _ = _train_once(7)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert 1 <= epochs <= 3
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(history)
    assert all(len(v) == epochs for v in history.values())


def test_train_checks_its_inputs():
    X_tr, y_tr, X_val, y_val = _tiny_data()
    model = temporal_conv1d(20, 5, 3, filters=(4,))
    with pytest.raises(ValueError, match="validation set is empty"):
        train(model, X_tr, y_tr, X_val[:0], y_val[:0], epochs=1)
    with pytest.raises(ValueError, match="y_train"):
        train(model, X_tr, y_tr + 5, X_val, y_val, epochs=1)


def test_rows_of_a_larger_array_give_the_same_batches_and_weights_as_a_copy():
    """RowsOf: MixupBatches reads the rows in place, and training gives the copy's weights bit for bit."""
    from utils.learn.networks import stats_mlp
    from utils.learn.training import MixupBatches, RowsOf

    rng = np.random.default_rng(3)
    X = rng.standard_normal((50, 4)).astype("float32")
    y = np.arange(50) % 3
    rows = np.flatnonzero(np.arange(50) % 5 != 2)
    eye = np.eye(3, dtype="float32")
    copied, in_place = (MixupBatches(data, eye[y[rows]], batch_size=8, alpha=0.4, seed=7, weights=np.linspace(1, 2, len(rows)))
                        for data in (X[rows], RowsOf(X, rows)))
    for _epoch in range(2):
        assert len(copied) == len(in_place) == 5
        for i in range(len(copied)):
            for a, b in zip(copied[i], in_place[i]):
                np.testing.assert_array_equal(a, b)
        copied.on_epoch_end()
        in_place.on_epoch_end()
    weights = []
    for data in (X[rows], RowsOf(X, rows)):
        set_determinism(5)
        model = stats_mlp(4, 3, hidden=(8,))
        train(model, data, y[rows], X[:5], y[:5], epochs=2, patience=2, seed=5, class_weight=False, mixup=0.2)
        weights.append(model.get_weights())
    for wa, wb in zip(*weights):
        np.testing.assert_array_equal(wa, wb)
    assert np.asarray(RowsOf(X, rows)).tolist() == X[rows].tolist()
    with pytest.raises(ValueError, match="rows must be positions"):
        RowsOf(X, [50])
    with pytest.raises(ValueError, match="target rows"):
        MixupBatches(RowsOf(X, rows), eye[y])


@pytest.mark.slow
def test_mixup_training_blends_rows_and_labels_and_is_reproducible():
    from utils.learn.networks import stats_mlp
    from utils.learn.training import MixupBatches

    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6)).astype("float32")
    y = np.arange(40) % 3
    eye = np.eye(3, dtype="float32")
    batches = MixupBatches(X, eye[y], batch_size=16, alpha=0.4, seed=1)
    assert len(batches) == 3
    x0, t0 = batches[0]
    assert x0.shape == (16, 6) and t0.shape == (16, 3)
    np.testing.assert_allclose(t0.sum(axis=1), 1, atol=1e-6)
    assert (t0.max(axis=1) < 1).any()  # some labels are blends of two classes
    weights = []
    for _ in range(2):
        set_determinism(5)
        model = stats_mlp(6, 3, hidden=(8,))
        history, epochs = train(model, X[:30], y[:30], X[30:], y[30:], epochs=3, patience=3, seed=5, class_weight=False, mixup=0.2)
        weights.append(model.get_weights())
        assert epochs == 3 and {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(history)
    for wa, wb in zip(*weights):
        np.testing.assert_array_equal(wa, wb)
    with pytest.raises(ValueError, match="class_weight"):
        train(stats_mlp(6, 3, hidden=(8,)), X[:30], y[:30], X[30:], y[30:], epochs=1, mixup=0.2)
    with pytest.raises(ValueError, match="mixup"):
        train(stats_mlp(6, 3, hidden=(8,)), X[:30], y[:30], X[30:], y[30:], epochs=1, mixup=-1.0)


def test_course_conv1d_layers_masking_and_pooling():
    from utils.learn.networks import MaskedMeanStd, SpecAugment, course_conv1d

    model = course_conv1d(60, 7, 4, filters=(8, 16), seed=0)
    assert model.input_shape == (None, 60, 7) and model.output_shape == (None, 4)
    assert [c.filters for c in model.layers if isinstance(c, keras.layers.Conv1D)] == [8, 16]
    assert any(isinstance(layer, SpecAugment) for layer in model.layers) and any(isinstance(layer, MaskedMeanStd) for layer in model.layers)
    x = np.random.default_rng(0).standard_normal((3, 60, 7)).astype("float32")
    x[0, 40:] = 0.0
    p = np.asarray(model(x, training=False))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(model(x, training=False)), p)  # prediction is deterministic
    assert not np.allclose(np.asarray(model(x, training=True)), p)      # noise and masking act in training only
    with pytest.raises(ValueError, match="spec_augment"):
        course_conv1d(60, 7, 4, spec_augment=(1, 2))


def test_masked_mean_std_and_spec_augment():
    from utils.learn.networks import MaskedMeanStd, SpecAugment

    x = np.random.default_rng(2).standard_normal((2, 12, 3)).astype("float32")
    mask = np.ones((2, 12, 1), "float32")
    mask[0, 5:] = 0
    out = np.asarray(MaskedMeanStd()([x, mask]))
    np.testing.assert_allclose(out[0, :3], x[0, :5].mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(out[0, 3:], np.sqrt(x[0, :5].var(axis=0) + 1e-6), rtol=1e-4)
    layer = SpecAugment(time_width=4, feature_width=1, n_time=1, n_feature=1, seed=3)
    ones = np.ones((50, 12, 3), "float32")
    assert np.array_equal(np.asarray(layer(ones, training=False)), ones)  # nothing at prediction time
    masked = np.asarray(layer(ones, training=True))
    zero_frames = (masked == 0).all(axis=2).sum(axis=1)
    zero_features = (masked == 0).all(axis=1).sum(axis=1)
    assert zero_frames.max() <= 4 and zero_features.max() <= 1 and (masked == 0).any()
    assert set(np.unique(masked)) <= {0.0, 1.0}


def test_corpus_weights_give_every_corpus_the_same_total():
    from utils.learn.training import corpus_weights

    corpus = np.array(["cremad"] * 15 + ["ravdess"] * 3 + ["emodb"] * 2)
    w = corpus_weights(corpus)
    totals = {c: w[corpus == c].sum() for c in np.unique(corpus)}
    np.testing.assert_allclose(list(totals.values()), len(corpus) / 3)
    np.testing.assert_allclose(w.mean(), 1.0)
    np.testing.assert_array_equal(corpus_weights(["ravdess"] * 4), np.ones(4))
    with pytest.raises(ValueError, match="corpus"):
        corpus_weights([])


def test_mixup_batches_blend_the_weights_as_the_labels():
    from utils.learn.training import MixupBatches

    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 3)).astype("float32")
    y = np.arange(12) % 2
    w = np.where(y == 0, 1.0, 3.0)
    eye = np.eye(2, dtype="float32")
    x_plain, t_plain = MixupBatches(X, eye[y], batch_size=6, alpha=0.4, seed=2)[0]
    x, t, bw = MixupBatches(X, eye[y], batch_size=6, alpha=0.4, seed=2, weights=w)[0]
    np.testing.assert_array_equal(x, x_plain)          # the weights do not change the draws
    np.testing.assert_array_equal(t, t_plain)
    np.testing.assert_allclose(bw, t[:, 0] * 1.0 + t[:, 1] * 3.0, rtol=1e-6)   # blended as the one-hot labels


@pytest.mark.slow
@pytest.mark.parametrize("mixup", [0.0, 0.2])
def test_sample_weights_decide_what_the_network_learns(mixup):
    """Rows of weight 0 teach nothing: with contradicting copies weighted 0, the clean rule is learned."""
    from utils.learn.networks import stats_mlp

    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 2)).astype("float32")
    y = (X[:, 0] > 0).astype(int)
    X_tr, y_tr = np.concatenate([X, X]), np.concatenate([y, 1 - y])       # every row twice, once with the wrong label
    w = np.concatenate([np.ones(400), np.zeros(400)])
    X_va = rng.standard_normal((100, 2)).astype("float32")
    y_va = (X_va[:, 0] > 0).astype(int)
    set_determinism(0)
    model = stats_mlp(2, 2, hidden=(16,), dropout=0.0, input_noise=0.0)
    train(model, X_tr, y_tr, X_va, y_va, epochs=30, patience=30, class_weight=False, mixup=mixup, seed=0, sample_weight=w)
    assert (model.predict(X_va, verbose=0).argmax(axis=1) == y_va).mean() > 0.9
    with pytest.raises(ValueError, match="sample_weight"):
        train(model, X_tr, y_tr, X_va, y_va, epochs=1, class_weight=False, sample_weight=w[:10])


def test_rotating_validation_needs_one_weight_per_clip():
    import pandas as pd

    from utils.learn.recipes import train_course_cv

    table = pd.DataFrame({"corpus": "ravdess", "actor": [1, 1, 2, 2, 3, 3], "gender": "female"})
    X, y = np.zeros((6, 4)), np.array([0, 1, 0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"sample_weight must hold one weight per clip \(6\)"):
        train_course_cv(X, y, table, 2, sample_weight=np.ones(5))


def test_train_gives_the_weights_and_validation_losses_of_a_plain_keras_fit():
    """train's one-iterator fit and its own validation pass give what fit(MixupBatches, validation_data=...) gives."""
    from utils.learn.networks import stats_mlp
    from utils.learn.training import MixupBatches

    rng = np.random.default_rng(3)
    X = rng.standard_normal((90, 6)).astype("float32")
    y = np.arange(90) % 3
    X[np.arange(90), y] += 1.5
    w, w_val = rng.uniform(0.5, 1.5, 70), rng.uniform(0.5, 1.5, 20)
    eye = np.eye(3, dtype="float32")

    set_determinism(7)
    mine = stats_mlp(6, 3, hidden=(8,))
    history, epochs = train(mine, X[:70], y[:70], X[70:], y[70:], epochs=6, patience=6, seed=7, class_weight=False, mixup=0.2,
                            sample_weight=w, val_sample_weight=w_val)

    set_determinism(7)
    plain = stats_mlp(6, 3, hidden=(8,))
    plain.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy", metrics=["accuracy"])
    set_determinism(7)
    fitted = plain.fit(MixupBatches(X[:70], eye[y[:70]], batch_size=32, alpha=0.2, seed=7, weights=w),
                       validation_data=(X[70:], eye[y[70:]], w_val), epochs=6, verbose=0)
    assert epochs == 6
    assert history["loss"] == [float(v) for v in fitted.history["loss"]]          # the same batches, in the same order
    np.testing.assert_allclose(history["val_loss"], fitted.history["val_loss"], rtol=1e-5)
    np.testing.assert_allclose(history["val_accuracy"], fitted.history["val_accuracy"], rtol=1e-5)
    for a, b in zip(mine.get_weights(), plain.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_the_validation_loss_of_a_model_compiled_with_a_loss_object_is_keras_s_own():
    from utils.learn.networks import stats_mlp

    rng = np.random.default_rng(4)
    X = rng.standard_normal((60, 5)).astype("float32")
    y = np.arange(60) % 3
    w_val = rng.uniform(0.5, 1.5, 20)
    set_determinism(2)
    model = stats_mlp(5, 3, hidden=(8,))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    history, _ = train(model, X[:40], y[:40], X[40:], y[40:], epochs=1, patience=1, seed=2, class_weight=False, val_sample_weight=w_val)
    expected = model.evaluate(X[40:], y[40:], sample_weight=w_val, verbose=0, return_dict=True)["loss"]
    np.testing.assert_allclose(history["val_loss"][-1], expected, rtol=1e-5)
