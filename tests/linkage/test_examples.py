"""Example rows of every partner extract, from config/partners.toml: validation accepts them all, and one value
outside a column's codes is quarantined naming that column."""

from __future__ import annotations

import polars as pl
import pytest

from linkage.contract import load_partner_contract
from linkage.examples import example_rows
from linkage.readers import RawRows
from linkage.validation import validate_rows

CONTRACT = load_partner_contract()


@pytest.mark.parametrize("source", CONTRACT.sources, ids=lambda source: source.id)
def test_example_rows_of_every_source_are_accepted(source) -> None:
    checked = validate_rows(source, example_rows(source, 3))
    assert checked.quarantined.height == 0, checked.quarantined.select("reason", "column_name").to_dicts()
    assert checked.accepted.height == 3


CODE_COLUMNS = [(source, column.name) for source in CONTRACT.sources for column in source.columns
                if column.type == "code" and column.example]


@pytest.mark.parametrize(("source", "column"), CODE_COLUMNS,
                         ids=[f"{source.id}.{column}" for source, column in CODE_COLUMNS])
def test_a_value_outside_the_codes_is_quarantined_naming_the_column(source, column: str) -> None:
    rows = example_rows(source, 2)
    bad = rows.frame.with_columns(pl.when(pl.col("row_number") == 1).then(pl.lit("not-a-code"))
                                  .otherwise(pl.col(column)).alias(column))
    checked = validate_rows(source, RawRows(bad, [], rows.header))
    assert checked.quarantined.select("row_number", "reason", "column_name").rows() == [(1, "bad_code", column)]
    assert checked.accepted.height == 1


def test_there_are_code_columns_to_check() -> None:
    assert len(CODE_COLUMNS) >= 5
