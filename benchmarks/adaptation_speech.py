"""How much speech does speaker adaptation need?  Measured on validation speakers of RAVDESS folds.

Usage::

    python benchmarks/adaptation_speech.py path/to/ravdess [--folds 1,2] [--out benchmarks/results/adaptation_speech.csv]

For each fold (EmoBox's folds; only the fold's *training* actors are used, never its test actors),
the course recipe is trained twice with rotating validation (:func:`utils.learn.recipes.train_course_cv`):
on the statistics as they are (single-clip) and on speaker-normalised statistics (adapted).  Every
network holds out one group of training actors; for those held-out actors,
:func:`utils.evaluation.adaptation.adaptation_curve` draws k of each actor's clips, normalises them
with their own statistics, and compares the adapted networks with the single-clip networks on the
same clips.  Prints accuracy against k and the seconds of speech in k clips, and the smallest
amount of speech from which adaptation is at least as accurate as single clips
(:func:`utils.evaluation.adaptation.break_even`): the bundle's ``min_speech_seconds``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd

KS = (2, 3, 4, 6, 8, 12, 16, 24, 32, 60)


def fold_curves(data, split, seconds, *, ks=KS, n_draws: int = 10, seed: int = 0) -> list:
    """Curves of every validation group of one fold (see the module docstring)."""
    from utils.evaluation.adaptation import adaptation_curve
    from utils.evaluation.folds import _parts
    from utils.learn.networks import ensemble_members
    from utils.learn.recipes import COURSE, train_course_cv
    from utils.learn.scaling import apply_scaler, speaker_normalize

    parts = _parts(split)
    pool = parts["train"] | parts["val"]
    X, y, spk = data.course_X[pool], data.y[pool], data.speakers[pool]
    table = data.table[pool].reset_index(drop=True)
    n = data.encoder.n_classes
    single, s_scaler, s_info = train_course_cv(X, y, table, n, seed=seed)
    adapted, a_scaler, a_info = train_course_cv(speaker_normalize(X, spk), y, table, n, seed=seed)
    s_members, a_members = ensemble_members(single), ensemble_members(adapted)
    groups = a_info["groups"]
    assert groups == s_info["groups"], "both ensembles hold out the same groups"
    curves = []
    for g, held in enumerate(groups):
        rows = np.isin(spk, held)
        idx = [m for m in range(COURSE.n_models) if m % len(groups) == g]

        def predict_adapted(Xn, idx=idx):
            Xs = apply_scaler(a_scaler, Xn)
            return np.mean([a_members[m].predict(Xs, verbose=0, batch_size=256) for m in idx], axis=0)

        Xs = apply_scaler(s_scaler, X[rows])
        single_proba = np.mean([s_members[m].predict(Xs, verbose=0, batch_size=256) for m in idx], axis=0)
        curve = adaptation_curve(X[rows], y[rows], spk[rows], seconds[pool][rows], predict_adapted, single_proba, ks=ks, n_draws=n_draws, seed=seed + g)
        curves.append(curve.assign(group=g))
    return curves


def summarize_curves(curves: list) -> pd.DataFrame:
    """Mean over groups and folds, per number of clips (weighted by the clips predicted)."""
    allc = pd.concat(curves, ignore_index=True)
    out = []
    for k, part in allc.groupby("clips"):
        w = part["n_clips"].to_numpy(float)
        out.append({
            "clips": int(k), "speech_seconds": float(np.median(part["speech_seconds"])),
            "adapted": float(np.average(part["adapted"], weights=w)), "single": float(np.average(part["single"], weights=w)),
            "gain": float(np.average(part["gain"], weights=w)), "groups": len(part),
        })
    return pd.DataFrame(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", help="RAVDESS folder")
    parser.add_argument("--folds", default="1,2", help="comma-separated EmoBox folds to use (default 1,2)")
    parser.add_argument("--draws", type=int, default=10, help="random draws of k clips per speaker (default 10)")
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--out", type=Path, default=None, help="write the curve as CSV")
    args = parser.parse_args(argv)

    from utils.evaluation.adaptation import break_even
    from utils.evaluation.folds import benchmark_folds, load_clips, prepare_data
    from utils.features.extract import extract_corpus
    from utils.learn.recipes import COURSE

    started = time.perf_counter()
    table = load_clips(args.corpus)
    with tempfile.TemporaryDirectory(prefix="ser-adapt-") as tmp:
        cache = args.cache_dir or tmp
        data = prepare_data(table, ("course",), cache_dir=cache)
        fs = extract_corpus(table, COURSE.features, with_frames=True, cache_dir=cache, progress=False)
    seconds = fs.rows.set_index("index").loc[table.index, "duration"].to_numpy(float)
    folds = benchmark_folds(table, "emobox")
    wanted = [int(f) for f in args.folds.split(",")]
    curves = []
    for f in folds:
        if f["fold"] in wanted:
            curves += fold_curves(data, f["split"], seconds, n_draws=args.draws)
            print(f"fold {f['fold']} done ({time.perf_counter() - started:.0f} s)", flush=True)
    summary = summarize_curves(curves)
    print(summary.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    minimum = break_even(summary)
    print(f"median speech per clip: {np.median(seconds):.2f} s")
    print("adaptation is never better than single clips" if minimum is None else
          f"adaptation is at least as accurate as single clips from {minimum:.1f} s of speech on")
    print(f"validation speakers of folds {wanted}; whole run {time.perf_counter() - started:.0f} s")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        summary.to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
