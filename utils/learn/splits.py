"""Honest splits: keep every speaker in one part, fit the scaler on training rows only.

A random split of RAVDESS puts clips of the same actor in both the training and the test set.
The model can then recognise the *voice* instead of the emotion, and the test accuracy says little
about a new speaker.  A speaker-independent split assigns whole speakers to train, validation and
test.  Validation speakers are drawn from the speakers left for training, never from the test
speakers.

Speakers are identified by ``"{corpus}:{actor:02d}"`` (:func:`speaker_groups`), the same key as the
``speaker`` column of :func:`utils.data.scan.scan_corpus`: RAVDESS actor 1 is ``ravdess:01``, CREMA-D
actor 1001 is ``cremad:1001``, and two corpora that both number an actor 1 never share a speaker.

Every split function takes the clip table (a DataFrame as :func:`utils.data.scan.scan_corpus` makes
it: the speaker splits need ``corpus``, ``actor`` and ``gender``, :func:`random_split` the column
it stratifies by, ``emotion`` by default) and returns a :class:`pandas.Series` aligned with the
table's index holding ``"train"``, ``"val"`` or ``"test"`` for each clip;
:func:`split_indices` turns it into positional index arrays.

Examples
--------
>>> split = speaker_split(table, test_size=0.2, val_size=0.1, seed=0)    # doctest: +SKIP
>>> check_disjoint(table, split)                                         # doctest: +SKIP
>>> idx = split_indices(split)                                           # doctest: +SKIP

Scaling lives in :mod:`utils.learn.scaling`, labels in :mod:`utils.learn.labels`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.corpora import speaker_key

PARTS = ("train", "val", "test")
"""Values of a split Series."""

SPEAKER_COLUMNS = ("corpus", "actor", "gender")
"""Columns the speaker-independent splits need (``random_split`` only needs its ``stratify`` column)."""

# --------------------------------------------------------------------------------------------
# Speakers
# --------------------------------------------------------------------------------------------


def _check_table(table, columns=SPEAKER_COLUMNS):
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a pandas DataFrame, not {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks the column(s) {missing}")
    if len(table) == 0:
        raise ValueError("table holds no clips")


def speaker_groups(table: pd.DataFrame) -> pd.Series:
    """Speaker key ``"{corpus}:{actor:02d}"`` of every clip (e.g. ``ravdess:01``, ``cremad:1001``).

    Parameters
    ----------
    table : pandas.DataFrame
        With ``corpus`` and ``actor`` columns (a clip table, or the split notebook 04 saves).

    Returns
    -------
    pandas.Series
        Aligned with ``table.index``, named ``speaker``.

    Examples
    --------
    >>> t = pd.DataFrame({"corpus": ["ravdess", "cremad"], "actor": [1, 1001]})
    >>> speaker_groups(t).tolist()
    ['ravdess:01', 'cremad:1001']
    """
    _check_table(table, ("corpus", "actor"))
    keys = [speaker_key(c, a) for c, a in zip(table["corpus"], table["actor"])]
    return pd.Series(keys, index=table.index, name="speaker")


def _speaker_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per speaker: ``speaker``, ``stratum`` (corpus and gender) and ``n_clips``."""
    groups = speaker_groups(table)
    frame = pd.DataFrame({"speaker": groups, "corpus": table["corpus"].astype(str), "gender": table["gender"].astype(str)})
    per = frame.groupby("speaker", sort=True).agg(corpus=("corpus", "first"), gender=("gender", "first"), n_clips=("corpus", "size"))
    per["stratum"] = per["corpus"] + "/" + per["gender"]
    return per.reset_index()


def _check_fraction(name: str, value: float):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a fraction in [0, 1), not {value!r}")


def _allocate(speakers: pd.DataFrame, n_total: int, rng: np.random.Generator) -> list:
    """Pick ``n_total`` speakers spread over the strata in proportion to their sizes.

    Largest-remainder apportionment over the strata (ties broken at random), then a random choice
    of speakers inside each stratum.
    """
    if n_total <= 0:
        return []
    counts = speakers.groupby("stratum").size()
    exact = counts / counts.sum() * n_total
    take = np.floor(exact).astype(int)
    remainder = (exact - take).to_numpy() + rng.random(len(exact)) * 1e-9
    for i in np.argsort(-remainder)[: n_total - int(take.sum())]:
        take.iloc[i] += 1
    chosen = []
    for stratum, k in take.items():
        names = speakers.loc[speakers["stratum"] == stratum, "speaker"].to_numpy()
        chosen.extend(rng.permutation(names)[:k].tolist())
    return chosen


def _as_split(table: pd.DataFrame, speaker_part: dict) -> pd.Series:
    """Map each clip to its speaker's part."""
    groups = speaker_groups(table)
    return pd.Series(groups.map(speaker_part).to_numpy(), index=table.index, name="split")


