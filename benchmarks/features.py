"""Benchmark of feature extraction: the straightforward recipe against utils.features.

Measures, on one corpus folder and in one run:

(a) the straightforward recipe of the seed tutorial, single process, on a sample of N clips:
    ``librosa.load(path, sr=22050, duration=2.5, offset=0.6)``, then ``librosa.feature.mfcc``
    (40 coefficients), ``librosa.feature.chroma_stft`` (from the signal, tuning estimated) and
    ``librosa.feature.melspectrogram``, each computed separately from the signal and averaged over
    time, for the clip and for one noisy copy (``Augmentation("noise", 20)``);
(b) :func:`utils.features.extract.extract_corpus` on the same N clips and copies, single process
    (``n_jobs=1``), without cache, and the ratio (a) / (b) per clip.  Both run with BLAS limited
    to one thread (``extract_corpus`` always does); (a) is also timed with the BLAS threads as they
    come, because librosa's products with Fortran-ordered spectrograms slow down badly when the
    BLAS threads have to share busy cores.  Then the time of (b) split into its stages, and the
    feature computation alone: librosa's three functions one by one against
    :func:`utils.features.clip.compute`, on the same 16 kHz signals;
(c) the whole corpus plus one noisy copy of each clip on all cores (or ``--jobs``; this process
    computes beside the loky workers), with a cold cache in a fresh temporary folder: wall time,
    CPU time and peak memory;
(d) the same call again, now served by the cache.

It also times decoding + resampling alone with three resamplers, for the choice of
``FeatureConfig.res_type``.

Memory: a thread samples, every 50 ms, this process and all its descendants (the joblib workers)
with psutil and reports the largest sums seen: of the proportional set size (PSS, from
``/proc/PID/smaps_rollup``: shared pages split between the processes that map them, so the sum is
the physical memory used) and of the resident set size (RSS, shared library pages counted once per
process: an upper bound).  Without psutil, the peak RSS of this process alone
(``resource.getrusage``) is reported.  CPU time is the user + system time of this process and its
workers from the same sampler; on a machine shared with other work it shows the cost that the wall
time may hide.

Nothing is written inside the repository: the cache goes to a temporary folder (removed at the
end) unless ``--cache-dir`` names a folder, in which case a fresh subfolder of it is used and kept.

Usage::

    python benchmarks/features.py /path/to/ravdess [--limit 60] [--jobs -1] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from utils.data.audio import (
    AUDIO_SUFFIXES,  # noqa: E402
    load_audio,  # noqa: E402
)
from utils.data.augment import Augmentation  # noqa: E402
from utils.features.config import FeatureConfig  # noqa: E402
from utils.features.extract import extract_corpus

NOISE = Augmentation("noise", 20)


def list_audio(root: Path) -> list:
    """All WAV/FLAC files below ``root``, sorted."""
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())


def sample(paths: list, n: int) -> list:
    """``n`` files spread evenly over the sorted list (so over actors too)."""
    if n >= len(paths):
        return list(paths)
    return [paths[i] for i in np.linspace(0, len(paths) - 1, n).round().astype(int)]


# --------------------------------------------------------------------------------------------
# (a) the straightforward recipe
# --------------------------------------------------------------------------------------------


def straightforward_vector(y: np.ndarray, sr: int) -> np.ndarray:
    """40 MFCC + 12 chroma + 128 mel means, each librosa function called on the signal."""
    import librosa

    mfcc = np.mean(librosa.feature.mfcc(y=y, sr=sr, n_mfcc=40), axis=1)
    chroma = np.mean(librosa.feature.chroma_stft(y=y, sr=sr), axis=1)
    mel = np.mean(librosa.feature.melspectrogram(y=y, sr=sr), axis=1)
    return np.hstack([mfcc, chroma, mel])


def straightforward(path: Path) -> np.ndarray:
    """The clip's vector and its noisy copy's vector, the way the seed tutorial computes them."""
    import librosa

    y, sr = librosa.load(str(path), sr=22050, duration=2.5, offset=0.6)
    noisy = NOISE.apply(y, sr, clip_id=path.stem)
    return np.stack([straightforward_vector(y, sr), straightforward_vector(noisy, sr)])


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------


def _pss(pid: int) -> int | None:
    """Proportional set size in bytes from /proc/PID/smaps_rollup (Linux), or None."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class Monitor:
    """Samples memory and CPU time of this process and its descendants in a background thread.

    Per sample: the sum of RSS (upper bound: shared pages counted in every process), the sum of
    PSS (each shared page split between the processes that map it: the physical memory used,
    Linux only) and the main process's RSS.  CPU time: user + system seconds spent during the
    measurement by this process and the workers alive at its end.
    """

    def __init__(self, interval: float = 0.05):
        try:
            import psutil
        except ImportError:
            psutil = None
        self.psutil = psutil
        self.interval = interval
        self.peak_rss = 0
        self.peak_pss = None
        self.peak_main = 0
        self.cpu = {}
        self._stop = threading.Event()
        self._thread = None

    def _processes(self):
        me = self.psutil.Process()
        try:
            return [me, *me.children(recursive=True)]
        except self.psutil.Error:
            return [me]

    def _sample(self):
        rss_sum, pss_sum = 0, 0
        for p in self._processes():
            try:
                rss = p.memory_info().rss
                t = p.cpu_times()
            except self.psutil.Error:
                continue
            rss_sum += rss
            pss = _pss(p.pid)
            pss_sum = None if pss is None or pss_sum is None else pss_sum + pss
            self.cpu[p.pid] = t.user + t.system
            if p.pid == os.getpid():
                self.peak_main = max(self.peak_main, rss)
        self.peak_rss = max(self.peak_rss, rss_sum)
        if pss_sum is not None:
            self.peak_pss = max(self.peak_pss or 0, pss_sum)

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self):
        if self.psutil is not None:
            self._cpu_start = {}
            for p in self._processes():
                try:
                    t = p.cpu_times()
                    self._cpu_start[p.pid] = t.user + t.system
                except self.psutil.Error:
                    continue
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self._t0
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._sample()
            self.cpu_seconds = sum(v - self._cpu_start.get(pid, 0.0) for pid, v in self.cpu.items())
        else:
            self.peak_main = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            self.peak_rss = self.peak_main
            self.cpu_seconds = float("nan")
        return False


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def stage_times(paths: list, config: FeatureConfig) -> list:
    """Milliseconds per clip of each stage of utils.features, on the sample."""
    from utils.core.files import file_digest
    from utils.features.clip import compute, prepare_signal

    totals = dict.fromkeys(["content hash (cache key)", "decode + resample (load_audio)", "remove DC, trim silence", "noisy copy (Augmentation.apply)", "features of both (compute x 2)"], 0.0)
    names = list(totals)
    for p in paths:
        t0 = time.perf_counter()
        file_digest(p)
        t1 = time.perf_counter()
        y, _ = load_audio(p, sr=config.sr)
        t2 = time.perf_counter()
        y = prepare_signal(y, config)
        t3 = time.perf_counter()
        noisy = NOISE.apply(y, config.sr, clip_id=p.stem)
        t4 = time.perf_counter()
        compute(y, config)
        compute(noisy, config)
        t5 = time.perf_counter()
        for name, a, b in zip(names, (t0, t1, t2, t3, t4), (t1, t2, t3, t4, t5)):
            totals[name] += b - a
    return [(name, 1000 * t / len(paths)) for name, t in totals.items()]


