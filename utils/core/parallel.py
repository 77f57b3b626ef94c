"""How many processes and threads the course computes with: one policy for every parallel step.

``n_jobs`` means what it means in scikit-learn and joblib everywhere in the course: ``None`` is
one process (or what an enclosing :func:`joblib.parallel_config` says), ``-1`` all cores, ``-2``
all but one, and a positive number that many.  :func:`effective_workers` turns it into a count,
capped so that the processes fit in memory (a 2 GB Binder container holds at most four) and so
that every extra process has enough work to repay its start (importing librosa, numba and
scipy; ``benchmarks/features.py`` measures it).  The calling process always counts as one of the workers.

Examples
--------
>>> effective_workers(1)
1
>>> effective_workers(-1, n_items=10)      # too few items to start a second process
1
"""

from __future__ import annotations

import contextlib
import numbers
import os
from pathlib import Path

MIN_ITEMS_PER_WORKER = 200
"""An extra worker process is only started for every this many files still to compute.

A worker's start (importing librosa, numba and scipy) costs as much as computing a few hundred
clips in the calling process (``benchmarks/features.py`` measures both), so it must take over
at least that many files to repay itself."""

WORKER_MEMORY = 400 * 2**20
"""Memory budgeted per worker process (librosa, numba and scipy loaded)."""

MAIN_MEMORY = 800 * 2**20
"""Memory left to the calling process (a notebook kernel) when capping the number of workers."""


def cgroup_limit_files(proc_self_cgroup: str) -> list:
    """The memory-limit files of the cgroups named in ``/proc/self/cgroup`` (v2 and v1), then the root ones.

    Examples
    --------
    >>> [str(p) for p in cgroup_limit_files("0::/binder-sim.7")][:1]
    ['/sys/fs/cgroup/binder-sim.7/memory.max']
    >>> [str(p) for p in cgroup_limit_files("4:memory:/jail")][:1]
    ['/sys/fs/cgroup/memory/jail/memory.limit_in_bytes']
    """
    files = []
    for line in proc_self_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        controllers, where = parts[1], parts[2].strip().lstrip("/")
        if controllers == "":
            files.append(Path("/sys/fs/cgroup") / where / "memory.max")
        elif "memory" in controllers.split(","):
            files.append(Path("/sys/fs/cgroup/memory") / where / "memory.limit_in_bytes")
    return files + [Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes")]


def memory_limit() -> int | None:
    """Bytes of memory this process may use: its cgroup's limit (containers, Binder) or the RAM size."""
    try:
        own = Path("/proc/self/cgroup").read_text()
    except OSError:
        own = ""
    limits = []
    for path in cgroup_limit_files(own):
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:
            limits.append(int(text))
    if limits:
        return min(limits)
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def check_n_jobs(n_jobs) -> None:
    """Raise ValueError unless ``n_jobs`` is None or a non-zero integer."""
    if n_jobs is None:
        return
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0:
        raise ValueError(f"n_jobs must be None, -1 (all cores) or a non-zero number of processes, not {n_jobs!r}")


def effective_workers(n_jobs=None, *, n_items: int | None = None, backend=None) -> int:
    """Number of processes to compute with, the calling one included.

    Parameters
    ----------
    n_jobs : int or None
        As in scikit-learn (see the module docstring).
    n_items : int, optional
        Items (files) still to compute; with the default backend, one process is added for
        every :data:`MIN_ITEMS_PER_WORKER` of them at most.
    backend : str, optional
        A joblib backend (``"dask"``, ``"threading"``, ...); ``None`` is loky processes, the
        only case in which the memory and start-up caps apply.

    Returns
    -------
    int
        At least 1.
    """
    import joblib

    check_n_jobs(n_jobs)
    with joblib.parallel_config(backend=backend) if backend is not None else contextlib.nullcontext():
        n = max(1, joblib.effective_n_jobs(n_jobs))
    if backend is None and n > 1:
        limit = memory_limit()
        if limit is not None:
            n = max(1, min(n, 1 + (limit - MAIN_MEMORY) // WORKER_MEMORY))
        if n_items is not None:
            n = max(1, min(n, 1 + int(n_items) // MIN_ITEMS_PER_WORKER))
    return n


def single_blas_thread():
    """Context limiting BLAS to one thread.

    The matrix products of feature extraction are small; on a busy two-core machine a second BLAS
    thread only contends with the other processes (see ``benchmarks/features.py``).
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")
