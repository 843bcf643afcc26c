"""What the web process may hold: the reader's URL, and no credential that could read personal data.

Why: anything in the web process's environment can be read from /proc/PID/environ, by a page gone wrong or by code
an attacker gets to run there. If the owner's URL (FAMILIES_DB_URL) were in it, the database's separation of roles
would protect nothing. scripts/run.sh therefore starts Streamlit with a clean environment holding the published
tables' URL only, and the app refuses to serve (pages/_published.py) when its environment or st.secrets hold
FAMILIES_DB_URL, any other database URL, or a libpq credential that every connection would use.

Only names are ever reported, never values: a URL carries a password.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

PUBLISHED_URL_VARIABLE = "FAMILIES_PUBLISHED_DB_URL"
LINKED_URL_VARIABLE = "FAMILIES_DB_URL"
LIBPQ_CREDENTIALS = ("PGPASSWORD", "PGPASSFILE", "PGSERVICE", "PGSERVICEFILE")
"""libpq reads these for every connection it makes: a password or a service file for any role."""

_DATABASE_URL = re.compile(
    r"^\s*(sqlite|postgres|postgresql|pgsql|mysql|mariadb|mssql|oracle|duckdb|cockroachdb|redshift|snowflake|"
    r"jdbc:[a-z0-9]+)(\+[\w.]+)?:", re.IGNORECASE)
_CONNINFO_KEYWORD = re.compile(r"\b(host|hostaddr|dbname|user|password|passfile|service)\s*=", re.IGNORECASE)


def looks_like_database_url(value: Any) -> bool:
    """A database URL (any SQLAlchemy-style scheme, JDBC) or a libpq keyword/value connection string."""
    if not isinstance(value, str):
        return False
    return bool(_DATABASE_URL.match(value)) or len(set(_CONNINFO_KEYWORD.findall(value.lower()))) >= 2


def web_process_problems(environ: Mapping[str, str], secrets: Mapping[str, Any] | None = None) -> list[str]:
    """Why this process may not serve the dashboard (empty when it may); names only, never values."""
    problems = []
    if environ.get(LINKED_URL_VARIABLE):
        problems.append(f"{LINKED_URL_VARIABLE} is set: it names the linked (personal) database with a role that can "
                        "read it. The web process needs FAMILIES_PUBLISHED_DB_URL only")
    others = sorted(name for name, value in environ.items()
                    if name not in (LINKED_URL_VARIABLE, PUBLISHED_URL_VARIABLE) and looks_like_database_url(value))
    if others:
        problems.append(f"environment variable(s) {', '.join(others)} hold a database URL")
    credentials = [name for name in LIBPQ_CREDENTIALS if environ.get(name)]
    if credentials:
        problems.append(f"{', '.join(credentials)} set: the database driver would use it for any role (put the "
                        "reader's password in FAMILIES_PUBLISHED_DB_URL instead)")
    in_secrets = sorted(path for path, value in _flatten(secrets or {}) if path != PUBLISHED_URL_VARIABLE and (
        looks_like_database_url(value) or path.rpartition(".")[2] == LINKED_URL_VARIABLE))
    if in_secrets:
        problems.append(f"st.secrets hold database URL(s) at {', '.join(in_secrets)} (only a top-level "
                        f"{PUBLISHED_URL_VARIABLE} may be there)")
    return problems


def _flatten(values: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{path}.")
        else:
            yield path, value
