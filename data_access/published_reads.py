"""Reads of the published tables: the only data the web tier ever sees.

These functions take the published engine (a separate SQLite file, or the "published" schema on
PostgreSQL, read by a role that can only SELECT it), so even a wrongly written page cannot reach
personal data through them.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import Engine, inspect, select

from data_access.bulk import polars_schema, read_frame
from data_access.published_schema import (
    PUBLISHED_COLUMNS,
    REVISION_COLUMNS,
    publication_info,
    published_revision,
    published_statistic,
)


def read_published(engine: Engine, table: str, measure: str | None = None) -> pl.DataFrame:
    """Published rows of one table (optionally one measure), in the tidy long format."""
    columns = [published_statistic.c[name] for name in PUBLISHED_COLUMNS]
    statement = select(*columns).where(published_statistic.c.table == table)
    if measure is not None:
        statement = statement.where(published_statistic.c.measure == measure)
    with engine.connect() as connection:
        return read_frame(connection, statement.order_by(published_statistic.c.row_id))


def read_all_published(engine: Engine) -> pl.DataFrame:
    """Every published row in publication order (the audit, editions and the published digest read them whole)."""
    columns = [published_statistic.c[name] for name in PUBLISHED_COLUMNS]
    with engine.connect() as connection:
        return read_frame(connection, select(*columns).order_by(published_statistic.c.row_id))


def read_publication_info(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        rows = read_frame(connection, select(publication_info))
    return dict(zip(rows["key"].to_list(), rows["value"].to_list(), strict=True))


def read_previous_publication(engine: Engine) -> tuple[pl.DataFrame, date] | None:
    """The rows now published and their data date, read before a refresh replaces them (None on the first run,
    or when the publication does not record its data date): the publish step carries decisions over."""
    with engine.connect() as connection:
        inspector = inspect(connection)
        schema = published_statistic.schema
        if connection.dialect.name == "postgresql":
            schema = (connection.get_execution_options().get("schema_translate_map") or {}).get(schema, schema)
        if not all(inspector.has_table(table.name, schema=schema) for table in (published_statistic,
                                                                                  publication_info)):
            return None
    facts = read_publication_info(engine)
    if "data_as_of" not in facts:
        return None
    return read_all_published(engine), date.fromisoformat(facts["data_as_of"])


def read_revisions(engine: Engine) -> pl.DataFrame:
    """The revisions of the current edition against the previous one (empty for a first edition, or a publication
    made before revisions were published)."""
    columns = [published_revision.c[name] for name in REVISION_COLUMNS]
    with engine.connect() as connection:
        schema = published_revision.schema
        if connection.dialect.name == "postgresql":
            schema = (connection.get_execution_options().get("schema_translate_map") or {}).get(schema, schema)
        if not inspect(connection).has_table(published_revision.name, schema=schema):
            return pl.DataFrame(schema=polars_schema([published_revision.c[name] for name in REVISION_COLUMNS]))
        return read_frame(connection, select(*columns).order_by(published_revision.c.row_id))
