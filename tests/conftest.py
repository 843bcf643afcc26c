"""Shared fixtures: real databases (SQLite and PostgreSQL) and a real browser (Debian's Chromium).

Databases: `sqlite_url`, `pg_url` (a fresh database per test on the server named by FAMILIES_TEST_PG_URL),
and `db_url`, parametrised over both, so a test written once runs against each real database.
Browser: `chromium_path`, `streamlit_server` (the real app.py on a free loopback port, over a small
synthetic database), `serve_streamlit` (serve any script), `page` (Playwright driving /usr/bin/chromium)
and `wait_for_streamlit` (the page-ready helper). The plain functions live in tests/browser/harness.py.

Missing PostgreSQL or Chromium skips the tests that need them, with the reason, unless
FAMILIES_REQUIRE_PG=1 / FAMILIES_REQUIRE_BROWSER=1 (CI sets both) turns the skip into a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from data_access.engine import normalise_url
from tests import session_builds
from tests.browser import harness

PROJECT_ROOT = harness.PROJECT_ROOT
BROWSER_DEMO_FAMILIES = 1500


def _unavailable(reason: str, require_variable: str) -> None:
    """Skip, or fail when the environment says this dependency is required (CI)."""
    if os.environ.get(require_variable) == "1":
        pytest.fail(f"{reason} ({require_variable}=1, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _no_database_urls_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests name their databases explicitly; a developer's FAMILIES_DB_URL must not leak into them."""
    monkeypatch.delenv("FAMILIES_DB_URL", raising=False)
    monkeypatch.delenv("FAMILIES_PUBLISHED_DB_URL", raising=False)


# --- databases ---------------------------------------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL for a new, empty SQLite file in the test's own temporary folder."""
    return f"sqlite:///{tmp_path / 'families.db'}"


