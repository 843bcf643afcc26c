"""The "What changed" section of the Methodology page on a real second edition (AppTest).

It must show the published revisions table and nothing else: a summary of numbers of revised figures (checked
against a plain count of the published rows), the revised figures themselves, and a download equal to the table
beside it. The first-edition state (nothing revised) is what every other page test's demo database shows.
"""

from __future__ import annotations

import io
from collections import Counter

import polars as pl
import pytest
import streamlit.testing.v1.app_test as app_test_module
from streamlit.testing.v1 import AppTest

from data_access.engine import make_engine, published_db_url
from data_access.published_reads import read_revisions
from tests.pages.conftest import APP
from tests.pages.test_query_space import RecordingStorage, _as_text, download_payload

pytestmark = pytest.mark.slow


@pytest.fixture
def methodology(refreshed_editions, app_env, monkeypatch: pytest.MonkeyPatch):
    # A web process sees only the published database (app_env cleared every other database URL).
    monkeypatch.delenv("FAMILIES_PUBLISHED_DB_URL")
    monkeypatch.setenv("FAMILIES_PUBLISHED_DB_URL", published_db_url(refreshed_editions.linked_url))
    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", RecordingStorage)  # downloads stay readable

    def run(table: str | None = None) -> AppTest:
        RecordingStorage.instances.clear()
        app = AppTest.from_file(str(APP), default_timeout=120)
        app.query_params["role"] = "commissioner"
        app.switch_page("pages/methodology.py")
        app.run()
        if table is not None:
            app.selectbox(key="revisions-table").set_value(table).run()
        return app

    return run


def test_what_changed_shows_the_published_revisions(refreshed_editions, methodology) -> None:
    revisions = read_revisions(make_engine(published_db_url(refreshed_editions.linked_url), published=True))
    app = methodology()
    assert not app.exception, [exception.value for exception in app.exception]
    assert "What changed since the last edition" in [header.value for header in app.header]
    assert any(f"revises {revisions.height:,} figures" in str(block.value) for block in app.markdown)

    *_, summary_element, rows_element = app.dataframe  # the section's two tables end the page
    summary = pl.from_pandas(summary_element.value)
    counted = Counter(zip(revisions["table"], revisions["reason"], strict=True))
    for row in summary.iter_rows(named=True):
        for reason in ("new data", "late records", "change of method"):
            assert row[reason] == counted.get((row["Published table"], reason), 0)
        assert row["all reasons"] == sum(n for (table, _), n in counted.items() if table == row["Published table"])

    shown = pl.from_pandas(rows_element.value)
    assert shown.height == revisions.height
    assert shown.columns == [name for name in revisions.columns if name not in ("edition", "previous_edition")]
    button = next(button for button in app.get("download_button")
                  if button.proto.label.startswith("Download these revised"))  # not the dataset (built on click)
    download = pl.read_csv(io.BytesIO(download_payload(button.proto.url)), infer_schema_length=0)
    assert download.columns == shown.columns and _as_text(download) == _as_text(shown)  # what is shown


def test_one_table_at_a_time(refreshed_editions, methodology) -> None:
    app = methodology("families")
    shown = pl.from_pandas(app.dataframe[-1].value)
    assert shown.height > 0 and set(shown["table"]) == {"families"}
