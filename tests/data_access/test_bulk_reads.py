"""The pipeline's bulk reads (ADBC on SQLite and PostgreSQL; COPY on PostgreSQL when ADBC cannot) return exactly
the frame read_frame returns.

The probe table is built to break them: integer, text, date, boolean, float and timestamp columns whose first
3,000 rows are NULL (ADBC infers each column's type from the first batch, 1,024 rows by default), a column that
is NULL throughout, text with commas, quotes, newlines, '%' and '' beside NULL (CSV), and an empty table.
Where a test says the fast path must be taken, read_frame is replaced by a function that fails, so a silent
fallback cannot make the test pass.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    literal_column,
    select,
    text,
    type_coerce,
)
from sqlalchemy.pool import StaticPool

from data_access import bulk
from data_access.bulk import BulkReader, read_frame, read_table_bulk, write_frame
from data_access.engine import make_engine
from data_access.schema import LINKED_TABLES_IN_LOAD_ORDER, linked_metadata
from tests.data_access.test_schema_roundtrip import LINKED_FRAMES

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LEADING_NULLS = 3000  # about three default ADBC batches of nothing but NULL
TEXTS = ["Siân O'Brien, Jr", 'The "Nick" Jones\nsecond line', "", "plain", "100% sure", "Łukasz-Ñúñez"]
EXPECTED_DTYPES = {"row_id": pl.Int64, "score": pl.Int64, "label": pl.String, "day": pl.Date, "flag": pl.Boolean,
                   "ratio": pl.Float64, "stamp": pl.Datetime("us"), "never": pl.String}

probe_metadata = MetaData()


def _probe_columns() -> list[Column]:
    return [Column("row_id", Integer, primary_key=True, autoincrement=False), Column("score", Integer),
            Column("label", String(80)), Column("day", Date), Column("flag", Boolean), Column("ratio", Float),
            Column("stamp", DateTime), Column("never", String(8))]


probe = Table("bulk_read_probe", probe_metadata, *_probe_columns())
empty_probe = Table("bulk_read_empty", probe_metadata, *_probe_columns())
PROBE_IN_ORDER = select(probe).order_by(probe.c.row_id)


def _probe_rows() -> list[dict]:
    rows = [{"row_id": i, "score": None, "label": None, "day": None, "flag": None, "ratio": None, "stamp": None,
             "never": None} for i in range(LEADING_NULLS)]
    for k in range(40):
        rows.append({
            "row_id": LEADING_NULLS + k,
            "score": k - 20 if k % 3 else None,
            "label": TEXTS[k % len(TEXTS)] if k % 7 else None,
            "day": date(2019, 12, 31) + timedelta(days=37 * k) if k % 4 else None,
            "flag": (True, False, None)[k % 3],
            "ratio": (k - 7) / 3 if k % 6 else None,
            "stamp": datetime(2024, 2, 29, 13, 5, 7, 0 if k == 1 else 1001 * k) if k % 2 else None,
            "never": None,
        })
    return rows


def _fill_probe(engine: Engine) -> None:
    probe_metadata.create_all(engine)
    with engine.begin() as connection:  # SQLAlchemy's own storage forms (ISO text dates, 0/1 booleans on SQLite)
        connection.execute(probe.insert(), _probe_rows())


def _probe_engine(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        _fill_probe(engine)
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def probe_engine(db_url: str) -> Iterator[Engine]:
    yield from _probe_engine(db_url)


@pytest.fixture
def sqlite_probe_engine(sqlite_url: str) -> Iterator[Engine]:
    yield from _probe_engine(sqlite_url)


@pytest.fixture
def fast_path_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the ordinary read path and PostgreSQL's COPY fail inside bulk reads, so a test passes only through
    ADBC (SQLite and PostgreSQL alike)."""

    def forbidden(connection, statement):
        raise AssertionError("the bulk reader fell back to read_frame")

    def copy_forbidden(connection, sql, schema):
        raise AssertionError("the bulk reader read through COPY, not ADBC")

    monkeypatch.setattr(bulk, "read_frame", forbidden)
    monkeypatch.setattr(bulk, "_read_postgresql_copy", copy_forbidden)


@pytest.fixture
def copy_path_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL without the ADBC driver's connection: reads must go through COPY (never read_frame)."""

    def forbidden(connection, statement):
        raise AssertionError("the bulk reader fell back to read_frame")

    monkeypatch.setattr(bulk, "read_frame", forbidden)
    monkeypatch.setattr(bulk._AdbcPostgresql, "open", classmethod(lambda cls, connection: None))


