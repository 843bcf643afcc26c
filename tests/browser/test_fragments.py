"""A selection change reruns only the part of the page it affects (issue #12 item 6), in headless Chromium on the
real app: the sidebar's count of full runs of app.py (shown only when FAMILIES_SHOW_RUN_COUNT=1) stays still while
a picker inside an st.fragment changes what that fragment draws, and the choice still reaches the URL and the menu's
links. A control proves the counter moves on a full run, so a page without fragments fails here."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import harness
from tests.browser.test_locality_view import choose
from tests.browser.test_navigation import follow_menu_link, query

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def counting_server(serve_streamlit, demo_database_env: dict[str, str]) -> str:
    return serve_streamlit(harness.PROJECT_ROOT / "app.py", {**demo_database_env, "FAMILIES_SHOW_RUN_COUNT": "1"})


def full_runs(page) -> int:
    text = page.get_by_test_id("stSidebar").get_by_text(re.compile(r"^Full runs: \d+$")).inner_text()
    return int(text.split(": ")[1])


def menu_link(page, title: str) -> str:
    return page.get_by_test_id("stSidebar").get_by_test_id("stPageLink").filter(has_text=title).first.locator(
        "a").get_attribute("href")


@pytest.mark.parametrize(("path", "label", "option", "drawn"), [
    ("", "Locality", "Purbeck", "Solid: Purbeck"),  # Overview, a locality at a glance: its trend chart's caption
    ("measures", "Locality", "Chesil", "Chesil, support starting"),  # Measures, one measure: the breakdown's title
    ("localities", "Locality", "Purbeck", "A briefing for Purbeck"),  # Localities: the briefing's heading
])
def test_a_picker_reruns_only_its_fragment(page, counting_server: str, path: str, label: str, option: str,
                                           drawn: str):
    page.goto(f"{counting_server}/{path}?role=analyst&locality=Dorset" if path else
              f"{counting_server}/?role=analyst&locality=Dorset")
    harness.wait_for_streamlit_page(page)
    before = full_runs(page)
    expect(page.get_by_text(drawn)).to_have_count(0)  # not drawn before the choice

    choose(page, label, option)
    expect(page.get_by_text(drawn)).not_to_have_count(0)  # the fragment drew the new choice
    assert full_runs(page) == before, "the picker reran the whole page, not only its fragment"
    assert query(page)["locality"] == option, "the choice no longer reaches the URL"
    assert f"locality={option.replace(' ', '+')}" in menu_link(page, "Methodology"), \
        "the menu's links do not carry the choice made in the fragment"


def test_the_run_counter_moves_on_a_full_run(page, counting_server: str):
    """The control: a page switch (outside every fragment) reruns app.py, and the counter shows it."""
    page.goto(f"{counting_server}/?role=analyst")
    harness.wait_for_streamlit_page(page)
    before = full_runs(page)
    follow_menu_link(page, "Measures")
    assert full_runs(page) > before
