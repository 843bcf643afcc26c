"""The Measures page's charts and their tables, made from published frames and plain choices (no streamlit), each
shared by every visitor who asks for the same selection (pages._shared)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from pages._breakdowns import breakdown_grid, pooled_words
from pages._charts import COMPARISON_COLOURS, OUTCOMES, Chart, add_annotations, comparison_colour, percent_bars
from pages._heat_grid import heat_grid
from pages._shared import shared
from pages._views import interval_shown, maturity_note, period_label, select_cells, trend_labels, with_order


def comparison_words(area: str) -> dict[str, str]:
    return {"better": "better", "similar": "similar", "worse": "worse", "not compared": "not compared",
            "benchmark": area}


@shared
def measures_heat_map(percents: pl.DataFrame, statistic: str, year: str, year_note: str | None,
                      maturity: pl.DataFrame, area: str, localities: list[str], label_of: dict[str, str]) -> Chart:
    """Localities (and the area) by measure for one year, coloured by their comparison with the area."""
    rows_order = [*localities, area]
    overall = select_cells(percents, breakdown="none", category="All", period=year, locality=rows_order)
    cells = overall.with_columns(
        comparison=pl.when(pl.col("locality") == area).then(pl.lit("benchmark")).otherwise(
            pl.coalesce("comparison", pl.lit("not compared"))),
        measure_label=pl.col("measure").replace_strict(label_of, default=None),
    )
    heat = heat_grid.uncached(
        cells.with_columns(column=pl.col("measure"), row=pl.col("locality"), hover=pl.col("comparison"),
                           colour=pl.col("comparison").str.split(" (").list.first()),
        columns=list(label_of), rows=rows_order, column_labels=label_of, colours=COMPARISON_COLOURS,
        names=comparison_words(area), hover="%{x}",
        title=f"{OUTCOMES[statistic]} (%), support starting {period_label(year, maturity, statistic)}: localities "
        f"compared with {area}")
    table = with_order(cells, "locality", rows_order).select(
        pl.col("locality").alias("Locality"), pl.col("measure").alias("Measure"),
        pl.col("measure_label").alias("Label"), pl.col("shown").alias(OUTCOMES[statistic] + " (%)"),
        pl.col("comparison").alias("Compared with " + area), pl.lit(year_note or "complete").alias("Cohort"))
    return Chart(heat, table, overall)


@shared
def measure_trend(this_measure: pl.DataFrame, progress: pl.DataFrame, measure_id: str, statistic: str, place: str,
                  area: str, years: list[str], maturity: pl.DataFrame, level: str) -> Chart:
    """One measure's yearly values for a place (with its confidence band) and the area, and the trend label."""
    places = list(dict.fromkeys([place, area]))
    trend_rows = select_cells(this_measure, breakdown="none", category="All", locality=places, period=years)
    trend_rows = with_order(with_order(trend_rows, "period", years), "locality", places).join(
        maturity, on="period", how="left").with_columns(
        cohort=pl.when(pl.col("status") == "maturing").then(pl.lit("maturing")).otherwise(pl.lit("complete")))
    tag = trend_labels(select_cells(progress, measure=measure_id), statistic).filter(pl.col("locality") == place)
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
        add_annotations(trend, [  # a hidden year: its symbol, not a hole
            {"x": period, "y": 0.04 if where == place else 0.12, "yref": "y domain", "text": shown,
             "showarrow": False, "font": {"color": colour}}
            for period, shown in rows.filter(pl.col("value").is_null()).select("period", "shown").iter_rows()])
    trend.update_layout(title=f"{place}: {OUTCOMES[statistic].lower()} (%) by year support began. "
                        f"Trend: {tag_text}", yaxis={"range": [0, 100], "title": "% (higher is better)"},
                        xaxis={"type": "category", "categoryorder": "array", "categoryarray": years})
    table = trend_rows.select(
        pl.col("locality").alias("Where"), pl.col("period").alias("Financial year"), pl.col("shown").alias("%"),
        interval_shown("ci_lower").alias("CI lower"), interval_shown("ci_upper").alias("CI upper"),
        pl.struct("status", "share_due").map_elements(
            lambda row: maturity_note(row["status"], row["share_due"], statistic) or "complete",
            return_dtype=pl.String).alias("Cohort"))
    return Chart(trend, table, trend_rows)


