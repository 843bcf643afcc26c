"""protect_publication: true count cells in, the full published tidy frame out (no true values).

Counts are protected by metrics.disclosure.secondary (primary + secondary suppression, proven by the attack).
Every derived statistic is then computed from the PUBLISHED (rounded) counts only, so it tells a reader nothing
the counts do not already tell them: percentages, Wilson intervals (metrics.stats.wilson_interval), each shown
percentage's largest possible error (kind max_error, metrics.reliability), the maturity of each period (table
cohort_maturity, metrics.maturity, when a cohort_maturity rule is given), comparisons of each locality with the area
and trends over complete financial years (both metrics.comparisons, shared with the audit).
A percentage is published only where both counts are published and the percentage rule holds on the true counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import polars as pl

from data_access.config import DisclosurePolicy
from metrics import stats
from metrics.comparisons import comparison_labels, polarity_column, statistic_polarity, trend_series_labels
from metrics.disclosure.history import History
from metrics.disclosure.primary import CONFIDENTIAL
from metrics.disclosure.relations import ALL, ALL_PERIODS, NO_BREAKDOWN, TableKnowledge
from metrics.disclosure.secondary import (
    CLASS_ZERO,
    PRIMARY,
    PUBLISHED,
    SECONDARY,
    CountProtection,
    percent_pairs,
    protect_counts,
)
from metrics.maturity import period_statuses, status_lookup
from metrics.reliability import LOW_RELIABILITY, MAX_ERROR_KIND, RELIABLE_WITHIN_PP, max_percent_error

PUBLISHED_COLUMNS = ("table", "measure", "locality", "period", "breakdown", "category", "statistic", "kind",
                     "value", "symbol", "numerator", "denominator")
PLACE = ["table", "measure", "locality", "period", "breakdown", "category"]
KIND_ORDER = {"count": 0, "percent": 1, "ci_lower": 2, "ci_upper": 3, MAX_ERROR_KIND: 4, "comparison": 5,
              "trend": 6}


@dataclass(frozen=True)
class PercentSpec:
    """A published percentage: numerator / denominator, both count statistics of the same table and cell."""

    table: str
    statistic: str
    numerator: str
    denominator: str


class PercentSpecLike(Protocol):
    """What protect_publication needs to know about a published percentage (e.g. PercentSpec)."""

    table: str
    statistic: str
    numerator: str
    denominator: str


@dataclass
class ProtectedPublication:
    """The published frame, a per-table summary of suppression, and the decisions (holds true values)."""

    published: pl.DataFrame
    summary: pl.DataFrame
    protection: CountProtection


def protect_publication(
    cells: pl.DataFrame,
    percent_specs: Iterable[PercentSpecLike],
    policy: DisclosurePolicy,
    **options,
) -> pl.DataFrame:
    """Every published row, protected, in the documented column order (see protect_publication_report)."""
    return protect_publication_report(cells, percent_specs, policy, **options).published


def protect_publication_report(
    cells: pl.DataFrame,
    percent_specs: Iterable[PercentSpecLike],
    policy: DisclosurePolicy,
    *,
    knowledge: TableKnowledge,
    trend_breakdowns: tuple[str, ...] = (NO_BREAKDOWN,),
    secondary: bool = True,
    integer: bool = False,
    workers: int | None = None,
    history: History | None = None,
    cohort_maturity: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
) -> ProtectedPublication:
    """Protect true count cells and derive every published statistic from the protected counts.

    cells: columns table, measure, locality, period, breakdown, category, statistic, kind (all "count"),
    true_value (integer >= 0); a complete grid (every locality x period x category, zeros included).
    percent_specs: which statistics are percentages of which counts (same table and cell).
    secondary=False publishes after primary suppression only: for tests that prove the attacker works.
    integer=True makes the attack use whole-number (MILP) bounds where the LP is loose (slower, stricter).
    workers: processes for independent blocks (None: automatic, see metrics.disclosure.parallel).
    history: the earlier editions a reader may hold; the counts are protected jointly with theirs
    (metrics.disclosure.history; docs/disclosure.md, "Refreshes").
    cohort_maturity: published count rows -> published rows of table cohort_maturity (metrics.maturity.maturity_rows
    with the area and data date); maturing periods are then never compared nor a trend point. None: every period is
    complete.
    """
    specs = tuple(percent_specs)
    if "kind" in cells.columns and cells.filter(pl.col("kind") != "count").height:
        raise ValueError("protect_publication takes count cells only; derived statistics are computed here")
    protection = protect_counts(cells, specs, policy, knowledge=knowledge, secondary=secondary, integer=integer,
                                workers=workers, history=history)
    counts = _count_rows(cells, protection)
    percents = _percent_rows(cells, protection, specs, policy)
    maturity = cohort_maturity(counts) if cohort_maturity is not None else _empty_published()
    statuses = status_lookup(period_statuses(maturity))
    polarities = knowledge.polarities
    comparisons = _comparison_rows(percents, knowledge.area_name, polarities, statuses, policy)
    trends = _trend_rows(percents, specs, polarities, trend_breakdowns, statuses)
    published = pl.concat(
        [frame.select(PUBLISHED_COLUMNS) for frame in (counts, percents.select(PUBLISHED_COLUMNS), comparisons,
                                                       trends, maturity)]
    )
    published = published.with_columns(_kind_order=pl.col("kind").replace_strict(KIND_ORDER, default=9)).sort(
        "table", "measure", "statistic", "_kind_order", "locality", "period", "breakdown", "category",
        maintain_order=True,
    ).drop("_kind_order")
    return ProtectedPublication(published, _summary(cells, protection, published), protection)


def _empty_strings(frame: pl.DataFrame, *names: str) -> pl.DataFrame:
    return frame.with_columns([pl.lit(None, dtype=pl.String).alias(name) for name in names])


def _count_rows(cells: pl.DataFrame, protection: CountProtection) -> pl.DataFrame:
    values = protection.published_values()[protection.structure.cell_unit]
    suppressed = np.isnan(values)
    frame = cells.select(*PLACE, "statistic").with_columns(
        kind=pl.lit("count"),
        value=pl.Series(values, dtype=pl.Float64),
        symbol=pl.Series(suppressed).replace_strict({True: CONFIDENTIAL, False: None}, return_dtype=pl.String),
    ).with_columns(pl.col("value").fill_nan(None))
    return _empty_strings(frame, "numerator", "denominator")


def _percent_rows(
    cells: pl.DataFrame, protection: CountProtection, specs: tuple, policy: DisclosurePolicy
) -> pl.DataFrame:
    """Percent, ci_lower and ci_upper rows (wide helper columns num_pub, den_pub, pct, lower, upper kept)."""
    pairs = percent_pairs(cells, protection.structure.cell_unit, specs)
    publishable = protection.percent_publishable(pairs)
    published = protection.published_values()
    num = published[pairs["num_unit"].to_numpy()]
    den = published[pairs["den_unit"].to_numpy()]
    num = np.where(publishable, num, np.nan)
    den = np.where(publishable, den, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        percent = np.round(100.0 * num / den, 1)
    lower, upper = stats.wilson_interval(np.nan_to_num(num), np.where(publishable, den, 0.0),
                                         policy.confidence_level)
    lower = np.where(publishable, np.round(100.0 * np.asarray(lower), 1), np.nan)
    upper = np.where(publishable, np.round(100.0 * np.asarray(upper), 1), np.nan)
    wide = pairs.select(*PLACE, "statistic", "numerator", "denominator").with_columns(
        num_pub=pl.Series(num), den_pub=pl.Series(den), pct=pl.Series(percent), lower=pl.Series(lower),
        upper=pl.Series(upper), publishable=pl.Series(publishable),
    ).with_columns(pl.col("num_pub", "den_pub", "pct", "lower", "upper").fill_nan(None))
    error = max_percent_error(num, den, percent, policy)
    wide = wide.with_columns(max_error=pl.Series(error)).with_columns(pl.col("max_error").fill_nan(None))
    rows = []
    for kind, column in (("percent", "pct"), ("ci_lower", "lower"), ("ci_upper", "upper"), (MAX_ERROR_KIND,
                                                                                          "max_error")):
        symbol = pl.when(pl.col("publishable")).then(None).otherwise(pl.lit(CONFIDENTIAL))
        if kind == MAX_ERROR_KIND:  # the value is kept: [u] marks a percentage that may be far from the truth
            symbol = pl.when(pl.col("max_error") > RELIABLE_WITHIN_PP).then(pl.lit(LOW_RELIABILITY)).otherwise(symbol)
        rows.append(wide.with_columns(kind=pl.lit(kind), value=pl.col(column), symbol=symbol))
    return pl.concat(rows)


def _comparison_rows(percents: pl.DataFrame, area: str, polarities: Mapping[str, str],
                     statuses: Mapping[tuple[str, str, str], str], policy: DisclosurePolicy) -> pl.DataFrame:
    """Each locality's percentage against the area's (same table, measure, period, breakdown, category), labelled by
    metrics.comparisons (polarity of the statistic, maturing periods, labels that rounding could change)."""
    wide = percents.filter(pl.col("kind") == "percent")
    benchmark = wide.filter(pl.col("locality") == area).select(
        "table", "measure", "period", "breakdown", "category", "statistic", bench_num=pl.col("num_pub"),
        bench_den=pl.col("den_pub"),
    )
    local = wide.filter(pl.col("locality") != area).join(
        benchmark, on=["table", "measure", "period", "breakdown", "category", "statistic"], how="inner"
    )
    if local.height == 0:
        return _empty_published()
    local = local.with_columns(polarity_column(local, polarities))
    labels = comparison_labels(local, policy, statuses)
    return local.with_columns(kind=pl.lit("comparison"), value=pl.lit(None, dtype=pl.Float64),
                              symbol=labels).select(PUBLISHED_COLUMNS)


def _trend_rows(percents: pl.DataFrame, specs: tuple, polarities: Mapping[str, str],
                breakdowns: tuple[str, ...], statuses: Mapping[tuple[str, str, str], str]) -> pl.DataFrame:
    """Trend over complete financial years from the published counts (metrics.comparisons.trend_series_labels)."""
    wide = percents.filter(
        pl.col("kind") == "percent", pl.col("breakdown").is_in(list(breakdowns)),
        pl.col("period").str.contains(r"^\d{4}/\d{2}$"),
    ).sort("period")
    if wide.height == 0:
        return _empty_published()
    keys = ["table", "measure", "locality", "breakdown", "category", "statistic", "numerator", "denominator"]
    series = wide.group_by(keys, maintain_order=True).agg(pl.col("period"), pl.col("num_pub"), pl.col("den_pub"))

    def polarity_of(table: str, statistic: str, measure: str) -> str:
        return statistic_polarity(table, statistic, polarities.get(measure, stats.HIGHER_IS_BETTER))

    labels = trend_series_labels(series, polarity_of, statuses)
    return series.select(keys).with_columns(
        period=pl.lit(ALL_PERIODS), kind=pl.lit("trend"), value=pl.lit(None, dtype=pl.Float64),
        symbol=pl.Series(labels, dtype=pl.String),
    ).select(PUBLISHED_COLUMNS)


def _published_schema() -> dict[str, pl.DataType]:
    return {name: (pl.Float64 if name == "value" else pl.String) for name in PUBLISHED_COLUMNS}


def _empty_published() -> pl.DataFrame:
    return pl.DataFrame(schema=_published_schema())


def _summary(cells: pl.DataFrame, protection: CountProtection, published: pl.DataFrame) -> pl.DataFrame:
    """Per table: count cells, suppressed by the primary rule / as complements, share lost; percents lost.

    Counts of cells only (never of people), so it can be shown to analysts.
    """
    status = protection.status[protection.structure.cell_unit]
    per_cell = cells.select("table").with_columns(
        primary=pl.Series((status == PRIMARY) | (status == CLASS_ZERO)),
        class_zero=pl.Series(status == CLASS_ZERO),
        secondary=pl.Series(status == SECONDARY),
        published=pl.Series(status == PUBLISHED),
    )
    counts = per_cell.group_by("table").agg(
        count_cells=pl.len(),
        suppressed_primary=pl.col("primary").sum(),
        of_which_class_zero=pl.col("class_zero").sum(),
        suppressed_secondary=pl.col("secondary").sum(),
    )
    percents = published.filter(pl.col("kind") == "percent").group_by("table").agg(
        percent_cells=pl.len(), percent_suppressed=(pl.col("symbol") == CONFIDENTIAL).sum()
    )
    return counts.join(percents, on="table", how="left").with_columns(
        pl.col("percent_cells", "percent_suppressed").fill_null(0),
        share_count_cells_suppressed=((pl.col("suppressed_primary") + pl.col("suppressed_secondary"))
                                      / pl.col("count_cells")).round(4),
    ).sort("table")


__all__ = ["ALL", "PercentSpecLike", "ProtectedPublication", "protect_publication", "protect_publication_report"]
