"""The web tier reaches the published tables only and cannot write them, even if a page were written wrongly.

PostgreSQL: the app connects as a role from `python -m data_access.access create-reader`, which may SELECT schema
"published" and nothing else. SQLite: the app opens the separate published file read-only and never the linked
file. Real databases (the shared sqlite_url / pg_url fixtures), a seeded synthetic Dorset as the linked data, and
publications written by metrics.publish.write_publication (small hand-made rows: the separation does not depend
on what is published, and the full disclosure run is slow). Last, a scan of app.py and pages/ checks that the
pages reach data only through pages/_published.py.
"""

from __future__ import annotations

import ast
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, exc, select, text
from sqlalchemy.engine import URL, make_url

from data_access.access import (
    SeparationError,
    create_reader,
    drop_reader,
    main,
    published_read_grants,
    reader_url,
    web_tier_engine,
    web_tier_url,
)
from data_access.engine import make_engine, published_db_url, sqlite_path, sqlite_read_only_url
from data_access.loader import load_linked_data
from data_access.published_reads import read_publication_info, read_published
from data_access.published_schema import PUBLISHED_COLUMNS, published_metadata, published_statistic
from data_access.published_writes import write_publication
from data_access.schema import linked_metadata
from synthetic import generate_world

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FAMILIES = 300
SEED = 20240917
LINKED_TABLES = sorted(linked_metadata.tables)
PUBLISHED_TABLES = sorted(published_metadata.tables)


STATISTIC_OF = {"families": "families_attached", "family_outcomes": "families_due"}  # declared in the catalogue


def a_publication(table: str, rows: int) -> pl.DataFrame:
    """`rows` published rows of one table ("families" or "family_outcomes"), tidy long format (values 10, 20, ...)."""
    return pl.DataFrame(
        {
            "table": [table] * rows, "measure": ["all"] * rows, "locality": ["Dorset"] * rows,
            "period": [f"2024/{25 + i}" for i in range(rows)], "breakdown": ["none"] * rows, "category": ["All"] * rows,
            "statistic": [STATISTIC_OF[table]] * rows, "kind": ["count"] * rows,
            "value": [10.0 * (i + 1) for i in range(rows)],
            "symbol": [None] * rows, "numerator": [None] * rows, "denominator": [None] * rows,
        },
        schema_overrides={"symbol": pl.String, "numerator": pl.String, "denominator": pl.String},
    ).select(PUBLISHED_COLUMNS)


FACTS = {"data_as_of": "2025-03-31", "is_synthetic": "true"}


@dataclass(frozen=True)
class Deployment:
    """One database set up as in production: linked data, a publication, and the web tier's URL."""

    backend: str
    linked_url: str  # personal data: the loader and publish use it
    publisher_url: str  # where publish writes the published tables
    web_url: str  # what the app is given (SQLite: derived from FAMILIES_DB_URL; PostgreSQL: the reader role)
    role: str | None  # the reader role (PostgreSQL)


@pytest.fixture(scope="module")
def world():
    return generate_world(FAMILIES, SEED)


@pytest.fixture
def engines() -> Iterator[Callable[[Engine], Engine]]:
    """`track(engine)` -> engine, disposed after the test (so no connection outlives its database or role)."""
    opened: list[Engine] = []

    def track(engine: Engine) -> Engine:
        opened.append(engine)
        return engine

    yield track
    for engine in opened:
        engine.dispose()


def unique_role() -> str:
    return f"reader_{uuid.uuid4().hex[:12]}"  # roles are cluster-wide: never reuse a name across tests


@pytest.fixture
def reader_role(engines) -> Iterator[Callable[[str], str]]:
    """`make(db_url)` -> a new reader role made by create_reader; every role made is dropped after the test."""
    made: list[tuple[str, str]] = []

    def make(db_url: str) -> str:
        role = unique_role()
        made.append((db_url, role))
        assert create_reader(engines(make_engine(db_url)), role).problems == []
        return role

    yield make
    for db_url, role in made:
        drop_reader(engines(make_engine(db_url)), role)


