"""Does the course's model depend on how loud a recording was made?  RAVDESS at two gains.

Usage::

    python benchmarks/gain_sensitivity.py path/to/ravdess                      # levels as the recipes set them
    python benchmarks/gain_sensitivity.py path/to/ravdess --level-db none       # levels as recorded
    python benchmarks/gain_sensitivity.py path/to/ravdess --gain-db 20 --test-actors 21,22,23,24 --out gain.csv

The model (``--model``, as in ``benchmarks/cross_corpus.py``) is trained on every RAVDESS actor
but the test actors, and tested twice on the test actors: as recorded, and with every sample
multiplied by ``10 ** (gain_db / 20)`` (the same speech through a microphone set ``gain_db``
louder; written as 32-bit float WAV in a temporary folder, so nothing clips).  A model whose
features follow the recording level answers differently for the louder copy; with
``FeatureConfig.level_db`` set, every clip is brought to one active level first, and the two
answers agree.  Prints, for each version and setting (single clips, per-speaker adapted),
accuracy, UAR and the most predicted class with its share; no choice is made on the test actors.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd
import soundfile as sf

from utils.data.scan import scan_corpus
from utils.evaluation.crosscorpus import cross_corpus, result_table
from utils.features.config import level_argument
from utils.learn.recipes import CONV, COURSE


def louder_copies(table: pd.DataFrame, gain_db: float, folder: Path) -> pd.DataFrame:
    """The clips of ``table`` written ``gain_db`` louder as float WAV under ``folder``, same names."""
    rows = []
    for row in table.itertuples():
        y, sr = sf.read(row.path, dtype="float32")
        out = folder / Path(row.path).with_suffix(".wav").name
        sf.write(out, y * 10 ** (gain_db / 20), sr, subtype="FLOAT")
        rows.append(out)
    return table.assign(path=[str(p) for p in rows])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("ravdess", type=Path, help="RAVDESS folder")
    parser.add_argument("--test-actors", default="21,22,23,24", help="comma-separated actors held out (default 21,22,23,24)")
    parser.add_argument("--gain-db", type=float, default=20.0, help="how much louder the second copy is (default 20 dB)")
    parser.add_argument("--level-db", type=level_argument, default=COURSE.features.level_db, metavar="DBFS",
                        help=f"FeatureConfig.level_db of the recipes, or 'none' (default {COURSE.features.level_db})")
    parser.add_argument("--model", choices=("course", "conv", "joint"), default="course", help="what to train (default: the statistics recipe)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="write the table to this CSV")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    actors = {int(a) for a in args.test_actors.split(",") if a.strip()}
    table = scan_corpus(args.ravdess, read_samples=False).table
    held_out = table["actor"].astype(int).isin(actors)
    if not held_out.any() or held_out.all():
        raise SystemExit(f"--test-actors {sorted(actors)}: needs some but not all of the actors in {args.ravdess}")
    recipe, conv = COURSE.at_level(args.level_db), CONV.at_level(args.level_db)
    rows = []
    with tempfile.TemporaryDirectory(prefix="ser-gain-") as tmp:
        versions = {0.0: table[held_out], args.gain_db: louder_copies(table[held_out], args.gain_db, Path(tmp))}
        for gain, test in versions.items():
            results = cross_corpus(table[~held_out], test, model=args.model, recipe=recipe, conv=conv, cache_dir=Path(tmp) / "cache", seed=args.seed)
            rows.append(result_table(results).assign(gain_db=gain, level_db="none" if args.level_db is None else args.level_db, model=args.model))
    out = pd.concat(rows, ignore_index=True)[["model", "level_db", "gain_db", "setting", "accuracy", "uar", "chance_uar", "most_predicted", "most_predicted_share"]]
    (n_train, n_speakers), (n_test, _) = results["n_train"], results["n_test"]   # the clips of the shared emotions
    print(f"trained on {n_train} clips of {n_speakers} actors; tested on {n_test} clips of actors {sorted(actors)}")
    print(out.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"whole run: {time.perf_counter() - started:.0f} s")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        out.to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