def features_only_times(paths: list, config: FeatureConfig) -> list:
    """Per signal: librosa's three functions one by one (our parameters) against compute()."""
    import librosa

    from utils.features.clip import compute, load_clip

    signals = []
    for p in paths:
        y = load_clip(p, config)
        signals += [y, NOISE.apply(y, config.sr, clip_id=p.stem)]
    common = dict(sr=config.sr, n_fft=config.n_fft, hop_length=config.hop_length, win_length=config.win_length)

    def one_by_one(y):
        return np.hstack([
            librosa.feature.mfcc(y=y, n_mfcc=config.n_mfcc, n_mels=config.n_mels, fmin=config.fmin, fmax=config.fmax, **common).mean(axis=1),
            librosa.feature.chroma_stft(y=y, tuning=0.0, n_chroma=config.n_chroma, **common).mean(axis=1),
            librosa.feature.melspectrogram(y=y, n_mels=config.n_mels, fmin=config.fmin, fmax=config.fmax, **common).mean(axis=1),
        ])

    t_lib, _ = timed(lambda: [one_by_one(y) for y in signals])
    t_ours, _ = timed(lambda: [compute(y, config) for y in signals])
    n = len(signals)
    return [("librosa mfcc + chroma_stft + melspec", 1000 * t_lib / n), ("utils.features.clip.compute (one STFT)", 1000 * t_ours / n)]