@pytest.fixture
def deployment(db_url: str, world, engines, reader_role, monkeypatch: pytest.MonkeyPatch) -> Deployment:
    load_linked_data(engines(make_engine(db_url)), world.tables)
    publisher_url = published_db_url(db_url)
    write_publication(engines(make_engine(publisher_url, published=True)), a_publication("families", 3), FACTS)
    if make_url(db_url).get_backend_name() == "sqlite":
        monkeypatch.setenv("FAMILIES_DB_URL", db_url)  # the app is given the linked URL only and derives the rest
        return Deployment("sqlite", db_url, publisher_url, web_tier_url(), None)
    role = reader_role(db_url)
    return Deployment("postgresql", db_url, publisher_url, reader_url(db_url, role), role)


# --- both databases ---------------------------------------------------------------------------------


def test_the_web_tier_reads_the_published_tables(deployment: Deployment, engines):
    web = engines(web_tier_engine(deployment.web_url))
    rows = read_published(web, "families")
    assert rows["value"].to_list() == [10.0, 20.0, 30.0]
    assert read_publication_info(web) == FACTS


def test_the_web_tier_cannot_read_any_linked_table(deployment: Deployment, engines):
    web = engines(web_tier_engine(deployment.web_url))
    # SQLite: not in the file. PostgreSQL: unqualified names find nothing (the session's search_path is schema
    # published only), and qualified ones are refused by the role's privileges.
    refused = {name: "no such table" if deployment.backend == "sqlite" else "does not exist" for name in LINKED_TABLES}
    if deployment.backend == "postgresql":
        refused |= {f"public.{name}": "permission denied for table" for name in LINKED_TABLES}
    for name, expected in refused.items():
        with pytest.raises(exc.DBAPIError, match=expected), web.connect() as connection:
            connection.execute(text(f"SELECT * FROM {name}"))
    # the linked tables are really there (the refusals above are not about missing data)
    with engines(make_engine(deployment.linked_url)).connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM person_identifier")).scalar_one() > FAMILIES


WRITES = [
    "INSERT INTO {t} (row_id, \"table\", measure, locality, period, breakdown, category, statistic, kind) "
    "VALUES (999, 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'count')",
    "UPDATE {t} SET value = 0",
    "DELETE FROM {t}",
    "DROP TABLE {t}",
    "CREATE TABLE {s}stolen (x integer)",
]


@pytest.mark.parametrize("statement", WRITES, ids=["insert", "update", "delete", "drop", "create"])
def test_the_web_tier_cannot_write(deployment: Deployment, engines, statement: str):
    web = engines(web_tier_engine(deployment.web_url))
    sqlite = deployment.backend == "sqlite"
    sql = statement.format(t="published_statistic" if sqlite else "published.published_statistic",
                           s="" if sqlite else "published.")
    refused = "attempt to write a readonly database" if sqlite else "read-only transaction"
    with pytest.raises(exc.DBAPIError, match=refused), web.begin() as connection:
        connection.execute(text(sql))
    if not sqlite:  # the read-only session is a second lock: with it switched off, the role's privileges refuse
        with pytest.raises(exc.DBAPIError, match="permission denied|must be owner"), web.connect() as connection:
            connection.execute(text("SET default_transaction_read_only = off"))
            connection.commit()
            connection.execute(text(sql))
    assert read_published(web, "families").height == 3


def test_a_republish_stays_readable(deployment: Deployment, engines):
    web = engines(web_tier_engine(deployment.web_url))
    assert read_published(web, "families").height == 3
    publisher = engines(make_engine(deployment.publisher_url, published=True))
    write_publication(publisher, a_publication("family_outcomes", 5), {**FACTS, "data_as_of": "2025-06-30"})
    assert read_published(web, "family_outcomes").height == 5, "the open web-tier engine reads the new tables"
    assert read_published(web, "families").height == 0
    fresh = engines(web_tier_engine(deployment.web_url))
    assert read_publication_info(fresh)["data_as_of"] == "2025-06-30"


def test_the_web_tier_refuses_the_linked_database(deployment: Deployment):
    with pytest.raises(SeparationError) as refused:
        web_tier_engine(deployment.linked_url)
    if deployment.backend == "sqlite":
        assert "is the linked (personal) database" in str(refused.value)
        assert "person_identifier" in str(refused.value)
    else:
        assert "public.person_identifier" in str(refused.value)


# --- PostgreSQL ------------------------------------------------------------------------------------------