@shared
def localities_compared(this_measure: pl.DataFrame, statistic: str, year: str, year_note: str | None,
                        maturity: pl.DataFrame, area: str, localities: list[str], level: str) -> Chart:
    """One measure's localities and the area for one year, as bars with their intervals."""
    rows_order = [*localities, area]
    compare = with_order(select_cells(this_measure, breakdown="none", category="All", period=year,
                                      locality=rows_order), "locality", rows_order)
    colours = [comparison_colour(c) if loc != area else COMPARISON_COLOURS["benchmark"]
               for c, loc in zip(compare["comparison"].to_list(), compare["locality"].to_list(), strict=True)]
    title = f"Localities compared, support starting {period_label(year, maturity, statistic)} ({level}% intervals)"
    table = compare.select(
        pl.col("locality").alias("Locality"), pl.col("shown").alias("%"),
        interval_shown("ci_lower").alias("CI lower"), interval_shown("ci_upper").alias("CI upper"),
        pl.when(pl.col("locality") == area).then(pl.lit("the benchmark")).otherwise(
            pl.coalesce("comparison", pl.lit("not compared"))).alias("Compared with " + area),
        pl.lit(year_note or "complete").alias("Cohort"))
    return Chart(percent_bars.uncached(compare, "locality", colours, title), table, compare)


@shared
def breakdown_split(this_measure: pl.DataFrame, breakdown_id: str, breakdown_label: str, order: list[str],
                    period: str, year: str, year_note: str | None, place: str, area: str) -> Chart:
    """One place's published values by the categories of one breakdown, for one (possibly pooled) period."""
    split = with_order(select_cells(this_measure, breakdown=breakdown_id, period=period, locality=place),
                       "category", order)
    colours = [comparison_colour(c) for c in split["comparison"].to_list()] if place != area else "#0072B2"
    title = f"{place}, support starting {pooled_words(period)}, by {breakdown_label}"
    table = split.select(
        pl.col("category").alias("Category"), pl.col("shown").alias("%"),
        interval_shown("ci_lower").alias("CI lower"), interval_shown("ci_upper").alias("CI upper"),
        *([pl.coalesce("comparison", pl.lit("not compared")).alias(f"Compared with {area}, same group")]
          if place != area else []),
        pl.lit((year_note or "complete") if period == year else pooled_words(period)).alias("Cohort"))
    return Chart(percent_bars.uncached(split, "category", colours, title), table, split)


@shared
def breakdown_localities(this_measure: pl.DataFrame, breakdown_id: str, breakdown_label: str, order: list[str],
                         pooled: str, area: str, localities: list[str]) -> Chart:
    """Every locality (and the area) by the categories of one breakdown, for a pooled period, as a coloured grid."""
    rows_order = [*localities, area]
    grid = breakdown_grid(this_measure, breakdown_id, pooled, rows_order, order)
    grid = grid.with_columns(
        colour=pl.when(pl.col("locality") == area).then(pl.lit("benchmark")).otherwise(
            pl.coalesce(pl.col("comparison").str.split(" (").list.first(), pl.lit("not compared"))),
        hover=pl.when(pl.col("locality") == area).then(pl.lit(area)).otherwise(
            pl.coalesce("comparison", pl.lit("not compared"))))
    wide = grid.pivot(on="category", index="locality", values="shown", aggregate_function="first",
                      maintain_order=True).rename({"locality": "Locality"})
    figure = heat_grid.uncached(
        grid.with_columns(column=pl.col("category"), row=pl.col("locality")), columns=order, rows=rows_order,
        column_labels={c: c for c in order}, colours=COMPARISON_COLOURS, names=comparison_words(area), hover="%{x}",
        title=f"Localities by {breakdown_label.lower()}, {pooled_words(pooled)}")
    return Chart(figure, wide, grid)


@shared
def breakdowns_published(this_measure: pl.DataFrame) -> set[str]:
    return set(this_measure["breakdown"].unique().to_list())


@shared
def measure_symbols(progress: pl.DataFrame, measure_id: str, year: str, breakdown_frames: tuple[pl.DataFrame, ...]
                    ) -> pl.DataFrame:
    """The symbols the measure's year and its shown breakdowns use, for the page's explanation of symbols."""
    return pl.concat([select_cells(progress, measure=measure_id, period=year).select("symbol"),
                      *(frame.select(symbol=pl.col("shown").str.extract(r"(\[[cxz]\])"))
                        for frame in breakdown_frames)])
