"""Deleting rows together with every row that refers to them, in any table of the database (found by reflection).

Retention and erasure delete by a condition on one table; the rows of other tables whose foreign keys point at the
deleted rows must go first, whatever tables exist (a table added later is covered without code). Everything runs
inside the caller's transaction, and returns counts per table (never values).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import Column, Connection, MetaData, Table, delete, inspect, select, tuple_
from sqlalchemy.sql import ColumnElement, Select

from data_access.access_log import ACCESS_LOG_SCHEMA

CHUNK = 5000  # keys per IN (...) list: well inside SQLite's and PostgreSQL's limits on bound parameters
STAGED_PREFIX = "staged_"


def reflect(connection: Connection) -> MetaData:
    """Every table of the linked database's default schema (and the access log's schema, when it is there)."""
    tables = MetaData()
    tables.reflect(bind=connection)
    if connection.dialect.name == "postgresql" and ACCESS_LOG_SCHEMA in inspect(connection).get_schema_names():
        tables.reflect(bind=connection, schema=ACCESS_LOG_SCHEMA)
    return tables


def table_named(tables: MetaData, name: str, schema: str | None = None) -> Table | None:
    return tables.tables.get(f"{schema}.{name}" if schema else name)


def staged_tables(tables: MetaData) -> list[Table]:
    """The partner-data staging tables (staged_<source>) present in the database."""
    return [table for name, table in sorted(tables.tables.items())
            if name.startswith(STAGED_PREFIX) and "record_id" in table.c]


def delete_with_dependants(connection: Connection, tables: MetaData, table: Table, condition: ColumnElement[bool],
                           counts: dict[str, int], _seen: frozenset[str] = frozenset()) -> None:
    """Delete the rows of `table` meeting `condition`, and first every row that refers to them (recursively)."""
    for child in tables.sorted_tables:
        if child.fullname in _seen or child is table:
            continue
        for constraint in child.foreign_key_constraints:
            if constraint.referred_table is not table:
                continue
            local = [element.parent for element in constraint.elements]
            remote = [element.column for element in constraint.elements]
            keys = select(*remote).where(condition)
            child_condition = local[0].in_(keys) if len(local) == 1 else tuple_(*local).in_(keys)
            delete_with_dependants(connection, tables, child, child_condition, counts, _seen | {table.fullname})
    removed = connection.execute(delete(table).where(condition)).rowcount or 0
    counts[table.fullname] = counts.get(table.fullname, 0) + removed


def chunks(values: Sequence) -> Iterator[list]:
    for start in range(0, len(values), CHUNK):
        yield list(values[start:start + CHUNK])


def delete_keys(connection: Connection, tables: MetaData, table: Table, column: Column, keys: Iterable,
                counts: dict[str, int]) -> None:
    """Delete the rows whose `column` is one of `keys` (in chunks), with their dependants."""
    for chunk in chunks(sorted(set(keys))):
        delete_with_dependants(connection, tables, table, column.in_(chunk), counts)


def fetch(connection: Connection, statement: Select) -> list:
    """The first column of a select, as a list."""
    return [row[0] for row in connection.execute(statement)]
