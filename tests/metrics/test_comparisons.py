"""Comparison and trend labels from published counts: polarity of the statistic, maturing periods, labels that
rounding could change, and the trend over complete years only."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from data_access.config import DisclosurePolicy
from metrics import stats
from metrics.comparisons import (
    NOT_COMPARED_MATURING,
    NOT_COMPARED_ROUNDING,
    comparison_labels,
    statistic_polarity,
    trend_series_labels,
)
from metrics.disclosure import percent_publishable, round_count
from metrics.impact.tables import PERCENT_STATISTICS
from metrics.maturity import MATURING

POLICY = DisclosurePolicy(threshold=10, rounding_base=5, percentage_min_each_side=10, protection_level=5,
                          confidence_level="95")


def _rows(*cases: tuple) -> pl.DataFrame:
    """cases: (statistic, period, polarity, num, den, bench_num, bench_den) with published counts."""
    return pl.DataFrame(
        [("measure_progress" if not s.startswith(("supported", "comparison", "matched")) else "impact", s, p, pol,
          *counts) for s, p, pol, *counts in cases],
        schema={"table": pl.String, "statistic": pl.String, "period": pl.String, "polarity": pl.String,
                "num_pub": pl.Float64, "den_pub": pl.Float64, "bench_num": pl.Float64, "bench_den": pl.Float64},
        orient="row")


def test_every_impact_share_counts_the_need_persisting_so_lower_is_better():
    for statistic in PERCENT_STATISTICS:
        assert statistic_polarity("impact", statistic, stats.HIGHER_IS_BETTER) == stats.LOWER_IS_BETTER
    assert statistic_polarity("measure_progress", "improved_percent", stats.HIGHER_IS_BETTER) == stats.HIGHER_IS_BETTER


def test_a_higher_share_with_the_need_still_present_is_worse():
    """The issue's example shape: a locality well above the area on "% still present" is worse, not better."""
    rows = _rows(("supported_percent", "all", stats.LOWER_IS_BETTER, 260, 300, 1600, 2000))
    assert comparison_labels(rows, POLICY).to_list() == [stats.WORSE]
    rows = _rows(("improved_percent", "2023/24", stats.HIGHER_IS_BETTER, 260, 300, 1600, 2000))
    assert comparison_labels(rows, POLICY).to_list() == [stats.BETTER]


def test_a_maturing_period_is_never_compared():
    rows = _rows(("sustained_percent", "2025/26", stats.HIGHER_IS_BETTER, 260, 300, 1600, 2000))
    statuses = {("measure_progress", "sustained_percent", "2025/26"): MATURING}
    assert comparison_labels(rows, POLICY, statuses).to_list() == [NOT_COMPARED_MATURING]


def test_a_label_rounding_could_change_is_not_published():
    """Published 20 of 50 (40.0%, 95% CI 27.6-53.8) against 52.0%: "similar" on the published figures, but the
    truth could be 18 of 52 (upper limit 48.2%), which would be "worse"."""
    rows = _rows(("improved_percent", "2023/24", stats.HIGHER_IS_BETTER, 20, 50, 1040, 2000))
    assert stats.compare_with_benchmark(40.0, 27.6, 53.8, 52.0, stats.HIGHER_IS_BETTER) == stats.SIMILAR
    assert comparison_labels(rows, POLICY).to_list() == [NOT_COMPARED_ROUNDING]


def test_not_shown_is_not_compared():
    rows = _rows(("improved_percent", "2023/24", stats.HIGHER_IS_BETTER, None, None, 1080, 2000))
    assert comparison_labels(rows, POLICY).to_list() == [stats.NOT_COMPARED]


@st.composite
def locality_and_area(draw):
    local_num = draw(st.integers(10, 300))
    local_den = local_num + draw(st.integers(10, 300))
    other_num = draw(st.integers(0, 2000))
    other_den = other_num + draw(st.integers(0, 2000))
    return local_num, local_den, local_num + other_num, local_den + other_den


@settings(max_examples=400, deadline=None)
@given(locality_and_area(), st.sampled_from([stats.HIGHER_IS_BETTER, stats.LOWER_IS_BETTER]))
def test_every_published_label_is_the_label_of_the_true_counts(counts, polarity):
    x, y, big_x, big_y = counts
    if not percent_publishable(big_x, big_y, POLICY):
        return
    published = [float(round_count(value, POLICY)) for value in counts]
    label = comparison_labels(_rows(("improved_percent", "2023/24", polarity, *published)), POLICY)[0]
    if label.startswith(stats.NOT_COMPARED):
        return
    lower, upper = stats.wilson_interval(x, y, "95")
    truth = stats.compare_with_benchmark(x / y, lower, upper, big_x / big_y, polarity)
    assert label == truth


def _series(periods, numerators, denominators) -> pl.DataFrame:
    return pl.DataFrame({"table": ["measure_progress"], "measure": ["M01"], "statistic": ["sustained_percent"],
                         "period": [periods], "num_pub": [numerators], "den_pub": [denominators]})


def _polarity(table: str, statistic: str, measure: str) -> str:
    return stats.HIGHER_IS_BETTER


def test_the_trend_uses_the_last_five_complete_years_and_skips_maturing_ones():
    years = ["2019/20", "2020/21", "2021/22", "2022/23", "2023/24", "2024/25", "2025/26"]
    numerators = [40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 5.0]  # 2025/26: few due yet, a fall that is not real
    denominators = [200.0] * 6 + [20.0]
    statuses = {("measure_progress", "sustained_percent", "2025/26"): MATURING}
    rising = trend_series_labels(_series(years, numerators, denominators), _polarity, statuses)
    assert rising == [stats.TREND_INCREASING_BETTER]
    as_if_complete = trend_series_labels(_series(years, numerators, denominators), _polarity)
    assert as_if_complete == [stats.TREND_NO_CHANGE]  # leave-one-out fails once the maturing year is a point


def test_quarters_and_pooled_periods_are_not_trend_points():
    periods = ["2020/21", "2021/22", "2022/23", "2023/24", "2024/25", "2022/23-2024/25", "2024/25 Q4"]
    numerators = [40.0, 50.0, 60.0, 70.0, 80.0, 1.0, 1.0]
    denominators = [200.0] * 5 + [600.0, 50.0]
    assert trend_series_labels(_series(periods, numerators, denominators), _polarity) == [
        stats.TREND_INCREASING_BETTER]
    assert trend_series_labels(_series(periods[1:], numerators[1:], denominators[1:]), _polarity) == [
        stats.TREND_CANNOT]  # four complete years only
