"""Financial years and quarters (April to March), the periods councils report in, and pooled periods.

A pooled period is POOLED_YEARS consecutive complete financial years, labelled by its first and last year:
"2021/22-2023/24"; a pooled count is the sum of its years' counts (Fingertips pools small areas over three-year
periods). The publication uses calendar_pooled_periods: runs of three years on a fixed calendar (config/periods.toml:
2020/21-2022/23, 2023/24-2025/26, ...), each published once its three years are complete, never overlapping.

Why non-overlapping: overlapping (rolling) periods were tried; each year then sits in three pooled periods and the
differences between them tie a measure's years into one block that secondary suppression could not protect in
reasonable time (docs/benchmarks.md). Non-overlapping periods are also independent samples, so the latest pooled
period can be read against the one before it.
Why a fixed calendar: periods counted back from the latest complete year moved every time a year was added, so each
edition relabelled every pooled figure (a reader's "What changed" listed them all as gone and new), and a refresh had
to protect the new periods jointly with the earlier edition's, overlapping ones: the frozen yearly counts tied both
editions' years into one very large block (docs/benchmarks.md, the refresh rows). On a calendar an edition's pooled
periods are the last edition's, revised only by new or late records, plus any newly complete one.
"""

from __future__ import annotations

import re
from datetime import date

import polars as pl

POOLED_YEARS = 3
FINANCIAL_YEAR_PATTERN = r"^\d{4}/\d{2}$"
POOLED_PATTERN = r"^\d{4}/\d{2}-\d{4}/\d{2}$"
_QUARTER_END = {1: (0, 6, 30), 2: (0, 9, 30), 3: (0, 12, 31), 4: (1, 3, 31)}  # (years after start, month, day)


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


def age_on(birth: pl.Expr, on: pl.Expr) -> pl.Expr:
    """Completed years of age on a date (birthday rule; null when the date of birth is missing)."""
    had_birthday = (on.dt.month() > birth.dt.month()) | (
        (on.dt.month() == birth.dt.month()) & (on.dt.day() >= birth.dt.day())
    )
    return (on.dt.year() - birth.dt.year() - pl.when(had_birthday).then(0).otherwise(1)).cast(pl.Int64)


def is_financial_year(label: str) -> bool:
    return re.match(FINANCIAL_YEAR_PATTERN, label) is not None


def is_pooled(label: str) -> bool:
    return re.match(POOLED_PATTERN, label) is not None


def pooled_label(first_year: str, last_year: str) -> str:
    """"2021/22-2023/24" for the years 2021/22 to 2023/24."""
    return f"{first_year}-{last_year}"


def pooled_period_holding(periods: list[str] | tuple[str, ...], year: str) -> str | None:
    """The pooled period ("2021/22-2023/24") among `periods` that holds financial year `year`, if any (on the fixed
    calendar pooled periods never overlap, so at most one does; a recent year may not be in one yet)."""
    return next((period for period in periods if is_pooled(period) and period[:7] <= year <= period[-7:]), None)


def period_end(label: str) -> date | None:
    """The last day of a financial year, quarter ("2024/25 Q1") or pooled period; None for "all" and others."""
    if is_pooled(label):
        return date(int(label[8:12]) + 1, 3, 31)
    if is_financial_year(label):
        return date(int(label[:4]) + 1, 3, 31)
    match = re.match(r"^(\d{4})/\d{2} Q([1-4])$", label)
    if match:
        years, month, day = _QUARTER_END[int(match.group(2))]
        return date(int(match.group(1)) + years, month, day)
    return None


def complete_years(years: list[str] | tuple[str, ...], data_as_of: date) -> list[str]:
    """The financial years among `years` that ended on or before the data date (a part year is not complete)."""
    return [year for year in years if is_financial_year(year) and period_end(year) <= data_as_of]


def rolling_pooled_periods(complete: list[str] | tuple[str, ...], width: int = POOLED_YEARS
                           ) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(label, member years) of every run of `width` consecutive complete financial years, oldest first."""
    ordered = sorted(complete)
    windows = []
    for start in range(len(ordered) - width + 1):
        members = tuple(ordered[start:start + width])
        if [int(year[:4]) for year in members] == list(range(int(members[0][:4]), int(members[0][:4]) + width)):
            windows.append((pooled_label(members[0], members[-1]), members))
    return tuple(windows)


def calendar_pooled_periods(complete: list[str] | tuple[str, ...], calendar_start: str, width: int = POOLED_YEARS
                            ) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(label, member years) of the runs of `width` complete years on a fixed calendar, oldest first: the runs that
    start in `calendar_start` ("2020/21") or a whole number of `width` years before or after it. A run with a year
    not yet complete (or missing) is left out until it is."""
    anchor = int(calendar_start[:4])
    return tuple(window for window in rolling_pooled_periods(complete, width)
                 if (int(window[1][0][:4]) - anchor) % width == 0)
