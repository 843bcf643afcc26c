"""Linkage quality for the analysts' page: the figures `linkage run` stored, as count cells for disclosure control.

Why here: the counts are of person records (how many of each source's records found their person elsewhere, or in
a programme family), and counts of records can disclose as counts of people do, so they go through the same
protection as every other count (primary and secondary suppression, rounding), with the same reader's knowledge:
each breakdown's categories add up to All, and every rate's numerator is at most its denominator. The rates are
percentages of protected counts. The model's estimated precision and recall are aggregates over every scored pair,
published rounded to 0.01 of a percentage point (to 0.1, 99.96% would read as 100.0%).

Match rate ("matched"): the share of a source's person records linked to a person who also has a record from another
source. Family rate ("in a family"): the share linked to a member of a programme family (the records that can feed
the measures). Breakdowns: source, sex, age band (age on the data extract date) and ethnic group, from the person's
linked identifiers (docs/linkage.md, "Linkage quality").
"""

from __future__ import annotations

import polars as pl

from data_access.config import BreakdownCatalogue
from metrics.breakdowns import SOURCE_COLUMN, category_expr
from metrics.disclosure.publication import PUBLISHED_COLUMNS, PercentSpec
from metrics.disclosure.relations import ALL, ALL_PERIODS, NO_BREAKDOWN

TABLE = "linkage_quality"
RECORD_STATISTICS = ("person_records", "records_matched", "records_in_family")
RUN_COUNTS = ("people", "review_queue_pairs", "ambiguous_records")
ESTIMATES = ("estimated_precision", "estimated_recall")
PERCENT_SPECS = (
    PercentSpec(TABLE, "matched_percent", "records_matched", "person_records"),
    PercentSpec(TABLE, "in_family_percent", "records_in_family", "person_records"),
)
PERSON_BREAKDOWNS = {"sex": "sex", "age": "age_band", "ethnic_group": "ethnic_group"}
"""Stored breakdown -> the published breakdown (config/breakdowns.toml) whose categories it is mapped to."""
SOURCE_BREAKDOWN = "source"


def _cell(frame: pl.DataFrame, area: str) -> pl.DataFrame:
    return frame.select(
        table=pl.lit(TABLE), measure=pl.lit("all"), locality=pl.lit(area), period=pl.lit(ALL_PERIODS),
        breakdown=pl.col("breakdown"), category=pl.col("category"), statistic=pl.col("statistic"),
        kind=pl.lit("count"), true_value=pl.col("amount").round().cast(pl.Int64))


def linkage_quality_cells(stored: pl.DataFrame, breakdowns: BreakdownCatalogue, area: str) -> pl.DataFrame:
    """Count cells (true values) of the linkage_quality table from the stored figures: totals, each breakdown's
    categories (all of them, zeros included, with Not recorded) and its All, and the run's counts."""
    records = stored.filter(pl.col("statistic").is_in(RECORD_STATISTICS))
    frames = [records.filter(pl.col("breakdown") == NO_BREAKDOWN).with_columns(category=pl.lit(ALL))]
    by_id = {breakdown.id: breakdown for breakdown in breakdowns.breakdowns}
    sources = records.filter(pl.col("breakdown") == SOURCE_BREAKDOWN)
    if sources.height:
        frames.append(sources.with_columns(category=pl.col("value")))
    for stored_name, published in PERSON_BREAKDOWNS.items():
        breakdown = by_id.get(published)
        if breakdown is None:
            continue
        column = SOURCE_COLUMN[published]
        values = records.filter(pl.col("breakdown") == stored_name)
        raw = pl.col("value").cast(pl.Int64, strict=False) if breakdown.bands else pl.col("value")
        mapped = values.with_columns(raw.alias(column)).with_columns(category_expr(breakdown, breakdowns.not_recorded))
        grid = pl.DataFrame({"category": [*breakdown.categories, breakdowns.not_recorded]}).join(
            pl.DataFrame({"statistic": list(RECORD_STATISTICS)}), how="cross")
        summed = mapped.group_by("category", "statistic").agg(pl.col("amount").sum())
        frames.append(grid.join(summed, on=["category", "statistic"], how="left")
                      .with_columns(pl.col("amount").fill_null(0.0), breakdown=pl.lit(published)))
    breakdown_rows = [frame.select("breakdown", "category", "statistic", "amount") for frame in frames]
    parts = pl.concat(breakdown_rows)
    alls = (parts.filter(pl.col("breakdown") != NO_BREAKDOWN).group_by("breakdown", "statistic")
            .agg(pl.col("amount").sum()).with_columns(category=pl.lit(ALL)))
    run = (stored.filter(pl.col("statistic").is_in(RUN_COUNTS))
           .with_columns(breakdown=pl.lit(NO_BREAKDOWN), category=pl.lit(ALL)))
    every = pl.concat([parts, alls.select(parts.columns), run.select(parts.columns)])
    return _cell(every, area).sort("breakdown", "category", "statistic", maintain_order=True)


def linkage_estimate_rows(stored: pl.DataFrame, area: str) -> pl.DataFrame:
    """The model's estimated precision and recall as published rows (kind estimate, percent to 0.01)."""
    estimates = stored.filter(pl.col("statistic").is_in(ESTIMATES))
    return estimates.select(
        table=pl.lit(TABLE), measure=pl.lit("all"), locality=pl.lit(area), period=pl.lit(ALL_PERIODS),
        breakdown=pl.lit(NO_BREAKDOWN), category=pl.lit(ALL), statistic=pl.col("statistic"), kind=pl.lit("estimate"),
        value=(pl.col("amount") * 100).round(2), symbol=pl.lit(None, dtype=pl.String),
        numerator=pl.lit(None, dtype=pl.String), denominator=pl.lit(None, dtype=pl.String),
    ).select(PUBLISHED_COLUMNS)
