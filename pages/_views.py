"""Shape published rows for pages: the web tier's view-models, plain functions over published (protected) frames.

Pages stay thin: they choose what to show and call these. Nothing here sees a true count, so whatever a chart,
table or download shows is exactly a published value or symbol. No streamlit, no database, and nothing that
protects or tests figures (metrics.disclosure, metrics.stats: highspy, scipy): symbols come from the published
catalogue, and only pure vocabulary modules of metrics (periods, maturity, reliability) are used
(tests/pages/test_web_tier_imports.py).
"""

from __future__ import annotations

import polars as pl

from data_access.published_catalogue import GSS_SYMBOLS as SYMBOLS
from data_access.published_catalogue import LOW_RELIABILITY
from data_access.published_catalogue import REVISION_REASONS as REASON_ORDER
from metrics.maturity import COMPLETE, MATURING, WHAT_IS_DUE, period_statuses
from metrics.maturity import SOURCES as MATURITY_SOURCES
from metrics.periods import FINANCIAL_YEAR_PATTERN, POOLED_PATTERN, is_pooled
from metrics.reliability import RELIABLE_WITHIN_PP
from pages._shared import shared

SYMBOL_MEANINGS = {  # what each symbol a page or file shows means
    "[c]": "confidential: a small number, or one that would let a small number be worked out, is not shown",
    "[x]": "not available",
    "[z]": "not applicable",
    "[u]": "low reliability: made from rounded counts, this percentage could be more than 2.5 points from the true one",
}


def display_expr(kind: pl.Expr | None = None) -> pl.Expr:
    """Text for a published cell: the symbol where set, else the number (percents to 1 dp)."""
    value = pl.col("value")
    percent_like = pl.col("kind").is_in(["percent", "ci_lower", "ci_upper", "percent_of_published",
                                         "supported_share", "comparison_share"])
    number = (
        pl.when(percent_like)
        .then(value.round(1).cast(pl.String) + pl.lit("%"))
        .otherwise(value.round(0).cast(pl.Int64).cast(pl.String))
    )
    return pl.coalesce(pl.col("symbol"), number).alias("shown")


@shared
def select_cells(published: pl.DataFrame, **keys: str | list[str]) -> pl.DataFrame:
    """Filter published rows on any columns; a list means 'one of'."""
    conditions = [pl.col(name).is_in(value) if isinstance(value, list) else pl.col(name) == value
                  for name, value in keys.items()]
    return published.filter(*conditions) if conditions else published


@shared
def financial_years(published: pl.DataFrame) -> list[str]:
    """Financial-year periods present (quarters, pooled periods and 'all' excluded), oldest first."""
    periods = published.filter(pl.col("period").str.contains(FINANCIAL_YEAR_PATTERN))["period"].unique().sort()
    return periods.to_list()


@shared
def pooled_periods(published: pl.DataFrame) -> list[str]:
    """Pooled periods present ("2021/22-2023/24": three complete years added together), oldest first."""
    return published.filter(pl.col("period").str.contains(POOLED_PATTERN))["period"].unique().sort().to_list()


@shared
def year_choices(published: pl.DataFrame) -> list[str]:
    """Single financial years and pooled periods, newest first, each pooled period after the year it ends with."""
    periods = financial_years(published) + pooled_periods(published)
    return sorted(periods, key=lambda p: (p[-7:], not is_pooled(p)), reverse=True)


@shared
def maturity_view(maturity: pl.DataFrame, table: str, statistic: str) -> pl.DataFrame:
    """period, status (complete / maturing) and share_due (%) of one statistic, from the published cohort_maturity
    table; a period not listed is complete (tables without maturing cohorts)."""
    rows = period_statuses(maturity).filter(pl.col("table") == table, pl.col("statistic") == statistic)
    return rows.select("period", "status", "share_due")


def maturity_note(status: str | None, share_due: float | None, statistic: str) -> str:
    """ "", or e.g. "maturing: 18.2% due a sustainment check so far" for a table cell or a title."""
    if status != MATURING:
        return ""
    due = next((WHAT_IS_DUE[source.due] for source in MATURITY_SOURCES if source.statistic == statistic),
               "followed up")
    share = "" if share_due is None else f"{share_due:.1f}% "
    return f"maturing: {share}{due} so far"


@shared
def period_label(period: str, maturity: pl.DataFrame | None = None, statistic: str | None = None) -> str:
    """A period as a reader sees it: "2023/24-2025/26 (3 years pooled)", "2025/26 (maturing: ...)"."""
    text = f"{period} (3 years pooled)" if is_pooled(period) else period
    if maturity is not None and statistic is not None:
        row = maturity.filter(pl.col("period") == period)
        if row.height:
            note = maturity_note(row["status"][0], row["share_due"][0], statistic)
            text += f" ({note})" if note else ""
    return text


