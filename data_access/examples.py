"""Small valid example rows of every linked table, derived from the declarations in data_access/schema.py.

Tests need a few rows that the loader accepts, and then one bad value; writing such frames by hand repeats the
contract and drifts from it. Here each column's value for row i comes from its declaration: its `example`
(schema.declared) where one is given, else its allowed values in turn, else a default by type (keys 1, 2, 3 ...;
foreign keys the parent's row i; dates from 2024-01-01). Row i of every table belongs together: family i, person
i (a member of family i), episode i of family i, observation i of person i, so the rules across tables hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Boolean, Column, Date, Integer, String, Table

from data_access.bulk import polars_schema
from data_access.config import load_localities, load_measures
from data_access.schema import LINKED_TABLES_IN_LOAD_ORDER, linked_metadata

EXAMPLE_DATA_AS_OF = date(2025, 3, 31)
FIRST_DAY = date(2024, 1, 1)


@dataclass(frozen=True)
class ExampleContext:
    """The configured codes example values must come from, and the example dates."""

    locality_codes: tuple[str, ...]
    locality_names: tuple[str, ...]
    headline_outcomes: tuple[str, ...]
    person_measures: tuple[str, ...]
    data_as_of: date = EXAMPLE_DATA_AS_OF

    def day(self, index: int) -> date:
        """The example date of row `index` (one day apart, all before data_as_of for a few hundred rows)."""
        return FIRST_DAY + timedelta(days=index)

    @classmethod
    def from_config(cls, config_dir: Path | None = None) -> ExampleContext:
        localities, measures = load_localities(config_dir), load_measures(config_dir)
        return cls(tuple(locality.code for locality in localities), tuple(locality.name for locality in localities),
                   tuple(outcome.id for outcome in measures.headline_outcomes),
                   tuple(measure.id for measure in measures.measures if measure.unit == "person"))


def _rows_of(table: Table, n: int, context: ExampleContext) -> int:
    """How many example rows a table can have: a locality per configured locality at most."""
    return min(n, len(context.locality_codes)) if table.name == "locality" else n


def _value(column: Column, index: int, context: ExampleContext, keys: dict[tuple[str, str], list]) -> Any:
    example = column.info.get("example")
    if example is not None:
        return example(index, context)
    if column.foreign_keys:
        parent = next(iter(column.foreign_keys)).column
        values = keys[(parent.table.name, parent.name)]
        return values[index % len(values)]
    allowed = column.info.get("allowed")
    if allowed:
        return allowed[index % len(allowed)]
    if isinstance(column.type, Boolean):
        return index % 2 == 0
    if isinstance(column.type, Integer):
        return index + 1
    if isinstance(column.type, Date):
        return context.day(index)
    if isinstance(column.type, String):
        text = f"{column.name}_{index + 1}"
        return text[-column.type.length:] if column.type.length else text
    raise TypeError(f"no default example for {column.table.name}.{column.name} ({column.type}): declare one")


def example_dataset(n: int = 3, *, context: ExampleContext | None = None,
                    config_dir: Path | None = None) -> dict[str, pl.DataFrame]:
    """Every linked table with n example rows (locality: at most one per configured locality), in the declared
    types; together they pass data_access.loader.validate_linked_frames."""
    context = context or ExampleContext.from_config(config_dir)
    keys: dict[tuple[str, str], list] = {}
    frames = {}
    for table in LINKED_TABLES_IN_LOAD_ORDER:
        rows = _rows_of(table, n, context)
        columns = {column.name: [_value(column, index, context, keys) for index in range(rows)]
                   for column in table.columns}
        for column in table.columns:
            keys[(table.name, column.name)] = columns[column.name]
        frames[table.name] = pl.DataFrame(columns, schema=polars_schema(table.columns))
    return frames


def example_rows(table: Table | str, n: int = 3, *, config_dir: Path | None = None) -> pl.DataFrame:
    """n example rows of one linked table (valid with the other tables of example_dataset(n))."""
    name = table if isinstance(table, str) else table.name
    if name not in linked_metadata.tables:
        raise KeyError(f"{name} is not a linked table")
    return example_dataset(n, config_dir=config_dir)[name]
