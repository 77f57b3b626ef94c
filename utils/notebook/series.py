"""Execute the whole notebook series headless, in order, each in a fresh kernel.

Usage::

    python -m utils.notebook.series                 # all notebooks -> build/notebooks/, figures -> figures/
    python -m utils.notebook.series --only 01 02    # some of them
    python -m utils.notebook.series --inplace --cold   # refresh the outputs stored in notebooks/, from an empty cache
    python -m utils.notebook.series --only 05 --cell-times 5   # and the five slowest cells of each

Each executed notebook is written to ``build/notebooks/`` (or back into ``notebooks/`` with
``--inplace``).  The runner sets ``SER_HEADLESS=1`` so that no audio player is drawn, never
stores ipywidgets state (which would embed audio), and prints the time and peak memory of every
notebook's kernel.  It stops at the first notebook that fails and exits non-zero.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

from ..core.paths import PROJECT_ROOT

NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
BUILD_DIR = PROJECT_ROOT / "build" / "notebooks"


def series_notebooks(only=None) -> list[Path]:
    """The course notebooks in order (``NN_*.ipynb``), optionally only those whose number is in ``only``."""
    notebooks = sorted(p for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    if only:
        wanted = {str(o).zfill(2) for o in only}
        notebooks = [p for p in notebooks if p.name[:2] in wanted]
    return notebooks


class _PeakMemory:
    """Sample the total resident memory of this process's children (the kernel) in a thread."""

    def __init__(self, interval: float = 0.2):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _cell_seconds(cell) -> float | None:
    """Seconds one executed cell took, from the timing nbclient records (None if it did not run)."""
    from datetime import datetime

    timing = cell.metadata.get("execution", {})
    if "iopub.execute_input" not in timing or "shell.execute_reply" not in timing:
        return None
    started, ended = (datetime.fromisoformat(timing[k].replace("Z", "+00:00")) for k in ("iopub.execute_input", "shell.execute_reply"))
    return (ended - started).total_seconds()


def join_streams(outputs: list) -> list:
    """``outputs`` with each run of adjacent text of one stream (stdout, stderr) joined into one output.

    A print can reach the notebook in pieces (its text, then its newline); joined, the stored
    notebook holds what a reader sees.  Text on either side of a figure stays on its side.

    >>> import nbformat
    >>> parts = [nbformat.v4.new_output("stream", name="stdout", text=t) for t in ("a", "\\n")]
    >>> [o.text for o in join_streams(parts)]
    ['a\\n']
    """
    joined = []
    for output in outputs:
        last = joined[-1] if joined else None
        if last is not None and output.output_type == last.output_type == "stream" and output.name == last.name:
            last.text += output.text
        else:
            joined.append(output)
    return joined


def execute_notebook(path: Path, out_path: Path, *, timeout: int = 1800, cell_times: list | None = None) -> tuple[float, int]:
    """Execute one notebook in a fresh kernel, write it to ``out_path``; return (seconds, peak bytes).

    ``cell_times``, a list, receives (cell index, seconds, first line) for every code cell that ran.
    """
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        # the kernel application logs errors only: its notice that the local TCP connection is not
        # encrypted is noise here (the kernel listens on 127.0.0.1 only); errors in cells are
        # unaffected, they are outputs of the notebook
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,
        record_timing=True,  # read into cell_times, then taken out: none in the stored notebooks
    )
    start = time.perf_counter()
    with _PeakMemory() as memory:
        try:
            client.execute()
        finally:
            out_path.parent.mkdir(parents=True, exist_ok=True)
            nb.metadata.pop("widgets", None)
            for index, cell in enumerate(nb.cells):
                seconds = _cell_seconds(cell) if cell.cell_type == "code" else None
                if cell_times is not None and seconds is not None:
                    cell_times.append((index, seconds, cell.source.split("\n", 1)[0]))
                cell.metadata.pop("execution", None)
                if cell.cell_type == "code":
                    cell.outputs = join_streams(cell.outputs)
            nbformat.write(nb, out_path)
    return time.perf_counter() - start, memory.peak


def main(argv=None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m utils.notebook.series",
        description="Execute the course notebooks in order, headless, each in a fresh kernel, "
        "and report time and peak memory per notebook.",
    )
    parser.add_argument("--only", nargs="+", metavar="NN", help="run only these notebook numbers, e.g. --only 01 02")
    parser.add_argument("--out", type=Path, default=BUILD_DIR, help=f"folder for the executed notebooks (default: {BUILD_DIR.relative_to(PROJECT_ROOT)})")
    parser.add_argument("--inplace", action="store_true", help="write the outputs back into notebooks/ (to refresh the stored outputs)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds one cell may run before the run fails (default: 1800)")
    parser.add_argument("--cell-times", type=int, default=0, metavar="N", help="also print each notebook's N slowest cells (index as in the notebook file, seconds, first line)")
    parser.add_argument("--cold", action="store_true", help="empty the feature cache first, so that every notebook runs as it does the first time (use it with --inplace before storing outputs)")
    args = parser.parse_args(argv)

    os.environ["SER_HEADLESS"] = "1"
    if args.cold:
        import shutil

        from ..core.paths import derived_dir

        shutil.rmtree(derived_dir() / "cache", ignore_errors=True)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebooks = series_notebooks(args.only)
    if not notebooks:
        print(f"no notebooks found in {NOTEBOOK_DIR}", file=sys.stderr)
        return 2
    total = time.perf_counter()
    print(f"{'notebook':45s} {'seconds':>8s} {'peak MB':>8s}")
    for path in notebooks:
        out_path = path if args.inplace else args.out / path.name
        cells = []
        try:
            seconds, peak = execute_notebook(path, out_path, timeout=args.timeout, cell_times=cells)
        except Exception as exc:  # nbclient raises CellExecutionError with the failing cell
            print(f"{path.name:45s} FAILED\n{exc}", file=sys.stderr)
            print(f"the partly executed notebook is at {out_path}", file=sys.stderr)
            return 1
        print(f"{path.name:45s} {seconds:8.1f} {peak / 2**20:8.0f}", flush=True)
        for index, cell_seconds, first_line in sorted(cells, key=lambda c: -c[1])[: args.cell_times]:
            print(f"    cell {index:3d} {cell_seconds:7.1f} s  {first_line[:70]}", flush=True)
    print(f"{'whole series':45s} {time.perf_counter() - total:8.1f}")
    where = "notebooks/" if args.inplace else str(args.out.resolve().relative_to(PROJECT_ROOT)) if args.out.resolve().is_relative_to(PROJECT_ROOT) else str(args.out)
    print(f"executed notebooks: {where}   figures: figures/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