@pytest.fixture
def pg_deployment(pg_url: str, world, engines, reader_role) -> Deployment:
    load_linked_data(engines(make_engine(pg_url)), world.tables)
    write_publication(engines(make_engine(pg_url, published=True)), a_publication("families", 3), FACTS)
    role = reader_role(pg_url)
    return Deployment("postgresql", pg_url, pg_url, reader_url(pg_url, role), role)


def _as_postgres(engine: Engine, sql: str) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql(sql)


def test_default_privileges_cover_tables_re_created_without_publish(pg_deployment: Deployment, engines):
    owner = engines(make_engine(pg_deployment.linked_url, published=True))
    with owner.begin() as connection:  # a bare drop and create: no grant is carried over by hand
        published_metadata.drop_all(connection)
        published_metadata.create_all(connection)
    web = engines(web_tier_engine(pg_deployment.web_url))
    assert read_published(web, "families").height == 0


def test_publish_keeps_select_grants_made_by_hand(pg_url: str, engines):
    """Grants given without default privileges (e.g. by an administrator) survive write_publication's replace."""
    owner = engines(make_engine(pg_url, published=True))
    write_publication(owner, a_publication("families", 2), FACTS)
    role = unique_role()
    admin = engines(make_engine(pg_url))
    _as_postgres(admin, f'CREATE ROLE "{role}" LOGIN; GRANT USAGE ON SCHEMA published TO "{role}"; '
                        f'GRANT SELECT ON ALL TABLES IN SCHEMA published TO "{role}"')
    try:
        reader = engines(make_engine(reader_url(pg_url, role), published=True))
        with owner.connect() as connection:
            assert sorted(published_read_grants(connection)) == [(table, f"{role}") for table in PUBLISHED_TABLES]
        write_publication(owner, a_publication("family_outcomes", 4), FACTS)
        assert read_published(reader, "family_outcomes").height == 4
        with owner.begin() as connection:  # control: a bare replace does lose them, so the check above can fail
            published_metadata.drop_all(connection)
            published_metadata.create_all(connection)
        with pytest.raises(exc.DBAPIError, match="permission denied"), reader.connect() as connection:
            connection.execute(select(published_statistic))
    finally:
        drop_reader(admin, role)


def test_the_check_refuses_a_reader_given_more(pg_deployment: Deployment, engines):
    admin = engines(make_engine(pg_deployment.linked_url))
    role = f'"{pg_deployment.role}"'
    _as_postgres(admin, f"GRANT SELECT (given_name) ON person_identifier TO {role}")
    with pytest.raises(SeparationError, match=r"can read tables outside schema published: public\.person_identifier"):
        web_tier_engine(pg_deployment.web_url)
    _as_postgres(admin, f"REVOKE ALL ON person_identifier FROM {role}")
    _as_postgres(admin, f"GRANT INSERT ON published.publication_info TO {role}")
    with pytest.raises(SeparationError, match="can change published tables: publication_info"):
        web_tier_engine(pg_deployment.web_url)
    _as_postgres(admin, f"REVOKE INSERT ON published.publication_info FROM {role}")
    _as_postgres(admin, f"GRANT pg_read_all_data TO {role}")  # reads everything, even without table grants
    with pytest.raises(SeparationError, match="member of pg_read_all_data"):
        web_tier_engine(pg_deployment.web_url)
    _as_postgres(admin, f"REVOKE pg_read_all_data FROM {role}")
    assert read_published(engines(web_tier_engine(pg_deployment.web_url)), "families").height == 3


