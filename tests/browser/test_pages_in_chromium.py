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


CAPTION_COLOURS = """() => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')].map(element => {
    const parse = text => text.match(/[\\d.]+/g).map(Number);
    let opacity = 1;
    for (let node = element; node; node = node.parentElement) opacity *= Number(getComputedStyle(node).opacity);
    let background = element.parentElement, fill = null;
    while (background) {
        const colour = parse(getComputedStyle(background).backgroundColor);
        if (colour.length < 4 || colour[3] > 0) { fill = colour; break; }
        background = background.parentElement;
    }
    const text = parse(getComputedStyle(element.querySelector('p') || element).color);
    const alpha = (text.length > 3 ? text[3] : 1) * opacity;
    return {text: [...text.slice(0, 3), alpha], background: fill || [255, 255, 255]};
})"""
"""Each caption's text colour with its alpha (the element's own and its ancestors' opacity: Streamlit fades captions
with opacity 0.6) and the first opaque background behind it."""


def _hex(rgb: list[float], under: list[float] | None = None) -> str:
    """#RRGGBB of a CSS colour, blended over `under` when it has an alpha channel."""
    red, green, blue = rgb[:3]
    if len(rgb) == 4 and under is not None:
        alpha = rgb[3]
        red, green, blue = (alpha * value + (1 - alpha) * base for value, base in zip(rgb[:3], under[:3], strict=True))
    return "#" + "".join(f"{round(value):02X}" for value in (red, green, blue))


@pytest.mark.parametrize("url_path", ["overview", "measures", "impact"])
def test_captions_are_readable(page, streamlit_server: str, wait_for_streamlit, url_path: str):
    """Captions (Streamlit draws them in a faded text colour) keep at least 4.5:1 against what is behind them."""
    from pages._contrast import MINIMUM_CONTRAST, contrast_ratio

    page.goto(f"{streamlit_server}/?role=analyst")
    wait_for_streamlit(page)
    page.goto(f"{streamlit_server}/{url_path}?role=analyst")
    wait_for_streamlit(page)
    found = page.evaluate(CAPTION_COLOURS)
    assert found, "no captions on the page"
    ratios = [contrast_ratio(_hex(item["text"], item["background"]), _hex(item["background"])) for item in found]
    assert min(ratios) >= MINIMUM_CONTRAST, sorted(ratios)[:3]
