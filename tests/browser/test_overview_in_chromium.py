"""The real app in a real browser: the Overview page (the default page) renders its chart and no error.

The server runs app.py over a small seeded synthetic database with its published tables
(fixtures in tests/conftest.py). A screenshot is kept in the test's temporary folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

pytestmark = pytest.mark.browser


def test_overview_draws_its_chart_without_errors(page, streamlit_server: str, wait_for_streamlit, tmp_path: Path):
    page.goto(streamlit_server)
    wait_for_streamlit(page)

    assert page.get_by_role("heading", name="Overview").first.is_visible()
    chart = page.get_by_test_id("stPlotlyChart").filter(has_text="Families starting support").first
    assert chart.is_visible()
    # Plotly has drawn into the chart: its SVG (or WebGL canvas) and at least one bar.
    assert chart.locator("svg.main-svg, canvas").count() >= 1
    assert chart.locator("g.point path, .trace.bars path").count() >= 1
    assert page.get_by_test_id("stMetric").count() >= 1

    screenshot = tmp_path / "overview.png"
    page.screenshot(path=str(screenshot), full_page=True)
    # Not blank: a rendered dashboard has many distinct colours, an empty page one or two.
    colours = Image.open(screenshot).convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50, f"screenshot looks blank: {screenshot}"
