"""Every count the dashboard can publish, as TRUE values in the tidy long format.

This is the fixed query space: the pages can only ever show cells computed here, after the
disclosure-control module has protected them. Nothing here leaves the pipeline unprotected.
"""

from __future__ import annotations

import polars as pl

from data_access.config import BreakdownCatalogue, MeasureCatalogue
from data_access.linked_reads import LinkedData
from metrics.breakdowns import applicable_breakdowns
from metrics.cells import CellSpace, count_cells, events_from_flags
from metrics.disclosure.publication import PercentSpec
from metrics.families import FAMILY_STATISTICS, family_events, period_ends
from metrics.periods import (
    calendar_pooled_periods,
    complete_years,
    financial_years_between,
    quarters_between,
)
from metrics.progress import UNIT_FLAGS, successful_family_outcomes, unit_progress

PERCENT_SPECS = (
    PercentSpec("measure_progress", "improved_percent", "improved", "reviewed"),
    PercentSpec("measure_progress", "sustained_percent", "sustained", "due_sustain_check"),
    PercentSpec("family_outcomes", "successful_percent", "successful_families", "families_due"),
)


def reporting_periods(linked: LinkedData) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Financial years and quarters from the first attachment to the data date."""
    attached = linked.episodes.filter(pl.col("cohort") == "supported")["attachment_date"]
    first = attached.min() if attached.len() else linked.data_as_of
    return (
        tuple(financial_years_between(first, linked.data_as_of)),
        tuple(quarters_between(first, linked.data_as_of)),
    )


def pooled_periods(linked: LinkedData, calendar_start: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Pooled periods (label, member years) over the complete financial years, on the fixed calendar that starts in
    `calendar_start` (config/periods.toml; metrics.periods says why a fixed calendar)."""
    years, _ = reporting_periods(linked)
    return calendar_pooled_periods(complete_years(years, linked.data_as_of), calendar_start)


POOLED_TABLES = ("measure_progress", "family_outcomes")
"""Tables with pooled periods: the percentages of small populations (localities, categories) need them."""


def true_cells(
    linked: LinkedData,
    measures: MeasureCatalogue,
    breakdowns: BreakdownCatalogue,
    area_name: str,
    pooled_calendar_start: str,
    *,
    quarter_breakdowns: bool = False,
) -> pl.DataFrame:
    """All count cells of every published table, with true values (column true_value); the measures, breakdowns,
    area name, the pooled periods' calendar and whether quarters are broken down come from configuration, passed in
    (data_access.config.PublishSettings).
    """
    years, quarters = reporting_periods(linked)
    pooled = pooled_periods(linked, pooled_calendar_start)
    localities = tuple(linked.localities["locality_name"].to_list())

    def space(table: str, table_measures: tuple[str, ...], statistics: tuple[str, ...]) -> CellSpace:
        return CellSpace(table, table_measures, statistics, localities, area_name, years, quarters,
                         breakdowns.not_recorded, pooled if table in POOLED_TABLES else (),
                         quarter_breakdowns=quarter_breakdowns)

    units = unit_progress(linked, measures).rename({"measure_id": "measure"}).collect().lazy()
    unit_events = events_from_flags(units, UNIT_FLAGS)
    tables = []
    for unit in ("person", "family"):
        unit_measures = tuple(m.id for m in measures.measures if m.unit == unit)
        if unit_measures:
            tables.append(
                count_cells(unit_events, space("measure_progress", unit_measures, UNIT_FLAGS),
                            applicable_breakdowns(breakdowns, unit))
            )
    events = family_events(linked, period_ends(list(years), list(quarters), linked.data_as_of))
    tables.append(count_cells(events, space("families", ("all",), FAMILY_STATISTICS),
                              applicable_breakdowns(breakdowns, "families")))
    outcomes = (
        successful_family_outcomes(units, linked)
        .with_columns(measure=pl.lit("all"), families_due=pl.lit(True))
        .rename({"successful": "successful_families"})
    )
    outcome_events = events_from_flags(outcomes, ("families_due", "successful_families"))
    outcome_space = space("family_outcomes", ("all",), ("families_due", "successful_families"))
    tables.append(count_cells(outcome_events, outcome_space, applicable_breakdowns(breakdowns, "family")))
    return pl.concat(tables)
