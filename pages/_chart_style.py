"""How every chart is finished for the page: its title wrapped to fit a 390 px phone (plotly does not wrap titles),
room made for it, and the page's margins and font. Plotly only (no streamlit); used by chart_with_table and by the
shared-results cache (pages._shared), which stores figures finished so that no page run changes a shared one."""

from __future__ import annotations

import textwrap

import plotly.graph_objects as go

TITLE_LINE_CHARACTERS = 44
"""Characters a chart title's line holds on a 390 px phone (the heat grid wraps its titles to this too)."""
_FINISHED = "_families_finished"


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


def finish_figure(figure: go.Figure) -> go.Figure:
    """Wrap the title and set margins and font, once: a finished figure is left exactly as it is."""
    if getattr(figure, _FINISHED, False):
        return figure
    title_room = 24 + 20 * wrap_title(figure)
    figure.update_layout(margin={"l": 10, "r": 10, "t": max(40, title_room, figure.layout.margin.t or 0), "b": 10},
                         font={"size": 14})  # a figure that asks for more room on top (a wrapped title) keeps it
    setattr(figure, _FINISHED, True)
    return figure
