"""Covariate balance: standardised mean differences (SMD) before and after matching.

SMD = (mean among supported - mean among comparison) / sqrt((var supported + var comparison) / 2).
The denominator is always the one from BEFORE matching, so "after" differs from "before" only
because the means moved (a common convention; matching cannot make balance look better by
shrinking the spread). A covariate is flagged when |SMD| >= 0.1 (the usual threshold).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from metrics.impact.matching import Matches

IMBALANCE_THRESHOLD = 0.1


def standardised_mean_differences(
    raw: npt.ArrayLike, treated: npt.ArrayLike, matches: Matches | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(smd_before, smd_after) for each column of `raw`; smd_after is nan when there are no matches."""
    values = np.asarray(raw, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    treated = np.asarray(treated, dtype=bool)
    supported, comparison = values[treated], values[~treated]
    spread = np.sqrt((_variance(supported) + _variance(comparison)) / 2.0)
    before = _scaled(supported.mean(axis=0) - comparison.mean(axis=0), spread)
    if matches is None or matches.n_pairs == 0:
        return before, np.full(values.shape[1], np.nan)
    after = _scaled(values[matches.treated].mean(axis=0) - values[matches.control].mean(axis=0), spread)
    return before, after


def balance_table(raw: npt.ArrayLike, names: tuple[str, ...], treated: npt.ArrayLike, matches: Matches) -> pl.DataFrame:
    """Love-plot rows: covariate, smd_before, smd_after, imbalanced_after (|SMD| >= 0.1)."""
    before, after = standardised_mean_differences(raw, treated, matches)
    return pl.DataFrame(
        {"covariate": list(names), "smd_before": before, "smd_after": after},
        schema={"covariate": pl.String, "smd_before": pl.Float64, "smd_after": pl.Float64},
    ).with_columns(
        imbalanced_before=pl.col("smd_before").abs() >= IMBALANCE_THRESHOLD,
        imbalanced_after=pl.col("smd_after").abs() >= IMBALANCE_THRESHOLD,
    )


def _variance(values: np.ndarray) -> np.ndarray:
    return values.var(axis=0, ddof=1) if values.shape[0] > 1 else np.zeros(values.shape[1])


def _scaled(difference: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """Difference / spread; a covariate with no spread at all has SMD 0 when the means agree."""
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = difference / spread
    return np.where(spread > 0, scaled, np.where(np.abs(difference) > 0, np.inf, 0.0))
