"""The locality view in headless Chromium on the real app: a locality picked on the Overview shows its twelve
measures there, and stays picked on the Measures and Localities pages (and back), through the sidebar menu."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from data_access.config import load_measures
from tests.browser import harness
from tests.browser.test_navigation import follow_menu_link, query, selectbox_value

pytestmark = pytest.mark.browser


def choose(page, label: str, option: str) -> None:
    """Pick `option` in the selectbox labelled `label`. The box is scrolled into view first and the click retried:
    a click made while the page is still scrolling (charts below are drawn late) opens the list and closes it."""
    box = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True)).first
    box.scroll_into_view_if_needed()
    for attempt in range(3):
        box.click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=3_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    harness.wait_for_streamlit_page(page)


def table_with(page, column: str):
    """The st.dataframe that has a column headed `column` (its accessible grid holds the header text)."""
    return page.get_by_test_id("stDataFrame").filter(has_text=column).first


def grid_rows(table) -> int:
    """Data rows of one st.dataframe, from the grid's accessible row count (the header row is one of them)."""
    grid = table.locator("[role='grid']").first
    grid.wait_for(state="attached")
    return int(grid.get_attribute("aria-rowcount")) - 1


def test_a_locality_picked_on_the_overview_stays_picked(page, streamlit_server: str):
    page.goto(f"{streamlit_server}/?role=service_manager")
    harness.wait_for_streamlit_page(page)
    assert "Dorset" in selectbox_value(page, "Locality"), "the Overview opens on the whole area"

    choose(page, "Locality", "Purbeck")
    assert query(page)["locality"] == "Purbeck"
    summary = table_with(page, "Which way is good")
    assert grid_rows(summary) == len(load_measures().measures) == 12
    # Waits until the rerun's table is drawn: Dorset's own table has no comparison column.
    expect(summary.get_by_text("Compared with Dorset", exact=True)).to_have_count(1)

    follow_menu_link(page, "Measures")
    assert query(page)["locality"] == "Purbeck"
    assert "Purbeck" in selectbox_value(page, "Locality")

    follow_menu_link(page, "Localities")
    assert "Purbeck" in selectbox_value(page, "Locality")
    choose(page, "Locality", "Chesil")  # and back: a choice made on the Localities page opens the Overview on it

    follow_menu_link(page, "Overview")
    assert query(page)["locality"] == "Chesil"
    assert "Chesil" in selectbox_value(page, "Locality")
    assert grid_rows(table_with(page, "Which way is good")) == 12


def test_impact_tables_show_every_row(page, streamlit_server: str):
    page.goto(f"{streamlit_server}/impact?role=commissioner")
    harness.wait_for_streamlit_page(page)
    for column in ("Supported, no close match", "Matched, as published (caliper 0.2 SD)", "Locality"):
        table = table_with(page, column)
        rows = grid_rows(table)
        box = table.bounding_box()
        assert rows >= 5 and box is not None
        assert box["height"] >= 30 * (rows + 1), f"{column}: {rows} rows in {box['height']:.0f} px: some are cut off"
