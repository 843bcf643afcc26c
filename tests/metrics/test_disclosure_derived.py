"""Derived statistics come from the published (rounded) counts only, and the class-disclosure rule.

A percentage or Wilson interval computed from true counts can be inverted to those counts even when the counts
themselves are rounded; computed from the rounded counts it cannot carry more than they do.
"""

from __future__ import annotations

import itertools

import polars as pl
import pytest

from data_access.config import DisclosurePolicy
from metrics import stats
from metrics.disclosure import CONFIDENTIAL, protect_publication
from metrics.disclosure.publication import PercentSpec
from tests.shipped_config import shipped_knowledge

POLICY = DisclosurePolicy(threshold=10, rounding_base=5, percentage_min_each_side=10, protection_level=5,
                          confidence_level="95")
KNOWLEDGE = shipped_knowledge("Dorset", {"M01": stats.HIGHER_IS_BETTER})
SPECS = (PercentSpec("measure_progress", "improved_percent", "improved", "reviewed"),)
YEAR = "2024/25"


def progress_cells(values: dict[str, tuple[int, int]]) -> pl.DataFrame:
    """improved and reviewed per locality (the Dorset row is their sum), one year, no breakdown."""
    totals = tuple(sum(v[i] for v in values.values()) for i in range(2))
    rows = []
    for locality, (improved, reviewed) in {**values, "Dorset": totals}.items():
        for statistic, value in (("improved", improved), ("reviewed", reviewed)):
            rows.append(("measure_progress", "M01", locality, YEAR, "none", "All", statistic, "count", value))
    return pl.DataFrame(rows, schema=["table", "measure", "locality", "period", "breakdown", "category", "statistic",
                                      "kind", "true_value"], orient="row")


def publish(values: dict[str, tuple[int, int]]) -> pl.DataFrame:
    return protect_publication(progress_cells(values), SPECS, POLICY, knowledge=KNOWLEDGE)


def row(published: pl.DataFrame, locality: str, statistic: str, kind: str) -> dict:
    found = published.filter(pl.col("locality") == locality, pl.col("statistic") == statistic,
                             pl.col("kind") == kind, pl.col("period") == YEAR)
    assert found.height == 1
    return found.row(0, named=True)


def test_two_true_worlds_with_the_same_rounding_publish_identical_tables() -> None:
    world_a = publish({"L1": (12, 31), "L2": (20, 45)})  # Dorset 32 / 76
    world_b = publish({"L1": (11, 29), "L2": (21, 46)})  # Dorset 32 / 75: every count rounds the same way
    assert world_a.equals(world_b)
    assert row(world_a, "L1", "improved_percent", "percent")["value"] == pytest.approx(33.3)  # 10 / 30, not 12 / 31


def test_interval_is_wilson_of_the_rounded_counts() -> None:
    published = publish({"L1": (12, 31), "L2": (20, 45)})
    lower, upper = stats.wilson_interval(10, 30, "95")
    assert row(published, "L1", "improved_percent", "ci_lower")["value"] == pytest.approx(round(100 * lower, 1))
    assert row(published, "L1", "improved_percent", "ci_upper")["value"] == pytest.approx(round(100 * upper, 1))


def test_interval_cannot_be_inverted_to_the_true_counts() -> None:
    """Every true pair within the rounding intervals gives the same published interval; one from true counts
    would single the truth out."""
    published = publish({"L1": (12, 31), "L2": (20, 45)})
    shown = (row(published, "L1", "improved_percent", "ci_lower")["value"],
             row(published, "L1", "improved_percent", "ci_upper")["value"])
    candidates = [(x, n) for x, n in itertools.product(range(10, 13), range(28, 33))  # 10 -> 10..12, 30 -> 28..32
                  if x <= n and x >= 10 and n - x >= 10]

    def published_interval(x: int, n: int) -> tuple[float, float]:
        rounded_x, rounded_n = 5 * ((x + 2) // 5), 5 * ((n + 2) // 5)
        lower, upper = stats.wilson_interval(rounded_x, rounded_n, "95")
        return round(100 * lower, 1), round(100 * upper, 1)

    consistent = [pair for pair in candidates if published_interval(*pair) == shown]
    assert len(consistent) == len(candidates) == 15
    from_true = {pair: tuple(round(100 * v, 1) for v in stats.wilson_interval(*pair, "95")) for pair in candidates}
    assert list(from_true.values()).count(from_true[(12, 31)]) == 1  # what rounding-then-deriving prevents


def test_percentage_is_suppressed_when_one_side_is_small() -> None:
    published = publish({"L1": (25, 31), "L2": (20, 45)})  # L1: 6 not improved
    assert row(published, "L1", "improved_percent", "percent")["symbol"] == CONFIDENTIAL
    assert row(published, "L1", "improved_percent", "ci_lower")["symbol"] == CONFIDENTIAL
    assert row(published, "L2", "improved_percent", "percent")["symbol"] is None
    assert row(published, "L1", "improved", "count")["value"] == 25.0  # the counts themselves are still published


@pytest.mark.parametrize(
    ("reviewed", "improved_symbol", "improved_value"),
    [
        (5, CONFIDENTIAL, None),   # 0 of a group of 1..9
        (15, CONFIDENTIAL, None),  # 0 of a group of 10..19: still class disclosure ("none of these 15 improved")
        (19, CONFIDENTIAL, None),
        (20, None, 0.0),           # groups of at least 2 x 10 may show a zero, as a percentage could be shown there
        (0, None, 0.0),            # an empty group says nothing about anyone
    ],
)
def test_class_disclosure_rule(reviewed: int, improved_symbol: str | None, improved_value: float | None) -> None:
    published = publish({"L1": (0, reviewed), "L2": (20, 45)})
    improved = row(published, "L1", "improved", "count")
    assert improved["symbol"] == improved_symbol
    assert improved["value"] == improved_value
    assert row(published, "L1", "improved_percent", "percent")["symbol"] == CONFIDENTIAL  # never a 0%


def test_comparison_and_trend_rows_are_labels_from_published_values() -> None:
    published = publish({"L1": (12, 31), "L2": (20, 45)})
    comparison = row(published, "L1", "improved_percent", "comparison")
    assert comparison["value"] is None and comparison["symbol"] in stats.COMPARISON_LABELS
    assert published.filter(pl.col("kind") == "comparison", pl.col("locality") == "Dorset").height == 0
    trend = published.filter(pl.col("kind") == "trend", pl.col("locality") == "L1").row(0, named=True)
    assert trend["period"] == "all" and trend["symbol"] == stats.TREND_CANNOT  # one year, not five
