"""Hardening the dashboard's PostgreSQL reader role beyond its privileges, and reporting what weakens it.

Why: an ordinary role can always change its own session defaults (ALTER ROLE itself SET ..., also IN DATABASE) and
its password, and by default every role may CONNECT to every database (through PUBLIC), where it sees the catalogue:
table names and row counts (pg_class.reltuples, pg_stat_*) of personal tables included. So:

- the app does not rely on the role's defaults: its connections give READER_SESSION_SETTINGS at start-up
  (data_access.engine), which overrides them; create-reader also sets them as the role's defaults and removes any
  other default the role has (repairing a tampered role), and `check` lists every difference as a problem;
- create-reader grants CONNECT on the published database only and revokes any grant of CONNECT elsewhere; with
  --linked-db it also revokes PUBLIC's CONNECT on the linked database. `check` lists every other database the role
  can still connect to, and says when the reader's database also holds linked tables (the recommended deployment
  keeps the published tables in a database of their own: docs/postgresql.md).

Only SQL on the system catalogues lives here; data_access.access runs it and prints the reports.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from data_access.engine import PUBLISHED_SCHEMA, READER_SESSION_SETTINGS
from data_access.schema import linked_metadata

LINKED_TABLES = tuple(sorted(linked_metadata.tables))


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# --- settings --------------------------------------------------------------------------------------------------


def _parse(config: list[str] | None) -> dict[str, str]:
    pairs = (entry.partition("=") for entry in config or [])
    return {name.lower(): value for name, _, value in pairs}


def role_setting_problems(connection: Connection, role: str) -> list[str]:
    """Every role or database default that differs from what create-reader set (READER_SESSION_SETTINGS)."""
    expected = {name.lower(): value for name, value in READER_SESSION_SETTINGS.items()}
    rows = connection.execute(
        text("SELECT s.setdatabase, d.datname, s.setconfig FROM pg_db_role_setting s "
             "LEFT JOIN pg_database d ON d.oid = s.setdatabase "
             "WHERE s.setrole = (SELECT oid FROM pg_roles WHERE rolname = :role) ORDER BY 2 NULLS FIRST"),
        {"role": role},
    ).all()
    problems = []
    role_wide = next((_parse(config) for database_oid, _, config in rows if database_oid == 0), {})
    changed = [f"{name}={role_wide.get(name, '(unset)')} (create-reader sets {value})"
               for name, value in expected.items() if role_wide.get(name) != value]
    added = [f"{name}={value}" for name, value in role_wide.items() if name not in expected]
    if changed or added:
        problems.append(f"role {role} has default settings create-reader did not set: {', '.join(changed + added)} "
                        "(the app sets its own per connection; run create-reader again to repair the role)")
    for database_oid, database, config in rows:
        if database_oid != 0:
            shown = ", ".join(f"{name}={value}" for name, value in _parse(config).items())
            problems.append(f"role {role} has default settings in database {database}: {shown} (run create-reader "
                            "again to remove them)")
    database_wide = connection.execute(
        text("SELECT s.setconfig FROM pg_db_role_setting s WHERE s.setrole = 0 "
             "AND s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())"),
    ).scalar_one_or_none()
    overridden = [f"{name}={value}" for name, value in _parse(database_wide).items()
                  if name in expected and value != expected[name]]
    if overridden:
        problems.append(f"database defaults differ from the reader's settings: {', '.join(overridden)} "
                        "(ALTER DATABASE ... RESET them; the app sets its own per connection)")
    return problems


def pin_role_settings(connection: Connection, role: str) -> None:
    """Remove every default of the role (in every database), then set READER_SESSION_SETTINGS as its defaults."""
    reader = quote_ident(role)
    databases = connection.execute(
        text("SELECT d.datname FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
             "WHERE s.setrole = (SELECT oid FROM pg_roles WHERE rolname = :role) ORDER BY 1"), {"role": role},
    ).scalars().all()
    for database in databases:
        connection.exec_driver_sql(f"ALTER ROLE {reader} IN DATABASE {quote_ident(database)} RESET ALL")
    connection.exec_driver_sql(f"ALTER ROLE {reader} RESET ALL")
    for name, value in READER_SESSION_SETTINGS.items():
        connection.exec_driver_sql(f"ALTER ROLE {reader} SET {name} = {quote_literal(value)}")


# --- which databases the role can connect to --------------------------------------------------------------------


def other_databases(connection: Connection, role: str) -> list[tuple[str, bool]]:
    """(database, granted to the role itself rather than through PUBLIC) for every other database it can enter."""
    rows = connection.execute(
        text("SELECT d.datname, EXISTS (SELECT 1 FROM aclexplode(d.datacl) a "
             "  WHERE a.grantee = r.oid AND a.privilege_type = 'CONNECT') "
             "FROM pg_database d, pg_roles r WHERE r.rolname = :role AND d.datallowconn "
             "AND d.datname <> current_database() AND has_database_privilege(r.oid, d.oid, 'CONNECT') ORDER BY 1"),
        {"role": role},
    ).all()
    return [(name, explicit) for name, explicit in rows]


def connect_problems_and_warnings(connection: Connection, role: str) -> tuple[list[str], list[str]]:
    """Grants of CONNECT to the role itself elsewhere are problems (create-reader never makes them); databases open
    to it through PUBLIC are warnings, with the way to close them."""
    reachable = other_databases(connection, role)
    granted = [name for name, explicit in reachable if explicit]
    through_public = [name for name, explicit in reachable if not explicit]
    problems = [f"role {role} was granted CONNECT on other database(s): {', '.join(granted)} (run create-reader "
                "again to revoke it)"] if granted else []
    warnings = [f"role {role} can also connect to database(s) {', '.join(through_public)} through PUBLIC: there it "
                "sees the catalogue (table names, row counts). Close each with `REVOKE CONNECT ON DATABASE <name> FROM "
                "PUBLIC` and grant CONNECT to the roles that need it (docs/postgresql.md)"] if through_public else []
    return problems, warnings


def revoke_connect_elsewhere(connection: Connection, role: str) -> None:
    """Revoke the role's own CONNECT grants on every other database (PUBLIC's are left: see lock_database)."""
    for name, explicit in other_databases(connection, role):
        if explicit:
            connection.exec_driver_sql(f"REVOKE CONNECT ON DATABASE {quote_ident(name)} FROM {quote_ident(role)}")


def lock_database(connection: Connection, database: str, role: str, keep: list[str]) -> None:
    """Close a database (the linked one) to PUBLIC and to the reader; the roles in `keep` get CONNECT explicitly."""
    target = quote_ident(database)
    connection.exec_driver_sql(f"REVOKE CONNECT ON DATABASE {target} FROM PUBLIC, {quote_ident(role)}")
    for name in dict.fromkeys(keep):
        connection.exec_driver_sql(f"GRANT CONNECT ON DATABASE {target} TO {quote_ident(name)}")


def shared_database_warnings(connection: Connection) -> list[str]:
    """A warning when the reader's database also holds linked tables (their row counts are visible to it)."""
    found = connection.execute(
        text("SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c "
             "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = ANY(:names) AND c.relkind IN ('r', 'p') "
             "AND n.nspname <> :published ORDER BY 1"),
        {"names": list(LINKED_TABLES), "published": PUBLISHED_SCHEMA},
    ).scalars().all()
    if not found:
        return []
    return [f"this database also holds the linked tables ({', '.join(found)}): any role that can connect to it, the "
            "reader included, sees their row counts (pg_class.reltuples, pg_stat_*). Publish into a database of its "
            "own and give the reader CONNECT on that one only (docs/postgresql.md, separate published database)"]


# --- what the role running create-reader needs --------------------------------------------------------------------


def creator_problems(connection: Connection, publisher: str) -> list[str]:
    """Why the connecting role cannot run create-reader (empty when it can)."""
    me, superuser, createrole = connection.execute(
        text("SELECT rolname, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user")).one()
    if superuser:
        return []
    problems = []
    if not createrole:
        problems.append(f"create-reader needs CREATEROLE (or a superuser): role {me} has neither")
    if publisher != me and not connection.execute(
            text("SELECT pg_has_role(current_user, :publisher, 'MEMBER')"), {"publisher": publisher}).scalar_one():
        problems.append(f"to set default privileges for the publisher {publisher}, role {me} must be a member of it")
    return problems
