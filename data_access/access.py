"""Who may read what: the web tier reaches the published tables only, and cannot write them.

PostgreSQL: the app connects as a LOGIN role that may use schema "published" and SELECT its tables, and
nothing else (no privilege on the linked tables, no write, no membership of another role). The role is made by

    python -m data_access.access create-reader --db PUBLISHED_DB_URL [--role dashboard_reader]
        [--publisher OWNER] [--linked-db LINKED_DB_URL] [--password-env VAR]

run by a superuser or a role with CREATEROLE, and the app is given its URL as FAMILIES_PUBLISHED_DB_URL (it also
hardens the role: data_access.reader_role). SQLite: the published tables are a separate file
(data_access.engine.published_db_url); the web tier opens that file read-only and never opens the linked file.

Either way `web_tier_engine()` refuses to hand the pages a connection that could reach more than the published
tables, so a wrongly written page cannot read personal data through it. `python -m data_access.access check`
runs the same test from the command line, and reports what weakens the reader role besides (`--strict` counts
warnings too); docs/privacy-architecture.md and docs/postgresql.md explain the design.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sqlite3
import sys
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, exc, func, select, text
from sqlalchemy.engine import URL, make_url

from data_access.access_log import grant_access_log_insert
from data_access.db_errors import plain_message
from data_access.engine import (
    PUBLISHED_SCHEMA,
    linked_db_url,
    make_engine,
    normalise_url,
    published_db_url,
    sqlite_path,
    sqlite_read_only_url,
)
from data_access.published_schema import publication_info
from data_access.reader_role import (
    connect_problems_and_warnings,
    creator_problems,
    lock_database,
    pin_role_settings,
    revoke_connect_elsewhere,
    role_setting_problems,
    shared_database_warnings,
)
from data_access.schema import linked_metadata

logger = logging.getLogger(__name__)

DEFAULT_READER_ROLE = "dashboard_reader"
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
LINKED_TABLES = tuple(sorted(linked_metadata.tables))
_RELATIONS = "('r', 'p', 'v', 'm', 'f')"  # tables, partitioned tables, views, materialised views, foreign tables
_SYSTEM_SCHEMA = "(n.nspname IN ('pg_catalog', 'information_schema') OR n.nspname LIKE 'pg\\_%')"


class SeparationError(RuntimeError):
    """The web tier's connection could reach more than the published tables (or none is configured)."""


class ReaderSetupError(RuntimeError):
    """create-reader cannot run as this role, or the database refused a step; nothing was changed."""


@dataclass(frozen=True)
class ReaderReport:
    """What `check` and `create-reader` report about the dashboard's connection.

    problems: the role could reach more than the published tables (the app refuses these), or it was changed or
    given more than create-reader set (the app still serves, because it pins its own settings); warnings: the
    deployment is weaker than the recommended one (other databases open to the role through PUBLIC, linked tables
    in the same database).
    """

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# --- the web tier's connection ------------------------------------------------------------------------


def web_tier_url() -> str:
    """The URL the web tier opens: the published tables only, read-only on SQLite.

    SQLite: the published file beside the linked one (or FAMILIES_PUBLISHED_DB_URL), as a mode=ro URI.
    PostgreSQL: FAMILIES_PUBLISHED_DB_URL must be set (the reader role); the linked URL's role is never used.
    """
    url = normalise_url(published_db_url())
    if make_url(url).get_backend_name() == "sqlite":
        return sqlite_read_only_url(url)
    if not os.environ.get("FAMILIES_PUBLISHED_DB_URL"):
        raise SeparationError(
            "On PostgreSQL the dashboard needs FAMILIES_PUBLISHED_DB_URL: the URL of the read-only role that "
            "`python -m data_access.access create-reader` makes. It never connects with FAMILIES_DB_URL, whose "
            "role can read personal data."
        )
    return url


