"""Linkage quality cells (metrics/linkage_quality.py) from hand-made stored figures, and their protection."""

from __future__ import annotations

import polars as pl

from data_access.published_catalogue import TABLES_BY_NAME
from data_access.published_schema import check_publication
from metrics import disclosure
from metrics.linkage_quality import PERCENT_SPECS, linkage_estimate_rows, linkage_quality_cells
from tests.shipped_config import KNOWLEDGE, POLICY, SETTINGS

# 120 person records in groups: (source, sex, age, ethnic group, matched, in a family, records).
GROUPS = pl.DataFrame([
    ("Police incidents", "female", "15", "Asian: Indian", True, True, 30),
    ("Police incidents", "male", "36", "", True, False, 20),
    ("Police incidents", "male", "14", "", False, False, 20),
    ("School attendance", "female", "15", "Asian: Other Asian", True, True, 12),
    ("School attendance", "female", "36", "", True, True, 18),
    ("School attendance", "", "", "", False, False, 5),
    ("School attendance", "male", "36", "", False, False, 15),
], schema=["source", "sex", "age", "ethnic_group", "matched", "in_family", "records"], orient="row")


def _stored() -> pl.DataFrame:
    """What linkage run stores for GROUPS (breakdown, value, statistic, amount)."""
    counts = [pl.col("records").sum().alias("person_records"),
              pl.col("records").filter(pl.col("matched")).sum().alias("records_matched"),
              pl.col("records").filter(pl.col("in_family")).sum().alias("records_in_family")]
    frames = [GROUPS.select(pl.lit("none").alias("breakdown"), pl.lit("").alias("value"), *counts)]
    for breakdown in ("source", "sex", "age", "ethnic_group"):
        frames.append(GROUPS.group_by(breakdown).agg(*counts).select(pl.lit(breakdown).alias("breakdown"),
                                                                     pl.col(breakdown).alias("value"), pl.all()
                                                                     .exclude(breakdown)))
    long = pl.concat(frames).unpivot(index=["breakdown", "value"], variable_name="statistic", value_name="amount")
    run = pl.DataFrame([("none", "", "people", 41.0), ("none", "", "review_queue_pairs", 17.0),
                        ("none", "", "ambiguous_records", 3.0), ("none", "", "estimated_precision", 0.99964),
                        ("none", "", "estimated_recall", 0.9851)],
                       schema=["breakdown", "value", "statistic", "amount"], orient="row")
    return pl.concat([long.cast({"amount": pl.Float64}), run])


STORED = _stored()


def cells() -> dict[tuple[str, str, str], int]:
    frame = linkage_quality_cells(STORED, SETTINGS.breakdowns, "Dorset")
    assert frame.select("table", "measure", "locality", "period", "kind").unique().rows() == [
        ("linkage_quality", "all", "Dorset", "all", "count")]
    return {(row["breakdown"], row["category"], row["statistic"]): row["true_value"]
            for row in frame.iter_rows(named=True)}


def test_stored_values_become_the_configured_categories_with_their_totals():
    found = cells()
    assert found[("none", "All", "person_records")] == 120
    assert found[("none", "All", "records_matched")] == 80 and found[("none", "All", "records_in_family")] == 60
    assert found[("source", "Police incidents", "records_matched")] == 50
    assert found[("source", "All", "person_records")] == 120
    assert found[("sex", "Female", "person_records")] == 60 and found[("sex", "Not recorded", "person_records")] == 5
    assert found[("sex", "Not recorded", "records_matched")] == 0  # zero-filled: every category is published
    assert found[("age_band", "10-15", "person_records")] == 62  # 14 and 15
    assert found[("age_band", "25-44", "person_records")] == 53
    assert found[("age_band", "0-4", "person_records")] == 0
    assert found[("age_band", "Not recorded", "person_records")] == 5
    assert found[("ethnic_group", "Asian", "person_records")] == 42
    assert found[("ethnic_group", "Not recorded", "person_records")] == 78
    assert found[("ethnic_group", "All", "records_in_family")] == 60
    assert found[("none", "All", "review_queue_pairs")] == 17 and found[("none", "All", "people")] == 41
    assert ("none", "All", "estimated_precision") not in found  # estimates are not counts


def test_estimates_are_published_rounded():
    rows = linkage_estimate_rows(STORED, "Dorset")
    assert dict(rows.select("statistic", "value").iter_rows()) == {"estimated_precision": 99.96,
                                                                    "estimated_recall": 98.51}
    assert set(rows.get_column("kind")) == {"estimate"}


def test_protected_rows_are_declared_and_rates_come_from_published_counts():
    report = disclosure.protect_publication_report(linkage_quality_cells(STORED, SETTINGS.breakdowns, "Dorset"),
                                                   PERCENT_SPECS, POLICY, knowledge=KNOWLEDGE)
    published = pl.concat([report.published, linkage_estimate_rows(STORED, "Dorset")])
    check_publication(published)  # every table, statistic and kind is declared in the catalogue
    assert set(published.get_column("statistic")) <= {s.name for s in TABLES_BY_NAME["linkage_quality"].statistics}
    counts = published.filter(pl.col("kind") == "count", pl.col("symbol").is_null())
    assert (counts.get_column("value") % 5 == 0).all()  # rounded to the policy's base
    wide = published.filter(pl.col("breakdown") == "source", pl.col("category") == "Police incidents")
    value = {(row["statistic"], row["kind"]): row["value"] for row in wide.iter_rows(named=True)}
    assert value[("matched_percent", "percent")] == round(
        100 * value[("records_matched", "count")] / value[("person_records", "count")], 1)
