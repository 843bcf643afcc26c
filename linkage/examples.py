"""Small valid example rows of a partner extract, from its declaration in config/partners.toml (each column's
`example`, the value docs/partner-data.md shows), as the readers hand them to validation: for tests."""

from __future__ import annotations

import polars as pl

from linkage.contract import Source
from linkage.readers import RawRows


def example_rows(source: Source, n: int = 3) -> RawRows:
    """n rows of `source` as read from a file (text, row numbers from 1), each with every column's example."""
    names = [column.name for column in source.columns]
    frame = pl.DataFrame({"row_number": list(range(1, n + 1)),
                          **{column.name: [column.example] * n for column in source.columns}},
                         schema={"row_number": pl.Int64, **dict.fromkeys(names, pl.String)})
    return RawRows(frame, [], names)
