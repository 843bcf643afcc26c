"""Overview: families supported per year and locality, and headline outcomes."""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from pages._access import log_download
from pages._charts import OUTCOMES
from pages._layout import arrow_table, chart_with_table, csv_text, explain_symbols, page_header, url_choice
from pages._locality import locality_summary, summary_table, trend_series
from pages._overview_charts import families_starting_chart, glance_symbols
from pages._published import publication_info, published_table, require_page, settings
from pages._trend_chart import trend_lines, trend_table
from pages._views import (
    best_default_year,
    complete_years,
    financial_years,
    headline,
    maturity_note,
    maturity_view,
    needs_sustained_headline,
    percent_view,
    select_cells,
)

require_page("overview")
page_header(
    "Overview",
    "Families supported by Dorset Families Matter in each financial year (April to March), by locality. "
    "Counts are rounded to the nearest 5; small numbers are shown as [c].",
)

config = settings()
area = config.area_name
localities = list(config.locality_names)
families = published_table("families")

info = publication_info()
data_as_of = date.fromisoformat(info["data_as_of"])
full_years = complete_years(families, data_as_of)
all_years = financial_years(families)
last_full = full_years[-1] if full_years else None
before_last = full_years[-2] if len(full_years) > 1 else None
current = all_years[-1] if all_years and all_years[-1] != last_full else None

tiles = st.columns(3)
for column, statistic, label in (
    (tiles[0], "families_attached", "Families starting support"),
    (tiles[1], "families_closed", "Families whose support ended"),
):
    latest = headline(families, statistic, area, last_full, before_last)
    delta = None
    if isinstance(latest["value"], float) and isinstance(latest["previous_value"], float):
        delta = f"{latest['value'] - latest['previous_value']:+.0f} on {before_last}"
    column.metric(f"{label}, {last_full or ''}", latest["shown"], delta=delta, delta_color="off", border=True)
    if current:
        so_far = headline(families, statistic, area, current)
        column.caption(f"{current} so far (to {data_as_of:%d %B %Y}): {so_far['shown']}")
now = headline(families, "families_open_at_end", area, all_years[-1] if all_years else None)
tiles[2].metric(f"Families being supported on {data_as_of:%d %B %Y}", now["shown"], border=True)

outcomes = published_table("family_outcomes")
maturity_table = published_table("cohort_maturity")
sustained_maturity = maturity_view(maturity_table, "measure_progress", "sustained_percent")
success_maturity = maturity_view(maturity_table, "family_outcomes", "successful_percent")
success = percent_view(outcomes, "successful_percent")
success_year = best_default_year(success, area, success_maturity)
success_row = select_cells(success, breakdown="none", category="All", locality=area, period=success_year or "")
complete_sustained = sustained_maturity.filter(pl.col("status") == "complete")["period"].to_list()
needs = needs_sustained_headline(published_table("needs_overview"), area, complete_sustained)
outcome_tiles = st.columns(2)
needs_delta = None
if (isinstance(needs["value"], float) and isinstance(needs["previous_value"], float)
        and needs["measures_included"] == needs["previous_measures_included"]):  # like for like only
    needs_delta = f"{needs['value'] - needs['previous_value']:+.1f} points on {needs['previous_year']}"
outcome_tiles[0].metric(
    f"Needs improved and sustained: support started in {needs['year'] or 'no year yet'}", needs["shown"],
    delta=needs_delta, delta_color="off", border=True,
    help="Across all twelve measures, of the needs people and families had at the start whose support ended at "
    "least six months ago, the share that improved and stayed improved six months after support ended. Made "
    "by adding up the published, rounded counts of each measure, so it can differ slightly from the exact share. "
    "The latest complete year is shown: in later years too few cases have reached their sustainment check.",
)
if isinstance(needs["measures_included"], float):
    included = int(needs["measures_included"])
    outcome_tiles[0].caption(
        f"Based on {included} of the {len(config.measures.measures)} measures"
        + ("." if included == len(config.measures.measures) else
           ": the others have figures too small to show for this year.")
    )
