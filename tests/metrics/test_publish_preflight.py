"""Publish checks it may write the published tables before it reads or computes anything (not after minutes)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from data_access.access import create_reader, drop_reader, reader_url
from data_access.engine import make_engine, published_db_url, sqlite_read_only_url
from metrics.publish import main, publish
from tests.shipped_config import SETTINGS


def _missing_linked_database(url: str) -> str:
    """A linked URL that cannot be opened: if publish touched it first, the error would be about it."""
    return make_url(url).set(database=f"no_such_database_{uuid.uuid4().hex[:8]}").render_as_string(
        hide_password=False)


@pytest.mark.postgres
def test_publishing_as_the_reader_stops_before_reading_the_linked_data(pg_url: str, capsys):
    role = f"reader_{uuid.uuid4().hex[:12]}"
    owner = make_engine(pg_url)
    try:
        assert create_reader(owner, role).problems == []
        with pytest.raises(PermissionError, match=f"role {role}'s sessions are read-only.*may not create tables"):
            publish(_missing_linked_database(pg_url), reader_url(pg_url, role), settings=SETTINGS)
        assert main(["--db", _missing_linked_database(pg_url), "--published-db", reader_url(pg_url, role)]) == 1
        assert "cannot write the published tables" in capsys.readouterr().err
    finally:
        drop_reader(owner, role)
        owner.dispose()


@pytest.mark.postgres
def test_publishing_over_tables_another_role_owns_is_refused_up_front(pg_url: str):
    role = f"other_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
            connection.exec_driver_sql("CREATE SCHEMA published")
            connection.exec_driver_sql("CREATE TABLE published.published_statistic (x integer)")
            connection.exec_driver_sql(f'GRANT CREATE, USAGE ON SCHEMA published TO "{role}"')
        with pytest.raises(PermissionError, match="does not own the published tables it must replace: "
                                                  "published_statistic"):
            publish(_missing_linked_database(pg_url), reader_url(pg_url, role), settings=SETTINGS)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
            connection.exec_driver_sql(f'DROP ROLE "{role}"')
        admin.dispose()


def test_publishing_into_a_read_only_sqlite_url_is_refused_up_front(sqlite_url: str):
    target = published_db_url(sqlite_url)
    make_engine(target, published=True).dispose()
    with pytest.raises(PermissionError, match="opened read-only"):
        publish(sqlite_url.replace("families.db", "missing/none.db"), sqlite_read_only_url(target), settings=SETTINGS)
