"""The whole path on the real PostgreSQL server, the way the docs tell a council to run it:
synthetic data -> publish -> the read-only role -> every page in headless Chromium.

The recommended deployment (docs/postgresql.md): an owner role (not a superuser) owns the linked database and a
separate published database; create-reader, run as the server's superuser, makes the reader with CONNECT on the
published database only and closes the linked database to PUBLIC; `make run` (scripts/run.sh) builds the seeded
synthetic world of about 2,000 families into the linked database, publishes into the published database and serves
the dashboard with the reader's URL only. Then: the web process holds no owner credential, `check` passes, the reader
cannot enter the linked database, the publication holds the long labels the old schema refused, and every page draws.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import create_engine, exc
from sqlalchemy.engine import make_url

from data_access import published_catalogue as catalogue
from data_access.access import web_tier_engine
from data_access.published_reads import read_published
from tests.browser import harness
from tests.browser.test_pages_in_chromium import PAGES

pytestmark = [pytest.mark.postgres, pytest.mark.browser, pytest.mark.slow]

FAMILIES = 2000
SEED = 20240401
PASSWORD = "a long random reader password"


def _as_superuser(url: str, *statements: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


@pytest.fixture
def roles() -> Iterator[dict[str, str]]:
    """An owner and a reader role for this test. Set up before make_pg_database (see `deployment`), so they are
    dropped after the databases, which the owner owns and where both hold privileges."""
    suffix = uuid.uuid4().hex[:10]
    names = {"owner": f"dfm_owner_{suffix}", "reader": f"dashboard_reader_{suffix}"}
    yield names
    server = make_url(os.environ["FAMILIES_TEST_PG_URL"]).set(drivername="postgresql+psycopg")
    url = server.render_as_string(hide_password=False)
    for role in (names["reader"], names["owner"]):
        _as_superuser(url, f'DROP ROLE IF EXISTS "{role}"')


@pytest.fixture
def deployment(roles: dict[str, str], make_pg_database) -> dict[str, str]:
    """Two databases owned by the owner role; URLs as the superuser (admin) and as the owner."""
    admin_linked, admin_published = make_pg_database(), make_pg_database()
    owner = roles["owner"]
    _as_superuser(admin_linked, f'CREATE ROLE "{owner}" LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB')
    for url in (admin_linked, admin_published):
        _as_superuser(url, f'ALTER DATABASE "{make_url(url).database}" OWNER TO "{owner}"')
    as_owner = {name: make_url(url).set(username=owner).render_as_string(hide_password=False)
                for name, url in (("linked", admin_linked), ("published", admin_published))}
    return {"admin_linked": admin_linked, "admin_published": admin_published, **as_owner}


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=harness.PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_synthetic_to_publish_to_reader_to_every_page(deployment, roles, page, wait_for_streamlit, tmp_path: Path):
    base_env = {key: value for key, value in os.environ.items()
                if key not in ("FAMILIES_DB_URL", "FAMILIES_PUBLISHED_DB_URL")}
    python = sys.executable

    # 1. The reader, made once by the DBA (the superuser), for the published database; the linked one is closed.
    created = _run([python, "-m", "data_access.access", "create-reader", "--db", deployment["admin_published"],
                    "--role", roles["reader"], "--publisher", roles["owner"], "--linked-db", deployment["admin_linked"],
                    "--password-env", "DASHBOARD_READER_PASSWORD"], {**base_env, "DASHBOARD_READER_PASSWORD": PASSWORD})
    assert created.returncode == 0, created.stderr
    printed = re.search(r'^FAMILIES_PUBLISHED_DB_URL="(.+)"$', created.stdout, re.MULTILINE)
    assert printed, created.stdout
    reader_url = printed.group(1).replace("${DASHBOARD_READER_PASSWORD}", PASSWORD.replace(" ", "%20"))
    assert make_url(reader_url).database == make_url(deployment["published"]).database

    # 2. `make run`'s script: build the synthetic world, publish, serve with the reader's URL only.
    port = harness.free_port()
    run_env = {**base_env, "FAMILIES_DB_URL": deployment["linked"], "FAMILIES_PUBLISHED_DB_URL": reader_url,
               "FAMILIES_DEMO_FAMILIES": str(FAMILIES), "FAMILIES_DEMO_SEED": str(SEED), "PORT": str(port)}
    log = tmp_path / "run.log"
    with log.open("w") as output:
        server = subprocess.Popen(["bash", "scripts/run.sh"], cwd=harness.PROJECT_ROOT, env=run_env, stdout=output,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base_url = f"http://127.0.0.1:{port}"
        harness.wait_for_health(base_url, server, log, timeout=1200)
        built = log.read_text()
        assert f"building synthetic demo data: {FAMILIES} families" in built and "published " in built, built

        # 3. The web process holds the reader's URL and nothing that could read personal data.
        for pid in (server.pid, *harness.descendants(server.pid)):
            environment = harness.process_environment(pid)
            assert "FAMILIES_DB_URL" not in environment
            assert environment["FAMILIES_PUBLISHED_DB_URL"] == reader_url
            assert not any(roles["owner"] in value for value in environment.values())

        # 4. The reader: `check` passes; it cannot enter the linked database; it reads the whole publication.
        checked = _run([python, "-m", "data_access.access", "check"],
                       {**base_env, "FAMILIES_PUBLISHED_DB_URL": reader_url})
        assert checked.returncode == 0, checked.stderr
        assert "reaches the published tables only (postgresql, read-only)" in checked.stdout
        assert make_url(deployment["linked"]).database not in checked.stderr
        assert "also holds the linked tables" not in checked.stderr
        on_linked = create_engine(make_url(reader_url).set(database=make_url(deployment["linked"]).database))
        with pytest.raises(exc.OperationalError, match="permission denied for database"):
            on_linked.connect()
        on_linked.dispose()
        web = web_tier_engine(reader_url)
        try:
            published = pl.concat([read_published(web, table.name) for table in catalogue.TABLES])
        finally:
            web.dispose()
        assert set(published["table"].unique()) == set(catalogue.TABLES_BY_NAME)
        long_symbols = published.filter(pl.col("symbol").str.len_chars() > 8)["symbol"].unique().to_list()
        assert "not compared" in long_symbols, "the labels the old VARCHAR(8) refused are published"
        assert published.filter(pl.col("kind").str.len_chars() > 12).height > 0  # e.g. effect_ci_lower

        # 5. Every page, in headless Chromium, as the analyst (who may see them all).
        page.goto(f"{base_url}/?role=analyst")
        wait_for_streamlit(page, timeout_ms=120_000)
        for url_path, (heading, minimum_charts) in PAGES.items():
            page.goto(f"{base_url}/{url_path}?role=analyst")
            wait_for_streamlit(page, timeout_ms=120_000)
            assert page.get_by_role("heading", name=heading).first.is_visible(), url_path
            assert page.get_by_test_id("stPlotlyChart").count() >= minimum_charts, url_path
            assert page.get_by_text("Synthetic data").first.is_visible(), url_path
    finally:
        harness.stop_process_group(server)
