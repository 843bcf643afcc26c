"""All-needs headline: needs improved and sustained across the twelve measures, made from PUBLISHED counts only.

The Overview's "share of needs improved and sustained" adds up, over every measure, the published (rounded)
counts of needs that were due the six-month sustain check and of those improved and sustained. It is computed
after disclosure control from the protected values alone, so it is a function of numbers every reader already
has: it cannot narrow what a reader knows about any suppressed cell (publishing the true all-needs total would:
it adds a sum-over-measures relation). A measure whose count is suppressed in a locality's year is left out of
that year's sums, and `measures_included` (kind measures: a number of measures, not of people) says how many are
in; with none, the share is not available ([x]). The percentage follows the same rule as every other one.

Rows: table needs_overview, measure all, localities and the area, financial years, breakdown none, category All;
kind sum_of_published for the two totals, percent_of_published for the share (with kind max_error: how far the
share can be from the true one, [u] when more than 2.5 points; metrics.reliability), measures for
measures_included (docs/published-tables.md).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from data_access.config import DisclosurePolicy
from metrics.disclosure import CONFIDENTIAL, NOT_AVAILABLE, published_count_bounds
from metrics.reliability import LOW_RELIABILITY, MAX_ERROR_KIND, RELIABLE_WITHIN_PP, ratio_range

TABLE = "needs_overview"
SOURCE_TABLE = "measure_progress"
DUE, SUSTAINED, SHARE = "needs_due_sustain_check", "needs_sustained", "needs_sustained_percent"
INCLUDED = "measures_included"
SOURCE_STATISTICS = {DUE: "due_sustain_check", SUSTAINED: "sustained"}
SUM_KIND, PERCENT_KIND, MEASURES_KIND = "sum_of_published", "percent_of_published", "measures"
FINANCIAL_YEAR = r"^\d{4}/\d{2}$"
PLACE = ["locality", "period"]


def needs_overview_rows(published: pl.DataFrame, measure_ids: list[str], policy: DisclosurePolicy) -> pl.DataFrame:
    """Published rows of the all-needs table, from the protected measure_progress rows in `published`.

    A measure counts towards a locality's year when both its parts (due_sustain_check and sustained) are published
    there; `measures_included` says how many did, so a page can say "based on 11 of the 12 measures".
    """
    parts = published.filter(
        pl.col("table") == SOURCE_TABLE, pl.col("kind") == "count", pl.col("breakdown") == "none",
        pl.col("category") == "All", pl.col("period").str.contains(FINANCIAL_YEAR),
        pl.col("statistic").is_in(list(SOURCE_STATISTICS.values())), pl.col("measure").is_in(measure_ids),
    )
    by_measure = parts.pivot(on="statistic", index=[*PLACE, "measure"], values="value", aggregate_function="first")
    by_measure = by_measure.with_columns(pl.lit(None, dtype=pl.Float64).alias(source)
                                         for source in SOURCE_STATISTICS.values() if source not in by_measure.columns)
    usable = by_measure.filter(*(pl.col(source).is_not_null() for source in SOURCE_STATISTICS.values()))
    bounds = {}
    for name, source in SOURCE_STATISTICS.items():
        low, high = published_count_bounds(usable[source].to_numpy(), policy)
        bounds[f"{name}_low"], bounds[f"{name}_high"] = pl.Series(low, dtype=pl.Float64), pl.Series(high,
                                                                                                   dtype=pl.Float64)
    usable = usable.with_columns(**bounds)
    places = parts.select(PLACE).unique()
    wide = places.join(
        usable.group_by(PLACE).agg(
            *(pl.col(source).sum().alias(name) for name, source in SOURCE_STATISTICS.items()),
            *(pl.col(name).sum() for name in bounds),
            pl.len().cast(pl.Float64).alias(INCLUDED),
        ),
        on=PLACE, how="left",
    ).with_columns(pl.col(INCLUDED).fill_null(0.0))
    none_included = pl.col(INCLUDED) == 0
    m = policy.percentage_min_each_side
    rule_holds = (pl.col(SUSTAINED) >= m) & (pl.col(DUE) - pl.col(SUSTAINED) >= m)
    no_labels = {"numerator": pl.lit(None, dtype=pl.String), "denominator": pl.lit(None, dtype=pl.String)}
    frames = [
        wide.select(*PLACE, statistic=pl.lit(name), kind=pl.lit(SUM_KIND),
                    value=pl.when(none_included).then(None).otherwise(pl.col(name)),
                    symbol=pl.when(none_included).then(pl.lit(NOT_AVAILABLE)), **no_labels)
        for name in (DUE, SUSTAINED)
    ]
    frames.append(wide.select(*PLACE, statistic=pl.lit(INCLUDED), kind=pl.lit(MEASURES_KIND),
                              value=pl.col(INCLUDED), symbol=pl.lit(None, dtype=pl.String), **no_labels))
    share = pl.when(~none_included & rule_holds).then(100.0 * pl.col(SUSTAINED) / pl.col(DUE))
    share_symbol = (pl.when(none_included).then(pl.lit(NOT_AVAILABLE)).when(rule_holds)
                    .then(pl.lit(None, dtype=pl.String)).otherwise(pl.lit(CONFIDENTIAL)))
    frames.append(wide.select(*PLACE, statistic=pl.lit(SHARE), kind=pl.lit(PERCENT_KIND), value=share,
                              symbol=share_symbol, numerator=pl.lit(SUSTAINED), denominator=pl.lit(DUE)))
    error = _max_error(wide.with_columns(share=share))
    frames.append(wide.select(
        *PLACE, statistic=pl.lit(SHARE), kind=pl.lit(MAX_ERROR_KIND), value=pl.Series(error).fill_nan(None),
        symbol=pl.when(pl.Series(error > RELIABLE_WITHIN_PP)).then(pl.lit(LOW_RELIABILITY)).otherwise(share_symbol),
        numerator=pl.lit(SUSTAINED), denominator=pl.lit(DUE),
    ))
    return pl.concat([frame.with_columns(pl.col("value").cast(pl.Float64), pl.col("symbol").cast(pl.String))
                      for frame in frames]).select(
        table=pl.lit(TABLE), measure=pl.lit("all"), locality="locality", period="period",
        breakdown=pl.lit("none"), category=pl.lit("All"), statistic="statistic", kind="kind",
        value="value", symbol="symbol", numerator="numerator", denominator="denominator",
    ).sort("locality", "period", "statistic", maintain_order=True)  # a percentage before its max_error, every run


def _max_error(wide: pl.DataFrame) -> np.ndarray:
    """Largest distance (pp, rounded up to 0.1) between the shown share and any share the true counts could give:
    each measure's true counts lie in their rounding intervals, and sustained <= due (metrics.reliability)."""
    errors = []
    for row in wide.iter_rows(named=True):
        if row["share"] is None:
            errors.append(np.nan)
            continue
        lowest, highest = ratio_range(row[f"{SUSTAINED}_low"], row[f"{SUSTAINED}_high"], row[f"{DUE}_low"],
                                      row[f"{DUE}_high"])
        shown = round(row["share"], 1)
        worst = max(abs(shown - 100 * lowest), abs(100 * highest - shown))
        errors.append(float(np.ceil(np.round(worst * 10, 6)) / 10))
    return np.array(errors, dtype=np.float64)


