"""On a 390 px phone every chart's title is drawn whole, inside its chart (#12 item 3: usable at 390 px wide).

Plotly does not wrap titles: a long one runs off both sides of a narrow chart and is clipped. Each drawn title's
box is compared with its chart's box in Chromium.
"""

from __future__ import annotations

import pytest

from tests.browser.test_accessibility import PHONE, open_as

pytestmark = pytest.mark.browser

CLIPPED_TITLES = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(plot => {
    const chart = plot.getBoundingClientRect();
    if (chart.width === 0) return [];  // a chart in a tab not shown
    return [...plot.querySelectorAll('.g-gtitle text, .gtitle')].map(title => {
        const box = title.getBoundingClientRect();
        return {text: title.textContent, left: box.left - chart.left, right: chart.right - box.right};
    }).filter(found => found.text && (found.left < -1 || found.right < -1));
})"""


@pytest.mark.parametrize("page_id", ["overview", "measures", "localities", "impact"])
def test_chart_titles_fit_a_phone(page, streamlit_server: str, wait_for_streamlit, page_id: str):
    page.set_viewport_size(PHONE)
    open_as(page, streamlit_server, wait_for_streamlit, "commissioner", page_id)
    page.wait_for_selector(".js-plotly-plot .gtitle", state="attached")
    assert page.evaluate(CLIPPED_TITLES) == []


def test_the_title_check_finds_a_title_too_wide(page, streamlit_server: str, wait_for_streamlit):
    """The control: a title lengthened in the page runs past its chart and is reported."""
    page.set_viewport_size(PHONE)
    open_as(page, streamlit_server, wait_for_streamlit, "commissioner", "overview")
    page.wait_for_selector(".js-plotly-plot .gtitle", state="attached")
    page.evaluate("""() => { const title = document.querySelector('.js-plotly-plot .gtitle');
        title.textContent = 'A title far too long to fit on a phone: ' + 'words '.repeat(20); }""")
    assert len(page.evaluate(CLIPPED_TITLES)) >= 1
