"""The documented start (scripts/run.sh, what `make run` calls) gives the web process the published tables' URL only,
and personal SQLite files are created readable by their owner alone.

The web process's environment is read where anything running as that user could read it: /proc/PID/environ.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import harness

PROJECT_ROOT = harness.PROJECT_ROOT
ALLOWED = {*harness.WEB_PROCESS_BASICS, "FAMILIES_PUBLISHED_DB_URL"}


@pytest.mark.slow  # shares the session demo (built once, minutes)
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("mode", ["build and serve", "web host"])
def test_run_sh_gives_the_web_process_no_owner_url(demo_database, tmp_path: Path, mode: str):
    """`make run` with the owner's URL (builds what is missing, then serves), and a web host given the published
    tables' URL only (serves, builds nothing). Owner credentials planted in the caller's environment must not reach
    Streamlit."""
    port = harness.free_port()
    planted = "postgresql+psycopg://dfm_owner:owner-secret@db.example/families"
    env = {**os.environ, "PORT": str(port), "FAMILIES_TEST_PG_URL": planted, "DATABASE_URL": planted,
           "PGPASSWORD": "owner-secret"}
    env.pop("FAMILIES_PUBLISHED_DB_URL", None)
    env.pop("FAMILIES_DB_URL", None)
    if mode == "build and serve":
        env["FAMILIES_DB_URL"] = demo_database.linked_url
    else:
        env["FAMILIES_PUBLISHED_DB_URL"] = demo_database.published_url
    log = tmp_path / "run.log"
    with log.open("w") as output:
        process = subprocess.Popen(["bash", "scripts/run.sh"], cwd=PROJECT_ROOT, env=env, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        harness.wait_for_health(f"http://127.0.0.1:{port}", process, log, timeout=120)
        said = log.read_text()
        assert ("building nothing" in said) == (mode == "web host"), said
        web_pids = [process.pid, *harness.descendants(process.pid)]
        command = Path(f"/proc/{process.pid}/cmdline").read_bytes().decode().replace("\0", " ")
        assert "streamlit run app.py" in command, "run.sh execs Streamlit itself (so this is the web process)"
        for pid in web_pids:
            environment = harness.process_environment(pid)
            assert "FAMILIES_DB_URL" not in environment
            assert set(environment) <= ALLOWED, sorted(set(environment) - ALLOWED)
            for value in environment.values():
                assert "owner-secret" not in value and value != demo_database.linked_url
            expected = demo_database.published_url.replace("sqlite:///", "")
            assert Path(environment["FAMILIES_PUBLISHED_DB_URL"].replace("sqlite:///", "")).resolve() == Path(
                expected).resolve()
    finally:
        harness.stop_process_group(process)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_personal_sqlite_file_is_0600_in_a_0700_folder(tmp_path: Path):
    """Built the documented way (python -m synthetic), in a folder that does not exist yet; umask 022 as usual."""
    folder = tmp_path / "linked" / "store"
    database = folder / "families.db"
    command = [sys.executable, "-c", "import os, runpy, sys; os.umask(0o022); sys.argv = sys.argv[1:]; "
               "runpy.run_module('synthetic', run_name='__main__')",
               "synthetic", "--families", "40", "--seed", "3", "--db", f"sqlite:///{database}"]
    subprocess.run(command, cwd=PROJECT_ROOT, check=True, capture_output=True)
    assert _mode(folder) == 0o700
    assert _mode(database) == 0o600
    side_files = [database.with_name(database.name + suffix) for suffix in ("-wal", "-shm", "-journal")]
    for side in side_files:
        if side.exists():
            assert _mode(side) == 0o600, side.name
    # And while a connection holds the write-ahead log open, its side files are owner-only too.
    from data_access.engine import make_engine

    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE family SET deprivation_decile = deprivation_decile")
            assert any(side.exists() for side in side_files)
            for side in side_files:
                if side.exists():
                    assert _mode(side) == 0o600, side.name
    finally:
        engine.dispose()
