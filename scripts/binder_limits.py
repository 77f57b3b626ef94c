"""Run the notebook series under Binder's limits (2 GiB of memory, one core) and print a table.

Usage (as root, or anywhere systemd can start a user scope)::

    python scripts/binder_limits.py                          # the demo corpus, every notebook
    SER_DATA_SOURCE=real python scripts/binder_limits.py     # the corpora under data/ (or SER_RAVDESS_DIR)
    SER_DATA_SOURCE=demo SER_DEMO_SIZE=full python scripts/binder_limits.py   # the demo at the real corpora's size
    python scripts/binder_limits.py --only 05 06 --out benchmarks/results/binder_demo.csv
    python scripts/binder_limits.py --only 05 --cell-times 8    # and where notebook 05 spends its time

Each notebook runs on its own, in order (``python -m utils.notebook.series --only NN``), inside
a memory limit that the kernel enforces, as Binder's does (a process past it is killed), and
pinned to one core.  The limit is set by, in this order of preference:

* ``--limiter "COMMAND"``: any command that runs its arguments under the limits and prints
  ``peak N MiB`` on stderr (e.g. a site's own wrapper);
* a memory cgroup made by this script (needs root and a writable ``/sys/fs/cgroup``, v1 or v2);
* ``systemd-run --user --scope -p MemoryMax=2G -p MemorySwapMax=0 taskset -c 0``.

For each notebook it prints the wall time, the cgroup's peak memory (everything the notebook's
processes held, page cache included, so it can reach the limit without harm: the kernel then
reclaims cache first) and the peak resident memory of the kernel's processes (the series' own
sampler), and whether it passed, failed or was killed.  It stops at the first notebook that does
not pass (``--keep-going`` runs the rest too).  The exit status is 1 if any notebook did not pass.
Nothing is changed in ``notebooks/``: the executed copies go to ``build/binder/``.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from utils.core.paths import demo_dir  # noqa: E402
from utils.notebook.series import series_notebooks  # noqa: E402

MEMORY = "2G"
"""Binder's memory limit (mybinder.org gives 1 to 2 GB; the course plans for 2 GiB)."""


def _cgroup_root() -> Path | None:
    """Where this script can make a memory cgroup (v2 or v1), or None."""
    for root in (Path("/sys/fs/cgroup/memory"), Path("/sys/fs/cgroup")):
        if os.geteuid() == 0 and root.is_dir() and os.access(root, os.W_OK) and (root / "cgroup.procs").exists():
            return root
    return None


def _run_in_cgroup(command: list, memory_bytes: int, core: int) -> tuple:
    """Run ``command`` in a fresh memory cgroup; return (exit status, peak bytes)."""
    root = _cgroup_root()
    v1 = root.name == "memory"
    group = root / f"ser-binder-limits.{os.getpid()}"
    group.mkdir()
    try:
        (group / ("memory.limit_in_bytes" if v1 else "memory.max")).write_text(str(memory_bytes))
        swap = group / ("memory.memsw.limit_in_bytes" if v1 else "memory.swap.max")
        if swap.exists():
            try:
                swap.write_text(str(memory_bytes) if v1 else "0")
            except OSError:
                pass
        inner = f'echo $$ > {shlex.quote(str(group / "cgroup.procs"))} && exec taskset -c {core} ' + shlex.join(command)
        status = subprocess.run(["bash", "-c", inner], cwd=ROOT).returncode
        peak = int((group / ("memory.max_usage_in_bytes" if v1 else "memory.peak")).read_text() or 0)
        return status, peak
    finally:
        group.rmdir()


