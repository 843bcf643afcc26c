"""What changed since the last edition: the revisions table, made from PUBLISHED figures only.

Statistical releases say which figures were revised and why. Each row here is one figure published in both the
previous edition and this one whose value or symbol differs, with the previous and the new value and symbol, and
the reason:
  * "change of method" when the policy or the figures' configuration changed between the editions (their method
    digests differ);
  * otherwise "late records" for a count that is fixed once its period is over (families attached, closed, open
    at the end, units with the need at baseline: metrics.disclosure.refresh.FROZEN_STATISTICS) of a period that
    had ended by the previous edition's data date: records dated within it arrived late, or were corrected;
  * otherwise "new data": the period was still open at the previous data date (period "all" always is), or the
    figure keeps maturing after its period ends (reviews, sustainment checks, families due, and everything derived
    from them), so a later data date brings new events into it.

Everything in a row is a figure or fact a reader of the two editions already has (their published rows, their
data dates and method digests, in publication_info), so the table adds nothing to what the two editions disclose
together: check_revisions proves a table is exactly that before it is published. It is not attacked further for the
same reason. Figures that are new in this edition (a new quarter) are not revisions, and the disclosure summary
(numbers of cells, about the publication itself) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from data_access.published_catalogue import CHANGE_OF_METHOD, LATE_RECORDS, NEW_DATA
from data_access.published_catalogue import REVISION_REASONS as REASON_ORDER
from metrics.disclosure.refresh import frozen_candidates

# The published table's columns (data_access.published_schema.published_revision declares them; not imported here,
# so that pages can use this module without reaching a database driver: tests check the two agree).
FIGURE_KEY = ("table", "measure", "locality", "period", "breakdown", "category", "statistic", "kind")
REVISION_COLUMNS = ("edition", "previous_edition", *FIGURE_KEY, "previous_value", "previous_symbol", "value",
                    "symbol", "reason")
NOT_REVISED_TABLES = ("disclosure_summary",)
_SAME = 1e-9


@dataclass(frozen=True)
class PublicFacts:
    """The public facts about an edition that the reasons use (publication_info: edition, data_as_of,
    method_digest)."""

    edition: int
    data_as_of: date
    method_digest: str


def revisions_table(previous: pl.DataFrame, previous_facts: PublicFacts, current: pl.DataFrame,
                    current_facts: PublicFacts) -> pl.DataFrame:
    """One row per figure published in both editions whose value or symbol changed, in the current edition's row
    order (columns REVISION_COLUMNS)."""
    def figures(rows: pl.DataFrame) -> pl.DataFrame:
        return rows.filter(~pl.col("table").is_in(list(NOT_REVISED_TABLES))).select(
            *FIGURE_KEY, "value", "symbol").unique(list(FIGURE_KEY), keep="first", maintain_order=True)

    joined = figures(current).join(figures(previous), on=list(FIGURE_KEY), how="inner", suffix="_previous",
                                   maintain_order="left")
    changed = ~_same_value(pl.col("value"), pl.col("value_previous")) | (
        pl.col("symbol").fill_null("") != pl.col("symbol_previous").fill_null(""))
    revised = joined.filter(changed)
    method_changed = previous_facts.method_digest != current_facts.method_digest
    fixed_once_ended = pl.Series(frozen_candidates(revised, previous_facts.data_as_of), dtype=pl.Boolean)
    reason = (pl.lit(CHANGE_OF_METHOD) if method_changed else
              pl.when(fixed_once_ended & (pl.col("kind") == "count"))
              .then(pl.lit(LATE_RECORDS)).otherwise(pl.lit(NEW_DATA)))
    return revised.with_columns(
        edition=pl.lit(current_facts.edition, dtype=pl.Int64),
        previous_edition=pl.lit(previous_facts.edition, dtype=pl.Int64),
        previous_value=pl.col("value_previous").cast(pl.Float64), previous_symbol=pl.col("symbol_previous"),
        value=pl.col("value").cast(pl.Float64), reason=reason.cast(pl.String),
    ).select(REVISION_COLUMNS)


def _same_value(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return pl.when(a.is_null() | b.is_null()).then(a.is_null() & b.is_null()).otherwise((a - b).abs() < _SAME)


class RevisionsLeak(AssertionError):
    """A revisions table holds something that is not a figure or fact of the two editions."""


def check_revisions(revisions: pl.DataFrame, previous: pl.DataFrame, previous_facts: PublicFacts,
                    current: pl.DataFrame, current_facts: PublicFacts) -> None:
    """Raise RevisionsLeak unless `revisions` is exactly what the two editions' published rows and public facts
    give: every value and symbol is the published one, every reason follows from the data dates and method
    digests, and no changed figure is missing."""
    expected = revisions_table(previous, previous_facts, current, current_facts)
    if revisions.select(REVISION_COLUMNS).equals(expected.select(REVISION_COLUMNS)):
        return
    raise RevisionsLeak(f"the revisions table ({revisions.height} rows) is not what the two editions' published rows "
                        f"give ({expected.height} rows)")


def empty_revisions() -> pl.DataFrame:
    schema = {name: pl.String for name in REVISION_COLUMNS} | {
        "edition": pl.Int64, "previous_edition": pl.Int64, "previous_value": pl.Float64, "value": pl.Float64}
    return pl.DataFrame(schema={name: schema[name] for name in REVISION_COLUMNS})


__all__ = ["CHANGE_OF_METHOD", "LATE_RECORDS", "NEW_DATA", "REASON_ORDER", "REVISION_COLUMNS", "PublicFacts",
           "RevisionsLeak", "check_revisions", "empty_revisions", "revisions_table"]
