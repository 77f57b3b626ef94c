"""Honest evaluation: accuracy, macro F1 and UAR, each beside the chance level, per class and per group.

A number means little without the level that guessing reaches.  :func:`evaluate` therefore reports
every figure together with its chance level:

accuracy
    *Majority-class rate*: the accuracy of always answering the most frequent class of the test
    set (e.g. 0.13 on RAVDESS's 8 classes, where neutral has half as many clips as the others).
    *Uniform* ``1/K``: the expected accuracy of guessing one of the ``K`` classes at random.
UAR (unweighted average recall, the mean of the per-class recalls)
    ``1/K``: every constant answer (recall 1 for one class, 0 for the others) and random guessing
    (expected recall ``1/K`` for every class) get ``1/K``, however unbalanced the classes are.
    This is why UAR is the usual headline figure in emotion recognition.
macro F1 (the mean of the per-class F1 scores)
    ``1/K``: what uniform random guessing scores on balanced classes.  With unbalanced classes
    guessing scores a little less, and a constant answer much less (``2/(K (1 + K))`` on balanced
    classes), so ``1/K`` is a generous reference.

Breakdowns by group (corpus, gender, ...) compute accuracy and UAR inside each group, with the
chance levels of that group (its own majority rate and the number of classes present in it).

Examples
--------
>>> report = evaluate(["a", "a", "b", "c"], ["a", "b", "b", "c"], ["a", "b", "c"])
>>> round(report.accuracy, 2), round(report.uar, 3)
(0.75, 0.833)
>>> report.chance["accuracy_majority"]
0.5
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

CHANCE_NOTE = (
    "chance: accuracy = majority-class rate (always the most frequent class) or 1/K (uniform guess); "
    "UAR and macro F1 = 1/K"
)
"""One-line explanation of the chance columns, for captions."""


@dataclass
class Report:
    """Evaluation of predictions against true labels (see :func:`evaluate`).

    Attributes
    ----------
    labels : list of str
        Class names, in the order of every table and of the confusion matrix.
    n : int
        Number of clips.
    accuracy, macro_f1, uar : float
        Overall figures; ``uar`` is the unweighted average recall (mean per-class recall).
    chance : dict of str to float
        ``accuracy_majority``, ``accuracy_uniform``, ``uar``, ``macro_f1``, and ``majority_class``
        (a str).
    per_class : pandas.DataFrame
        Index: class; columns ``precision``, ``recall``, ``f1``, ``support`` (true clips),
        ``predicted`` (clips predicted as the class).
    confusion : pandas.DataFrame
        Counts: rows are true classes, columns predicted classes.
    confusion_normalized : pandas.DataFrame
        Each row divided by its total (a row's diagonal cell is that class's recall); rows of
        classes absent from the truth are 0.
    by_group : pandas.DataFrame or None
        Tidy table, one row per (group column, value): ``group``, ``value``, ``n``, ``accuracy``,
        ``uar``, ``macro_f1``, ``n_classes``, ``chance_accuracy_majority``,
        ``chance_accuracy_uniform``, ``chance_uar``.
    """

    labels: list
    n: int
    accuracy: float
    macro_f1: float
    uar: float
    chance: dict
    per_class: pd.DataFrame
    confusion: pd.DataFrame
    confusion_normalized: pd.DataFrame
    by_group: pd.DataFrame | None = field(default=None)

    def summary(self) -> pd.DataFrame:
        """The three overall figures with their chance levels, one row each.

        Returns
        -------
        pandas.DataFrame
            Columns ``metric``, ``value``, ``chance_majority`` (accuracy only), ``chance_uniform``
            (``1/K``) and ``above_chance`` (``value`` minus the higher chance level).
        """
        c = self.chance
        rows = [
            ("accuracy", self.accuracy, c["accuracy_majority"], c["accuracy_uniform"]),
            ("macro F1", self.macro_f1, np.nan, c["macro_f1"]),
            ("UAR", self.uar, np.nan, c["uar"]),
        ]
        df = pd.DataFrame(rows, columns=["metric", "value", "chance_majority", "chance_uniform"])
        df["above_chance"] = df["value"] - df[["chance_majority", "chance_uniform"]].max(axis=1)
        return df

    def __str__(self) -> str:
        c = self.chance
        return (
            f"{self.n} clips, {len(self.labels)} classes: accuracy {self.accuracy:.3f} "
            f"(chance {c['accuracy_majority']:.3f} majority, {c['accuracy_uniform']:.3f} uniform), "
            f"UAR {self.uar:.3f} (chance {c['uar']:.3f}), macro F1 {self.macro_f1:.3f} (chance {c['macro_f1']:.3f})"
        )


def _as_names(values, labels: list, name: str) -> np.ndarray:
    """``values`` as class names: integer codes index ``labels``; names must be among them."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, not shape {arr.shape}")
    if arr.size and np.issubdtype(arr.dtype, np.integer):
        if arr.min() < 0 or arr.max() >= len(labels):
            raise ValueError(f"{name} holds class codes outside 0..{len(labels) - 1}")
        return np.asarray(labels, dtype=object)[arr]
    names = arr.astype(str).astype(object)
    unknown = sorted(set(names) - set(labels))
    if unknown:
        raise ValueError(f"{name} holds labels {unknown} that are not among labels={labels}")
    return names