TREND_LEVEL = "99.8"
"""The confidence level (%) of published trend labels (metrics.comparisons.TREND_LEVEL; a test keeps them equal)."""



@shared
def revisions_summary(revisions: pl.DataFrame) -> pl.DataFrame:
    """Numbers of revised figures (not of people) by published table and reason, for the "What changed" section."""
    if revisions.is_empty():
        return pl.DataFrame(schema={"table": pl.String, **dict.fromkeys(REASON_ORDER, pl.Int64), "all": pl.Int64})
    counts = revisions.group_by("table", "reason").len().pivot(on="reason", index="table", values="len")
    counts = counts.with_columns(*(pl.lit(0, dtype=pl.UInt32).alias(reason) for reason in REASON_ORDER
                                   if reason not in counts.columns))
    return counts.select("table", *(pl.col(reason).fill_null(0).cast(pl.Int64) for reason in REASON_ORDER)
                         ).with_columns(all=pl.sum_horizontal(*REASON_ORDER)).sort("table")


@shared
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


@shared
def wide_table(long: pl.DataFrame, index: str, columns: str) -> pl.DataFrame:
    """A readable table of displayed values (symbols kept), e.g. years x localities."""
    return long.pivot(on=columns, index=index, values="shown", aggregate_function="first")


@shared
def headline(families: pl.DataFrame, statistic: str, area: str, year: str | None,
             previous_year: str | None = None) -> dict[str, str | float | None]:
    """The area's published value of a families statistic in `year`, with `previous_year`'s for context."""
    rows = select_cells(families, statistic=statistic, breakdown="none", category="All", locality=area).with_columns(
        display_expr())
    result: dict[str, str | float | None] = {}
    for key, period in (("", year), ("previous_", previous_year)):
        row = rows.filter(pl.col("period") == period) if period else rows.clear()
        result[f"{key}year"] = period
        result[f"{key}value"] = row["value"].item() if row.height else None
        result[f"{key}shown"] = row["shown"].item() if row.height else "[x]"
    return result


@shared
def needs_sustained_headline(needs: pl.DataFrame, area: str, complete: list[str] | None = None
                             ) -> dict[str, str | float | None]:
    """The latest complete financial year whose all-needs share is published for the area, with the year before.

    `needs` is the published needs_overview table (metrics.headline); `complete`: the years whose sustainment
    checks are complete (maturity_view of sustained_percent), None for every year. Returns year, value, shown
    (ending " [u]" when the share could be more than 2.5 points from the exact one) and measures_included for the
    latest year with a number, previous_year / previous_value / previous_shown for the
    one before (if any).
    """
    rows = select_cells(needs, statistic="needs_sustained_percent", locality=area,
                        kind="percent_of_published").with_columns(display_expr())
    years = [year for year in financial_years(needs) if complete is None or year in complete]
    rows = rows.filter(pl.col("period").is_in(years)).sort("period")
    shown = rows.filter(pl.col("value").is_not_null())
    result: dict[str, str | float | None] = {"year": None, "value": None, "shown": "[x]", "previous_year": None,
                                             "previous_value": None, "previous_shown": None,
                                             "measures_included": None, "previous_measures_included": None}
    if shown.height == 0:
        return result
    latest = shown.row(-1, named=True)
    error = select_cells(needs, statistic="needs_sustained_percent", locality=area, period=latest["period"],
                         kind="max_error")
    flagged = bool(error.height) and (error["value"][0] or 0.0) > RELIABLE_WITHIN_PP
    result.update(year=latest["period"], value=latest["value"],
                  shown=latest["shown"] + (" " + LOW_RELIABILITY if flagged else ""))
    included = select_cells(needs, statistic="measures_included", locality=area, period=latest["period"])
    result["measures_included"] = included["value"].item() if included.height else None
    earlier = rows.filter(pl.col("period") < latest["period"])
    if earlier.height:
        previous = earlier.row(-1, named=True)
        before = select_cells(needs, statistic="measures_included", locality=area, period=previous["period"])
        result.update(previous_year=previous["period"], previous_value=previous["value"],
                      previous_shown=previous["shown"],
                      previous_measures_included=before["value"].item() if before.height else None)
    return result


