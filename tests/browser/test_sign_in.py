"""A real sign-in: the app with [auth] in its secrets, a local OpenID provider, headless Chromium.

The provider (oidc-provider-mock, in this test process on 127.0.0.1) knows four people: one per role, through the
"roles" claim that config/roles.toml maps, and one whose claims map to no role. Nothing here fakes Streamlit's side:
the browser follows the real redirects, Streamlit exchanges the code for an ID token and sets its signed cookie.
The browser may reach loopback addresses only (the provider's pages link a stylesheet on a CDN: refused).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from data_access.config import load_roles
from tests.browser import harness
from tests.browser.oidc import keep_on_loopback, openid_provider, write_auth_secrets

pytestmark = pytest.mark.browser

PATHS = {"": "overview", "overview": "overview", "measures": "measures", "localities": "localities",
         "impact": "impact", "methodology": "methodology", "disclosure": "disclosure"}
HEADINGS = {"overview": "Overview", "measures": "Measures", "localities": "Localities",
            "impact": "Impact: the difference we make", "methodology": "Methodology and privacy",
            "disclosure": "Disclosure control"}
MENU_TITLES = {"overview": "Overview", "measures": "Measures", "localities": "Localities", "impact": "Impact",
               "methodology": "Methodology & privacy", "disclosure": "Disclosure control"}
USERS = {
    "sam": {"email": "sam.manager@example.org", "name": "Sam Manager", "roles": ["DFM.ServiceManager"]},
    "cleo": {"email": "cleo.commissioner@example.org", "name": "Cleo Commissioner", "roles": ["DFM.Commissioner"]},
    "ana": {"email": "ana.analyst@example.org", "name": "Ana Analyst", "roles": ["Intranet.User", "DFM.Analyst"]},
    "nora": {"email": "nora@example.org", "name": "Nora Nobody", "roles": ["Intranet.User"]},
}
ROLE_OF = {"sam": "service_manager", "cleo": "commissioner", "ana": "analyst"}
DATA_TEST_IDS = ("stPlotlyChart", "stDataFrame", "stTable", "stMetric", "stDownloadButton")


@dataclass(frozen=True)
class SignInApp:
    base_url: str
    provider_url: str
    access_log: Path

    def log_lines(self) -> list[dict]:
        if not self.access_log.exists():
            return []
        return [json.loads(line) for line in self.access_log.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def sign_in_app(demo_database_env: dict[str, str], chromium_path: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignInApp]:
    folder = tmp_path_factory.mktemp("sign-in")
    with openid_provider(USERS) as provider_url:
        secrets = write_auth_secrets(folder, provider_url)
        env = {**demo_database_env, "FAMILIES_ACCESS_LOG_DIR": str(folder / "access-log")}
        process, base_url = harness.start_streamlit(harness.PROJECT_ROOT / "app.py", env, folder / "server.log",
                                                    ("--secrets.files", str(secrets)))
        try:
            yield SignInApp(base_url, provider_url, folder / "access-log" / "access.jsonl")
        finally:
            harness.stop_process_group(process)


@pytest.fixture
def browser_page(page):
    keep_on_loopback(page.context)
    return page


def open_and_wait(page, url: str) -> None:
    page.goto(url)
    harness.wait_for_streamlit_page(page)


def assert_no_data(page, where: str) -> None:
    for test_id in DATA_TEST_IDS:
        assert page.get_by_test_id(test_id).count() == 0, f"{where}: a {test_id} is shown"
    assert page.get_by_test_id("stPageLink").count() == 0, f"{where}: the menu is shown"
    assert page.get_by_text("Synthetic data: every family").count() == 0, f"{where}: a page's banner is shown"


def sign_in(page, app: SignInApp, subject: str) -> None:
    open_and_wait(page, app.base_url)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(app.provider_url) + r"/oauth2/authorize.*"))
    page.get_by_role("button", name=subject, exact=True).click()
    page.wait_for_url(re.compile(re.escape(app.base_url) + r"/.*"))
    harness.wait_for_streamlit_page(page)


def sign_out(page, app: SignInApp) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(re.escape(app.provider_url) + r"/oauth2/end_session.*"))
    page.get_by_role("button", name="End session").click()  # the provider asks before it ends its session
    page.wait_for_url(re.compile(re.escape(app.base_url) + r"/.*"))
    harness.wait_for_streamlit_page(page)


def menu_titles(page) -> list[str]:
    """The menu's link labels (a material icon's name comes first in a link's text: dropped)."""
    return [text.strip().splitlines()[-1].strip() for text in page.get_by_test_id("stPageLink").all_inner_texts()]


