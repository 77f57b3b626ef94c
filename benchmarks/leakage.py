"""Leakage experiment on a corpus folder: how much accuracy do common shortcuts invent?

Usage::

    python benchmarks/leakage.py data/ravdess --seeds 5
    python benchmarks/leakage.py data/demo --seeds 3

Trains the same quick model (utils.evaluation.leakage.quick_model) on the same clips and features under the
three protocols of notebook 04, for several seeds, and prints per-seed results and the mean and
standard deviation of accuracy and unweighted average recall, with chance level.  Features are
cached in a temporary folder unless --cache-dir is given; nothing is written to the repository.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time

import pandas as pd

from utils.data.augment import Augmentation
from utils.data.scan import assign_labels, scan_corpus
from utils.evaluation.leakage import leakage_experiment, leakage_summary
from utils.features.config import FeatureConfig
from utils.features.extract import extract_corpus


def main(argv=None) -> int:
    """Run the experiment and print its tables; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", help="corpus folder (RAVDESS and/or CREMA-D files, any layout)")
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (splits and model initialisations), default 5")
    parser.add_argument("--test-size", type=float, default=0.2, help="fraction of clips/speakers held out for testing, default 0.2")
    parser.add_argument("--snr", type=float, default=20.0, help="SNR in dB of the one noisy copy per clip, default 20")
    parser.add_argument("--cache-dir", default=None, help="feature cache folder (default: a temporary folder)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    scan = scan_corpus(args.corpus, read_samples=False)
    clips = assign_labels(scan.table[scan.table["channel"] == "speech"].reset_index(drop=True))
    with tempfile.TemporaryDirectory() as tmp:
        features = extract_corpus(
            clips["path"].tolist(), FeatureConfig(), augmentations=[Augmentation("noise", args.snr)],
            cache_dir=args.cache_dir or tmp, progress=False,
        )
    print(f"{len(clips)} clips, {clips['speaker'].nunique()} speakers, {clips['label'].nunique()} classes "
          f"(chance {1 / clips['label'].nunique():.1%}); features in {time.perf_counter() - start:.1f} s")
    results = leakage_experiment(clips, features, seeds=range(args.seeds), test_size=args.test_size)
    with pd.option_context("display.width", 160, "display.precision", 3):
        print(results.to_string(index=False))
        print()
        print(leakage_summary(results).to_string(index=False))
    print(f"total {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
