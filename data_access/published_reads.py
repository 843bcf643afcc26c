"""Reads of the published tables: the only data the web tier ever sees.

These functions take the published engine (a separate SQLite file, or the "published" schema on
PostgreSQL, read by a role that can only SELECT it), so even a wrongly written page cannot reach
personal data through them.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine, select

from data_access.bulk import read_frame
from data_access.published_schema import PUBLISHED_COLUMNS, publication_info, published_statistic


def read_published(engine: Engine, table: str, measure: str | None = None) -> pl.DataFrame:
    """Published rows of one table (optionally one measure), in the tidy long format."""
    columns = [published_statistic.c[name] for name in PUBLISHED_COLUMNS]
    statement = select(*columns).where(published_statistic.c.table == table)
    if measure is not None:
        statement = statement.where(published_statistic.c.measure == measure)
    with engine.connect() as connection:
        return read_frame(connection, statement.order_by(published_statistic.c.row_id))


def read_publication_info(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        rows = read_frame(connection, select(publication_info))
    return dict(zip(rows["key"].to_list(), rows["value"].to_list(), strict=True))
