"""Emotion names to integer class indices and back, in the course's fixed order.

scikit-learn's own ``LabelEncoder`` sorts the classes alphabetically; the course's keeps them in
:data:`utils.data.corpora.EMOTION_ORDER`, so the same labels always get the same indices and every
table and confusion matrix lists the emotions in the same order, whatever order the clips come in.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..data.corpora import label_order


def class_order(labels) -> list:
    """The classes present in ``labels``, in the course's fixed order (:func:`utils.data.corpora.label_order`)."""
    return label_order(str(label) for label in labels)


class LabelEncoder:
    """Emotion names to integer codes and back, with the class list stored as plain JSON.

    Parameters
    ----------
    classes : sequence of str, optional
        The classes in code order.  If omitted, :meth:`fit` takes the classes present in the
        labels in the course's order (:func:`class_order`), so the same labels always get the
        same codes, whatever order the clips come in.

    Examples
    --------
    >>> enc = LabelEncoder().fit(["sad", "angry", "neutral", "sad"])
    >>> enc.classes_
    ['neutral', 'sad', 'angry']
    >>> enc.transform(["angry", "neutral"]).tolist()
    [2, 0]
    >>> LabelEncoder.from_dict(enc.to_dict()).inverse_transform([1]).tolist()
    ['sad']
    """

    def __init__(self, classes=None):
        self.classes_ = None
        if classes is not None:
            self._set_classes(classes)

    def _set_classes(self, classes):
        classes = [str(c) for c in classes]
        if not classes:
            raise ValueError("classes must name at least one class")
        if len(set(classes)) != len(classes):
            raise ValueError(f"classes names a class twice: {classes}")
        self.classes_ = classes

    def fit(self, labels) -> "LabelEncoder":
        """Take the classes from ``labels`` (unless given to the constructor) and check them."""
        labels = [str(v) for v in labels]
        if self.classes_ is None:
            self._set_classes(class_order(labels))
        else:
            self._check_known(labels)
        return self

    def _check_known(self, labels):
        unknown = sorted(set(labels) - set(self.classes_))
        if unknown:
            raise ValueError(f"labels {unknown} are not among the classes {self.classes_}")

    def _require_fitted(self):
        if self.classes_ is None:
            raise ValueError("LabelEncoder has no classes yet: call fit() or pass classes=")

    def transform(self, labels) -> np.ndarray:
        """Integer codes (int64) of ``labels``; unknown labels raise ValueError naming them."""
        self._require_fitted()
        labels = [str(v) for v in labels]
        self._check_known(labels)
        lookup = {c: i for i, c in enumerate(self.classes_)}
        return np.array([lookup[v] for v in labels], dtype=np.int64)

    def fit_transform(self, labels) -> np.ndarray:
        """:meth:`fit` then :meth:`transform`."""
        return self.fit(labels).transform(labels)

    def inverse_transform(self, codes) -> np.ndarray:
        """Class names of integer ``codes``."""
        self._require_fitted()
        codes = np.asarray(codes)
        if codes.size and (not np.issubdtype(codes.dtype, np.integer) or codes.min() < 0 or codes.max() >= len(self.classes_)):
            raise ValueError(f"codes must be integers in [0, {len(self.classes_)}), got {codes.tolist()}")
        return np.array(self.classes_, dtype=object)[codes]

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        self._require_fitted()
        return len(self.classes_)

    def to_dict(self) -> dict:
        """``{"classes": [...]}``, ready for JSON."""
        self._require_fitted()
        return {"classes": list(self.classes_)}

    @classmethod
    def from_dict(cls, data: dict) -> "LabelEncoder":
        """Rebuild an encoder from :meth:`to_dict` output."""
        if not isinstance(data, dict) or not isinstance(data.get("classes"), list):
            raise ValueError("a LabelEncoder dict must hold a 'classes' list")
        return cls(data["classes"])

    def to_json(self, path) -> Path:
        """Write :meth:`to_dict` as JSON."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_json(cls, path) -> "LabelEncoder":
        """Read an encoder written by :meth:`to_json`."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
