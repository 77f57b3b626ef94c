"""How many clips of a folder carry each quality flag, and the spread of their levels.

Usage::

    python benchmarks/quality_flags.py path/to/ravdess
    python benchmarks/quality_flags.py path/to/emodb

Measures every audio file below the folder as folder prediction does
(``utils.predict.clips.file_quality`` with the course's feature configuration, and
``utils.data.quality.quality_flags``), without a model, and prints the count
of each flag, the percentiles of the active level (dBFS) and the seconds it took.  Files that
cannot be read are counted with their reason.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from utils.core.files import walk_files
from utils.data.audio import AUDIO_SUFFIXES, AudioError
from utils.data.quality import FLAGS, SILENCE_DB, quality_flags
from utils.learn.recipes import COURSE
from utils.predict.clips import file_quality


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path, help="a folder of audio files (searched recursively)")
    args = parser.parse_args(argv)
    files = [p for p in walk_files(args.folder) if p.suffix.lower() in AUDIO_SUFFIXES]
    if not files:
        print(f"error: {args.folder}: no audio files ({', '.join(AUDIO_SUFFIXES)})", file=sys.stderr)
        return 1
    started = time.perf_counter()
    flags, levels, unreadable = Counter(), [], Counter()
    for path in files:
        try:
            measures = file_quality(path, COURSE.features)
        except AudioError as exc:
            unreadable[exc.reason] += 1
            continue
        levels.append(measures["active_db"])
        flags.update(quality_flags(measures))
    seconds = time.perf_counter() - started
    print(f"{len(files)} files, {len(levels)} measured in {seconds:.1f} s")
    for flag in FLAGS:
        print(f"  {flag:16s} {flags[flag]:5d} ({100 * flags[flag] / max(len(levels), 1):.1f}%)  {FLAGS[flag]}")
    if levels:
        q = np.percentile(levels, [0, 1, 5, 50, 95, 100])
        print(f"active level (dBFS): min {q[0]:.1f}, 1% {q[1]:.1f}, 5% {q[2]:.1f}, median {q[3]:.1f}, 95% {q[4]:.1f}, max {q[5]:.1f}; silence level {SILENCE_DB:g}")
    for reason, n in unreadable.items():
        print(f"  unreadable: {n} x {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
