"""How much speech speaker adaptation needs: accuracy when a speaker's statistics come from few clips.

Speaker adaptation z-scores a speaker's inputs with that speaker's own mean and spread
(:func:`utils.learn.scaling.speaker_normalize`).  With many clips of a speaker these statistics are
stable; with two or three they are noisy, and with a single clip they are meaningless.
:func:`adaptation_curve` measures the trade-off on speakers a model has not trained on: for each
speaker it draws ``k`` of their clips at random, normalises those ``k`` clips with their own
statistics, predicts them with the adapted model, and compares with the single-clip model on the
same clips.  The smallest amount of speech at which adaptation is at least as accurate as the
single-clip model, :func:`break_even`, is the bundle's ``min_speech_seconds``
(``benchmarks/adaptation_speech.py`` measures it on validation speakers, never on test speakers).

Examples
--------
>>> curve = adaptation_curve(X, y, speakers, seconds, adapted, single, ks=(2, 4, 8))   # doctest: +SKIP
>>> break_even(curve)                                                                  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..learn.scaling import speaker_normalize


def adaptation_curve(X_adapted, y, speakers, seconds, predict_adapted, single_proba, *, ks=(2, 3, 4, 6, 8, 12, 16, 24), n_draws: int = 20, seed: int = 0, lengths=None) -> pd.DataFrame:
    """Accuracy of adapted and single-clip predictions when each speaker has only ``k`` clips.

    Parameters
    ----------
    X_adapted : np.ndarray
        Unnormalised inputs of the adapted model, one row (or sequence) per clip.
    y : array of int
        True class of every clip.
    speakers : sequence
        Speaker of every clip; every speaker must be unseen by both models.
    seconds : array of float
        Seconds of speech of every clip (after trimming).
    predict_adapted : callable
        Maps speaker-normalised inputs to class probabilities (scaler and model included).
    single_proba : np.ndarray
        The single-clip model's probabilities of every clip (it needs no other clip).
    ks : sequence of int
        Clips per speaker to try (values above a speaker's number of clips are skipped for it).
    n_draws : int
        Random draws of ``k`` clips per speaker and ``k``.
    seed : int
    lengths : array of int, optional
        Real frames of each sequence, for frame inputs.

    Returns
    -------
    pandas.DataFrame
        One row per ``k``: ``clips`` (k), ``speech_seconds`` (median over draws of the speech in the
        ``k`` clips), ``adapted`` and ``single`` (mean accuracy over draws and speakers),
        ``adapted_sd`` (sd over draws of the mean over speakers), ``gain`` (adapted - single)
        and ``n_clips`` (predictions per draw, summed over speakers).
    """
    y = np.asarray(y)
    speakers = np.asarray(speakers, dtype=object)
    seconds = np.asarray(seconds, dtype=float)
    single_ok = np.asarray(single_proba).argmax(axis=1) == y
    rng = np.random.default_rng(seed)
    by_speaker = {s: np.flatnonzero(speakers == s) for s in pd.unique(speakers)}
    rows = []
    for k in ks:
        adapted_acc, single_acc, speech, count = [], [], [], 0
        for _ in range(n_draws):
            picked, groups = [], []
            for s, rows_s in by_speaker.items():
                if len(rows_s) >= k:
                    chosen = rng.choice(rows_s, size=k, replace=False)
                    picked.append(chosen)
                    groups += [s] * k
                    speech.append(seconds[chosen].sum())
            if not picked:
                continue
            idx = np.concatenate(picked)
            Xn = speaker_normalize(X_adapted[idx], np.asarray(groups, dtype=object), lengths=None if lengths is None else np.asarray(lengths)[idx])
            pred = np.asarray(predict_adapted(Xn)).argmax(axis=1)
            adapted_acc.append(float((pred == y[idx]).mean()))
            single_acc.append(float(single_ok[idx].mean()))
            count = len(idx)
        if not adapted_acc:
            continue
        rows.append({
            "clips": int(k), "speech_seconds": float(np.median(speech)), "adapted": float(np.mean(adapted_acc)), "single": float(np.mean(single_acc)),
            "adapted_sd": float(np.std(adapted_acc, ddof=1)) if len(adapted_acc) > 1 else 0.0, "gain": float(np.mean(adapted_acc) - np.mean(single_acc)),
            "n_clips": int(count),
        })
    return pd.DataFrame(rows, columns=["clips", "speech_seconds", "adapted", "single", "adapted_sd", "gain", "n_clips"])


def break_even(curve: pd.DataFrame, *, margin: float = 0.0) -> float | None:
    """Speech (seconds) from which adaptation is at least ``margin`` more accurate than single clips.

    The smallest ``speech_seconds`` of ``curve`` (:func:`adaptation_curve`) from which every
    larger ``k`` also has ``gain >= margin``; ``None`` if adaptation never pays.

    Examples
    --------
    >>> curve = pd.DataFrame({"speech_seconds": [5.0, 10.0, 20.0, 40.0], "gain": [-0.05, 0.01, 0.04, 0.08]})
    >>> break_even(curve)
    10.0
    >>> break_even(curve, margin=0.03)
    20.0
    """
    curve = curve.sort_values("speech_seconds")
    ok = (curve["gain"] >= margin).to_numpy()
    if not ok.any() or not ok[-1]:
        return None
    first = len(ok) - int(np.argmin(ok[::-1])) if not ok.all() else 0
    return float(curve["speech_seconds"].iloc[first])
