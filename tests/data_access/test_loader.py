"""The validated loader: a round trip, one clear error per class of bad input, and nothing lost on failure.

Runs on SQLite and PostgreSQL through the shared `db_url` fixture (tests/conftest.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime

import polars as pl
import pytest
from sqlalchemy import CheckConstraint, Engine, func, inspect, select
from sqlalchemy.schema import CreateTable

from data_access import loader
from data_access.bulk import read_frame
from data_access.engine import make_engine
from data_access.loader import ALLOWED_VALUES, ROW_RULES, LoadError, load_linked_data, validate_linked_frames
from data_access.schema import LINKED_TABLES_IN_LOAD_ORDER, family, linked_metadata, need_observation
from synthetic import SyntheticWorld, generate_world

Frames = dict[str, pl.DataFrame]


@pytest.fixture(scope="module")
def previous() -> SyntheticWorld:
    """What is in the database before each attempted load."""
    return generate_world(40, 101)


@pytest.fixture(scope="module")
def incoming() -> SyntheticWorld:
    """What a test tries to load (different families), before it is broken."""
    return generate_world(60, 202)


@pytest.fixture
def engine(db_url: str):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _read_all(engine: Engine) -> Frames:
    with engine.connect() as connection:
        return {
            table.name: read_frame(connection, select(table).order_by(*table.primary_key.columns))
            for table in LINKED_TABLES_IN_LOAD_ORDER
        }


def _sorted(frames, table) -> pl.DataFrame:
    return frames[table.name].sort([column.name for column in table.primary_key.columns])


def _assert_database_holds(engine: Engine, world) -> None:
    stored = _read_all(engine)
    for table in LINKED_TABLES_IN_LOAD_ORDER:
        assert stored[table.name].equals(_sorted(world, table)), table.name


def test_round_trip_of_a_generated_world(engine, incoming):
    counts = load_linked_data(engine, incoming)
    assert counts == {name: frame.height for name, frame in incoming.items()}
    _assert_database_holds(engine, incoming)


def test_a_second_load_replaces_the_first(engine, previous, incoming):
    load_linked_data(engine, previous)
    load_linked_data(engine, incoming)
    _assert_database_holds(engine, incoming)


def test_loaded_at_is_recorded_when_given(engine, incoming):
    load_linked_data(engine, incoming, loaded_at=datetime(2026, 10, 1, 9, 30, tzinfo=UTC))
    with engine.connect() as connection:
        info = dict(read_frame(connection, select(linked_metadata.tables["dataset_info"])).iter_rows())
    assert info["loaded_at"] == "2026-10-01T09:30:00+00:00"


# --- each class of bad input --------------------------------------------------------------------


def _set(table: str, column: str, value, rows=(0,)) -> Callable[[Frames], Frames]:
    """Break `column` of `table` on the given 0-based rows."""

    def mutate(frames: Frames) -> Frames:
        frame = frames[table]
        mask = pl.int_range(pl.len()).is_in(list(rows))
        frames[table] = frame.with_columns(
            pl.when(mask).then(pl.lit(value, dtype=frame.schema[column])).otherwise(pl.col(column)).alias(column))
        return frames

    return mutate


def _first_row_where(table: str, condition: pl.Expr, column: str, value) -> Callable[[Frames], Frames]:
    def mutate(frames: Frames) -> Frames:
        frame = frames[table]
        row = frame.with_row_index().filter(condition)["index"][0]
        return _set(table, column, value, rows=(row,))(frames)

    return mutate


def _drop_table(name):
    return lambda frames: {key: value for key, value in frames.items() if key != name}


def _with(name, frame_change):
    def mutate(frames: Frames) -> Frames:
        frames[name] = frame_change(frames[name])
        return frames

    return mutate


BAD_INPUTS = {
    "missing table": (_drop_table("locality"), "locality: the table is missing."),
    "unknown table": (lambda f: f | {"families": f["family"]}, "Unknown table(s) families"),
    "missing column": (_with("family", lambda f: f.drop("deprivation_decile")),
                       "family: missing column(s) deprivation_decile."),
    "unexpected column": (_with("family", lambda f: f.with_columns(pl.lit("x").alias("notes"))),
                          "family: unexpected column(s) notes"),
    "wrong type": (_with("need_observation", lambda f: f.with_columns(pl.col("observed_on").cast(pl.String))),
                   "need_observation.observed_on: has type String, expected a date (pl.Date)."),
    "float ids": (_with("family", lambda f: f.with_columns(pl.col("family_id").cast(pl.Float64))),
                  "family.family_id: has type Float64, expected an integer type."),
    "null in a required column": (_set("programme_episode", "eligibility_date", None, rows=(1,)),
                                  "programme_episode.eligibility_date: 1 row(s) empty, but the column must always "
                                  "have a value (e.g. row 2)."),
    "value outside an allowed set": (_set("family", "family_type", "single"),
                                     "family.family_type: 1 row(s) not one of the allowed values"),
    "ethnic group not an ONS category": (_set("person_identifier", "ethnic_group", "White British"),
                                         "person_identifier.ethnic_group: 1 row(s) not one of the allowed values"),
    "unknown measure id": (_set("need_observation", "measure_id", "M99"),
                           "need_observation.measure_id: 1 row(s) not defined in config/measures.toml "
                           "(e.g. row 1; values 'M99')."),
    "unknown headline outcome": (_set("eligibility_need", "headline_outcome", "wealth"),
                                 "eligibility_need.headline_outcome: 1 row(s) not defined in config/measures.toml"),
    "unknown locality": (_with("locality", lambda f: f.with_columns(pl.col("locality_code").replace("PUR", "PBK"))),
                         "locality.locality_code: 1 row(s) not defined in config/localities.toml"),
    "foreign key: family locality": (_set("family", "locality_code", "XYZ", rows=(2, 4)),
                                     "family.locality_code: 2 row(s) not found in locality.locality_code "
                                     "(e.g. rows 3, 5; values 'XYZ')."),
    "foreign key: episode family": (_set("programme_episode", "family_id", 999_999),
                                    "programme_episode.family_id: 1 row(s) not found in family.family_id"),
    "duplicate key": (_with("family", lambda f: pl.concat([f, f.head(1)])),
                      "family.family_id: 2 row(s) duplicate key"),
    "invalid NHS number": (_set("person_identifier", "nhs_number", "9434765918"),
                           "person_identifier.nhs_number: 1 row(s) not a valid NHS number"),
    "invalid NI number": (_set("person_identifier", "ni_number", "GB123456A"),
                          "person_identifier.ni_number: 1 row(s) not a valid National Insurance number"),
    "invalid UPN": (_set("person_identifier", "upn", "A801200001001"),
                    "person_identifier.upn: 1 row(s) not a valid UPN"),
    "invalid postcode": (_set("person_identifier", "postcode", "DT47QE"),
                         "person_identifier.postcode: 1 row(s) not a valid postcode"),
    "invalid postcode district": (_set("family", "postcode_district", "QT4"),
                                  "family.postcode_district: 1 row(s) not a valid postcode district"),
    "text too long for the column": (_set("programme_episode", "team_code", "CHE-TEAM-NUMBER-ONE"),
                                     "programme_episode.team_code: 1 row(s) longer than 16 characters"),
    "integer too big for the column": (_set("programme_episode", "prior_contacts", 2**40),
                                       "programme_episode.prior_contacts: 1 row(s) outside the 32-bit integer range"),
    "deprivation decile out of range": (_set("family", "deprivation_decile", 11),
                                        "family.deprivation_decile: 1 row(s) deprivation_decile outside 1..10"),
    "comparison family with an attachment date": (
        _first_row_where("programme_episode", pl.col("cohort") == "comparison", "attachment_date",
                         datetime(2024, 1, 1).date()),
        "programme_episode.cohort, attachment_date: 1 row(s) attachment_date must be present for supported "
        "families and empty for comparison families"),
    "closure before eligibility": (
        _first_row_where("programme_episode", pl.col("closure_date").is_not_null()
                         & (pl.col("eligibility_date") > datetime(2018, 1, 1).date()), "closure_date",
                         datetime(2018, 1, 1).date()),
        "programme_episode.closure_date, eligibility_date: 1 row(s) closure_date before eligibility_date"),
    "observation after the extract date": (_set("need_observation", "observed_on", datetime(2027, 1, 1).date()),
                                           "need_observation.observed_on: 1 row(s) after the data extract date"),
    "person measure without a person": (
        _first_row_where("need_observation", pl.col("measure_id") == "M06", "person_id", None),
        "need_observation.person_id: 1 row(s) empty for a person measure"),
    "family measure with a person": (
        _first_row_where("need_observation", pl.col("measure_id") == "M01", "person_id", 1),
        "need_observation.person_id: 1 row(s) filled for a family measure"),
    "person not in that family": (
        _first_row_where("need_observation", pl.col("person_id").is_not_null() & (pl.col("family_id") != 1),
                         "family_id", 1),
        "need_observation.family_id, person_id: 1 row(s) the person is not a member of that family"),
    "no extract date": (_with("dataset_info", lambda f: f.filter(pl.col("key") != "data_as_of")),
                        "dataset_info: no row with key 'data_as_of'"),
    # --- implausible data (issue 16): refused, counted, and no date quoted
    "no families": (_with("family", lambda f: f.clear()), "family: no rows."),
    "no people": (_with("person_identifier", lambda f: f.clear()), "person_identifier: no rows."),
    "no episodes": (_with("programme_episode", lambda f: f.clear()), "programme_episode: no rows."),
    "date of birth after the extract date": (
        _set("person_identifier", "date_of_birth", date(2031, 4, 5), rows=(0, 3)),
        "person_identifier.date_of_birth: 2 row(s) after the data extract date 2026-09-30 (dataset_info.data_as_of) "
        "(e.g. rows 1, 4)."),
    "date of birth before 1900": (_set("person_identifier", "date_of_birth", date(1850, 2, 3)),
                                  "person_identifier.date_of_birth: 1 row(s) before 1900-01-01 (not a plausible date) "
                                  "(e.g. row 1)."),
    "date of birth in year 10183": (
        _with("person_identifier", lambda f: f.with_columns(
            pl.when(pl.int_range(pl.len()) == 1).then(pl.date(10183, 5, 4)).otherwise("date_of_birth")
            .alias("date_of_birth"))),
        "person_identifier.date_of_birth: 1 row(s) after the data extract date"),
    "observation in year 1": (_set("need_observation", "observed_on", date(1, 1, 1)),
                              "need_observation.observed_on: 1 row(s) before 1900-01-01"),
    "member ends before starting": (
        _with("family_member", lambda f: f.with_columns(
            pl.when(pl.int_range(pl.len()) < 3).then(pl.col("start_date") - pl.duration(days=1))
            .otherwise("end_date").alias("end_date"))),
        "family_member.end_date, start_date: 3 row(s) end_date before start_date (e.g. rows 1, 2, 3)."),
    "membership starting after the extract date": (_set("family_member", "start_date", date(2027, 1, 1)),
                                                   "family_member.start_date: 1 row(s) after the data extract date"),
    "eligibility after the extract date": (_set("programme_episode", "eligibility_date", date(2026, 10, 1)),
                                           "programme_episode.eligibility_date: 1 row(s) after the data extract date"),
    "attachment after the extract date": (
        _first_row_where("programme_episode", pl.col("cohort") == "supported", "attachment_date", date(2026, 10, 1)),
        "programme_episode.attachment_date: 1 row(s) after the data extract date"),
    "assessment, plan and closure after the extract date": (
        lambda frames: _first_row_where("programme_episode", pl.col("closure_date").is_not_null(), "closure_date",
                                        date(2027, 5, 1))(
            _set("programme_episode", "plan_date", date(2027, 5, 1), rows=(0, 1))(
                _set("programme_episode", "assessment_date", date(2027, 5, 1))(frames))),
        "programme_episode.plan_date: 2 row(s) after the data extract date"),
    "extract date before 1900": (
        _with("dataset_info", lambda f: f.with_columns(
            pl.when(pl.col("key") == "data_as_of").then(pl.lit("1899-12-31")).otherwise("value").alias("value"))),
        "dataset_info: data_as_of 1899-12-31 is before 1900-01-01"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_refused_clearly_and_the_previous_data_stay(engine, previous, incoming, case):
    mutate, expected = BAD_INPUTS[case]
    load_linked_data(engine, previous)
    with pytest.raises(LoadError) as raised:
        load_linked_data(engine, mutate(dict(incoming)))
    assert any(expected in problem for problem in raised.value.problems), raised.value.problems
    assert "the database is unchanged" in str(raised.value)
    _assert_database_holds(engine, previous)


def test_the_message_counts_rows_and_names_up_to_five_examples(incoming):
    frames = _set("person_identifier", "nhs_number", "9434765918", rows=(1, 4))(dict(incoming))
    assert validate_linked_frames(frames) == [
        "person_identifier.nhs_number: 2 row(s) not a valid NHS number (10 digits, mod-11 check digit) "
        "(e.g. rows 2, 5)."
    ]
    frames = _set("family", "family_type", "single", rows=tuple(range(0, 14, 2)))(dict(incoming))
    assert validate_linked_frames(frames) == [
        "family.family_type: 7 row(s) not one of the allowed values (lone_parent, two_parent, multi_generational, "
        "other) (e.g. rows 1, 3, 5, 7, 9; values 'single')."
    ]


def test_personal_values_are_never_quoted_in_messages(incoming):
    frames = _set("person_identifier", "ethnic_group", "Secret value", rows=(0,))(dict(incoming))
    frames = _set("person_identifier", "ni_number", "XX999999Z", rows=(0,))(frames)
    problems = validate_linked_frames(frames)
    assert len(problems) == 2
    assert not any("Secret value" in problem or "XX999999Z" in problem for problem in problems)


def test_dates_are_never_quoted(incoming):
    """Dates of birth are personal and event dates can identify a family: messages give counts and rows only."""
    frames = _set("person_identifier", "date_of_birth", date(1850, 2, 3), rows=(0,))(dict(incoming))
    frames = _set("person_identifier", "date_of_birth", date(2031, 4, 5), rows=(1,))(frames)
    frames = _set("need_observation", "observed_on", date(1, 7, 8), rows=(2,))(frames)
    frames = _set("family_member", "end_date", date(1899, 6, 7), rows=(0,))(frames)
    problems = validate_linked_frames(frames)
    assert len(problems) == 5, problems  # two for dates of birth, one observation, the end date twice
    text = "\n".join(problems)
    for planted in ("1850", "2031", "0001", "1899-06-07", "07-08", "02-03", "04-05"):
        assert planted not in text


def test_every_problem_is_reported_at_once(incoming):
    frames = dict(incoming)
    for name in ("invalid NHS number", "unknown measure id", "missing column", "foreign key: episode family"):
        frames = BAD_INPUTS[name][0](frames)
    assert len(validate_linked_frames(frames)) == 4


def test_a_database_failure_part_way_rolls_everything_back(engine, previous, incoming, monkeypatch):
    load_linked_data(engine, previous)
    real_write = loader.write_frame

    def fail_on_last_table(connection, table, frame):
        if table is need_observation:
            connection.exec_driver_sql("SELECT no_such_column FROM family")  # a real database error
        return real_write(connection, table, frame)

    monkeypatch.setattr(loader, "write_frame", fail_on_last_table)
    with pytest.raises(LoadError, match="The database refused the data"):
        load_linked_data(engine, incoming)
    _assert_database_holds(engine, previous)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(family)).scalar() == previous["family"].height


def test_the_database_checks_foreign_keys_itself_before_committing(engine, previous, incoming, monkeypatch):
    """Validation checks every foreign key first; the database checks again in one pass (SQLite: row-by-row
    enforcement is off while writing), so a row that slipped past validation still stops the load."""
    load_linked_data(engine, previous)
    real_write = loader.write_frame

    def orphan_observation(connection, table, frame):
        if table is need_observation:
            frame = frame.with_columns(pl.lit(10**9).alias("family_id"))  # no such family
        return real_write(connection, table, frame)

    monkeypatch.setattr(loader, "write_frame", orphan_observation)
    with pytest.raises(LoadError) as refused:
        load_linked_data(engine, incoming)
    assert str(10**9) not in str(refused.value)
    _assert_database_holds(engine, previous)
    if engine.dialect.name == "sqlite":  # row-by-row enforcement is back on for everything else
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_the_loader_knows_every_check_constraint_in_the_schema():
    """A new CHECK constraint in schema.py must get a loader rule, so bad data fail with a readable message."""
    for table in LINKED_TABLES_IN_LOAD_ORDER:
        for constraint in table.constraints:
            if not isinstance(constraint, CheckConstraint):
                continue
            if constraint.name.endswith("_allowed"):
                column = constraint.name.removeprefix("ck_").removesuffix("_allowed")
                declared = tuple(re.findall(r"'([^']*)'", str(constraint.sqltext)))
                assert ALLOWED_VALUES[(table.name, column)] == declared, constraint.name
            else:
                assert constraint.name in ROW_RULES, constraint.name


def test_foreign_keys_and_indexes_are_in_place_after_a_load(engine, incoming):
    load_linked_data(engine, incoming)
    inspector = inspect(engine)
    for table in LINKED_TABLES_IN_LOAD_ORDER:
        declared_keys = sorted((tuple(fk.column_keys), fk.referred_table.name) for fk in table.foreign_key_constraints)
        found_keys = sorted((tuple(fk["constrained_columns"]), fk["referred_table"])
                            for fk in inspector.get_foreign_keys(table.name))
        assert found_keys == declared_keys, table.name
        assert {index["name"] for index in inspector.get_indexes(table.name)} >= {
            index.name for index in table.indexes}, table.name


def test_loading_leaves_the_shared_schema_objects_unchanged(engine, incoming):
    """The PostgreSQL path drops and re-adds foreign keys; the metadata must still declare them inline after."""

    def create_statements() -> dict[str, str]:
        return {table.name: str(CreateTable(table).compile(dialect=engine.dialect))
                for table in LINKED_TABLES_IN_LOAD_ORDER}

    before = create_statements()
    load_linked_data(engine, incoming)
    assert create_statements() == before
    assert "FOREIGN KEY" in before["need_observation"]


# --- what the database itself refuses: never quoted, in the error, its chain or any log --------------------------

SECRET = "Zebedee-Quaxworth"  # planted where the database will refuse it; must appear nowhere afterwards
SHORT_SECRET = "Qxz-7w"  # fits person_identifier.sex (8 characters), so the CHECK constraint is what refuses it


def _refused_by_the_database(backend: str) -> dict[str, Callable[[Frames], Frames]]:
    """Bad rows the validator is switched off for (standing in for a gap in it), which the database itself refuses."""
    cases = {
        "check constraint": _set("person_identifier", "sex", SHORT_SECRET),  # PostgreSQL: "Failing row contains (...)"
        "not null": _set("programme_episode", "eligibility_date", None),
    }
    if backend == "postgresql":  # SQLite stores these as given; PostgreSQL quotes them in its messages
        cases["text too long"] = _set("person_identifier", "given_name", SECRET * 6)
        cases["year 10183"] = _with("person_identifier", lambda f: f.with_columns(
            pl.when(pl.int_range(pl.len()) == 0).then(pl.date(10183, 5, 4)).otherwise("date_of_birth")
            .alias("date_of_birth")))
    return cases


def _chain(error: BaseException | None) -> list[BaseException]:
    found = []
    while error is not None and error not in found:
        found.append(error)
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return found


def test_database_refusals_are_redacted_and_leave_the_database_unchanged(engine, previous, incoming, monkeypatch,
                                                                        caplog):
    load_linked_data(engine, previous)
    monkeypatch.setattr(loader, "validate_linked_frames", lambda frames, config_dir=None: [])
    caplog.set_level(logging.DEBUG)
    cases = _refused_by_the_database(engine.dialect.name)
    for case, mutate in cases.items():
        with pytest.raises(LoadError) as raised:
            load_linked_data(engine, mutate(dict(incoming)))
        message = str(raised.value)
        assert message.startswith("The linked data were not loaded") and "The database refused the data" in message
        assert "person_identifier" in message or "programme_episode" in message, (case, message)
        for error in _chain(raised.value):
            for planted in (SECRET, SHORT_SECRET, "10183"):
                assert planted not in str(error) and planted not in repr(error), case
        assert len(_chain(raised.value)) == 1, "the driver's error is not chained (its message quotes values)"
        _assert_database_holds(engine, previous)
    logged = "\n".join(record.getMessage() + str(record.exc_info or "") for record in caplog.records)
    assert SECRET not in logged and SHORT_SECRET not in logged and "10183" not in logged


def test_refusals_name_the_table_column_and_row_on_postgresql(pg_url, previous, incoming, monkeypatch):
    engine = make_engine(pg_url)
    try:
        monkeypatch.setattr(loader, "validate_linked_frames", lambda frames, config_dir=None: [])
        frames = _set("person_identifier", "given_name", SECRET * 6, rows=(4,))(dict(incoming))
        with pytest.raises(LoadError) as raised:
            load_linked_data(engine, frames)
        assert raised.value.problems == [
            "The database refused the data: a text value is longer than its column allows (table person_identifier, "
            "column given_name, row 5, code 22001). Its own message is not shown because it can quote the data."]
        frames = _set("person_identifier", "sex", SHORT_SECRET, rows=(2,))(dict(incoming))
        with pytest.raises(LoadError, match=r"a row breaks a check constraint \(table person_identifier, "
                                            r"constraint ck_sex_allowed, row 3, code 23514\)"):
            load_linked_data(engine, frames)
    finally:
        engine.dispose()
