"""The Overview page's chart of families starting support and the symbols its locality view uses, from published
frames (no streamlit), shared by every visitor (pages._shared)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from pages._charts import PALETTE, Chart, grouped_bar
from pages._shared import shared
from pages._views import families_by_year_and_locality, wide_table


@shared
def families_starting_chart(families: pl.DataFrame, localities: tuple[str, ...]) -> Chart:
    """Families starting support by financial year and locality: grouped bars, hidden values labelled."""
    by_year = families_by_year_and_locality(families, "families_attached", list(localities))
    figure = go.Figure()
    for index, locality in enumerate(localities):
        rows = by_year.filter(by_year["locality"] == locality)
        grouped_bar(figure, rows["period"].to_list(), rows["value"].to_list(), rows["shown"].to_list(),
                    name=locality, colour=PALETTE[index],
                    hovertemplate="%{x}<br>" + locality + ": %{customdata}<extra></extra>")
    figure.update_layout(title="Families starting support, by financial year and locality",
                         yaxis_title="Families (rounded to 5)", legend_title="Locality")
    table = wide_table(by_year, index="period", columns="locality").rename({"period": "Financial year"})
    return Chart(figure, table, by_year)


@shared
def glance_symbols(summary: pl.DataFrame, series: pl.DataFrame) -> pl.DataFrame:
    """Every shown value of the locality view (its table and trend lines), for the explanation of symbols."""
    return pl.concat([summary.select("shown"), summary.select(shown="area_shown"),
                      summary.select(shown="previous_shown"), series.select("shown")])
