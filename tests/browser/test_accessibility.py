"""Accessibility in real Chromium: axe-core (bundled in axe-playwright-python, never downloaded) finds no serious or
critical violation on any page for any role, on a desktop and on a 390 px wide phone, and no page scrolls sideways
on the phone."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from data_access.config import load_roles

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
ROLE_PAGES = [(role.id, page_id) for role in load_roles().roles for page_id in role.pages]


def serious_violations(page) -> list[tuple[str, str, int]]:
    """(rule, impact, number of elements) for each serious or critical axe-core violation on the page."""
    found = Axe().run(page).response["violations"]
    return [(rule["id"], rule["impact"], len(rule["nodes"])) for rule in found
            if rule["impact"] in ("serious", "critical")]


def open_as(page, base_url: str, wait_for_streamlit, role: str, page_id: str) -> None:
    page.goto(f"{base_url}/?role={role}")
    wait_for_streamlit(page)
    page.goto(f"{base_url}/{page_id}?role={role}")
    wait_for_streamlit(page)


@pytest.mark.parametrize(("role", "page_id"), ROLE_PAGES)
def test_no_serious_axe_violation_on_a_desktop(page, streamlit_server: str, wait_for_streamlit, role: str,
                                               page_id: str):
    page.set_viewport_size(DESKTOP)
    open_as(page, streamlit_server, wait_for_streamlit, role, page_id)
    assert serious_violations(page) == []


@pytest.mark.parametrize("page_id", ["overview", "measures", "localities", "impact", "methodology"])
def test_a_phone_gets_no_serious_violation_and_no_sideways_scrolling(page, streamlit_server: str,
                                                                      wait_for_streamlit, page_id: str):
    page.set_viewport_size(PHONE)
    open_as(page, streamlit_server, wait_for_streamlit, "commissioner", page_id)
    assert serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_axe_finds_a_planted_violation(page, streamlit_server: str, wait_for_streamlit):
    """The control: grey text on grey planted in the page is reported, so a clean result means something."""
    open_as(page, streamlit_server, wait_for_streamlit, "analyst", "overview")
    page.evaluate("""() => { const planted = document.createElement('p'); planted.textContent = 'planted low contrast';
        planted.style.color = '#bbbbbb'; planted.style.background = '#cccccc';
        document.querySelector('[data-testid="stMain"]').prepend(planted); }""")
    assert ("color-contrast", "serious", 1) in serious_violations(page)
