"""Train the course's model on one corpus and test it on another (e.g. RAVDESS -> EmoDB).

Usage::

    python benchmarks/cross_corpus.py path/to/ravdess path/to/emodb [--out benchmarks/results/cross_corpus_emodb.csv]
    python benchmarks/cross_corpus.py path/to/ravdess path/to/emodb --also-train path/to/cremad

With ``--also-train``, the model trains on several corpora, each weighing the same in total.

Prints, single-clip and with per-speaker adaptation, accuracy, UAR and macro F1 with chance, the
per-class recall and the share of clips predicted as each class (see
``utils/evaluation/crosscorpus.py``), and the seconds it took.  The test corpus is never used to
choose anything.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from utils.data.scan import scan_corpus
from utils.evaluation.crosscorpus import class_table, cross_corpus, format_cross_corpus, result_table
from utils.features.config import level_argument
from utils.learn.recipes import CONV, COURSE


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("train", type=Path, help="folder of the training corpus (RAVDESS or CREMA-D names)")
    parser.add_argument("test", type=Path, help="folder of the test corpus (RAVDESS, CREMA-D or EmoDB names)")
    parser.add_argument("--also-train", type=Path, action="append", default=[], metavar="FOLDER",
                        help="another training corpus (repeatable); the corpora are weighted to count the same")
    parser.add_argument("--out", type=Path, help="write the tables to this CSV (and <out>.classes.csv)")
    parser.add_argument("--cache", type=Path, help="feature cache folder (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", choices=("course", "conv", "joint"), default="joint",
                        help="what to train: the statistics recipe, the Conv1D recipe, or both averaged (the course's model; default)")
    parser.add_argument("--level-db", type=level_argument, default=COURSE.features.level_db, metavar="DBFS",
                        help=f"bring every clip to this active level before the course's features, or 'none' (FeatureConfig.level_db; default {COURSE.features.level_db})")
    args = parser.parse_args(argv)
    recipe, conv = COURSE.at_level(args.level_db), CONV.at_level(args.level_db)
    started = time.perf_counter()
    train = pd.concat([scan_corpus(folder, read_samples=False).table for folder in [args.train, *args.also_train]], ignore_index=True)
    test = scan_corpus(args.test, read_samples=False).table
    with tempfile.TemporaryDirectory(prefix="ser-cross-") as tmp:
        results = cross_corpus(train, test, model=args.model, recipe=recipe, conv=conv, cache_dir=args.cache or tmp, seed=args.seed, log=lambda line: print(line, flush=True))
    print(format_cross_corpus(results, " + ".join(f.name for f in [args.train, *args.also_train]), args.test.name))
    print(f"whole run: {time.perf_counter() - started:.0f} s")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        result_table(results).to_csv(args.out, index=False)
        class_table(results).to_csv(args.out.with_suffix(".classes.csv"))
        print(f"wrote {args.out} and {args.out.with_suffix('.classes.csv')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
