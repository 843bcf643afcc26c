"""Hand-built small tables with known answers: the attacker finds what subtraction finds, protection stops it.

Tables are localities (rows, "Dorset" = the total row) x categories of one breakdown (columns, "All" = the total
column), one statistic and one period, so every relation can be checked by hand.
"""

from __future__ import annotations

import polars as pl
import pytest

from data_access.config import DisclosurePolicy
from metrics.audit import AuditFailure, assert_safe, audit_published
from metrics.disclosure import CONFIDENTIAL, protect_publication, protect_publication_report
from tests.shipped_config import shipped_knowledge

NO_ROUNDING = DisclosurePolicy(threshold=10, rounding_base=1, percentage_min_each_side=10, protection_level=5,
                               confidence_level="95")
POLICY = DisclosurePolicy(threshold=10, rounding_base=5, percentage_min_each_side=10, protection_level=5,
                          confidence_level="95")
KNOWLEDGE = shipped_knowledge("Dorset")


def table_cells(rows: dict[str, list[int]], categories: list[str], *, with_totals: bool = True) -> pl.DataFrame:
    """True count cells of a two-way table; adds the Dorset row, the All column and the (none, All) cells."""
    records = []
    totals_by_category = [sum(values[i] for values in rows.values()) for i in range(len(categories))]
    full = dict(rows)
    if with_totals:
        full["Dorset"] = totals_by_category
    for locality, values in full.items():
        for category, value in zip(categories, values, strict=True):
            records.append((locality, "b", category, value))
        records.append((locality, "b", "All", sum(values)))
        records.append((locality, "none", "All", sum(values)))
    return pl.DataFrame(
        [("t", "all", locality, "2024/25", breakdown, category, "n", "count", value)
         for locality, breakdown, category, value in records],
        schema={"table": pl.String, "measure": pl.String, "locality": pl.String, "period": pl.String,
                "breakdown": pl.String, "category": pl.String, "statistic": pl.String, "kind": pl.String,
                "true_value": pl.Int64},
        orient="row",
    )


def interval_of(report, locality: str, category: str) -> tuple[float, float]:
    row = report.cells.filter(pl.col("locality") == locality, pl.col("category") == category,
                              pl.col("breakdown") == "b")
    assert row.height == 1, f"({locality}, {category}) is not a suppressed cell"
    return row["lower"].item(), row["upper"].item()


def suppressed(published: pl.DataFrame) -> set[tuple[str, str]]:
    rows = published.filter(pl.col("kind") == "count", pl.col("symbol") == CONFIDENTIAL, pl.col("breakdown") == "b")
    return {(r["locality"], r["category"]) for r in rows.iter_rows(named=True)}


# --- a lone suppressed cell in a row with a published total ------------------------------------------------------

LONE = {"Dorset": [3, 20, 15]}  # one row: A is 3, the row total 38 is published


def test_lone_cell_is_found_exactly_without_secondary_suppression() -> None:
    cells = table_cells(LONE, ["A", "B", "C"], with_totals=False)
    published = protect_publication(cells, [], NO_ROUNDING, knowledge=KNOWLEDGE, secondary=False)
    assert suppressed(published) == {("Dorset", "A")}
    report = audit_published(published, NO_ROUNDING, knowledge=KNOWLEDGE)
    assert interval_of(report, "Dorset", "A") == (3.0, 3.0)  # 38 - 20 - 15
    with pytest.raises(AuditFailure) as failure:
        assert_safe(published, NO_ROUNDING, knowledge=KNOWLEDGE)
    assert failure.value.cells.height == 1


def test_lone_cell_is_protected_with_secondary_suppression() -> None:
    cells = table_cells(LONE, ["A", "B", "C"], with_totals=False)
    published = protect_publication(cells, [], NO_ROUNDING, knowledge=KNOWLEDGE)
    # the cheapest complement is the smaller of the two published cells
    assert suppressed(published) == {("Dorset", "A"), ("Dorset", "C")}
    report = assert_safe(published, NO_ROUNDING, knowledge=KNOWLEDGE, exact=True)
    lower, upper = interval_of(report, "Dorset", "A")
    assert (lower, upper) == (0.0, 18.0)  # A + C = 18


def test_rounding_interval_hand_computed() -> None:
    """A=3, B=18, total 21: published B=20 and total=20 each mean 18..22, so A is within 0..4: too narrow."""
    cells = table_cells({"Dorset": [3, 18]}, ["A", "B"], with_totals=False)
    published = protect_publication(cells, [], POLICY, knowledge=KNOWLEDGE, secondary=False)
    report = audit_published(published, POLICY, knowledge=KNOWLEDGE, exact=True)
    assert interval_of(report, "Dorset", "A") == (0.0, 4.0)
    assert not report.ok
    protected = protect_publication(cells, [], POLICY, knowledge=KNOWLEDGE)
    assert assert_safe(protected, POLICY, knowledge=KNOWLEDGE).ok


