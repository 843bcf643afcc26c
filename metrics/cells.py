"""Turn unit-level event rows into complete tidy count cells (true values, before disclosure control).

Each event row is one unit counted once in one cell family: columns `measure`, `statistic`, `locality`,
`period` plus the breakdown source columns. The result "completes the matrix": every combination of
measure x statistic x locality (the six and the whole area) x period x breakdown category has a row,
zero where nothing was counted, so that totals visibly add up and gaps are never ambiguous.
Quarter periods are published for the whole area only, and as totals only (breakdown "none") unless
config/periods.toml's quarter_breakdowns is true: on a council's numbers a quarter's category cells are mostly 0 or
too small to show (in the demo their median is 0 and half of them were [c]), no page shows them, and they were half
the units of every measure's block: protecting them took more than half of the demo's publish time
(docs/benchmarks.md). Pooled periods (metrics.periods: runs of three complete financial years), where a table has
them, are published for every locality and category: each pooled count is the sum of its years' counts, so small
populations show a figure more often. In such a table a locality's breakdowns are published for pooled periods only
(a breakdown's single years, and its quarters where they are published: the whole area only), as Fingertips does for
small areas: a locality's single-year category cells are almost all too small to show, and publishing them beside
the pooled ones made secondary suppression many times slower (docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from data_access.config import Breakdown
from metrics.breakdowns import category_expr

CELL_KEYS = ("table", "measure", "locality", "period", "breakdown", "category", "statistic")
ALL = "All"
NO_BREAKDOWN = "none"


@dataclass(frozen=True)
class CellSpace:
    """The fixed query space of one published table."""

    table: str
    measures: tuple[str, ...]
    statistics: tuple[str, ...]
    localities: tuple[str, ...]
    area_name: str
    years: tuple[str, ...]
    quarters: tuple[str, ...]
    not_recorded: str
    pooled: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (label, member years), e.g. ("2021/22-2023/24", (...))
    quarter_breakdowns: bool = False  # a quarter's breakdowns too, not only its totals (config/periods.toml)


def count_cells(events: pl.LazyFrame, space: CellSpace, breakdowns: list[Breakdown]) -> pl.DataFrame:
    """Count event rows into every cell of `space` (true counts, column `true_value`).

    Each breakdown is one group-by over the events; "All" within a breakdown is the same set of units as the
    unbroken total, and the whole area is the sum of its localities (every unit is in exactly one), so neither is
    counted again.
    """
    events = events.filter(pl.col("measure").is_in(list(space.measures)))
    place = ["locality", "measure", "statistic", "period"]
    unbroken = events.group_by(place).agg(true_value=pl.len()).with_columns(
        breakdown=pl.lit(NO_BREAKDOWN), category=pl.lit(ALL))
    by_category = [
        events.with_columns(category_expr(b, space.not_recorded)).group_by(*place, "category")
        .agg(true_value=pl.len()).with_columns(breakdown=pl.lit(b.id))
        for b in breakdowns
    ]
    columns = [*place, "breakdown", "category", "true_value"]
    parts = pl.collect_all([unbroken.select(columns), *(frame.select(columns) for frame in by_category)])
    totals_within = [parts[0].with_columns(breakdown=pl.lit(b.id)) for b in breakdowns]
    by_locality = pl.concat([*parts, *totals_within])
    group = ["measure", "statistic", "period", "breakdown", "category"]
    whole_area = by_locality.group_by(group).agg(pl.col("true_value").sum()).with_columns(
        locality=pl.lit(space.area_name))
    counted = pl.concat([by_locality, whole_area.select(by_locality.columns)])
    return _complete(pl.concat([counted, _pooled(counted, space)]), space, breakdowns)


def _pooled(counted: pl.DataFrame, space: CellSpace) -> pl.DataFrame:
    """Each pooled period's counts: the sum of its member years' counts (same place, category and statistic)."""
    if not space.pooled:
        return counted.clear()
    members = pl.DataFrame([(label, year) for label, years in space.pooled for year in years],
                           schema={"pooled": pl.String, "period": pl.String}, orient="row")
    group = ["locality", "measure", "statistic", "pooled", "breakdown", "category"]
    sums = counted.join(members, on="period").group_by(group).agg(pl.col("true_value").sum())
    return sums.rename({"pooled": "period"}).select(counted.columns)


def _complete(counted: pl.DataFrame, space: CellSpace, breakdowns: list[Breakdown]) -> pl.DataFrame:
    categories = pl.DataFrame(
        {"breakdown": [NO_BREAKDOWN], "category": [ALL]}
    ).vstack(
        pl.DataFrame(
            [(b.id, c) for b in breakdowns for c in (ALL, *b.categories, space.not_recorded)],
            schema={"breakdown": pl.String, "category": pl.String},
            orient="row",
        )
    )
    yearly = (*space.years, *(label for label, _ in space.pooled))
    places = pl.DataFrame(
        [(locality, year) for locality in (*space.localities, space.area_name) for year in yearly]
        + [(space.area_name, quarter) for quarter in space.quarters],
        schema={"locality": pl.String, "period": pl.String},
        orient="row",
    )
    grid = (
        pl.DataFrame({"measure": list(space.measures)})
        .join(pl.DataFrame({"statistic": list(space.statistics)}), how="cross")
        .join(places, how="cross")
        .join(categories, how="cross")
    )
    if not space.quarter_breakdowns:  # a quarter: its totals only
        grid = grid.filter((pl.col("breakdown") == NO_BREAKDOWN) | ~pl.col("period").is_in(list(space.quarters)))
    if space.pooled:  # a locality's breakdowns: pooled periods only
        pooled = [label for label, _ in space.pooled]
        grid = grid.filter((pl.col("locality") == space.area_name) | (pl.col("breakdown") == NO_BREAKDOWN)
                           | pl.col("period").is_in(pooled))
    return (
        grid.join(counted, on=["measure", "statistic", "locality", "period", "breakdown", "category"], how="left")
        .with_columns(pl.col("true_value").fill_null(0).cast(pl.Int64), table=pl.lit(space.table),
                      kind=pl.lit("count"))
        .select(*CELL_KEYS, "kind", "true_value")
    )


def events_from_flags(units: pl.LazyFrame, flags: tuple[str, ...]) -> pl.LazyFrame:
    """One event per unit per true flag, once in its financial year and once in its quarter."""
    stacked = pl.concat([units.filter(pl.col(flag)).with_columns(statistic=pl.lit(flag)) for flag in flags])
    return pl.concat(
        [
            stacked.with_columns(period=pl.col("financial_year")),
            stacked.with_columns(period=pl.col("quarter")),
        ]
    )
