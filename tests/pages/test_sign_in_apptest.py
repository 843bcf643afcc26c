"""Role checks with sign-in configured, in Streamlit's AppTest (st.user faked; tests/browser/test_sign_in.py does
the real sign-in). The app is given [auth] secrets; the role comes only from the identity's claims."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import APP, PAGE_FILES, page_text

AUTH = {"auth": {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x" * 32,
                 "client_id": "dashboard", "client_secret": "secret",
                 "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}}
DATA_ELEMENTS = ("plotly_chart", "dataframe", "metric", "download_button")


def run(user: dict, page_id: str, role_param: str | None = None) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.secrets = AUTH
    app.user = user
    if role_param:
        app.query_params["role"] = role_param
    app.switch_page(PAGE_FILES[page_id])
    app.run()
    assert not app.exception, [exception.value for exception in app.exception]
    return app


def shows_data(app: AppTest) -> bool:
    return any(len(app.get(kind)) for kind in DATA_ELEMENTS)


@pytest.mark.parametrize("page_id", list(PAGE_FILES))
def test_signed_out_sees_the_sign_in_page_only(app_env, page_id: str):
    app = run({"is_logged_in": False}, page_id, "analyst")
    assert [button.label for button in app.button] == ["Sign in"]
    assert not shows_data(app)
    assert "Synthetic data: every family" not in page_text(app)


def test_the_role_comes_from_the_claims_and_not_the_url(app_env):
    commissioner = {"is_logged_in": True, "email": "c@example.org", "roles": ["DFM.Commissioner"], "iat": 1}
    app = run(commissioner, "disclosure", "analyst")
    assert any("The Commissioner role cannot open this page" in str(w.value) for w in app.warning)
    assert not shows_data(app)
    assert "role" not in app.query_params, "?role= is removed once signed in"
    assert not [box for box in app.selectbox if "demo" in box.label], "no role picker with sign-in"

    analyst = {**commissioner, "roles": ["DFM.Analyst"]}
    app = run(analyst, "disclosure", "commissioner")
    assert "suppressed" in page_text(app).lower() and shows_data(app)


def test_a_person_with_no_role_gets_the_no_access_page(app_env):
    app = run({"is_logged_in": True, "email": "n@example.org", "roles": ["Intranet.User"]}, "overview", "analyst")
    assert [title.value for title in app.title] == ["No access"]
    assert not shows_data(app)


def test_without_auth_the_demo_role_picker_is_labelled(app_env):
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.query_params["role"] = "commissioner"
    app.switch_page(PAGE_FILES["overview"])
    app.run()
    picker = [box for box in app.selectbox if box.label == "Viewing as (demo)"]
    assert len(picker) == 1 and picker[0].value == "commissioner"