def _per_class(y_true, y_pred, labels):
    """Confusion counts and per-class precision, recall, F1, support and predicted counts (scikit-learn)."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    cm = confusion_matrix(y_true, y_pred, labels=labels)
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    table = pd.DataFrame(
        {"precision": precision, "recall": recall, "f1": f1, "support": support, "predicted": cm.sum(axis=0)},
        index=pd.Index(labels, name="class"),
    )
    return cm, table


def _scores(y_true, y_pred, labels) -> dict:
    """Accuracy, UAR and macro F1 over the classes of ``labels`` present in ``y_true``."""
    present = [c for c in labels if c in set(y_true)]
    _, table = _per_class(y_true, y_pred, labels)
    table = table.loc[present]
    counts = pd.Series(y_true).value_counts()
    return {
        "n": len(y_true),
        "accuracy": float(np.mean(y_true == y_pred)) if len(y_true) else np.nan,
        "uar": float(table["recall"].mean()) if present else np.nan,
        "macro_f1": float(table["f1"].mean()) if present else np.nan,
        "n_classes": len(present),
        "chance_accuracy_majority": float(counts.max() / len(y_true)) if len(y_true) else np.nan,
        "chance_accuracy_uniform": 1 / len(present) if present else np.nan,
        "chance_uar": 1 / len(present) if present else np.nan,
    }


def _group_table(y_true, y_pred, labels, groups) -> pd.DataFrame:
    if isinstance(groups, pd.Series):
        groups = groups.to_frame(groups.name or "group")
    elif isinstance(groups, dict):
        groups = pd.DataFrame(groups)
    if not isinstance(groups, pd.DataFrame):
        raise ValueError(f"groups must be a DataFrame (one column per grouping), a Series or a dict, not {type(groups).__name__}")
    if len(groups) != len(y_true):
        raise ValueError(f"groups has {len(groups)} rows for {len(y_true)} predictions")
    rows = []
    for column in groups.columns:
        values = groups[column].to_numpy()
        for value in pd.unique(values):
            mask = values == value
            rows.append({"group": str(column), "value": value, **_scores(y_true[mask], y_pred[mask], labels)})
    columns = ["group", "value", "n", "accuracy", "uar", "macro_f1", "n_classes", "chance_accuracy_majority", "chance_accuracy_uniform", "chance_uar"]
    return pd.DataFrame(rows, columns=columns)


def evaluate(y_true, y_pred, labels, *, groups=None) -> Report:
    """Accuracy, macro F1, UAR, per-class figures and confusion matrices, with chance levels.

    Macro F1 and UAR average over the classes of ``labels`` that occur in ``y_true`` (a class
    with no test clip has no recall); the chance levels use ``K`` = the number of those classes.
    See the module docstring for what each chance level means.

    Parameters
    ----------
    y_true, y_pred : sequence
        True and predicted classes, as names (str) or as integer codes indexing ``labels``.
    labels : sequence of str
        Class names in the order of the model's outputs (and of the tables).
    groups : pandas.DataFrame, optional
        One column per grouping (e.g. ``table[["corpus", "gender"]]``), one row per prediction,
        in the same order; gives :attr:`Report.by_group`.

    Returns
    -------
    Report

    Examples
    --------
    >>> r = evaluate([0, 0, 1, 1], [0, 1, 1, 1], ["sad", "angry"])
    >>> r.accuracy, r.uar, int(r.confusion.loc["sad", "angry"])
    (0.75, 0.75, 1)
    """
    labels = [str(c) for c in labels]
    if not labels or len(set(labels)) != len(labels):
        raise ValueError(f"labels must name each class once, got {labels}")
    y_true = _as_names(y_true, labels, "y_true")
    y_pred = _as_names(y_pred, labels, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} entries but y_pred has {len(y_pred)}")
    if not len(y_true):
        raise ValueError("nothing to evaluate: y_true is empty")
    cm, table = _per_class(y_true, y_pred, labels)
    scores = _scores(y_true, y_pred, labels)
    counts = pd.Series(y_true).value_counts()
    chance = {
        "accuracy_majority": scores["chance_accuracy_majority"],
        "accuracy_uniform": scores["chance_accuracy_uniform"],
        "uar": scores["chance_uar"],
        "macro_f1": scores["chance_uar"],
        "majority_class": str(counts.idxmax()),
    }
    index = pd.Index(labels, name="true")
    columns = pd.Index(labels, name="predicted")
    confusion = pd.DataFrame(cm, index=index, columns=columns)
    totals = cm.sum(axis=1, keepdims=True)
    normalized = pd.DataFrame(np.divide(cm, totals, out=np.zeros(cm.shape), where=totals > 0), index=index, columns=columns)
    return Report(
        labels=labels,
        n=len(y_true),
        accuracy=scores["accuracy"],
        macro_f1=scores["macro_f1"],
        uar=scores["uar"],
        chance=chance,
        per_class=table,
        confusion=confusion,
        confusion_normalized=normalized,
        by_group=None if groups is None else _group_table(y_true, y_pred, labels, groups),
    )


def criteria_table(report: Report, accuracy: float = 0.80, macro_f1: float = 0.80, per_class_recall: float = 0.75) -> pd.DataFrame:
    """The seed project's success criteria, measured: pass or fail each.

    Criteria (all strict, ``>``): overall accuracy above ``accuracy``, macro F1 above
    ``macro_f1``, and every class's recall above ``per_class_recall``.  The last criterion is one
    row (measured: the lowest recall), followed by one row per class for the details.

    Parameters
    ----------
    report : Report
    accuracy, macro_f1, per_class_recall : float
        Targets, as fractions.

    Returns
    -------
    pandas.DataFrame
        Columns ``criterion``, ``target``, ``measured``, ``passed`` (bool) and ``result``
        (``"pass"``/``"fail"``).

    Examples
    --------
    >>> r = evaluate(["a", "b", "b"], ["a", "b", "a"], ["a", "b"])
    >>> criteria_table(r)["result"].tolist()
    ['fail', 'fail', 'fail', 'pass', 'fail']
    """
    present = [c for c in report.labels if report.per_class.loc[c, "support"] > 0]
    recalls = report.per_class.loc[present, "recall"]
    worst = recalls.idxmin()
    rows = [
        (f"overall accuracy > {accuracy:.0%}", accuracy, report.accuracy),
        (f"macro F1 > {macro_f1:.0%}", macro_f1, report.macro_f1),
        (f"every class recall > {per_class_recall:.0%} (lowest: {worst})", per_class_recall, float(recalls.min())),
    ]
    rows += [(f"  recall of {c} > {per_class_recall:.0%}", per_class_recall, float(recalls[c])) for c in present]
    df = pd.DataFrame(rows, columns=["criterion", "target", "measured"])
    df["passed"] = df["measured"] > df["target"]
    df["result"] = np.where(df["passed"], "pass", "fail")
    return df