def resampler_check(paths: list, sr: int) -> list:
    """Milliseconds per clip of decoding + resampling to ``sr`` with three resamplers."""
    rows = []
    load_audio(paths[0], sr=sr, res_type="soxr_hq")  # warm-up
    for res_type in ("soxr_hq", "soxr_mq", "polyphase"):
        seconds, _ = timed(lambda: [load_audio(p, sr=sr, res_type=res_type) for p in paths])
        rows.append((res_type, 1000 * seconds / len(paths)))
    return rows


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Time feature extraction: the straightforward librosa recipe against utils.features "
        "(per clip, single process), then the whole corpus + one noisy copy per clip on all cores, "
        "cold and cached.",
    )
    parser.add_argument("corpus", type=Path, help="folder with the corpus's WAV/FLAC files (searched recursively)")
    parser.add_argument("--limit", type=int, default=60, metavar="N", help="clips in the single-process comparison (a)/(b) (default 60)")
    parser.add_argument("--jobs", type=int, default=-1, metavar="N", help="worker processes for (c)/(d) (default -1: all cores)")
    parser.add_argument("--cache-dir", type=Path, default=None, metavar="DIR", help="folder in which a fresh cache folder is made and kept (default: a temporary folder, removed)")
    parser.add_argument("--max-files", type=int, default=None, metavar="M", help="use only the first M files of the corpus in (c)/(d) (default all)")
    parser.add_argument("--progress", action="store_true", help="show progress bars during (c)")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        parser.error(f"corpus folder not found: {args.corpus}")
    if args.limit < 2:
        parser.error("--limit must be at least 2")
    if args.jobs == 0:
        parser.error("--jobs must not be 0")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    paths = list_audio(args.corpus)
    if not paths:
        print(f"no .wav or .flac files under {args.corpus}", file=sys.stderr)
        return 1
    corpus = paths[: args.max_files] if args.max_files else paths
    clips = sample(paths, args.limit)
    config = FeatureConfig()
    print(f"corpus     {args.corpus}: {len(paths)} files, {len(corpus)} used in (c)/(d); sample of {len(clips)} in (a)/(b)")
    print(f"machine    {os.cpu_count()} CPU cores; load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"config     {config.fingerprint()}: sr={config.sr}, n_fft={config.n_fft}, hop={config.hop_length}, trim_db={config.trim_db}, vector {config.vector_size}")
    print()

    from threadpoolctl import threadpool_limits

    # warm-up outside the timings: librosa's lazy imports and the filterbanks
    straightforward(clips[0])
    extract_corpus(clips[:1], config, augmentations=[NOISE], n_jobs=1, cache_dir=False, progress=False)

    # (a) and (b) with BLAS on one thread each, as extract_corpus runs it; (a) once more with
    # BLAS threads as they come, which is what the tutorial gets in a notebook
    with threadpool_limits(limits=1, user_api="blas"):
        t_a, _ = timed(lambda: [straightforward(p) for p in clips])
    t_a_default, _ = timed(lambda: [straightforward(p) for p in clips])
    t_b, fs_b = timed(extract_corpus, clips, config, augmentations=[NOISE], n_jobs=1, cache_dir=False, progress=False)
    ms_a, ms_a_default, ms_b = (1000 * t / len(clips) for t in (t_a, t_a_default, t_b))
    with threadpool_limits(limits=1, user_api="blas"):
        stages = stage_times(clips, config)
        features_only = features_only_times(clips, config)

    resampling = resampler_check(clips, config.sr)

    root = Path(tempfile.mkdtemp(prefix="ser-bench-", dir=args.cache_dir)) if args.cache_dir else Path(tempfile.mkdtemp(prefix="ser-bench-"))
    cache = root / "cache"
    try:
        with Monitor() as cold:
            fs_c = extract_corpus(corpus, config, augmentations=[NOISE], n_jobs=args.jobs, cache_dir=cache, progress=args.progress)
        with Monitor() as warm:
            fs_d = extract_corpus(corpus, config, augmentations=[NOISE], n_jobs=args.jobs, cache_dir=cache, progress=args.progress)
        cache_mb = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file()) / 2**20
    finally:
        if args.cache_dir is None:
            shutil.rmtree(root, ignore_errors=True)
    same = np.array_equal(fs_c.X, fs_d.X)

    from utils.core.parallel import effective_workers

    remote = effective_workers(args.jobs, n_items=len(corpus)) - 1
    print("single process, BLAS on 1 thread, per clip (clip + 1 noisy copy), from the file")
    print(f"  (a) straightforward librosa recipe    {ms_a:8.1f} ms/clip   ({len(clips)} clips, {t_a:.2f} s)")
    print(f"  (b) utils.features, uncached          {ms_b:8.1f} ms/clip   ({len(fs_b)} rows, {t_b:.2f} s)")
    print(f"      speed-up (a)/(b)                  {ms_a / ms_b:8.1f} x")
    print(f"  (a) again, BLAS threads by default    {ms_a_default:8.1f} ms/clip   -> (a)/(b) {ms_a_default / ms_b:.1f} x")
    print("  where (b)'s time goes, per clip:")
    for name, ms in stages:
        print(f"      {name:34s}{ms:8.2f} ms")
    print("features only, per signal, same 16 kHz signals (clips and noisy copies), BLAS on 1 thread")
    (name_l, ms_l), (name_o, ms_o) = features_only
    print(f"  {name_l:38s}{ms_l:8.2f} ms")
    print(f"  {name_o:38s}{ms_o:8.2f} ms   -> {ms_l / ms_o:.1f} x")
    print()
    print("decoding + resampling to 16 kHz, per clip")
    for res_type, ms in resampling:
        print(f"  {res_type:10s}                            {ms:8.2f} ms/clip")
    print()
    print(f"whole corpus + 1 noisy copy each: this process + {remote} loky worker(s)")
    print(f"  {'':22s}{'wall s':>8s}{'CPU s':>8s}{'peak PSS MB':>13s}{'peak RSS MB':>13s}{'main RSS':>10s}{'rows':>7s}{'computed':>10s}{'cached':>8s}")
    for label, mon, fs in (("(c) cold cache", cold, fs_c), ("(d) cached re-run", warm, fs_d)):
        pss = "n/a" if mon.peak_pss is None else f"{mon.peak_pss / 2**20:.0f}"
        print(
            f"  {label:22s}{mon.wall:8.2f}{mon.cpu_seconds:8.1f}{pss:>13s}{mon.peak_rss / 2**20:13.0f}{mon.peak_main / 2**20:10.0f}"
            f"{len(fs):7d}{fs.n_computed:10d}{fs.n_cached:8d}"
        )
    print("  (PSS: physical memory of this process and its workers, shared pages split between them;")
    print("   RSS: the same summed with shared pages counted in every process, an upper bound)")
    print(f"  skipped files: {len(fs_c.skipped)}; cached re-run identical: {same}; cache on disk: {cache_mb:.1f} MB")
    duplicates = len(fs_c) - fs_c.n_computed - fs_c.n_cached
    if duplicates:
        print(f"  ({duplicates} row(s) came from files byte-identical to another file: computed once, used twice)")
    print(f"  load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if not same:
        print("ERROR: the cached re-run differs from the computed features", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
