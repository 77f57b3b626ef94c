"""The command ``python -m utils.data.demo``: generate the demo corpus from a shell.

Examples
--------
From a shell::

    python -m utils.data.demo --out data/demo --seed 0 --force
    python -m utils.data.demo --size full          # the real corpora's size, into data/demo-full
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ...core.paths import demo_dir
from .corpus import DEFAULT_SIZE, SIZES, corpus_is_intact, corpus_plan, make_demo_corpus


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface of ``python -m utils.data.demo``."""
    parser = argparse.ArgumentParser(
        prog="python -m utils.data.demo",
        description="Generate the course's SYNTHETIC demo corpus (generated sounds, not real speech) "
                    "in RAVDESS and CREMA-D layout, for running the notebooks offline.",
    )
    parser.add_argument("--out", type=Path, default=None,
                        help="folder to write into (default: data/demo in the repository, or "
                             "$SER_DATA_DIR/demo; data/demo-full for --size full); only its two "
                             "corpus folders, README.txt and manifest.json are replaced")
    parser.add_argument("--size", choices=sorted(SIZES), default=DEFAULT_SIZE,
                        help="small: the course's demo, 8 actors in each part, 512 clips (default); "
                             "full: the real corpora's size, RAVDESS 24 actors x 60 clips and "
                             "CREMA-D 91 actors x 82 clips, 8,902 clips, about 930 MB, for "
                             "measuring time and memory (the course uses it with SER_DEMO_SIZE=full)")
    parser.add_argument("--seed", type=int, default=0,
                        help="random seed; the same seed always gives the same bytes (default: 0)")
    parser.add_argument("--force", action="store_true",
                        help="regenerate even if an intact corpus with this seed is already there")
    parser.add_argument("--n-jobs", type=int, default=-1,
                        help="parallel worker processes, as in scikit-learn: -1 all cores "
                             "(default), 1 a single process; the output does not depend on it")
    return parser


def main(argv=None) -> int:
    """Run the command line; returns the exit status.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 for a bad argument.
    """
    args = build_parser().parse_args(argv)
    if args.seed < 0:
        print("--seed must be a non-negative integer", file=sys.stderr)
        return 2
    if args.n_jobs == 0:
        print("--n-jobs must be -1 (all cores) or a non-zero number of processes", file=sys.stderr)
        return 2
    out = args.out if args.out is not None else demo_dir(args.size)
    start = time.perf_counter()
    if not args.force and corpus_is_intact(out, args.seed, size=args.size):
        print(f"Demo corpus already present and intact in {out} (use --force to rebuild).")
        return 0
    make_demo_corpus(out, args.seed, n_jobs=args.n_jobs, size=args.size)
    n = len(corpus_plan(size=args.size))
    print(f"Generated {n:,} synthetic clips in {time.perf_counter() - start:.1f} s -> {out}")
    return 0
