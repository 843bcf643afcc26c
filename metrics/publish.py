"""The publish step: linked data -> true cells -> disclosure control -> published tables (+ CSV export).

    python -m metrics.publish --db URL [--published-db URL] [--export DIR]

Pages read only what this writes. The published tables are replaced in one transaction, so a failed
run leaves the previous publication in place.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from data_access.access import published_read_grants, publisher_problems, restore_read_grants
from data_access.bulk import write_frame
from data_access.config import benchmark_name, load_disclosure_policy, load_measures
from data_access.db_errors import plain_message
from data_access.engine import PUBLISHED_SCHEMA, linked_db_url, make_engine, publishing_db_url
from data_access.linked_reads import LinkedData, read_linked_data
from data_access.published_reads import read_previous_publication
from data_access.published_schema import (
    PUBLISHED_COLUMNS,
    check_publication,
    publication_info,
    published_metadata,
    published_statistic,
)
from metrics import disclosure
from metrics.audit import previous_ranges
from metrics.disclosure.refresh import carried_decisions
from metrics.headline import needs_overview_rows
from metrics.impact.analysis_frame import impact_inputs
from metrics.impact.run import run_impact
from metrics.impact.tables import (
    IMPACT_PERCENT_SPECS,
    balance_rows,
    impact_count_cells,
    impact_estimate_rows,
)
from metrics.true_cells import PERCENT_SPECS, true_cells


@dataclass
class PublishTimings:
    seconds: dict[str, float] = field(default_factory=dict)

    def lap(self, name: str, started: float) -> float:
        now = time.perf_counter()
        self.seconds[name] = now - started
        return now


def protected_publication(linked: LinkedData, previous: tuple[pl.DataFrame, date] | None = None) -> pl.DataFrame:
    """Every published row, protected, in the tidy long format (no true values).

    The impact table's counts, including its propensity-score histograms (bins that add up to the group sizes),
    are protected together with every other count (one suppression pattern across all views); its estimates and
    balance rows follow the impact module's own rules. The all-needs headline (metrics.headline) is made
    afterwards from the protected counts alone.
    previous: the rows of the publication this one replaces and its data date: decisions on counts that cannot
    have changed since are carried over, with the ranges that publication left its hidden ones in
    (metrics.disclosure.refresh; docs/disclosure.md, "Refreshes").
    """
    impact = run_impact(impact_inputs(linked.as_tables()))
    cells = pl.concat([true_cells(linked), impact_count_cells(impact)])
    percent_specs = (*PERCENT_SPECS, *IMPACT_PERCENT_SPECS)
    # Before the long protection step: every cell and percentage must be declared in the published catalogue.
    check_publication(pl.concat([cells.select("table", "statistic", "kind"), pl.DataFrame(
        [(spec.table, spec.statistic, "percent") for spec in percent_specs], schema=["table", "statistic", "kind"],
        orient="row")]))
    policy = load_disclosure_policy()
    carried = None
    if previous is not None:
        rows, as_of = previous
        carried = carried_decisions(cells, rows, as_of, policy, previous_ranges(rows, policy))
    report = disclosure.protect_publication_report(cells, percent_specs, policy, carried=carried)
    measure_ids = [measure.id for measure in load_measures().measures]
    return pl.concat([
        report.published,
        needs_overview_rows(report.published, measure_ids, policy),  # made from the protected values only
        impact_estimate_rows(impact),
        balance_published_rows(balance_rows(impact)),
        suppression_summary_rows(report.summary),
    ])


def _published_frame(frame: pl.DataFrame, **columns: pl.Expr) -> pl.DataFrame:
    defaults = {name: pl.lit(None, dtype=pl.String) for name in PUBLISHED_COLUMNS}
    return frame.select(**(defaults | columns)).select(PUBLISHED_COLUMNS)


def balance_published_rows(balance: pl.DataFrame) -> pl.DataFrame:
    """Standardised mean differences (love plot) as published rows: table impact_balance, kind smd."""
    if balance.is_empty():
        # Empty, typed like the other parts (selecting literals from an empty frame would give one null row).
        return pl.DataFrame(schema={name: pl.Float64 if name == "value" else pl.String for name in PUBLISHED_COLUMNS})
    long = balance.unpivot(index=["measure", "covariate", "symbol"], on=["smd_before", "smd_after"],
                           variable_name="statistic", value_name="value")
    return _published_frame(
        long, table=pl.lit("impact_balance"), measure=pl.col("measure"), locality=pl.lit(benchmark_name()),
        period=pl.lit("all"), breakdown=pl.lit("covariate"), category=pl.col("covariate"),
        statistic=pl.col("statistic"), kind=pl.lit("smd"), value=pl.col("value").cast(pl.Float64),
        symbol=pl.col("symbol"),
    )


SUMMARY_TABLE = "disclosure_summary"


def suppression_summary_rows(summary: pl.DataFrame) -> pl.DataFrame:
    """The per-table suppression report (numbers of CELLS, not of people) as published rows for analysts.

    kind is "cells" for a number of cells and "share" for a proportion of cells (docs/published-tables.md).
    """
    statistics = [name for name in summary.columns if name != "table"]
    long = summary.unpivot(index="table", on=statistics, variable_name="statistic", value_name="value")
    return long.select(
        table=pl.lit(SUMMARY_TABLE),
        measure=pl.lit("all"),
        locality=pl.lit(benchmark_name()),
        period=pl.lit("all"),
        breakdown=pl.lit("published_table"),
        category=pl.col("table"),
        statistic=pl.col("statistic"),
        kind=pl.when(pl.col("statistic").str.starts_with("share")).then(pl.lit("share")).otherwise(pl.lit("cells")),
        value=pl.col("value").cast(pl.Float64),
        symbol=pl.lit(None, dtype=pl.String),
        numerator=pl.lit(None, dtype=pl.String),
        denominator=pl.lit(None, dtype=pl.String),
    )


def publication_facts(linked: LinkedData) -> dict[str, str]:
    policy = load_disclosure_policy()
    return {
        "published_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "data_as_of": linked.data_as_of.isoformat(),
        "is_synthetic": "true" if linked.is_synthetic else "false",
        "threshold": str(policy.threshold),
        "rounding_base": str(policy.rounding_base),
        "percentage_min_each_side": str(policy.percentage_min_each_side),
        "class_disclosure_min_group": str(policy.class_disclosure_min_group),
        "protection_level": str(policy.protection_level),
        "confidence_level": policy.confidence_level,
    }


def write_publication(engine: Engine, published: pl.DataFrame, facts: dict[str, str]) -> None:
    """Replace the published tables in one transaction, after checking every value is declared (nothing is written
    if one is not: data_access/published_catalogue.py)."""
    check_publication(published, facts)
    rows = published.select(PUBLISHED_COLUMNS).with_row_index("row_id").with_columns(pl.col("row_id").cast(pl.Int64))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{PUBLISHED_SCHEMA}"'))
        read_grants = published_read_grants(connection)  # PostgreSQL: the dashboard role keeps its SELECT
        published_metadata.drop_all(connection)
        published_metadata.create_all(connection)
        restore_read_grants(connection, read_grants)
        write_frame(connection, published_statistic, rows)
        write_frame(connection, publication_info,
                    pl.DataFrame({"key": list(facts), "value": list(facts.values())}))


def export_csv(published: pl.DataFrame, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "published.csv"
    published.select(PUBLISHED_COLUMNS).write_csv(path)
    return path


def publish(linked_url: str, published_url: str, export_dir: Path | None = None, *,
            carry_previous: bool = True) -> PublishTimings:
    """carry_previous=False: protect afresh, carrying no decision over from the publication this replaces (for a
    republish after records were deleted, when counts of ended periods changed: data_access.retention)."""
    timings = PublishTimings()
    started = time.perf_counter()
    published_engine = make_engine(published_url, published=True)
    problems = publisher_problems(published_engine)  # before minutes of computing, not after
    if problems:
        raise PermissionError(f"cannot write the published tables: {'; '.join(problems)}")
    linked = read_linked_data(make_engine(linked_url))
    previous = read_previous_publication(published_engine) if carry_previous else None  # None on the first run
    started = timings.lap("read", started)
    published = protected_publication(linked, previous)
    started = timings.lap("compute_and_protect", started)
    write_publication(published_engine, published, publication_facts(linked))
    if export_dir is not None:
        export_csv(published, export_dir)
    timings.lap("write", started)
    timings.seconds["rows"] = float(published.height)
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m metrics.publish", description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="linked data URL (default: FAMILIES_DB_URL or data/families.db)")
    parser.add_argument("--published-db", default=None,
                        help="published tables URL, as a role that may write them (default: the database "
                             "FAMILIES_PUBLISHED_DB_URL names, as the role in --db; unset, beside --db)")
    parser.add_argument("--export", type=Path, default=None, help="also write DIR/published.csv")
    args = parser.parse_args(argv)
    linked_url = args.db or linked_db_url()
    published_url = args.published_db or publishing_db_url(linked_url)
    try:
        timings = publish(linked_url, published_url, args.export)
    except Exception as error:  # a clear one-line message for analysts; the traceback adds nothing for them
        message = plain_message(error) if isinstance(error, DBAPIError) else error  # a driver's could quote data
        print(f"publish failed: {message}", file=sys.stderr)
        return 1
    seconds = timings.seconds
    print(
        f"published {int(seconds['rows'])} rows: read {seconds['read']:.2f}s, "
        f"compute+protect {seconds['compute_and_protect']:.2f}s, write {seconds['write']:.2f}s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
