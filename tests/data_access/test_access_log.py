"""The access log: the web tier appends, and cannot read back (PostgreSQL grant; SQLite file and OS accounts).

PostgreSQL (the real server): `create_reader` makes the dashboard's role able to INSERT into access_log.access_event
and nothing else there; the test appends as that role, is refused SELECT, UPDATE, DELETE and TRUNCATE, and reads
the rows back as the owner. The web tier's separation check still passes with the grant.
SQLite: a JSON-lines file appended with O_APPEND (one whole line per write, also from many threads at once), made
0600 in a 0700 folder. The documented recipe for real data (the web tier's OS account may write the file but not
read it) is run for real in a child process that drops root's privileges, where the machine allows it.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import exc, select, text

from data_access.access import create_reader, drop_reader, reader_url, web_tier_engine
from data_access.access_log import (
    ACCESS_LOG_FILE,
    AccessEvent,
    JsonLinesAccessLog,
    TableAccessLog,
    access_event,
    keep_days,
    prune_jsonl,
    prune_table,
    web_tier_access_log,
)
from data_access.engine import make_engine
from data_access.published_writes import write_publication
from tests.data_access.test_web_tier_separation import FACTS, a_publication


def lines(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / ACCESS_LOG_FILE).read_text(encoding="utf-8").splitlines()]


# --- SQLite deployments: JSON lines ------------------------------------------------------------------------------


def test_events_are_appended_as_json_lines_in_a_private_file(tmp_path: Path):
    folder = tmp_path / "access-log"
    log = JsonLinesAccessLog(folder)
    at = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
    log.append(AccessEvent("ana@example.org", "analyst", "view", "measures", {"year": "2024/25"}, at))
    log.append(AccessEvent("ana@example.org", "analyst", "download", "measures", {"file": "m01.csv"}, at))
    assert lines(folder) == [
        {"at": "2026-03-04T09:30:00+00:00", "who": "ana@example.org", "role": "analyst", "event": "view",
         "page": "measures", "detail": {"year": "2024/25"}},
        {"at": "2026-03-04T09:30:00+00:00", "who": "ana@example.org", "role": "analyst", "event": "download",
         "page": "measures", "detail": {"file": "m01.csv"}},
    ]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / ACCESS_LOG_FILE).stat().st_mode) == 0o600


def test_appends_from_many_sessions_never_interleave(tmp_path: Path):
    log = JsonLinesAccessLog(tmp_path)
    long_value = "x" * 150  # lines of a few hundred bytes, written by 8 threads at once

    def write(thread: int) -> None:
        for index in range(50):
            log.append(AccessEvent(f"demo:{thread}", "analyst", "view", "overview", {"n": str(index),
                                                                                   "pad": long_value}))

    threads = [threading.Thread(target=write, args=(thread,)) for thread in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    written = lines(tmp_path)
    assert len(written) == 400
    assert {(line["who"], line["detail"]["n"]) for line in written} == {
        (f"demo:{t}", str(i)) for t in range(8) for i in range(50)}


def test_values_from_the_url_are_cut_short_and_unknown_events_refused(tmp_path: Path):
    log = JsonLinesAccessLog(tmp_path)
    log.append(AccessEvent("demo:analyst", "analyst", "view", "measures", {"year": "9" * 5000}))
    assert len(lines(tmp_path)[0]["detail"]["year"]) == 200
    with pytest.raises(ValueError, match="access event must be one of"):
        AccessEvent("demo:analyst", "analyst", "read_everything")


def test_prune_keeps_the_retention_period(tmp_path: Path):
    log = JsonLinesAccessLog(tmp_path)
    now = datetime.now(UTC)
    for days in (400, 367, 365, 1):
        log.append(AccessEvent(f"demo:{days}", "analyst", "view", "overview", at=now - timedelta(days=days)))
    assert keep_days() == 366  # config/privacy.toml
    assert prune_jsonl(tmp_path, now - timedelta(days=keep_days())) == 2
    assert [line["who"] for line in lines(tmp_path)] == ["demo:365", "demo:1"]
    assert stat.S_IMODE((tmp_path / ACCESS_LOG_FILE).stat().st_mode) == 0o600


def test_the_web_tier_log_of_a_sqlite_deployment_lies_beside_the_published_file(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("FAMILIES_ACCESS_LOG_DIR", raising=False)
    log = web_tier_access_log(f"sqlite:///{tmp_path / 'families-published.db'}")
    assert isinstance(log, JsonLinesAccessLog) and log.folder == tmp_path / "access-log"
    monkeypatch.setenv("FAMILIES_ACCESS_LOG_DIR", str(tmp_path / "elsewhere"))
    assert web_tier_access_log(f"sqlite:///{tmp_path / 'families-published.db'}").folder == tmp_path / "elsewhere"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to set up two OS accounts' ownership (CI runs as root)")
def test_the_documented_recipe_lets_the_web_account_append_but_not_read():
    """docs/sign-in.md: the log folder belongs to the data team's account, group = the web account's group,
    mode 2730; the file 0620. A child process that becomes `nobody` (the web account) appends and cannot read."""
    base = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        base.chmod(0o711)
        folder = base / "access-log"
        folder.mkdir()
        os.chown(folder, 0, 65534)
        folder.chmod(0o2730)
        log_file = folder / ACCESS_LOG_FILE
        log_file.write_text('{"earlier":"line"}\n')
        os.chown(log_file, 0, 65534)
        log_file.chmod(0o620)
        pid = os.fork()
        if pid == 0:  # the child: the web tier's account
            code = 2
            try:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                JsonLinesAccessLog(folder).append(AccessEvent("demo:analyst", "analyst", "view", "overview"))
                try:
                    log_file.read_bytes()
                    code = 3
                except PermissionError:
                    code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, "0: appended and refused reading; 3: could read; 2: failed"
        assert [line.get("who") for line in lines(folder)] == [None, "demo:analyst"]
        assert prune_jsonl(folder, datetime.now(UTC) - timedelta(days=1)) == 0  # the owner's daily prune ...
        kept = log_file.stat()
        assert (kept.st_uid, kept.st_gid, stat.S_IMODE(kept.st_mode)) == (0, 65534, 0o620)  # ... keeps the recipe
    finally:
        for path in sorted(base.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        base.rmdir()


# --- PostgreSQL: INSERT only ---------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_dashboard_role_can_insert_into_the_log_and_not_read_it(pg_url: str):
    owner = make_engine(pg_url)
    role = f"reader_{uuid.uuid4().hex[:12]}"
    web = log_engine = None
    try:
        write_publication(make_engine(pg_url, published=True), a_publication("families", 2), FACTS)
        assert create_reader(owner, role).problems == [], "the separation check still passes with the log grant"
        url = reader_url(pg_url, role)
        web = web_tier_engine(url)  # refuses a connection that could reach more than the published tables
        log = web_tier_access_log(url)
        assert isinstance(log, TableAccessLog)
        log_engine = log.engine
        log.append(AccessEvent("ana@example.org", "analyst", "view", "impact", {"outcome": "M03"}))
        log.append(AccessEvent("ana@example.org", "analyst", "download", "impact", {"file": "impact.csv"}))

        for statement in ("SELECT * FROM access_log.access_event", "SELECT count(*) FROM access_log.access_event",
                          "UPDATE access_log.access_event SET who = 'someone else'",
                          "DELETE FROM access_log.access_event", "TRUNCATE access_log.access_event"):
            with pytest.raises(exc.DBAPIError, match="permission denied"), log_engine.begin() as connection:
                connection.exec_driver_sql("SET TRANSACTION READ WRITE")
                connection.execute(text(statement))

        with owner.connect() as connection:
            rows = connection.execute(select(access_event.c.who, access_event.c.role, access_event.c.event,
                                             access_event.c.page, access_event.c.detail)
                                      .order_by(access_event.c.event_id)).all()
        assert [tuple(row) for row in rows] == [
            ("ana@example.org", "analyst", "view", "impact", '{"outcome":"M03"}'),
            ("ana@example.org", "analyst", "download", "impact", '{"file":"impact.csv"}'),
        ]
        old = AccessEvent("old@example.org", "analyst", "view", "overview", at=datetime.now(UTC) - timedelta(days=400))
        log.append(old)
        assert prune_table(owner, datetime.now(UTC) - timedelta(days=keep_days())) == 1
    finally:
        for engine in (web, log_engine):
            if engine is not None:
                engine.dispose()
        drop_reader(owner, role)
        owner.dispose()
