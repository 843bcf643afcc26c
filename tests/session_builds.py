"""The session's two slow builds, started in the background as soon as pytest knows which tests will run, and
shared by every pytest process of the run.

Building the demo publication (scripts/build-demo.sh) and the two real editions (tests/editions_fixture.py) takes
minutes of one core each. tests/conftest.py starts each one that some collected test needs when collection ends,
and runs the tests that need them last: the other tests run meanwhile, and a fixture waits for its build only when
the first test that needs it starts.

Under pytest-xdist every worker collects every test, so every worker asks for the builds; each build is made once,
in the run's shared temporary folder (the controller's base temp, the parent of each worker's): the first process
to create `<name>.claim` there starts it, and everyone waits for `<name>.status`, which the build's wrapper writes
when it exits. The build runs in its own process group, recorded in `<name>.pid`; the process that owns the run
(the xdist controller, or pytest itself without xdist) kills an unfinished one when the session ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.browser.harness import PROJECT_ROOT, HarnessError, log_tail

DEMO, EDITIONS = "demo-db", "editions"
"""The two builds' names: their folders in the shared temporary folder."""

STARTING_TIMEOUT_SECONDS = 120
"""How long a claimed build may take to record its process before the waiters give up on it."""

_RECORD_EXIT_STATUS = 'status=0; "${@}" || status=$?; echo "$status" > "$0.tmp" && mv "$0.tmp" "$0"; exit "$status"'
"""bash -c script: run the command, then write its exit status to the file named by $0 (atomically, by rename)."""

_STARTED: list[subprocess.Popen] = []
"""The builds this process started, kept so that their Popen objects live as long as the session."""


@dataclass(frozen=True)
class SharedBuild:
    """One build of the run, named `name`, in `shared / name`; its log, status and process files sit beside it."""

    name: str
    shared: Path

    @property
    def folder(self) -> Path:
        return self.shared / self.name

    def _beside(self, suffix: str) -> Path:
        return self.shared / f"{self.name}.{suffix}"

    @property
    def log(self) -> Path:
        return self._beside("log")

    @property
    def status_file(self) -> Path:
        return self._beside("status")

    @property
    def pid_file(self) -> Path:
        return self._beside("pid")

    @property
    def claim(self) -> Path:
        return self._beside("claim")

    def finished(self) -> bool:
        return self.status_file.exists()

    def wait(self, poll_seconds: float = 0.5) -> Path:
        """The build's folder once it has finished; raises with the end of its log if it failed or vanished."""
        claimed_at = time.monotonic()
        while not self.finished():
            pid = _recorded_pid(self.pid_file)
            if pid is None and time.monotonic() - claimed_at > STARTING_TIMEOUT_SECONDS:
                raise HarnessError(f"the {self.name} build was claimed but never started ({self.claim})")
            if pid is not None and not _alive(pid) and not self.finished():
                raise HarnessError(f"the {self.name} build ended without an exit status:\n{log_tail(self.log)}")
            time.sleep(poll_seconds)
        returncode = int(self.status_file.read_text().strip())
        if returncode != 0:
            raise HarnessError(f"the {self.name} build exited with {returncode}:\n{log_tail(self.log)}")
        return self.folder

    def stop_if_unfinished(self) -> None:
        pid = _recorded_pid(self.pid_file)
        if pid is not None and not self.finished() and _alive(pid):
            os.killpg(pid, signal.SIGKILL)


def _recorded_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text())
    except (FileNotFoundError, ValueError):
        return None


def _alive(pid: int) -> bool:
    """Whether the process (the build's group leader) still exists; a zombie of ours is reaped and counts as gone."""
    try:
        finished_pid, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not our child: ask the kernel whether it exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return finished_pid == 0


def start_once(build: SharedBuild, command: list[str], env: dict[str, str]) -> SharedBuild:
    """Start `command` for `build` unless another process of this run already has (creating the claim is atomic)."""
    build.shared.mkdir(parents=True, exist_ok=True)
    try:
        build.claim.mkdir()
    except FileExistsError:
        return build
    build.folder.mkdir(parents=True, exist_ok=True)
    with build.log.open("a") as output:
        output.write(f"$ {' '.join(command)}\n")
        output.flush()
        process = subprocess.Popen(["bash", "-c", _RECORD_EXIT_STATUS, str(build.status_file), *command],
                                   cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    _STARTED.append(process)
    pid_written = build.pid_file.with_suffix(".pid.tmp")
    pid_written.write_text(str(process.pid))
    pid_written.rename(build.pid_file)
    return build


def _environment(**extra: str) -> dict[str, str]:
    """The test process's environment without database URLs (each build names its own), plus `extra`."""
    return {key: value for key, value in os.environ.items()
            if key not in ("FAMILIES_PUBLISHED_DB_URL", "FAMILIES_DB_URL")} | extra


def demo(shared: Path, families: int, seed: int) -> SharedBuild:
    """The demo as `make run` builds it (synthetic partner extracts -> linkage run -> publish), into shared/demo-db."""
    build = SharedBuild(DEMO, shared)
    env = _environment(FAMILIES_DEMO_DIR=str(build.folder), FAMILIES_DEMO_FAMILIES=str(families),
                       FAMILIES_DEMO_SEED=str(seed))
    return start_once(build, ["bash", str(PROJECT_ROOT / "scripts" / "build-demo.sh")], env)


def editions(shared: Path) -> SharedBuild:
    """Two real editions of a small synthetic Dorset (tests/editions_fixture.py), into shared/editions."""
    build = SharedBuild(EDITIONS, shared)
    env = _environment(PYTHONPATH=str(PROJECT_ROOT))
    return start_once(build, [sys.executable, "-m", "tests.editions_fixture", str(build.folder)], env)


def stop_unfinished(shared: Path) -> None:
    """Kill every build of this run that is still running (the session is over)."""
    for name in (DEMO, EDITIONS):
        SharedBuild(name, shared).stop_if_unfinished()
