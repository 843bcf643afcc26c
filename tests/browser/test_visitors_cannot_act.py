"""Visitors cannot act on the server: a clear_cache message from any websocket client leaves the shared data alone.

Streamlit's server clears st.cache_data and st.cache_resource for every user when any client sends a `clear_cache`
BackMsg (streamlit/runtime/app_session.py), and no setting turns that off. The dashboard keeps its published tables
in its own bounded caches (pages/_published.py), which that message cannot reach. Proof, on a freshly started
server of the real app.py over its own copy of the published file:

1. every page is drawn once as the analyst (the caches fill);
2. the published file is moved away, so any read of the database from now on fails;
3. a raw websocket client sends a real clear_cache BackMsg (streamlit.proto), then a heartbeat whose
   acknowledgement shows the clear_cache was handled (messages are handled in order);
4. every page is drawn again without an error: it came from the cache the message did not clear.

The control: the same message, sent the same way to a stand-in that uses st.cache_data, makes it compute again.
The browser also offers viewers no rerun or clear-cache control in the menu.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

from data_access.engine import published_db_url, sqlite_path
from tests.browser import harness

pytestmark = pytest.mark.browser

PAGES = {"overview": "Overview", "measures": "Measures", "localities": "Localities",
         "impact": "Impact: the difference we make", "methodology": "Methodology and privacy",
         "disclosure": "Disclosure control"}


def send_clear_cache(base_url: str) -> None:
    """Connect as Streamlit's frontend does, send clear_cache, and wait until the server has handled it."""
    websocket_url = base_url.replace("http://", "ws://") + "/_stcore/stream"
    with connect(websocket_url, subprotocols=["streamlit"], origin=base_url, open_timeout=10) as websocket:
        clear = BackMsg()
        clear.clear_cache = True
        websocket.send(clear.SerializeToString())
        heartbeat = BackMsg()
        heartbeat.app_heartbeat = True
        websocket.send(heartbeat.SerializeToString())
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(websocket.recv(timeout=20))
            if reply.WhichOneof("type") == "heartbeat_ack":
                return


def draw(page, url: str, heading: str) -> None:
    page.goto(url)
    harness.wait_for_streamlit_page(page)  # fails on any exception or error box
    title = page.get_by_role("heading", name=heading).first
    title.wait_for(state="visible")  # a loaded machine can draw the heading after the script run is reported done
    assert title.is_visible(), url


@pytest.fixture
def own_publication(demo_database_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """A copy of the session's published file, which this test may move away, and an access-log folder."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in demo_database_env.items():
            patch.setenv(key, value)
        source = sqlite_path(published_db_url())
    copy = tmp_path / "published.db"
    shutil.copyfile(source, copy)
    return {"FAMILIES_PUBLISHED_DB_URL": f"sqlite:///{copy}", "FAMILIES_ACCESS_LOG_DIR": str(tmp_path / "log")}


def test_clear_cache_from_a_visitor_leaves_the_shared_data(page, own_publication, tmp_path: Path):
    # Only the published file's URL: the autouse fixture in tests/conftest.py keeps FAMILIES_DB_URL out of os.environ.
    process, base_url = harness.start_streamlit(harness.PROJECT_ROOT / "app.py", own_publication,
                                                tmp_path / "server.log")
    try:
        for path, heading in PAGES.items():
            draw(page, f"{base_url}/{path}?role=analyst", heading)
        published = sqlite_path(own_publication["FAMILIES_PUBLISHED_DB_URL"])
        published.rename(published.with_suffix(".moved"))

        send_clear_cache(base_url)

        for path, heading in PAGES.items():
            draw(page, f"{base_url}/{path}?role=analyst", heading)
        page.goto(f"{base_url}/?role=analyst")
        harness.wait_for_streamlit_page(page)
        page.keyboard.press("c")  # Streamlit's developer shortcut for "clear cache": offered to viewers?
        assert page.get_by_role("dialog").count() == 0
        menu = page.get_by_test_id("stMainMenu")
        if menu.count():
            menu.click()
            items = page.get_by_test_id("stMainMenuList").inner_text()
            assert "Clear cache" not in items and "Rerun" not in items
    finally:
        harness.stop_process_group(process)


def test_the_same_message_does_flush_streamlits_own_cache(page, tmp_path: Path):
    probe = tmp_path / "computed.txt"
    script = Path(__file__).with_name("cache_probe_app.py")
    process, base_url = harness.start_streamlit(script, {"CACHE_PROBE_FILE": str(probe)}, tmp_path / "server.log")
    try:
        for _ in range(2):
            page.goto(base_url)
            harness.wait_for_streamlit_page(page)
        assert probe.read_text().count("computed") == 1, "the stand-in's cache should hold between page loads"
        send_clear_cache(base_url)
        page.goto(base_url)
        harness.wait_for_streamlit_page(page)
        assert probe.read_text().count("computed") == 2, "clear_cache should have flushed st.cache_data"
    finally:
        harness.stop_process_group(process)
