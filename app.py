"""Dorset Families Matter: outcomes and impact dashboard. A thin router; pages live in pages/."""

from __future__ import annotations

import streamlit as st

from data_access.config import load_roles
from pages._published import require_safe_process

st.set_page_config(page_title="Dorset Families Matter: outcomes", page_icon="🏡", layout="wide")
require_safe_process()  # no page is served by a process that holds credentials for personal data

PAGES = {
    "overview": st.Page("pages/overview.py", title="Overview", icon=":material/home:", url_path="overview",
                        default=True),
    "measures": st.Page("pages/measures.py", title="Measures", icon=":material/monitoring:", url_path="measures"),
    "localities": st.Page("pages/localities.py", title="Localities", icon=":material/map:", url_path="localities"),
    "impact": st.Page("pages/impact.py", title="Impact", icon=":material/compare_arrows:", url_path="impact"),
    "methodology": st.Page("pages/methodology.py", title="Methodology & privacy", icon=":material/info:",
                           url_path="methodology"),
    "disclosure": st.Page("pages/disclosure.py", title="Disclosure control", icon=":material/shield:",
                          url_path="disclosure"),
}

roles = load_roles()
role_ids = [role.id for role in roles.roles]
current = roles.resolve(st.query_params.get("role"))
chosen = st.sidebar.selectbox(
    "Viewing as", role_ids, index=role_ids.index(current.id), format_func=lambda role_id: roles.by_id(role_id).label,
    help="Demo only: sign-in will set the role. The role decides which pages and breakdowns you see.",
)
if chosen != st.query_params.get("role"):
    st.query_params["role"] = chosen
role = roles.by_id(chosen)
st.sidebar.caption(role.description)

navigation = st.navigation([page for page_id, page in PAGES.items() if page_id in role.pages])
navigation.run()
