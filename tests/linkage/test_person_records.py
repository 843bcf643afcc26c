"""consolidate_people: each person's identifiers from their records (hand-made records, answers by hand)."""

from __future__ import annotations

from datetime import date

import polars as pl

from linkage.contract import PERSON_FIELDS
from linkage.person_records import consolidate_people


def records(*rows: tuple[str, str | None]) -> pl.DataFrame:
    """(record_id, date_of_birth); every other identifier blank."""
    frame = pl.DataFrame(rows, schema={"record_id": pl.String, "date_of_birth": pl.String}, orient="row")
    return frame.with_columns(pl.lit("health").alias("source"), *(pl.lit(None, dtype=pl.String).alias(name)
                                                                 for name in PERSON_FIELDS if name != "date_of_birth"))


def test_a_date_of_birth_after_the_extract_date_never_counts():
    # Person 1: a baby born 2026-01-10 whose day and month were swapped on two records (2026-10-01, after the
    # extract date 2026-09-30): the one true date wins. Person 2: only an impossible date: none. Person 3: 1899.
    found = records(("a", "2026-01-10"), ("b", "2026-10-01"), ("c", "2026-10-01"), ("d", "2026-10-01"),
                    ("e", "1899-12-31"), ("f", "1950-02-03"))
    facts = found.select("record_id", "source", pl.lit(1).alias("priority"), pl.lit(date(2026, 9, 1)).alias(
        "record_day"), pl.lit(None, dtype=pl.String).alias("ethnic_group"))
    links = pl.DataFrame({"record_id": list("abcdef"), "person_id": [1, 1, 1, 2, 3, 3]})
    people = consolidate_people(found, facts, links, date(2026, 9, 30))
    assert dict(people.select("person_id", "date_of_birth").iter_rows()) == {
        1: date(2026, 1, 10), 2: None, 3: date(1950, 2, 3)}
