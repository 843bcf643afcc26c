"""Database URLs and engines.

FAMILIES_DB_URL names the linked family outcomes database (default: an SQLite file under data/).
FAMILIES_PUBLISHED_DB_URL names where published tables live (default: a separate SQLite file beside
it for SQLite; for PostgreSQL the same database, schema "published"). The web tier only ever gets
the published engine, opened read-only (data_access/access.py: web_tier_engine).

Personal SQLite files (every SQLite database that is not a publication) are created 0600, in a folder created
0700. A read-only PostgreSQL engine sets, on every connection, the session settings the dashboard relies on
(READER_SESSION_SETTINGS): a role can change its own defaults (ALTER ROLE ... SET), but not these.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path
from urllib.parse import quote, unquote

from sqlalchemy import Engine, Table, create_engine, event, func, inspect, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "families.db"
PUBLISHED_SCHEMA = "published"
PERSONAL_FILE_MODE = 0o600
PERSONAL_FOLDER_MODE = 0o700

READER_SESSION_SETTINGS: dict[str, str] = {
    "default_transaction_read_only": "on",  # a second lock behind the role's privileges
    "search_path": PUBLISHED_SCHEMA,  # unqualified names can only mean published tables
    "statement_timeout": "30s",  # no page query may hold the server for long
    "lock_timeout": "5s",  # never queue behind a publish's table replacement for long
    "idle_in_transaction_session_timeout": "1min",
    "extra_float_digits": "1",  # floats travel as text: a lower value would round every published number
    "datestyle": "ISO, YMD",  # the driver parses dates in ISO form only
}
"""Session settings of the dashboard's PostgreSQL connections: given at connection start-up (libpq options), which
overrides any role or database default, and also set as the reader role's defaults by create-reader."""


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


def publishing_db_url(linked_url: str | None = None) -> str:
    """Where `python -m metrics.publish` writes: the published tables the dashboard reads, as the linked data's owner.

    FAMILIES_PUBLISHED_DB_URL names what the dashboard reads. On PostgreSQL that is the reader role's URL, which may
    not write, so publish keeps the driver, user and password of the linked URL and takes the host, port and database
    from FAMILIES_PUBLISHED_DB_URL (a separate published database); unset, it is the linked database (schema
    published). On SQLite there are no roles: the same published file.
    """
    linked = normalise_url(linked_url or linked_db_url())
    published = normalise_url(published_db_url(linked))
    target, owner = make_url(published), make_url(linked)
    if target.get_backend_name() != "postgresql" or owner.get_backend_name() != "postgresql":
        return published
    return owner.set(host=target.host, port=target.port, database=target.database).render_as_string(
        hide_password=False)


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
        engine = create_engine(url, poolclass=NullPool)
        if not published:  # linked (personal) data: the file is made 0600 before SQLite first opens it
            event.listen(engine, "do_connect", _create_personal_sqlite_file)
        elif parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    connect_args = {}
    if read_only:  # keeps any libpq options the URL already gives; ours come last, so they win
        given = parsed.query.get("options")
        connect_args["options"] = " ".join(filter(None, [given, reader_session_options()]))
    engine = create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4, connect_args=connect_args)
    if published:
        engine = engine.execution_options(schema_translate_map={None: PUBLISHED_SCHEMA})
    return engine


def reader_session_options() -> str:
    """READER_SESSION_SETTINGS as a libpq `options` string (spaces in values escaped)."""
    return " ".join(f"-c {name}={value.replace(' ', chr(92) + ' ')}" for name, value in READER_SESSION_SETTINGS.items())


def create_personal_sqlite_file(path: Path) -> None:
    """Create an empty SQLite file readable by its owner only (0600), in a folder created 0700 if missing.

    Existing files and folders are left as they are (they may be shared on purpose). SQLite gives its -wal, -shm
    and journal files the mode of the database file, so they are 0600 too.
    """
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=PERSONAL_FOLDER_MODE)
        path.parent.chmod(PERSONAL_FOLDER_MODE)  # mkdir's mode is masked by the umask
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PERSONAL_FILE_MODE)
    except FileExistsError:
        return
    os.close(descriptor)
    if stat.S_IMODE(path.stat().st_mode) != PERSONAL_FILE_MODE:  # a umask can only remove bits; be exact anyway
        path.chmod(PERSONAL_FILE_MODE)


def _create_personal_sqlite_file(dialect, _record, cargs, cparams) -> None:
    database = cparams.get("database") or (cargs[0] if cargs else None)
    if not database or database == ":memory:" or str(database).startswith("file:"):
        return
    create_personal_sqlite_file(Path(database))


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




def has_rows(engine: Engine, table: Table) -> bool:
    """Whether `table` exists (in the schema the engine maps its schema to) and holds at least one row."""
    schema = engine.get_execution_options().get("schema_translate_map", {}).get(None)
    if not inspect(engine).has_table(table.name, schema=schema):
        return False
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one() > 0
