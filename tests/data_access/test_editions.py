"""The edition store (data_access/editions.py) on both databases: kept on the private side, round trips exactly,
survives a reload of the linked data, and is never part of what the web tier can read."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from data_access.config import DisclosurePolicy
from data_access.editions import (
    PENDING,
    PUBLISHED,
    EditionFacts,
    delete_edition,
    edition_metadata,
    mark_published,
    next_edition_id,
    read_edition_rows,
    read_editions,
    read_input_digest,
    record_edition,
    record_input_digest,
)
from data_access.engine import make_engine
from data_access.examples import example_dataset
from data_access.loader import load_linked_data
from data_access.published_schema import published_metadata

POLICY = DisclosurePolicy(threshold=10, rounding_base=5, percentage_min_each_side=10, protection_level=5,
                          confidence_level="95", class_disclosure_min_group=20)
ROWS = pl.DataFrame({
    "table": ["families", "families", "measure_progress"],
    "measure": ["all", "all", "M01"],
    "locality": ["Chesil", "Dorset", "Dorset"],
    "period": ["2023/24", "2023/24", "2023/24"],
    "breakdown": ["none", "none", "none"],
    "category": ["All", "All", "All"],
    "statistic": ["families_attached", "families_attached", "improved_percent"],
    "kind": ["count", "count", "percent"],
    "value": [None, 40.0, 61.5],
    "symbol": ["[c]", None, None],
    "numerator": [None, None, "improved"],
    "denominator": [None, None, "reviewed"],
    "true_value": [7, 41, None],
})


def facts(edition_id: int, digest: str = "a" * 64) -> EditionFacts:
    return EditionFacts(edition_id, "2026-10-01 09:00 UTC", date(2026, 9, 30), digest, "b" * 64, POLICY)


def test_editions_round_trip_in_order(db_url: str) -> None:
    engine = make_engine(db_url)
    assert read_editions(engine) == [] and next_edition_id(engine) == 1
    record_edition(engine, facts(1), ROWS)
    record_edition(engine, facts(2, "c" * 64), ROWS.reverse())
    kept = read_editions(engine)
    assert [edition.edition_id for edition in kept] == [1, 2]
    assert kept[0] == EditionFacts(1, "2026-10-01 09:00 UTC", date(2026, 9, 30), "a" * 64, "b" * 64, POLICY,
                                   PENDING, 3)
    assert read_edition_rows(engine, 1).equals(ROWS.with_columns(pl.col("true_value").cast(pl.Int64)))
    assert read_edition_rows(engine, 2)["locality"].to_list() == ["Dorset", "Dorset", "Chesil"]  # its own order
    mark_published(engine, 1)
    delete_edition(engine, 2)
    assert [(edition.edition_id, edition.state) for edition in read_editions(engine)] == [(1, PUBLISHED)]
    assert read_edition_rows(engine, 2).height == 0 and next_edition_id(engine) == 2


def test_the_store_survives_a_reload_of_the_linked_data(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    load_linked_data(engine, example_dataset(3))
    record_edition(engine, facts(1), ROWS)
    load_linked_data(engine, example_dataset(5))  # a refresh replaces every linked table...
    assert [edition.edition_id for edition in read_editions(engine)] == [1]  # ...and keeps the editions
    assert read_edition_rows(engine, 1)["true_value"].to_list() == [7, 41, None]


def test_the_store_is_on_the_private_side(db_url: str) -> None:
    """Not declared with the published tables (so never created in the published schema or file), and created in
    the linked database's default schema."""
    assert not set(edition_metadata.tables) & set(published_metadata.tables)
    engine = make_engine(db_url)
    record_edition(engine, facts(1), ROWS)
    inspector = inspect(engine)
    assert {"edition", "edition_row"} <= set(inspector.get_table_names())
    if engine.dialect.name == "postgresql":
        assert "edition_row" not in inspector.get_table_names(schema="published")


def test_an_edition_is_recorded_whole_or_not_at_all(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    record_edition(engine, facts(1), ROWS)
    with pytest.raises(IntegrityError):  # the same id again: the insert fails and no row of it is written
        record_edition(engine, facts(1, "d" * 64), ROWS)
    assert [edition.digest for edition in read_editions(engine)] == ["a" * 64]
    assert read_edition_rows(engine, 1).height == ROWS.height


def test_an_editions_input_digest_is_kept_replaced_and_forgotten_with_it(db_url: str) -> None:
    engine = make_engine(db_url)
    record_edition(engine, facts(1), ROWS)
    record_edition(engine, facts(2, "c" * 64), ROWS)
    assert read_input_digest(engine, 1) is None  # editions made before digests were kept: always recomputed
    record_input_digest(engine, 1, "d" * 64)
    record_input_digest(engine, 2, "e" * 64)
    record_input_digest(engine, 1, "f" * 64)  # the same edition made again from other inputs
    assert (read_input_digest(engine, 1), read_input_digest(engine, 2)) == ("f" * 64, "e" * 64)
    delete_edition(engine, 2)
    assert read_input_digest(engine, 2) is None and read_input_digest(engine, 1) == "f" * 64


def test_a_store_made_before_input_digests_gets_their_table(db_url: str) -> None:
    engine = make_engine(db_url)
    edition_metadata.tables["edition_input"].drop(engine, checkfirst=True)
    record_edition(engine, facts(1), ROWS)
    assert "edition_input" in inspect(engine).get_table_names()
    record_input_digest(engine, 1, "d" * 64)
    assert read_input_digest(engine, 1) == "d" * 64
