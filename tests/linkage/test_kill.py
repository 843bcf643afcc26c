"""A run killed part-way (SIGKILL, no chance to clean up) loses and duplicates nothing.

The command runs in its own process over a real inbox and is killed at different moments: after the first
file committed, mid-way through the files, and once all files are staged (while linking or loading the linked
tables). After each kill every staged file is complete (its rows match its ingest_file counts) and the linked
tables are either absent or complete for the files they claim; a second run then finishes, and the result
equals that of an uninterrupted run.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from data_access.engine import make_engine
from linkage.contract import load_partner_contract
from linkage.linked_tables import fingerprint
from tests.linkage.conftest import read_linked

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RUNNER = PROJECT_ROOT / "tests" / "linkage" / "run_with_truth.py"


def _command(extracts, inbox: Path, database: Path) -> list[str]:
    return [sys.executable, str(RUNNER), str(extracts.truth_csv), "--inbox", str(inbox), "--db",
            f"sqlite:///{database}"]


def _count(database: Path, sql: str) -> int:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as connection:
            return int(connection.execute(sql).fetchone()[0])
    except sqlite3.Error:
        return 0


def _check_consistent(database: Path) -> None:
    contract = load_partner_contract()
    with sqlite3.connect(database) as connection:
        files = connection.execute(
            "SELECT file_id, source, rows_accepted, rows_quarantined FROM ingest_file").fetchall()
        for file_id, source, accepted, quarantined in files:
            staged = connection.execute(f"SELECT count(*) FROM staged_{contract.by_id(source).id} WHERE file_id = ?",
                                        (file_id,)).fetchone()[0]
            kept = connection.execute("SELECT count(*) FROM ingest_quarantine WHERE file_id = ?",
                                      (file_id,)).fetchone()[0]
            assert (staged, kept) == (accepted, quarantined), source
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "record_link" in tables:
            linked = connection.execute("SELECT count(*) FROM record_link").fetchone()[0]
            person_sources = [source.id for source in contract.person_sources]
            staged_people = sum(connection.execute(f"SELECT count(*) FROM staged_{source}").fetchone()[0]
                                for source in person_sources
                                if f"staged_{source}" in tables)
            built_from = connection.execute("SELECT value FROM dataset_info WHERE key = 'built_from'").fetchone()
            hashes = [row[0] for row in connection.execute("SELECT content_sha256 FROM ingest_file")]  # no decisions
            if built_from and built_from[0] == fingerprint(hashes):
                assert linked == staged_people


@pytest.mark.slow
@pytest.mark.parametrize("kill_after_files", [1, 7, 15])
def test_a_killed_run_then_a_rerun_equals_an_uninterrupted_run(messy_extracts, tmp_path, kill_after_files):
    inbox = messy_extracts.inbox_copy(tmp_path / "inbox")
    reference_db, killed_db = tmp_path / "reference.db", tmp_path / "killed.db"
    assert subprocess.run(_command(messy_extracts, inbox, reference_db), capture_output=True,
                          cwd=PROJECT_ROOT).returncode == 0

    process = subprocess.Popen(_command(messy_extracts, inbox, killed_db), cwd=PROJECT_ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if _count(killed_db, "SELECT count(*) FROM ingest_file") >= kill_after_files:
            break
        time.sleep(0.01)
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()
    _check_consistent(killed_db)

    finished = subprocess.run(_command(messy_extracts, inbox, killed_db), capture_output=True, cwd=PROJECT_ROOT)
    assert finished.returncode == 0, finished.stderr.decode()
    _check_consistent(killed_db)
    reference, resumed = (make_engine(f"sqlite:///{path}") for path in (reference_db, killed_db))
    try:
        expected, got = read_linked(reference), read_linked(resumed)
    finally:
        reference.dispose()
        resumed.dispose()
    for name, frame in expected.items():
        if name == "dataset_info":
            frame, other = (data.filter(pl.col("key") != "loaded_at") for data in (frame, got[name]))
        else:
            other = got[name]
        assert other.sort(other.columns).equals(frame.sort(frame.columns)), name
