"""The session's two slow builds, started in the background as soon as pytest knows which tests will run.

Building the demo publication (scripts/build-demo.sh) and the two real editions (tests/editions_fixture.py) takes
minutes of one core each. tests/conftest.py starts each one that some collected test needs, in its own process,
when collection ends, and runs the tests that need them last: the other tests run meanwhile on the other core, and
the fixtures wait for their build only when the first test that needs it starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.browser.harness import PROJECT_ROOT, HarnessError, log_tail


@dataclass
class BackgroundBuild:
    """One build running in its own process group; `wait` raises with the end of its log if it failed."""

    name: str
    folder: Path
    log: Path
    process: subprocess.Popen

    def wait(self) -> Path:
        returncode = self.process.wait()
        if returncode != 0:
            raise HarnessError(f"the {self.name} build exited with {returncode}:\n{log_tail(self.log)}")
        return self.folder

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def start(name: str, command: list[str], folder: Path, env: dict[str, str]) -> BackgroundBuild:
    folder.mkdir(parents=True, exist_ok=True)
    log = folder.parent / f"{folder.name}.log"
    with log.open("a") as output:
        output.write(f"$ {' '.join(command)}\n")
        output.flush()
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    return BackgroundBuild(name, folder, log, process)


def _environment(**extra: str) -> dict[str, str]:
    """The test process's environment without database URLs (each build names its own), plus `extra`."""
    return {key: value for key, value in os.environ.items()
            if key not in ("FAMILIES_PUBLISHED_DB_URL", "FAMILIES_DB_URL")} | extra


def start_demo(folder: Path, families: int, seed: int) -> BackgroundBuild:
    """The demo as `make run` builds it (synthetic partner extracts -> linkage run -> publish), into `folder`."""
    env = _environment(FAMILIES_DEMO_DIR=str(folder), FAMILIES_DEMO_FAMILIES=str(families),
                       FAMILIES_DEMO_SEED=str(seed))
    return start("demo", ["bash", str(PROJECT_ROOT / "scripts" / "build-demo.sh")], folder, env)


def start_editions(folder: Path) -> BackgroundBuild:
    """Two real editions of a small synthetic Dorset (tests/editions_fixture.py), into `folder`."""
    env = _environment(PYTHONPATH=str(PROJECT_ROOT))
    return start("editions", [sys.executable, "-m", "tests.editions_fixture", str(folder)], folder, env)
