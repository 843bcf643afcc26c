"""Primary disclosure rule: suppress small counts, round the rest, and the percentage rule.

These are the first line of protection and the pieces every page and module uses directly. They say
nothing about differencing between cells: that is secondary suppression (metrics.disclosure.secondary)
proven by the attacker in metrics.audit.

Rule (config/disclosure.toml, threshold t, rounding base b):
  0           -> 0 (a zero is published; class disclosure is handled for percentages, see docs/disclosure.md)
  1 .. t-1    -> suppressed, symbol "[c]"
  >= t        -> rounded to the nearest multiple of b, halves rounded up, and never below the smallest
                 multiple of b that is >= t (so a published non-zero count is never below the threshold).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from data_access.config import DisclosurePolicy

CONFIDENTIAL = "[c]"
NOT_AVAILABLE = "[x]"
NOT_APPLICABLE = "[z]"
SYMBOLS = (CONFIDENTIAL, NOT_AVAILABLE, NOT_APPLICABLE)


def smallest_published_count(policy: DisclosurePolicy) -> int:
    """The smallest non-zero value a published count can show: the first multiple of the base >= threshold."""
    base = policy.rounding_base
    return max(base, -(-policy.threshold // base) * base)


def round_count(true_counts: Any, policy: DisclosurePolicy) -> npt.NDArray[np.int64]:
    """Nearest multiple of the base (halves up), floored at the smallest publishable count; no suppression."""
    counts = np.asarray(true_counts, dtype=np.int64)
    base = policy.rounding_base
    rounded = (counts + base // 2) // base * base
    return np.where(counts > 0, np.maximum(rounded, smallest_published_count(policy)), 0)


def protect_count(values: Any, policy: DisclosurePolicy) -> tuple[Any, Any]:
    """Primary rule on true counts; returns (value, symbol).

    A scalar gives (float | None, str | None); an array gives (float array with nan where suppressed,
    object array of None / "[c]"). Negative or fractional counts raise: counts are of distinct units.
    """
    raw = np.asarray(values)
    scalar = raw.ndim == 0
    as_float = raw.astype(np.float64)
    if np.any(np.isnan(as_float)) or np.any(as_float < 0) or np.any(as_float != np.floor(as_float)):
        raise ValueError("counts must be whole numbers >= 0")
    counts = as_float.astype(np.int64)
    suppressed = (counts >= 1) & (counts < policy.threshold)
    value = np.where(suppressed, np.nan, round_count(counts, policy).astype(np.float64))
    symbol = np.where(suppressed, CONFIDENTIAL, None).astype(object)
    if scalar:
        v = float(value)
        return (None if math.isnan(v) else v), symbol.item()
    return value, symbol


def protected_count_exprs(true_count: pl.Expr, policy: DisclosurePolicy) -> tuple[pl.Expr, pl.Expr]:
    """The primary rule as polars expressions (value Float64 null when suppressed, symbol String)."""
    base = policy.rounding_base
    count = true_count.cast(pl.Int64)
    suppressed = (count >= 1) & (count < policy.threshold)
    rounded = ((count + base // 2) // base * base).clip(lower_bound=smallest_published_count(policy))
    value = (
        pl.when(suppressed).then(None).when(count == 0).then(pl.lit(0)).otherwise(rounded).cast(pl.Float64)
    )
    symbol = pl.when(suppressed).then(pl.lit(CONFIDENTIAL)).otherwise(pl.lit(None, dtype=pl.String))
    return value, symbol


def protect_counts_frame(
    frame: pl.DataFrame,
    policy: DisclosurePolicy,
    count_col: str = "true_value",
    *,
    keep_true: bool = False,
) -> pl.DataFrame:
    """Add `value` and `symbol` by the primary rule and (unless keep_true) drop the true count column.

    Primary rule only: a frame holding a total and its parts also needs protect_publication.
    """
    if frame.schema[count_col] not in (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32,
                                       pl.UInt64):
        raise TypeError(f"{count_col} must be an integer column of true counts")
    if frame.height and (frame[count_col].min() or 0) < 0:
        raise ValueError("counts must be >= 0")
    value, symbol = protected_count_exprs(pl.col(count_col), policy)
    out = frame.with_columns(value=value, symbol=symbol)
    return out if keep_true else out.drop(count_col)


def percent_publishable(numerator: Any, denominator: Any, policy: DisclosurePolicy) -> Any:
    """True where numerator and denominator - numerator are both >= percentage_min_each_side (true counts).

    Checked on the true counts, so a percentage never reveals that a side is small. Scalars give a bool.
    """
    x = np.asarray(numerator, dtype=np.float64)
    n = np.asarray(denominator, dtype=np.float64)
    minimum = policy.percentage_min_each_side
    with np.errstate(invalid="ignore"):
        ok = (n > 0) & (x >= minimum) & ((n - x) >= minimum) & ~np.isnan(x) & ~np.isnan(n)
    return bool(ok) if ok.ndim == 0 else ok


def published_count_bounds(value: Any, policy: DisclosurePolicy) -> tuple[Any, Any]:
    """What a reader who knows the policy learns from a published count: true value in [low, high].

    0 -> [0, 0]; v -> the integers that round to v, never below the threshold. Used by the attacker.
    """
    v = np.asarray(value, dtype=np.float64)
    base = policy.rounding_base
    low = np.ceil(v - base / 2.0)
    high = np.ceil(v + base / 2.0) - 1.0
    low = np.where(v == smallest_published_count(policy), policy.threshold, np.maximum(low, policy.threshold))
    low = np.where(v == 0, 0.0, low)
    high = np.where(v == 0, 0.0, high)
    if v.ndim == 0:
        return float(low), float(high)
    return low, high