def random_split(table: pd.DataFrame, test_size: float = 0.2, val_size: float = 0.1, seed: int = 0, stratify: str | None = "emotion") -> pd.Series:
    """Clip-level random split, stratified by a column: the LEAKY baseline.

    Clips of one speaker land in several parts, so the test score measures partly how well the
    model recognises voices it has heard.  Kept to show the difference, not to report results.

    Parameters
    ----------
    table : pandas.DataFrame
    test_size, val_size : float
        Fractions of all clips for the test and validation parts.
    seed : int
    stratify : str or None
        Column whose proportions each part keeps (default ``emotion``).

    Returns
    -------
    pandas.Series
        ``"train"``, ``"val"`` or ``"test"`` per clip, aligned with ``table.index``.

    Examples
    --------
    >>> split = random_split(table, test_size=0.2, val_size=0.1, seed=0)  # doctest: +SKIP
    """
    from sklearn.model_selection import train_test_split

    _check_table(table, () if stratify is None else (stratify,))
    _check_fraction("test_size", test_size)
    _check_fraction("val_size", val_size)
    if test_size + val_size >= 1:
        raise ValueError(f"test_size + val_size must be below 1, not {test_size + val_size}")
    positions = np.arange(len(table))
    labels = table[stratify].to_numpy() if stratify is not None else None
    part = np.full(len(table), "train", dtype=object)
    rest = positions
    if test_size > 0:
        rest, test = train_test_split(positions, test_size=test_size, random_state=seed, stratify=labels)
        part[test] = "test"
    if val_size > 0:
        rest_labels = labels[rest] if labels is not None else None
        _, val = train_test_split(rest, test_size=val_size / (1 - test_size), random_state=seed + 1, stratify=rest_labels)
        part[val] = "val"
    return pd.Series(part, index=table.index, name="split")


def speaker_split(table: pd.DataFrame, test_size: float = 0.2, val_size: float = 0.1, seed: int = 0) -> pd.Series:
    """Speaker-independent split: each speaker's clips all go to one part.

    ``round(test_size * n_speakers)`` speakers (at least one when ``test_size > 0``) are drawn
    for the test part, spread over the corpus/gender strata in proportion to their sizes; the
    validation speakers are then drawn the same way from the remaining (training) speakers.

    Parameters
    ----------
    table : pandas.DataFrame
    test_size, val_size : float
        Fractions of the *speakers* for the test and validation parts.
    seed : int

    Returns
    -------
    pandas.Series
        ``"train"``, ``"val"`` or ``"test"`` per clip, aligned with ``table.index``.

    Examples
    --------
    >>> split = speaker_split(table, test_size=0.2, val_size=0.1, seed=0)  # doctest: +SKIP
    >>> split.value_counts()                                              # doctest: +SKIP
    """
    _check_table(table)
    _check_fraction("test_size", test_size)
    _check_fraction("val_size", val_size)
    speakers = _speaker_table(table)
    n = len(speakers)
    n_test = max(1, round(test_size * n)) if test_size > 0 else 0
    n_val = max(1, round(val_size * n)) if val_size > 0 else 0
    if n_test + n_val >= n:
        raise ValueError(
            f"{n} speakers cannot give {n_test} test and {n_val} validation speakers and still leave "
            "training speakers; lower test_size or val_size"
        )
    rng = np.random.default_rng(seed)
    test = _allocate(speakers, n_test, rng)
    remaining = speakers[~speakers["speaker"].isin(test)]
    val = _allocate(remaining, n_val, rng)
    part = {s: "train" for s in speakers["speaker"]}
    part.update({s: "test" for s in test})
    part.update({s: "val" for s in val})
    return _as_split(table, part)


def _validation_from_training(table: pd.DataFrame, split: pd.Series, val_size: float, rng) -> pd.Series:
    """Move ``val_size`` of a fold's training speakers (stratified) to ``"val"``."""
    if val_size <= 0:
        return split
    train_table = table[split == "train"]
    speakers = _speaker_table(train_table)
    n_val = max(1, round(val_size * len(speakers)))
    if n_val >= len(speakers):
        raise ValueError(f"val_size={val_size} leaves no training speakers ({len(speakers)} available)")
    val = set(_allocate(speakers, n_val, rng))
    out = split.copy()
    out[speaker_groups(table).isin(val) & (split == "train")] = "val"
    return out


def speaker_kfold(table: pd.DataFrame, k: int = 5, seed: int = 0, val_size: float = 0.0) -> list:
    """``k`` speaker-independent folds: each speaker is the test speaker of exactly one fold.

    Speakers are shuffled inside each corpus/gender stratum and dealt to the folds in turn (the
    deal continues across strata), so fold sizes differ by at most one speaker and each fold gets
    a similar mix of corpora and genders.

    Parameters
    ----------
    table : pandas.DataFrame
    k : int
        Number of folds, at least 2 and at most the number of speakers.
    seed : int
    val_size : float
        Fraction of each fold's training speakers moved to ``"val"`` (default none).

    Returns
    -------
    list of pandas.Series
        One split per fold, ``"test"`` for that fold's speakers.

    Examples
    --------
    >>> for split in speaker_kfold(table, k=5, seed=0):    # doctest: +SKIP
    ...     check_disjoint(table, split)
    """
    _check_table(table)
    _check_fraction("val_size", val_size)
    speakers = _speaker_table(table)
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 2 <= k <= len(speakers):
        raise ValueError(f"k must be an integer between 2 and the number of speakers ({len(speakers)}), not {k!r}")
    rng = np.random.default_rng(seed)
    fold_of = {}
    position = 0
    for stratum in sorted(speakers["stratum"].unique()):
        for name in rng.permutation(speakers.loc[speakers["stratum"] == stratum, "speaker"].to_numpy()):
            fold_of[name] = position % k
            position += 1
    splits = []
    for fold in range(k):
        part = {s: ("test" if f == fold else "train") for s, f in fold_of.items()}
        splits.append(_validation_from_training(table, _as_split(table, part), val_size, rng))
    return splits


