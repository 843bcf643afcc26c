"""Worker processes die with the process that started them (metrics.disclosure.parallel).

Each test starts a real Python process that runs blocks in a real worker pool, finds the workers with psutil,
kills the parent with SIGKILL (which no Python code can intercept) and checks that every worker is gone within
a few seconds. Without the pool initializer the workers wait on their inherited pipes for ever.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from metrics.disclosure.parallel import PARALLEL_MIN_UNITS, run_blocks, worker_count
from tests.browser.harness import PROJECT_ROOT

SLEEPING_POOL = textwrap.dedent("""
    import sys, time
    from metrics.disclosure import parallel
    if sys.argv[1] == "prctl":
        parallel._watch_parent = lambda parent_pid: None  # only prctl can end the workers
    elif sys.argv[1] == "watchdog":
        sys.platform = "not-linux"  # no prctl: only the watchdog thread can end the workers
    elif sys.argv[1] == "none":
        parallel.die_with_parent = lambda parent_pid: None  # what the pool did before
    parallel.run_blocks(time.sleep, [600.0, 600.0, 600.0], [1, 1, 1], workers=2)
""")


def descendants_when_ready(parent: psutil.Process, count: int, timeout: float = 60.0) -> list[psutil.Process]:
    """The parent's descendants once there are at least `count` of them (fails if the parent exits first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert parent.is_running() and parent.status() != psutil.STATUS_ZOMBIE, "the parent ended early"
        children = parent.children(recursive=True)
        if len(children) >= count:
            return children
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} worker processes appeared within {timeout:.0f} s")


def survivors(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Those still alive after `timeout` seconds (a zombie waiting to be reaped holds nothing: it counts as gone)."""
    deadline = time.monotonic() + timeout
    alive = processes
    while True:
        alive = [p for p in alive if _alive(p)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def kill_parent_of_pool(mode: str) -> tuple[list[psutil.Process], list[psutil.Process]]:
    """(workers, survivors 5 s after the parent was killed) for a pool started in the given mode."""
    process = subprocess.Popen([sys.executable, "-c", SLEEPING_POOL, mode], cwd=PROJECT_ROOT,
                               env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    try:
        workers = descendants_when_ready(psutil.Process(process.pid), 2)
        time.sleep(0.5)  # let the initializer run
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        return workers, survivors(workers, 5.0)
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.parametrize("mode", ["prctl", "watchdog"])
def test_workers_die_when_their_parent_is_killed(mode: str) -> None:
    workers, left = kill_parent_of_pool(mode)
    assert len(workers) >= 2
    assert left == [], f"worker processes survived their parent: {[p.pid for p in left]}"


def test_without_the_initializer_workers_are_left_behind() -> None:
    """The failure the initializer prevents, shown for real (then cleaned up here)."""
    workers, left = kill_parent_of_pool("none")
    try:
        assert left, "expected orphaned workers without the initializer"
    finally:
        for process in left:
            process.kill()


def test_results_come_back_in_job_order_whatever_the_worker_count() -> None:
    jobs = list(range(12))
    sizes = [1, 9, 3, 3, 7, 1, 2, 8, 3, 5, 5, 0]
    expected = [job * job for job in jobs]
    assert run_blocks(_square, jobs, sizes, workers=1) == expected
    assert run_blocks(_square, jobs, sizes, workers=2) == expected


def _square(value: int) -> int:
    return value * value


def test_worker_count_obeys_an_explicit_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAMILIES_DISCLOSURE_WORKERS", raising=False)
    assert worker_count(None, PARALLEL_MIN_UNITS - 1, 10) == 1  # automatic: small publications stay in process
    assert worker_count(3, 10, 10) == 3
    assert worker_count(3, 10, 2) == 2  # never more workers than jobs
    monkeypatch.setenv("FAMILIES_DISCLOSURE_WORKERS", "2")
    assert worker_count(None, 10, 10) == 2
    monkeypatch.setenv("FAMILIES_DISCLOSURE_WORKERS", "1")
    assert worker_count(None, PARALLEL_MIN_UNITS * 2, 10) == 1
