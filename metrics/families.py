"""Family-level counts: families attached, closed and open per period; needs found at assessment."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from data_access.linked_reads import LinkedData
from metrics.periods import financial_year_expr, quarter_expr
from metrics.progress import supported_episodes

FAMILY_STATISTICS = ("families_attached", "families_closed", "families_open_at_end")


def family_attributes(linked: LinkedData) -> pl.LazyFrame:
    """Supported episodes with the attributes the families table breaks down by."""
    needs = linked.eligibility_needs.lazy().group_by("episode_id").agg(needs_at_assessment=pl.len())
    return (
        supported_episodes(linked)
        .join(needs, on="episode_id", how="left")
        .with_columns(pl.col("needs_at_assessment").fill_null(0), measure=pl.lit("all"))
    )


def family_events(linked: LinkedData, period_ends: pl.DataFrame) -> pl.LazyFrame:
    """Event rows (one per family per statistic per period) for the families table.

    `period_ends` has columns period and period_end (the last day of each financial year and quarter).
    """
    families = family_attributes(linked)
    attached = families.with_columns(statistic=pl.lit("families_attached"))
    closed = families.filter(pl.col("closure_date").is_not_null()).with_columns(statistic=pl.lit("families_closed"))
    by_date = [
        frame.with_columns(period=financial_year_expr(pl.col(column)))
        for frame, column in ((attached, "index_date"), (closed, "closure_date"))
    ] + [
        frame.with_columns(period=quarter_expr(pl.col(column)))
        for frame, column in ((attached, "index_date"), (closed, "closure_date"))
    ]
    open_at_end = (
        families.join(period_ends.lazy(), how="cross")
        .filter(
            (pl.col("index_date") <= pl.col("period_end"))
            & (pl.col("closure_date").is_null() | (pl.col("closure_date") > pl.col("period_end")))
        )
        .drop("period_end")
        .with_columns(statistic=pl.lit("families_open_at_end"))
    )
    columns = families.collect_schema().names() + ["statistic", "period"]
    return pl.concat([frame.select(columns) for frame in (*by_date, open_at_end.select(columns))])


def period_ends(years: list[str], quarters: list[str], as_of: date) -> pl.DataFrame:
    """The last day of each period, capped at the data date (a period still running ends 'today')."""
    rows = []
    for year in years:
        start = int(year[:4])
        rows.append((year, min(date(start + 1, 3, 31), as_of)))
    for quarter in quarters:
        start = int(quarter[:4])
        number = int(quarter[-1])
        first_month = 4 + 3 * (number - 1)
        year = start if first_month <= 12 else start + 1
        month = first_month if first_month <= 12 else first_month - 12
        next_month_year, next_month = (year + 1, month + 3 - 12) if month + 3 > 12 else (year, month + 3)
        rows.append((quarter, min(date(next_month_year, next_month, 1) - timedelta(days=1), as_of)))
    return pl.DataFrame(rows, schema={"period": pl.String, "period_end": pl.Date}, orient="row")
