"""Writing a publication: the published tables replaced in one transaction, so a reader sees one edition whole.

The publish step (metrics.publish) decides what is published; this module only writes it, after
check_publication has refused any value the published vocabulary does not declare.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine, text

from data_access.access import published_read_grants, restore_read_grants
from data_access.bulk import write_frame
from data_access.engine import PUBLISHED_SCHEMA
from data_access.published_schema import (
    PUBLISHED_COLUMNS,
    REVISION_COLUMNS,
    check_publication,
    publication_info,
    published_metadata,
    published_revision,
    published_statistic,
)


def write_publication(engine: Engine, published: pl.DataFrame, facts: dict[str, str],
                      revisions: pl.DataFrame | None = None) -> None:
    """Replace the published tables in one transaction (revisions: the "What changed" rows, if any), after checking
    every value is declared (nothing is written if one is not: data_access/published_catalogue.py)."""
    check_publication(published, facts)
    rows = published.select(PUBLISHED_COLUMNS).with_row_index("row_id").with_columns(pl.col("row_id").cast(pl.Int64))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{PUBLISHED_SCHEMA}"'))
        read_grants = published_read_grants(connection)  # PostgreSQL: the dashboard role keeps its SELECT
        published_metadata.drop_all(connection)
        published_metadata.create_all(connection)
        restore_read_grants(connection, read_grants)
        write_frame(connection, published_statistic, rows)
        write_frame(connection, publication_info,
                    pl.DataFrame({"key": list(facts), "value": list(facts.values())}))
        if revisions is not None and revisions.height:
            write_frame(connection, published_revision, revisions.select(REVISION_COLUMNS).with_row_index(
                "row_id").with_columns(pl.col("row_id").cast(pl.Int64)))