def test_rounding_alone_can_protect_a_lone_cell() -> None:
    """A=3, B=20, C=15, total 38: published 20, 15 and 40 leave A anywhere in 0..11, so nothing more is needed."""
    cells = table_cells(LONE, ["A", "B", "C"], with_totals=False)
    published = protect_publication(cells, [], POLICY, knowledge=KNOWLEDGE)
    assert suppressed(published) == {("Dorset", "A")}
    report = assert_safe(published, POLICY, knowledge=KNOWLEDGE, exact=True)
    assert interval_of(report, "Dorset", "A") == (0.0, 11.0)  # 38..42 - 18..22 - 13..17


# --- the 4x4 example: two suppressed 2x2 rectangles joined by one suppressed cell of value 2 ---------------------

FOUR_BY_FOUR = {
    "r1": [3, 4, 2, 20],
    "r2": [5, 6, 15, 25],
    "r3": [12, 30, 7, 8],
    "r4": [40, 14, 9, 1],
}
CATEGORIES = ["c1", "c2", "c3", "c4"]


def test_four_by_four_heuristic_holds_but_attack_isolates_the_joining_cell() -> None:
    cells = table_cells(FOUR_BY_FOUR, CATEGORIES)
    published = protect_publication(cells, [], NO_ROUNDING, knowledge=KNOWLEDGE, secondary=False)
    pattern = suppressed(published)
    assert pattern == {("r1", "c1"), ("r1", "c2"), ("r2", "c1"), ("r2", "c2"), ("r1", "c3"),
                       ("r3", "c3"), ("r3", "c4"), ("r4", "c3"), ("r4", "c4")}
    for row in FOUR_BY_FOUR:  # "at least two suppressed per row and column": holds
        assert sum(1 for r, _ in pattern if r == row) >= 2
    for column in CATEGORIES:
        assert sum(1 for _, c in pattern if c == column) >= 2
    report = audit_published(published, NO_ROUNDING, knowledge=KNOWLEDGE, exact=True)
    assert interval_of(report, "r1", "c3") == (2.0, 2.0)  # row1 + row2 - col1 - col2
    unsafe = report.unsafe
    assert set(zip(unsafe["locality"], unsafe["category"], strict=True)) >= {("r1", "c3")}
    assert interval_of(report, "r1", "c1") == (0.0, 7.0)  # the rectangles themselves keep one degree of freedom


def test_four_by_four_protection_adds_suppressions_until_the_audit_passes() -> None:
    cells = table_cells(FOUR_BY_FOUR, CATEGORIES)
    result = protect_publication_report(cells, [], NO_ROUNDING, knowledge=KNOWLEDGE)
    pattern = suppressed(result.published)
    assert len(pattern) > 9
    assert result.summary["suppressed_secondary"].item() > 0
    report = assert_safe(result.published, NO_ROUNDING, knowledge=KNOWLEDGE, exact=True)
    assert report.cells["width"].min() >= 5


def test_whole_number_audit_agrees_on_the_four_by_four() -> None:
    cells = table_cells(FOUR_BY_FOUR, CATEGORIES)
    unprotected = protect_publication(cells, [], NO_ROUNDING, knowledge=KNOWLEDGE, secondary=False)
    report = audit_published(unprotected, NO_ROUNDING, knowledge=KNOWLEDGE, exact=True, integer=True)
    assert interval_of(report, "r1", "c3") == (2.0, 2.0)
    protected = protect_publication(cells, [], NO_ROUNDING, knowledge=KNOWLEDGE, integer=True)
    assert assert_safe(protected, NO_ROUNDING, knowledge=KNOWLEDGE, integer=True).ok


def test_published_table_has_no_true_values_and_documented_columns() -> None:
    cells = table_cells(FOUR_BY_FOUR, CATEGORIES)
    published = protect_publication(cells, [], POLICY, knowledge=KNOWLEDGE)
    assert published.columns == ["table", "measure", "locality", "period", "breakdown", "category", "statistic",
                                 "kind", "value", "symbol", "numerator", "denominator"]
    counts = published.filter(pl.col("kind") == "count", pl.col("value").is_not_null())
    assert (counts["value"] % 5 == 0).all()
    assert published.filter(pl.col("value").is_null() & pl.col("symbol").is_null()).height == 0


def test_same_units_get_the_same_decision_in_every_view() -> None:
    cells = table_cells(FOUR_BY_FOUR, CATEGORIES)
    published = protect_publication(cells, [], POLICY, knowledge=KNOWLEDGE)
    totals = published.filter(pl.col("kind") == "count", pl.col("category") == "All")
    by_view = totals.group_by("locality").agg(pl.col("value").n_unique(), pl.col("symbol").n_unique())
    assert (by_view["value"] == 1).all() and (by_view["symbol"] == 1).all()


def test_inconsistent_true_cells_are_refused() -> None:
    cells = table_cells(FOUR_BY_FOUR, CATEGORIES).with_columns(
        true_value=pl.when((pl.col("locality") == "r1") & (pl.col("category") == "c4"))
        .then(pl.col("true_value") + 1).otherwise(pl.col("true_value"))
    )
    with pytest.raises(ValueError, match="relation"):
        protect_publication(cells, [], POLICY, knowledge=KNOWLEDGE)
