"""Comparison and trend labels from PUBLISHED counts: the one definition the publish step and the audit share.

Comparison with the area (Fingertips' overlapping-interval rule, metrics.stats.compare_frame) of a percentage shown
for a locality, at the configured confidence level, with three rules on top:
  * the polarity is that of the statistic shown (statistic_polarity): a higher share improved is better, a higher
    share with the need still present (the impact table) is worse;
  * a maturing period (metrics.maturity) is never compared: "not compared (maturing)";
  * a label is published only when it would be the same on the TRUE counts, whatever they are within what the
    published counts and the rules allow (each count within its rounding interval, at least
    percentage_min_each_side on each side of a shown percentage): otherwise "not compared (rounding)". The check
    uses published values only, so it reveals nothing; it makes every better/similar/worse label one the true
    counts would give too.
Trend (metrics.stats.trend_test at TREND_LEVEL) over the last TREND_POINTS complete financial years, a maturing
year never being one of them; a year whose percentage is not shown makes the trend "cannot be calculated".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import polars as pl

from metrics import stats
from metrics.maturity import COMPLETE
from metrics.periods import is_financial_year
from metrics.reliability import percent_grid

NOT_COMPARED_MATURING = stats.NOT_COMPARED + " (maturing)"
NOT_COMPARED_ROUNDING = stats.NOT_COMPARED + " (rounding)"
TREND_LEVEL = stats.LEVEL_998
"""Trends use 99.8%, not the configured 95%: each publication tests a trend for every measure, statistic and area
(about 170 series), and a trend label reads as a finding; at 95% about one series in twenty would show a trend by
chance alone (Fingertips uses 99.8% for trends for the same reason)."""

LOWER_IS_BETTER_STATISTICS = frozenset({
    # impact: shares of units whose need was STILL PRESENT 12 months after the index date
    ("impact", "supported_percent"), ("impact", "comparison_percent"),
    ("impact", "matched_supported_percent"), ("impact", "matched_comparison_percent"),
})


def statistic_polarity(table: str, statistic: str, measure_polarity: str) -> str:
    """Polarity of the statistic shown: the measure's (higher % improved / sustained is better) unless the
    statistic counts the need persisting (LOWER_IS_BETTER_STATISTICS)."""
    if (table, statistic) in LOWER_IS_BETTER_STATISTICS:
        return stats.LOWER_IS_BETTER
    return measure_polarity


def polarity_column(frame: pl.DataFrame, measure_polarities: Mapping[str, str]) -> pl.Series:
    """statistic_polarity for every row of a frame with table, statistic and measure columns."""
    return pl.Series("polarity", [
        statistic_polarity(table, statistic, measure_polarities.get(measure, stats.HIGHER_IS_BETTER))
        for table, statistic, measure in frame.select("table", "statistic", "measure").iter_rows()
    ], dtype=pl.String)


def _one_dp(values: np.ndarray) -> np.ndarray:
    return np.round(values, 1)


def comparison_labels(rows: pl.DataFrame, policy, statuses: Mapping[tuple[str, str, str], str] | None = None,
                      ) -> pl.Series:
    """The published comparison label of each row.

    rows: table, statistic, period, polarity, and the PUBLISHED counts of the locality's percentage (num_pub,
    den_pub) and of the area's (bench_num, bench_den), null where that percentage is not shown. The label is worked
    out from the percentages and intervals as published (1 dp), like any reader would.
    """
    statuses = statuses or {}
    level = policy.confidence_level
    num = rows["num_pub"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    den = rows["den_pub"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    bnum = rows["bench_num"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    bden = rows["bench_den"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        value = _one_dp(100.0 * num / den)
        benchmark = _one_dp(100.0 * bnum / bden)
    lower, upper = stats.wilson_interval(np.nan_to_num(num), np.where(np.isnan(den), 0.0, den), level)
    lower, upper = _one_dp(100.0 * np.asarray(lower)), _one_dp(100.0 * np.asarray(upper))
    shown = pl.DataFrame({"value": value, "lower": lower, "upper": upper, "benchmark": benchmark,
                          "polarity": rows["polarity"]}).with_columns(pl.col("value", "lower", "upper",
                                                                              "benchmark").fill_nan(None))
    labels = stats.compare_frame(shown).to_list()
    with np.errstate(invalid="ignore"):
        direction = np.where(benchmark < lower, stats.HIGHER, np.where(benchmark > upper, stats.LOWER, stats.SIMILAR))
    robust = _robust_directions(num, den, bnum, bden, policy, level)
    result = []
    for index, (table, statistic, period) in enumerate(rows.select("table", "statistic", "period").iter_rows()):
        label = labels[index]
        if label == stats.NOT_COMPARED:
            result.append(label)
        elif statuses.get((table, statistic, period), COMPLETE) != COMPLETE:
            result.append(NOT_COMPARED_MATURING)
        elif robust[index] != direction[index]:
            result.append(NOT_COMPARED_ROUNDING)
        else:
            result.append(label)
    return pl.Series("comparison", result, dtype=pl.String)


def _robust_directions(num: np.ndarray, den: np.ndarray, bnum: np.ndarray, bden: np.ndarray, policy,
                       level: str) -> list[str | None]:
    """Per row, the comparison's direction if it is the same for every true count consistent with the published
    ones, else None: higher (the area lies below the locality's interval), lower or similar."""
    n = num.size
    out: list[str | None] = [None] * n
    usable = ~(np.isnan(num) | np.isnan(den) | np.isnan(bnum) | np.isnan(bden))
    if not usable.any():
        return out
    x, y, ok = percent_grid(num[usable], den[usable], policy)
    bx, by, bok = percent_grid(bnum[usable], bden[usable], policy)
    with np.errstate(invalid="ignore", divide="ignore"):
        low, high = stats.wilson_interval(np.where(ok, x, 0.0), np.where(ok, y, 1.0), level)
        ratio = np.where(bok, bx, 0.0) / np.where(bok, by, 1.0)
    low = np.asarray(low, dtype=np.float64)
    high = np.asarray(high, dtype=np.float64)
    low_min = np.where(ok, low, np.inf).min(axis=(1, 2))
    low_max = np.where(ok, low, -np.inf).max(axis=(1, 2))
    high_min = np.where(ok, high, np.inf).min(axis=(1, 2))
    high_max = np.where(ok, high, -np.inf).max(axis=(1, 2))
    b_min = np.where(bok, ratio, np.inf).min(axis=(1, 2))
    b_max = np.where(bok, ratio, -np.inf).max(axis=(1, 2))
    direction = np.full(low_min.shape, None, dtype=object)
    direction[b_max < low_min] = stats.HIGHER  # the locality is above the area whatever the truth
    direction[b_min > high_max] = stats.LOWER
    direction[(low_max <= b_min) & (b_max <= high_min)] = stats.SIMILAR
    for position, value in zip(np.flatnonzero(usable), direction, strict=True):
        out[position] = value
    return out


def trend_series_labels(series: pl.DataFrame, polarity_of: Callable[[str, str, str], str],
                        statuses: Mapping[tuple[str, str, str], str] | None = None) -> list[str]:
    """The trend label of each series.

    series: one row per series with table, measure, statistic and lists `period`, `num_pub`, `den_pub` (the
    published counts of each period's shown percentage, null where not shown).
    """
    statuses = statuses or {}
    labels = []
    for row in series.iter_rows(named=True):
        key = (row["table"], row["statistic"])
        points = sorted(
            (period, num, den) for period, num, den in zip(row["period"], row["num_pub"], row["den_pub"], strict=True)
            if is_financial_year(period) and statuses.get((*key, period), COMPLETE) == COMPLETE
        )
        numerators = np.array([math.nan if num is None else num for _, num, _ in points], dtype=np.float64)
        denominators = np.array([math.nan if den is None else den for _, _, den in points], dtype=np.float64)
        polarity = polarity_of(row["table"], row["statistic"], row["measure"])
        labels.append(stats.trend_test(numerators, denominators, TREND_LEVEL, polarity=polarity).label)
    return labels
