"""Run independent blocks in worker processes when that pays for itself."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context
from typing import TypeVar

Job = TypeVar("Job")
Outcome = TypeVar("Outcome")

PARALLEL_MIN_UNITS = 20_000  # below this, starting workers costs more than it saves


def worker_count(requested: int | None, n_units: int, n_jobs: int) -> int:
    """requested, else FAMILIES_DISCLOSURE_WORKERS, else the CPU count up to 4; 1 for small publications."""
    if requested is None:
        requested = int(os.environ.get("FAMILIES_DISCLOSURE_WORKERS", "0")) or min(os.cpu_count() or 1, 4)
        if n_units < PARALLEL_MIN_UNITS:
            requested = 1
    return max(1, min(requested, n_jobs))


def run_blocks(function: Callable[[Job], Outcome], jobs: Sequence[Job], sizes: Sequence[int],
               workers: int) -> list[Outcome]:
    """function(job) for every job, in order; biggest jobs first in `workers` processes.

    fork, not spawn: workers start at once and need no re-import of the caller's script. The functions run this
    way touch only numpy and scipy, never polars (whose thread pool must not be used in a forked child).
    """
    if workers <= 1:
        return [function(job) for job in jobs]
    order = sorted(range(len(jobs)), key=lambda i: -sizes[i])
    method = "fork" if "fork" in get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context(method)) as pool:
        outcomes = dict(zip(order, pool.map(function, [jobs[i] for i in order]), strict=True))
    return [outcomes[i] for i in range(len(jobs))]
