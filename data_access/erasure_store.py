"""SQL of erasure and correction: the erasure register, and removing or correcting one person's rows everywhere.

The register (data_access/lifecycle_schema.py) holds keyed hashes only; the key lives outside the database
(linkage/erasure_register.py). Deletions go through data_access.cascade, so rows that refer to a deleted row go
with it, in the caller's one transaction. `scrub` then makes the database drop the deleted rows' bytes: SQLite is
VACUUMed and its write-ahead log truncated; PostgreSQL tables that lost rows are rewritten with VACUUM FULL (dead
row versions otherwise stay in the table's files until vacuumed). Nothing here returns or logs a value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import polars as pl
from sqlalchemy import Connection, Engine, delete, inspect, select, tuple_, update

from data_access.access_log import access_event
from data_access.bulk import read_frame, write_frame
from data_access.cascade import chunks, delete_keys, delete_with_dependants, reflect, table_named
from data_access.lifecycle_schema import erasure_register, erasure_register_key
from data_access.partner_schema import ingest_file, ingest_quarantine
from data_access.schema import person_identifier, record_link

REGISTER_SCHEMA = {"key_hash": pl.String, "kind": pl.String, "erasure_id": pl.Int64}


def read_register(engine: Engine) -> pl.DataFrame:
    """key_hash, kind, erasure_id of every registered key (empty when there is no register yet)."""
    if not inspect(engine).has_table(erasure_register.name):
        return pl.DataFrame(schema=REGISTER_SCHEMA)
    with engine.connect() as connection:
        return read_frame(connection, select(erasure_register.c.key_hash, erasure_register.c.kind,
                                             erasure_register.c.erasure_id))


def read_people(engine: Engine, columns: Iterable[str]) -> pl.DataFrame | None:
    """The given person_identifier columns of every linked person, to find the one a request names (None when
    there is no linked table)."""
    if not inspect(engine).has_table(person_identifier.name):
        return None
    with engine.connect() as connection:
        return read_frame(connection, select(*(person_identifier.c[name] for name in columns)))


def records_of_people(engine: Engine, person_ids: Iterable[int]) -> set[str]:
    """The partner record ids linked to these people (empty when there are no links)."""
    person_ids = list(person_ids)
    if not person_ids or not inspect(engine).has_table(record_link.name):
        return set()
    with engine.connect() as connection:
        return set(connection.execute(select(record_link.c.record_id).where(
            record_link.c.person_id.in_(person_ids))).scalars())


def read_quarantined_raw_rows(engine: Engine) -> pl.DataFrame | None:
    """file_id, row_number, raw_row, source of every quarantined row that kept its raw text (None when nothing has
    been ingested)."""
    if not inspect(engine).has_table(ingest_quarantine.name):
        return None
    with engine.connect() as connection:
        return read_frame(connection, select(ingest_quarantine.c.file_id, ingest_quarantine.c.row_number,
                                             ingest_quarantine.c.raw_row, ingest_file.c.source)
                          .join(ingest_file, ingest_file.c.file_id == ingest_quarantine.c.file_id)
                          .where(ingest_quarantine.c.raw_row.is_not(None)))


def read_check_value(engine: Engine) -> str | None:
    """The check value of the secret the register was made with (None before the first erasure)."""
    if not inspect(engine).has_table(erasure_register_key.name):
        return None
    with engine.connect() as connection:
        row = connection.execute(select(erasure_register_key.c.check_value)).first()
    return None if row is None else str(row[0])


def store_check_value(connection: Connection, check_value: str, when: datetime) -> None:
    if connection.execute(select(erasure_register_key.c.check_value)).first() is None:
        connection.execute(erasure_register_key.insert().values(check_value=check_value, created_at=when))


def add_to_register(connection: Connection, hashed: pl.DataFrame, erasure_id: int, when: datetime) -> int:
    """Register keyed hashes (key_hash, kind) not registered yet; returns how many were added."""
    known = set(read_frame(connection, select(erasure_register.c.key_hash)).get_column("key_hash").to_list())
    new = hashed.select("key_hash", "kind").unique("key_hash").filter(~pl.col("key_hash").is_in(list(known)))
    return write_frame(connection, erasure_register, new.with_columns(
        pl.lit(erasure_id, dtype=pl.Int64).alias("erasure_id"), pl.lit(when).alias("erased_at")))


def erase_rows(connection: Connection, *, person_ids: Iterable[int], staged_record_ids: Mapping[str, Iterable[str]],
               quarantine_rows: Iterable[tuple[int, int]], counts: dict[str, int]) -> None:
    """Delete people (with every row that refers to them), staged partner rows, quarantined rows, and review pairs,
    decisions and extract lineage that name them."""
    tables = reflect(connection)
    people = sorted(set(person_ids))
    person = table_named(tables, "person_identifier")
    if person is not None and people:
        delete_keys(connection, tables, person, person.c.person_id, people, counts)
    extract_person = table_named(tables, "extract_person")
    if extract_person is not None and people:
        delete_keys(connection, tables, extract_person, extract_person.c.person_id, people, counts)
    record_ids: set[str] = set()
    for table_name, ids in sorted(staged_record_ids.items()):
        staged = table_named(tables, table_name)
        ids = set(ids)
        record_ids |= ids
        if staged is not None and ids:
            delete_keys(connection, tables, staged, staged.c.record_id, ids, counts)
    link = table_named(tables, "record_link")
    if link is not None and record_ids:
        delete_keys(connection, tables, link, link.c.record_id, record_ids, counts)
    for name in ("linkage_decision", "linkage_review_pair"):
        table = table_named(tables, name)
        if table is None or not record_ids:
            continue
        for chunk in chunks(sorted(record_ids)):
            delete_with_dependants(connection, tables, table,
                                   table.c.record_id_l.in_(chunk) | table.c.record_id_r.in_(chunk), counts)
    quarantine = table_named(tables, "ingest_quarantine")
    rows = sorted(set(quarantine_rows))
    if quarantine is not None and rows:
        for chunk in chunks(rows):
            delete_with_dependants(connection, tables, quarantine,
                                   tuple_(quarantine.c.file_id, quarantine.c.row_number).in_(chunk), counts)


def correct_rows(connection: Connection, *, person_id: int, person_values: Mapping[str, object],
                 staged_values: Mapping[str, Mapping[str, tuple[Iterable[str], object]]], counts: dict[str, int]
                 ) -> None:
    """Set the corrected values on the person's linked row and on their staged partner rows.

    staged_values: staging table -> {column: (record ids, value in that column's form)}.
    """
    tables = reflect(connection)
    person = tables.tables["person_identifier"]
    if person_values:
        changed = connection.execute(update(person).where(person.c.person_id == person_id)
                                     .values(**person_values)).rowcount or 0
        counts[person.name] = counts.get(person.name, 0) + changed
    for table_name, columns in sorted(staged_values.items()):
        staged = table_named(tables, table_name)
        if staged is None:
            continue
        for column, (record_ids, value) in sorted(columns.items()):
            for chunk in chunks(sorted(set(record_ids))):
                changed = connection.execute(update(staged).where(staged.c.record_id.in_(chunk))
                                             .values({column: value})).rowcount or 0
                counts[table_name] = counts.get(table_name, 0) + changed


def scrub(engine: Engine, tables: Iterable[str]) -> None:
    """Make the database forget deleted or overwritten rows' bytes (SQLite: VACUUM; PostgreSQL: VACUUM FULL)."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()  # autocommit at the driver (data_access.engine): VACUUM needs it
        try:
            cursor = raw.driver_connection.cursor()
            cursor.execute("VACUUM")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.close()
        finally:
            raw.close()
        return
    if engine.dialect.name == "postgresql":
        preparer = engine.dialect.identifier_preparer
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for name in sorted(set(tables)):
                schema, _, table = name.rpartition(".")
                qualified = (f"{preparer.quote_schema(schema)}." if schema else "") + preparer.quote(table)
                connection.exec_driver_sql(f"VACUUM (FULL) {qualified}")


def access_events_naming(connection: Connection, values: Iterable[str]) -> list[int]:
    """event_ids of access-log rows whose `who` or `detail` contains any of `values` (lower case, as given)."""
    wanted = [value for value in values if value]
    found = []
    for event_id, who, detail in connection.execute(select(access_event.c.event_id, access_event.c.who,
                                                           access_event.c.detail)):
        text = f"{who}\n{detail or ''}".lower()
        if any(value in text for value in wanted):
            found.append(int(event_id))
    return found


def delete_access_events(connection: Connection, event_ids: Iterable[int]) -> int:
    removed = 0
    for chunk in chunks(sorted(set(event_ids))):
        removed += connection.execute(delete(access_event).where(access_event.c.event_id.in_(chunk))).rowcount or 0
    return removed