def test_create_reader_command_is_idempotent_and_never_sends_the_password(
    pg_url: str, engines, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    role = unique_role()
    password = "correct horse battery staple"
    monkeypatch.setenv("READER_PASSWORD", password)
    admin = engines(make_engine(pg_url))
    try:
        for _ in range(2):  # a second run updates the same role without error
            assert main(["create-reader", "--db", pg_url, "--role", role, "--password-env", "READER_PASSWORD"]) == 0
        printed = capsys.readouterr().out
        assert f'FAMILIES_PUBLISHED_DB_URL="postgresql+psycopg://{role}:${{READER_PASSWORD}}@' in printed
        assert password not in printed
        with admin.connect() as connection:
            stored, settings = connection.execute(
                text("SELECT a.rolpassword, r.rolconfig FROM pg_authid a JOIN pg_roles r ON r.oid = a.oid "
                     "WHERE a.rolname = :role"), {"role": role}
            ).one()
        assert stored.startswith("SCRAM-SHA-256$") and password not in stored
        assert "default_transaction_read_only=on" in settings
        assert main(["check", "--published-db", reader_url(pg_url, role)]) == 1, "nothing published yet"
        assert "no publication" in capsys.readouterr().err
        write_publication(engines(make_engine(pg_url, published=True)), a_publication("families", 1), FACTS)
        assert main(["check", "--published-db", reader_url(pg_url, role)]) == 0
        assert f"ok: postgresql+psycopg://{role}@" in capsys.readouterr().out
        assert main(["check", "--published-db", pg_url]) == 1
        assert "SUPERUSER" in capsys.readouterr().err
    finally:
        drop_reader(admin, role)
    with admin.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar() == 0


def test_on_postgresql_the_web_tier_needs_the_reader_url(pg_deployment: Deployment, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FAMILIES_DB_URL", pg_deployment.linked_url)
    with pytest.raises(SeparationError, match="FAMILIES_PUBLISHED_DB_URL"):
        web_tier_url()
    monkeypatch.setenv("FAMILIES_PUBLISHED_DB_URL", pg_deployment.web_url)
    assert web_tier_url() == pg_deployment.web_url
    web = web_tier_engine()
    try:
        assert web.get_execution_options()["schema_translate_map"][None] == "published"
        assert read_published(web, "families").height == 3
    finally:
        web.dispose()


# --- SQLite ----------------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_deployment(sqlite_url: str, world, engines, monkeypatch: pytest.MonkeyPatch) -> Deployment:
    load_linked_data(engines(make_engine(sqlite_url)), world.tables)
    publisher_url = published_db_url(sqlite_url)
    write_publication(engines(make_engine(publisher_url, published=True)), a_publication("families", 3), FACTS)
    monkeypatch.setenv("FAMILIES_DB_URL", sqlite_url)
    return Deployment("sqlite", sqlite_url, publisher_url, web_tier_url(), None)


def _tables_in(path: Path) -> set[str]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        connection.close()


def test_the_published_file_holds_no_linked_table(sqlite_deployment: Deployment):
    published, linked = sqlite_path(sqlite_deployment.publisher_url), sqlite_path(sqlite_deployment.linked_url)
    assert published != linked
    assert _tables_in(published) == set(PUBLISHED_TABLES)
    assert set(LINKED_TABLES) <= _tables_in(linked), "guard: the linked file does hold them"


def test_the_web_tier_url_never_names_the_linked_file(sqlite_deployment: Deployment, monkeypatch):
    url = make_url(sqlite_deployment.web_url)
    assert sqlite_path(sqlite_deployment.web_url) == sqlite_path(sqlite_deployment.publisher_url).resolve()
    assert sqlite_path(sqlite_deployment.web_url) != sqlite_path(sqlite_deployment.linked_url).resolve()
    assert url.query["mode"] == "ro" and url.query["uri"] == "true"
    monkeypatch.setenv("FAMILIES_PUBLISHED_DB_URL", sqlite_deployment.linked_url)  # a misconfiguration
    with pytest.raises(SeparationError, match="is the linked"):
        web_tier_engine()


def test_the_web_tier_needs_no_linked_file(sqlite_deployment: Deployment, engines):
    linked = sqlite_path(sqlite_deployment.linked_url)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{linked}{suffix}").unlink(missing_ok=True)
    web = engines(web_tier_engine(web_tier_url()))
    assert read_published(web, "families").height == 3
    assert not linked.exists(), "the web tier did not open (or create) the linked file"


def test_the_web_tier_cannot_attach_another_file(sqlite_deployment: Deployment, engines):
    web = engines(web_tier_engine(sqlite_deployment.web_url))
    linked = sqlite_path(sqlite_deployment.linked_url)
    with pytest.raises(exc.OperationalError, match="too many attached databases"), web.connect() as connection:
        connection.exec_driver_sql(f"ATTACH DATABASE '{linked}' AS linked")
    plain = sqlite3.connect(":memory:")  # control: an ordinary connection could attach and read it
    try:
        plain.execute(f"ATTACH DATABASE 'file:{linked}?mode=ro' AS linked")
        assert plain.execute("SELECT count(*) FROM linked.person_identifier").fetchone()[0] > FAMILIES
    finally:
        plain.close()


def test_a_missing_publication_is_reported_not_created(sqlite_url: str, monkeypatch):
    monkeypatch.setenv("FAMILIES_DB_URL", sqlite_url)
    with pytest.raises(FileNotFoundError, match="python -m metrics.publish"):
        web_tier_engine()
    assert not sqlite_path(published_db_url(sqlite_url)).exists()


def test_read_only_urls_keep_awkward_paths(tmp_path: Path):
    path = tmp_path / "a dir #1" / "odd?name %20.db"
    path.parent.mkdir()
    plain_url = URL.create("sqlite", database=str(path)).render_as_string()  # '?' would end a hand-typed path
    writer = make_engine(plain_url)
    with writer.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x integer)")
        connection.exec_driver_sql("INSERT INTO t VALUES (7)")
    writer.dispose()
    url = sqlite_read_only_url(plain_url)
    assert sqlite_path(url) == path.resolve()
    reader = make_engine(url)  # mode=ro in the URL is enough to make it read-only
    try:
        with reader.connect() as connection:
            assert connection.exec_driver_sql("SELECT x FROM t").scalar_one() == 7
        with pytest.raises(exc.OperationalError, match="readonly"), reader.begin() as connection:
            connection.exec_driver_sql("DELETE FROM t")
    finally:
        reader.dispose()
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [path.name]


def test_create_reader_on_sqlite_explains_the_file_separation(sqlite_url: str, capsys):
    assert main(["create-reader", "--db", sqlite_url]) == 0
    printed = capsys.readouterr().out
    assert "SQLite has no roles" in printed
    assert sqlite_read_only_url(published_db_url(sqlite_url)) in printed


# --- the pages reach data only through pages/_published.py -----------------------------------------------

DOOR = "pages._published"
DB_MODULES = ("sqlalchemy", "sqlite3", "psycopg", "psycopg2", "data_access.engine", "data_access.schema",
              "data_access.linked_reads", "data_access.loader", "data_access.bulk", "data_access.access",
              "data_access.published_reads", "data_access.access_log", "metrics.publish", "metrics.impact",
              "synthetic",
              # the private tier's life cycle: extracts of personal data, retention, erasure (never the web tier's)
              "linkage", "pyrage", "data_access.extract_reads", "data_access.lifecycle_schema",
              "data_access.lifecycle_log", "data_access.retention", "data_access.erasure_store",
              "data_access.cascade")
# configuration only (and `from data_access import config`); roles maps an identity's claims to a role; the published
# catalogue is pure declarations (the symbols and labels pages show)
PAGE_DATA_ACCESS = ("data_access.config", "data_access.roles", "data_access.published_catalogue")
FORBIDDEN_NAMES = {"make_engine", "create_engine", "linked_db_url", "published_db_url", "web_tier_engine",
                   "import_module", "__import__", "FAMILIES_DB_URL", "FAMILIES_PUBLISHED_DB_URL"}


def imported_modules(source: str, module: str = "page") -> set[str]:
    """Every module a source file imports (relative imports resolved against `module`)."""
    package = module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: max(len(package.split(".")) - node.level + 1, 0)]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def web_tier_violations(source: str, module: str = "page") -> list[str]:
    """What in one page's (or app.py's) source reaches data other than through pages/_published.py."""
    problems = []
    for name in sorted(imported_modules(source, module)):
        other_data_access = _within(name, ("data_access",)) and name != "data_access" and not _within(
            name, PAGE_DATA_ACCESS)
        if other_data_access or _within(name, DB_MODULES):
            problems.append(f"imports {name}")
    for node in ast.walk(ast.parse(source)):
        word = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else \
            node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
        if word in FORBIDDEN_NAMES:
            problems.append(f"uses {word}")
    return problems


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == package or module.startswith(f"{package}.") for package in packages)


