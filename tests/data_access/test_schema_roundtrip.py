"""Every table of the data contract survives a write and read-back unchanged, on SQLite and on PostgreSQL.

The frames are hand-made to hit what breaks bulk paths: dates, booleans, nulls next to empty strings,
commas, quotes, newlines and non-ASCII text in CSV (PostgreSQL COPY) and ISO-text dates / 0-1 booleans (SQLite).
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Table, inspect, select, text

from data_access import schema
from data_access.bulk import read_frame, write_frame
from data_access.engine import PUBLISHED_SCHEMA, make_engine, published_db_url
from data_access.published_schema import (
    publication_info,
    published_metadata,
    published_revision,
    published_statistic,
)

TRICKY_NAME = "Siân O'Brien, Jr"
QUOTED_AND_MULTILINE = 'The "Nick" Jones\nsecond line'

LINKED_FRAMES: dict[str, pl.DataFrame] = {
    "dataset_info": pl.DataFrame(
        {
            "key": ["data_as_of", "is_synthetic", "source", "note", "empty"],
            "value": ["2025-03-31", "true", "hand-made, for a test", QUOTED_AND_MULTILINE, ""],
        }
    ),
    "locality": pl.DataFrame(
        {
            "locality_code": ["WEY", "PUR"],
            "locality_name": ["Weymouth & Portland", "Purbeck, Swanage and Wareham"],
            "sort_order": [1, 2],
        }
    ),
    "family": pl.DataFrame(
        {
            "family_id": [1, 2, 3],
            "locality_code": ["WEY", "PUR", "WEY"],
            "postcode_district": ["DT4", None, ""],
            "family_type": ["lone_parent", "two_parent", None],
            "deprivation_decile": [1, None, 10],
        }
    ),
    "person_identifier": pl.DataFrame(
        {
            "person_id": [10, 11, 12, 13],
            "given_name": ["Siân", "Zoë", None, ""],
            "family_name": [TRICKY_NAME, QUOTED_AND_MULTILINE, "Łukasz-Ñúñez", None],
            "date_of_birth": [date(1985, 2, 28), date(2012, 2, 29), None, date(1999, 12, 31)],
            "sex": ["female", "female", "male", None],
            "ethnic_group": [schema.ETHNIC_GROUPS[0], "Mixed: White and Asian", None, schema.ETHNIC_GROUPS[-1]],
            "postcode": ["DT4 8AB", "BH19 1AA", None, ""],
            "nhs_number": ["9434765919", None, "9434765870", None],
            "ni_number": ["QQ123456C", None, None, None],
            "upn": [None, "A123456789012", None, None],
        }
    ),
    "family_member": pl.DataFrame(
        {
            "family_id": [1, 1, 2, 3],
            "person_id": [10, 11, 12, 13],
            "role": ["parent_carer", "child", "other_adult", "child"],
            "start_date": [date(2020, 1, 1), date(2020, 1, 1), date(2021, 6, 30), date(2019, 4, 1)],
            "end_date": [None, date(2024, 8, 31), None, None],
        }
    ),
    "programme_episode": pl.DataFrame(
        {
            "episode_id": [100, 101, 102],
            "family_id": [1, 2, 3],
            "cohort": ["supported", "comparison", "supported"],
            "eligibility_date": [date(2023, 4, 3), date(2023, 5, 1), date(2024, 1, 15)],
            "attachment_date": [date(2023, 4, 20), None, date(2024, 2, 1)],
            "route_into_support": ["school", None, "family_partnership_zone"],
            "team_code": ["WEY-1", None, "WEY, team 2"],
            "lead_practitioner_key": ["LP-0001", None, 'LP-"7"'],
            "assessment_date": [date(2023, 4, 25), None, None],
            "plan_date": [date(2023, 5, 10), None, None],
            "closure_date": [date(2024, 3, 31), None, None],
            "closure_reason": ["outcomes_achieved", None, None],
            "comparison_status": [None, "awaiting_place", None],
            "prior_contacts": [3, 0, None],
        }
    ),
    "eligibility_need": pl.DataFrame(
        {
            "episode_id": [100, 100, 101],
            "headline_outcome": ["education", "health", "education"],
            "source": ["Education, attendance team", None, QUOTED_AND_MULTILINE],
        }
    ),
    "need_observation": pl.DataFrame(
        {
            "observation_id": [1000, 1001, 1002, 1003],
            "measure_id": ["M01", "M01", "M07", "M12"],
            "family_id": [1, 1, 2, 3],
            "person_id": [11, 11, 12, None],
            "observed_on": [date(2023, 4, 1), date(2023, 10, 19), date(2023, 5, 1), date(2024, 12, 31)],
            "need_present": [True, False, True, False],
            "source": ["school census", None, "police, Dorset", ""],
        }
    ),
    "record_link": pl.DataFrame(
        {
            "source": ["police_incidents", "police_incidents", "case_members"],
            "record_id": ["police_incidents:0123456789ab:0000001", "police_incidents:0123456789ab:0000002",
                          "case_members:ba9876543210:0000001"],
            "person_id": [10, 11, 10],
        }
    ),
}

PUBLISHED_FRAMES: dict[str, pl.DataFrame] = {
    "published_statistic": pl.DataFrame(
        {
            "row_id": [1, 2, 3],
            "table": ["measure_progress", "measure_progress", "families"],
            "measure": ["M01", "M01", "all"],
            "locality": ["Weymouth & Portland", "Dorset", "Purbeck, Swanage and Wareham"],
            "period": ["2024/25", "2024/25 Q1", "all"],
            "breakdown": ["none", "ethnic_group", "none"],
            "category": ["All", schema.ETHNIC_GROUPS[0], "All"],
            "statistic": ["improved_percent", "with_need", "families_attached"],
            "kind": ["percent", "count", "count"],
            "value": [61.3, None, 1250.0],
            "symbol": [None, "[c]", None],
            "numerator": ["improved", None, None],
            "denominator": ["reviewed", None, None],
        }
    ),
    "publication_info": pl.DataFrame(
        {"key": ["published_at", "note"], "value": ["2025-04-01T09:00:00", QUOTED_AND_MULTILINE + ", " + TRICKY_NAME]}
    ),
    "published_revision": pl.DataFrame(
        {
            "row_id": [0, 1],
            "edition": [2, 2],
            "previous_edition": [1, 1],
            "table": ["families", "measure_progress"],
            "measure": ["all", "M01"],
            "locality": ["Dorset", "Weymouth & Portland"],
            "period": ["2023/24", "2024/25"],
            "breakdown": ["none", "ethnic_group"],
            "category": ["All", schema.ETHNIC_GROUPS[0]],
            "statistic": ["families_attached", "with_need"],
            "kind": ["count", "count"],
            "previous_value": [1250.0, None],
            "previous_symbol": [None, "[c]"],
            "value": [1255.0, 15.0],
            "symbol": [None, "[x]"],
            "reason": ["late records", "new data"],
        }
    ),
}


def test_every_linked_table_has_a_frame() -> None:
    assert set(LINKED_FRAMES) == {table.name for table in schema.linked_metadata.sorted_tables}
    assert set(PUBLISHED_FRAMES) == {table.name for table in published_metadata.sorted_tables}


def _round_trip(engine, tables: list[Table], frames: dict[str, pl.DataFrame]) -> None:
    with engine.begin() as connection:
        for table in tables:
            assert write_frame(connection, table, frames[table.name]) == frames[table.name].height
    with engine.connect() as connection:
        for table in tables:
            statement = select(table).order_by(*table.primary_key.columns)
            back = read_frame(connection, statement)
            expected = frames[table.name].sort([column.name for column in table.primary_key.columns])
            assert_frame_equal(back, expected, check_dtypes=True, check_column_order=True)


def test_linked_tables_round_trip(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        schema.linked_metadata.create_all(engine)
        _round_trip(engine, list(schema.LINKED_TABLES_IN_LOAD_ORDER), LINKED_FRAMES)
    finally:
        engine.dispose()


def test_published_tables_round_trip_apart_from_linked_data(db_url: str) -> None:
    """Published tables live in their own SQLite file, or in the "published" schema on PostgreSQL."""
    engine = make_engine(published_db_url(db_url), published=True)
    try:
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{PUBLISHED_SCHEMA}"'))
        published_metadata.create_all(engine)
        _round_trip(engine, [published_statistic, publication_info, published_revision], PUBLISHED_FRAMES)
        if engine.dialect.name == "postgresql":
            tables = inspect(engine).get_table_names(schema=PUBLISHED_SCHEMA)
            assert sorted(tables) == ["publication_info", "published_revision", "published_statistic"]
            assert inspect(engine).get_table_names(schema="public") == []
        else:
            assert published_db_url(db_url) != db_url
    finally:
        engine.dispose()


@pytest.mark.parametrize("table", schema.LINKED_TABLES_IN_LOAD_ORDER, ids=lambda table: table.name)
def test_frames_already_have_the_declared_dtypes(table: Table) -> None:
    """Guards the test itself: equality after the round trip must not rely on a silent cast on the way in."""
    from data_access.bulk import polars_schema

    assert dict(LINKED_FRAMES[table.name].schema) == polars_schema(table.columns)