def fixed_folds(table: pd.DataFrame, folds, *, corpus: str | None = None, val_size: float = 0.0, seed: int = 0) -> list:
    """Splits from predefined groups of actors, e.g. ``[[1, 11, 20, 21], [2, 12, 13, 22], ...]``.

    Each group is the test part of one split; all other speakers train (speakers in no group
    always train).

    Parameters
    ----------
    table : pandas.DataFrame
    folds : list of lists
        Actor numbers (``int``, of ``corpus``) or speaker keys (``"ravdess:01"``) per fold.
    corpus : str, optional
        Corpus the actor numbers refer to; may be omitted when the table holds one corpus.
    val_size : float
        Fraction of each split's training speakers moved to ``"val"`` (default none).
    seed : int
        Seed of the validation draw.

    Returns
    -------
    list of pandas.Series
        One split per group of actors.

    Raises
    ------
    ValueError
        An actor that is not in the table, an actor in two folds, or bare numbers that are
        ambiguous because the table holds several corpora.

    Examples
    --------
    >>> splits = fixed_folds(table, [[1, 11, 20, 21], [2, 12, 13, 22]])  # doctest: +SKIP
    """
    _check_table(table)
    _check_fraction("val_size", val_size)
    if not isinstance(folds, (list, tuple)) or not folds or not all(isinstance(f, (list, tuple)) and f for f in folds):
        raise ValueError("folds must be a non-empty list of non-empty lists of actors")
    corpora = sorted(table["corpus"].astype(str).unique())
    known = set(speaker_groups(table))

    def key(actor) -> str:
        if isinstance(actor, str):
            return actor
        if corpus is None and len(corpora) > 1:
            raise ValueError(f"folds give bare actor numbers but the table holds corpora {corpora}: pass corpus= or use keys like 'ravdess:01'")
        return f"{corpus or corpora[0]}:{int(actor):02d}"

    fold_keys = [[key(a) for a in fold] for fold in folds]
    seen = {}
    for i, fold in enumerate(fold_keys):
        for s in fold:
            if s not in known:
                raise ValueError(f"folds[{i}] names speaker {s}, which has no clip in the table")
            if s in seen:
                raise ValueError(f"speaker {s} is in folds[{seen[s]}] and folds[{i}]")
            seen[s] = i
    rng = np.random.default_rng(seed)
    splits = []
    for fold in fold_keys:
        part = {s: ("test" if s in fold else "train") for s in known}
        splits.append(_validation_from_training(table, _as_split(table, part), val_size, rng))
    return splits


def check_disjoint(table: pd.DataFrame, split: pd.Series) -> None:
    """Raise ValueError if any speaker has clips in more than one part of ``split``.

    Parameters
    ----------
    table : pandas.DataFrame
        With ``corpus`` and ``actor`` columns.
    split : pandas.Series
        ``"train"``/``"val"``/``"test"`` per clip, aligned with ``table``.

    Examples
    --------
    >>> check_disjoint(table, speaker_split(table))   # doctest: +SKIP
    """
    if len(split) != len(table) or not split.index.equals(table.index):
        raise ValueError("split must be aligned with table (same length and index)")
    unknown = sorted(set(split.unique()) - set(PARTS))
    if unknown:
        raise ValueError(f"split holds values {unknown}; expected {PARTS}")
    parts = pd.DataFrame({"speaker": speaker_groups(table), "part": split}).groupby("speaker")["part"].unique()
    shared = {s: sorted(p) for s, p in parts.items() if len(p) > 1}
    if shared:
        shown = ", ".join(f"{s} in {'/'.join(p)}" for s, p in list(shared.items())[:5])
        more = f" and {len(shared) - 5} more" if len(shared) > 5 else ""
        raise ValueError(f"{len(shared)} speaker(s) appear in more than one part: {shown}{more}")


def split_indices(split: pd.Series) -> dict:
    """Positional index arrays ``{"train": ..., "val": ..., "test": ...}`` of a split.

    Examples
    --------
    >>> split_indices(pd.Series(["train", "test", "train"]))["train"].tolist()
    [0, 2]
    """
    values = np.asarray(split)
    return {p: np.flatnonzero(values == p) for p in PARTS}
