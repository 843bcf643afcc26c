"""Published tables: the only tables the web tier may read.

Every row has passed the disclosure-control module. The columns follow the tidy long format that
`python -m metrics.publish --export DIR` writes as CSV (docs/published-tables.md):
table, measure, locality, period, breakdown, category, statistic, kind, value, symbol, numerator, denominator.

Column types and lengths are not written here: they derive from the published vocabulary
(data_access/published_catalogue.py), so every declared value fits on every database, and
`check_publication` refuses undeclared values before anything is written.

They are kept apart from the linked (personal) data: on SQLite in their own database file, on
PostgreSQL in their own schema (or database) that a read-only dashboard role may SELECT and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text

from data_access.published_catalogue import (
    COLUMN_VOCABULARY,
    FACT_VOCABULARY,
    UndeclaredValueError,
    text_length,
    vocabulary_problems,
)

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
REQUIRED_COLUMNS = frozenset({"table", "measure", "locality", "period", "breakdown", "category", "statistic", "kind"})


def _text(vocabulary: tuple[str, ...] | None) -> String:
    """VARCHAR(longest declared value) for a closed vocabulary, TEXT for an open one."""
    length = text_length(vocabulary)
    return Text() if length is None else String(length)


published_statistic = Table(
    "published_statistic",
    published_metadata,
    Column("row_id", Integer, primary_key=True, autoincrement=False),
    *(Column(name, Float) if name == "value" else
      Column(name, _text(COLUMN_VOCABULARY[name]), nullable=name not in REQUIRED_COLUMNS)
      for name in PUBLISHED_COLUMNS),
)

publication_info = Table(
    "publication_info",
    published_metadata,
    Column("key", _text(FACT_VOCABULARY["key"]), primary_key=True),
    Column("value", _text(FACT_VOCABULARY["value"]), nullable=False),
)


def publication_problems(published: pl.DataFrame | pl.LazyFrame, facts: Mapping[str, str] | None = None) -> list[str]:
    """Every value of a publication (or of any frame with some of its columns) that the catalogue does not declare.

    Reads only distinct values, so it is cheap on a whole publication; columns the frame lacks are skipped.
    """
    frame = published.lazy()
    columns = [name for name in frame.collect_schema().names() if COLUMN_VOCABULARY.get(name) is not None]
    distinct = {name: frame.select(pl.col(name).unique()).collect().to_series().to_list() for name in columns}
    combinations = []
    if {"table", "statistic", "kind"} <= set(frame.collect_schema().names()):
        combinations = frame.select("table", "statistic", "kind").unique().collect().rows()
    symbols_by_kind = []
    if {"kind", "symbol"} <= set(frame.collect_schema().names()):
        symbols_by_kind = frame.select("kind", "symbol").unique().collect().rows()
    problems = vocabulary_problems(distinct, combinations, symbols_by_kind)
    if facts is not None:
        problems += [f"publication_info {problem}" for problem in vocabulary_problems({"key": list(facts)},
                                                                                        vocabulary=FACT_VOCABULARY)]
    return problems


def check_publication(published: pl.DataFrame | pl.LazyFrame, facts: Mapping[str, str] | None = None) -> None:
    """Raise UndeclaredValueError naming every undeclared value (before anything is written)."""
    problems = publication_problems(published, facts)
    if problems:
        raise UndeclaredValueError(problems)


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
