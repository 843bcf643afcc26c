"""The browser harness itself: it waits for a real render and it reports errors (so it can fail).

Uses a stand-in script (standin_app.py), not the real app, so a broken harness is told apart from a
broken page.
"""

from __future__ import annotations

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
