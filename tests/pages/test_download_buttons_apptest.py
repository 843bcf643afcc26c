"""The download buttons on the pages (AppTest): the locality briefing is for the locality chosen, in three formats,
built on click (not on every rerun), and the whole published dataset is offered, built on click. Their contents:
test_downloads.py, test_query_space.py."""

from __future__ import annotations

import io

from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import APP, PAGE_FILES
from tests.pages.test_query_space import deferred_payload, record_downloads


def test_the_briefing_is_for_the_chosen_locality(app_env, monkeypatch):
    record_downloads(monkeypatch)
    app = AppTest.from_file(str(APP), default_timeout=120)
    app.query_params["role"] = "service_manager"
    app.query_params["locality"] = "Purbeck"
    app.switch_page(PAGE_FILES["localities"])
    app.run()
    assert not app.exception, [exception.value for exception in app.exception]
    briefing = [button for button in app.get("download_button") if button.proto.label == "PDF (.pdf)"]
    assert briefing, [button.proto.label for button in app.get("download_button")]
    assert briefing[0].proto.deferred_file_id and not briefing[0].proto.url, "the briefing is built on click"
    payload = deferred_payload(briefing[0].proto.deferred_file_id)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(payload)).pages)
    assert "Purbeck briefing" in text and "Improved: Purbeck" in text and "Sustained: Purbeck" in text
    labels = [button.proto.label for button in app.get("download_button")]
    assert {"PDF (.pdf)", "Excel (.xlsx)", "OpenDocument (.ods)"} <= set(labels)


def test_the_whole_dataset_is_offered_and_built_on_click(open_page):
    app = open_page("analyst", "methodology")
    assert not app.exception, [exception.value for exception in app.exception]
    offered = [button for button in app.get("download_button") if "all published statistics" in button.proto.label]
    assert sorted(button.proto.label.rsplit(" ", 1)[-1] for button in offered) == ["(.ods)", "(.xlsx)"]
    assert all(button.proto.deferred_file_id and not button.proto.url for button in offered)
