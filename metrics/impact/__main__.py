"""python -m metrics.impact --db URL --export DIR: write the impact figures of the publication as CSV files.

Every number is exactly the publication's (the published database that metrics.publish writes and the dashboard
reads): the same estimates, intervals, rounded counts, shares and symbols. Writes DIR/impact.csv (one row per
outcome x area x method), DIR/impact_balance.csv (love-plot data), DIR/impact_overlap.csv (propensity-score
histograms) and DIR/impact_published.csv (the impact table in the tidy long format). Without a publication yet, the
figures are computed exactly as metrics.publish would publish them first (nothing is written to the database).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import polars as pl

from data_access.config import PublishSettings, load_publish_settings
from data_access.engine import linked_db_url, make_engine, published_db_url
from data_access.published_reads import read_previous_publication
from metrics.impact.analysis_frame import ANY_NEED
from metrics.impact.balance import IMBALANCE_THRESHOLD
from metrics.impact.run import ANY_NEED_LABEL
from metrics.impact.tables import TABLE, impact_csv_rows, overlap_from_published

BALANCE_TABLE = "impact_balance"


def publication_rows(linked_url: str, published_url: str, settings: PublishSettings) -> tuple[pl.DataFrame, str]:
    """The published rows of the impact tables, and where they came from."""
    engine = make_engine(published_url, published=True)
    try:
        current = read_previous_publication(engine)
    finally:
        engine.dispose()
    if current is not None:
        rows, as_of = current
        return rows.filter(pl.col("table").is_in([TABLE, BALANCE_TABLE])), f"the publication of data to {as_of}"
    from data_access.linked_reads import read_linked_data
    from metrics.publish import protected_publication  # the publish step's own function: the same figures

    linked_engine = make_engine(linked_url)
    try:
        linked = read_linked_data(linked_engine)
    finally:
        linked_engine.dispose()
    rows = protected_publication(linked, settings)
    return rows.filter(pl.col("table").is_in([TABLE, BALANCE_TABLE])), "a first publication computed now (not saved)"


def balance_csv_rows(published: pl.DataFrame, labels: dict[str, str]) -> pl.DataFrame:
    """impact_balance.csv: measure, label, covariate, smd_before, smd_after, imbalanced_after, symbol."""
    rows = published.filter(pl.col("table") == BALANCE_TABLE)
    if rows.height == 0:
        return pl.DataFrame(schema={"measure": pl.String, "label": pl.String, "covariate": pl.String,
                                    "smd_before": pl.Float64, "smd_after": pl.Float64,
                                    "imbalanced_after": pl.Boolean, "symbol": pl.String})
    wide = rows.pivot(on="statistic", index=["measure", "category"], values="value", aggregate_function="first")
    symbols = rows.group_by("measure", "category", maintain_order=True).agg(pl.col("symbol").first())
    return wide.join(symbols, on=["measure", "category"], how="left").select(
        "measure", label=pl.col("measure").replace_strict(labels, default=pl.col("measure")),
        covariate="category", smd_before="smd_before", smd_after="smd_after",
        imbalanced_after=pl.col("smd_after").abs() >= IMBALANCE_THRESHOLD, symbol="symbol",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m metrics.impact", description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="linked database URL (default: FAMILIES_DB_URL or data/families.db)")
    parser.add_argument("--published-db", default=None, help="published tables URL (default: derived from --db)")
    parser.add_argument("--export", required=True, type=Path, help="folder to write impact.csv and friends into")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    linked_url = args.db or linked_db_url()
    settings = load_publish_settings()  # the edge: configuration is loaded here and passed in
    try:
        published, source = publication_rows(linked_url, args.published_db or published_db_url(linked_url), settings)
    except Exception as error:  # one clear line for analysts (database messages never quote personal values here)
        print(f"impact export failed: {error}", file=sys.stderr)
        return 1
    labels = {measure.id: measure.short_label for measure in settings.measures.measures} | {ANY_NEED: ANY_NEED_LABEL}
    impact = published.filter(pl.col("table") == TABLE)
    args.export.mkdir(parents=True, exist_ok=True)
    outputs = {
        "impact.csv": impact_csv_rows(impact, labels, settings.area_name, settings.locality_names),
        "impact_balance.csv": balance_csv_rows(published, labels),
        "impact_overlap.csv": overlap_from_published(impact),
        "impact_published.csv": impact,
    }
    for name, frame in outputs.items():
        frame.write_csv(args.export / name)
    print(f"impact: wrote {', '.join(outputs)} to {args.export} from {source} "
          f"in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
