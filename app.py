"""Dorset Families Matter: outcomes and impact dashboard. A thin router; pages live in pages/.

Every declared URL (/, /overview, /measures, ...) is known to st.navigation whatever the role, so each opens its
page or says plainly why it cannot; the menu is drawn by pages/_navigation.py so that links keep the role and the
selections. Who the visitor is and what they may see: pages/_access.py (docs/sign-in.md).
"""

from __future__ import annotations

# pandas is imported here, before any page runs: plotly looks pandas up in sys.modules without importing it, so a page
# drawing a chart while another session's first run was still importing pandas got a half-initialised module and
# raised (found by benchmarks/load_test.py). An import statement waits until the module is complete.
import os

import pandas  # noqa: F401
import streamlit as st

from pages._access import current_visitor, gate, record_sign_in, role_catalogue
from pages._navigation import (
    PRODUCT,
    browser_title,
    declared_pages,
    draw_page_links,
    mark_routed_through_app,
    page_id_of,
    page_links_fragment,
)
from pages._published import require_safe_process

# Set to 1 by the fragment tests only: the sidebar then counts this session's full runs of app.py. (A comment, not a
# docstring: Streamlit would draw a bare string in the main script on every page.)
RUN_COUNT_VARIABLE = "FAMILIES_SHOW_RUN_COUNT"
RUN_COUNT_KEY = "_full_runs"

pages = declared_pages()
navigation = st.navigation(list(pages.values()), position="hidden")
page_id = page_id_of(navigation)
st.set_page_config(page_title=browser_title(page_id), page_icon="🏡", layout="wide")
require_safe_process()  # no page is served by a process that holds credentials for personal data

visitor = current_visitor()
if visitor.mode == "demo":
    roles = role_catalogue()
    role_ids = [role.id for role in roles.roles]
    chosen = st.sidebar.selectbox(
        "Viewing as (demo)", role_ids, index=role_ids.index(visitor.role.id),
        format_func=lambda role_id: roles.by_id(role_id).label,
        help="Demo only, on synthetic data: with sign-in configured the role comes from your account.",
    )
    if chosen != st.query_params.get("role"):
        st.query_params["role"] = chosen
        visitor = current_visitor()
    st.sidebar.caption(visitor.role.description)
elif visitor.mode == "sign_in" and visitor.signed_in:
    if "role" in st.query_params:
        del st.query_params["role"]  # the role comes from the identity: a ?role= in the URL means nothing
    record_sign_in(visitor)
    st.sidebar.markdown(f"**{PRODUCT}**")
    st.sidebar.caption(f"Signed in as {visitor.who}" + (f" · {visitor.role.label}" if visitor.role else ""))
    st.sidebar.button("Sign out", on_click=st.logout, key="sign-out")

menu = st.sidebar.empty() if visitor.role is not None else None  # no sidebar at all on the sign-in page
if menu is not None:
    draw_page_links(menu, visitor.role, visitor.demo_role)  # drawn first: a page that stops keeps its menu
if gate(page_id) is None:
    st.stop()
mark_routed_through_app()
if os.environ.get(RUN_COUNT_VARIABLE) == "1":  # test-only: a fragment's rerun must not run this script again
    st.session_state[RUN_COUNT_KEY] = st.session_state.get(RUN_COUNT_KEY, 0) + 1
    st.sidebar.caption(f"Full runs: {st.session_state[RUN_COUNT_KEY]}")
navigation.run()
if menu is not None:  # again, now that the page chose its selections, as a fragment its pickers rerun with theirs
    menu.empty()
    with st.sidebar:
        page_links_fragment(visitor.role, visitor.demo_role)
