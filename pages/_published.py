"""The web tier's only door to data: cached reads of the published tables, the access log (append only), and
role checks.

Caching lives here, next to the pages, not in the domain code. The caches are plain, bounded, time-limited
module-level caches (cachetools), deliberately not st.cache_data / st.cache_resource: Streamlit clears those for
every user when any browser sends a `clear_cache` message over its websocket, and no setting turns that off, so
one visitor could otherwise make the dashboard slow for everyone (docs/sign-in.md; proved by
tests/browser/test_visitors_cannot_act.py).

Before any page draws, `require_safe_process` refuses to serve, with a plain message and no traceback, when
this process holds credentials that could read personal data (data_access.web_environment) or its connection
could reach more than the published tables (data_access.access).
"""

from __future__ import annotations

import os
import threading

import polars as pl
import streamlit as st
from cachetools import TTLCache, cached
from cachetools.keys import hashkey
from sqlalchemy import Engine

from data_access.access import SeparationError, web_tier_engine, web_tier_url
from data_access.access_log import AccessEvent, AccessLogError, web_tier_access_log  # noqa: F401 - re-exported
from data_access.config import PublishSettings, Role, load_privacy_notice, load_publish_settings
from data_access.published_reads import read_publication_info, read_published, read_revisions
from data_access.web_environment import web_process_problems
from pages._shared import mark_stable

CACHE_ENTRIES = 64
CACHE_SECONDS = 600

_lock = threading.Lock()
_engines: dict[str, Engine] = {}  # by web-tier URL: one in production; tests may point one process at several
_logs: dict[str, object] = {}
# One cache per kind of read, each bounded in entries and age, keyed by the URL as well; a Condition lets one session
# compute a missing entry while the others wait for it, instead of all reading the same table at once.
_tables: TTLCache = TTLCache(maxsize=CACHE_ENTRIES, ttl=CACHE_SECONDS)
_info: TTLCache = TTLCache(maxsize=2, ttl=CACHE_SECONDS)


def _published_engine(url: str) -> Engine:
    # Read-only, published tables only; refuses a connection that could reach personal data (data_access.access).
    with _lock:
        if url not in _engines:
            for stale in _engines.values():
                stale.dispose()
            _engines.clear()
            _engines[url] = web_tier_engine(url)
        return _engines[url]


@cached(_tables, key=lambda url, table, measure: hashkey(url, table, measure), condition=threading.Condition())
def _published_table(url: str, table: str, measure: str | None) -> pl.DataFrame:
    return mark_stable(read_published(_published_engine(url), table, measure))  # shared, read-only (pages._shared)


def clear_published_caches() -> None:
    """Forget every table read, so the next run reads them again (tests that compare two runs start here: an entry
    that expired between the runs would be read again as a new frame, and the views made from it computed again)."""
    for cache in (_tables, _info, _published_revisions.cache):
        with _lock:
            cache.clear()


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
        _published_engine(web_tier_url())
    except (SeparationError, FileNotFoundError) as error:
        st.error(f"The dashboard cannot open the published tables.\n\n{error}")
        st.stop()
    except Exception as error:  # a database that cannot be reached: its message could quote the URL's password
        st.error(f"The dashboard cannot connect to the published tables ({type(error).__name__}). The server log "
                 "has no more detail: run `python -m data_access.access check` with the same environment.")
        st.stop()


def published_table(table: str, measure: str | None = None) -> pl.DataFrame:
    return _published_table(web_tier_url(), table, measure)


@cached(_info, condition=threading.Condition())
def _publication_info(url: str) -> dict[str, str]:
    return read_publication_info(_published_engine(url))


def publication_info() -> dict[str, str]:
    return dict(_publication_info(web_tier_url()))  # a copy: the cached dict is shared by every session


def append_access_event(who: str, role: str | None, event: str, page: str | None = None,
                        detail: dict[str, str] | None = None) -> None:
    """Append one line to the access log (insert-only on PostgreSQL); raises AccessLogError if it cannot."""
    url = web_tier_url()
    with _lock:
        if url not in _logs:
            _logs.clear()
            _logs[url] = web_tier_access_log(url)
        log = _logs[url]
    log.append(AccessEvent(who, role, event, page, dict(detail or {})))


@cached(TTLCache(maxsize=2, ttl=CACHE_SECONDS), condition=threading.Condition())
def _published_revisions(url: str) -> pl.DataFrame:
    return mark_stable(read_revisions(_published_engine(url)))


def published_revisions() -> pl.DataFrame:
    """The "What changed" table: figures revised since the previous edition (metrics.disclosure.revisions)."""
    return _published_revisions(web_tier_url())


def settings() -> PublishSettings:
    """The configuration the pages show (disclosure policy, area name, localities, measures, breakdowns): the web
    tier loads it here, at its edge, and nowhere else (data_access.config caches it)."""
    return load_publish_settings()


def privacy_notice() -> dict:
    """What the council's privacy notice says (config/privacy.toml), for the Methodology page."""
    return load_privacy_notice()


def cache_sizes() -> dict[str, int]:
    """How many entries each shared cache holds (tests/pages/test_published_cache.py)."""
    return {"tables": len(_tables), "publication_info": len(_info)}


def require_page(page_id: str) -> Role:
    """Stop the page unless the current visitor may see it (the menu hiding it is not enough)."""
    from pages._access import require_page as check

    require_safe_process()

    return check(page_id)
