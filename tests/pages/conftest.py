"""AppTest fixtures: a small seeded synthetic Dorset, loaded and published once per session."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from data_access.config import load_roles
from data_access.web_environment import LIBPQ_CREDENTIALS, looks_like_database_url
from tests.browser import harness
from tests.browser.harness import WEB_PROCESS_BASICS

APP = harness.PROJECT_ROOT / "app.py"
PAGE_FILES = {
    "overview": "pages/overview.py",
    "measures": "pages/measures.py",
    "localities": "pages/localities.py",
    "impact": "pages/impact.py",
    "methodology": "pages/methodology.py",
    "disclosure": "pages/disclosure.py",
}


@pytest.fixture(scope="session")
def demo_env(demo_database_env: dict[str, str]) -> dict[str, str]:
    """The session's one published demo database (tests/conftest.py), shared with the browser tests."""
    return demo_database_env


@pytest.fixture
def app_env(demo_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """AppTest runs the app in this process: its environment must be a web process's (the app refuses to serve with
    a database URL other than the published one, e.g. the test server's FAMILIES_TEST_PG_URL)."""
    for key in list(os.environ):
        if key not in WEB_PROCESS_BASICS and (looks_like_database_url(os.environ[key]) or key in LIBPQ_CREDENTIALS):
            monkeypatch.delenv(key)
    for key, value in demo_env.items():
        monkeypatch.setenv(key, value)
    return demo_env


def run_page(role: str, page_id: str, selection: dict[str, str] | None = None) -> AppTest:
    """The app after running one page as one role, with its selections in the URL (needs the app_env fixture)."""
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.query_params["role"] = role
    for key, value in (selection or {}).items():
        app.query_params[key] = value
    app.switch_page(PAGE_FILES[page_id])
    app.run()
    return app


@pytest.fixture
def open_page(app_env) -> Callable[[str, str], AppTest]:
    """open_page(role, page_id) -> the app after running that page as that role."""
    return run_page


def page_text(app: AppTest) -> str:
    """Everything a page put on screen as text: markdown, captions, metrics, tables and chart specs."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning", "error", "success"):
        parts.extend(str(element.value) for element in app.get(kind))
    parts.extend(f"{metric.label} {metric.value}" for metric in app.metric)
    parts.extend(frame.value.to_csv(index=False) for frame in app.dataframe)
    parts.extend(json.dumps(json.loads(chart.proto.spec)) for chart in app.get("plotly_chart"))
    return "\n".join(parts)


def role_page_pairs(allowed: bool) -> Iterator[tuple[str, str]]:
    for role in load_roles().roles:
        for page_id in PAGE_FILES:
            if (page_id in role.pages) == allowed:
                yield role.id, page_id


def page_exists(page_id: str) -> bool:
    return (Path(harness.PROJECT_ROOT) / PAGE_FILES[page_id]).is_file()


@pytest.fixture(scope="session")
def demo_published(demo_env: dict[str, str]) -> dict[str, pl.DataFrame]:
    """Every published table of the session's demo, read through the web tier's read-only engine."""
    from data_access.access import web_tier_engine
    from data_access.published_catalogue import TABLES_BY_NAME
    from data_access.published_reads import read_publication_info, read_published

    with pytest.MonkeyPatch.context() as patch:
        for key, value in demo_env.items():
            patch.setenv(key, value)
        engine = web_tier_engine()
    try:
        tables = {table: read_published(engine, table) for table in TABLES_BY_NAME}
        tables["_info"] = read_publication_info(engine)
        return tables
    finally:
        engine.dispose()
