"""Localities: one locality's profile across all measures against Dorset, and a tile map for one measure."""

from __future__ import annotations

import polars as pl
import streamlit as st

from pages._access import log_download
from pages._charts import OUTCOMES
from pages._downloads import MIME, briefing_pdf, kept, locality_files
from pages._layout import chart_with_table, explain_symbols, outcome_and_year, page_header, url_choice
from pages._locality import locality_summary, summary_table
from pages._locality_charts import locality_spine, locality_tiles
from pages._published import publication_info, published_table, require_page, settings
from pages._views import (
    TREND_LEVEL,
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

    spine = locality_spine(percents, chosen, area, statistic, year, year_note, maturity, short_label)
    chart_with_table(
        spine.figure, spine.table,
        key="spine", file_name=f"{chosen.lower().replace(' ', '-')}-{statistic}-{year.replace('/', '-')}-profile.csv",
        caption=f"Grey bar: the range of published locality values; black line: {area}; dot colour: better (blue), "
        f"similar (yellow) or worse (orange) than {area} by the {level}% overlapping-interval rule; white: not "
        "compared (not published, a maturing cohort, or a label the rounding of the counts could change). [u]: could "
        "be more than 2.5 points from the exact percentage.",
    )

    st.header("All localities for one measure")
    one_measure_tiles(percents, statistic, year, year_note, maturity)
    explain_symbols(spine.shown)

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
    tiles = locality_tiles(percents, measure_id, short_label[measure_id], statistic, year, year_note, maturity,
                           tuple(localities), area)
    chart_with_table(
        tiles.figure, tiles.table,
        key="tiles", file_name=f"{measure_id}-{statistic}-{year.replace('/', '-')}-tiles.csv",
        caption=f"Tile colours: blue better, yellow similar, orange worse than {area}; white not compared.",
    )


locality_views()
