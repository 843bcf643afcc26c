"""Overview: families supported per year and locality, and headline outcomes."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from data_access.config import benchmark_name, load_localities
from metrics.views import families_by_year_and_locality, headline, wide_table
from pages._layout import PALETTE, chart_with_table, explain_symbols, page_header
from pages._published import published_table, require_page

require_page("overview")
page_header(
    "Overview",
    "Families supported by Dorset Families Matter in each financial year (April to March), by locality. "
    "Counts are rounded to the nearest 5; small numbers are shown as [c].",
)

area = benchmark_name()
localities = [locality.name for locality in load_localities()]
families = published_table("families")

tiles = st.columns(3)
for column, statistic, label in (
    (tiles[0], "families_attached", "Families starting support"),
    (tiles[1], "families_closed", "Families whose support ended"),
    (tiles[2], "families_open_at_end", "Families being supported now"),
):
    latest = headline(families, statistic, area)
    delta = None
    if isinstance(latest["value"], float) and isinstance(latest["previous_value"], float):
        delta = f"{latest['value'] - latest['previous_value']:+.0f} on {latest['previous_year']}"
    column.metric(f"{label}, {latest['year'] or ''}", latest["shown"], delta=delta, delta_color="off",
                  border=True)

by_year = families_by_year_and_locality(families, "families_attached", localities)
figure = go.Figure()
for index, locality in enumerate(localities):
    rows = by_year.filter(by_year["locality"] == locality)
    figure.add_bar(
        x=rows["period"].to_list(), y=rows["value"].to_list(), name=locality, marker_color=PALETTE[index],
        customdata=rows["shown"].to_list(),
        hovertemplate="%{x}<br>" + locality + ": %{customdata}<extra></extra>",
    )
figure.update_layout(barmode="group", title="Families starting support, by financial year and locality",
                     yaxis_title="Families (rounded to 5)", legend_title="Locality")
chart_with_table(
    figure,
    wide_table(by_year, index="period", columns="locality").rename({"period": "Financial year"}),
    key="families-by-year",
    file_name="families-starting-support.csv",
    caption="A financial year runs April to March; the latest year is part-year up to the data date.",
)
explain_symbols(by_year)
