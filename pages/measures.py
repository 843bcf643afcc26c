"""Measures: the twelve measures by locality (heat map), and one measure in detail."""

from __future__ import annotations

import polars as pl
import streamlit as st

from pages._breakdowns import breakdown_choices, not_offered_sentence, pooled_period_for, pooled_words
from pages._charts import OUTCOMES
from pages._layout import chart_with_table, explain_symbols, outcome_and_year, page_header, url_choice
from pages._measure_charts import (
    breakdown_localities,
    breakdown_split,
    breakdowns_published,
    localities_compared,
    measure_symbols,
    measure_trend,
    measures_heat_map,
)
from pages._published import published_table, require_page, settings
from pages._views import (
    TREND_LEVEL,
    financial_years,
    pooled_periods,
    select_cells,
)

role = require_page("measures")
page_header(
    "Measures",
    "Progress for units (people or families, by measure) who had each need when support began: the share whose "
    "need had gone at the six-month review, or at closure if support ended sooner (improved), and the share who had "
    "improved, were without the need when support ended and stayed without it for six months after (sustained). "
    "Localities are compared with Dorset as a whole. Small populations are also shown pooled over three years.",
)

config = settings()
catalogue = config.measures
measures = {measure.id: measure for measure in catalogue.measures}
area = config.area_name
localities = list(config.locality_names)
level = config.policy.confidence_level
progress = published_table("measure_progress")
maturity_table = published_table("cohort_maturity")


@st.fragment(key="measures-views")
def measure_views() -> None:
    """The outcome, year and measure pickers with the heat map and the measure in detail: a change reruns this part
    only, and a change of the detail's locality or breakdown reruns only measure_detail."""
    controls = st.columns(3)
    statistic, percents, maturity, year, year_note = outcome_and_year(
        progress, maturity_table, area, controls[0], controls[1],
        not_compared=f"not compared with {area} and are not part of any trend", fragment="measures-views")
    years = financial_years(progress)
    measure_id = url_choice("Measure in detail", list(measures), "measure",
                            format_func=lambda m: f"{m} {measures[m].label}", container=controls[2],
                            fragment="measures-views")

    # --- heat map: localities x measures ---------------------------------------------------------------------------
    label_of = {m.id: m.short_label for m in catalogue.measures}
    heat = measures_heat_map(percents, statistic, year, year_note, maturity, area, localities, label_of)
    chart_with_table(
        heat.figure, heat.table, key="heatmap", file_name=f"measures-{statistic}-{year.replace('/', '-')}.csv",
        caption=f"Colours: blue better, yellow similar, orange worse than {area}; white not compared; grey {area} "
        f"itself. Method: a locality is better or worse than {area} when {area}'s value lies outside the locality's "
        f"{level}% Wilson confidence interval, and similar when it lies inside (the overlapping-interval rule used by "
        "Fingertips). Not compared: the percentage is not published, the cohort is maturing, or the label could differ "
        "on the exact counts (rounding). [u]: the percentage could be more than 2.5 points from the exact one.",
    )
    explain_symbols(heat.shown)

    # --- one measure in detail -------------------------------------------------------------------------------------
    measure = measures[measure_id]
    st.header(f"{measure.id} {measure.label}")
    chart_column, about_column = st.columns([2, 1])
    with about_column:
        st.subheader("About this measure")
        st.markdown(
            f"**Need present when:** {measure.definition}  \n"
            f"**Counted:** {measure.units_counted} · {measure.population}  \n"
            f"**Numerator:** {measure.numerator}  \n**Denominator:** {measure.denominator}  \n"
            f"**Source:** {measure.source}  \n**Polarity:** a higher % improved or sustained is better.  \n"
            "**Improved:** the need was absent at the six-month review (182 days after support began), or at closure "
            "if support ended before then; later observations, such as the 12-month check used for the impact "
            "estimate, do not count.  \n**Sustained:** improved, absent when support ended, and not present at any "
            "check in the six months after (the Supporting Families rule); only for support that ended at least six "
            "months ago.  \n"
            f"**Who is counted:** {measure.units_counted} with the need in the six months before support began"
            + (f", aged {measure.min_age} to {measure.max_age} on that date (age not recorded: counted)"
               if measure.unit == "person" and measure.max_age < 150 else
               f", aged {measure.min_age} or over on that date (age not recorded: counted)"
               if measure.unit == "person" else "") + ".  \n"
            f"**Caveats:** {measure.caveats}"
        )
        st.caption(catalogue.list_statement)

    this_measure = select_cells(percents, measure=measure_id)
    with chart_column:
        measure_detail(measure, this_measure, statistic, year, year_note, maturity, years)


