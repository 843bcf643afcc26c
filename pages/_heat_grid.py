"""A grid of published values coloured by their comparison (the Measures heat map, and a breakdown's localities side
by side), laid out to read on a phone as well as a desktop. Plotly only: no streamlit, testable on its own.

Streamlit cannot know the screen's width on the server, so the layout works at both: the columns come in blocks of
at most `per_block` (stacked, each with its own labelled axis), so that at 390 px wide each cell still has room for
its value, and column labels are wrapped onto short lines instead of slanted. A value's [u] goes on a second line.
"""

from __future__ import annotations

import textwrap

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from pages._chart_style import TITLE_LINE_CHARACTERS
from pages._contrast import text_colour_on
from pages._shared import shared

PER_BLOCK = 4
CELL = 44  # px: a cell's square, narrower than a column even at 390 px wide with four columns
ROW_HEIGHT = 52  # px per row of a block
BLOCK_EXTRA = 70  # px per block for its wrapped column labels
TITLE_SPACE = 60  # px for the title
TICK_FONT = {"size": 12}


def wrap_label(label: str, width: int = 10) -> str:
    """A column label on short lines ("School<br>attendance"), so it needs no slant and no overlap."""
    return "<br>".join(textwrap.wrap(label, width, break_long_words=False)) or label


@shared
def heat_grid(cells: pl.DataFrame, *, columns: list[str], rows: list[str], column_labels: dict[str, str],
              colours: dict[str, str], names: dict[str, str], title: str, hover: str,
              per_block: int = PER_BLOCK) -> go.Figure:
    """`cells`: one row per (column, row) with `column`, `row`, `shown` (the published value or its symbol) and `colour`
    (a key of `colours`: the cell's comparison) and `hover` (what a cell's hover adds, e.g. the comparison). Columns
    come in stacked blocks of at most `per_block`; rows in the given order, top to bottom. `names`: each colour key's
    words (the traces' names; the page's caption explains the colours, so there is no legend to crowd a phone);
    `hover`: the word for a column in the hover text."""
    blocks = [columns[start:start + per_block] for start in range(0, len(columns), per_block)] or [[]]
    height = TITLE_SPACE + len(blocks) * (ROW_HEIGHT * len(rows) + BLOCK_EXTRA)
    figure = make_subplots(rows=len(blocks), cols=1,
                           vertical_spacing=BLOCK_EXTRA / height if len(blocks) > 1 else 0.0)
    for block_index, block in enumerate(blocks, start=1):
        in_block = cells.filter(pl.col("column").is_in(block))
        for key, colour in colours.items():
            subset = in_block.filter(pl.col("colour") == key)
            if subset.is_empty():
                continue
            figure.add_scatter(
                x=[wrap_label(column_labels[c]) for c in subset["column"].to_list()], y=subset["row"].to_list(),
                mode="markers+text", text=[text.replace(" [u]", "<br>[u]") for text in subset["shown"].to_list()],
                marker={"symbol": "square", "size": CELL, "color": colour, "line": {"color": "#555", "width": 1}},
                textfont={"size": 12, "color": text_colour_on(colour)}, name=names.get(key, key),
                customdata=subset["hover"].to_list(),
                hovertemplate="%{y}, " + hover + ": %{text}<br>%{customdata}<extra></extra>",
                row=block_index, col=1)
        figure.update_xaxes(type="category", categoryorder="array", tickangle=0, tickfont=TICK_FONT,
                            categoryarray=[wrap_label(column_labels[c]) for c in block], row=block_index, col=1,
                            range=[-0.5, per_block - 0.5])  # a last, shorter block keeps the others' column width
    figure.update_yaxes(type="category", categoryorder="array", categoryarray=rows[::-1], automargin=True,
                        tickfont=TICK_FONT)
    figure.update_xaxes(automargin=True, fixedrange=True)
    figure.update_yaxes(fixedrange=True)
    lines = textwrap.wrap(title, TITLE_LINE_CHARACTERS)
    figure.update_layout(title={"text": "<br>".join(lines), "font": {"size": 15}}, height=height, showlegend=False,
                         margin={"t": 24 + 20 * len(lines)})  # colours are explained in the caption
    return figure
