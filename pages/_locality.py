"""One locality at a glance: its twelve measures in one table, in the manner of Fingertips' area profiles.

For a service manager's question "how is my locality doing, and is it getting better?". Plain functions over
published rows: every value is a published value or symbol (a hidden one is labelled [c], [x] or [z], never
blank), and the change on last year is shown as last year's published value and a word, not as a new number.
"""

from __future__ import annotations

import polars as pl

from data_access.published_catalogue import NOT_AVAILABLE
from metrics.maturity import COMPLETE
from metrics.periods import pooled_period_holding
from pages._shared import shared
from pages._views import (
    best_default_year,
    financial_years,
    maturity_view,
    percent_view,
    period_label,
    pooled_periods,
    trend_labels,
)

NO_TREND = "cannot be calculated"
BETTER = {"higher_is_better": "higher is better", "lower_is_better": "lower is better"}
"""A measure's polarity (config/measures.toml) in words, for the "which way is good" column."""
COLUMNS = ("measure", "label", "period", "pooled", "value", "shown", "area_value", "area_shown", "comparison",
           "previous_period", "previous_value", "previous_shown", "change", "trend")


def _cell(percents: pl.DataFrame, measure: str, locality: str, period: str | None) -> dict | None:
    if period is None:
        return None
    rows = percents.filter(pl.col("measure") == measure, pl.col("locality") == locality, pl.col("period") == period,
                           pl.col("breakdown") == "none", pl.col("category") == "All")
    return rows.row(0, named=True) if rows.height else None


def _change(latest: float | None, previous: float | None) -> str:
    if latest is None or previous is None:
        return "not available"
    return "up" if latest > previous else "down" if latest < previous else "no change"


