"""Measures: the twelve measures by locality (heat map), and one measure in detail."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from pages._breakdowns import breakdown_choices, breakdown_grid, not_offered_sentence, pooled_period_for, pooled_words
from pages._heat_grid import heat_grid
from pages._layout import (
    COMPARISON_COLOURS,
    OUTCOMES,
    chart_with_table,
    comparison_colour,
    explain_symbols,
    outcome_and_year,
    page_header,
    percent_bars,
    url_choice,
)
from pages._published import published_table, require_page, settings
from pages._views import (
    TREND_LEVEL,
    financial_years,
    interval_shown,
    maturity_note,
    period_label,
    pooled_periods,
    select_cells,
    trend_labels,
    with_order,
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
rows_order = [*localities, area]
COMPARISON_WORDS = {"better": "better", "similar": "similar", "worse": "worse", "not compared": "not compared",
                    "benchmark": area}


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
    overall = select_cells(percents, breakdown="none", category="All", period=year, locality=[*localities, area])
    label_of = {m.id: m.short_label for m in catalogue.measures}
    cells = overall.with_columns(
        comparison=pl.when(pl.col("locality") == area).then(pl.lit("benchmark")).otherwise(
            pl.coalesce("comparison", pl.lit("not compared"))),
        measure_label=pl.col("measure").replace_strict(label_of, default=None),
    )
    heat = heat_grid(
        cells.with_columns(column=pl.col("measure"), row=pl.col("locality"), hover=pl.col("comparison"),
                           colour=pl.col("comparison").str.split(" (").list.first()),
        columns=list(measures), rows=rows_order, column_labels=label_of, colours=COMPARISON_COLOURS,
        names=COMPARISON_WORDS, hover="%{x}",
        title=f"{OUTCOMES[statistic]} (%), support starting {period_label(year, maturity, statistic)}: localities "
        f"compared with {area}")
    heat_table = with_order(cells, "locality", rows_order).select(
        pl.col("locality").alias("Locality"), pl.col("measure").alias("Measure"),
        pl.col("measure_label").alias("Label"), pl.col("shown").alias(OUTCOMES[statistic] + " (%)"),
        pl.col("comparison").alias("Compared with " + area), pl.lit(year_note or "complete").alias("Cohort"))
    chart_with_table(
        heat, heat_table, key="heatmap", file_name=f"measures-{statistic}-{year.replace('/', '-')}.csv",
        caption=f"Colours: blue better, yellow similar, orange worse than {area}; white not compared; grey {area} "
        f"itself. Method: a locality is better or worse than {area} when {area}'s value lies outside the locality's "
        f"{level}% Wilson confidence interval, and similar when it lies inside (the overlapping-interval rule used by "
        "Fingertips). Not compared: the percentage is not published, the cohort is maturing, or the label could differ "
        "on the exact counts (rounding). [u]: the percentage could be more than 2.5 points from the exact one.",
    )
    explain_symbols(overall)

    # --- one measure in detail -------------------------------------------------------------------------------------
    measure = measures[measure_id]
    st.header(f"{measure.id} {measure.label}")
    chart_column, about_column = st.columns([2, 1])
    with about_column:
        st.subheader("About this measure")
        st.markdown(
            f"**Need present when:** {measure.definition}  \n**Counted:** {measure.unit}s · {measure.population}  \n"
            f"**Numerator:** {measure.numerator}  \n**Denominator:** {measure.denominator}  \n"
            f"**Source:** {measure.source}  \n**Polarity:** a higher % improved or sustained is better.  \n"
            "**Improved:** the need was absent at the six-month review (182 days after support began), or at closure "
            "if support ended before then; later observations, such as the 12-month check used for the impact "
            "estimate, do not count.  \n**Sustained:** improved, absent when support ended, and not present at any "
            "check in the six months after (the Supporting Families rule); only for support that ended at least six "
            "months ago.  \n"
            f"**Who is counted:** {measure.unit}s with the need in the six months before support began"
            + (f", aged {measure.min_age} to {measure.max_age} on that date (age not recorded: counted)"
               if measure.unit == "person" and measure.max_age < 150 else
               f", aged {measure.min_age} or over on that date (age not recorded: counted)"
               if measure.unit == "person" else "") + ".  \n"
            f"**Caveats:** {measure.caveats}"
        )
        st.caption(catalogue.list_statement)

    this_measure = percents.filter(pl.col("measure") == measure_id)
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
    places = list(dict.fromkeys([place, area]))
    trend_rows = select_cells(this_measure, breakdown="none", category="All", locality=places, period=years)
    trend_rows = with_order(with_order(trend_rows, "period", years), "locality", places).join(
        maturity, on="period", how="left").with_columns(
        cohort=pl.when(pl.col("status") == "maturing").then(pl.lit("maturing")).otherwise(pl.lit("complete")))
    tag = trend_labels(progress.filter(pl.col("measure") == measure_id), statistic).filter(pl.col("locality") == place)
    tag_text = tag["trend"].item() if tag.height else "cannot be calculated"
    trend = go.Figure()
    for where in places:
        rows = trend_rows.filter(pl.col("locality") == where)
        colour = "#0072B2" if where == place else "#555555"
        if where == place:
            trend.add_scatter(x=rows["period"].to_list(), y=rows["ci_upper"].to_list(), mode="lines",
                              line={"width": 0}, showlegend=False, hoverinfo="skip")
            trend.add_scatter(x=rows["period"].to_list(), y=rows["ci_lower"].to_list(), mode="lines",
                              line={"width": 0}, fill="tonexty", fillcolor="rgba(0,114,178,0.18)",
                              name=f"{level}% confidence interval", hoverinfo="skip")
        trend.add_scatter(x=rows["period"].to_list(), y=rows["value"].to_list(), mode="lines+markers",
                          name=where, line={"color": colour, "dash": "solid" if where == place else "dash"},
                          customdata=rows["shown"].to_list(), connectgaps=False,
                          marker={"symbol": ["circle-open" if c == "maturing" else "circle"
                                             for c in rows["cohort"].to_list()], "size": 10},
                          hovertemplate=where + ", %{x}: %{customdata}<extra></extra>")
        for period, shown in rows.filter(pl.col("value").is_null()).select("period", "shown").iter_rows():
            trend.add_annotation(x=period, y=0.04 if where == place else 0.12, yref="y domain", text=shown,
                                 showarrow=False, font={"color": colour})  # a hidden year: its symbol, not a hole
    trend.update_layout(title=f"{place}: {OUTCOMES[statistic].lower()} (%) by year support began. "
                        f"Trend: {tag_text}", yaxis={"range": [0, 100], "title": "% (higher is better)"},
                        xaxis={"type": "category", "categoryorder": "array", "categoryarray": years})
    chart_with_table(
        trend,
        trend_rows.select(pl.col("locality").alias("Where"), pl.col("period").alias("Financial year"),
                          pl.col("shown").alias("%"),
                          interval_shown("ci_lower").alias("CI lower"), interval_shown("ci_upper").alias("CI upper"),
                          pl.struct("status", "share_due").map_elements(
                              lambda row: maturity_note(row["status"], row["share_due"], statistic) or "complete",
                              return_dtype=pl.String).alias("Cohort")),
        key="trend", file_name=f"{measure_id}-{statistic}-{place.lower().replace(' ', '-')}-trend.csv",
        caption=f"Trend from the chi-square test for trend over the last five complete years ({TREND_LEVEL}% level, "
        "checked by leaving each year out); maturing years (open markers) and the current part year are left out; "
        "fewer than five complete published years: cannot be calculated. A gap in a line is a year whose figure is "
        "not shown, labelled with its symbol."
        + (f" Dashed: {area}." if place != area else ""),
    )

    compare = select_cells(this_measure, breakdown="none", category="All", period=year, locality=rows_order)
    compare = with_order(compare, "locality", rows_order)
    colours = [comparison_colour(c) if loc != area else COMPARISON_COLOURS["benchmark"]
               for c, loc in zip(compare["comparison"].to_list(), compare["locality"].to_list(), strict=True)]
    title = f"Localities compared, support starting {period_label(year, maturity, statistic)} ({level}% intervals)"
    chart_with_table(
        percent_bars(compare, "locality", colours, title),
        compare.select(pl.col("locality").alias("Locality"), pl.col("shown").alias("%"),
                       interval_shown("ci_lower").alias("CI lower"), interval_shown("ci_upper").alias("CI upper"),
                       pl.when(pl.col("locality") == area).then(pl.lit("the benchmark")).otherwise(
                           pl.coalesce("comparison", pl.lit("not compared"))).alias("Compared with " + area),
                       pl.lit(year_note or "complete").alias("Cohort")),
        key="localities", file_name=f"{measure_id}-{statistic}-{year.replace('/', '-')}-localities.csv",
        caption="Bars show published percentages; whiskers the confidence interval. [c]: not published.",
    )

    breakdowns = config.breakdowns
    choices = breakdown_choices(role.breakdowns, set(this_measure["breakdown"].unique().to_list()), measure.unit,
                                breakdowns)
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
            split = with_order(select_cells(this_measure, breakdown=breakdown_id, period=period, locality=place),
                               "category", order)
            colours = [comparison_colour(c) for c in split["comparison"].to_list()] if place != area else "#0072B2"
            title = f"{place}, support starting {pooled_words(period)}, by {breakdown.label}"
            chart_with_table(
                percent_bars(split, "category", colours, title),
                split.select(pl.col("category").alias("Category"), pl.col("shown").alias("%"),
                             interval_shown("ci_lower").alias("CI lower"), interval_shown("ci_upper").alias("CI upper"),
                             *([pl.coalesce("comparison", pl.lit("not compared")).alias(
                                 f"Compared with {area}, same group")] if place != area else []),
                             pl.lit((year_note or "complete") if period == year else pooled_words(period)).alias(
                                 "Cohort")),
                key="breakdown",
                file_name=f"{measure_id}-{statistic}-{breakdown_id}-{place.lower().replace(' ', '-')}-"
                f"{period.replace('/', '-')}.csv",
                caption="One breakdown at a time; 'Not recorded' is shown so categories add up to the total."
                + (f" Bar colours: each group compared with the same group in {area} (blue better, yellow similar, "
                   "orange worse, white not compared)." if place != area else ""),
            )
            shown_breakdowns.append(split)
        if pooled is not None:
            grid = breakdown_grid(this_measure, breakdown_id, pooled, rows_order, order)
            grid = grid.with_columns(
                colour=pl.when(pl.col("locality") == area).then(pl.lit("benchmark")).otherwise(
                    pl.coalesce(pl.col("comparison").str.split(" (").list.first(), pl.lit("not compared"))),
                hover=pl.when(pl.col("locality") == area).then(pl.lit(area)).otherwise(
                    pl.coalesce("comparison", pl.lit("not compared"))))
            wide = grid.pivot(on="category", index="locality", values="shown", aggregate_function="first",
                              maintain_order=True).rename({"locality": "Locality"})
            chart_with_table(
                heat_grid(grid.with_columns(column=pl.col("category"), row=pl.col("locality")), columns=order,
                          rows=rows_order, column_labels={c: c for c in order}, colours=COMPARISON_COLOURS,
                          names=COMPARISON_WORDS, hover="%{x}",
                          title=f"Localities by {breakdown.label.lower()}, {pooled_words(pooled)}"),
                wide, key="breakdown-localities",
                file_name=f"{measure_id}-{statistic}-{breakdown_id}-localities-{pooled.replace('/', '-')}.csv",
                caption=f"{OUTCOMES[statistic]} (%) for each locality and group, {pooled_words(pooled)}: a locality's "
                "breakdowns are published for three years together only. Colours: each locality's group compared "
                f"with the same group in {area} (blue better, yellow similar, orange worse, white not compared; grey "
                f"{area} itself).",
            )
            shown_breakdowns.append(grid)
    elif why_not:
        st.subheader("Breakdowns")
        st.caption(why_not)
    explain_symbols(pl.concat([progress.filter(pl.col("measure") == measure_id, pl.col("period") == year).select(
        "symbol"), *(frame.select(symbol=pl.col("shown").str.extract(r"(\[[cxz]\])")) for frame in shown_breakdowns)]))


measure_views()
