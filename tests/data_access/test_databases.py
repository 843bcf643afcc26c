"""Whole databases made and dropped on a real PostgreSQL server (data_access/databases.py, for bench_scale)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, inspect, text

from data_access.databases import create_database, drop_database
from tests.conftest import _pg_server_url

pytestmark = pytest.mark.postgres


def _exists(server_url: str, name: str) -> bool:
    engine = create_engine(server_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                      {"name": name}).first() is not None
    finally:
        engine.dispose()


def test_a_database_is_made_empty_usable_and_dropped_even_while_connected() -> None:
    server_url = _pg_server_url()
    name = f"families_test_{uuid.uuid4().hex[:12]}"
    url = create_database(server_url, name)
    try:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE kept (x integer)"))
        assert inspect(engine).get_table_names() == ["kept"]
        url = create_database(server_url, name)  # made again: empty again
        assert inspect(create_engine(url)).get_table_names() == []
        held = create_engine(url).connect()  # an open connection does not stop the drop
        drop_database(server_url, name)
        held.invalidate()
        assert not _exists(server_url, name)
    finally:
        drop_database(server_url, name)


@pytest.mark.parametrize("name", ['x"; DROP DATABASE postgres; --', "Families", "", "a" * 64])
def test_only_plain_names_are_accepted(name: str) -> None:
    with pytest.raises(ValueError, match="not a plain database name"):
        create_database("postgresql+psycopg://nobody@127.0.0.1:1/postgres", name)