@shared
def locality_summary(progress: pl.DataFrame, maturity_table: pl.DataFrame, locality: str, area: str,
                     statistic: str, measures: dict[str, str]) -> pl.DataFrame:
    """One row per measure (in `measures` order: id -> label) for `locality`, from the published measure_progress
    and cohort_maturity tables.

    The year is the latest complete one in which most of the area's percentages are published (as the pages open
    on). Where the locality's single-year value is hidden, the pooled three-year period that holds that year is
    shown instead if it is published (pooled is True and the period says so); otherwise the single year's symbol. The
    comparison with the area is the published one of the period shown; the change on last year compares two
    published single-year values (shown as "up", "down", "no change" or "not available"); the trend is the
    published trend label over complete years.
    """
    percents = percent_view(progress, statistic)
    maturity = maturity_view(maturity_table, "measure_progress", statistic)
    year = best_default_year(percents, area, maturity)
    years = financial_years(percents)
    previous_year = next((y for y in reversed(years) if year is not None and y < year), None)
    pooled = pooled_periods(percents)
    trends = {row["measure"]: row["trend"] for row in
              trend_labels(progress, statistic).filter(pl.col("locality") == locality).iter_rows(named=True)}
    rows = []
    for measure, label in measures.items():
        single = _cell(percents, measure, locality, year)
        chosen, period, is_pooled = single, year, False
        if single is None or single["value"] is None:
            pooled_period = pooled_period_holding(pooled, year) if year else None
            pooled_cell = _cell(percents, measure, locality, pooled_period)
            if pooled_cell is not None and pooled_cell["value"] is not None:
                chosen, period, is_pooled = pooled_cell, pooled_period, True
        benchmark = _cell(percents, measure, area, period)
        before = _cell(percents, measure, locality, previous_year)
        rows.append({
            "measure": measure, "label": label, "period": period, "pooled": is_pooled,
            "value": chosen["value"] if chosen else None,
            "shown": chosen["shown"] if chosen else NOT_AVAILABLE,
            "area_value": benchmark["value"] if benchmark else None,
            "area_shown": benchmark["shown"] if benchmark else NOT_AVAILABLE,
            "comparison": (chosen or {}).get("comparison") or "not compared",
            "previous_period": previous_year,
            "previous_value": before["value"] if before else None,
            "previous_shown": before["shown"] if before else NOT_AVAILABLE,
            "change": _change(single["value"] if single else None, before["value"] if before else None),
            "trend": trends.get(measure) or NO_TREND,
        })
    schema = {"measure": pl.String, "label": pl.String, "period": pl.String, "pooled": pl.Boolean,
              "value": pl.Float64, "shown": pl.String, "area_value": pl.Float64, "area_shown": pl.String,
              "comparison": pl.String, "previous_period": pl.String, "previous_value": pl.Float64,
              "previous_shown": pl.String, "change": pl.String, "trend": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")


@shared
def summary_table(summary: pl.DataFrame, locality: str, area: str,
                  better: dict[str, str] | None = None) -> pl.DataFrame:
    """The table a reader sees (and the PDF briefing prints): text as published, hidden values as symbols.

    `better` (measure id -> polarity, config/measures.toml) adds a column saying which direction is good. For the
    area itself there is nothing to compare with, so its own column and the comparison are left out.
    """
    previous = summary["previous_period"].drop_nulls()
    last_year = f"Last year ({previous[0]})" if previous.len() else "Last year"
    columns = [
        pl.col("label").alias("Measure"),
        *([pl.col("measure").replace_strict({m: BETTER.get(p, p) for m, p in better.items()}, default="not stated")
           .alias("Which way is good")] if better is not None else []),
        pl.struct("period", "pooled").map_elements(
            lambda cell: period_label(cell["period"]) if cell["period"] else NOT_AVAILABLE,
            return_dtype=pl.String).alias("Period"),
        pl.col("shown").alias(locality),
        *([pl.col("area_shown").alias(area), pl.col("comparison").alias(f"Compared with {area}")]
          if locality != area else []),
        pl.col("previous_shown").alias(last_year),
        pl.col("change").alias("Change on last year"),
        pl.col("trend").alias("Trend"),
    ]
    return summary.select(columns)


@shared
def complete_single_years(progress: pl.DataFrame, maturity_table: pl.DataFrame, statistic: str) -> list[str]:
    """The financial years whose cohorts are complete for `statistic`, oldest first (what a trend line spans)."""
    maturity = maturity_view(maturity_table, "measure_progress", statistic)
    maturing = set(maturity.filter(pl.col("status") != COMPLETE)["period"].to_list())
    return [year for year in financial_years(percent_view(progress, statistic)) if year not in maturing]


@shared
def trend_series(progress: pl.DataFrame, maturity_table: pl.DataFrame, locality: str, area: str, statistic: str,
                 measures: dict[str, str]) -> pl.DataFrame:
    """Each measure's published single-year values over the complete years, for `locality` and the area: one row
    per measure x year x place (measure, label, period, place, value, shown). A hidden year keeps its row with a
    null value and its symbol as `shown`, so a line has a gap there and the chart can label it; a year with no
    published row at all is shown as [x]."""
    years = complete_single_years(progress, maturity_table, statistic)
    places = list(dict.fromkeys([locality, area]))
    cells = _single_year_cells(percent_view(progress, statistic), list(measures), places, years)
    grid = pl.DataFrame(
        [(measure, label, year, place) for measure, label in measures.items() for year in years for place in places],
        schema={"measure": pl.String, "label": pl.String, "period": pl.String, "place": pl.String}, orient="row")
    return grid.join(cells, on=["measure", "period", "place"], how="left").with_columns(
        shown=pl.coalesce("shown", pl.lit(NOT_AVAILABLE)))


def _single_year_cells(percents: pl.DataFrame, measures: list[str], places: list[str], years: list[str]
                       ) -> pl.DataFrame:
    return percents.filter(pl.col("measure").is_in(measures), pl.col("locality").is_in(places),
                           pl.col("period").is_in(years), pl.col("breakdown") == "none",
                           pl.col("category") == "All").select("measure", "period", place=pl.col("locality"),
                                                               value=pl.col("value"), shown=pl.col("shown"))
