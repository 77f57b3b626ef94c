"""Speaker-independent RAVDESS benchmark: the seed recipe, the course's networks and the field's baselines on EmoBox's folds.

Usage::

    python benchmarks/ravdess_folds.py data/ravdess
    python benchmarks/ravdess_folds.py data/ravdess --recipes seed,course,course+spk-norm --out results.csv
    python benchmarks/ravdess_folds.py /tmp/demo/RAVDESS-demo-synthetic --quick

Recipes (all by default): seed, course, conv, ensemble (conv and course averaged), and the
openSMILE baselines egemaps and compare (they need ``pip install -r requirements-baselines.txt``),
each also with ``+spk-norm`` (per-speaker normalisation) except seed.

Six folds, each holding out four actors (EmoBox's RAVDESS folds; on a corpus lacking some
actors, each fold keeps the actors present and empty folds are dropped; ``--folds auto`` uses
speaker-stratified k-fold instead).  In each fold the course recipes deal the training actors
into five groups, each held out by two of the ten ensemble members for early stopping (never the
test fold); their out-of-fold accuracy is printed as the validation figure.  Prints per-fold and
mean ± sd test accuracy (WA), unweighted average recall (UAR), macro F1, training seconds and
epochs, the chance level and the gain over the seed recipe from this one run.  Features are
cached in a temporary folder unless --cache-dir is given; nothing is written to the repository
unless --out says so.
The logic lives in utils/evaluation/benchmark.py and utils/evaluation/folds.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from utils.evaluation.benchmark import RECIPES
from utils.features.config import level_argument
from utils.learn.recipes import COURSE


def main(argv=None) -> int:
    """Parse the arguments, run the benchmark, print the table; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", help="RAVDESS folder (e.g. data/ravdess or the demo's RAVDESS-demo-synthetic)")
    parser.add_argument("--recipes", default=",".join(RECIPES), help=f"comma-separated recipes among {', '.join(RECIPES)} (default: all)")
    parser.add_argument("--epochs-scale", type=float, default=1.0, help="multiply every epoch count by F (default 1)")
    parser.add_argument("--folds", choices=("emobox", "auto"), default="emobox", help="EmoBox's fixed folds (default) or speaker k-fold")
    parser.add_argument("--only-folds", default=None, help="comma-separated fold numbers to run (e.g. 4,5,6), to finish a run in parts")
    parser.add_argument("--quick", action="store_true", help="smoke test: epochs x0.1, first 2 folds, 2 networks per ensemble")
    parser.add_argument("--class-path", action="store_true", help="train conv and course as notebook 05's class path does (2 networks per ensemble, Conv1Ds at most 20 epochs)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the validation groups and the models (default 0)")
    parser.add_argument("--level-db", type=level_argument, default=COURSE.features.level_db, metavar="DBFS",
                        help=f"bring every clip to this active level before the course's features, or 'none' (FeatureConfig.level_db; default {COURSE.features.level_db})")
    parser.add_argument("--cache-dir", default=None, help="feature cache folder (default: a temporary folder)")
    parser.add_argument("--out", default=None, help="write the per-fold results as CSV here")
    args = parser.parse_args(argv)

    from utils.evaluation.benchmark import format_table, run_benchmark

    recipes = [r.strip() for r in args.recipes.split(",") if r.strip()]
    start = time.perf_counter()
    results = run_benchmark(
        args.corpus, recipes, folds=args.folds, epochs_scale=args.epochs_scale, quick=args.quick,
        cache_dir=args.cache_dir, seed=args.seed, class_path=args.class_path,
        level_db=args.level_db,
        only_folds=[int(f) for f in args.only_folds.split(",")] if args.only_folds else None, log=lambda line: print(line, flush=True),
    )
    print()
    print(format_table(results))
    features = ", ".join(f"{k} {v:.0f} s" for k, v in results.attrs["feature_seconds"].items())
    print(f"features: {features}; total run time {time.perf_counter() - start:.0f} s")
    if args.out:
        results.to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
