"""The access log: who opened which page or downloaded which file, with which role, and when.

The web tier can append to it and never read it back:
- PostgreSQL: table access_log.access_event. `python -m data_access.access create-reader` grants the dashboard's
  role USAGE on the schema and INSERT on the table, nothing else (no SELECT, UPDATE, DELETE or TRUNCATE), so a
  page cannot read who looked at what, and cannot rewrite history.
- SQLite: a JSON-lines file, data/access-log/access.jsonl beside (never inside) the published file, or
  FAMILIES_ACCESS_LOG_DIR. Each line is appended with O_APPEND through a write-only file descriptor; the folder is
  made 0700 and the file 0600. The web tier has no function that reads it. For real data, run the dashboard as an
  operating-system account that may write but not read it (docs/sign-in.md has the recipe).

Kept for config/privacy.toml [access_log] keep_days; `python -m data_access.access_log prune` (run by the owner,
e.g. daily from cron) deletes older entries. Nothing personal about families is ever logged: the log names staff
(their e-mail address or the provider's subject id), the page, the selections and the file name.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    Identity,
    MetaData,
    String,
    Table,
    Text,
    delete,
    text,
)
from sqlalchemy.engine import make_url

from data_access.config import read_config_file
from data_access.engine import linked_db_url, make_engine, normalise_url, published_db_url, sqlite_path

ACCESS_LOG_SCHEMA = "access_log"
ACCESS_LOG_FILE = "access.jsonl"
EVENTS = ("sign_in", "view", "download", "refused")
MAX_TEXT = 200  # selections come from the URL: whatever a visitor types there is cut to this length

access_log_metadata = MetaData(schema=ACCESS_LOG_SCHEMA)

access_event = Table(
    "access_event",
    access_log_metadata,
    # An identity column needs no grant on a sequence, so INSERT alone is enough for the web tier.
    Column("event_id", BigInteger, Identity(always=True), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("who", String(320), nullable=False),
    Column("role", String(64)),
    Column("event", String(16), nullable=False),
    Column("page", String(32)),
    Column("detail", Text),
    implicit_returning=False,  # INSERT ... RETURNING would need SELECT, which the web tier does not have
)


# Plain SQL on purpose: SQLAlchemy's insert() would first SELECT nextval() of the identity's sequence (to learn the
# key), which needs a grant on the sequence; this statement lets the database fill event_id itself.
_INSERT = text(f"INSERT INTO {ACCESS_LOG_SCHEMA}.{access_event.name} (at, who, role, event, page, detail) "
               "VALUES (:at, :who, :role, :event, :page, :detail)")


class AccessLogError(RuntimeError):
    """The access log could not be written (the dashboard then shows no data: access must be recorded)."""


@dataclass(frozen=True)
class AccessEvent:
    who: str
    role: str | None
    event: str
    page: str | None = None
    detail: Mapping[str, str] = field(default_factory=dict)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        if self.event not in EVENTS:
            raise ValueError(f"access event must be one of {', '.join(EVENTS)}, not {self.event!r}")

    def record(self) -> dict[str, object]:
        detail = {str(key)[:MAX_TEXT]: str(value)[:MAX_TEXT] for key, value in sorted(self.detail.items())}
        return {"at": self.at.astimezone(UTC).isoformat(timespec="seconds"), "who": self.who[:320],
                "role": self.role, "event": self.event, "page": self.page, "detail": detail}


class AccessLog(Protocol):
    def append(self, event: AccessEvent) -> None: ...


class JsonLinesAccessLog:
    """Appends one JSON object per line; opens write-only each time, so it never holds (or reads) the file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / ACCESS_LOG_FILE

    def append(self, event: AccessEvent) -> None:
        line = (json.dumps(event.record(), ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        try:
            if not self.folder.is_dir():
                self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                os.write(descriptor, line)  # one write of one line: appends from many sessions never interleave
            finally:
                os.close(descriptor)
        except OSError as error:
            raise AccessLogError(f"cannot append to the access log in {self.folder} ({error.strerror})") from None


class TableAccessLog:
    """Inserts into access_log.access_event as the dashboard's role (which may INSERT there and nothing else)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def append(self, event: AccessEvent) -> None:
        row = event.record()
        row["at"] = event.at
        row["detail"] = json.dumps(row["detail"], ensure_ascii=False, separators=(",", ":"))
        try:
            with self.engine.begin() as connection:
                # The reader's sessions default to read-only; this one transaction may write (INSERT is all it may).
                connection.exec_driver_sql("SET TRANSACTION READ WRITE")
                connection.execute(_INSERT, row)
        except Exception as error:  # noqa: BLE001 - any driver error; the message may name the row, so not quoted
            raise AccessLogError(f"cannot insert into {ACCESS_LOG_SCHEMA}.{access_event.name} "
                                 f"({type(error).__name__}); has `python -m data_access.access create-reader` "
                                 "been run since the access log was added?") from None


def access_log_dir(published_url: str | None = None) -> Path:
    """Where a SQLite deployment's log goes: FAMILIES_ACCESS_LOG_DIR, else access-log/ beside the published file."""
    explicit = os.environ.get("FAMILIES_ACCESS_LOG_DIR")
    if explicit:
        return Path(explicit)
    path = sqlite_path(published_url or published_db_url())
    if path is None:
        raise AccessLogError("set FAMILIES_ACCESS_LOG_DIR: the published database is not a SQLite file")
    return path.resolve().parent / "access-log"


def web_tier_access_log(published_url: str | None = None) -> AccessLog:
    """The log the web tier appends to, on the same database (or beside the same file) as its published tables."""
    url = normalise_url(published_url or published_db_url())
    if make_url(url).get_backend_name() == "sqlite":
        return JsonLinesAccessLog(access_log_dir(url))
    return TableAccessLog(make_engine(url))


# --- the owner's side: the grant, retention -------------------------------------------------------------------


def grant_access_log_insert(connection: Connection, reader: str, owner: str) -> None:
    """Create the log table if needed (owned by `owner`) and let `reader` INSERT into it, and do nothing else.

    Called by data_access.access.create_reader; role names are already checked and quoted there.
    """
    schema = _quote(ACCESS_LOG_SCHEMA)
    connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {owner}")
    access_log_metadata.create_all(connection, checkfirst=True)
    table = f"{schema}.{_quote(access_event.name)}"
    # Created by whoever runs create-reader (often a superuser): the owner owns it, like the schema, so that dropping
    # the owner's objects never leaves a table behind in a schema it cannot drop.
    connection.exec_driver_sql(f"ALTER TABLE {table} OWNER TO {owner}")
    connection.exec_driver_sql(f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC, {reader}")
    connection.exec_driver_sql(f"REVOKE ALL ON {table} FROM PUBLIC, {reader}")
    connection.exec_driver_sql(f"GRANT USAGE ON SCHEMA {schema} TO {reader}")
    connection.exec_driver_sql(f"GRANT INSERT ON {table} TO {reader}")


def keep_days(config_dir: Path | None = None) -> int:
    """How long access-log entries are kept: config/privacy.toml [access_log] keep_days."""
    section = read_config_file("privacy.toml", config_dir).get("access_log", {})
    days = section.get("keep_days") if isinstance(section, dict) else None
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        from data_access.config import ConfigError

        raise ConfigError("privacy.toml: [access_log] keep_days must be a whole number of days, at least 1.")
    return days


def prune_jsonl(folder: Path, older_than: datetime) -> int:
    """Drop lines older than `older_than` from the JSON-lines log (atomic replace); returns how many went."""

    def recent(line: str) -> bool:
        try:
            return datetime.fromisoformat(json.loads(line)["at"]) >= older_than
        except (ValueError, KeyError, TypeError):
            return True  # a line that cannot be read is kept for a person to look at

    return rewrite_jsonl(folder, recent)


def rewrite_jsonl(folder: Path, keep: Callable[[str], bool]) -> int:
    """Keep only the lines `keep` accepts (atomic replace, same mode, owner and group); returns how many went.

    Used by prune (retention) and by erasure (lines naming an erased person)."""
    path = folder / ACCESS_LOG_FILE
    if not path.exists():
        return 0
    kept, dropped = [], 0
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if keep(line):
            kept.append(line)
        else:
            dropped += 1
    if not dropped:
        return 0
    replacement = path.with_name(path.name + ".prune")
    descriptor = os.open(replacement, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.writelines(kept)
    before = path.stat()
    os.chmod(replacement, before.st_mode & 0o777)
    try:
        if (before.st_uid, before.st_gid) != (os.getuid(), os.getgid()):
            # keep owner and group (the web tier's group may write it: docs/sign-in.md); fail rather than lock it out
            os.chown(replacement, before.st_uid, before.st_gid)
    except OSError:
        replacement.unlink()
        raise
    os.replace(replacement, path)
    return dropped


def prune_table(engine: Engine, older_than: datetime) -> int:
    with engine.begin() as connection:
        return connection.execute(delete(access_event).where(access_event.c.at < older_than)).rowcount


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_access.access_log", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prune = commands.add_parser("prune", help="delete entries older than the retention period")
    prune.add_argument("--db", default=None, help="PostgreSQL: the database, as the log's owner "
                       "(default: FAMILIES_DB_URL); SQLite: the linked or published file, to find access-log/")
    prune.add_argument("--keep-days", type=int, default=None, help="default: config/privacy.toml [access_log]")
    args = parser.parse_args(argv)
    days = args.keep_days or keep_days()
    cutoff = datetime.now(UTC) - timedelta(days=days)
    url = normalise_url(args.db or linked_db_url())
    if make_url(url).get_backend_name() == "sqlite":
        dropped = prune_jsonl(access_log_dir(published_db_url(url)), cutoff)
    else:
        engine = make_engine(url)
        try:
            dropped = prune_table(engine, cutoff)
        finally:
            engine.dispose()
    print(f"access log: removed {dropped} entries older than {days} days")
    return 0


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


if __name__ == "__main__":
    raise SystemExit(main())