def _read_frame(engine: Engine, statement) -> pl.DataFrame:
    with engine.connect() as connection:
        return read_frame(connection, statement)


def test_the_probe_frame_is_what_the_declared_types_say(probe_engine: Engine) -> None:
    """The reference (read_frame) is itself right, so comparing against it means something."""
    frame = _read_frame(probe_engine, PROBE_IN_ORDER)
    assert dict(frame.schema) == EXPECTED_DTYPES
    assert frame.height == LEADING_NULLS + 40
    assert frame.head(LEADING_NULLS).drop("row_id").null_count().row(0) == (LEADING_NULLS,) * 7
    tail = frame.tail(40)
    assert tail["label"].to_list()[1:7] == TEXTS[1:] + [TEXTS[0]]
    assert tail.row(1, named=True) == {"row_id": LEADING_NULLS + 1, "score": -19, "label": TEXTS[1],
                                       "day": date(2020, 2, 6), "flag": False, "ratio": -2.0,
                                       "stamp": datetime(2024, 2, 29, 13, 5, 7), "never": None}


@pytest.mark.usefixtures("fast_path_only")
def test_bulk_read_equals_read_frame_with_leading_nulls(probe_engine: Engine) -> None:
    expected = _read_frame(probe_engine, PROBE_IN_ORDER)  # read_frame imported here, not the patched name
    with BulkReader(probe_engine) as reader:
        assert_frame_equal(reader.read(PROBE_IN_ORDER), expected)


@pytest.mark.usefixtures("fast_path_only")
def test_bulk_read_of_a_column_subset_and_a_whole_table(probe_engine: Engine) -> None:
    subset = select(probe.c.label, probe.c.row_id, probe.c.flag).order_by(probe.c.row_id)
    expected_subset = _read_frame(probe_engine, subset)
    expected_whole = _read_frame(probe_engine, select(probe))
    with BulkReader(probe_engine) as reader:
        assert_frame_equal(reader.read(subset), expected_subset)
        assert_frame_equal(reader.read(probe), expected_whole, check_row_order=False)


@pytest.mark.usefixtures("fast_path_only")
def test_bulk_read_of_an_empty_table_keeps_every_dtype(probe_engine: Engine) -> None:
    expected = _read_frame(probe_engine, select(empty_probe))
    assert dict(expected.schema) == EXPECTED_DTYPES
    frame = read_table_bulk(probe_engine, empty_probe)
    assert frame.height == 0
    assert_frame_equal(frame, expected)


@pytest.mark.usefixtures("fast_path_only")
def test_bulk_read_of_every_linked_table_with_tricky_text(db_url: str) -> None:
    """The data contract's own tables, with the round-trip test's quotes, newlines, '' and NULL."""
    engine = make_engine(db_url)
    try:
        linked_metadata.create_all(engine)
        with engine.begin() as connection:
            for table in LINKED_TABLES_IN_LOAD_ORDER:
                write_frame(connection, table, LINKED_FRAMES[table.name])
        with BulkReader(engine) as reader:
            for table in LINKED_TABLES_IN_LOAD_ORDER:
                statement = select(table).order_by(*table.primary_key.columns)
                assert_frame_equal(reader.read(statement), _read_frame(engine, statement))
    finally:
        engine.dispose()


def test_statements_with_bound_parameters_take_the_ordinary_path(probe_engine: Engine,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    statement = select(probe.c.row_id, probe.c.label).where(probe.c.score > 3).order_by(probe.c.row_id)
    expected = _read_frame(probe_engine, statement)
    calls = []

    def spy(connection, given):
        calls.append(given)
        return read_frame(connection, given)

    monkeypatch.setattr(bulk, "read_frame", spy)
    with BulkReader(probe_engine) as reader:
        assert_frame_equal(reader.read(statement), expected)
    assert calls == [statement]
    assert expected["row_id"].to_list() == [LEADING_NULLS + k for k in range(24, 40) if k % 3]


def _insert_late_row(engine: Engine) -> None:
    """Commit one more probe row from another connection: another process for SQLite (the real concurrent writer
    is another process, and one process must not write while ADBC's copy of SQLite holds the file)."""
    if engine.dialect.name == "sqlite":
        script = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                  "c.execute(\"INSERT INTO bulk_read_probe (row_id, label) VALUES (-1, 'late')\"); c.commit()")
        subprocess.run([sys.executable, "-c", script, engine.url.database], check=True, timeout=60)
    else:
        with engine.begin() as connection:
            connection.execute(probe.insert(), [{"row_id": -1, "label": "late"}])


