"""Maturing cohorts: a year of support starts is not complete until (almost) all its units have been followed up.

Progress is counted by the financial year support began (the cohort). "Improved" can only be judged once a unit's
follow-up point has passed, "sustained" once its case closed at least six months ago, so a recent cohort's figures
rest on the units that were quickest to reach those points (the cases that closed soonest): they are not comparable
with a complete year's. Each percentage statistic has a maturity source: the count of units already due and the
count of units with the need, both PUBLISHED counts of the whole area, added over every measure whose two counts
are published there:

  improved_percent     share due = reviewed / with_need             (measure_progress)
  sustained_percent    share due = due_sustain_check / with_need    (measure_progress)
  successful_percent   share due = due_sustain_check / with_need    (measure_progress: the same episodes' units)

A period (financial year, quarter or pooled period) is "complete" when it ended on or before the data date and at
least MATURE_SHARE_DUE % of its units are due (or it has no units); otherwise "maturing". Maturing periods are
marked on every page and download (table cohort_maturity, with the share due), are never compared with the area
(comparison "not compared (maturing)") and are never a point of a trend (metrics.comparisons).

The shares are computed from published counts only, so they tell a reader nothing new; the audit rebuilds them
(check_cohort_maturity).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from metrics.periods import period_end

TABLE = "cohort_maturity"
BREAKDOWN = "published_table"  # category = the table the row describes (as in disclosure_summary)
MATURE_SHARE_DUE = 95.0
COMPLETE, MATURING = "complete", "maturing"
STATUSES = (COMPLETE, MATURING)
SHARE_KIND, STATUS_KIND = "share_due", "maturity"
NOT_AVAILABLE = "[x]"  # the GSS symbol (metrics.disclosure.primary.NOT_AVAILABLE; not imported: no cycle)
COLUMNS = ("table", "measure", "locality", "period", "breakdown", "category", "statistic", "kind", "value", "symbol",
           "numerator", "denominator")


@dataclass(frozen=True)
class MaturitySource:
    """The percentage statistic (table, statistic) matures as due / population of source_table grows."""

    table: str
    statistic: str
    source_table: str
    due: str
    population: str


SOURCES = (
    MaturitySource("measure_progress", "improved_percent", "measure_progress", "reviewed", "with_need"),
    MaturitySource("measure_progress", "sustained_percent", "measure_progress", "due_sustain_check", "with_need"),
    MaturitySource("family_outcomes", "successful_percent", "measure_progress", "due_sustain_check", "with_need"),
)
WHAT_IS_DUE = {"reviewed": "followed up", "due_sustain_check": "due a sustainment check"}


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema={name: (pl.Float64 if name == "value" else pl.String) for name in COLUMNS})


def shares_due(counts: pl.DataFrame, area: str, sources: tuple[MaturitySource, ...] = SOURCES) -> pl.DataFrame:
    """Per source and period: due and population summed over the measures with both published (area, no breakdown),
    and the share due in % (1 dp; null when no measure could be included). Columns table, statistic, period,
    due, population, measures, share."""
    frames = []
    for source in sources:
        rows = counts.filter(
            pl.col("table") == source.source_table, pl.col("kind") == "count", pl.col("locality") == area,
            pl.col("breakdown") == "none", pl.col("category") == "All", pl.col("period") != "all",
            pl.col("statistic").is_in([source.due, source.population]),
        )
        if rows.height == 0:
            continue
        wide = rows.pivot(on="statistic", index=["measure", "period"], values="value", aggregate_function="first")
        for name in (source.due, source.population):
            if name not in wide.columns:
                wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(name))
        usable = pl.col(source.due).is_not_null() & pl.col(source.population).is_not_null()
        summed = wide.group_by("period").agg(
            due=pl.col(source.due).filter(usable).sum(), population=pl.col(source.population).filter(usable).sum(),
            measures=usable.sum(),
        )
        frames.append(summed.with_columns(table=pl.lit(source.table), statistic=pl.lit(source.statistic)))
    if not frames:
        return pl.DataFrame(schema={"table": pl.String, "statistic": pl.String, "period": pl.String,
                                    "due": pl.Float64, "population": pl.Float64, "measures": pl.UInt32,
                                    "share": pl.Float64})
    return pl.concat(frames, how="diagonal_relaxed").with_columns(
        share=pl.when((pl.col("measures") > 0) & (pl.col("population") > 0))
        .then((100.0 * pl.col("due") / pl.col("population")).round(1)),
    ).select("table", "statistic", "period", "due", "population", "measures", "share").sort(
        "table", "statistic", "period")


def status_of(share: float | None, population: float | None, measures: int, ended: bool) -> str:
    """complete: the period has ended and its share due reaches MATURE_SHARE_DUE (or it has no units at all)."""
    if not ended:
        return MATURING
    if measures > 0 and (population or 0) == 0:
        return COMPLETE
    return COMPLETE if share is not None and share >= MATURE_SHARE_DUE else MATURING


def maturity_rows(counts: pl.DataFrame, area: str, data_as_of: date | None = None,
                  sources: tuple[MaturitySource, ...] = SOURCES) -> pl.DataFrame:
    """The published rows of table cohort_maturity, from the PUBLISHED count rows in `counts`.

    data_as_of None treats every period as ended (for tables without dates, e.g. in tests).
    """
    shares = shares_due(counts, area, sources)
    if shares.height == 0:
        return _empty()
    rows = []
    for row in shares.iter_rows(named=True):
        end = period_end(row["period"])
        ended = data_as_of is None or (end is not None and end <= data_as_of)
        key = {"table": TABLE, "measure": "all", "locality": area, "period": row["period"], "breakdown": BREAKDOWN,
               "category": row["table"], "statistic": row["statistic"], "numerator": None, "denominator": None}
        rows.append(key | {"kind": SHARE_KIND, "value": row["share"],
                           "symbol": None if row["share"] is not None else NOT_AVAILABLE})
        rows.append(key | {"kind": STATUS_KIND, "value": None,
                           "symbol": status_of(row["share"], row["population"], row["measures"], ended)})
    return pl.DataFrame(rows, schema=_empty().schema).select(COLUMNS)


def period_statuses(published: pl.DataFrame) -> pl.DataFrame:
    """(table, statistic, period, status, share_due) from the published cohort_maturity rows."""
    rows = published.filter(pl.col("table") == TABLE)
    status = rows.filter(pl.col("kind") == STATUS_KIND).select(
        table=pl.col("category"), statistic="statistic", period="period", status=pl.col("symbol"))
    share = rows.filter(pl.col("kind") == SHARE_KIND).select(
        table=pl.col("category"), statistic="statistic", period="period", share_due=pl.col("value"))
    return status.join(share, on=["table", "statistic", "period"], how="left")


def status_lookup(statuses: pl.DataFrame) -> dict[tuple[str, str, str], str]:
    """{(table, statistic, period): status}; a period not listed is complete (e.g. the impact table's "all")."""
    return {(r["table"], r["statistic"], r["period"]): r["status"] for r in statuses.iter_rows(named=True)}


def check_cohort_maturity(published: pl.DataFrame) -> list[dict]:
    """Rows of cohort_maturity that do not follow from the published counts (empty when all do).

    A share must be exactly what the published counts give. "complete" needs a share of at least MATURE_SHARE_DUE
    (or no units); "maturing" needs a smaller one, except for the latest financial year and the latest quarter,
    which may still be running (the data date is not in the published rows).
    """
    rows = published.filter(pl.col("table") == TABLE)
    if rows.height == 0:
        return []
    area = rows["locality"][0]
    shares = shares_due(published.filter(pl.col("kind") == "count"), area)
    statuses = period_statuses(published).join(shares, on=["table", "statistic", "period"], how="left")
    periods = statuses["period"].unique().to_list()
    years = sorted(p for p in periods if len(p) == 7)
    quarters = sorted((p for p in periods if " Q" in p), key=lambda p: (p[:7], p[-1]))
    running = {years[-1]} if years else set()
    running |= {quarters[-1]} if quarters else set()
    problems = []
    for row in statuses.iter_rows(named=True):
        rebuilt = row["share"]
        same_share = (rebuilt is None and row["share_due"] is None) or (
            rebuilt is not None and row["share_due"] is not None and abs(rebuilt - row["share_due"]) < 1e-6)
        mature = status_of(rebuilt, row["population"], row["measures"] or 0, True)
        fits = row["status"] == mature or (row["status"] == MATURING and row["period"] in running)
        if not (same_share and fits):
            problems.append({"table": TABLE, "measure": "all", "locality": area, "period": row["period"],
                             "breakdown": BREAKDOWN, "category": row["table"], "statistic": row["statistic"],
                             "kind": STATUS_KIND, "problem": f"maturity {row['status']!r} with share due "
                             f"{row['share_due']} does not follow from the published counts (share {rebuilt})"})
    return problems
