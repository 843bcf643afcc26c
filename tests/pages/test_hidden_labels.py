"""A chart that cannot draw a hidden value labels it with its symbol at its place (issue #12 item 2)."""

from __future__ import annotations

import polars as pl

from pages._layout import percent_bars


def test_percent_bars_label_the_hidden_rows_only():
    rows = pl.DataFrame({"category": ["All", "White", "Asian", "Black"], "value": [52.0, 50.1, None, None],
                         "ci_lower": [48.0, 46.0, None, None], "ci_upper": [56.0, 54.2, None, None],
                         "shown": ["52.0%", "50.1%", "[c]", "[x]"]})
    figure = percent_bars(rows, "category", "#0072B2", "By ethnic group")
    labels = [(note.y, note.text, note.xref) for note in figure.layout.annotations]
    assert labels == [("Asian", "[c]", "x domain"), ("Black", "[x]", "x domain")]
    assert list(figure.data[0].y) == ["All", "White", "Asian", "Black"], "the hidden rows keep their places"
