"""Statistics for the indicator dashboard, following Fingertips (UKHSA PHEindicatormethods) methods.

Everything here is pure and vectorised so one definition serves scalars (tests, single tiles), numpy arrays
(publishing) and polars expressions (LazyFrame pipelines). Formulas and test vectors: the team reference
``indicators.md`` ("Formulas used by Fingertips").

Missing values: numpy functions return ``nan``; polars expressions return ``null`` (polars' own missing marker,
which aggregations and ``fill_null`` understand, unlike NaN).

Comparison labels (single overlapping-CI rule, benchmark inside the interval = similar):

* one level (the configured 95% or 99.8% interval): ``better`` / ``similar`` / ``worse``, or ``higher`` /
  ``similar`` / ``lower`` for measures without polarity;
* two levels (95% and 99.8% intervals both given), Fingertips legend wording: ``better (95%)`` = outside the 95%
  interval but inside the 99.8% one, ``better (99.8%)`` = outside the 99.8% interval too; likewise ``worse``,
  ``higher`` and ``lower``. (The reference notes call the second tier "best/worst"; we do not, because it would
  read as a ranking, not a significance level.)
* ``not compared`` whenever the value, an interval bound or the benchmark is missing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

FloatArray = npt.NDArray[np.float64]
FloatOrArray = float | FloatArray

# --- confidence levels -------------------------------------------------------------------------------------------

LEVEL_95 = "95"
LEVEL_998 = "99.8"
LEVELS: tuple[str, ...] = (LEVEL_95, LEVEL_998)

# Fingertips' published (truncated) normal quantiles, used as-is so our numbers match theirs to the last digit.
Z_95 = 1.959964
Z_998 = 3.090232
_Z_BY_LEVEL = {LEVEL_95: Z_95, LEVEL_998: Z_998}
# Chi-square (1 df) critical values for the trend test, as published.
TREND_CRITICAL_CHI_SQUARE = {LEVEL_95: 3.8415, LEVEL_998: 9.5495}


def _check_level(level: str) -> str:
    if level not in _Z_BY_LEVEL:
        raise ValueError(f"confidence level must be one of {LEVELS} (a string, as in disclosure.toml), got {level!r}")
    return level


def z_for(level: str) -> float:
    """Two-sided normal quantile for a configured level ("95" or "99.8"); strings match disclosure.toml."""
    return _Z_BY_LEVEL[_check_level(level)]


# --- polarity ----------------------------------------------------------------------------------------------------

HIGHER_IS_BETTER = "higher_is_better"
LOWER_IS_BETTER = "lower_is_better"
NO_POLARITY = "no_polarity"
POLARITIES: tuple[str, ...] = (HIGHER_IS_BETTER, LOWER_IS_BETTER, NO_POLARITY)


def _check_polarity(polarity: str) -> str:
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {POLARITIES}, got {polarity!r}")
    return polarity


# --- helpers -----------------------------------------------------------------------------------------------------


def _as_float_array(values: Any) -> FloatArray:
    """None becomes nan, so callers may pass lists with gaps."""
    return np.asarray(values, dtype=np.float64)


def _maybe_scalar(result: FloatArray) -> FloatOrArray:
    return float(result) if result.ndim == 0 else result


def _is_missing(value: float | None) -> bool:
    return value is None or math.isnan(value)


def _missing_expr(expr: pl.Expr) -> pl.Expr:
    """Null or NaN: polars keeps the two apart, but for statistics both mean 'no value'."""
    as_float = expr.cast(pl.Float64)
    return as_float.is_null() | as_float.is_nan()


# --- Wilson score interval for a proportion ----------------------------------------------------------------------


def _wilson_core(successes: FloatArray, trials: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = 2 * successes + z**2
        half_width = z * np.sqrt(z**2 + 4 * successes * (1 - successes / trials))
        denominator = 2 * (trials + z**2)
        lower = np.clip((centre - half_width) / denominator, 0.0, 1.0)
        upper = np.clip((centre + half_width) / denominator, 0.0, 1.0)
    # At 0% and 100% the formula is exactly 0 and 1, but rounding can land a hair inside; pin them so a 100% cell's
    # interval really contains 100%.
    lower = np.where(successes == 0, 0.0, lower)
    upper = np.where(successes == trials, 1.0, upper)
    usable = trials > 0
    return np.where(usable, lower, np.nan), np.where(usable, upper, np.nan)


def wilson_interval(successes: Any, trials: Any, level: str = LEVEL_95) -> tuple[FloatOrArray, FloatOrArray]:
    """Wilson score interval as proportions in [0, 1]; nan where trials is 0 or missing.

    Wilson, not the normal approximation, because it stays inside [0, 1] and behaves at small counts and at 0% and
    100%, which locality breakdowns produce. Scalars in give floats out; arrays broadcast. Exactly 0 at x = 0 and
    1 at x = n (floating-point rounding would otherwise leave 100% just outside its own interval).
    """
    z = z_for(level)
    x = _as_float_array(successes)
    n = _as_float_array(trials)
    known = ~(np.isnan(x) | np.isnan(n))
    if np.any(known & ((x < 0) | (n < 0) | (x > n))):
        raise ValueError("Wilson interval needs 0 <= successes <= trials")
    lower, upper = _wilson_core(x, n, z)
    return _maybe_scalar(lower), _maybe_scalar(upper)


def wilson_exprs(successes: pl.Expr, trials: pl.Expr, level: str = LEVEL_95) -> tuple[pl.Expr, pl.Expr]:
    """Polars-expression Wilson interval (lower, upper) for LazyFrame pipelines; same numbers as wilson_interval.

    Null where trials is 0 or missing, or where the counts are impossible (successes < 0 or > trials): an
    expression cannot raise, so impossible rows become missing rather than wrong.
    """
    z = z_for(level)
    x = successes.cast(pl.Float64)
    n = trials.cast(pl.Float64)
    # Polars orders NaN above every number, so NaN must be excluded explicitly, not left to the comparisons.
    usable = ~_missing_expr(x) & ~_missing_expr(n) & (n > 0) & (x >= 0) & (x <= n)
    centre = 2 * x + z**2
    half_width = z * (z**2 + 4 * x * (1 - x / n)).sqrt()
    denominator = 2 * (n + z**2)
    lower = (
        pl.when(~usable)
        .then(None)
        .when(x == 0)
        .then(0.0)
        .otherwise(((centre - half_width) / denominator).clip(0.0, 1.0))
    )
    upper = (
        pl.when(~usable)
        .then(None)
        .when(x == n)
        .then(1.0)
        .otherwise(((centre + half_width) / denominator).clip(0.0, 1.0))
    )
    return lower, upper


# --- comparison with a benchmark ---------------------------------------------------------------------------------

NOT_COMPARED = "not compared"
SIMILAR = "similar"
BETTER = "better"
WORSE = "worse"
HIGHER = "higher"
LOWER = "lower"
SUFFIX_95 = " (95%)"
SUFFIX_998 = " (99.8%)"
BETTER_95 = BETTER + SUFFIX_95
BETTER_998 = BETTER + SUFFIX_998
WORSE_95 = WORSE + SUFFIX_95
WORSE_998 = WORSE + SUFFIX_998
HIGHER_95 = HIGHER + SUFFIX_95
HIGHER_998 = HIGHER + SUFFIX_998
LOWER_95 = LOWER + SUFFIX_95
LOWER_998 = LOWER + SUFFIX_998

# Every label compare_with_benchmark can return, in legend order (most favourable / highest first).
COMPARISON_LABELS: tuple[str, ...] = (
    BETTER_998, BETTER_95, BETTER, SIMILAR, WORSE, WORSE_95, WORSE_998,
    HIGHER_998, HIGHER_95, HIGHER, LOWER, LOWER_95, LOWER_998,
    NOT_COMPARED,
)  # fmt: skip

_DIRECTION_WORDS = {
    HIGHER_IS_BETTER: {HIGHER: BETTER, LOWER: WORSE},
    LOWER_IS_BETTER: {HIGHER: WORSE, LOWER: BETTER},
    NO_POLARITY: {HIGHER: HIGHER, LOWER: LOWER},
}


def compare_with_benchmark(
    value: float | None,
    lower: float | None,
    upper: float | None,
    benchmark: float | None,
    polarity: str,
    lower_998: float | None = None,
    upper_998: float | None = None,
) -> str:
    """Fingertips single overlapping-CI comparison: similar if lower <= benchmark <= upper, else higher/lower.

    Higher/lower become better/worse by polarity. Passing the 99.8% bounds switches to the two-level labels
    (see module docstring). Only the interval decides: the value is checked for presence, not position, because
    an interval that excludes the benchmark is the evidence Fingertips uses.
    """
    words = _DIRECTION_WORDS[_check_polarity(polarity)]
    two_level = lower_998 is not None or upper_998 is not None
    if any(_is_missing(v) for v in (value, lower, upper, benchmark)):
        return NOT_COMPARED
    if two_level and (_is_missing(lower_998) or _is_missing(upper_998)):
        return NOT_COMPARED
    if lower > upper or (two_level and lower_998 > upper_998):
        raise ValueError("interval lower bound is above its upper bound")
    if lower <= benchmark <= upper:
        return SIMILAR
    direction = HIGHER if benchmark < lower else LOWER
    label = words[direction]
    if not two_level:
        return label
    outside_998 = benchmark < lower_998 if direction == HIGHER else benchmark > upper_998
    return label + (SUFFIX_998 if outside_998 else SUFFIX_95)


def comparison_expr(
    value: pl.Expr,
    lower: pl.Expr,
    upper: pl.Expr,
    benchmark: pl.Expr,
    polarity: str | pl.Expr,
    lower_998: pl.Expr | None = None,
    upper_998: pl.Expr | None = None,
) -> pl.Expr:
    """compare_with_benchmark as a polars expression (String), for heat maps over localities x measures x years.

    polarity may be a constant or a column. An unrecognised polarity in a column gives null (expressions cannot
    raise); compare_frame validates that up front.
    """
    if isinstance(polarity, str):
        polarity = pl.lit(_check_polarity(polarity))
    if (lower_998 is None) != (upper_998 is None):
        raise ValueError("give both 99.8% bounds or neither")
    two_level = lower_998 is not None

    missing = _missing_expr(value) | _missing_expr(lower) | _missing_expr(upper) | _missing_expr(benchmark)
    if two_level:
        missing = missing | _missing_expr(lower_998) | _missing_expr(upper_998)
    is_higher = benchmark < lower
    is_lower = benchmark > upper

    def word(direction: str) -> pl.Expr:
        return (
            pl.when(polarity == HIGHER_IS_BETTER)
            .then(pl.lit(_DIRECTION_WORDS[HIGHER_IS_BETTER][direction]))
            .when(polarity == LOWER_IS_BETTER)
            .then(pl.lit(_DIRECTION_WORDS[LOWER_IS_BETTER][direction]))
            .when(polarity == NO_POLARITY)
            .then(pl.lit(_DIRECTION_WORDS[NO_POLARITY][direction]))
            .otherwise(pl.lit(None, dtype=pl.String))
        )

    higher_word, lower_word = word(HIGHER), word(LOWER)
    if two_level:
        higher_word = pl.concat_str(
            higher_word, pl.when(benchmark < lower_998).then(pl.lit(SUFFIX_998)).otherwise(pl.lit(SUFFIX_95))
        )
        lower_word = pl.concat_str(
            lower_word, pl.when(benchmark > upper_998).then(pl.lit(SUFFIX_998)).otherwise(pl.lit(SUFFIX_95))
        )
    return (
        pl.when(missing)
        .then(pl.lit(NOT_COMPARED))
        .when(is_higher)
        .then(higher_word)
        .when(is_lower)
        .then(lower_word)
        .otherwise(pl.lit(SIMILAR))
    )


def compare_frame(frame: pl.DataFrame, polarity: str | None = None) -> pl.Series:
    """Vectorised compare_with_benchmark over a DataFrame with columns value, lower, upper, benchmark.

    Optional columns lower_998 and upper_998 switch to two-level labels; polarity comes from the argument or,
    when None, from a ``polarity`` column (the heat map mixes measures). Returns a String Series named
    ``comparison``, one label per row.
    """
    if polarity is None:
        if "polarity" not in frame.columns:
            raise ValueError("give a polarity or a 'polarity' column")
        unknown = set(frame.get_column("polarity").unique().to_list()) - set(POLARITIES)
        if unknown:
            raise ValueError(f"unrecognised polarity values: {sorted(map(str, unknown))}")
        polarity_expr: str | pl.Expr = pl.col("polarity")
    else:
        polarity_expr = _check_polarity(polarity)
    two_level = "lower_998" in frame.columns or "upper_998" in frame.columns
    bad = frame.filter(pl.col("lower") > pl.col("upper"))
    if two_level:
        bad = pl.concat([bad, frame.filter(pl.col("lower_998") > pl.col("upper_998"))])
    if bad.height:
        raise ValueError(f"{bad.height} row(s) have an interval lower bound above its upper bound")
    expr = comparison_expr(
        pl.col("value"),
        pl.col("lower"),
        pl.col("upper"),
        pl.col("benchmark"),
        polarity_expr,
        pl.col("lower_998") if two_level else None,
        pl.col("upper_998") if two_level else None,
    )
    return frame.select(expr.alias("comparison")).to_series()


# --- trend test --------------------------------------------------------------------------------------------------

TREND_POINTS = 5
TREND_INCREASING_BETTER = "increasing and getting better"
TREND_INCREASING_WORSE = "increasing and getting worse"
TREND_DECREASING_BETTER = "decreasing and getting better"
TREND_DECREASING_WORSE = "decreasing and getting worse"
TREND_INCREASING = "increasing"
TREND_DECREASING = "decreasing"
TREND_NO_CHANGE = "no significant change"
TREND_CANNOT = "cannot be calculated"
TREND_LABELS: tuple[str, ...] = (
    TREND_INCREASING_BETTER, TREND_INCREASING_WORSE, TREND_DECREASING_BETTER, TREND_DECREASING_WORSE,
    TREND_INCREASING, TREND_DECREASING, TREND_NO_CHANGE, TREND_CANNOT,
)  # fmt: skip

_TREND_WORDS = {
    (HIGHER_IS_BETTER, 1): TREND_INCREASING_BETTER,
    (HIGHER_IS_BETTER, -1): TREND_DECREASING_WORSE,
    (LOWER_IS_BETTER, 1): TREND_INCREASING_WORSE,
    (LOWER_IS_BETTER, -1): TREND_DECREASING_BETTER,
    (NO_POLARITY, 1): TREND_INCREASING,
    (NO_POLARITY, -1): TREND_DECREASING,
}


@dataclass(frozen=True)
class TrendResult:
    """Outcome of the trend test. chi_square is nan and slope_sign 0 when the test cannot be calculated."""

    label: str
    chi_square: float
    slope_sign: int
    n_points: int


def _weighted_slope_numerator(numerators: FloatArray, denominators: FloatArray, x: FloatArray) -> float:
    """N * sum(O_i x_i) - O * sum(N_i x_i): N^2 times the N-weighted covariance of proportion and x.

    Its sign is the sign of the N-weighted least-squares slope of O_i/N_i on x_i, the slope the test examines.
    """
    total_n = denominators.sum()
    return float(total_n * (numerators * x).sum() - numerators.sum() * (denominators * x).sum())


def _chi_square_for_trend(numerators: FloatArray, denominators: FloatArray, x: FloatArray) -> float:
    total_n, total_o = denominators.sum(), numerators.sum()
    if total_o == 0 or total_o == total_n:
        return 0.0  # every point 0% (or 100%): no variation at all, so no trend; the formula would be 0/0.
    numerator = total_n * _weighted_slope_numerator(numerators, denominators, x) ** 2
    spread_x = total_n * (denominators * x**2).sum() - (denominators * x).sum() ** 2
    return float(numerator / (total_o * (total_n - total_o) * spread_x))


def trend_test(
    numerators: Sequence[float] | FloatArray,
    denominators: Sequence[float] | FloatArray,
    level: str = LEVEL_998,
    *,
    polarity: str,
) -> TrendResult:
    """Chi-square test for trend in a proportion over the last five (equally spaced, oldest first) points.

    A trend is reported only if X2 exceeds the critical value for ``level`` AND the N-weighted slope keeps its
    sign when any one of the five points is left out, so a single outlying year cannot create a trend. Fewer
    than five points, or a missing value / zero denominator among the five, gives "cannot be calculated".
    polarity is required (keyword) so a caller cannot silently lose the better/worse wording.
    """
    critical = TREND_CRITICAL_CHI_SQUARE[_check_level(level)]
    _check_polarity(polarity)
    o_all, n_all = _as_float_array(numerators), _as_float_array(denominators)
    if o_all.ndim != 1 or o_all.shape != n_all.shape:
        raise ValueError("numerators and denominators must be 1-d and the same length")
    o, n = o_all[-TREND_POINTS:], n_all[-TREND_POINTS:]
    n_points = int(o.size)
    if n_points < TREND_POINTS or np.any(np.isnan(o)) or np.any(np.isnan(n)) or np.any(n <= 0):
        return TrendResult(TREND_CANNOT, math.nan, 0, n_points)
    if np.any(o < 0) or np.any(o > n):
        raise ValueError("trend test needs 0 <= numerator <= denominator at every point")

    x = np.arange(1.0, n_points + 1.0)
    chi_square = _chi_square_for_trend(o, n, x)
    slope_sign = int(np.sign(_weighted_slope_numerator(o, n, x)))
    keep_sign = slope_sign != 0 and all(
        int(np.sign(_weighted_slope_numerator(np.delete(o, i), np.delete(n, i), np.delete(x, i)))) == slope_sign
        for i in range(n_points)
    )
    label = _TREND_WORDS[polarity, slope_sign] if chi_square > critical and keep_sign else TREND_NO_CHANGE
    return TrendResult(label, chi_square, slope_sign, n_points)
