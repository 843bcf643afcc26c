"""Published tables: the only tables the web tier may read.

Every row has passed the disclosure-control module. The columns follow the tidy long format that
`python -m metrics.publish --export DIR` writes as CSV (docs/published-tables.md):
table, measure, locality, period, breakdown, category, statistic, kind, value, symbol, numerator, denominator.

They are kept apart from the linked (personal) data: on SQLite in their own database file, on
PostgreSQL in their own schema that a read-only dashboard role may SELECT and nothing else.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, String, Table

published_metadata = MetaData()

PUBLISHED_COLUMNS = (
    "table",
    "measure",
    "locality",
    "period",
    "breakdown",
    "category",
    "statistic",
    "kind",
    "value",
    "symbol",
    "numerator",
    "denominator",
)

published_statistic = Table(
    "published_statistic",
    published_metadata,
    Column("row_id", Integer, primary_key=True, autoincrement=False),
    Column("table", String(48), nullable=False),
    Column("measure", String(16), nullable=False),
    Column("locality", String(64), nullable=False),
    Column("period", String(16), nullable=False),
    Column("breakdown", String(32), nullable=False),
    Column("category", String(96), nullable=False),
    Column("statistic", String(48), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("value", Float),
    Column("symbol", String(8)),
    Column("numerator", String(48)),
    Column("denominator", String(48)),
)

publication_info = Table(
    "publication_info",
    published_metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(2000), nullable=False),
)

# What changed since the previous edition (metrics.disclosure.revisions): one row per figure published in both whose
# value or symbol changed. Figure columns share published_statistic's declarations (one source of types).
REVISION_FIGURE_COLUMNS = ("table", "measure", "locality", "period", "breakdown", "category", "statistic", "kind")
REVISION_COLUMNS = ("edition", "previous_edition", *REVISION_FIGURE_COLUMNS, "previous_value", "previous_symbol",
                    "value", "symbol", "reason")

published_revision = Table(
    "published_revision",
    published_metadata,
    Column("row_id", Integer, primary_key=True, autoincrement=False),
    Column("edition", Integer, nullable=False),
    Column("previous_edition", Integer, nullable=False),
    *(Column(name, published_statistic.c[name].type, nullable=False) for name in REVISION_FIGURE_COLUMNS),
    Column("previous_value", Float),
    Column("previous_symbol", published_statistic.c["symbol"].type),
    Column("value", Float),
    Column("symbol", published_statistic.c["symbol"].type),
    Column("reason", String(24), nullable=False),
)
