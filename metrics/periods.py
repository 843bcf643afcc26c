"""Financial years and quarters (April to March), the periods councils report in."""

from __future__ import annotations

from datetime import date

import polars as pl


def financial_year_start(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def financial_year_label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def financial_year_expr(column: pl.Expr) -> pl.Expr:
    """'2024/25' for any date from 1 April 2024 to 31 March 2025."""
    start = pl.when(column.dt.month() >= 4).then(column.dt.year()).otherwise(column.dt.year() - 1)
    return pl.format("{}/{}", start, ((start + 1) % 100).cast(pl.String).str.zfill(2))


def quarter_expr(column: pl.Expr) -> pl.Expr:
    """'2024/25 Q1' for April-June 2024."""
    quarter = ((column.dt.month() - 4) % 12) // 3 + 1
    return pl.format("{} Q{}", financial_year_expr(column), quarter)


def financial_years_between(first: date, last: date) -> list[str]:
    return [financial_year_label(year) for year in range(financial_year_start(first), financial_year_start(last) + 1)]


def quarters_between(first: date, last: date) -> list[str]:
    """Every quarter label from the one containing `first` to the one containing `last`."""
    labels = []
    year, quarter = financial_year_start(first), ((first.month - 4) % 12) // 3 + 1
    last_year, last_quarter = financial_year_start(last), ((last.month - 4) % 12) // 3 + 1
    while (year, quarter) <= (last_year, last_quarter):
        labels.append(f"{financial_year_label(year)} Q{quarter}")
        year, quarter = (year, quarter + 1) if quarter < 4 else (year + 1, 1)
    return labels


def year_of_quarter(quarter_label: str) -> str:
    return quarter_label.split(" ")[0]


def age_on(birth: pl.Expr, on: pl.Expr) -> pl.Expr:
    """Completed years of age on a date (birthday rule; null when the date of birth is missing)."""
    had_birthday = (on.dt.month() > birth.dt.month()) | (
        (on.dt.month() == birth.dt.month()) & (on.dt.day() >= birth.dt.day())
    )
    return (on.dt.year() - birth.dt.year() - pl.when(had_birthday).then(0).otherwise(1)).cast(pl.Int64)