def web_tier_engine(url: str | None = None) -> Engine:
    """A read-only engine on the published tables, after checking it can reach nothing else.

    Raises SeparationError (with every problem found) when the connection could read a linked table, write
    a published one, or is the linked SQLite file; FileNotFoundError when a SQLite publication is missing.
    """
    url = url or web_tier_url()
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        raise FileNotFoundError(f"No published tables at {path}: run `python -m metrics.publish` first.")
    engine = make_engine(url, published=True, read_only=True)
    try:
        with engine.connect() as connection:
            problems = separation_problems(connection)
            if connection.dialect.name == "postgresql" and not problems:
                for problem in role_setting_problems(connection, connection.execute(text("SELECT current_user"))
                                                     .scalar_one()):
                    logger.warning("dashboard reader: %s", problem)  # served anyway: this engine pins its settings
    except Exception:
        engine.dispose()
        raise
    if problems:
        engine.dispose()
        listed = "\n".join(f"- {problem}" for problem in problems)
        raise SeparationError(
            "The dashboard will not use this database connection: it could reach more than the published "
            f"tables (docs/privacy-architecture.md):\n{listed}"
        )
    return engine


def separation_problems(connection: Connection, role: str | None = None) -> list[str]:
    """Everything that lets this connection (or, on PostgreSQL, `role`) reach more than the published tables."""
    if connection.dialect.name == "sqlite":
        return _sqlite_problems(connection)
    return _postgresql_problems(connection, role)


def reader_report(connection: Connection, role: str | None = None) -> ReaderReport:
    """separation_problems, plus (PostgreSQL) changed role settings, CONNECT elsewhere and a shared database."""
    problems = separation_problems(connection, role)
    if connection.dialect.name != "postgresql":
        return ReaderReport(problems, [])
    role = role or connection.execute(text("SELECT current_user")).scalar_one()
    if not connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}).first():
        return ReaderReport(problems, [])
    problems = problems + role_setting_problems(connection, role)
    connect_problems, warnings = connect_problems_and_warnings(connection, role)
    return ReaderReport(problems + connect_problems, warnings + shared_database_warnings(connection))


def _sqlite_problems(connection: Connection) -> list[str]:
    problems = []
    url = connection.engine.url
    if url.query.get("mode") != "ro":
        problems.append("the SQLite file is not opened read-only (mode=ro)")
    path = sqlite_path(url.render_as_string(hide_password=False))
    linked = sqlite_path(linked_db_url())
    if path is not None and linked is not None and path.resolve() == linked.resolve():
        problems.append(f"{path} is the linked (personal) database, not the published one")
    listed = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
    names = {row[0] for row in listed}
    present = sorted(names & set(LINKED_TABLES))
    if present:
        problems.append(f"the file holds linked tables: {', '.join(present)}")
    if connection.connection.dbapi_connection.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED) != 0:
        problems.append("other database files could be ATTACHed to this connection")
    return problems


def _postgresql_problems(connection: Connection, role: str | None) -> list[str]:
    who = {"role": role}
    me = "COALESCE(CAST(:role AS name), current_user)"
    problems = []
    attributes = connection.execute(
        text(f"SELECT rolname, rolsuper, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles "
             f"WHERE rolname = {me}"), who,
    ).one_or_none()
    if attributes is None:
        return [f"role {role} does not exist"]
    name, superuser, createrole, replication, bypassrls = attributes
    for flag, meaning in ((superuser, "SUPERUSER"), (createrole, "CREATEROLE"), (replication, "REPLICATION"),
                          (bypassrls, "BYPASSRLS")):
        if flag:
            problems.append(f"role {name} has {meaning}")
    memberships = connection.execute(
        text(f"SELECT r.rolname FROM pg_roles r WHERE r.rolname <> {me} AND pg_has_role({me}, r.oid, 'MEMBER') "
             "ORDER BY 1"), who,
    ).scalars().all()
    if memberships:
        problems.append(f"role {name} is a member of {', '.join(memberships)} (it could use their privileges)")
    readable = connection.execute(
        text(f"SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c "
             f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN {_RELATIONS} "
             f"AND n.nspname <> :published AND NOT {_SYSTEM_SCHEMA} "
             f"AND has_any_column_privilege({me}, c.oid, 'SELECT') ORDER BY 1"),
        {**who, "published": PUBLISHED_SCHEMA},
    ).scalars().all()
    if readable:
        problems.append(f"role {name} can read tables outside schema {PUBLISHED_SCHEMA}: {', '.join(readable)}")
    writable = connection.execute(
        text(f"SELECT quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
             f"WHERE n.nspname = :published AND c.relkind IN {_RELATIONS} "
             f"AND (has_table_privilege({me}, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') "
             f"OR has_any_column_privilege({me}, c.oid, 'INSERT, UPDATE, REFERENCES')) ORDER BY 1"),
        {**who, "published": PUBLISHED_SCHEMA},
    ).scalars().all()
    if writable:
        problems.append(f"role {name} can change published tables: {', '.join(writable)}")
    creatable = connection.execute(
        text(f"SELECT quote_ident(n.nspname) FROM pg_namespace n WHERE NOT {_SYSTEM_SCHEMA} "
             f"AND has_schema_privilege({me}, n.oid, 'CREATE') ORDER BY 1"), who,
    ).scalars().all()
    if creatable:
        problems.append(f"role {name} can create objects in schema(s) {', '.join(creatable)}")
    return problems


