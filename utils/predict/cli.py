"""The command line ``python -m utils.predict``: clips or long recordings to a CSV file.

Examples
--------
::

    python -m utils.predict recordings/ --model models/demo --out results.csv
    python -m utils.predict interview.wav --model models/demo --timeline --window 3 --hop 1 --out timeline.csv
    python -m utils.predict interviews/ --speakers-from-folders --out results.csv
    python -m utils.predict interview.wav --timeline --adapt --out timeline.csv
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

from ..data.audio import AudioError
from ..data.quality import FLAGS, SILENCE_DB, flag_counts
from .bundle import BundleError
from .clips import DEFAULT_BUNDLE, collect_inputs, get_bundle, predict_folder, resolve_speakers
from .timeline import predict_timeline

EXIT_OK, EXIT_NOTHING, EXIT_USAGE, EXIT_BUNDLE = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m utils.predict``."""
    parser = argparse.ArgumentParser(
        prog="python -m utils.predict",
        description=(
            "Predict the emotion of audio files with a trained model bundle. By default each file is one clip "
            "(one prediction per file); with --timeline each file is a long recording cut into overlapping "
            "windows (one prediction per window, silent windows marked 'silence')."
        ),
        epilog=(
            "Files that cannot be used (not audio, truncated, silent, too short) are skipped and listed with the "
            "reason; with --out they are also written to <out>.skipped.csv (and, in clip mode, finished parts of a long batch to <out>.partial.csv until the end). Exit status: 0 when at least one file "
            "was processed, 1 when none could be, 2 for a usage error, 3 when the model bundle is missing or "
            "invalid. Example: python -m utils.predict recordings/ --model models/demo --out results.csv"
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATHS", help="audio files and/or folders (folders are searched recursively for .wav, .flac, .ogg, .aiff, .mp3 files)")
    parser.add_argument("--model", metavar="DIR", default=str(DEFAULT_BUNDLE), help="model bundle folder written by utils.predict.bundle.save_bundle (default: models/demo of the course)")
    parser.add_argument("--out", metavar="CSV", default=None, help="write the predictions to this CSV file (path, emotion, confidence, one probability column per class; with --timeline also start, end, silent, rms_db). Without --out the first rows are printed")
    parser.add_argument("--timeline", action="store_true", help="treat each file as a long recording: predict overlapping windows instead of the whole file")
    parser.add_argument("--window", metavar="S", type=float, default=3.0, help="--timeline: window length in seconds (default 3.0)")
    parser.add_argument("--hop", metavar="S", type=float, default=1.0, help="--timeline: seconds between window starts (default 1.0)")
    parser.add_argument("--silence-db", metavar="DB", type=float, default=SILENCE_DB, help=f"--timeline: windows with an RMS level below this many dBFS are marked silence (default {SILENCE_DB:g})")
    who = parser.add_argument_group(
        "speaker adaptation",
        "With several recordings of the same person, the bundle's speaker-adapted model can compare each clip with that "
        "person's own average voice (no labels needed). Use it only when the files really are grouped by speaker; a speaker "
        "with too little speech gets the single-clip model, and the summary says so.",
    )
    choice = who.add_mutually_exclusive_group()
    choice.add_argument("--speaker", metavar="NAME", default=None, help="all the files are one speaker")
    choice.add_argument("--speakers-from-folders", action="store_true", help="each file's speaker is the name of the folder holding it (one folder per person)")
    choice.add_argument("--speakers", metavar="CSV", default=None, help="a CSV file with a 'file' column (file name, or path relative to the folder given) and a 'speaker' column")
    choice.add_argument("--adapt", action="store_true", help="--timeline: each recording is one speaker")
    parser.add_argument("--jobs", metavar="N", type=int, default=-1, help="processes for decoding and features: 1 = this process only, -1 = all cores (default -1; extra processes start only when there are enough files to repay them)")
    parser.add_argument("--batch-size", metavar="N", type=int, default=256, help="clips or windows per model call (default 256)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def _print_summary(results: pd.DataFrame, skipped: pd.DataFrame, seconds: float, timeline: bool, out=None, notes=(), doubtful=()):
    out = out or sys.stdout
    unit = "windows" if timeline else "files"
    print(f"predicted {len(results)} {unit} in {seconds:.1f} s; skipped {len(skipped)} file(s)", file=out)
    if len(results):
        counts = results["emotion"].value_counts()
        print("predicted emotions: " + ", ".join(f"{e} {n}" for e, n in counts.items()), file=out)
    flagged = flag_counts(results["flags"]) if "flags" in results else {}
    if flagged:
        print(f"doubtful: {int((results['flags'] != '').sum())} of {len(results)} {unit} flagged (kept; see the flags column):", file=out)
        for flag, n in flagged.items():
            print(f"  {flag}: {n} ({FLAGS.get(flag, '')})", file=out)
    if doubtful:
        print("doubtful recordings (predicted; check them):", file=out)
        for note in doubtful:
            print(f"  {note}", file=out)
    if notes:
        print("speaker adaptation:", file=out)
        for note in notes:
            print(f"  {note}", file=out)
    if len(skipped):
        print("skipped:", file=out)
        for row in skipped.itertuples(index=False):
            print(f"  {row.path}: {row.reason}", file=out)


def _out_problem(out: Path) -> str | None:
    """Why the results could not be written to ``out`` (checked before any work), or None."""
    if out.is_dir():
        return "is a folder; give a file name such as results.csv"
    folder = out.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"its folder {folder} cannot be created ({exc.strerror or exc})"
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK) or (out.exists() and not os.access(out, os.W_OK)):
        return "cannot be written (no permission)"
    return None


PART_FILES = 1000
"""Clip mode predicts this many files at a time; with --out each part is appended to
``<out>.partial.csv`` as soon as it is done, so an interrupted batch keeps what it finished."""


def _predict_in_parts(files, bundle, args) -> tuple:
    """:func:`predict_folder` on :data:`PART_FILES` files at a time, written as they come with --out."""
    partial = Path(args.out).with_suffix(".partial.csv") if args.out else None
    parts, skipped = [], []
    for start in range(0, len(files), PART_FILES):
        results, bad = predict_folder(files[start : start + PART_FILES], bundle, progress=not args.quiet, batch_size=args.batch_size, n_jobs=args.jobs)
        if partial is not None and len(results):
            results.to_csv(partial, mode="a" if partial.exists() and start else "w", header=not (partial.exists() and start), index=False)
        parts.append(results)
        skipped.append(bad)
    results = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    if partial is not None:
        partial.unlink(missing_ok=True)  # the whole table is written to --out next
    return results, pd.concat(skipped, ignore_index=True)


def _run_timeline(files, bundle, args) -> tuple:
    parts, skipped, notes, doubtful = [], [], [], []
    for path in files:
        try:
            table = predict_timeline(
                path, bundle, window=args.window, hop=args.hop, silence_db=args.silence_db, batch_size=args.batch_size,
                n_jobs=args.jobs, progress=not args.quiet, adapt=args.adapt,
            )
        except AudioError as exc:
            skipped.append({"path": str(path), "reason": exc.reason})
            continue
        if args.adapt:
            notes.append(f"{path}: {table.attrs['note']}")
        problems = [f"{flag} ({FLAGS[flag]})" for flag in table.attrs["flags"]] + ([table.attrs["level_note"]] if table.attrs["level_note"] else [])
        if problems:
            doubtful.append(f"{path}: " + "; ".join(problems))
        table.insert(0, "path", str(path))
        parts.append(table)
    results = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return results, pd.DataFrame(skipped, columns=["path", "reason"]), notes, doubtful


def _speaker_notes(results: pd.DataFrame) -> list:
    summary = results.attrs.get("speakers")
    if summary is None:
        return []
    return [f"{'(no speaker)' if pd.isna(r.speaker) else r.speaker}: {r.note}" for r in summary.itertuples(index=False)]


def main(argv=None) -> int:
    """Entry point of ``python -m utils.predict``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    if args.jobs == 0:
        parser.error("--jobs must be a non-zero number of processes (-1 for all cores)")
    if args.timeline and not (args.window > 0 and args.hop > 0):
        parser.error("--window and --hop must be positive")
    if args.adapt and not args.timeline:
        parser.error("--adapt applies to --timeline (one recording, one speaker); for clips give --speaker, --speakers or --speakers-from-folders")
    if args.timeline and (args.speaker or args.speakers or args.speakers_from_folders):
        parser.error("with --timeline each recording is one speaker: use --adapt")
    if args.speakers is not None and not Path(args.speakers).is_file():
        parser.error(f"--speakers {args.speakers}: no such file")
    problem = _out_problem(Path(args.out)) if args.out else None
    if problem:
        parser.error(f"--out {args.out}: {problem}")
    started = time.perf_counter()
    files, not_taken = collect_inputs(args.paths)
    if not files:
        for row in not_taken.itertuples(index=False):
            print(f"error: {row.path}: {row.reason}", file=sys.stderr)
        return EXIT_NOTHING
    try:
        bundle = get_bundle(args.model, background=True)
        doubtful = []
        if args.timeline:
            results, skipped, notes, doubtful = _run_timeline(files, bundle, args)
        else:
            speakers = "folder" if args.speakers_from_folders else args.speakers
            if speakers is not None and speakers != "folder":  # a table naming files relative to the folders given
                who = resolve_speakers(files, args.paths, speakers=speakers)
                speakers = {str(f): s for f, s in zip(files, who) if s is not None}
            if speakers is None and args.speaker is None:
                results, skipped = _predict_in_parts(files, bundle, args)
            else:  # a speaker's clips are adapted together, so they are predicted in one pass
                results, skipped = predict_folder(
                    files, bundle, speakers=speakers, speaker=args.speaker, progress=not args.quiet, batch_size=args.batch_size, n_jobs=args.jobs,
                )
            notes = _speaker_notes(results)
    except BundleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUNDLE
    except ValueError as exc:  # e.g. a window shorter than the bundle's analysis window
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    skipped = pd.concat([not_taken, skipped], ignore_index=True) if len(not_taken) else skipped
    _print_summary(results, skipped, time.perf_counter() - started, args.timeline, notes=notes, doubtful=doubtful)
    if args.out:
        out = Path(args.out)
        results.to_csv(out, index=False)
        print(f"wrote {out}")
        if len(skipped):
            skipped_path = out.with_name(out.stem + ".skipped.csv")
            skipped.to_csv(skipped_path, index=False)
            print(f"wrote {skipped_path}")
    elif len(results):
        with pd.option_context("display.width", 160, "display.max_columns", 20):
            print(results.head(20).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return EXIT_OK if len(results) else EXIT_NOTHING


if __name__ == "__main__":
    sys.exit(main())
