"""The reader role, hardened: the app pins its own settings, `check` reports a tampered role instead of crashing,
create-reader repairs it and says plainly what it needs, and the reader connects to its own database only.

Real PostgreSQL only (roles are PostgreSQL's): a reader is tampered with the way any role can tamper with itself
(ALTER ROLE itself SET ..., also IN DATABASE), and the separate-published-database deployment is built from two real
databases. Roles are cluster-wide, so every name is unique and every role is dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import polars as pl
import pytest
from sqlalchemy import Engine, create_engine, exc, text
from sqlalchemy.engine import make_url

from data_access.access import create_reader, main, reader_report, reader_url, web_tier_engine
from data_access.engine import READER_SESSION_SETTINGS, make_engine
from data_access.loader import load_linked_data
from data_access.published_reads import read_published
from data_access.published_schema import PUBLISHED_COLUMNS
from data_access.published_writes import write_publication
from synthetic import generate_world

pytestmark = pytest.mark.postgres

EXACT = 61.30000000000001  # a float whose text form changes when a session rounds floats (extra_float_digits < 1)


@pytest.fixture(scope="module")
def world():
    return generate_world(40, 16)


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def a_publication() -> pl.DataFrame:
    return pl.DataFrame(
        {"table": ["families"], "measure": ["all"], "locality": ["Dorset"], "period": ["2024/25"],
         "breakdown": ["none"], "category": ["All"], "statistic": ["families_attached"], "kind": ["count"],
         "value": [EXACT], "symbol": [None], "numerator": [None], "denominator": [None]},
        schema={name: pl.Float64 if name == "value" else pl.String for name in PUBLISHED_COLUMNS},
    )


def as_admin(url: str, *statements: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def scalar(url: str, sql: str, **parameters):
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), parameters).scalar()
    finally:
        engine.dispose()


@pytest.fixture
def roles(pg_url: str) -> Iterator[Callable[[str], str]]:
    """`roles(prefix)` -> a unique role name; every such role is dropped after the test (its privileges first)."""
    made: list[str] = []

    def make(prefix: str) -> str:
        made.append(unique(prefix))
        return made[-1]

    yield make
    server = make_url(pg_url)
    for role in reversed(made):
        if not scalar(pg_url, "SELECT count(*) FROM pg_roles WHERE rolname = :r", r=role):
            continue
        # Its privileges and objects in each database that holds any (DROP OWNED also revokes those on databases).
        holding = _databases_depending_on(pg_url, role) or [server.database]
        for database in holding:
            as_admin(server.set(database=database).render_as_string(hide_password=False), f'DROP OWNED BY "{role}"')
        as_admin(pg_url, f'DROP ROLE "{role}"')


def _databases_depending_on(pg_url: str, role: str) -> list[str]:
    return scalar_rows(pg_url, "SELECT DISTINCT d.datname FROM pg_shdepend s JOIN pg_database d ON d.oid = s.dbid "
                               "WHERE s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = :r) ORDER BY 1", r=role)


def scalar_rows(url: str, sql: str, **parameters) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), parameters).scalars())
    finally:
        engine.dispose()


@pytest.fixture
def same_database(pg_url: str, world, roles) -> tuple[str, str]:
    """Linked data and the publication in one database, and a reader made by create-reader: (owner URL, reader)."""
    engine = make_engine(pg_url)
    published = make_engine(pg_url, published=True)
    try:
        load_linked_data(engine, world.tables)
        write_publication(published, a_publication(), {"data_as_of": "2026-09-30"})
        role = roles("reader")
        assert create_reader(engine, role).problems == []
    finally:
        engine.dispose()
        published.dispose()
    return pg_url, role


def tamper(owner_url: str, role: str, database: str) -> None:
    """What any role may do to itself: persistent defaults, role-wide and in one database."""
    url = reader_url(owner_url, role)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SET default_transaction_read_only = off")
            for statement in (f'ALTER ROLE "{role}" SET statement_timeout = \'1ms\'',
                              f'ALTER ROLE "{role}" SET extra_float_digits = -15',
                              f'ALTER ROLE "{role}" SET search_path = public',
                              f'ALTER ROLE "{role}" RESET default_transaction_read_only',
                              f'ALTER ROLE "{role}" IN DATABASE "{database}" SET lock_timeout = \'1ms\''):
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def test_the_app_pins_its_settings_on_a_tampered_role(same_database):
    owner_url, role = same_database
    database = make_url(owner_url).database
    tamper(owner_url, role, database)
    # Control: an engine without the pinned settings takes the tampered ones (but the 1 ms timeout, so it can run).
    untimed = make_url(reader_url(owner_url, role)).update_query_dict({"options": "-c statement_timeout=0"})
    control = make_engine(untimed.render_as_string(hide_password=False), published=True)
    try:
        with control.connect() as connection:
            assert connection.exec_driver_sql("SHOW extra_float_digits").scalar() == "-15"
        assert read_published(control, "families")["value"].to_list() != [EXACT], "the tampering does matter"
    finally:
        control.dispose()
    web = web_tier_engine(reader_url(owner_url, role))
    try:
        with web.connect() as connection:
            shown = {name: connection.exec_driver_sql(f"SHOW {name}").scalar() for name in READER_SESSION_SETTINGS}
        assert shown == {**READER_SESSION_SETTINGS, "datestyle": "ISO, YMD"}
        assert read_published(web, "families")["value"].to_list() == [EXACT], "values are not rounded"
    finally:
        web.dispose()


def test_check_reports_a_tampered_role_and_create_reader_repairs_it(same_database, capsys):
    owner_url, role = same_database
    database = make_url(owner_url).database
    tamper(owner_url, role, database)
    assert main(["check", "--published-db", reader_url(owner_url, role)]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    for expected in ("statement_timeout=1ms (create-reader sets 30s)", "extra_float_digits=-15 (create-reader sets 1)",
                     "search_path=public", "default_transaction_read_only=(unset)",
                     f"default settings in database {database}: lock_timeout=1ms"):
        assert expected in captured.err, expected
    assert main(["create-reader", "--db", owner_url, "--role", role]) == 0
    assert main(["check", "--published-db", reader_url(owner_url, role)]) == 0
    stored = scalar(owner_url, "SELECT rolconfig FROM pg_roles WHERE rolname = :r", r=role)
    assert sorted(stored) == sorted([f"{name}={value}" for name, value in READER_SESSION_SETTINGS.items()
                                     if name != "datestyle"] + ["DateStyle=ISO, YMD"])
    assert scalar(owner_url, "SELECT count(*) FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
                             "WHERE r.rolname = :r AND s.setdatabase <> 0", r=role) == 0


def test_check_says_why_it_cannot_connect_without_a_traceback(pg_url, capsys):
    missing = unique("nobody")
    assert main(["check", "--published-db", reader_url(pg_url, missing)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("check: cannot connect:") and missing in err and "Traceback" not in err


def test_the_same_database_deployment_is_reported_and_its_leak_is_real(same_database, capsys):
    owner_url, role = same_database
    as_admin(owner_url, "ANALYZE person_identifier")
    reader = create_engine(reader_url(owner_url, role))
    try:
        with reader.connect() as connection:  # the leak the warning is about: a personal table's row count
            counted = connection.exec_driver_sql(
                "SELECT reltuples FROM pg_class WHERE relname = 'person_identifier'").scalar()
        assert counted > 40
    finally:
        reader.dispose()
    assert main(["check", "--published-db", reader_url(owner_url, role)]) == 0
    err = capsys.readouterr().err
    assert "warning: this database also holds the linked tables (public.dataset_info" in err
    assert main(["check", "--strict", "--published-db", reader_url(owner_url, role)]) == 1


def test_create_reader_as_a_role_without_createrole_says_what_it_needs(same_database, roles, capsys):
    owner_url, _ = same_database
    plain = roles("owner")
    as_admin(owner_url, f'CREATE ROLE "{plain}" LOGIN')
    wanted = unique("reader")
    assert main(["create-reader", "--db", reader_url(owner_url, plain), "--role", wanted]) == 1
    err = capsys.readouterr().err
    assert f"create-reader needs CREATEROLE (or a superuser): role {plain} has neither" in err
    assert "Run it as such a role" in err and "--publisher" in err and "Traceback" not in err
    assert scalar(owner_url, "SELECT count(*) FROM pg_roles WHERE rolname = :r", r=wanted) == 0
    manager = roles("manager")  # CREATEROLE, but not a member of the publisher: it could not set default privileges
    as_admin(owner_url, f'CREATE ROLE "{manager}" LOGIN CREATEROLE')
    assert main(["create-reader", "--db", reader_url(owner_url, manager), "--role", wanted,
                 "--publisher", plain]) == 1
    assert f"role {manager} must be a member of it" in capsys.readouterr().err


def test_the_reader_of_a_separate_published_database_cannot_enter_the_linked_one(pg_url, make_pg_database, world,
                                                                                 roles, capsys):
    linked_url, published_url = pg_url, make_pg_database()
    linked_name, published_name = make_url(linked_url).database, make_url(published_url).database
    publisher, reader, bystander = roles("publisher"), roles("reader"), roles("bystander")
    as_admin(linked_url, f'CREATE ROLE "{publisher}" LOGIN', f'CREATE ROLE "{bystander}" LOGIN')
    engine = make_engine(linked_url)
    try:
        load_linked_data(engine, world.tables)
    finally:
        engine.dispose()
    assert main(["create-reader", "--db", published_url, "--role", reader, "--publisher", publisher,
                 "--linked-db", linked_url]) == 0
    as_admin(published_url, f'GRANT CREATE ON DATABASE "{published_name}" TO "{publisher}"')
    publishing = make_engine(reader_url(published_url, publisher), published=True)
    try:  # the publisher writes the publication into the published database
        write_publication(publishing, a_publication(), {"data_as_of": "2026-09-30"})
    finally:
        publishing.dispose()
    capsys.readouterr()

    reader_on_linked = create_engine(reader_url(linked_url, reader))
    with pytest.raises(exc.OperationalError, match="permission denied for database"):
        reader_on_linked.connect()
    reader_on_linked.dispose()
    bystander_on_linked = create_engine(reader_url(linked_url, bystander))  # PUBLIC lost CONNECT there too
    with pytest.raises(exc.OperationalError, match="permission denied for database"):
        bystander_on_linked.connect()
    bystander_on_linked.dispose()
    assert scalar(linked_url, "SELECT has_database_privilege(:p, :d, 'CONNECT')", p=publisher, d=linked_name)

    assert main(["check", "--published-db", reader_url(published_url, reader)]) == 0
    captured = capsys.readouterr()
    assert "reaches the published tables only" in captured.out
    assert "also holds the linked tables" not in captured.err
    assert linked_name not in captured.err, "the linked database is not among those the reader can enter"
    web = web_tier_engine(reader_url(published_url, reader))
    try:
        assert read_published(web, "families")["value"].to_list() == [EXACT]
    finally:
        web.dispose()

    as_admin(linked_url, f'GRANT CONNECT ON DATABASE "{linked_name}" TO "{reader}"')  # someone opens it again
    assert main(["check", "--published-db", reader_url(published_url, reader)]) == 1
    assert f"granted CONNECT on other database(s): {linked_name}" in capsys.readouterr().err
    assert main(["create-reader", "--db", published_url, "--role", reader, "--publisher", publisher,
                 "--linked-db", linked_url]) == 0
    assert not scalar(linked_url, "SELECT has_database_privilege(:r, :d, 'CONNECT')", r=reader, d=linked_name)


def test_reader_report_lists_databases_open_through_public(same_database, make_pg_database):
    owner_url, role = same_database
    other = make_url(make_pg_database()).database  # a new database: PUBLIC may connect by default
    engine: Engine = make_engine(owner_url)
    try:
        with engine.connect() as connection:
            report = reader_report(connection, role)
    finally:
        engine.dispose()
    assert report.problems == []
    opened = next(warning for warning in report.warnings if "through PUBLIC" in warning)
    assert other in opened and "REVOKE CONNECT ON DATABASE" in opened