if success_row.height:
    outcome_tiles[1].metric(
        f"Successful family outcomes: families whose support started in {success_year}",
        success_row["shown"].item(), border=True,
        help="Of families whose support ended at least six months ago, the share where every need they had at the "
        "start improved and stayed improved for six months after support ended (the Supporting Families rule). "
        "The latest complete year is shown.",
    )
maturing = sustained_maturity.filter(pl.col("status") == "maturing",
                                     pl.col("period").is_in(financial_years(maturity_table)))
if maturing.height:
    notes = "; ".join(f"{row['period']}: {maturity_note(row['status'], row['share_due'], 'sustained_percent')}"
                      for row in maturing.sort("period").iter_rows(named=True))
    st.caption(f"Maturing years, not shown in these tiles or compared as if complete ({notes}).")

st.header("A locality at a glance")
st.write("Pick a locality to see its twelve measures on one screen: the latest complete year, how it compares with "
         f"{area}, the change on last year and the trend. The locality you pick stays picked on the other pages.")
catalogue = config.measures
short_label = {measure.id: measure.short_label for measure in catalogue.measures}
polarity = {measure.id: measure.polarity for measure in catalogue.measures}
progress = published_table("measure_progress")


@st.fragment(key="overview-glance")
def locality_at_a_glance() -> None:
    """The locality and outcome pickers and what depends on them only: a change reruns this part alone."""
    pickers = st.columns([2, 3])
    locality = url_choice("Locality", [area, *localities], "locality", default=area, container=pickers[0],
                          format_func=lambda name: f"{name} (all localities)" if name == area else name,
                          fragment="overview-glance")
    statistic = url_choice("Outcome", list(OUTCOMES), "outcome", format_func=OUTCOMES.get, container=pickers[1],
                           horizontal_radio=True, fragment="overview-glance")
    summary = locality_summary(progress, maturity_table, locality, area, statistic, short_label)
    at_a_glance = summary_table(summary, locality, area, better=polarity)
    st.dataframe(arrow_table(at_a_glance), hide_index=True, key="locality-summary", height="content")
    st.download_button("Download this table (CSV)", csv_text(at_a_glance), key="locality-summary-download",
                       file_name=f"{locality.lower().replace(' ', '-')}-{statistic}-at-a-glance.csv", mime="text/csv",
                       on_click=log_download, args=("overview", f"{locality.lower().replace(' ', '-')}-{statistic}"
                                                    "-at-a-glance.csv"))
    level = config.policy.confidence_level
    st.caption(
        f"{OUTCOMES[statistic]}: the share of people or families with the need when support began whose need "
        + ("had gone at the six-month review" if statistic == "improved_percent" else
           "improved and stayed gone for six months after support ended")
        + (". For every measure a higher share is better" if set(polarity.values()) == {"higher_is_better"} else
           ". Which way is good for each measure: see its column")
        + ". Period: the latest complete year"
        + (f"; where {locality}'s figure for that year is too small to show, the three years to it pooled"
           if locality != area else "")
        + (f". Compared with {area} by the {level}% overlapping-interval rule (as published)." if locality != area else
           ".")
        + " Change on last year compares the two published single-year figures. Trend: the published label over the "
        "last five complete years."
    )
    series = trend_series(progress, maturity_table, locality, area, statistic, short_label)
    chart_with_table(
        trend_lines(series, locality, area), trend_table(series), key="locality-trends",
        file_name=f"{locality.lower().replace(' ', '-')}-{statistic}-trends.csv",
        caption=f"{OUTCOMES[statistic]} (%) by financial year support began, complete years only. "
        + (f"Solid: {locality}; dashed: {area}. " if locality != area else "")
        + "A gap in a line is a year whose figure is not shown, labelled with its symbol.",
    )
    explain_symbols(glance_symbols(summary, series))


locality_at_a_glance()

by_year = families_starting_chart(families, tuple(localities))
chart_with_table(
    by_year.figure,
    by_year.table,
    key="families-by-year",
    file_name="families-starting-support.csv",
    caption="A financial year runs April to March; the latest year is part-year up to the data date.",
)
explain_symbols(by_year.shown)