@st.fragment(key="measures-detail")
def measure_detail(measure, this_measure: pl.DataFrame, statistic: str, year: str, year_note: str | None,
                   maturity: pl.DataFrame, years: list[str]) -> None:
    """One measure for one locality: trend, localities compared and breakdowns (the Locality and Break down by
    pickers rerun this part alone)."""
    measure_id = measure.id
    place = url_choice("Locality", [area, *localities], "locality", default=area,
                       format_func=lambda name: f"{name} (all localities)" if name == area else name,
                           fragment="measures-detail")
    trend = measure_trend(this_measure, progress, measure_id, statistic, place, area, years, maturity, level)
    chart_with_table(
        trend.figure, trend.table,
        key="trend", file_name=f"{measure_id}-{statistic}-{place.lower().replace(' ', '-')}-trend.csv",
        caption=f"Trend from the chi-square test for trend over the last five complete years ({TREND_LEVEL}% level, "
        "checked by leaving each year out); maturing years (open markers) and the current part year are left out; "
        "fewer than five complete published years: cannot be calculated. A gap in a line is a year whose figure is "
        "not shown, labelled with its symbol."
        + (f" Dashed: {area}." if place != area else ""),
    )

    compare = localities_compared(this_measure, statistic, year, year_note, maturity, area, localities, level)
    chart_with_table(
        compare.figure, compare.table,
        key="localities", file_name=f"{measure_id}-{statistic}-{year.replace('/', '-')}-localities.csv",
        caption="Bars show published percentages; whiskers the confidence interval. [c]: not published.",
    )

    breakdowns = config.breakdowns
    choices = breakdown_choices(role.breakdowns, breakdowns_published(this_measure), measure.unit, breakdowns)
    why_not = not_offered_sentence(choices.not_offered, breakdowns)
    shown_breakdowns = []
    if choices.offered:
        st.subheader("Breakdowns")
        breakdown_id = url_choice("Break down by", choices.offered, "breakdown",
                                  format_func=lambda b: breakdowns.by_id(b).label, fragment="measures-detail")
        if why_not:
            st.caption(why_not)
        breakdown = breakdowns.by_id(breakdown_id)
        order = ["All", *breakdown.categories, breakdowns.not_recorded]
        pooled = pooled_period_for(year, pooled_periods(this_measure))
        period = year if place == area else pooled
        if period is None:
            st.info(f"{place}'s breakdowns are published for three years together only, and no three-year period "
                    "is published yet.")
        else:
            if period != year:
                st.info(f"{place}'s breakdowns are published for three years together only (small numbers): shown "
                        f"for {pooled_words(period)}, the period that holds {year} or, for a recent year, the latest "
                        "one.", icon="ℹ️")
            split = breakdown_split(this_measure, breakdown_id, breakdown.label, order, period, year, year_note,
                                    place, area)
            chart_with_table(
                split.figure, split.table,
                key="breakdown",
                file_name=f"{measure_id}-{statistic}-{breakdown_id}-{place.lower().replace(' ', '-')}-"
                f"{period.replace('/', '-')}.csv",
                caption="One breakdown at a time; 'Not recorded' is shown so categories add up to the total."
                + (f" Bar colours: each group compared with the same group in {area} (blue better, yellow similar, "
                   "orange worse, white not compared)." if place != area else ""),
            )
            shown_breakdowns.append(split.shown)
        if pooled is not None:
            grid = breakdown_localities(this_measure, breakdown_id, breakdown.label, order, pooled, area, localities)
            chart_with_table(
                grid.figure,
                grid.table, key="breakdown-localities",
                file_name=f"{measure_id}-{statistic}-{breakdown_id}-localities-{pooled.replace('/', '-')}.csv",
                caption=f"{OUTCOMES[statistic]} (%) for each locality and group, {pooled_words(pooled)}: a locality's "
                "breakdowns are published for three years together only. Colours: each locality's group compared "
                f"with the same group in {area} (blue better, yellow similar, orange worse, white not compared; grey "
                f"{area} itself).",
            )
            shown_breakdowns.append(grid.shown)
    elif why_not:
        st.subheader("Breakdowns")
        st.caption(why_not)
    explain_symbols(measure_symbols(progress, measure_id, year, tuple(shown_breakdowns)))

measure_views()