def check_needs_overview(published: pl.DataFrame, measure_ids: list[str], policy: DisclosurePolicy) -> pl.DataFrame:
    """Rows of needs_overview that are NOT what the published measure_progress counts give (an audit: empty when
    every total is the sum of its published parts and every share the ratio of its totals, under `policy`)."""
    rows = published.filter(pl.col("table") == TABLE)
    rebuilt = needs_overview_rows(published.filter(pl.col("table") != TABLE), measure_ids, policy)
    # Every published row must be rebuilt exactly (a publication may leave the table out: nothing to check then).
    joined = rows.join(rebuilt, on=["locality", "period", "statistic", "kind"], how="left", suffix="_rebuilt")
    same_symbol = pl.col("symbol").fill_null("") == pl.col("symbol_rebuilt").fill_null("")
    same_value = (
        pl.when(pl.col("value").is_null() | pl.col("value_rebuilt").is_null())
        .then(pl.col("value").is_null() & pl.col("value_rebuilt").is_null())
        .otherwise((pl.col("value") - pl.col("value_rebuilt")).abs() < 1e-6)
    )
    return joined.filter(~(same_symbol & same_value)).select(
        "locality", "period", "statistic", "kind",
        problem=pl.format("published {} {}, rebuilt from published counts {} {}", pl.col("value"), pl.col("symbol"),
                          pl.col("value_rebuilt"), pl.col("symbol_rebuilt")),
    )
