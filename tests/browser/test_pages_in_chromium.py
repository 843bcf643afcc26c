"""Every page of the real app in headless Chromium, as the analyst (who may see every page).

The root page is opened first: it runs app.py, whose st.navigation then owns routing (a fresh server
otherwise resolves a deep link through the pages/ folder before st.navigation has run). Each page must
draw its charts and show no exception or error box.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PAGES = {
    "overview": ("Overview", 1),
    "measures": ("Measures", 3),
    "localities": ("Localities", 2),
    "impact": ("Impact: the difference we make", 3),
    "methodology": ("Methodology and privacy", 0),
    "disclosure": ("Disclosure control", 1),
}


@pytest.mark.parametrize("url_path", list(PAGES))
def test_page_draws_its_charts_without_errors(page, streamlit_server: str, wait_for_streamlit, url_path: str):
    page.goto(f"{streamlit_server}/?role=analyst")
    wait_for_streamlit(page)
    page.goto(f"{streamlit_server}/{url_path}?role=analyst")
    wait_for_streamlit(page)
    heading, minimum_charts = PAGES[url_path]
    assert page.get_by_role("heading", name=heading).first.is_visible()
    charts = page.get_by_test_id("stPlotlyChart")
    assert charts.count() >= minimum_charts
    for index in range(min(charts.count(), 3)):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        assert chart.locator("svg.main-svg, canvas").count() >= 1
    assert page.get_by_text("Synthetic data").first.is_visible()


def test_a_role_cannot_open_a_page_it_may_not_see(page, streamlit_server: str, wait_for_streamlit):
    page.goto(f"{streamlit_server}/?role=commissioner")
    wait_for_streamlit(page)
    assert page.get_by_role("link", name="Disclosure control").count() == 0
    page.goto(f"{streamlit_server}/disclosure?role=commissioner")
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', state="attached")
    assert page.get_by_role("heading", name="Disclosure control").count() == 0
