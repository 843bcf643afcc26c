"""The all-needs headline is made from published counts only: golden answers worked out by hand."""

from __future__ import annotations

import polars as pl
import pytest

from data_access.config import load_disclosure_policy
from data_access.published_schema import PUBLISHED_COLUMNS
from metrics.headline import DUE, INCLUDED, SHARE, SUSTAINED, check_needs_overview, needs_overview_rows

MEASURES = ["M01", "M07"]


def _count(measure: str, locality: str, statistic: str, value: float | None, symbol: str | None = None,
           period: str = "2024/25", breakdown: str = "none", category: str = "All") -> dict:
    return {"table": "measure_progress", "measure": measure, "locality": locality, "period": period,
            "breakdown": breakdown, "category": category, "statistic": statistic, "kind": "count",
            "value": value, "symbol": symbol, "numerator": None, "denominator": None}


def _published(rows: list[dict]) -> pl.DataFrame:
    schema = {name: pl.String for name in PUBLISHED_COLUMNS} | {"value": pl.Float64}
    return pl.DataFrame(rows, schema=schema)


@pytest.fixture
def published() -> pl.DataFrame:
    return _published([
        # Dorset: every part published. due 120 + 45 = 165; sustained 70 + 20 = 90 -> 54.5%
        _count("M01", "Dorset", "due_sustain_check", 120), _count("M01", "Dorset", "sustained", 70),
        _count("M07", "Dorset", "due_sustain_check", 45), _count("M07", "Dorset", "sustained", 20),
        # Purbeck: M07 sustained suppressed -> M07 left out: due 25, sustained 15 (1 measure) -> share [c] (25-15=10
        # is fine, 15 >= 10 fine -> 60%)
        _count("M01", "Purbeck", "due_sustain_check", 25), _count("M01", "Purbeck", "sustained", 15),
        _count("M07", "Purbeck", "due_sustain_check", 10), _count("M07", "Purbeck", "sustained", None, "[c]"),
        # Chesil: all published, but due - sustained = 5 < 10 -> the share is [c]
        _count("M01", "Chesil", "due_sustain_check", 20), _count("M01", "Chesil", "sustained", 15),
        _count("M07", "Chesil", "due_sustain_check", 0), _count("M07", "Chesil", "sustained", 0),
        # rows that must not be counted: a breakdown category, a quarter, another statistic, a measure not listed
        _count("M01", "Dorset", "sustained", 35, breakdown="sex", category="Female"),
        _count("M01", "Dorset", "sustained", 35, period="2024/25 Q1"),
        _count("M01", "Dorset", "improved", 90),
        _count("M99", "Dorset", "sustained", 500),
    ])


def _value(rows: pl.DataFrame, locality: str, statistic: str, kind: str | None = None
           ) -> tuple[float | None, str | None]:
    row = rows.filter(pl.col("locality") == locality, pl.col("statistic") == statistic,
                      (pl.col("kind") == kind) if kind else (pl.col("kind") != "max_error"))
    assert row.height == 1
    return row["value"].item(), row["symbol"].item()


def test_sums_and_share_from_published_parts(published):
    rows = needs_overview_rows(published, MEASURES, load_disclosure_policy())
    assert _value(rows, "Dorset", DUE) == (165.0, None)
    assert _value(rows, "Dorset", SUSTAINED) == (90.0, None)
    share, symbol = _value(rows, "Dorset", SHARE)
    assert symbol is None and share == pytest.approx(100 * 90 / 165)
    share_row = rows.filter(pl.col("statistic") == SHARE, pl.col("locality") == "Dorset")
    assert share_row.select("numerator", "denominator", "kind").row(0) == (SUSTAINED, DUE, "percent_of_published")
    assert set(rows["period"].to_list()) == {"2024/25"}
    assert set(rows["table"].to_list()) == {"needs_overview"}


def test_the_share_says_how_far_it_can_be_from_the_truth(published):
    """Dorset: due 120 + 45 (true 118-122 and 43-47: 161-169), sustained 70 + 20 (68-72, 18-22: 86-94). The share
    shown is 54.5%; the truth lies between 86 / 169 = 50.89% and 94 / 161 = 58.39%: up to 3.89 points away."""
    rows = needs_overview_rows(published, MEASURES, load_disclosure_policy())
    assert _value(rows, "Dorset", SHARE, "max_error") == (pytest.approx(3.9), "[u]")
    assert _value(rows, "Chesil", SHARE, "max_error") == (None, "[c]")  # no share shown: nothing to bound


