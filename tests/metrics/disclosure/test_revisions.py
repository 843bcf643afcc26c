"""The revisions table (metrics.disclosure.revisions): exactly the changed published figures, with the reason.

A constructed refresh lists, by hand, every kind of change (a closed-period count revised by late records, an open
period's new data, a maturing count of a closed period, a percentage hidden now, a comparison label, a hidden count
shown now) next to what must not be listed (unchanged figures, hidden in both, figures new or dropped, the
disclosure summary). A property test checks the table against a plain dictionary comparison of random editions.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_access.published_schema import PUBLISHED_COLUMNS
from metrics.disclosure.revisions import (
    CHANGE_OF_METHOD,
    LATE_RECORDS,
    NEW_DATA,
    REVISION_COLUMNS,
    PublicFacts,
    RevisionsLeak,
    check_revisions,
    revisions_table,
)

BEFORE = PublicFacts(1, date(2024, 7, 1), "method-a")
AFTER = PublicFacts(2, date(2025, 7, 1), "method-a")


def row(table, measure, locality, period, statistic, kind, value, symbol=None, breakdown="none", category="All"):
    return {"table": table, "measure": measure, "locality": locality, "period": period, "breakdown": breakdown,
            "category": category, "statistic": statistic, "kind": kind, "value": value, "symbol": symbol,
            "numerator": None, "denominator": None}


def frame(rows: list[dict]) -> pl.DataFrame:
    schema = {name: (pl.Float64 if name == "value" else pl.String) for name in PUBLISHED_COLUMNS}
    return pl.DataFrame(rows, schema=schema)


# (previous row, current row, expected reason or None when not a revision)
CASES = [
    (row("families", "all", "L1", "2023/24", "families_attached", "count", 15.0),
     row("families", "all", "L1", "2023/24", "families_attached", "count", 20.0), LATE_RECORDS),
    (row("families", "all", "L1", "2024/25", "families_attached", "count", 10.0),
     row("families", "all", "L1", "2024/25", "families_attached", "count", 25.0), NEW_DATA),
    (row("families", "all", "L2", "2023/24", "families_attached", "count", None, "[c]"),
     row("families", "all", "L2", "2023/24", "families_attached", "count", None, "[c]"), None),
    (row("measure_progress", "M01", "Dorset", "2023/24", "reviewed", "count", 30.0),
     row("measure_progress", "M01", "Dorset", "2023/24", "reviewed", "count", 35.0), NEW_DATA),  # still maturing
    (row("measure_progress", "M01", "Dorset", "2023/24", "improved_percent", "percent", 50.0),
     row("measure_progress", "M01", "Dorset", "2023/24", "improved_percent", "percent", None, "[c]"), NEW_DATA),
    (row("measure_progress", "M01", "Dorset", "2023/24", "with_need", "count", 40.0),
     row("measure_progress", "M01", "Dorset", "2023/24", "with_need", "count", 40.0), None),
    (row("measure_progress", "M01", "Dorset", "2023/24 Q1", "with_need", "count", None, "[c]"),
     row("measure_progress", "M01", "Dorset", "2023/24 Q1", "with_need", "count", 10.0), LATE_RECORDS),
    (row("measure_progress", "M01", "L1", "2023/24", "improved_percent", "comparison", None, "similar"),
     row("measure_progress", "M01", "L1", "2023/24", "improved_percent", "comparison", None, "better"), NEW_DATA),
    (row("measure_progress", "M01", "L1", "2024/25", "with_need", "count", 0.0, breakdown="sex",
         category="Female"),
     row("measure_progress", "M01", "L1", "2024/25", "with_need", "count", 0.0, breakdown="sex",
         category="Female"), None),
    (row("disclosure_summary", "all", "Dorset", "all", "count_cells", "cells", 10.0),
     row("disclosure_summary", "all", "Dorset", "all", "count_cells", "cells", 12.0), None),  # about the release
    (row("families", "all", "L3", "2022/23", "families_closed", "count", 5.0), None, None),  # dropped: not revised
    (None, row("families", "all", "L1", "2025/26 Q1", "families_attached", "count", 10.0), None),  # new figure
]


def constructed() -> tuple[pl.DataFrame, pl.DataFrame, list[tuple[dict, str]]]:
    previous = frame([before for before, _, _ in CASES if before is not None])
    current = frame([after for _, after, _ in CASES if after is not None])
    expected = [(after, reason) for _, after, reason in CASES if reason is not None]
    return previous, current, expected


def test_the_revisions_table_lists_exactly_the_changed_figures_of_a_constructed_refresh() -> None:
    previous, current, expected = constructed()
    revisions = revisions_table(previous, BEFORE, current, AFTER)
    key = ["table", "measure", "locality", "period", "breakdown", "category", "statistic", "kind"]
    assert revisions.select(*key, "reason").rows() == [(*(after[k] for k in key), reason) for after, reason in
                                                       expected]
    late = revisions.filter(pl.col("period") == "2023/24 Q1").row(0, named=True)
    assert (late["previous_value"], late["previous_symbol"], late["value"], late["symbol"]) == (None, "[c]", 10.0,
                                                                                                None)
    assert set(revisions["edition"]) == {2} and set(revisions["previous_edition"]) == {1}
    check_revisions(revisions, previous, BEFORE, current, AFTER)  # made of the two editions' figures only


def test_a_change_of_method_explains_every_revision() -> None:
    previous, current, expected = constructed()
    revisions = revisions_table(previous, BEFORE, current, PublicFacts(2, AFTER.data_as_of, "method-b"))
    assert revisions.height == len(expected) and set(revisions["reason"]) == {CHANGE_OF_METHOD}


def test_the_columns_are_the_published_tables() -> None:
    from data_access.published_schema import REVISION_COLUMNS as PUBLISHED
    from data_access.published_schema import published_revision

    assert REVISION_COLUMNS == PUBLISHED == tuple(c.name for c in published_revision.columns if c.name != "row_id")


def test_the_same_edition_twice_revises_nothing() -> None:
    previous, _, _ = constructed()
    assert revisions_table(previous, BEFORE, previous, AFTER).height == 0


@pytest.mark.parametrize("tamper", ["value", "drop", "add", "reason"])
def test_anything_not_from_the_two_editions_is_refused(tamper: str) -> None:
    previous, current, _ = constructed()
    revisions = revisions_table(previous, BEFORE, current, AFTER)
    if tamper == "value":  # e.g. a true count instead of the published figure
        revisions = revisions.with_columns(value=pl.when(pl.col("value") == 20.0).then(21.0)
                                           .otherwise(pl.col("value")))
    elif tamper == "drop":
        revisions = revisions.slice(1)
    elif tamper == "add":
        revisions = pl.concat([revisions, revisions.head(1).with_columns(period=pl.lit("2021/22"))])
    else:
        revisions = revisions.with_columns(reason=pl.lit(NEW_DATA))
    with pytest.raises(RevisionsLeak):
        check_revisions(revisions, previous, BEFORE, current, AFTER)


KEYS = [("families", "all", loc, period, "families_attached", "count")
        for loc in ("L1", "L2") for period in ("2023/24", "2024/25", "all")]
STATES = st.one_of(st.just((None, "[c]")), st.sampled_from([0.0, 10.0, 15.0, 20.0]).map(lambda v: (v, None)))


@settings(max_examples=60, deadline=None)
@given(before=st.lists(st.one_of(st.none(), STATES), min_size=len(KEYS), max_size=len(KEYS)),
       after=st.lists(st.one_of(st.none(), STATES), min_size=len(KEYS), max_size=len(KEYS)))
def test_revisions_agree_with_a_plain_comparison_of_two_random_editions(before, after) -> None:
    def edition(states):
        return frame([row(*key, *state) for key, state in zip(KEYS, states, strict=True) if state is not None])

    revisions = revisions_table(edition(before), BEFORE, edition(after), AFTER)
    expected = {key[2:4] for key, old, new in zip(KEYS, before, after, strict=True)
                if old is not None and new is not None and old != new}
    assert set(zip(revisions["locality"], revisions["period"], strict=True)) == expected
    for revision in revisions.iter_rows(named=True):
        index = KEYS.index(("families", "all", revision["locality"], revision["period"], "families_attached", "count"))
        assert (revision["previous_value"], revision["previous_symbol"]) == before[index]
        assert (revision["value"], revision["symbol"]) == after[index]
        closed = revision["period"] == "2023/24"  # ended before the previous data date (1 July 2024)
        assert revision["reason"] == (LATE_RECORDS if closed else NEW_DATA)
