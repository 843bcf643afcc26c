"""The web tier's only door to data: cached reads of the published tables, and role checks.

Caching lives here, next to the pages, not in the domain code. Caches are bounded.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from data_access.access import web_tier_engine
from data_access.config import Role, load_roles
from data_access.published_reads import read_publication_info, read_published, read_revisions

CACHE_ENTRIES = 64
CACHE_SECONDS = 600


@st.cache_resource(max_entries=1)
def _published_engine():
    # Read-only, published tables only; refuses a connection that could reach personal data (data_access.access).
    return web_tier_engine()


@st.cache_data(max_entries=CACHE_ENTRIES, ttl=CACHE_SECONDS, show_spinner=False)
def published_table(table: str, measure: str | None = None) -> pl.DataFrame:
    return read_published(_published_engine(), table, measure)


@st.cache_data(max_entries=4, ttl=CACHE_SECONDS, show_spinner=False)
def publication_info() -> dict[str, str]:
    return read_publication_info(_published_engine())


@st.cache_data(max_entries=2, ttl=CACHE_SECONDS, show_spinner=False)
def published_revisions() -> pl.DataFrame:
    """The "What changed" table: figures revised since the previous edition (metrics.disclosure.revisions)."""
    return read_revisions(_published_engine())


def current_role() -> Role:
    """The role chosen in the sidebar (kept in the URL as ?role=...)."""
    return load_roles().resolve(st.query_params.get("role"))


def require_page(page_id: str) -> Role:
    """Stop the page unless the current role may see it (the menu hiding it is not enough)."""
    role = current_role()
    if page_id not in role.pages:
        st.error(f"The {role.label} role cannot open this page. Choose another role in the sidebar.")
        st.stop()
    return role