def test_a_measure_with_a_suppressed_part_is_left_out_and_counted(published):
    rows = needs_overview_rows(published, MEASURES, load_disclosure_policy())
    assert _value(rows, "Purbeck", DUE) == (25.0, None)
    assert _value(rows, "Purbeck", SUSTAINED) == (15.0, None)
    assert _value(rows, "Purbeck", INCLUDED) == (1.0, None)
    assert _value(rows, "Purbeck", SHARE) == (pytest.approx(60.0), None)
    assert _value(rows, "Dorset", INCLUDED) == (2.0, None)


def test_with_no_measure_usable_the_share_is_not_available(published):
    only_suppressed = published.with_columns(
        value=pl.when(pl.col("locality") == "Dorset").then(None).otherwise(pl.col("value")),
        symbol=pl.when(pl.col("locality") == "Dorset").then(pl.lit("[c]")).otherwise(pl.col("symbol")),
    )
    rows = needs_overview_rows(only_suppressed, MEASURES, load_disclosure_policy())
    assert _value(rows, "Dorset", INCLUDED) == (0.0, None)
    assert _value(rows, "Dorset", SUSTAINED) == (None, "[x]")
    assert _value(rows, "Dorset", SHARE) == (None, "[x]")


def test_the_percentage_rule_applies_to_the_share(published):
    rows = needs_overview_rows(published, MEASURES, load_disclosure_policy())
    assert _value(rows, "Chesil", DUE) == (20.0, None)
    assert _value(rows, "Chesil", SUSTAINED) == (15.0, None)
    assert _value(rows, "Chesil", SHARE) == (None, "[c]")


def test_a_missing_measure_row_leaves_that_measure_out(published):
    without = published.filter(~((pl.col("measure") == "M07") & (pl.col("locality") == "Dorset")
                                 & (pl.col("statistic") == "sustained")))
    rows = needs_overview_rows(without, MEASURES, load_disclosure_policy())
    assert _value(rows, "Dorset", SUSTAINED) == (70.0, None)
    assert _value(rows, "Dorset", DUE) == (120.0, None)
    assert _value(rows, "Dorset", INCLUDED) == (1.0, None)


def test_the_audit_rebuilds_the_table_and_finds_a_tampered_value(published):
    policy = load_disclosure_policy()
    rows = needs_overview_rows(published, MEASURES, policy)
    whole = pl.concat([published, rows.select(published.columns)])
    assert check_needs_overview(whole, MEASURES, policy).is_empty()
    tampered = whole.with_columns(
        value=pl.when((pl.col("table") == "needs_overview") & (pl.col("locality") == "Dorset")
                      & (pl.col("statistic") == SUSTAINED)).then(91.0).otherwise(pl.col("value"))
    )
    problems = check_needs_overview(tampered, MEASURES, policy)
    assert problems.select("locality", "statistic").rows() == [("Dorset", SUSTAINED)]


def test_the_audit_finds_a_published_row_that_has_no_parts(published):
    policy = load_disclosure_policy()
    rows = needs_overview_rows(published, MEASURES, policy)
    invented = rows.filter(pl.col("locality") == "Dorset").with_columns(locality=pl.lit("Purbek"))
    whole = pl.concat([published, rows.select(published.columns), invented.select(published.columns)])
    problems = check_needs_overview(whole, MEASURES, policy)
    assert set(problems["locality"].to_list()) == {"Purbek"}
    assert check_needs_overview(published, MEASURES, policy).is_empty()  # no table published: nothing to check


def test_a_publication_without_measure_rows_gives_an_empty_table():
    rows = needs_overview_rows(_published([]), MEASURES, load_disclosure_policy())
    assert rows.is_empty()
    assert check_needs_overview(_published([]), MEASURES, load_disclosure_policy()).is_empty()


def test_rows_come_in_the_same_order_every_run():
    """A percentage is followed by its max_error in every place (a publication's rows and digest are the same from
    the same data: an unstable sort once swapped them between runs)."""
    localities = ("Dorset", "Chesil", "Dorchester", "East Dorset", "North Dorset", "Purbeck", "West Dorset")
    periods = [f"{year}/{(year + 1) % 100:02d}" for year in range(2014, 2025)]
    published = _published([_count(measure, locality, statistic, 40 + 5 * index, period=period)
                            for index, (measure, locality, period) in enumerate(
                                (m, loc, p) for m in MEASURES for loc in localities for p in periods)
                            for statistic in ("due_sustain_check", "sustained")])
    for _ in range(3):
        rows = needs_overview_rows(published, MEASURES, load_disclosure_policy())
        share_kinds = rows.filter(pl.col("statistic") == SHARE).group_by("locality", "period", maintain_order=True).agg(
            pl.col("kind"))
        assert share_kinds.height == len(localities) * len(periods)
        assert set(map(tuple, share_kinds.get_column("kind").to_list())) == {("percent_of_published", "max_error")}
