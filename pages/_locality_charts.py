"""The Localities page's charts and their tables, made from published frames and plain choices (no streamlit), each
shared by every visitor who asks for the same selection (pages._shared)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from data_access.config import Locality
from pages._charts import OUTCOMES, Chart, comparison_colour, label_hidden_series
from pages._contrast import text_colour_on
from pages._shared import shared
from pages._views import locality_profile, period_label, select_cells


@shared
def locality_spine(percents: pl.DataFrame, chosen: str, area: str, statistic: str, year: str, year_note: str | None,
                   maturity: pl.DataFrame, short_label: dict[str, str]) -> Chart:
    """A spine chart: the chosen locality's value on every measure, the area's, and the range across localities."""
    profile = locality_profile(percents, chosen, area, year).with_columns(
        label=pl.col("measure").replace_strict(short_label, default=None))
    spine = go.Figure()
    labels = [f"{m} {short_label[m]}" for m in profile["measure"].to_list()]
    spine.add_bar(y=labels, x=(profile["highest"] - profile["lowest"]).to_list(), base=profile["lowest"].to_list(),
                  orientation="h", marker_color="#DDDDDD", name="Range across localities", hoverinfo="skip")
    spine.add_scatter(y=labels, x=profile["area_value"].to_list(), mode="markers", name=area,
                      marker={"symbol": "line-ns-open", "size": 22, "color": "#000000", "line": {"width": 3}},
                      customdata=profile["area_shown"].to_list(), hovertemplate=area + ": %{customdata}<extra></extra>")
    spine.add_scatter(y=labels, x=profile["value"].to_list(), mode="markers", name=chosen,
                      marker={"size": 14, "color": [comparison_colour(c) for c in profile["comparison"].to_list()],
                              "line": {"color": "#333", "width": 1}},
                      customdata=profile["shown"].to_list(), hovertemplate=chosen + ": %{customdata}<extra></extra>")
    label_hidden_series(spine, [(chosen, labels, profile["value"].to_list(), profile["shown"].to_list()),
                               (area, labels, profile["area_value"].to_list(), profile["area_shown"].to_list())])
    spine.update_layout(title=f"{chosen} against {area}: {OUTCOMES[statistic].lower()} (%), support starting "
                        f"{period_label(year, maturity, statistic)}",
                        xaxis={"range": [0, 100], "title": "%"}, yaxis={"autorange": "reversed"},
                        height=140 + 34 * len(labels))
    table = profile.select(
        pl.col("measure").alias("Measure"), pl.col("label").alias("Label"),
        pl.col("shown").alias(chosen + " (%)"), pl.col("area_shown").alias(area + " (%)"),
        pl.coalesce("comparison", pl.lit("not compared")).alias("Compared with " + area),
        pl.lit(year_note or "complete").alias("Cohort"))
    shown = pl.concat([profile.select("shown"), profile.select(shown="area_shown")])
    return Chart(spine, table, shown)


@shared
def locality_tiles(percents: pl.DataFrame, measure_id: str, measure_label: str, statistic: str, year: str,
                   year_note: str | None, maturity: pl.DataFrame, localities: tuple[Locality, ...], area: str) -> Chart:
    """A tile map of every locality's value on one measure, coloured by its comparison with the area."""
    names = [locality.name for locality in localities]
    tiles = select_cells(percents, breakdown="none", category="All", period=year, measure=measure_id, locality=names)
    by_name = {row["locality"]: row for row in tiles.iter_rows(named=True)}
    tile_map = go.Figure()
    for locality in localities:
        row = by_name.get(locality.name, {"shown": "[x]", "comparison": None})
        x, y = locality.tile_column, -locality.tile_row
        fill = comparison_colour(row["comparison"])
        tile_map.add_shape(type="rect", x0=x - 0.48, x1=x + 0.48, y0=y - 0.48, y1=y + 0.48, fillcolor=fill,
                           line={"color": "#333"})
        tile_map.add_annotation(x=x, y=y, text=f"<b>{locality.name}</b><br>{row['shown']}", showarrow=False,
                                font={"size": 14, "color": text_colour_on(fill)})
    tile_map.update_xaxes(visible=False, range=[-0.6, max(loc.tile_column for loc in localities) + 0.6])
    tile_map.update_yaxes(visible=False, range=[-max(loc.tile_row for loc in localities) - 0.6, 0.6], scaleanchor="x")
    tile_map.update_layout(title=f"{measure_id} {measure_label}: {OUTCOMES[statistic].lower()} (%), "
                           f"{period_label(year, maturity, statistic)}",
                           height=420, showlegend=False)
    table = tiles.select(pl.col("locality").alias("Locality"), pl.col("shown").alias("%"),
                         pl.coalesce("comparison", pl.lit("not compared")).alias("Compared with " + area),
                         pl.lit(year_note or "complete").alias("Cohort"))
    return Chart(tile_map, table, tiles)
