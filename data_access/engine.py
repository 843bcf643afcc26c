"""Database URLs and engines.

FAMILIES_DB_URL names the linked family outcomes database (default: an SQLite file under data/).
FAMILIES_PUBLISHED_DB_URL names where published tables live (default: a separate SQLite file beside
it for SQLite; for PostgreSQL the same database, schema "published"). The web tier only ever gets
the published engine, opened read-only (data_access/access.py: web_tier_engine).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote, unquote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "families.db"
PUBLISHED_SCHEMA = "published"


def linked_db_url() -> str:
    return os.environ.get("FAMILIES_DB_URL") or f"sqlite:///{DEFAULT_DB_PATH}"


def published_db_url(linked_url: str | None = None) -> str:
    explicit = os.environ.get("FAMILIES_PUBLISHED_DB_URL")
    if explicit:
        return explicit
    url = make_url(linked_url or linked_db_url())
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database)
        return str(url.set(database=str(path.with_name(f"{path.stem}-published{path.suffix or '.db'}"))))
    return str(url)


def normalise_url(url: str) -> str:
    """Accept postgresql:// and postgres:// URLs and use the psycopg 3 driver for them."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, published: bool = False, read_only: bool = False) -> Engine:
    """An engine for `url`; SQLite files get their folder created and foreign keys switched on.

    For PostgreSQL published tables, unqualified table names resolve to the "published" schema.
    `read_only` (the web tier): SQLite opens the existing file with mode=ro, so no statement can write and
    nothing is created, and no other database file can be ATTACHed; PostgreSQL sessions start read-only
    (the role's privileges are the real limit there: data_access/access.py). A SQLite URL that already says
    mode=ro is treated as read-only too.
    """
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if read_only or parsed.query.get("mode") == "ro":
            engine = create_engine(sqlite_read_only_url(url), poolclass=NullPool)
            event.listen(engine, "connect", _sqlite_read_only_pragmas)
            event.listen(engine, "begin", _sqlite_begin_deferred)
            return engine
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, poolclass=NullPool)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    connect_args = {}
    if read_only:  # keeps any libpq options the URL already gives
        given = parsed.query.get("options")
        connect_args["options"] = " ".join(filter(None, [given, "-c default_transaction_read_only=on"]))
    engine = create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4, connect_args=connect_args)
    if published:
        engine = engine.execution_options(schema_translate_map={None: PUBLISHED_SCHEMA})
    return engine


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite URL names, plain (sqlite:///path) or URI form (sqlite:///file:path?uri=true); else None."""
    parsed = make_url(normalise_url(url))
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:") or parsed.query.get("mode") == "memory":
        return None
    if parsed.query.get("uri") == "true" and database.startswith("file:"):
        location = database.removeprefix("file:")
        if location.startswith("//"):  # file://[localhost]/path
            location = location[2:].removeprefix("localhost")
        database = unquote(location)
    return Path(database)


def sqlite_read_only_url(url: str) -> str:
    """The same SQLite file as a read-only URI URL (sqlite:///file:/abs/path?mode=ro&uri=true)."""
    path = sqlite_path(url)
    if path is None:
        raise ValueError(f"a read-only SQLite engine needs a database file, not {url!r}")
    return URL.create(
        "sqlite", database=f"file:{quote(str(path.resolve()))}", query={"mode": "ro", "uri": "true"}
    ).render_as_string()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Python's sqlite3 only opens a transaction before DML, so a DROP/CREATE would run outside it and a
    # failed replace would lose the old tables. Hand transaction control to SQLAlchemy (its documented
    # pysqlite recipe): autocommit at the driver, and an explicit BEGIN IMMEDIATE on every begin().
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_begin(connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_read_only_pragmas(dbapi_connection, _record) -> None:
    # Same transaction handling as above, but no journal-mode change (that would be a write), and no
    # ATTACH: a read-only connection could otherwise attach and read any other file, the linked one included.
    dbapi_connection.isolation_level = None
    dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)


def _sqlite_begin_deferred(connection) -> None:
    # A reader takes no write lock, so it never waits for (or blocks) a publish in progress (WAL).
    connection.exec_driver_sql("BEGIN")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
