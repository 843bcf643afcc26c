"""Shared fixtures: real databases (SQLite and PostgreSQL) and a real browser (Debian's Chromium).

Databases: `sqlite_url`, `pg_url` (a fresh database per test on the server named by FAMILIES_TEST_PG_URL),
and `db_url`, parametrised over both, so a test written once runs against each real database.
Browser: `chromium_path`, `streamlit_server` (the real app.py on a free loopback port, over a small
synthetic database), `page` (Playwright driving /usr/bin/chromium) and `wait_for_streamlit` (a fixture
returning the page-ready helper: `wait_for_streamlit(page)`).

Missing PostgreSQL or Chromium skips the tests that need them, with the reason, unless
FAMILIES_REQUIRE_PG=1 / FAMILIES_REQUIRE_BROWSER=1 (CI sets both) turns the skip into a failure.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
# Without the networking flags Chromium floods a closed network with connection attempts.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_DEMO_FAMILIES = 1500
BROWSER_DEMO_SEED = 7


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


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL for a fresh, uniquely named PostgreSQL database, dropped after the test."""
    server_url = os.environ.get("FAMILIES_TEST_PG_URL")
    if not server_url:
        _unavailable(
            "PostgreSQL tests need FAMILIES_TEST_PG_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:55432/postgres; "
            "docs/postgresql.md has a throwaway-cluster recipe)",
            "FAMILIES_REQUIRE_PG",
        )
    problem = _pg_server_problem(server_url)
    if problem:
        _unavailable(problem, "FAMILIES_REQUIRE_PG")
    name = f"families_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            with admin.connect() as connection:
                # FORCE ends connections a test's engine may still hold open.
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()


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
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(
            f"browser tests need {CHROMIUM} (apt-get install chromium chromium-driver)", "FAMILIES_REQUIRE_BROWSER"
        )
    return CHROMIUM


def free_port() -> int:
    """A loopback port nothing is listening on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run_step(command: list[str], env: dict[str, str], log: Path) -> None:
    with log.open("a") as output:
        output.write(f"$ {' '.join(command)}\n")
        output.flush()
        completed = subprocess.run(command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    if completed.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-40:])
        pytest.fail(f"{' '.join(command)} exited with {completed.returncode}:\n{tail}", pytrace=False)


def build_demo_database(folder: Path, log: Path, families: int = BROWSER_DEMO_FAMILIES) -> dict[str, str]:
    """A small seeded synthetic database (and its published tables, once metrics.publish exists).

    Returns the environment variables that point the app at it.
    """
    linked_url = f"sqlite:///{folder / 'families.db'}"
    env = {**os.environ, "FAMILIES_DB_URL": linked_url}
    env.pop("FAMILIES_PUBLISHED_DB_URL", None)
    python = sys.executable
    _run_step(
        [python, "-m", "synthetic", "--families", str(families), "--seed", str(BROWSER_DEMO_SEED), "--db", linked_url],
        env,
        log,
    )
    if (PROJECT_ROOT / "metrics" / "publish.py").is_file():
        _run_step([python, "-m", "metrics.publish", "--db", linked_url], env, log)
    return {"FAMILIES_DB_URL": linked_url}


def wait_for_health(base_url: str, process: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    """Poll /_stcore/health until it answers "ok"; fail early, with the log, if the server died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode} before it was healthy:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"streamlit was not healthy within {timeout:.0f} s:\n{log.read_text()}")


def start_streamlit(app: Path, env_overrides: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    """Start `streamlit run app` on a free loopback port in its own process group."""
    port = free_port()
    env = {**os.environ, **env_overrides}
    command = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log.open("a") as output:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base_url, process, log)
    except BaseException:
        stop_process_group(process)
        raise
    return process, base_url


def stop_process_group(process: subprocess.Popen) -> None:
    """Terminate the server and anything it started; kill it if it ignores SIGTERM for 10 s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def streamlit_app() -> Path:
    """The Streamlit script the browser tests serve (the real app)."""
    return PROJECT_ROOT / "app.py"


@pytest.fixture(scope="session")
def streamlit_server(
    streamlit_app: Path, chromium_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The app served on a free 127.0.0.1 port over a small synthetic database; yields its base URL."""
    if not streamlit_app.is_file():
        pytest.fail(f"{streamlit_app} does not exist", pytrace=False)
    folder = tmp_path_factory.mktemp("streamlit-server")
    log = folder / "server.log"
    env = build_demo_database(folder, log)
    process, base_url = start_streamlit(streamlit_app, env, log)
    try:
        yield base_url
    finally:
        stop_process_group(process)


@pytest.fixture(scope="session")
def _browser(chromium_path: Path):
    """One Chromium for the session (each test gets its own context and page)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(_browser):
    """A fresh Playwright page (own context: no cookies or storage shared between tests)."""
    context = _browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def wait_for_streamlit_page(page, timeout_ms: int = 30_000) -> None:
    """Wait until the Streamlit page has connected, finished running the script and drawn everything.

    The same signals Streamlit's own e2e tests use: the stApp element's data-test-connection-state becomes
    CONNECTED and data-test-script-state becomes notRunning (it goes initial -> running -> notRunning);
    then no skeleton placeholders remain. Afterwards the page must show no exception or error box.
    """
    from playwright.sync_api import expect

    page.wait_for_selector('[data-testid="stApp"]', state="attached", timeout=timeout_ms)
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-connection-state="CONNECTED"]', state="attached", timeout=timeout_ms
    )
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', state="attached", timeout=timeout_ms
    )
    # The status widget's "Running..." icon (aria-label) must be gone too.
    expect(page.get_by_test_id("stStatusWidgetRunningIcon")).to_have_count(0, timeout=timeout_ms)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout_ms)
    assert_no_streamlit_errors(page)


@pytest.fixture
def wait_for_streamlit():
    """The page-ready helper, as a fixture: `wait_for_streamlit(page)` (tests do not import conftest)."""
    return wait_for_streamlit_page


def assert_no_streamlit_errors(page) -> None:
    """Fail with the page's own error text if Streamlit shows an exception or an st.error box."""
    problems = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]')
    if problems.count():
        texts = "\n---\n".join(problems.all_inner_texts())
        pytest.fail(f"the page shows {problems.count()} error(s):\n{texts}", pytrace=False)