@pytest.mark.usefixtures("fast_path_only")
def test_reads_come_from_one_snapshot(probe_engine: Engine) -> None:
    """Rows committed elsewhere after the reader's first read are not seen by its later reads."""
    with BulkReader(probe_engine) as reader:
        assert reader.read(empty_probe).height == 0
        _insert_late_row(probe_engine)
        assert reader.read(probe).height == LEADING_NULLS + 40
    assert read_table_bulk(probe_engine, probe).height == LEADING_NULLS + 41  # a new reader sees it


# --- SQLite: the ADBC path ---------------------------------------------------------------------------------------


def test_adbc_type_inference_failure_falls_back_without_logging_values(
    sqlite_probe_engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """With the driver's default batch (1,024 rows), the all-NULL first batch types `label` as int64 and the first
    string fails the read (the documented pitfall): the reader falls back and still returns the right frame."""
    expected = _read_frame(sqlite_probe_engine, PROBE_IN_ORDER)
    monkeypatch.setattr(bulk, "ADBC_SQLITE_MAX_BATCH_ROWS", 1024)
    with caplog.at_level(logging.WARNING, logger="data_access.bulk"), BulkReader(sqlite_probe_engine) as reader:
        assert_frame_equal(reader.read(PROBE_IN_ORDER), expected)
    assert len(caplog.records) == 1 and "through the engine" in caplog.text
    assert not any(value in caplog.text for value in ("Siân", "Nick", "plain", "2020-"))


_ADDRESS_SPACE_SCRIPT = """
import sys
import adbc_driver_manager, adbc_driver_sqlite  # loaded before the first measurement
from data_access.bulk import read_table_bulk
from data_access.engine import make_engine
from tests.data_access.test_bulk_reads import PROBE_IN_ORDER, empty_probe

def address_space():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * 4096

engine = make_engine(sys.argv[1])
before = address_space()
frames = [read_table_bulk(engine, PROBE_IN_ORDER), read_table_bulk(engine, empty_probe)]  # kept: they hold the buffers
assert [frame.height for frame in frames] == [int(sys.argv[2]), 0]
print(address_space() - before)
"""


@pytest.mark.skipif(not Path("/proc/self/statm").is_file(), reason="measures address space through /proc (Linux)")
def test_adbc_reads_reserve_memory_for_the_rows_not_for_a_huge_batch(sqlite_probe_engine: Engine) -> None:
    """The driver reserves address space for a whole batch, and the frame keeps the driver's buffers: a fixed
    2**31-row batch grew a process by hundreds of GB while the frames lived, and the publish step's os.fork()
    failed (ENOMEM). Measured in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-c", _ADDRESS_SPACE_SCRIPT, str(sqlite_probe_engine.url), str(LEADING_NULLS + 40)],
        cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, capture_output=True, text=True,
        timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) < 1024**3


@pytest.mark.usefixtures("fast_path_only")
def test_adbc_reads_through_a_read_only_engine_url(sqlite_probe_engine: Engine, sqlite_url: str) -> None:
    expected = _read_frame(sqlite_probe_engine, PROBE_IN_ORDER)
    read_only = make_engine(sqlite_url, read_only=True)  # sqlite:///file:/...?mode=ro&uri=true
    try:
        assert_frame_equal(read_table_bulk(read_only, PROBE_IN_ORDER), expected)
    finally:
        read_only.dispose()


def test_an_in_memory_database_is_read_through_the_engine() -> None:
    """No file to open: the reader must use the engine's own connection (and find the engine's tables)."""
    engine = create_engine("sqlite://", poolclass=StaticPool)
    try:
        _fill_probe(engine)
        with BulkReader(engine) as reader:
            assert_frame_equal(reader.read(PROBE_IN_ORDER), _read_frame(engine, PROBE_IN_ORDER))
    finally:
        engine.dispose()


# --- PostgreSQL: the ADBC path and the COPY path -------------------------------------------------------------------

READ_PATHS = [pytest.param("fast_path_only", id="adbc"), pytest.param("copy_path_only", id="copy")]


@pytest.fixture(params=READ_PATHS)
def pg_read_path(request: pytest.FixtureRequest) -> str:
    """Each test using it runs once through ADBC and once through COPY (the other path made to fail)."""
    request.getfixturevalue(request.param)
    return request.param


@pytest.mark.usefixtures("copy_path_only")
def test_copy_read_equals_read_frame(pg_url: str) -> None:
    """The COPY path (taken when the ADBC driver cannot connect) on the probe and on every linked table."""
    engine = make_engine(pg_url)
    try:
        _fill_probe(engine)
        linked_metadata.create_all(engine)
        with engine.begin() as connection:
            for table in LINKED_TABLES_IN_LOAD_ORDER:
                write_frame(connection, table, LINKED_FRAMES[table.name])
        statements = [PROBE_IN_ORDER, select(empty_probe)] + [
            select(table).order_by(*table.primary_key.columns) for table in LINKED_TABLES_IN_LOAD_ORDER]
        expected = [_read_frame(engine, statement) for statement in statements]
        with BulkReader(engine) as reader:
            for statement, frame in zip(statements, expected, strict=True):
                assert_frame_equal(reader.read(statement), frame)
    finally:
        engine.dispose()


@pytest.mark.usefixtures("fast_path_only")
def test_adbc_reads_with_the_engine_connection_settings_in_one_read_only_snapshot(pg_url: str) -> None:
    """The driver connects with what psycopg connected with (here a DateStyle option in the URL) and reads inside
    a REPEATABLE READ, READ ONLY transaction."""
    engine = make_engine(f"{pg_url}?options=-c%20DateStyle%3DSQL%2CDMY")
    settings = select(*(literal_column(f"current_setting('{name}')", String).label(name.replace(".", "_"))
                        for name in ("DateStyle", "transaction_isolation", "transaction_read_only")))
    try:
        with BulkReader(engine) as reader:
            assert reader.read(settings).row(0) == ("SQL, DMY", "repeatable read", "on")
    finally:
        engine.dispose()


def test_a_result_the_driver_types_otherwise_is_read_through_copy_in_the_same_snapshot(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Both connections read the snapshot of the moment the reader opened: a row committed after that is seen by
    neither the driver's reads nor COPY's. A column declared Float that PostgreSQL sends as an integer is not the
    driver's declared type, so that read (and the rest) goes through COPY on the engine connection, which holds
    the snapshot the driver imported. Only the error's type is logged, never a value."""
    engine = make_engine(pg_url)
    try:
        _fill_probe(engine)
        as_float = select(type_coerce(probe.c.row_id, Float).label("row_id"), probe.c.label).order_by(probe.c.row_id)
        expected = _read_frame(engine, as_float)
        copy_reads = []
        copy = bulk._read_postgresql_copy

        def counted_copy(connection, sql, schema):
            copy_reads.append(sql)
            return copy(connection, sql, schema)

        monkeypatch.setattr(bulk, "_read_postgresql_copy", counted_copy)
        with caplog.at_level(logging.WARNING, logger="data_access.bulk"), BulkReader(engine) as reader:
            _insert_late_row(engine)
            assert reader.read(probe).height == LEADING_NULLS + 40
            assert copy_reads == []
            frame = reader.read(as_float)
        assert len(copy_reads) == 1
        assert frame.schema["row_id"] == pl.Float64
        assert_frame_equal(frame, expected)  # read before the late row was committed: it is not there
        assert len(caplog.records) == 1 and "through COPY" in caplog.text
        assert not any(value in caplog.text for value in ("Siân", "Nick", "plain", "late"))
    finally:
        engine.dispose()


