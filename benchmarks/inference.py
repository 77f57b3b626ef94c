"""Benchmark of inference: clips per second on a folder, and a long recording's timeline.

Measures, each in a fresh Python process so that imports and model loading are counted:

(a) folder throughput: ``python -m utils.predict FOLDER --model BUNDLE --out CSV --quiet``, the
    command a user runs, timed from process start to exit (Python start-up, imports, TensorFlow,
    model load, decoding, features, prediction, CSV).  Reported as clips per second (predicted
    clips / wall seconds) with the CPU seconds of the process and its workers;
(b) timeline speed and memory: a synthetic recording of ``--minutes`` minutes (48 kHz 16-bit mono
    WAV, generated block by block in a temporary folder: speech-like voiced utterances of 1.5-5 s
    with pauses of 0.3-4 s and an occasional 10-30 s silence, over a -60 dBFS noise floor) goes
    through :func:`utils.predict.timeline.predict_timeline`.  Reported: wall seconds for the timeline call
    (bundle already loaded) and for the whole process, and peak resident memory of the process
    (``ru_maxrss``) next to its peak just before the call (Python, TensorFlow and the model), so that
    the timeline's own footprint (the difference) is visible.  Worker processes (``--jobs`` > 1 on
    larger machines) are not included; their CPU time is, once they have exited.

Bundle: ``--bundle DIR`` uses a saved bundle.  Without it the script *builds* one in the temporary
folder: an untrained :func:`utils.learn.networks.seed_conv1d` (``--kind vector``, 180 inputs) or
:func:`utils.learn.networks.temporal_conv1d` (``--kind frames``) with the default
:class:`~utils.features.config.FeatureConfig`, an identity scaler and RAVDESS's eight labels.  Its
predictions are meaningless, but the work per clip (decoding, features, a forward pass of the same
network) is exactly that of a trained bundle, so the timings hold for one.

Nothing is written inside the repository; the temporary folder is removed at the end unless
``--keep`` is given.  On a machine shared with other work the wall times are longer than on an idle
one: the script prints the load average before each measurement, and the CPU seconds.

Usage::

    python benchmarks/inference.py --clips data/ravdess --minutes 60
    python benchmarks/inference.py --bundle models/demo --clips data/demo --minutes 10 --jobs 2
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RAVDESS_LABELS = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]


# --------------------------------------------------------------------------------------------
# A bundle to measure with
# --------------------------------------------------------------------------------------------


def build_bundle(folder: Path, kind: str) -> Path:
    """Save an untrained bundle of the given input kind (see the module docstring)."""
    from utils.features.config import FeatureConfig
    from utils.learn.networks import seed_conv1d, temporal_conv1d
    from utils.learn.training import set_determinism
    from utils.predict.bundle import save_bundle

    config = FeatureConfig()
    set_determinism(0)
    if kind == "vector":
        model, size = seed_conv1d(config.vector_size, len(RAVDESS_LABELS)), config.vector_size
    else:
        model, size = temporal_conv1d(*config.frame_shape, len(RAVDESS_LABELS)), config.n_frame_features
    scaler = {"mean": [0.0] * size, "scale": [1.0] * size}
    return save_bundle(folder, model, config, scaler, RAVDESS_LABELS, input_kind=kind, extra={"note": "untrained, for benchmarks only"})


# --------------------------------------------------------------------------------------------
# A long synthetic recording
# --------------------------------------------------------------------------------------------


def utterance(rng: np.random.Generator, sr: int) -> np.ndarray:
    """A speech-like voiced utterance: harmonic source with a moving pitch, syllables, formants."""
    from scipy import signal

    seconds = rng.uniform(1.5, 5.0)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    f0 = rng.uniform(95, 240) * (1 + 0.15 * np.sin(2 * np.pi * rng.uniform(0.3, 1.2) * t + rng.uniform(0, 6)) - 0.1 * t / seconds)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    source = np.zeros(n)
    for k in range(1, 40):
        active = k * f0 < 5000
        source += np.where(active, np.sin(k * phase) / k, 0.0)
    syllables = np.clip(np.sin(2 * np.pi * rng.uniform(3.5, 5.5) * t + rng.uniform(0, 6)), 0, None) ** 0.6
    y = source * syllables
    out = np.zeros(n)
    for formant, q in ((rng.uniform(450, 800), 4), (rng.uniform(1100, 1900), 6), (rng.uniform(2300, 3000), 8)):
        b, a = signal.iirpeak(formant, q, fs=sr)
        out += signal.lfilter(b, a, y)
    out *= 10 ** (-22 / 20) / (np.sqrt(np.mean(out**2)) + 1e-12)
    ramp = np.minimum(1, np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.01 * sr))
    return (out * ramp).astype(np.float32)


def write_long_recording(path: Path, minutes: float, sr: int = 48000, seed: int = 0) -> dict:
    """Write the synthetic recording block by block (bounded memory); return what it holds."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    pool = [utterance(rng, sr) for _ in range(24)]
    total = int(minutes * 60 * sr)
    written, speech = 0, 0
    noise_level = 10 ** (-60 / 20)
    with sf.SoundFile(str(path), "w", samplerate=sr, channels=1, subtype="PCM_16", format="WAV") as fh:
        while written < total:
            pause = rng.uniform(10, 30) if rng.random() < 0.05 else rng.uniform(0.3, 4.0)
            u = pool[rng.integers(len(pool))]
            block = np.concatenate([np.zeros(int(pause * sr), np.float32), u])[: total - written]
            block = block + (noise_level * rng.standard_normal(len(block))).astype(np.float32)
            fh.write(block)
            written += len(block)
            speech += min(len(u), len(block))
    return {"seconds": written / sr, "speech_seconds": speech / sr, "sample_rate": sr, "bytes": path.stat().st_size}


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def bench_folder(clips: Path, bundle: Path, tmp: Path, jobs) -> dict:
    """Run the command line on the folder in a fresh process; time it from start to exit."""
    out = tmp / "folder.csv"
    cmd = [sys.executable, "-m", "utils.predict", str(clips), "--model", str(bundle), "--out", str(out), "--quiet"]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    print(f"(a) {' '.join(cmd)}\n    {load()}", flush=True)
    cpu0 = children_cpu()
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    wall = time.perf_counter() - t0
    cpu = children_cpu() - cpu0
    if done.returncode != 0 or not out.exists():
        print(done.stdout, done.stderr, sep="\n")
        raise SystemExit(f"the command failed with exit status {done.returncode}")
    import pandas as pd

    n = len(pd.read_csv(out))
    skipped = tmp / "folder.skipped.csv"
    n_skipped = len(pd.read_csv(skipped)) if skipped.exists() else 0
    return {"clips": n, "skipped": n_skipped, "wall_s": wall, "cpu_s": cpu, "clips_per_s": n / wall}


