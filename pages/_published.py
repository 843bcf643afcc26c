"""The web tier's only door to data: cached reads of the published tables, the access log (append only), and
role checks.

Caching lives here, next to the pages, not in the domain code. The caches are plain, bounded, time-limited
module-level caches (cachetools), deliberately not st.cache_data / st.cache_resource: Streamlit clears those for
every user when any browser sends a `clear_cache` message over its websocket, and no setting turns that off, so
one visitor could otherwise make the dashboard slow for everyone (docs/sign-in.md; proved by
tests/browser/test_visitors_cannot_act.py).
"""

from __future__ import annotations

import threading

import polars as pl
from cachetools import TTLCache, cached
from cachetools.keys import hashkey
from sqlalchemy import Engine

from data_access.access import web_tier_engine, web_tier_url
from data_access.access_log import AccessEvent, AccessLogError, web_tier_access_log  # noqa: F401 - re-exported
from data_access.config import Role
from data_access.published_reads import read_publication_info, read_published

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
    return read_published(_published_engine(url), table, measure)


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


def cache_sizes() -> dict[str, int]:
    """How many entries each shared cache holds (tests/pages/test_published_cache.py)."""
    return {"tables": len(_tables), "publication_info": len(_info)}


def current_role() -> Role | None:
    """The role of whoever this session belongs to (signed in, or the demo's picker); None: no access."""
    from pages._access import current_visitor

    return current_visitor().role


def require_page(page_id: str) -> Role:
    """Stop the page unless the current visitor may see it (the menu hiding it is not enough)."""
    from pages._access import require_page as check

    return check(page_id)
