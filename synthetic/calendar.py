"""Dates as integer day numbers (days since 1970-01-01) so whole columns can be computed with numpy."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

_EPOCH = date(1970, 1, 1)


def day_number(value: date) -> int:
    return (value - _EPOCH).days


def year_month_day(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    as_dates = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    months = as_dates.astype("datetime64[M]")
    years = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (as_dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    return years, month, day


def age_on(born: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Completed years of age on the date `on` for someone born on `born` (both day numbers)."""
    born_y, born_m, born_d = year_month_day(born)
    on_y, on_m, on_d = year_month_day(on)
    before_birthday = (on_m < born_m) | ((on_m == born_m) & (on_d < born_d))
    return on_y - born_y - before_birthday.astype(np.int64)


def add_years(days: np.ndarray, years: np.ndarray | int) -> np.ndarray:
    """The same calendar day `years` later (29 February becomes 1 March)."""
    y, m, d = year_month_day(days)
    target_month = ((y + years - 1970) * 12 + (m - 1)).astype("datetime64[M]")
    return (target_month.astype("datetime64[D]") + (d - 1)).astype(np.int64)


def date_series(name: str, days: np.ndarray, present: np.ndarray | None = None) -> pl.Series:
    """A polars Date series from day numbers; rows where `present` is False become null."""
    series = pl.Series(name, np.asarray(days, dtype=np.int32)).cast(pl.Date)
    if present is None:
        return series
    return series.zip_with(pl.Series(np.asarray(present, dtype=bool)), pl.repeat(None, len(series), dtype=pl.Date,
                                                                                   eager=True)).alias(name)