# --- the reader role (PostgreSQL) ---------------------------------------------------------------------------


def create_reader(engine: Engine, role: str = DEFAULT_READER_ROLE, *, password: str | None = None,
                  publisher: str | None = None, linked_database: str | None = None) -> ReaderReport:
    """Create or update (and repair) the dashboard's LOGIN role; returns what `check` would report afterwards.

    Grants: CONNECT on this database (the one holding schema "published"), USAGE on the schema, SELECT on its tables
    now and on the tables `publisher` (default: the connecting role, who runs `python -m metrics.publish`) creates
    there later; INSERT (only) on the access log, access_log.access_event (data_access/access_log.py), which it
    creates if missing. Sets: READER_SESSION_SETTINGS as the role's defaults, after removing any other default it has.
    Revokes: every privilege of the role, and of PUBLIC, on the tables in the schemas holding linked tables; the
    role's CONNECT on any other database; with `linked_database` (a separate published database), PUBLIC's CONNECT
    on the linked database, which the publisher is then granted explicitly.
    A password, if given, is hashed here (libpq) and only its SCRAM verifier is sent to the server.
    Raises ReaderSetupError, before changing anything, when the connecting role may not do all this.
    """
    _check_role_name(role)
    with engine.begin() as connection:
        me = connection.execute(text("SELECT current_user")).scalar_one()
        publisher = publisher or me
        _check_role_name(publisher)
        if not connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": publisher}).first():
            raise ReaderSetupError(f"the publisher role {publisher} does not exist (--publisher names the role that "
                                   "runs `python -m metrics.publish`)")
        database = connection.execute(text("SELECT current_database()")).scalar_one()
        if linked_database == database:
            raise ReaderSetupError(f"--linked-db names {database}, the database the reader connects to: leave it out "
                                   "when the published tables share the linked database")
        if linked_database and not connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": linked_database}).first():
            raise ReaderSetupError(f"--linked-db: there is no database {linked_database} on this server")
        problems = creator_problems(connection, publisher)
        if problems:
            raise ReaderSetupError("; ".join(problems))
        reader, owner, schema = _ident(role), _ident(publisher), _ident(PUBLISHED_SCHEMA)
        exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}).first()
        attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT"
        connection.exec_driver_sql(f"{'ALTER' if exists else 'CREATE'} ROLE {reader} {attributes}")
        if password is not None:
            verifier = _password_verifier(connection, role, password)
            connection.exec_driver_sql(f"ALTER ROLE {reader} PASSWORD {_literal(verifier)}")
        pin_role_settings(connection, role)
        connection.exec_driver_sql(f"GRANT CONNECT ON DATABASE {_ident(database)} TO {reader}")
        revoke_connect_elsewhere(connection, role)
        if linked_database:
            lock_database(connection, linked_database, role, keep=[publisher])
        connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {owner}")
        connection.exec_driver_sql(f"REVOKE ALL ON SCHEMA {schema} FROM {reader}")
        connection.exec_driver_sql(f"GRANT USAGE ON SCHEMA {schema} TO {reader}")
        connection.exec_driver_sql(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {reader}")
        connection.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {reader}")
        # publish drops and re-creates the tables: new tables made by the publisher are readable too.
        connection.exec_driver_sql(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} GRANT SELECT ON TABLES TO {reader}"
        )
        # The access log: INSERT only, so the dashboard records who looked at what but cannot read it back.
        grant_access_log_insert(connection, reader, owner)
        for linked_schema in _linked_schemas(connection):
            connection.exec_driver_sql(f"REVOKE ALL ON ALL TABLES IN SCHEMA {linked_schema} FROM PUBLIC, {reader}")
            connection.exec_driver_sql(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {linked_schema} FROM PUBLIC, {reader}")
            connection.exec_driver_sql(f"REVOKE ALL ON SCHEMA {linked_schema} FROM {reader}")
        return reader_report(connection, role)


def drop_reader(engine: Engine, role: str) -> None:
    """Remove the role's privileges in this database, then the role (it must hold none in other databases)."""
    _check_role_name(role)
    with engine.begin() as connection:
        if connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}).first():
            connection.exec_driver_sql(f"DROP OWNED BY {_ident(role)}")
            connection.exec_driver_sql(f"DROP ROLE {_ident(role)}")


