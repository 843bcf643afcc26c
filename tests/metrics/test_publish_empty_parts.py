"""A publication whose impact analysis yields no balance rows (e.g. too few comparison families) still publishes:
the empty part has no rows and the published columns' types (it used to be one all-null row of text)."""

from __future__ import annotations

import polars as pl

from data_access.published_schema import PUBLISHED_COLUMNS
from metrics.publish import balance_published_rows


def test_no_balance_rows_is_an_empty_typed_frame():
    empty = balance_published_rows(pl.DataFrame(schema={"measure": pl.String, "covariate": pl.String,
                                                         "symbol": pl.String, "smd_before": pl.Float64,
                                                         "smd_after": pl.Float64}), "Dorset")
    assert empty.height == 0
    assert tuple(empty.columns) == PUBLISHED_COLUMNS
    assert empty.schema["value"] == pl.Float64
    other = pl.DataFrame({name: ["x"] for name in PUBLISHED_COLUMNS}).with_columns(pl.lit(1.5).alias("value"))
    assert pl.concat([other, empty]).height == 1  # concatenates with the other parts
