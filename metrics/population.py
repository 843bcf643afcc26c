"""Who a measure counts: ONE rule, used by the progress measures and by the impact analysis alike.

A family measure counts families. A person measure counts people whose age on the index date (attachment for
supported families, eligibility for comparison families) lies in the measure's [min_age, max_age]
(config/measures.toml), both ends included. A person whose date of birth is not recorded is counted: the source
recorded the need against them, so it judged the measure to apply, and dropping them would quietly lose people
whose records are incomplete.
"""

from __future__ import annotations

import polars as pl

from data_access.config import MeasureCatalogue

AGE_COLUMNS = ("unit", "min_age", "max_age")


def measure_ages(catalogue: MeasureCatalogue) -> pl.DataFrame:
    """measure_id, unit, min_age, max_age for every measure of the catalogue."""
    return pl.DataFrame(
        {
            "measure_id": [m.id for m in catalogue.measures],
            "unit": [m.unit for m in catalogue.measures],
            "min_age": [m.min_age for m in catalogue.measures],
            "max_age": [m.max_age for m in catalogue.measures],
        },
        schema={"measure_id": pl.String, "unit": pl.String, "min_age": pl.Int64, "max_age": pl.Int64},
    )


def in_measure_population(unit: pl.Expr, age_at_index: pl.Expr, min_age: pl.Expr, max_age: pl.Expr) -> pl.Expr:
    """True where the unit belongs to the measure's population (the rule in this module's docstring)."""
    return (unit == "family") | age_at_index.is_null() | age_at_index.is_between(min_age, max_age)


def keep_measure_population(units: pl.LazyFrame, catalogue: MeasureCatalogue, *, measure: str = "measure_id",
                            age_at_index: str = "age_at_index") -> pl.LazyFrame:
    """The rows of `units` (one per unit and measure, with the unit's age on the index date) that the measure
    counts. Columns unit, min_age and max_age are used if present, else joined from the catalogue (and dropped)."""
    schema = units.collect_schema()
    missing = [name for name in AGE_COLUMNS if name not in schema]
    ages = measure_ages(catalogue).rename({"measure_id": measure}).select(measure, *missing).lazy()
    joined = units.join(ages, on=measure, how="left") if missing else units
    kept = joined.filter(in_measure_population(pl.col("unit"), pl.col(age_at_index), pl.col("min_age"),
                                               pl.col("max_age")))
    return kept.drop(missing) if missing else kept
