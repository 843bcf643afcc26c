"""Run independent blocks in worker processes when that pays for itself, and never leave a worker behind.

A worker forked by a publish holds copies of its parent's pipes, so when the parent is killed (SIGKILL, the OOM
killer, a closed terminal) the worker never sees end-of-file and would wait for work for ever, holding hundreds of
megabytes. Each worker therefore asks Linux to kill it when its parent dies (prctl PR_SET_PDEATHSIG), and as a
fallback (other systems, or prctl refused) a watchdog thread ends it once its parent process id changes.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context
from typing import TypeVar

Job = TypeVar("Job")
Outcome = TypeVar("Outcome")

PARALLEL_MIN_UNITS = 20_000  # below this, starting workers costs more than it saves
WORKERS_VARIABLE = "FAMILIES_DISCLOSURE_WORKERS"
WATCHDOG_SECONDS = 0.5
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def worker_count(requested: int | None, n_units: int, n_jobs: int) -> int:
    """requested, else FAMILIES_DISCLOSURE_WORKERS, else the CPU count up to 4 (1 for small publications).

    An explicit request (argument or variable) is obeyed whatever the size; only the automatic choice stays in
    one process below PARALLEL_MIN_UNITS units.
    """
    if requested is None:
        requested = int(os.environ.get(WORKERS_VARIABLE, "0") or 0)
        if requested <= 0:
            requested = min(os.cpu_count() or 1, 4) if n_units >= PARALLEL_MIN_UNITS else 1
    return max(1, min(requested, n_jobs))


def die_with_parent(parent_pid: int) -> None:
    """Worker initializer: end this process when `parent_pid` (the process that started the pool) ends."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the watchdog below still ends the worker
            pass
    if os.getppid() != parent_pid:  # the parent died between fork and prctl
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="parent-watchdog", daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(WATCHDOG_SECONDS)
        if os.getppid() != parent_pid:  # re-parented: the publish that started us is gone
            os._exit(1)


def run_blocks(function: Callable[[Job], Outcome], jobs: Sequence[Job], sizes: Sequence[int],
               workers: int) -> list[Outcome]:
    """function(job) for every job, in the jobs' order whatever order they finish in; biggest jobs first in
    `workers` processes.

    fork, not spawn: workers start at once and need no re-import of the caller's script. The functions run this
    way touch only numpy and scipy, never polars (whose thread pool must not be used in a forked child), and are
    deterministic, so the result does not depend on the number of workers.
    """
    if workers <= 1:
        return [function(job) for job in jobs]
    order = sorted(range(len(jobs)), key=lambda i: (-sizes[i], i))
    method = "fork" if "fork" in get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context(method), initializer=die_with_parent,
                             initargs=(os.getpid(),)) as pool:
        outcomes = dict(zip(order, pool.map(function, [jobs[i] for i in order]), strict=True))
    return [outcomes[i] for i in range(len(jobs))]