def web_tier_files() -> dict[str, Path]:
    files = {"app": PROJECT_ROOT / "app.py"}
    files |= {f"pages.{path.stem}": path for path in sorted((PROJECT_ROOT / "pages").glob("*.py"))}
    files.pop(DOOR)
    return files


def _module_file(name: str) -> Path | None:
    base = PROJECT_ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def test_the_scan_finds_planted_violations():
    planted = {
        "from data_access.schema import person_identifier": "imports data_access.schema",
        "import data_access.linked_reads": "imports data_access.linked_reads",
        "from data_access import loader": "imports data_access.loader",
        "from data_access.engine import make_engine, linked_db_url\nmake_engine(linked_db_url())": "uses make_engine",
        "import sqlalchemy as sa": "imports sqlalchemy",
        "from sqlalchemy import text": "imports sqlalchemy",
        "import sqlite3": "imports sqlite3",
        "from data_access.published_reads import read_published": "imports data_access.published_reads",
        "from linkage.extract.command import main": "imports linkage.extract.command",
        "import linkage.extract": "imports linkage.extract",
        "from data_access import extract_reads": "imports data_access.extract_reads",
        "import pyrage": "imports pyrage",
        "import os\nos.environ['FAMILIES_DB_URL']": "uses FAMILIES_DB_URL",
        "import importlib\nimportlib.import_module('data_access.schema')": "uses import_module",
        "from pages._published import _published_engine\nfrom pages import _published\n"
        "_published.web_tier_engine()": "uses web_tier_engine",
    }
    for source, expected in planted.items():
        assert expected in web_tier_violations(source), source
    assert web_tier_violations("from data_access.config import load_measures\nfrom pages._published import x") == []