@shared
def symbols_used(frame: pl.DataFrame) -> list[str]:
    """The GSS symbols that appear in what a page shows, so their explanation can be shown beside it."""
    present = set(frame["symbol"].drop_nulls().unique().to_list()) if "symbol" in frame.columns else set()
    if "low_reliability" in frame.columns and frame["low_reliability"].any():
        present.add(LOW_RELIABILITY)
    for column in ("shown", "supported_shown", "comparison_shown"):  # symbols inside displayed text
        if column in frame.columns:
            texts = frame[column].drop_nulls()
            present |= {symbol for symbol in (*SYMBOLS, LOW_RELIABILITY)
                        if texts.str.contains(symbol, literal=True).any()}
    return [symbol for symbol in (*SYMBOLS, LOW_RELIABILITY) if symbol in present]


PERCENT_KEYS = ("measure", "locality", "period", "breakdown", "category")


@shared
def percent_view(progress: pl.DataFrame, statistic: str) -> pl.DataFrame:
    """One row per cell of a published percentage: value, shown text, CI bounds, comparison label, max_error and
    low_reliability (shown text ends " [u]" when the percentage may be more than 2.5 points from the truth).

    Everything comes from published rows of that statistic (kinds percent, ci_lower, ci_upper, max_error,
    comparison); a cell whose percentage is [c] has no interval or comparison to show.
    """
    rows = progress.filter(pl.col("statistic") == statistic)
    error = rows.filter(pl.col("kind") == "max_error").select(*PERCENT_KEYS, max_error=pl.col("value"))
    percent = rows.filter(pl.col("kind") == "percent").with_columns(display_expr()).select(
        *PERCENT_KEYS, "value", "shown", "numerator", "denominator").join(
        error, on=PERCENT_KEYS, how="left", nulls_equal=True).with_columns(
        low_reliability=pl.col("max_error").fill_null(0.0) > RELIABLE_WITHIN_PP).with_columns(
        shown=pl.when(pl.col("low_reliability")).then(pl.col("shown") + pl.lit(" " + LOW_RELIABILITY))
        .otherwise(pl.col("shown")))

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


def interval_shown(bound: str) -> pl.Expr:
    """A confidence-interval bound for a table (1 dp as text); where the percentage is hidden, its symbol, so a
    table cell is never blank (the interval of a hidden percentage is not published)."""
    symbol = pl.col("shown").str.extract(r"(\[[cxz]\])")
    return (pl.when(pl.col(bound).is_not_null()).then(pl.col(bound).round(1).cast(pl.String))
            .otherwise(pl.coalesce(symbol, pl.lit("[x]"))))


@shared
def trend_labels(progress: pl.DataFrame, statistic: str) -> pl.DataFrame:
    """The published trend tag per measure and locality (period 'all')."""
    return progress.filter(pl.col("statistic") == statistic, pl.col("kind") == "trend").select(
        "measure", "locality", pl.coalesce("symbol", pl.lit("cannot be calculated")).alias("trend"))


@shared
def with_order(frame: pl.DataFrame, column: str, order: list[str]) -> pl.DataFrame:
    """Sort rows by a given order of one column's values (e.g. localities as configured)."""
    ranks = {name: index for index, name in enumerate(order)}
    return frame.with_columns(_order=pl.col(column).replace_strict(ranks, default=len(order))).sort(
        "_order").drop("_order")


@shared
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


@shared
def best_default_year(percents: pl.DataFrame, area: str, maturity: pl.DataFrame | None = None) -> str | None:
    """The latest complete financial year (maturity: maturity_view of the statistic) in which most of the area's
    percentages are published.

    Recent years have few reviews yet, so opening a page on them would show mostly [c] or a maturing cohort.
    """
    area_rows = select_cells(percents, breakdown="none", category="All", locality=area)
    years = financial_years(area_rows)
    if maturity is not None:
        complete = set(maturity.filter(pl.col("status") == COMPLETE)["period"].to_list())
        years = [year for year in years if year in complete] or years
    for year in reversed(years):
        cells = area_rows.filter(pl.col("period") == year)
        if cells.height and cells["value"].is_not_null().mean() >= 0.5:
            return year
    return years[-1] if years else None


@shared
def complete_years(published: pl.DataFrame, data_as_of) -> list[str]:
    """Financial years that ended on or before the data date (a part year is not comparable with a full one)."""
    return [year for year in financial_years(published) if (int(year[:4]) + 1, 3, 31) <= (
        data_as_of.year, data_as_of.month, data_as_of.day)]


IMPACT_METHODS = {"psm": "Matched comparison (PSM)", "aipw": "Doubly robust (AIPW)", "naive": "Unadjusted difference"}


