"""Shared page furniture: the synthetic-data banner, dates, symbol explanations, chart + table + download."""

from __future__ import annotations

import textwrap
from typing import NamedTuple

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from pages._access import current_page_id, log_download
from pages._navigation import in_fragment_rerun, recall, remember, rerun_with_menu
from pages._published import publication_info
from pages._views import (
    SYMBOL_MEANINGS,
    best_default_year,
    maturity_note,
    maturity_view,
    percent_view,
    period_label,
    symbols_used,
    year_choices,
)

# Okabe-Ito: distinguishable with the common forms of colour blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


FOCUS_STYLE = """<style>
[data-testid="stElementToolbar"]:focus-within { opacity: 1 !important; }
</style>"""
"""Streamlit shows a table's toolbar (columns, download, search, full screen) on hover only, so a keyboard user
tabbing through it would focus buttons that cannot be seen (WCAG 2.4.7): show it while focus is inside it."""


def page_header(title: str, intro: str) -> None:
    st.html(FOCUS_STYLE)  # only a style: Streamlit adds it to the page without taking space
    info = publication_info()
    if info.get("is_synthetic") == "true":
        st.warning("Synthetic data: every family and number here is made up for demonstration.", icon="🧪")
    st.title(title)
    st.caption(
        f"Data up to {info.get('data_as_of', 'unknown')} · published {info.get('published_at', 'unknown')} · "
        "Dorset Families Matter (Supporting Families)"
    )
    st.write(intro)


def explain_symbols(frame: pl.DataFrame) -> None:
    used = symbols_used(frame)
    if used:
        st.caption(" · ".join(f"**{symbol}** {SYMBOL_MEANINGS[symbol]}" for symbol in used))


TITLE_LINE_CHARACTERS = 44
"""Characters a chart title's line holds on a 390 px phone (plotly does not wrap titles; pages/_heat_grid.py too)."""


def wrap_title(figure: go.Figure) -> int:
    """Wrap the figure's title into lines that fit a phone (a title already broken with <br> is left as it is);
    returns the number of lines."""
    text = figure.layout.title.text
    if not text:
        return 0
    if "<br>" not in text:
        text = "<br>".join(textwrap.wrap(text, TITLE_LINE_CHARACTERS))
        figure.update_layout(title={"text": text, "font": {"size": 15}})
    return text.count("<br>") + 1


def chart_with_table(figure: go.Figure, table: pl.DataFrame, *, key: str, file_name: str, caption: str) -> None:
    """A chart, its table alternative and a CSV download of exactly what is shown."""
    title_room = 24 + 20 * wrap_title(figure)
    figure.update_layout(margin={"l": 10, "r": 10, "t": max(40, title_room, figure.layout.margin.t or 0), "b": 10},
                         font={"size": 14})  # a figure that asks for more room on top (a wrapped title) keeps it
    chart_tab, table_tab = st.tabs(["Chart", "Table"])
    with chart_tab:
        st.plotly_chart(figure, key=f"{key}-chart", config={"displaylogo": False})
    with table_tab:
        st.dataframe(table, hide_index=True, key=f"{key}-table", height="content")  # every row, no inner scroll
    st.caption(caption)
    st.download_button("Download this table (CSV)", table.write_csv(), file_name=file_name, mime="text/csv",
                       key=f"{key}-download", on_click=log_download, args=(current_page_id(), file_name))


def url_choice(label: str, options: list[str], key: str, *, format_func=str, default: str | None = None,
               horizontal_radio: bool = False, container=st, fragment: str | None = None) -> str:
    """A selectbox (or radio) whose choice lives in the URL (?key=...), so a view can be shared.

    A value in the URL that this page cannot use gives way to the last one chosen here (pages/_navigation.py).
    `fragment`: the key of the st.fragment the picker is drawn in; a change then reruns that fragment and the menu
    (whose links carry the choice), not the whole page.
    """
    if not options:
        st.info(f"No {label.lower()} to choose from yet.")
        st.stop()
    current = st.query_params.get(key)
    chosen = st.session_state.get(f"url-{key}")
    if fragment is not None and in_fragment_rerun() and chosen in options and chosen != current:
        # The fragment reruns for this choice: into the URL before the widget is drawn (set after it, the browser
        # did not always take it: tests/browser/test_fragments.py).
        current = st.query_params[key] = chosen
    if current not in options:
        current = recall(key, options) or (default if default in options else options[0])
    widget = container.radio if horizontal_radio else container.selectbox
    extra = {"horizontal": True} if horizontal_radio else {}
    if fragment is not None:
        extra |= {"on_change": rerun_with_menu, "args": (fragment,)}
    choice = widget(label, options, index=options.index(current), format_func=format_func, key=f"url-{key}", **extra)
    if st.query_params.get(key) != choice:
        st.query_params[key] = choice
    remember(key, choice)
    return choice


OUTCOMES = {"improved_percent": "Improved", "sustained_percent": "Sustained"}
"""The measure_progress percentages a page can show, by their words."""


class OutcomeAndYear(NamedTuple):
    statistic: str
    percents: pl.DataFrame  # the statistic's published percentages
    maturity: pl.DataFrame  # its cohort maturity rows
    year: str
    year_note: str | None  # what is maturing about the year, or None when it is complete


def outcome_and_year(progress: pl.DataFrame, maturity_table: pl.DataFrame, area: str, outcome_place, year_place,
                     not_compared: str | None = None, fragment: str | None = None) -> OutcomeAndYear:
    """The Outcome and "Financial year support began" choices (in the URL), with a warning when that year is a
    maturing cohort."""
    statistic = url_choice("Outcome", list(OUTCOMES), "outcome", format_func=OUTCOMES.get, container=outcome_place,
                           fragment=fragment)
    percents = percent_view(progress, statistic)
    maturity = maturity_view(maturity_table, "measure_progress", statistic)
    year = url_choice("Financial year support began", year_choices(progress), "year", container=year_place,
                      fragment=fragment,
                      default=best_default_year(percents, area, maturity),
                      format_func=lambda period: period_label(period, maturity, statistic))
    status = maturity.filter(pl.col("period") == year)
    year_note = maturity_note(status["status"][0] if status.height else None,
                              status["share_due"][0] if status.height else None, statistic)
    if year_note:
        st.warning(f"Support starting {year} is a maturing cohort ({year_note}): its figures rest on the units "
                   f"followed up soonest, so they are {not_compared or 'not compared with ' + area}.", icon="⏳")
    return OutcomeAndYear(statistic, percents, maturity, year, year_note)


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
    for category, value, text in zip(categories, values, shown, strict=True):
        if value is None:
            figure.add_annotation(x=0.01, xref="x domain", y=category, yref="y", text=text, showarrow=False,
                                  xanchor="left", font={"size": 13, "color": "#333333"})


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
