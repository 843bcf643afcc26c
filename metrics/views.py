"""Shape published rows for pages: plain functions over published (already protected) frames.

Pages stay thin: they choose what to show and call these. Nothing here sees a true count, so
whatever a chart, table or download shows is exactly a published value or symbol.
"""

from __future__ import annotations

import polars as pl

from metrics.disclosure import SYMBOLS


def display_expr(kind: pl.Expr | None = None) -> pl.Expr:
    """Text for a published cell: the symbol where set, else the number (percents to 1 dp)."""
    value = pl.col("value")
    percent_like = pl.col("kind").is_in(["percent", "ci_lower", "ci_upper"])
    number = (
        pl.when(percent_like)
        .then(value.round(1).cast(pl.String) + pl.lit("%"))
        .otherwise(value.round(0).cast(pl.Int64).cast(pl.String))
    )
    return pl.coalesce(pl.col("symbol"), number).alias("shown")


def select_cells(published: pl.DataFrame, **keys: str | list[str]) -> pl.DataFrame:
    """Filter published rows on any columns; a list means 'one of'."""
    conditions = [pl.col(name).is_in(value) if isinstance(value, list) else pl.col(name) == value
                  for name, value in keys.items()]
    return published.filter(*conditions) if conditions else published


def financial_years(published: pl.DataFrame) -> list[str]:
    """Financial-year periods present (quarters and 'all' excluded), oldest first."""
    periods = published.filter(pl.col("period").str.contains(r"^\d{4}/\d{2}$"))["period"].unique().sort()
    return periods.to_list()


def quarters(published: pl.DataFrame) -> list[str]:
    return published.filter(pl.col("period").str.contains(" Q"))["period"].unique().sort().to_list()


def families_by_year_and_locality(families: pl.DataFrame, statistic: str, localities: list[str]) -> pl.DataFrame:
    """One row per financial year x locality: the published count and what to display."""
    rows = select_cells(families, statistic=statistic, breakdown="none", category="All", locality=localities)
    rows = rows.filter(pl.col("period").is_in(financial_years(families)))
    order = {name: index for index, name in enumerate(localities)}
    return (
        rows.with_columns(display_expr(), locality_order=pl.col("locality").replace_strict(order, default=99))
        .sort("period", "locality_order")
        .select("period", "locality", "value", "symbol", "shown")
    )


def wide_table(long: pl.DataFrame, index: str, columns: str) -> pl.DataFrame:
    """A readable table of displayed values (symbols kept), e.g. years x localities."""
    return long.pivot(on=columns, index=index, values="shown", aggregate_function="first")


def headline(families: pl.DataFrame, statistic: str, area: str) -> dict[str, str | float | None]:
    """The latest financial year's published value for the area, with the previous year's for context."""
    years = financial_years(families)
    rows = select_cells(families, statistic=statistic, breakdown="none", category="All", locality=area)
    result: dict[str, str | float | None] = {"year": None, "value": None, "shown": "[x]", "previous_year": None,
                                             "previous_shown": None, "previous_value": None}
    if not years:
        return result
    shown = rows.with_columns(display_expr())
    for key, year in (("", years[-1]), ("previous_", years[-2] if len(years) > 1 else None)):
        if year is None:
            continue
        row = shown.filter(pl.col("period") == year)
        if row.height:
            result[f"{key}year"] = year
            result[f"{key}value"] = row["value"].item()
            result[f"{key}shown"] = row["shown"].item()
    return result


def symbols_used(frame: pl.DataFrame) -> list[str]:
    """The GSS symbols that appear in what a page shows, so their explanation can be shown beside it."""
    present = set(frame["symbol"].drop_nulls().unique().to_list()) if "symbol" in frame.columns else set()
    return [symbol for symbol in SYMBOLS if symbol in present]


PERCENT_KEYS = ("measure", "locality", "period", "breakdown", "category")


def percent_view(progress: pl.DataFrame, statistic: str) -> pl.DataFrame:
    """One row per cell of a published percentage: value, shown text, CI bounds and comparison label.

    Everything comes from published rows of that statistic (kinds percent, ci_lower, ci_upper,
    comparison); a cell whose percentage is [c] has no interval or comparison to show.
    """
    rows = progress.filter(pl.col("statistic") == statistic)
    percent = rows.filter(pl.col("kind") == "percent").with_columns(display_expr()).select(
        *PERCENT_KEYS, "value", "shown", "numerator", "denominator")

    def bound(kind: str) -> pl.DataFrame:
        return rows.filter(pl.col("kind") == kind).select(*PERCENT_KEYS, pl.col("value").alias(kind))

    comparison = rows.filter(pl.col("kind") == "comparison").select(*PERCENT_KEYS,
                                                                    pl.col("symbol").alias("comparison"))
    return (
        percent.join(bound("ci_lower"), on=PERCENT_KEYS, how="left", nulls_equal=True)
        .join(bound("ci_upper"), on=PERCENT_KEYS, how="left", nulls_equal=True)
        .join(comparison, on=PERCENT_KEYS, how="left", nulls_equal=True)
        .with_columns(pl.when(pl.col("value").is_null()).then(None).otherwise(pl.col(c)).alias(c)
                      for c in ("ci_lower", "ci_upper"))
    )


def count_view(progress: pl.DataFrame, statistics: list[str]) -> pl.DataFrame:
    """Published counts (value and shown text) for the given statistics, one column pair per statistic."""
    rows = progress.filter(pl.col("kind") == "count", pl.col("statistic").is_in(statistics)).with_columns(
        display_expr())
    return rows.pivot(on="statistic", index=list(PERCENT_KEYS), values="shown", aggregate_function="first")


def trend_labels(progress: pl.DataFrame, statistic: str) -> pl.DataFrame:
    """The published trend tag per measure and locality (period 'all')."""
    return progress.filter(pl.col("statistic") == statistic, pl.col("kind") == "trend").select(
        "measure", "locality", pl.coalesce("symbol", pl.lit("cannot be calculated")).alias("trend"))


def with_order(frame: pl.DataFrame, column: str, order: list[str]) -> pl.DataFrame:
    """Sort rows by a given order of one column's values (e.g. localities as configured)."""
    ranks = {name: index for index, name in enumerate(order)}
    return frame.with_columns(_order=pl.col(column).replace_strict(ranks, default=len(order))).sort(
        "_order").drop("_order")


def locality_profile(percents: pl.DataFrame, locality: str, area: str, year: str) -> pl.DataFrame:
    """One locality against the whole area for every measure (spine chart rows), from published percents.

    Columns: measure, value/shown for the locality, area_value/area_shown, lowest/highest published
    value among all localities (the spine's range), comparison.
    """
    year_rows = select_cells(percents, breakdown="none", category="All", period=year)
    localities_only = year_rows.filter(pl.col("locality") != area)
    spread = localities_only.group_by("measure").agg(lowest=pl.col("value").min(), highest=pl.col("value").max())
    chosen = year_rows.filter(pl.col("locality") == locality).select("measure", "value", "shown", "ci_lower",
                                                                       "ci_upper", "comparison")
    benchmark = year_rows.filter(pl.col("locality") == area).select(
        "measure", area_value=pl.col("value"), area_shown=pl.col("shown"))
    return chosen.join(benchmark, on="measure", how="left").join(spread, on="measure", how="left").sort("measure")