def _run_with(limiter: list, command: list) -> tuple:
    """Run ``command`` under an outside limiter that reports ``peak N MiB`` on stderr."""
    done = subprocess.run(limiter + command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    sys.stderr.write(done.stderr)
    found = re.findall(r"peak (\d+) MiB", done.stderr)
    return done.returncode, int(found[-1]) * 2**20 if found else 0


def _series_row(output: str) -> tuple:
    """Seconds and peak MB that the series printed for its one notebook."""
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].endswith(".ipynb"):
            return float(parts[1]), float(parts[2])
    return float("nan"), float("nan")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NN", help="these notebooks only (default: all, in order)")
    parser.add_argument("--memory", default=MEMORY, help=f"memory limit (default {MEMORY})")
    parser.add_argument("--limiter", default=None, help='a command that applies the limits itself, e.g. "../shared/tools/binder-sim --"')
    parser.add_argument("--cold", action="store_true", help="empty the feature cache before the first notebook")
    parser.add_argument("--out", type=Path, default=None, help="also write the table as CSV here")
    parser.add_argument("--cell-times", type=int, default=0, metavar="N", help="also print each notebook's N slowest cells")
    parser.add_argument("--keep-going", action="store_true",
                        help="run the next notebooks after one fails (those that need its output fail too)")
    args = parser.parse_args(argv)

    memory_bytes = int(float(args.memory.rstrip("GgMm")) * (2**30 if args.memory[-1] in "Gg" else 2**20))
    notebooks = series_notebooks(args.only)
    source = os.environ.get("SER_DATA_SOURCE", "auto")
    if source == "demo":
        source = demo_dir(os.environ.get("SER_DEMO_SIZE") or "small").name   # demo or demo-full
    if args.limiter:
        how = f"limiter: {args.limiter}"
    elif _cgroup_root() is not None:
        how = f"memory cgroup of {args.memory}, core 0"
    else:
        how = f"systemd-run scope, MemoryMax={args.memory}, core 0"
    print(f"data source: {source}; {how}")
    print("| notebook | minutes | cgroup peak (MiB) | kernel peak (MB) | result |\n|---|---|---|---|---|")
    rows, failed = [], 0
    build = ROOT / "build" / "binder"
    total = time.perf_counter()
    for i, path in enumerate(notebooks):
        series = [sys.executable, "-m", "utils.notebook.series", "--only", path.name[:2], "--out", str(build)]
        if args.cold and i == 0:
            series.append("--cold")
        if args.cell_times:
            series += ["--cell-times", str(args.cell_times)]
        started = time.perf_counter()
        build.mkdir(parents=True, exist_ok=True)
        (build / "series.log").unlink(missing_ok=True)   # a limiter that fails early must not leave the last log to be read
        logged = ["bash", "-c", shlex.join(series) + " > build/binder/series.log 2>&1"]
        if args.limiter:
            status, peak = _run_with(shlex.split(args.limiter), logged)
        elif _cgroup_root() is not None:
            status, peak = _run_in_cgroup(logged, memory_bytes, core=0)
        else:
            scope = ["systemd-run", "--user", "--scope", "--quiet", "-p", f"MemoryMax={args.memory}", "-p", "MemorySwapMax=0", "taskset", "-c", "0"]
            status, peak = subprocess.run(scope + logged, cwd=ROOT).returncode, 0
        wall = time.perf_counter() - started
        log = (build / "series.log").read_text(encoding="utf-8", errors="replace") if (build / "series.log").exists() else ""
        seconds, kernel_mb = _series_row(log)
        result = "passed" if status == 0 else "killed (memory)" if status in (137, -9) else f"failed ({status})"
        failed += status != 0
        minutes = (seconds if math.isfinite(seconds) else wall) / 60
        rows.append({"notebook": path.name, "data": source, "minutes": round(minutes, 1), "cgroup_peak_mib": peak // 2**20 or "",
                     "kernel_peak_mb": "" if not math.isfinite(kernel_mb) else int(kernel_mb), "result": result})
        r = rows[-1]
        print(f"| {r['notebook']} | {r['minutes']:.1f} | {r['cgroup_peak_mib']} | {r['kernel_peak_mb']} | {r['result']} |", flush=True)
        for line in log.splitlines():
            if line.startswith("    cell "):
                print(line, flush=True)
        if status != 0:
            print(log[-3000:], file=sys.stderr)
            if not args.keep_going:
                break
    print(f"| whole series | {sum(r['minutes'] for r in rows):.1f} | | | {'passed' if not failed else 'stopped'} |")
    print(f"({time.perf_counter() - total:.0f} s in all, starting the kernels included)")
    if args.out:
        with open(args.out, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        print(f"wrote {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