def reader_url(db_url: str, role: str, password_env: str | None = None) -> str:
    """The reader's URL for FAMILIES_PUBLISHED_DB_URL; the password appears as ${VAR}, never in clear."""
    given = make_url(normalise_url(db_url))
    url = URL.create(given.drivername, username=role, host=given.host, port=given.port, database=given.database,
                     query=given.query)
    rendered = url.render_as_string(hide_password=False)
    if password_env:
        rendered = rendered.replace(f"//{role}@", f"//{role}:${{{password_env}}}@", 1)
    return rendered


def _linked_schemas(connection: Connection) -> list[str]:
    """Schemas holding linked tables (public before the first load)."""
    found = connection.execute(
        text("SELECT DISTINCT quote_ident(n.nspname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
             "WHERE c.relname = ANY(:names) AND n.nspname <> :published ORDER BY 1"),
        {"names": list(LINKED_TABLES), "published": PUBLISHED_SCHEMA},
    ).scalars().all()
    return list(found) or ["public"]


def _password_verifier(connection: Connection, role: str, password: str) -> str:
    """The server's password hash (SCRAM-SHA-256 by default), computed by libpq on this side."""
    pgconn = connection.connection.driver_connection.pgconn
    return pgconn.encrypt_password(password.encode(), role.encode()).decode()


def _check_role_name(role: str) -> None:
    if not ROLE_NAME.match(role):
        raise ValueError(f"role name {role!r}: use lower-case letters, digits and _ (at most 63; not a digit first)")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# --- the publisher ---------------------------------------------------------------------------------------------


def publisher_problems(engine: Engine) -> list[str]:
    """Why `engine` could not replace the published tables (empty when it can): checked before publish computes.

    PostgreSQL: the session must not be read-only, the role must be able to create in schema published (or create
    the schema), and must own the published tables already there (DROP needs it). SQLite: the file (or its folder)
    must be writable and not opened read-only.
    """
    url = engine.url
    if engine.dialect.name == "sqlite":
        path = sqlite_path(url.render_as_string(hide_password=False))
        if url.query.get("mode") == "ro":
            return ["the published SQLite file is opened read-only (mode=ro)"]
        if path is not None:
            target = path if path.exists() else path.parent
            if target.exists() and not os.access(target, os.W_OK):
                return [f"{target} is not writable by this user"]
        return []
    with engine.connect() as connection:
        who = connection.execute(text("SELECT current_user")).scalar_one()
        problems = []
        if connection.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "on":
            problems.append(f"role {who}'s sessions are read-only (is this the reader's URL? publish needs the "
                            "owner's)")
        schema_exists = connection.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"),
                                           {"s": PUBLISHED_SCHEMA}).first()
        may_create = connection.execute(
            text("SELECT has_schema_privilege(:s, 'CREATE')") if schema_exists
            else text("SELECT has_database_privilege(current_database(), 'CREATE')"), {"s": PUBLISHED_SCHEMA},
        ).scalar_one()
        if not may_create:
            where = f"schema {PUBLISHED_SCHEMA}" if schema_exists else "this database (to create schema published)"
            problems.append(f"role {who} may not create tables in {where}")
        not_owned = connection.execute(
            text("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                 "WHERE n.nspname = :s AND c.relkind IN ('r', 'p') AND NOT pg_has_role(c.relowner, 'USAGE') "
                 "ORDER BY 1"), {"s": PUBLISHED_SCHEMA},
        ).scalars().all()
        if not_owned:
            problems.append(f"role {who} does not own the published tables it must replace: {', '.join(not_owned)}")
        return problems