def timeline_worker(path: str, bundle: str, jobs, window: float, hop: float) -> None:
    """In a fresh process: load the bundle, run the timeline, print the measurements as JSON."""
    t_start = time.perf_counter()
    from utils.predict.bundle import load_bundle
    from utils.predict.timeline import predict_timeline

    b = load_bundle(bundle)
    _ = b.model
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    table = predict_timeline(path, b, window=window, hop=hop, n_jobs=jobs)
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "timeline_s": seconds,
        "process_s": time.perf_counter() - t_start,
        "windows": len(table),
        "silent_windows": int(table["silent"].sum()),
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "rss_before_mb": rss_before,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "workers_cpu_s": children_cpu(),
    }))


def bench_timeline(recording: Path, bundle: Path, jobs, window: float, hop: float) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_timeline-worker", str(recording), "--bundle", str(bundle), "--window", str(window), "--hop", str(hop)]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    print(f"(b) predict_timeline({recording.name}, window={window}, hop={hop}, n_jobs={jobs}) in a fresh process\n    {load()}", flush=True)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        print(done.stdout, done.stderr, sep="\n")
        raise SystemExit(f"the timeline worker failed with exit status {done.returncode}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog="See the module docstring for what is measured and how.")
    parser.add_argument("--bundle", type=Path, help="model bundle folder (default: build an untrained one in a temporary folder)")
    parser.add_argument("--kind", choices=["vector", "frames"], default="vector", help="input kind of the built bundle (default vector: seed_conv1d)")
    parser.add_argument("--clips", type=Path, help="folder of clips for (a); skipped when not given")
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the synthetic recording for (b); 0 skips (b) (default 60)")
    parser.add_argument("--window", type=float, default=3.0, help="timeline window in seconds (default 3)")
    parser.add_argument("--hop", type=float, default=1.0, help="timeline hop in seconds (default 1)")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: the library's automatic choice)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (bundle, recording, CSV) and print its path")
    parser.add_argument("--_timeline-worker", dest="timeline_worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.timeline_worker:
        timeline_worker(args.timeline_worker, str(args.bundle), args.jobs, args.window, args.hop)
        return 0
    if args.clips is None and args.minutes <= 0:
        parser.error("nothing to measure: give --clips and/or --minutes > 0")

    tmp = Path(tempfile.mkdtemp(prefix="ser-inference-bench-"))
    try:
        bundle = args.bundle
        if bundle is None:
            bundle = build_bundle(tmp / "bundle", args.kind)
            print(f"built an untrained {args.kind} bundle in {bundle}")
        if args.clips is not None:
            r = bench_folder(args.clips, bundle, tmp, args.jobs)
            print(f"    {r['clips']} clips predicted ({r['skipped']} skipped) in {r['wall_s']:.1f} s wall, "
                  f"{r['cpu_s']:.1f} s CPU: {r['clips_per_s']:.0f} clips/s including start-up and model load")
        if args.minutes > 0:
            recording = tmp / "long.wav"
            t0 = time.perf_counter()
            info = write_long_recording(recording, args.minutes)
            print(f"wrote a {info['seconds'] / 60:.0f}-minute recording ({info['bytes'] / 2**20:.0f} MB, {info['sample_rate']} Hz) in {time.perf_counter() - t0:.1f} s")
            r = bench_timeline(recording, bundle, args.jobs, args.window, args.hop)
            print(f"    {r['windows']} windows ({r['silent_windows']} silent) in {r['timeline_s']:.1f} s "
                  f"({info['seconds'] / r['timeline_s']:.0f}x real time); whole process {r['wall_s']:.1f} s; "
                  f"CPU {r['cpu_s']:.1f} s (+{r['workers_cpu_s']:.1f} s in workers)")
            print(f"    peak memory {r['peak_rss_mb']:.0f} MB resident, {r['rss_before_mb']:.0f} MB before the call "
                  f"(the timeline adds {r['peak_rss_mb'] - r['rss_before_mb']:.0f} MB; worker processes, if any, not included)")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
