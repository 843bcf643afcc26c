"""Small synthetic populations counted into complete tidy cells, for the disclosure tests (a test fixture).

Independent of the synthetic Dorset on purpose: tests need populations whose every count is known and small
enough to reason about, with planted unique people. The cells have the same shape as metrics.true_cells
produces (every locality x period x breakdown x category x statistic, zeros included; quarters for the area only).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from metrics.disclosure.publication import PercentSpec
from metrics.disclosure.relations import ALL, KEY_COLUMNS, NO_BREAKDOWN

LOCALITIES = ("Chesil", "Dorchester", "East Dorset", "North Dorset", "Purbeck", "West Dorset")
AREA = "Dorset"
NOT_RECORDED = "Not recorded"
PROGRESS_STATISTICS = ("with_need", "reviewed", "improved", "due_sustain_check", "sustained")


PROGRESS_PERCENTS = (
    PercentSpec("measure_progress", "improved_percent", "improved", "reviewed"),
    PercentSpec("measure_progress", "sustained_percent", "sustained", "due_sustain_check"),
)


def count_population(
    units: pl.DataFrame,
    *,
    table: str,
    measures: tuple[str, ...],
    statistics: tuple[str, ...],
    localities: tuple[str, ...],
    area: str,
    years: tuple[str, ...],
    quarters: tuple[str, ...],
    breakdowns: dict[str, tuple[str, ...]],
) -> pl.DataFrame:
    """Count unit rows into complete cells (column true_value).

    `units` has columns measure, locality, year, quarter, one String column per breakdown (its category) and one
    Boolean column per statistic (is the unit counted in it).
    """
    keyed = []
    for statistic in statistics:
        counted = units.filter(pl.col(statistic))
        for period_column in ("year", "quarter"):
            base = counted.with_columns(statistic=pl.lit(statistic), period=pl.col(period_column))
            keyed.append(base.select("measure", "statistic", "locality", "period", breakdown=pl.lit(NO_BREAKDOWN),
                                     category=pl.lit(ALL)))
            for name in breakdowns:
                keyed.append(base.select("measure", "statistic", "locality", "period", breakdown=pl.lit(name),
                                         category=pl.col(name)))
                keyed.append(base.select("measure", "statistic", "locality", "period", breakdown=pl.lit(name),
                                         category=pl.lit(ALL)))
    group = ["measure", "statistic", "period", "breakdown", "category"]
    stacked = pl.concat(keyed) if keyed else pl.DataFrame(schema={c: pl.String for c in ["locality", *group]})
    by_locality = stacked.group_by("locality", *group).agg(true_value=pl.len())
    whole = stacked.group_by(group).agg(true_value=pl.len()).with_columns(locality=pl.lit(area))
    counted = pl.concat([by_locality, whole.select(by_locality.columns)])
    categories = [(NO_BREAKDOWN, ALL)] + [(name, c) for name, cats in breakdowns.items() for c in (ALL, *cats)]
    places = [(loc, y) for loc in (*localities, area) for y in years] + [(area, q) for q in quarters]
    grid = (
        pl.DataFrame({"measure": list(measures)})
        .join(pl.DataFrame({"statistic": list(statistics)}), how="cross")
        .join(pl.DataFrame(places, schema={"locality": pl.String, "period": pl.String}, orient="row"), how="cross")
        .join(pl.DataFrame(categories, schema={"breakdown": pl.String, "category": pl.String}, orient="row"),
              how="cross")
    )
    return (
        grid.join(counted, on=["measure", "statistic", "locality", "period", "breakdown", "category"], how="left")
        .with_columns(pl.col("true_value").fill_null(0).cast(pl.Int64), table=pl.lit(table), kind=pl.lit("count"))
        .select(*KEY_COLUMNS, "kind", "true_value")
    )


def random_progress_units(
    n_units: int, seed: int, *, measures: tuple[str, ...] = ("M01",), n_years: int = 5,
    localities: tuple[str, ...] = LOCALITIES, breakdowns: dict[str, tuple[str, ...]] | None = None,
) -> tuple[pl.DataFrame, tuple[str, ...], tuple[str, ...], dict[str, tuple[str, ...]]]:
    """Units with a need and nested outcomes (improved <= reviewed <= with_need, ...), skewed localities."""
    rng = np.random.default_rng(seed)
    breakdowns = breakdowns or {
        "sex": ("Female", "Male", NOT_RECORDED),
        "age_band": ("0-4", "5-9", "10-15", "16-17", "18-24", "25-44", "45 and over", NOT_RECORDED),
        "ethnic_group": ("White", "Mixed or Multiple", "Asian", "Black", "Other", NOT_RECORDED),
    }
    years = tuple(f"{2020 + i}/{(21 + i) % 100:02d}" for i in range(n_years))
    quarters = tuple(f"{y} Q{q}" for y in years for q in range(1, 5))
    year_index = rng.integers(0, n_years, n_units)
    quarter_number = rng.integers(1, 5, n_units)
    share = np.array([0.24, 0.13, 0.17, 0.17, 0.11, 0.18][: len(localities)])
    columns: dict[str, object] = {
        "measure": rng.choice(list(measures), n_units),
        "locality": rng.choice(list(localities), n_units, p=share / share.sum()),
        "year": [years[i] for i in year_index],
        "quarter": [f"{years[i]} Q{q}" for i, q in zip(year_index, quarter_number, strict=True)],
    }
    for name, cats in breakdowns.items():
        weights = np.geomspace(1.0, 0.05, len(cats))
        columns[name] = rng.choice(list(cats), n_units, p=weights / weights.sum())
    reviewed = rng.random(n_units) < 0.85
    improved = reviewed & (rng.random(n_units) < 0.6)
    due = rng.random(n_units) < 0.6
    sustained = due & improved & (rng.random(n_units) < 0.7)
    columns.update(with_need=np.ones(n_units, dtype=bool), reviewed=reviewed, improved=improved,
                   due_sustain_check=due, sustained=sustained)
    return pl.DataFrame(columns), years, quarters, breakdowns


def progress_cells(n_units: int, seed: int, **kwargs) -> pl.DataFrame:
    """True count cells of a random measure_progress table (see random_progress_units)."""
    units, years, quarters, breakdowns = random_progress_units(n_units, seed, **kwargs)
    measures = tuple(sorted(units["measure"].unique().to_list()))
    return count_population(units, table="measure_progress", measures=measures, statistics=PROGRESS_STATISTICS,
                            localities=kwargs.get("localities", LOCALITIES), area=AREA, years=years,
                            quarters=quarters, breakdowns=breakdowns)