# --- keeping read grants when publish replaces the tables ---------------------------------------------------


def published_read_grants(connection: Connection) -> list[tuple[str, str]]:
    """(table, grantee) for every SELECT grant on a published table (PostgreSQL; [] on SQLite).

    Taken before publish drops the tables and given back afterwards by `restore_read_grants`, so a replace
    never changes who may read them, whichever role runs the publish.
    """
    if connection.dialect.name != "postgresql":
        return []
    rows = connection.execute(
        text("SELECT c.relname, CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END "
             "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
             "CROSS JOIN LATERAL aclexplode(c.relacl) g LEFT JOIN pg_roles r ON r.oid = g.grantee "
             "WHERE n.nspname = :published AND c.relkind IN ('r', 'p') AND g.privilege_type = 'SELECT' "
             "AND g.grantee <> c.relowner ORDER BY 1, 2"),
        {"published": PUBLISHED_SCHEMA},
    ).all()
    return [(table, grantee) for table, grantee in rows]


def restore_read_grants(connection: Connection, grants: list[tuple[str, str]]) -> None:
    """Give back SELECT grants taken by `published_read_grants` on the tables that exist again."""
    schema = _ident(PUBLISHED_SCHEMA)
    for table, grantee in grants:
        qualified = f"{schema}.{_ident(table)}"
        if connection.execute(text("SELECT to_regclass(:name)"), {"name": qualified}).scalar_one() is not None:
            connection.exec_driver_sql(f"GRANT SELECT ON {qualified} TO {grantee}")


# --- command line ----------------------------------------------------------------------------------------------


CREATE_READER_NEEDS = (
    "create-reader needs a superuser, or a role with CREATEROLE that is also a member of the publisher role "
    "(the role that runs `python -m metrics.publish`, given with --publisher). Run it as such a role, for example:\n"
    "  python -m data_access.access create-reader --db postgresql+psycopg://postgres@HOST:PORT/DATABASE "
    "--publisher dfm_owner --password-env DASHBOARD_READER_PASSWORD\n"
    "(docs/postgresql.md, \"The reader role\")."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_access.access", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser(
        "create-reader", help="create, update or repair the dashboard's read-only role (PostgreSQL)",
        description=f"Create, update or repair the dashboard's read-only role. {CREATE_READER_NEEDS}")
    create.add_argument("--db", default=None, help="the database the dashboard reads (where schema published is), "
                        "as a superuser or a role with CREATEROLE (default: FAMILIES_DB_URL)")
    create.add_argument("--role", default=DEFAULT_READER_ROLE)
    create.add_argument("--password-env", default=None, metavar="VAR",
                        help="name of the environment variable holding the role's password")
    create.add_argument("--publisher", default=None, metavar="ROLE",
                        help="the role that runs `python -m metrics.publish` (default: the role in --db)")
    create.add_argument("--linked-db", default=None, metavar="URL",
                        help="the linked (personal) database, when the published tables have a database of their "
                             "own: its CONNECT is revoked from PUBLIC and the reader, and granted to the publisher")
    drop = commands.add_parser("drop-reader", help="remove a reader role (PostgreSQL)")
    drop.add_argument("--db", default=None)
    drop.add_argument("--role", required=True)
    check = commands.add_parser("check", help="test the web tier's connection: published tables only")
    check.add_argument("--published-db", default=None,
                       help="the URL the app is given (default: what the app would use from the environment)")
    check.add_argument("--strict", action="store_true",
                       help="count warnings (other databases open to the reader, linked tables beside the published "
                            "ones) as problems")
    args = parser.parse_args(argv)
    try:
        if args.command == "create-reader":
            return _create_reader_command(args)
        if args.command == "drop-reader":
            drop_reader(make_engine(args.db or linked_db_url()), args.role)
            print(f"dropped role {args.role}")
            return 0
        return _check_command(args.published_db, strict=args.strict)
    except ReaderSetupError as error:
        print(f"{args.command}: {error}.\n{CREATE_READER_NEEDS}", file=sys.stderr)
        return 1
    except (SeparationError, FileNotFoundError, ValueError) as error:
        print(f"{args.command}: {error}", file=sys.stderr)
        return 1
    except exc.DBAPIError as error:
        print(f"{args.command}: {_database_failure(error)}", file=sys.stderr)
        if getattr(error.orig, "sqlstate", None) == "42501" and args.command == "create-reader":
            print(CREATE_READER_NEEDS, file=sys.stderr)
        return 1