@cache
def _pg_server_problem(server_url: str) -> str | None:
    """Why the PostgreSQL server cannot be used (None when it can); asked once per session."""
    engine = create_engine(server_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any connection error means: no usable server
        return f"cannot connect to FAMILIES_TEST_PG_URL ({type(error).__name__}: {error})"
    finally:
        engine.dispose()
    return None


def _pg_server_url() -> str:
    """The test server's URL (psycopg 3 driver), or skip/fail when there is none."""
    server_url = os.environ.get("FAMILIES_TEST_PG_URL")
    if server_url:
        server_url = normalise_url(server_url)  # postgresql:// URLs get the psycopg 3 driver
    else:
        _unavailable(
            "PostgreSQL tests need FAMILIES_TEST_PG_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:55432/postgres; "
            "docs/postgresql.md has a throwaway-cluster recipe)",
            "FAMILIES_REQUIRE_PG",
        )
    problem = _pg_server_problem(server_url)
    if problem:
        _unavailable(problem, "FAMILIES_REQUIRE_PG")
    return server_url


@pytest.fixture
def make_pg_database() -> Iterator:
    """`make_pg_database()` -> the URL of another fresh, uniquely named database (as the server's superuser);
    every database made is dropped after the test. For deployments that need two (a separate published database)."""
    from data_access.databases import create_database, drop_database

    server_url = _pg_server_url()
    made: list[str] = []

    def make() -> str:
        name = f"families_test_{uuid.uuid4().hex[:12]}"
        made.append(name)
        return create_database(server_url, name)

    try:
        yield make
    finally:
        for name in made:  # WITH (FORCE) ends connections a test's engine may still hold open
            drop_database(server_url, name)


@pytest.fixture
def pg_url(make_pg_database) -> str:
    """A URL for a fresh, uniquely named PostgreSQL database, dropped after the test."""
    return make_pg_database()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh empty database: each test using it runs once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


# --- browser -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium (never a downloaded browser: `playwright install` is not used here)."""
    if not (harness.CHROMIUM.is_file() and os.access(harness.CHROMIUM, os.X_OK)):
        _unavailable(
            f"browser tests need {harness.CHROMIUM} (apt-get install chromium chromium-driver)",
            "FAMILIES_REQUIRE_BROWSER",
        )
    return harness.CHROMIUM


@pytest.fixture(scope="session")
def serve_streamlit(chromium_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A function `serve_streamlit(script, env) -> base URL`; every server it starts is stopped after the session."""
    processes = []

    def serve(script: Path, env: dict[str, str] | None = None) -> str:
        log = tmp_path_factory.mktemp("streamlit-log") / "server.log"
        process, base_url = harness.start_streamlit(script, env or {}, log)
        processes.append(process)
        return base_url

    try:
        yield serve
    finally:
        for process in processes:
            harness.stop_process_group(process)


@pytest.fixture(scope="session")
def demo_database(request: pytest.FixtureRequest) -> harness.DemoDatabase:
    """A small seeded synthetic database with its published tables, built once per run, in the background from
    the end of collection and shared by every xdist worker (tests/session_builds.py; publishing is the slow part:
    share this rather than building another). Its linked_url is for tests that check against personal data; the
    app gets web_env only."""
    folder = session_builds.demo(_shared_folder(request.config), BROWSER_DEMO_FAMILIES, harness.DEMO_SEED).wait()
    return harness.DemoDatabase(f"sqlite:///{folder / 'families.db'}", f"sqlite:///{folder / 'families-published.db'}")


@pytest.fixture(scope="session")
def demo_database_env(demo_database: harness.DemoDatabase) -> dict[str, str]:
    """The web process's environment for the session's demo: {"FAMILIES_PUBLISHED_DB_URL": ...} and nothing else."""
    return demo_database.web_env


@pytest.fixture(scope="session")
def refreshed_editions(request: pytest.FixtureRequest):
    """Two real editions of a small synthetic Dorset, with late records between them (tests/editions_fixture.py),
    built once per run in the background from the end of collection: publishing them takes minutes."""
    from tests.editions_fixture import read_refreshed_editions

    return read_refreshed_editions(session_builds.editions(_shared_folder(request.config)).wait())


@pytest.fixture(scope="session")
def streamlit_server(serve_streamlit, demo_database_env: dict[str, str]) -> str:
    """The real app.py on a free 127.0.0.1 port over the session's demo database; its base URL."""
    app = PROJECT_ROOT / "app.py"
    if not app.is_file():
        pytest.fail(f"{app} does not exist", pytrace=False)
    return serve_streamlit(app, demo_database_env)


@pytest.fixture(scope="session")
def _browser(chromium_path: Path) -> Iterator:
    """One Chromium for the session (each test gets its own context and page)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = harness.launch_chromium(playwright, chromium_path)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(_browser) -> Iterator:
    """A fresh Playwright page in its own context (no cookies or storage shared between tests)."""
    context = _browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def wait_for_streamlit():
    """The page-ready helper as a fixture: `wait_for_streamlit(page)` waits for the run to finish, then
    asserts no exception or error box is shown (tests/browser/harness.py)."""
    return harness.wait_for_streamlit_page


SESSION_BUILDS = frozenset({"demo_database", "demo_database_env", "streamlit_server", "refreshed_editions"})
"""Fixtures that build and publish a synthetic Dorset once per run (minutes): a test that needs one is slow."""
_DEMO_FIXTURES = SESSION_BUILDS - {"refreshed_editions"}


def _needs_a_session_build(item: pytest.Item) -> bool:
    return bool(SESSION_BUILDS & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark slow every test that needs a session-built publication or a browser, so `pytest -m "not slow"` (the
    quick loop) builds nothing and starts no server; `make test` and CI still run them all.

    Order: tests that need a session build run last, so the builds can run in the background meanwhile (under
    pytest-xdist's `--dist load` they are handed out last); within each part, tests marked slow by their authors come
    first, so that the long ones are spread over the workers early and the run ends on short tests."""
    first_slow = {id(item) for item in items if item.get_closest_marker("slow")}
    for item in items:
        if _needs_a_session_build(item) or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: (_needs_a_session_build(item), id(item) not in first_slow))


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _shared_folder(config: pytest.Config) -> Path:
    """The temporary folder every pytest process of this run shares: the base temp of the run (an xdist worker's
    own base temp is a folder inside it)."""
    basetemp = config._tmp_path_factory.getbasetemp()  # the session's tmp_path_factory (no fixture in hooks)
    return basetemp.parent if _is_xdist_worker(config) else basetemp


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start, in the background, each session build a collected test needs (not for --collect-only). Every xdist
    worker collects every test and gets here; the first to claim a build starts it (tests/session_builds.py)."""
    if session.config.option.collectonly:
        return
    needed = set().union(*(set(getattr(item, "fixturenames", ())) for item in session.items))
    shared = _shared_folder(session.config)
    if needed & _DEMO_FIXTURES:
        session_builds.demo(shared, BROWSER_DEMO_FAMILIES, harness.DEMO_SEED)
    if "refreshed_editions" in needed:
        session_builds.editions(shared)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The process that owns the run (not an xdist worker, which may finish while another still waits for a build)
    kills builds still running."""
    if not _is_xdist_worker(session.config):
        session_builds.stop_unfinished(_shared_folder(session.config))
