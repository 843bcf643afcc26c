"""Shared page furniture: the synthetic-data banner, dates, symbol explanations, chart + table + download."""

from __future__ import annotations

from typing import NamedTuple

import plotly.graph_objects as go
import polars as pl
import pyarrow as pa
import streamlit as st

from pages._access import current_page_id, log_download
from pages._chart_style import finish_figure
from pages._charts import OUTCOMES
from pages._navigation import in_fragment_rerun, recall, remember, rerun_with_menu
from pages._published import publication_info
from pages._shared import shared
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


@shared
def arrow_table(table: pl.DataFrame) -> pa.Table:
    """A table as Arrow for st.dataframe, made once per shared table: given a polars frame, Streamlit converts it to
    pandas and then to Arrow on every run (13% of the server's time under 25 sessions, benchmarks/load_test.py)."""
    return table.to_arrow()


@shared
def csv_text(table: pl.DataFrame) -> str:
    """A table's CSV download, made once per shared table."""
    return table.write_csv()


def chart_with_table(figure: go.Figure, table: pl.DataFrame, *, key: str, file_name: str, caption: str) -> None:
    """A chart, its table alternative and a CSV download of exactly what is shown."""
    finish_figure(figure)  # a shared figure (pages._shared) is already finished and is not changed
    chart_tab, table_tab = st.tabs(["Chart", "Table"])
    with chart_tab:
        st.plotly_chart(figure, key=f"{key}-chart", config={"displaylogo": False})
    with table_tab:
        # every row, no inner scroll
        st.dataframe(arrow_table(table), hide_index=True, key=f"{key}-table", height="content")
    st.caption(caption)
    st.download_button("Download this table (CSV)", csv_text(table), file_name=file_name, mime="text/csv",
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
