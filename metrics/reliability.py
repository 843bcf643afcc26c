"""How far a published percentage can be from the true one, worked out from what is published alone.

A percentage is computed from the published (rounded) counts, so it drifts from the true percentage: 10 of 25 is
40.0%, but the truth could be 12 of 23 (52.2%). A reader who knows the rules knows every true count is in its
rounding interval (metrics.disclosure.primary.published_count_bounds) and, because the percentage is shown, that
numerator and denominator - numerator are both at least percentage_min_each_side. The largest distance between the
shown percentage and any true percentage consistent with that is max_error (percentage points, rounded UP to 0.1):
a function of published values only, so publishing it reveals nothing. A percentage whose max_error exceeds
RELIABLE_WITHIN_PP is flagged [u] (GSS: low reliability) wherever it is shown.
"""

from __future__ import annotations

import math

import numpy as np

RELIABLE_WITHIN_PP = 2.5
LOW_RELIABILITY = "[u]"
MAX_ERROR_KIND = "max_error"


def count_grid(published: np.ndarray, policy) -> tuple[np.ndarray, np.ndarray]:
    """Every whole number each published count can stand for: (values, valid), both shape (n, width)."""
    # Imported here: metrics.disclosure imports this module's users, and they must not import it back at load time.
    from metrics.disclosure.primary import published_count_bounds

    value = np.nan_to_num(np.asarray(published, dtype=np.float64))
    low, high = published_count_bounds(value, policy)
    low, high = np.atleast_1d(np.asarray(low, dtype=np.float64)), np.atleast_1d(np.asarray(high, dtype=np.float64))
    width = int(max(1, np.max(high - low) + 1)) if low.size else 1
    values = low[:, None] + np.arange(width)[None, :]
    return values, values <= high[:, None]


def percent_grid(num_pub: np.ndarray, den_pub: np.ndarray, policy) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, feasible), shape (n, w, w): every true (numerator, denominator) consistent with a shown percentage."""
    x, x_ok = count_grid(num_pub, policy)
    y, y_ok = count_grid(den_pub, policy)
    xs, ys = x[:, :, None], y[:, None, :]
    minimum = policy.percentage_min_each_side
    feasible = x_ok[:, :, None] & y_ok[:, None, :] & (xs >= minimum) & (ys - xs >= minimum)
    return np.broadcast_to(xs, feasible.shape), np.broadcast_to(ys, feasible.shape), feasible


def max_percent_error(num_pub, den_pub, shown, policy) -> np.ndarray:
    """Largest |shown - 100 x / y| over the true counts consistent with the published ones (pp, rounded up to 0.1);
    nan where the percentage is not shown (num_pub, den_pub or shown missing)."""
    num = np.asarray(num_pub, dtype=np.float64)
    den = np.asarray(den_pub, dtype=np.float64)
    shown = np.asarray(shown, dtype=np.float64)
    result = np.full(num.shape, np.nan)
    usable = ~(np.isnan(num) | np.isnan(den) | np.isnan(shown))
    if not usable.any():
        return result
    x, y, feasible = percent_grid(num[usable], den[usable], policy)
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = np.abs(shown[usable][:, None, None] - 100.0 * x / y)
    worst = np.where(feasible, distance, -np.inf).max(axis=(1, 2))
    # No feasible truth at all cannot happen for a percentage the rules let through; treat it as unbounded.
    worst = np.where(np.isfinite(worst), worst, np.inf)
    result[usable] = np.ceil(np.round(worst * 10.0, 6)) / 10.0
    return result


def ratio_range(low_num: float, high_num: float, low_den: float, high_den: float) -> tuple[float, float]:
    """min and max of x / y over x in [low_num, high_num], y in [low_den, high_den] and x <= y (sums of counts)."""
    if high_den <= 0:
        return math.nan, math.nan
    lowest = low_num / high_den
    highest = 1.0 if high_num >= low_den else high_num / max(low_den, 1e-12)
    return lowest, min(highest, 1.0)


def is_low_reliability(max_error: float | None) -> bool:
    return max_error is not None and not math.isnan(max_error) and max_error > RELIABLE_WITHIN_PP


def max_error_problems(published, percent_rows, policy) -> list[dict]:
    """max_error rows that do not follow from the published counts (for the audit; empty when all do).

    percent_rows: the published percent rows with num_pub and den_pub (the published counts behind them).
    """
    import polars as pl

    place = ["table", "measure", "locality", "period", "breakdown", "category", "statistic"]
    # Only those of a percentage of two count cells; needs_overview's are checked by metrics.headline.
    percents = published.filter(pl.col("kind") == "percent").select(place)
    rows = published.filter(pl.col("kind") == MAX_ERROR_KIND).join(percents, on=place, how="semi")
    if rows.height == 0:
        return []
    shown = percent_rows.filter(pl.col("value").is_not_null())
    expected = max_percent_error(shown["num_pub"].fill_null(np.nan).to_numpy(),
                                 shown["den_pub"].fill_null(np.nan).to_numpy(),
                                 shown["value"].to_numpy(), policy)
    rebuilt = shown.select(place).with_columns(rebuilt=pl.Series(expected).fill_nan(None))
    joined = rows.join(rebuilt, on=place, how="left")
    problems = []
    for row in joined.iter_rows(named=True):
        value, again = row["value"], row["rebuilt"]
        flag_ok = (row["symbol"] == LOW_RELIABILITY) == (again is not None and again > RELIABLE_WITHIN_PP)
        same = (value is None and again is None) or (value is not None and again is not None
                                                     and abs(value - again) < 1e-6)
        if not (same and (flag_ok or value is None)):
            problems.append({**{k: row[k] for k in place}, "kind": MAX_ERROR_KIND,
                             "problem": f"max_error {value} {row['symbol']} does not follow from the published "
                                        f"counts ({again})"})
    return problems
