"""The app refuses to serve, with a plain message and no traceback, when its process could read personal data."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import APP, PAGE_FILES, page_text

OWNER_SECRET = "owner-secret-password"


def run(script: str, secrets: dict | None = None) -> AppTest:
    """Run with empty caches: the app keeps its engine for the life of the process (its environment never changes
    there), but these tests change the environment between runs in one process."""
    st.cache_resource.clear()
    st.cache_data.clear()
    app = AppTest.from_file(script, default_timeout=60)
    if secrets:
        app.secrets = secrets
    app.run()
    return app


def assert_refused(app: AppTest, *expected: str) -> None:
    assert not app.exception, [exception.value for exception in app.exception]
    errors = "\n".join(str(error.value) for error in app.error)
    for text in expected:
        assert text in errors, errors
    assert OWNER_SECRET not in page_text(app)
    assert not app.get("plotly_chart") and not app.dataframe and not app.metric, "nothing is shown besides the refusal"


@pytest.mark.parametrize("script", [str(APP), str(APP.parent / PAGE_FILES["overview"])], ids=["app", "page"])
def test_the_owner_url_in_the_environment_stops_the_app(app_env, demo_database, monkeypatch, script):
    monkeypatch.setenv("FAMILIES_DB_URL", demo_database.linked_url)
    assert_refused(run(script), "will not start", "FAMILIES_DB_URL is set")


def test_a_database_url_in_secrets_stops_the_app(app_env):
    secrets = {"connections": {"families": {"url": f"postgresql://dfm_owner:{OWNER_SECRET}@db.example/families"}}}
    assert_refused(run(str(APP), secrets), "will not start", "connections.families.url")


def test_a_libpq_password_in_the_environment_stops_the_app(app_env, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", OWNER_SECRET)
    assert_refused(run(str(APP)), "PGPASSWORD")


def test_the_linked_file_given_as_the_published_one_is_refused_plainly(app_env, demo_database, monkeypatch):
    monkeypatch.setenv("FAMILIES_PUBLISHED_DB_URL", demo_database.linked_url)
    assert_refused(run(str(APP)), "cannot open the published tables", "holds linked tables")


def test_the_clean_environment_serves(app_env):
    app = run(str(APP))
    assert not app.exception and not app.error
    assert app.get("plotly_chart")
