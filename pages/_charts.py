"""Plotly pieces every page's charts share (no streamlit, so the chart builders can be shared by every visitor:
pages._shared): the palette, the comparison colours, the outcomes' words, bars with hidden values labelled."""

from __future__ import annotations

from typing import NamedTuple

import plotly.graph_objects as go
import polars as pl

from pages._shared import shared


class Chart(NamedTuple):
    """What a chart builder returns: the figure, its table alternative (also its CSV download) and the published rows
    drawn (for the symbols' explanations)."""

    figure: go.Figure
    table: pl.DataFrame
    shown: pl.DataFrame

# Okabe-Ito: distinguishable with the common forms of colour blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


OUTCOMES = {"improved_percent": "Improved", "sustained_percent": "Sustained"}
"""The measure_progress percentages a page can show, by their words."""


COMPARISON_COLOURS = {
    "better": "#0072B2",
    "similar": "#F0E442",
    "worse": "#D55E00",
    "not compared": "#FFFFFF",
    "benchmark": "#BBBBBB",
}


def comparison_colour(label: str | None) -> str:
    """Colour-blind-safe colour of a comparison label (two-level labels share their direction's colour)."""
    if label is None:
        return COMPARISON_COLOURS["not compared"]
    return COMPARISON_COLOURS.get(label.split(" (")[0], COMPARISON_COLOURS["not compared"])


def label_hidden(figure: go.Figure, categories: list[str], values: list[float | None], shown: list[str]) -> None:
    """Write a hidden value's symbol ([c], [x], [z]) at its row of a horizontal chart (categories on the y axis), just
    inside the plot's left edge, so a missing bar or dot is labelled rather than silently absent."""
    add_annotations(figure, [{"x": 0.01, "xref": "x domain", "y": category, "yref": "y", "text": text,
                              "showarrow": False, "xanchor": "left", "font": {"size": 13, "color": "#333333"}}
                             for category, value, text in zip(categories, values, shown, strict=True)
                             if value is None])


def add_annotations(figure: go.Figure, annotations: list[dict]) -> None:
    """Add several annotations at once: plotly's add_annotation validates every annotation already there each time,
    so adding them one by one took seconds for a chart with a hundred hidden values."""
    if annotations:
        figure.update_layout(annotations=[*figure.layout.annotations, *annotations])


def grouped_bar(figure: go.Figure, categories: list[str], values: list[float | None], shown: list[str], *, name: str,
                colour: str, hovertemplate: str) -> None:
    """One series of a grouped (vertical) bar chart, with each hidden value's symbol ([c], [x], [z]) written at the
    foot of its own bar's place: a text trace in the same offset group, so a missing bar is labelled, not a hole."""
    figure.add_bar(x=categories, y=values, name=name, marker_color=colour, customdata=shown, offsetgroup=name,
                   legendgroup=name, hovertemplate=hovertemplate)
    hidden = [(category, text) for category, value, text in zip(categories, values, shown, strict=True)
              if value is None]
    if hidden:
        figure.add_scatter(x=[category for category, _ in hidden], y=[0] * len(hidden), mode="text",
                           text=[text for _, text in hidden], textposition="top center", offsetgroup=name,
                           legendgroup=name, showlegend=False, textfont={"size": 12, "color": "#333333"},
                           customdata=[text for _, text in hidden], hovertemplate=hovertemplate)
    figure.update_layout(barmode="group", scattermode="group")


def label_hidden_series(figure: go.Figure, series: list[tuple[str, list[str], list[float | None], list[str]]]) -> None:
    """Several series on one horizontal chart (a dot per series and row): one label per row naming each series whose
    value is hidden there with its symbol ("Chesil [c], Dorset [x]"), just inside the plot's left edge.

    `series`: (name, categories, values, shown) per series."""
    hidden: dict[str, list[str]] = {}
    for name, categories, values, shown in series:
        for category, value, text in zip(categories, values, shown, strict=True):
            if value is None:
                hidden.setdefault(category, []).append(f"{name} {text}")
    label_hidden(figure, list(hidden), [None] * len(hidden), [", ".join(names) for names in hidden.values()])


@shared
def percent_bars(rows: pl.DataFrame, label_column: str, colours: str | list[str], title: str) -> go.Figure:
    """Horizontal bars of published percentages with their confidence-interval whiskers."""
    figure = go.Figure()
    figure.add_bar(
        y=rows[label_column].to_list(), x=rows["value"].to_list(), orientation="h", marker_color=colours,
        marker_line={"color": "#555", "width": 1},
        error_x={"type": "data", "symmetric": False, "array": (rows["ci_upper"] - rows["value"]).to_list(),
                 "arrayminus": (rows["value"] - rows["ci_lower"]).to_list()},
        customdata=rows["shown"].to_list(), hovertemplate="%{y}: %{customdata}<extra></extra>",
    )
    figure.update_layout(title=title, xaxis={"range": [0, 100], "title": "%"}, yaxis={"autorange": "reversed"})
    label_hidden(figure, rows[label_column].to_list(), rows["value"].to_list(), rows["shown"].to_list())
    return figure
