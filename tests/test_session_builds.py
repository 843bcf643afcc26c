"""The shared session builds (tests/session_builds.py): made once per run whichever process asks first, waited for
by everyone, failures reported with the log, and killed when the run ends unfinished."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests import session_builds
from tests.browser.harness import HarnessError

ENV = dict(os.environ)


def test_a_build_is_started_once_however_many_processes_ask(tmp_path: Path) -> None:
    build = session_builds.SharedBuild("demo-db", tmp_path)
    session_builds.start_once(build, ["bash", "-c", 'echo first >> "$0/said"', str(build.folder)], ENV)
    session_builds.start_once(build, ["bash", "-c", 'echo second >> "$0/said"', str(build.folder)], ENV)
    assert build.wait(poll_seconds=0.05) == build.folder
    assert (build.folder / "said").read_text() == "first\n"


def test_a_failed_build_raises_with_its_log(tmp_path: Path) -> None:
    build = session_builds.start_once(session_builds.SharedBuild("editions", tmp_path),
                                      ["bash", "-c", "echo the reason; exit 3"], ENV)
    with pytest.raises(HarnessError, match=r"exited with 3:[\s\S]*the reason"):
        build.wait(poll_seconds=0.05)


def test_an_unfinished_build_is_killed_at_the_end_and_its_waiters_are_told(tmp_path: Path) -> None:
    build = session_builds.start_once(session_builds.SharedBuild("demo-db", tmp_path), ["sleep", "600"], ENV)
    while not build.pid_file.exists():
        time.sleep(0.05)
    session_builds.stop_unfinished(tmp_path)
    with pytest.raises(HarnessError, match="ended without an exit status"):
        build.wait(poll_seconds=0.05)
    assert not build.finished()
