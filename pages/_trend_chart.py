"""Small trend lines, one per measure, for the locality view (plotly only: no streamlit, testable on its own).

Each line uses published single-year values only. A hidden year is a gap in the line, labelled with its symbol
([c], [x], [z]) at that year in the line's colour (the locality's low, the area's above it), so a reader sees why a
point is missing rather than a silent hole.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from pages._charts import add_annotations
from pages._shared import shared

LOCALITY_COLOUR = "#0072B2"
AREA_COLOUR = "#555555"
COLUMNS = 3


@shared
def trend_lines(series: pl.DataFrame, locality: str, area: str) -> go.Figure:
    """Small multiples of `series` (pages._locality.trend_series): the locality's line, the area's dashed beside it
    (unless the locality is the area), percentages on a 0-100 axis, hidden years labelled with their symbols."""
    labels = list(dict.fromkeys(series["label"].to_list()))
    rows = max(1, math.ceil(len(labels) / COLUMNS))
    figure = make_subplots(rows=rows, cols=COLUMNS, subplot_titles=labels, vertical_spacing=0.5 / rows,
                           horizontal_spacing=0.06)
    places = [(locality, LOCALITY_COLOUR, "solid")] + ([(area, AREA_COLOUR, "dash")] if area != locality else [])
    hidden_labels: list[dict] = []
    for index, label in enumerate(labels):
        row, column = index // COLUMNS + 1, index % COLUMNS + 1
        for place, colour, dash in places:
            points = series.filter(pl.col("label") == label, pl.col("place") == place)
            figure.add_scatter(
                x=points["period"].to_list(), y=points["value"].to_list(), mode="lines+markers", name=place,
                line={"color": colour, "dash": dash, "width": 2}, marker={"size": 5}, connectgaps=False,
                customdata=points["shown"].to_list(), legendgroup=place, showlegend=index == 0,
                hovertemplate=f"{label}<br>{place}, %{{x}}: %{{customdata}}<extra></extra>", row=row, col=column)
        axis = index + 1
        for height, (place, colour, _) in zip((0.04, 0.16), places, strict=False):
            hidden = series.filter(pl.col("label") == label, pl.col("place") == place, pl.col("value").is_null())
            hidden_labels.extend(
                {"x": period, "y": height, "xref": f"x{axis if axis > 1 else ''}",
                 "yref": f"y{axis if axis > 1 else ''} domain", "text": shown, "showarrow": False,
                 "font": {"size": 11, "color": colour}}
                for period, shown in hidden.select("period", "shown").iter_rows())
    add_annotations(figure, hidden_labels)  # at once: one by one, plotly validated them all again each time
    figure.update_yaxes(range=[0, 100])
    figure.update_xaxes(type="category", tickangle=-30, tickfont={"size": 10})
    figure.update_layout(height=150 + 190 * rows, legend={"orientation": "h", "yanchor": "bottom", "y": 1.06, "x": 0},
                         title=None)
    return figure


@shared
def trend_table(series: pl.DataFrame) -> pl.DataFrame:
    """The lines' table alternative: one row per measure and place, one column per year, values as published."""
    return series.pivot(on="period", index=["label", "place"], values="shown", aggregate_function="first",
                        maintain_order=True).rename({"label": "Measure", "place": "Where"})
