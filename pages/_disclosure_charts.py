"""The Disclosure control page's chart of suppressed cells by table, from the published summary (no streamlit),
shared by every visitor (pages._shared)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from pages._charts import Chart
from pages._shared import shared

READABLE = {
    "count_cells": "Count cells", "suppressed_primary": "Suppressed: small number (primary)",
    "of_which_class_zero": "of which 0% or 100% of a small group", "suppressed_secondary": "Suppressed: secondary",
    "percent_cells": "Percentage cells", "percent_suppressed": "Percentages not published",
    "share_count_cells_suppressed": "Share of count cells suppressed",
}


@shared
def suppression_chart(summary: pl.DataFrame) -> Chart:
    """Primary and secondary suppressed count cells of each published table, stacked, and the summary's table."""
    wide = summary.pivot(on="statistic", index="category", values="value", aggregate_function="first").rename(
        {"category": "table"})
    shown = wide.rename({name: label for name, label in READABLE.items() if name in wide.columns})
    figure = go.Figure()
    for column, colour in (("suppressed_primary", "#0072B2"), ("suppressed_secondary", "#E69F00")):
        if column in wide.columns:
            figure.add_bar(x=wide["table"].to_list(), y=wide[column].to_list(), name=READABLE[column],
                           marker_color=colour)
    figure.update_layout(barmode="stack", title="Suppressed count cells by published table", yaxis_title="Cells")
    return Chart(figure, shown, summary)