def _database_failure(error: exc.DBAPIError) -> str:
    """A plain sentence; a failure to connect is explained in libpq's words (they name host, port and user only)."""
    if isinstance(error, exc.OperationalError) and not getattr(error.orig, "sqlstate", None):
        first_line = (str(error.orig).strip().splitlines() or [""])[0]
        return (f"cannot connect: {first_line}. (A role can change its own password: if the reader's changed, run "
                "create-reader --password-env again.)")
    return plain_message(error)


def _create_reader_command(args: argparse.Namespace) -> int:
    db_url = normalise_url(args.db or linked_db_url())
    if make_url(db_url).get_backend_name() == "sqlite":
        published = published_db_url(db_url)
        print("SQLite has no roles. The separation is the file: the published tables live in their own file,\n"
              f"  {sqlite_path(published)}\n"
              "which the dashboard opens read-only (it never opens the linked file). It opens:\n"
              f"  {sqlite_read_only_url(published)}\n"
              "Leave FAMILIES_PUBLISHED_DB_URL unset (or set it to the plain published URL for publish); for real data "
              "run the dashboard as an operating-system user that cannot read the linked file "
              "(docs/privacy-architecture.md).")
        return 0
    password = None
    if args.password_env:
        password = os.environ.get(args.password_env)
        if not password:
            raise ValueError(f"--password-env {args.password_env}: that environment variable is empty or unset")
    linked_database = None
    if args.linked_db:
        linked, given = make_url(normalise_url(args.linked_db)), make_url(db_url)
        if (linked.host, linked.port) != (given.host, given.port):
            raise ValueError("--linked-db must be a database on the same server as --db")
        linked_database = linked.database
    engine = make_engine(db_url)
    try:
        report = create_reader(engine, args.role, password=password, publisher=args.publisher,
                               linked_database=linked_database)
    finally:
        engine.dispose()
    _print_report(report)
    if report.problems:
        listed = "\n".join(f"- {problem}" for problem in report.problems)
        print(f"role {args.role} was updated but can still reach more than create-reader allows:\n{listed}",
              file=sys.stderr)
        return 1
    print(f"role {args.role}: SELECT on schema {PUBLISHED_SCHEMA} only. Give the dashboard:")
    print(f'FAMILIES_PUBLISHED_DB_URL="{reader_url(db_url, args.role, args.password_env)}"')
    return 0


def _print_report(report: ReaderReport) -> None:
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _check_command(published_url: str | None, *, strict: bool = False) -> int:
    url = published_url or web_tier_url()
    engine = web_tier_engine(url)
    try:
        with engine.connect() as connection:
            backend = connection.dialect.name
            report = reader_report(connection)
        with engine.connect() as connection:
            rows = connection.execute(select(func.count()).select_from(publication_info)).scalar_one()
    except exc.DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) != "42P01" and "no such table" not in str(error.orig):
            raise
        print("check: the separation holds, but there is no publication to read yet: run `python -m metrics.publish`",
              file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    _print_report(report)
    problems = report.problems + (report.warnings if strict else [])
    if problems:
        listed = "\n".join(f"- {problem}" for problem in problems)
        print(f"check: the connection reaches only the published tables, but:\n{listed}", file=sys.stderr)
        return 1
    shown = make_url(url).render_as_string(hide_password=True)
    print(f"ok: {shown} reaches the published tables only ({backend}, read-only); publication_info has {rows} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

