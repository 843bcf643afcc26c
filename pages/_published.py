"""The web tier's only door to data: cached reads of the published tables, and role checks.

Caching lives here, next to the pages, not in the domain code. Caches are bounded. Before any page draws,
`require_safe_process` refuses to serve, with a plain message and no traceback, when this process holds credentials
that could read personal data (data_access.web_environment) or its connection could reach more than the published
tables (data_access.access).
"""

from __future__ import annotations

import os

import polars as pl
import streamlit as st

from data_access.access import SeparationError, web_tier_engine
from data_access.config import Role, load_roles
from data_access.published_reads import read_publication_info, read_published
from data_access.web_environment import web_process_problems

CACHE_ENTRIES = 64
CACHE_SECONDS = 600


@st.cache_resource(max_entries=1)
def _published_engine():
    # Read-only, published tables only; refuses a connection that could reach personal data (data_access.access).
    return web_tier_engine()


def require_safe_process() -> None:
    """Stop the run, with a plain message, unless this process may serve (checked on every run: it is cheap)."""
    secrets = st.secrets.to_dict() if st.secrets.load_if_toml_exists() else {}
    problems = web_process_problems(os.environ, secrets)
    if problems:
        listed = "\n".join(f"- {problem}" for problem in problems)
        st.error("The dashboard will not start: its process holds credentials that could read personal data.\n\n"
                 f"{listed}\n\nStart it with `make run` (scripts/run.sh), which gives it the published tables' URL "
                 "only (docs/privacy-architecture.md).")
        st.stop()
    try:
        _published_engine()
    except (SeparationError, FileNotFoundError) as error:
        st.error(f"The dashboard cannot open the published tables.\n\n{error}")
        st.stop()
    except Exception as error:  # a database that cannot be reached: its message could quote the URL's password
        st.error(f"The dashboard cannot connect to the published tables ({type(error).__name__}). The server log "
                 "has no more detail: run `python -m data_access.access check` with the same environment.")
        st.stop()


@st.cache_data(max_entries=CACHE_ENTRIES, ttl=CACHE_SECONDS, show_spinner=False)
def published_table(table: str, measure: str | None = None) -> pl.DataFrame:
    return read_published(_published_engine(), table, measure)


@st.cache_data(max_entries=4, ttl=CACHE_SECONDS, show_spinner=False)
def publication_info() -> dict[str, str]:
    return read_publication_info(_published_engine())


def current_role() -> Role:
    """The role chosen in the sidebar (kept in the URL as ?role=...)."""
    return load_roles().resolve(st.query_params.get("role"))


def require_page(page_id: str) -> Role:
    """Stop the page unless this process may serve and the current role may see it (the menu hiding it is not
    enough)."""
    require_safe_process()
    role = current_role()
    if page_id not in role.pages:
        st.error(f"The {role.label} role cannot open this page. Choose another role in the sidebar.")
        st.stop()
    return role