@shared
def impact_estimates(impact: pl.DataFrame, locality: str) -> pl.DataFrame:
    """One row per outcome x method: published difference (pp), interval and symbol, for a forest plot."""
    methods = "|".join(IMPACT_METHODS)
    rows = impact.filter(pl.col("locality") == locality, pl.col("statistic").str.contains(f"^({methods})_difference$"),
                         pl.col("kind").is_in(["difference", "effect_ci_lower", "effect_ci_upper", "supported_share",
                                               "comparison_share", "share_max_error"]))
    wide = rows.with_columns(method=pl.col("statistic").str.replace("_difference", "")).pivot(
        on="kind", index=["measure", "method"], values="value", aggregate_function="first")
    symbols = rows.filter(pl.col("kind") == "difference").select(
        "measure", pl.col("statistic").str.replace("_difference", "").alias("method"), "symbol")
    wide = wide.join(symbols, on=["measure", "method"], how="left")
    for kind in ("difference", "effect_ci_lower", "effect_ci_upper", "supported_share", "comparison_share",
                 "share_max_error"):
        if kind not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(kind))
    wide = wide.rename({"effect_ci_lower": "ci_lower", "effect_ci_upper": "ci_upper"})
    flag = pl.when(pl.col("share_max_error").fill_null(0.0) > RELIABLE_WITHIN_PP).then(
        pl.lit(" " + LOW_RELIABILITY)).otherwise(pl.lit(""))
    share_symbol = pl.coalesce(pl.col("symbol"), pl.when(pl.col("supported_share").is_null()).then(pl.lit("[c]")))
    return wide.with_columns(
        shown=pl.coalesce(pl.col("symbol"), pl.format("{} pp ({} to {})", pl.col("difference"), pl.col("ci_lower"),
                                                       pl.col("ci_upper"))),
        supported_shown=pl.coalesce(share_symbol, pl.format("{}%", pl.col("supported_share")) + flag),
        comparison_shown=pl.coalesce(share_symbol, pl.format("{}%", pl.col("comparison_share")) + flag),
    )


SENSITIVITY_METHODS = {"psm_caliper_0.1": "Matched, stricter caliper (0.1 SD)",
                       "psm": "Matched, as published (caliper 0.2 SD)",
                       "psm_caliper_0.5": "Matched, looser caliper (0.5 SD)"}


@shared
def impact_sensitivity(impact: pl.DataFrame, area: str) -> pl.DataFrame:
    """Per outcome, the matched estimate with each caliper (published rows of the area): measure, method, shown."""
    methods = "|".join(name.replace(".", "\\.") for name in SENSITIVITY_METHODS)
    rows = impact.filter(pl.col("locality") == area, pl.col("statistic").str.contains(f"^({methods})_difference$"),
                         pl.col("kind").is_in(["difference", "effect_ci_lower", "effect_ci_upper"]))
    wide = rows.with_columns(method=pl.col("statistic").str.replace("_difference$", "")).pivot(
        on="kind", index=["measure", "method"], values="value", aggregate_function="first")
    symbols = rows.filter(pl.col("kind") == "difference").select(
        "measure", pl.col("statistic").str.replace("_difference$", "").alias("method"), "symbol")
    wide = wide.join(symbols, on=["measure", "method"], how="left")
    for kind in ("difference", "effect_ci_lower", "effect_ci_upper"):
        if kind not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(kind))
    return wide.select("measure", "method", shown=pl.coalesce(
        pl.col("symbol"), pl.format("{} pp ({} to {})", pl.col("difference"), pl.col("effect_ci_lower"),
                                    pl.col("effect_ci_upper"))))


@shared
def impact_counts(impact: pl.DataFrame, locality: str, statistics: list[str]) -> pl.DataFrame:
    """Published group sizes per outcome (shown text, symbols kept)."""
    rows = impact.filter(pl.col("locality") == locality, pl.col("kind") == "count",
                         pl.col("statistic").is_in(statistics)).with_columns(display_expr())
    return rows.pivot(on="statistic", index="measure", values="shown", aggregate_function="first")


@shared
def impact_mde(impact: pl.DataFrame, measure: str) -> pl.DataFrame:
    """Per area: the psm estimate (or its symbol) and the minimum detectable effect, for the locality view."""
    rows = impact.filter(pl.col("measure") == measure, pl.col("statistic").is_in(["psm_difference", "psm_mde"]),
                         pl.col("kind") == "difference")
    return rows.with_columns(
        shown=pl.coalesce(pl.col("symbol"), pl.col("value").round(1).cast(pl.String) + pl.lit(" pp"))
    ).pivot(on="statistic", index="locality", values="shown", aggregate_function="first")
