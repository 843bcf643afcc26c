"""Database URLs and engines.

FAMILIES_DB_URL names the linked family outcomes database (default: an SQLite file under data/).
FAMILIES_PUBLISHED_DB_URL names where published tables live (default: a separate SQLite file beside
it for SQLite; for PostgreSQL the same database, schema "published"). The web tier only ever gets
the published engine.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
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


def make_engine(url: str, *, published: bool = False) -> Engine:
    """An engine for `url`; SQLite files get their folder created and foreign keys switched on.

    For PostgreSQL published tables, unqualified table names resolve to the "published" schema.
    """
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, poolclass=NullPool)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4)
    if published:
        engine = engine.execution_options(schema_translate_map={None: PUBLISHED_SCHEMA})
    return engine


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


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