def test_pages_and_app_import_data_only_through_the_door():
    files = web_tier_files()
    assert {"app", "pages.overview", "pages.measures", "pages.localities", "pages.methodology"} <= set(files)
    problems = {name: web_tier_violations(path.read_text(encoding="utf-8"), name) for name, path in files.items()}
    assert {name: found for name, found in problems.items() if found} == {}


def test_nothing_the_pages_import_reaches_a_database_except_the_door():
    """Transitively: the project modules pages import (other than pages/_published.py) open no database."""
    pending = [(name, path) for name, path in web_tier_files().items()]
    seen: dict[str, set[str]] = {}
    while pending:
        name, path = pending.pop()
        if name in seen:
            continue
        seen[name] = imported_modules(path.read_text(encoding="utf-8"),
                                      name if path.name != "__init__.py" else f"{name}.__init__")
        for imported in seen[name]:
            parts = imported.split(".")
            for depth in range(1, len(parts) + 1):
                module = ".".join(parts[:depth])
                if module != DOOR and module not in seen and (found := _module_file(module)):
                    pending.append((module, found))
    reaching = {name: sorted(m for m in modules if _within(m, DB_MODULES)) for name, modules in seen.items()}
    assert "pages._views" in seen, "guard: the walk follows the pages' own imports"
    assert {name: found for name, found in reaching.items() if found} == {}


def test_the_door_opens_only_the_web_tier_engine():
    source = (PROJECT_ROOT / "pages" / "_published.py").read_text(encoding="utf-8")
    data_modules = {m for m in imported_modules(source, DOOR) if m.startswith("data_access")}
    assert data_modules <= {"data_access.access", "data_access.access.web_tier_engine",
                            "data_access.access.SeparationError", "data_access.web_environment",
                            "data_access.web_environment.web_process_problems", "data_access.config",
                            "data_access.config.Role", "data_access.config.load_roles", "data_access.published_reads",
                            # configuration a council can edit, loaded here at the web tier's edge (#13)
                            "data_access.config.PublishSettings", "data_access.config.load_publish_settings",
                            "data_access.config.load_privacy_notice",
                            "data_access.published_reads.read_publication_info",
                            "data_access.published_reads.read_published",
                            # the access log: append-only (data_access/access_log.py)
                            "data_access.access.web_tier_url", "data_access.access_log",
                            "data_access.access_log.AccessEvent", "data_access.access_log.AccessLogError",
                            "data_access.access_log.web_tier_access_log",
                            "data_access.published_reads.read_revisions"}, data_modules
    assert "web_tier_engine(url)" in source and "web_tier_url()" in source  # the URL the environment gives
    words = {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}
    assert not words & {"make_engine", "create_engine", "linked_db_url", "published_db_url", "sqlalchemy"}


def test_the_reader_url_never_carries_the_owners_password():
    url = reader_url("postgresql+psycopg://owner:secret@db.example:5432/families", "dashboard_reader", "PW")
    assert url == "postgresql+psycopg://dashboard_reader:${PW}@db.example:5432/families"
    assert "secret" not in reader_url("postgresql://owner:secret@db.example/families", "dashboard_reader")
