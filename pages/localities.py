"""Localities: one locality's profile across all measures against Dorset, and a tile map for one measure."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from pages._access import log_download
from pages._contrast import text_colour_on
from pages._downloads import MIME, briefing_pdf, kept, locality_files
from pages._layout import (
    OUTCOMES,
    chart_with_table,
    comparison_colour,
    explain_symbols,
    label_hidden_series,
    outcome_and_year,
    page_header,
    url_choice,
)
from pages._locality import locality_summary, summary_table
from pages._published import publication_info, published_table, require_page, settings
from pages._views import (
    TREND_LEVEL,
    locality_profile,
    period_label,
    select_cells,
)

require_page("localities")
page_header(
    "Localities",
    "How each of the six localities compares with Dorset across the twelve measures, and a map-like view of "
    "one measure. Tiles are a schematic layout, not a map: locality boundaries are approximate.",
)

config = settings()
area = config.area_name
localities = config.localities
names = [locality.name for locality in localities]
catalogue = config.measures
short_label = {m.id: m.short_label for m in catalogue.measures}
level = config.policy.confidence_level
progress = published_table("measure_progress")
maturity_table = published_table("cohort_maturity")


@st.fragment(key="localities-views")
def locality_views() -> None:
    """The locality, outcome and year pickers with the profile, the tiles and the briefing: a change reruns this part
    only (the page's header and the tables' reads do not run again); the tiles' Measure picker reruns its own part."""
    controls = st.columns(3)
    chosen = url_choice("Locality", names, "locality", container=controls[0], fragment="localities-views")
    statistic, percents, maturity, year, year_note = outcome_and_year(progress, maturity_table, area, controls[1],
                                                                      controls[2], fragment="localities-views")

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
    chart_with_table(
        spine,
        profile.select(pl.col("measure").alias("Measure"), pl.col("label").alias("Label"),
                       pl.col("shown").alias(chosen + " (%)"), pl.col("area_shown").alias(area + " (%)"),
                       pl.coalesce("comparison", pl.lit("not compared")).alias("Compared with " + area),
                       pl.lit(year_note or "complete").alias("Cohort")),
        key="spine", file_name=f"{chosen.lower().replace(' ', '-')}-{statistic}-{year.replace('/', '-')}-profile.csv",
        caption=f"Grey bar: the range of published locality values; black line: {area}; dot colour: better (blue), "
        f"similar (yellow) or worse (orange) than {area} by the {level}% overlapping-interval rule; white: not "
        "compared (not published, a maturing cohort, or a label the rounding of the counts could change). [u]: could "
        "be more than 2.5 points from the exact percentage.",
    )

    st.header("All localities for one measure")
    one_measure_tiles(percents, statistic, year, year_note, maturity)
    explain_symbols(pl.concat([profile.select("shown"), profile.select(shown="area_shown")]))

    st.header(f"A briefing for {chosen}")
    info = publication_info()
    title = f"Dorset Families Matter: {chosen} briefing"
    briefing_stem = f"{chosen.lower().replace(' ', '-')}-briefing"
    st.write(f"{chosen}'s twelve measures: the latest complete year (three years pooled where the single year is "
             f"hidden), {area}'s value, the comparison, last year's value and the trend. A printable PDF, or the same "
             "figures as a spreadsheet with numbers stored as numbers. The file is made when you click.")


    def briefing_files() -> dict[str, bytes]:
        """The three briefing files of the chosen locality, built on the first click and kept for the edition (building
        them on every rerun cost each selection change a PDF and two spreadsheets)."""

        def build() -> dict[str, bytes]:
            summaries = {label: locality_summary(progress, maturity_table, chosen, area, name, short_label)
                         for name, label in OUTCOMES.items()}
            files = locality_files(title, info, summaries)
            files["pdf"] = briefing_pdf(
                title, info, [(f"{label}: {chosen} on the twelve measures", summary_table(summary, chosen, area))
                              for label, summary in summaries.items()],
                notes=[f"Compared with {area} by the {level}% overlapping-interval rule. Trends over the last five "
                       f"complete years, at the {TREND_LEVEL}% level."])
            return files

        return kept(("briefing", info.get("edition_digest"), info.get("published_at"), chosen), build)

    formats = (("pdf", "PDF"), ("xlsx", "Excel"), ("ods", "OpenDocument"))
    for column, (extension, label) in zip(st.columns(3), formats, strict=True):
        name = f"{briefing_stem}.{extension}"
        column.download_button(f"{label} (.{extension})", lambda extension=extension: briefing_files()[extension],
                               file_name=name, mime=MIME[extension], key=f"briefing-{extension}", on_click=log_download,
                               args=("localities", name))


@st.fragment(key="localities-tiles")
def one_measure_tiles(percents: pl.DataFrame, statistic: str, year: str, year_note: str | None,
                      maturity: pl.DataFrame) -> None:
    """The tile map of all localities for one measure: its Measure picker reruns this part alone."""
    measure_id = url_choice("Measure", list(short_label), "measure", format_func=lambda m: f"{m} {short_label[m]}",
                            fragment="localities-tiles")
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
    tile_map.update_layout(title=f"{measure_id} {short_label[measure_id]}: {OUTCOMES[statistic].lower()} (%), "
                           f"{period_label(year, maturity, statistic)}",
                           height=420, showlegend=False)
    chart_with_table(
        tile_map,
        tiles.select(pl.col("locality").alias("Locality"), pl.col("shown").alias("%"),
                     pl.coalesce("comparison", pl.lit("not compared")).alias("Compared with " + area),
                     pl.lit(year_note or "complete").alias("Cohort")),
        key="tiles", file_name=f"{measure_id}-{statistic}-{year.replace('/', '-')}-tiles.csv",
        caption=f"Tile colours: blue better, yellow similar, orange worse than {area}; white not compared.",
    )


locality_views()
