"""Shape the published linkage_quality table for the analysts' page (plain functions over published rows).

Nothing here sees a true count: every number shown is a published value or symbol (metrics/linkage_quality.py
made them; docs/linkage.md, "Linkage quality", defines them).
"""

from __future__ import annotations

import polars as pl

from pages._shared import shared
from pages._views import display_expr

BREAKDOWN_LABELS = {"source": "Source", "sex": "Sex", "age_band": "Age on the data extract date",
                    "ethnic_group": "Ethnic group (ONS high-level)"}
SUMMARY_LABELS = {
    "person_records": "Person records linked",
    "people": "People they were linked into",
    "records_matched": "Records whose person is also in another source",
    "records_in_family": "Records whose person is in a programme family",
    "review_queue_pairs": "Pairs waiting for clerical review",
    "ambiguous_records": "Records held apart (fitted two people equally)",
    "estimated_precision": "Estimated precision of automatic links (model)",
    "estimated_recall": "Estimated recall of automatic links (model)",
}


def _shown(rows: pl.DataFrame) -> pl.DataFrame:
    estimate = pl.format("{}%", pl.col("value").round(2))
    return rows.with_columns(pl.when(pl.col("kind") == "estimate").then(estimate).otherwise(display_expr())
                             .alias("shown"))


@shared
def linkage_summary(published: pl.DataFrame) -> pl.DataFrame:
    """Figure, Value: the whole-area figures in SUMMARY_LABELS order (published values or symbols)."""
    rows = _shown(published.filter(pl.col("breakdown") == "none", pl.col("category") == "All",
                                   pl.col("kind").is_in(["count", "estimate"])))
    shown = dict(rows.select("statistic", "shown").iter_rows())
    return pl.DataFrame({"Figure": [label for name, label in SUMMARY_LABELS.items() if name in shown],
                         "Value": [shown[name] for name in SUMMARY_LABELS if name in shown]})


@shared
def linkage_rates(published: pl.DataFrame, breakdown: str, categories: list[str] | None = None) -> pl.DataFrame:
    """One row per category of `breakdown`, in the order of `categories` (others after them, in published order;
    All last): records, match rate with its interval, family rate.

    Columns: category, records, value / ci_lower / ci_upper (match rate, numbers or null), shown (match rate text),
    interval, family_rate (text).
    """
    rows = _shown(published.filter(pl.col("breakdown") == breakdown))
    if rows.is_empty():
        return pl.DataFrame(schema={"category": pl.String, "records": pl.String, "value": pl.Float64,
                                    "ci_lower": pl.Float64, "ci_upper": pl.Float64, "shown": pl.String,
                                    "interval": pl.String, "family_rate": pl.String})
    ranks = {category: rank for rank, category in enumerate(categories or [])}
    order = rows.select("category").unique(maintain_order=True).with_row_index("published").with_columns(
        pl.col("category").replace_strict(ranks, default=len(ranks), return_dtype=pl.Int64).alias("order"))

    def pick(statistic: str, kind: str, value: str, text: str) -> pl.DataFrame:
        return rows.filter(pl.col("statistic") == statistic, pl.col("kind") == kind).select(
            "category", pl.col("value").alias(value), pl.col("shown").alias(text))

    records = pick("person_records", "count", "_records", "records")
    matched = pick("matched_percent", "percent", "value", "shown")
    lower = pick("matched_percent", "ci_lower", "ci_lower", "_lower")
    upper = pick("matched_percent", "ci_upper", "ci_upper", "_upper")
    family = pick("in_family_percent", "percent", "_family", "family_rate")
    table = order
    for frame in (records, matched, lower, upper, family):
        table = table.join(frame, on="category", how="left")
    return (table.with_columns(
        pl.when(pl.col("value").is_not_null()).then(pl.format("{}% to {}%", pl.col("ci_lower"), pl.col("ci_upper")))
        .otherwise(pl.col("shown")).alias("interval"),
        (pl.col("category") == "All").alias("_last"))
        .sort("_last", "order", "published")
        .select("category", "records", "value", "ci_lower", "ci_upper", "shown", "interval", "family_rate"))


@shared
def linkage_rates_table(rates: pl.DataFrame, breakdown: str) -> pl.DataFrame:
    """The table shown (and downloaded) beside the match-rate chart: text as published."""
    return rates.select(pl.col("category").alias(BREAKDOWN_LABELS[breakdown]),
                        pl.col("records").alias("Person records"), pl.col("shown").alias("Match rate"),
                        pl.col("interval").alias("95% interval"), pl.col("family_rate").alias("Family rate"))
