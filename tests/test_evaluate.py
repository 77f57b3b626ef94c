"""Evaluation figures on a hand-made example, chance levels, group breakdowns, criteria, plots."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from utils.evaluation.metrics import criteria_table, evaluate  # noqa: E402
from utils.notebook.plots import plot_confusion, plot_history

LABELS = ["a", "b", "c"]
# true: a a a a b b c c ; predicted: a a a b b c c c
Y_TRUE = ["a", "a", "a", "a", "b", "b", "c", "c"]
Y_PRED = ["a", "a", "a", "b", "b", "c", "c", "c"]


def test_overall_figures_by_hand():
    r = evaluate(Y_TRUE, Y_PRED, LABELS)
    assert r.n == 8
    assert r.accuracy == pytest.approx(6 / 8)
    # recalls a 3/4, b 1/2, c 2/2
    assert r.uar == pytest.approx((0.75 + 0.5 + 1.0) / 3)
    # precisions a 3/3, b 1/2, c 2/3 -> F1 a 6/7, b 1/2, c 4/5
    assert r.macro_f1 == pytest.approx((6 / 7 + 0.5 + 0.8) / 3)
    assert r.per_class["recall"].tolist() == pytest.approx([0.75, 0.5, 1.0])
    assert r.per_class["precision"].tolist() == pytest.approx([1.0, 0.5, 2 / 3])
    assert r.per_class["support"].tolist() == [4, 2, 2]
    assert r.confusion.to_numpy().tolist() == [[3, 1, 0], [0, 1, 1], [0, 0, 2]]
    np.testing.assert_allclose(r.confusion_normalized.to_numpy(), [[0.75, 0.25, 0], [0, 0.5, 0.5], [0, 0, 1]])
    assert list(r.confusion.index) == LABELS and list(r.confusion.columns) == LABELS


def test_chance_levels():
    r = evaluate(Y_TRUE, Y_PRED, LABELS)
    assert r.chance["accuracy_majority"] == pytest.approx(0.5)  # always "a": 4 of 8
    assert r.chance["majority_class"] == "a"
    assert r.chance["accuracy_uniform"] == pytest.approx(1 / 3)
    assert r.chance["uar"] == pytest.approx(1 / 3)
    assert r.chance["macro_f1"] == pytest.approx(1 / 3)
    summary = r.summary()
    assert summary["metric"].tolist() == ["accuracy", "macro F1", "UAR"]
    assert summary.loc[0, "above_chance"] == pytest.approx(0.75 - 0.5)
    assert "chance" in str(r)


def test_integer_codes_give_the_same_report():
    codes = {c: i for i, c in enumerate(LABELS)}
    r = evaluate([codes[v] for v in Y_TRUE], np.array([codes[v] for v in Y_PRED]), LABELS)
    assert r.accuracy == pytest.approx(0.75) and r.confusion.loc["b", "c"] == 1


def test_a_class_absent_from_the_test_set_is_left_out_of_uar():
    r = evaluate(["a", "a", "b"], ["a", "c", "b"], LABELS)
    assert r.uar == pytest.approx((0.5 + 1.0) / 2)
    assert r.chance["uar"] == pytest.approx(1 / 2)
    assert r.confusion_normalized.loc["c"].tolist() == [0, 0, 0]


def test_breakdown_by_group():
    groups = pd.DataFrame({"corpus": ["x"] * 4 + ["y"] * 4, "gender": ["f", "m"] * 4})
    r = evaluate(Y_TRUE, Y_PRED, LABELS, groups=groups)
    by = r.by_group.set_index(["group", "value"])
    x, y = by.loc[("corpus", "x")], by.loc[("corpus", "y")]
    assert (x["n"], x["accuracy"], x["uar"], x["n_classes"]) == (4, 0.75, 0.75, 1)
    assert x["chance_accuracy_majority"] == 1.0 and x["chance_uar"] == 1.0
    assert (y["accuracy"], y["uar"], y["chance_uar"], y["chance_accuracy_majority"]) == (0.75, 0.75, 0.5, 0.5)
    assert set(r.by_group["group"]) == {"corpus", "gender"}
    assert by.loc[("gender", "f"), "n"] == 4
    with pytest.raises(ValueError, match="rows"):
        evaluate(Y_TRUE, Y_PRED, LABELS, groups=groups.iloc[:3])


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match=r"\['z'\]"):
        evaluate(["a", "z"], ["a", "a"], LABELS)
    with pytest.raises(ValueError, match="y_pred has 1"):
        evaluate(["a", "b"], ["a"], LABELS)
    with pytest.raises(ValueError, match="empty"):
        evaluate([], [], LABELS)


def test_criteria_table_pass_and_fail():
    table = criteria_table(evaluate(Y_TRUE, Y_PRED, LABELS))
    assert list(table.columns) == ["criterion", "target", "measured", "passed", "result"]
    assert table["result"].tolist() == ["fail", "fail", "fail", "fail", "fail", "pass"]
    assert table.loc[2, "measured"] == pytest.approx(0.5) and "lowest: b" in table.loc[2, "criterion"]
    assert table.loc[3, "measured"] == pytest.approx(0.75)  # 75% is not above 75%
    perfect = criteria_table(evaluate(Y_TRUE, Y_TRUE, LABELS))
    assert perfect["passed"].all()
    lenient = criteria_table(evaluate(Y_TRUE, Y_PRED, LABELS), accuracy=0.7, macro_f1=0.7, per_class_recall=0.4)
    assert lenient["passed"].all()


def test_plots_draw_annotated_cells_and_curves():
    import matplotlib.pyplot as plt

    r = evaluate(Y_TRUE, Y_PRED, LABELS)
    ax = plot_confusion(r)
    assert sorted(t.get_text() for t in ax.texts) == sorted(["3", "1", "0", "0", "1", "1", "0", "0", "2"])
    ax = plot_confusion(r, normalize=True, title="normalised")
    assert "0.75" in [t.get_text() for t in ax.texts] and ax.get_title() == "normalised"
    history = {"loss": [1.0, 0.8, 0.7], "val_loss": [1.1, 0.9, 0.95], "accuracy": [0.3, 0.5, 0.6], "val_accuracy": [0.2, 0.4, 0.4]}
    axes = plot_history(history)
    assert len(axes) == 2 and axes[0].get_xlabel() == "epoch"
    assert len(axes[0].get_lines()) == 3  # training, validation, best epoch
    with pytest.raises(ValueError, match="loss"):
        plot_history({})
    plt.close("all")
