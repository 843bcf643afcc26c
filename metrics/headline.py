"""All-needs headline: needs improved and sustained across the twelve measures, made from PUBLISHED counts only.

The Overview's "share of needs improved and sustained" adds up, over every measure, the published (rounded)
counts of needs that were due the six-month sustain check and of those improved and sustained. It is computed
after disclosure control from the protected values alone, so it is a function of numbers every reader already
has: it cannot narrow what a reader knows about any suppressed cell (publishing the true all-needs total would:
it adds a sum-over-measures relation). Where any of its parts is suppressed it is not available ([x]), because a
sum over the parts that are shown would be wrong. The percentage follows the same rule as every other one.

Rows: table needs_overview, measure all, localities and the area, financial years, breakdown none, category All;
kind sum_of_published for the two totals, percent_of_published for the share (docs/published-tables.md).
"""

from __future__ import annotations

import polars as pl

from data_access.config import DisclosurePolicy
from metrics.disclosure import CONFIDENTIAL, NOT_AVAILABLE

TABLE = "needs_overview"
SOURCE_TABLE = "measure_progress"
DUE, SUSTAINED, SHARE = "needs_due_sustain_check", "needs_sustained", "needs_sustained_percent"
SOURCE_STATISTICS = {DUE: "due_sustain_check", SUSTAINED: "sustained"}
SUM_KIND, PERCENT_KIND = "sum_of_published", "percent_of_published"
FINANCIAL_YEAR = r"^\d{4}/\d{2}$"
PLACE = ["locality", "period"]


def needs_overview_rows(published: pl.DataFrame, measure_ids: list[str], policy: DisclosurePolicy) -> pl.DataFrame:
    """Published rows of the all-needs table, from the protected measure_progress rows in `published`."""
    parts = published.filter(
        pl.col("table") == SOURCE_TABLE, pl.col("kind") == "count", pl.col("breakdown") == "none",
        pl.col("category") == "All", pl.col("period").str.contains(FINANCIAL_YEAR),
        pl.col("statistic").is_in(list(SOURCE_STATISTICS.values())), pl.col("measure").is_in(measure_ids),
    )
    sums = []
    for name, source in SOURCE_STATISTICS.items():
        sums.append(
            parts.filter(pl.col("statistic") == source)
            .group_by(PLACE)
            .agg(
                value=pl.col("value").sum(),
                complete=(pl.col("symbol").is_null() & pl.col("value").is_not_null()).sum() == len(measure_ids),
            )
            .with_columns(statistic=pl.lit(name))
        )
    totals = pl.concat(sums).with_columns(
        symbol=pl.when(pl.col("complete")).then(pl.lit(None, dtype=pl.String)).otherwise(pl.lit(NOT_AVAILABLE)),
    ).with_columns(value=pl.when(pl.col("complete")).then(pl.col("value")))
    wide = totals.pivot(on="statistic", index=PLACE, values="value", aggregate_function="first")
    wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(name) for name in (DUE, SUSTAINED)
                             if name not in wide.columns)  # no measure_progress rows at all
    m = policy.percentage_min_each_side
    share = wide.select(
        *PLACE,
        value=pl.when((pl.col(SUSTAINED) >= m) & (pl.col(DUE) - pl.col(SUSTAINED) >= m))
        .then(100.0 * pl.col(SUSTAINED) / pl.col(DUE)),
        symbol=pl.when(pl.col(SUSTAINED).is_null() | pl.col(DUE).is_null()).then(pl.lit(NOT_AVAILABLE))
        .when((pl.col(SUSTAINED) >= m) & (pl.col(DUE) - pl.col(SUSTAINED) >= m)).then(pl.lit(None, dtype=pl.String))
        .otherwise(pl.lit(CONFIDENTIAL)),
        statistic=pl.lit(SHARE), kind=pl.lit(PERCENT_KIND),
        numerator=pl.lit(SUSTAINED), denominator=pl.lit(DUE),
    )
    counts = totals.select(*PLACE, "value", "symbol", "statistic", kind=pl.lit(SUM_KIND),
                           numerator=pl.lit(None, dtype=pl.String), denominator=pl.lit(None, dtype=pl.String))
    return pl.concat([counts, share.select(counts.columns)]).select(
        table=pl.lit(TABLE), measure=pl.lit("all"), locality="locality", period="period",
        breakdown=pl.lit("none"), category=pl.lit("All"), statistic="statistic", kind="kind",
        value=pl.col("value").cast(pl.Float64), symbol="symbol", numerator="numerator", denominator="denominator",
    ).sort("locality", "period", "statistic")


def check_needs_overview(published: pl.DataFrame, measure_ids: list[str], policy: DisclosurePolicy) -> pl.DataFrame:
    """Rows of needs_overview that are NOT what the published measure_progress counts give (an audit: empty when
    every total is the sum of its published parts and every share the ratio of its totals, under `policy`)."""
    rows = published.filter(pl.col("table") == TABLE)
    rebuilt = needs_overview_rows(published.filter(pl.col("table") != TABLE), measure_ids, policy)
    # Every published row must be rebuilt exactly (a publication may leave the table out: nothing to check then).
    joined = rows.join(rebuilt, on=["locality", "period", "statistic"], how="left", suffix="_rebuilt")
    same_symbol = pl.col("symbol").fill_null("") == pl.col("symbol_rebuilt").fill_null("")
    same_value = (
        pl.when(pl.col("value").is_null() | pl.col("value_rebuilt").is_null())
        .then(pl.col("value").is_null() & pl.col("value_rebuilt").is_null())
        .otherwise((pl.col("value") - pl.col("value_rebuilt")).abs() < 1e-6)
    )
    return joined.filter(~(same_symbol & same_value)).select(
        "locality", "period", "statistic",
        problem=pl.format("published {} {}, rebuilt from published counts {} {}", pl.col("value"), pl.col("symbol"),
                          pl.col("value_rebuilt"), pl.col("symbol_rebuilt")),
    )