@pytest.mark.slow
def test_nobody_signed_in_sees_only_the_sign_in_page(browser_page, sign_in_app: SignInApp):
    role_values = [None, *(role.id for role in load_roles().roles), "administrator"]
    for path in PATHS:
        for role in role_values:
            url = f"{sign_in_app.base_url}/{path}" + (f"?role={role}" if role else "")
            open_and_wait(browser_page, url)
            assert browser_page.get_by_role("button", name="Sign in").is_visible(), url
            assert browser_page.get_by_role("heading", name="Dorset Families Matter").is_visible(), url
            assert browser_page.get_by_text("Data: synthetic").is_visible(), url
            assert_no_data(browser_page, url)
    assert not [line for line in sign_in_app.log_lines() if line["event"] in ("view", "download")]


@pytest.mark.slow
@pytest.mark.parametrize("subject", list(ROLE_OF))
def test_each_role_sees_exactly_its_pages(browser_page, sign_in_app: SignInApp, subject: str):
    role = load_roles().by_id(ROLE_OF[subject])
    email = USERS[subject]["email"]
    sign_in(browser_page, sign_in_app, subject)
    sidebar = browser_page.get_by_test_id("stSidebar")
    assert f"Signed in as {email} · {role.label}" in sidebar.inner_text()
    assert menu_titles(browser_page) == [MENU_TITLES[p] for p in MENU_TITLES if p in role.pages]

    for path, page_id in PATHS.items():
        # ?role= names another role (the analyst's, or the commissioner's for the analyst): it must change nothing.
        other = "commissioner" if role.id == "analyst" else "analyst"
        url = f"{sign_in_app.base_url}/{path}?role={other}"
        open_and_wait(browser_page, url)
        assert f"· {role.label}" in browser_page.get_by_test_id("stSidebar").inner_text(), url
        assert "role=" not in browser_page.url, f"{url}: ?role= was left in the address"
        if page_id in role.pages:
            assert browser_page.get_by_role("heading", name=HEADINGS[page_id]).first.is_visible(), url
            assert browser_page.title() == f"{MENU_TITLES[page_id]} · Dorset Families Matter", url
        else:
            notice = browser_page.get_by_text(f"The {role.label} role cannot open this page")
            assert notice.is_visible(), url
            for test_id in DATA_TEST_IDS:
                assert browser_page.get_by_test_id(test_id).count() == 0, f"{url}: a {test_id} is shown"

    lines = [line for line in sign_in_app.log_lines() if line["who"] == email]
    assert any(line["event"] == "sign_in" and line["role"] == role.id for line in lines)
    viewed = {line["page"] for line in lines if line["event"] == "view"}
    refused = {line["page"] for line in lines if line["event"] == "refused"}
    assert viewed == set(role.pages)
    assert refused == set(PATHS.values()) - set(role.pages)
    assert all(line["role"] == role.id for line in lines), "every line names the role the identity gives"

    sign_out(browser_page, sign_in_app)
    assert browser_page.get_by_role("button", name="Sign in").is_visible()
    open_and_wait(browser_page, f"{sign_in_app.base_url}/overview")
    assert browser_page.get_by_role("button", name="Sign in").is_visible()
    assert_no_data(browser_page, "after signing out")


def test_a_person_without_a_role_gets_no_access(browser_page, sign_in_app: SignInApp):
    sign_in(browser_page, sign_in_app, "nora")
    for path in PATHS:
        open_and_wait(browser_page, f"{sign_in_app.base_url}/{path}?role=analyst")
        assert browser_page.get_by_role("heading", name="No access").is_visible(), path
        assert_no_data(browser_page, path)
    lines = [line for line in sign_in_app.log_lines() if line["who"] == USERS["nora"]["email"]]
    assert lines and all(line["role"] is None for line in lines)
    assert {line["event"] for line in lines} == {"sign_in", "refused"}
    sign_out(browser_page, sign_in_app)


def test_a_download_is_logged_with_its_file_name(browser_page, sign_in_app: SignInApp):
    sign_in(browser_page, sign_in_app, "cleo")
    open_and_wait(browser_page, f"{sign_in_app.base_url}/overview")
    browser_page.get_by_role("tab", name="Table").first.click()
    with browser_page.expect_download() as download:
        browser_page.get_by_test_id("stDownloadButton").first.get_by_role("button").click()
    file_name = download.value.suggested_filename
    assert file_name.endswith(".csv")
    harness.wait_for_streamlit_page(browser_page)
    downloads = [line for line in sign_in_app.log_lines()
                 if line["event"] == "download" and line["who"] == USERS["cleo"]["email"]]
    assert [(line["page"], line["role"], line["detail"]["file"]) for line in downloads] == [
        ("overview", "commissioner", file_name)]
