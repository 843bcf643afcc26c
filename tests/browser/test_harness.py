"""The browser harness itself: it waits for a real render and it reports errors (so it can fail).

Uses a stand-in script (standin_app.py), not the real app, so a broken harness is told apart from a
broken page.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

STANDIN = Path(__file__).with_name("standin_app.py")


@pytest.fixture(scope="module")
def standin_url(serve_streamlit) -> str:
    return serve_streamlit(STANDIN)


def test_wait_returns_after_the_chart_is_drawn(page, standin_url: str, wait_for_streamlit) -> None:
    page.goto(standin_url)
    wait_for_streamlit(page)
    assert page.get_by_role("heading", name="Harness stand-in").is_visible()
    # No extra waiting: the chart's SVG must already be there when the helper returns.
    assert page.locator('[data-testid="stPlotlyChart"] svg.main-svg').count() >= 1


def test_wait_reports_an_exception_on_the_page(page, standin_url: str, wait_for_streamlit) -> None:
    """The harness sees the error box; the browser sees no details (.streamlit/config.toml: showErrorDetails =
    "none", so an exception's message, which could quote data, stays in the server log)."""
    page.goto(f"{standin_url}/?fail=1")
    with pytest.raises(AssertionError, match="encountered an error") as failure:
        wait_for_streamlit(page)
    assert "deliberate failure for the harness test" not in str(failure.value)


_RUN_AFTER_A_PAUSE = """<div data-testid="stApp" data-test-connection-state="CONNECTED"
  data-test-script-state="notRunning"><h1>between two runs</h1></div>
<script>
  const app = document.querySelector('[data-testid="stApp"]');
  setTimeout(() => app.setAttribute("data-test-script-state", "running"), 150);
  setTimeout(() => {
    app.insertAdjacentHTML("beforeend", "<p id='second-run'>drawn by the second run</p>");
    app.setAttribute("data-test-script-state", "notRunning");
  }, 1200);
</script>"""


def test_wait_does_not_stop_between_a_run_and_the_rerun_it_asked_for(page, wait_for_streamlit) -> None:
    """The script state reads notRunning for a moment before a rerun starts (st.rerun, or a click whose rerun has
    not begun): the wait must see the state change within its settle time and wait for the second run."""
    page.set_content(_RUN_AFTER_A_PAUSE)
    wait_for_streamlit(page)
    assert page.locator("#second-run").count() == 1


_RERUN_AS_THE_WAIT_STARTS_COUNTING = """<div data-testid="stApp" data-test-connection-state="CONNECTED"
  data-test-script-state="notRunning"><h1>between two runs</h1></div>
<script>
  const app = document.querySelector('[data-testid="stApp"]');
  let changes;
  // The moment the wait starts counting script-state changes (harness._SCRIPT_STATE_CHANGES sets this property
  // just before it starts observing), a rerun begins: the change comes before the observer, as on a loaded machine.
  Object.defineProperty(app, "scriptStateChanges", {
    get() { return changes; },
    set(value) {
      if (changes === undefined) {
        app.setAttribute("data-test-script-state", "running");
        setTimeout(() => {
          app.insertAdjacentHTML("beforeend", "<p id='second-run'>drawn by the second run</p>");
          app.setAttribute("data-test-script-state", "notRunning");
        }, 1000);
      }
      changes = value;
    },
  });
</script>"""


def test_wait_does_not_stop_when_the_rerun_starts_before_it_counts_changes(page, wait_for_streamlit) -> None:
    """The race a loaded CI machine hit: the rerun starts after the wait saw notRunning but before it began
    counting changes, so the count never moves. The wait must read the state itself, not only the count."""
    page.set_content(_RERUN_AS_THE_WAIT_STARTS_COUNTING)
    wait_for_streamlit(page)
    assert page.locator("#second-run").count() == 1


def test_wait_on_a_settled_page_costs_only_the_settle_time(page, wait_for_streamlit) -> None:
    page.set_content(_RUN_AFTER_A_PAUSE.replace("<script>", "<script type='text/plain'>"))
    started = time.monotonic()
    wait_for_streamlit(page)
    assert time.monotonic() - started < 2.0