def test_copy_read_of_a_percent_operator(pg_url: str, pg_read_path: str) -> None:
    """SQLAlchemy doubles '%' for psycopg's placeholders; COPY without parameters must get a single '%'."""
    engine = make_engine(pg_url)
    try:
        _fill_probe(engine)
        divisor = probe.c.score - probe.c.row_id  # never 0: no division error, and no bound parameter
        statement = select(probe.c.row_id, (probe.c.row_id % divisor).label("remainder")).order_by(probe.c.row_id)
        frame = read_table_bulk(engine, statement)
        rows = [LEADING_NULLS + k for k in range(40)]
        assert frame.tail(40)["remainder"].to_list() == [
            None if k % 3 == 0 else row % abs((k - 20) - row) for k, row in enumerate(rows)
        ]
        assert frame.schema["remainder"] == pl.Int64
    finally:
        engine.dispose()


def test_pg_reads_give_iso_dates_whatever_the_session_datestyle(pg_url: str, pg_read_path: str) -> None:
    engine = make_engine(pg_url)
    expected = None
    try:
        _fill_probe(engine)
        expected = _read_frame(engine, PROBE_IN_ORDER)
    finally:
        engine.dispose()
    dmy = make_engine(f"{pg_url}?options=-c%20DateStyle%3DSQL%2CDMY")
    try:
        with dmy.connect() as connection:
            assert connection.execute(text("SHOW DateStyle")).scalar_one() == "SQL, DMY"
        assert_frame_equal(read_table_bulk(dmy, PROBE_IN_ORDER), expected)
    finally:
        dmy.dispose()
