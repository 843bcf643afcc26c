"""Navigation that keeps your place, in headless Chromium on the real app (the demo, roles from ?role=).

- The menu's links carry the role and the selections that apply across pages, including one just changed with a
  widget, and a page that cannot use a carried value (the Impact page's outcome is a measure) does not lose it for
  the pages that can.
- Every declared path opens its page under its own browser title, "/overview" included ("Page not found" before).
- On a freshly started server the first request, a deep link, is routed through app.py (a pages/ folder otherwise
  makes Streamlit run the page script alone): the page opens, a page outside the role says so, and with sign-in
  configured the sign-in page shows.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser import harness
from tests.browser.oidc import keep_on_loopback, write_auth_secrets

pytestmark = pytest.mark.browser

TITLES = {"": "Overview", "overview": "Overview", "measures": "Measures", "localities": "Localities",
          "impact": "Impact", "methodology": "Methodology & privacy", "disclosure": "Disclosure control"}
HEADINGS = {"": "Overview", "overview": "Overview", "measures": "Measures", "localities": "Localities",
            "impact": "Impact: the difference we make", "methodology": "Methodology and privacy",
            "disclosure": "Disclosure control"}


def query(page) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(page.url).query).items()}


def follow_menu_link(page, title: str) -> None:
    page.get_by_test_id("stSidebar").get_by_test_id("stPageLink").filter(has_text=title).first.click()
    page.wait_for_url(lambda url: urlsplit(url).path.strip("/") == title.lower().split()[0])
    harness.wait_for_streamlit_page(page)


def selectbox_value(page, label: str) -> str:
    box = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True)).first
    return box.locator("input").input_value() or box.inner_text().splitlines()[-1]


def choose(page, label: str, option: str) -> None:
    box = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True)).first
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    harness.wait_for_streamlit_page(page)


def test_links_keep_the_role_and_the_selections(page, streamlit_server: str):
    page.goto(f"{streamlit_server}/localities?role=commissioner&locality=Purbeck&year=2024/25"
              "&outcome=sustained_percent&measure=M03")
    harness.wait_for_streamlit_page(page)
    assert "Purbeck" in selectbox_value(page, "Locality")

    follow_menu_link(page, "Measures")
    assert query(page).items() >= {"role": "commissioner", "year": "2024/25", "outcome": "sustained_percent",
                                   "measure": "M03", "locality": "Purbeck"}.items()
    assert "2024/25" in selectbox_value(page, "Financial year support began")
    assert "Commissioner" in selectbox_value(page, "Viewing as (demo)")

    choose(page, "Financial year support began", "2023/24")  # a choice made just now, with a widget
    # The choice reruns its fragment and the menu, not the page: wait until the links carry it, as a person would.
    expect(page.get_by_test_id("stSidebar").get_by_test_id("stPageLink").filter(has_text="Localities").first
           .locator("a")).to_have_attribute("href", re.compile(r"year=2023%2F24"))
    follow_menu_link(page, "Localities")
    assert query(page)["year"] == "2023/24" and query(page)["locality"] == "Purbeck"
    assert "2023/24" in selectbox_value(page, "Financial year support began")

    follow_menu_link(page, "Impact")  # its "outcome" is a measure: sustained_percent means nothing there
    assert query(page)["role"] == "commissioner"
    follow_menu_link(page, "Measures")
    assert query(page)["outcome"] == "sustained_percent", "the Measures page got its own outcome back"
    assert query(page)["year"] == "2023/24"


def test_every_declared_path_opens_its_page_under_its_own_title(page, streamlit_server: str):
    for path, title in TITLES.items():
        page.goto(f"{streamlit_server}/{path}?role=analyst")
        harness.wait_for_streamlit_page(page)
        assert page.get_by_role("heading", name=HEADINGS[path]).first.is_visible(), path
        assert page.title() == f"{title} · Dorset Families Matter", path
        assert page.get_by_text("Page not found").count() == 0, path


FRESH = [
    ("measures?role=commissioner&year=2024/25", "Measures", None),
    ("disclosure?role=analyst", "Disclosure control", None),
    ("disclosure?role=commissioner", "Not available for your role", "The Commissioner role cannot open this page"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("path", "heading", "notice"), FRESH)
def test_a_deep_link_is_the_first_request_to_a_fresh_server(page, demo_database_env: dict[str, str],
                                                            tmp_path: Path, path: str, heading: str,
                                                            notice: str | None):
    process, base_url = harness.start_streamlit(harness.PROJECT_ROOT / "app.py", demo_database_env,
                                                tmp_path / "server.log")
    try:
        page.goto(f"{base_url}/{path}")
        # The first run after a start runs the page straight from pages/ and asks for a rerun through app.py
        # (pages._navigation.ensure_routed_through_app): the harness's wait can pass in the moment between the two
        # runs, so wait for the heading itself, then for the rerun to be drawn.
        page.get_by_role("heading", name=heading).first.wait_for(state="visible", timeout=60_000)
        harness.wait_for_streamlit_page(page)
        assert page.get_by_role("heading", name=heading).first.is_visible()
        assert page.get_by_test_id("stPageLink").count() >= 5, "app.py ran: its menu is there"
        if notice:
            assert page.get_by_text(notice).is_visible()
            assert page.get_by_test_id("stPlotlyChart").count() == 0
        else:
            assert page.title().startswith(heading)
    finally:
        harness.stop_process_group(process)


@pytest.mark.slow
def test_a_deep_link_to_a_fresh_server_with_sign_in_shows_the_sign_in_page(page, demo_database_env: dict[str, str],
                                                                            tmp_path: Path):
    keep_on_loopback(page.context)
    secrets = write_auth_secrets(tmp_path, "http://127.0.0.1:9/unused")  # never reached: nobody signs in
    process, base_url = harness.start_streamlit(harness.PROJECT_ROOT / "app.py", demo_database_env,
                                                tmp_path / "server.log", ("--secrets.files", str(secrets)))
    try:
        page.goto(f"{base_url}/disclosure?role=analyst")
        # As above: the first run after a start reruns through app.py; wait for the page itself, not only the wait.
        page.get_by_role("button", name="Sign in").wait_for(state="visible", timeout=60_000)
        harness.wait_for_streamlit_page(page)
        assert page.get_by_role("button", name="Sign in").is_visible()
        for test_id in ("stPlotlyChart", "stDataFrame", "stMetric", "stDownloadButton", "stPageLink"):
            assert page.get_by_test_id(test_id).count() == 0, test_id
    finally:
        harness.stop_process_group(process)
