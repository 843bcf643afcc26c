"""read_linked_data returns the loaded world exactly (the same columns, dtypes and rows), on SQLite and PostgreSQL,
and reads only the pseudonymous columns the analysis uses."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from data_access.engine import make_engine
from data_access.examples import example_dataset
from data_access.linked_reads import (
    LINKED_COLUMNS_READ,
    LINKED_TABLES_NOT_READ,
    PERSON_COLUMNS_FOR_ANALYSIS,
    linked_data_from_frames,
    read_linked_data,
)
from data_access.loader import load_linked_data
from data_access.schema import LINKED_TABLES_IN_LOAD_ORDER
from synthetic import generate_world

IDENTIFYING_COLUMNS = {"given_name", "family_name", "postcode", "nhs_number", "ni_number", "upn", "postcode_district"}


def test_read_linked_data_equals_the_loaded_world(db_url: str) -> None:
    world = generate_world(120, seed=11)
    engine = make_engine(db_url)
    try:
        load_linked_data(engine, world)
        read = read_linked_data(engine)
    finally:
        engine.dispose()
    expected = linked_data_from_frames(world)
    assert read.info == expected.info
    assert read.localities["sort_order"].is_sorted()
    read_tables, expected_tables = read.as_tables(), expected.as_tables()
    for name, frame in expected_tables.items():
        if name == "dataset_info":
            continue
        assert frame.height > 0, name
        assert frame.columns == list(LINKED_COLUMNS_READ[name]), name
        assert_frame_equal(read_tables[name], frame, check_row_order=name == "locality")


def test_the_columns_read_exist_and_identify_no_one() -> None:
    declared = {table.name: [column.name for column in table.columns] for table in LINKED_TABLES_IN_LOAD_ORDER
                if table.name not in LINKED_TABLES_NOT_READ}
    assert set(LINKED_COLUMNS_READ) == set(declared)
    for name, columns in LINKED_COLUMNS_READ.items():
        assert set(columns) <= set(declared[name]), name
        assert not set(columns) & IDENTIFYING_COLUMNS, name
        primary_key = {column.name for table in LINKED_TABLES_IN_LOAD_ORDER if table.name == name
                       for column in table.primary_key.columns}
        assert primary_key <= set(columns), name  # every row stays identifiable
    assert LINKED_COLUMNS_READ["person_identifier"] == PERSON_COLUMNS_FOR_ANALYSIS


def test_frames_drop_the_unread_columns_and_tolerate_missing_ones() -> None:
    frames = example_dataset(3)
    frames["need_observation"] = frames["need_observation"].drop("observation_id")
    linked = linked_data_from_frames(frames)
    assert "source" not in linked.observations.columns
    assert linked.observations.columns == ["measure_id", "family_id", "person_id", "observed_on", "need_present"]
    assert "postcode_district" not in linked.families.columns
    assert linked.people.columns == list(PERSON_COLUMNS_FOR_ANALYSIS)
    assert linked.observations.schema["need_present"] == pl.Boolean
