"""The heat grid (pages/_heat_grid.py): columns in blocks of four that keep their width, every cell's value or symbol
written on it, labels wrapped rather than slanted."""

from __future__ import annotations

import polars as pl

from pages._heat_grid import PER_BLOCK, heat_grid, wrap_label
from tests.pages.chart_labels import unlabelled

COLOURS = {"better": "#0072B2", "not compared": "#FFFFFF"}


def _cells(columns: list[str], rows: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"column": [c for c in columns for _ in rows], "row": [r for _ in columns for r in rows]}
                        ).with_columns(shown=pl.when(pl.col("row") == "Chesil").then(pl.lit("[c]")).otherwise(
                                       pl.lit("50.0% [u]")),
                                       colour=pl.when(pl.col("row") == "Chesil").then(pl.lit("not compared"))
                                       .otherwise(pl.lit("better")), hover=pl.lit("similar"))


def test_twelve_columns_come_in_three_blocks_of_four_with_every_cell_written():
    columns = [f"M{number:02d}" for number in range(1, 13)]
    rows = ["Chesil", "Purbeck", "Dorset"]
    figure = heat_grid(_cells(columns, rows), columns=columns, rows=rows, column_labels={c: c for c in columns},
                       colours=COLOURS, names={}, title="A title long enough to need two lines on a phone screen",
                       hover="%{x}")
    spec = figure.to_plotly_json()
    axes = {trace["xaxis"] for trace in spec["data"]}
    assert axes == {"x", "x2", "x3"}
    for axis in ("xaxis", "xaxis2", "xaxis3"):
        assert list(spec["layout"][axis]["range"]) == [-0.5, PER_BLOCK - 0.5]
        assert len(spec["layout"][axis]["categoryarray"]) == PER_BLOCK
    texts = [text for trace in spec["data"] for text in trace["text"]]
    assert len(texts) == 36 and texts.count("[c]") == 12 and texts.count("50.0%<br>[u]") == 24
    assert unlabelled(spec) == []
    assert "<br>" in spec["layout"]["title"]["text"]


def test_a_short_last_block_keeps_the_column_width():
    columns = ["All", "Female", "Male", "Not recorded", "Other", "Unknown"]
    figure = heat_grid(_cells(columns, ["Chesil"]), columns=columns, rows=["Chesil"],
                       column_labels={c: c for c in columns}, colours=COLOURS, names={}, title="t", hover="%{x}")
    layout = figure.to_plotly_json()["layout"]
    assert len(layout["xaxis2"]["categoryarray"]) == 2 and list(layout["xaxis2"]["range"]) == [-0.5, 3.5]


def test_labels_wrap_at_word_breaks():
    assert wrap_label("Family relationships") == "Family<br>relationships"
    assert wrap_label("Exploitation risk") == "Exploitation<br>risk"
    assert wrap_label("Housing") == "Housing"
