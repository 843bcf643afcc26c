"""Whole PostgreSQL databases on a server, made and dropped (for the scaling benchmark, benchmarks/bench_scale.py,
which gives each size a database of its own)."""

from __future__ import annotations

import re

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _checked(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not a plain database name (lower-case letters, digits, _): {name!r}")
    return name


def create_database(server_url: str, name: str) -> str:
    """Make an empty database `name` on the server (dropping one of that name first); its URL, as the same role."""
    name = _checked(name)
    drop_database(server_url, name)
    _run_on_server(server_url, f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    """Drop database `name` if it exists, closing its connections."""
    _run_on_server(server_url, f'DROP DATABASE IF EXISTS "{_checked(name)}" WITH (FORCE)')


def _run_on_server(server_url: str, statement: str) -> None:
    """One statement outside a transaction (CREATE and DROP DATABASE cannot run inside one)."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()
