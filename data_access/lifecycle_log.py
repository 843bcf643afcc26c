"""Writes and reads of the extract log and the lifecycle log (data_access/lifecycle_schema.py): no personal value.

Who ran a command is the operating-system user unless `--operator NAME` says otherwise: the commands run on the
pipeline host, where there is no sign-in (docs/data-lifecycle.md).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, Engine, insert, inspect, select, update
from sqlalchemy.exc import SQLAlchemyError

from data_access.bulk import polars_schema, read_frame, write_frame
from data_access.db_errors import plain_message
from data_access.lifecycle_schema import (
    LifecycleStoreError,
    ensure_lifecycle_tables,
    extract_log,
    extract_person,
    lifecycle_log,
)


def utc_now() -> datetime:
    """Now in UTC, without a time zone (the lifecycle tables store UTC)."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def operator_name(given: str | None = None) -> str:
    """--operator NAME when given, else the operating-system user who runs the command."""
    if given and given.strip():
        return given.strip()[:128]
    try:
        return getpass.getuser()[:128]
    except (KeyError, OSError):
        return "unknown"


@dataclass(frozen=True)
class ExtractRecord:
    """What the extract log keeps about one extract (no personal value)."""

    extract: str
    created_at: datetime
    operator: str
    mode: str
    encrypted: bool
    recipient: str | None
    token_key_id: str | None
    data_as_of: date | None
    row_counts: Mapping[str, int]
    output_path: Path
    output_sha256: str
    manifest_sha256: str


def record_extract(engine: Engine, record: ExtractRecord, person_ids: Iterable[int]) -> int:
    """Log one extract and the people it included, in one transaction; returns its extract_id."""
    ensure_lifecycle_tables(engine)
    try:
        with engine.begin() as connection:
            extract_id = connection.execute(insert(extract_log).values(
                extract=record.extract, created_at=record.created_at, operator=record.operator, mode=record.mode,
                encrypted=record.encrypted, recipient=record.recipient, token_key_id=record.token_key_id,
                data_as_of=record.data_as_of, row_counts=json.dumps(dict(record.row_counts), sort_keys=True),
                output_path=str(record.output_path), output_sha256=record.output_sha256,
                manifest_sha256=record.manifest_sha256,
            ).returning(extract_log.c.extract_id)).scalar_one()
            people = pl.DataFrame({"person_id": sorted(set(person_ids))}, schema={"person_id": pl.Int64})
            write_frame(connection, extract_person, people.with_columns(
                pl.lit(extract_id, dtype=pl.Int64).alias("extract_id")))
    except SQLAlchemyError as error:
        raise LifecycleStoreError(f"the extract could not be logged: {plain_message(error)}") from None
    return int(extract_id)


def extracts_including(connection: Connection, person_ids: Iterable[int]) -> pl.DataFrame:
    """The logged extracts that included any of these people (extract_id, extract, created_at, recipient,
    output_path, output_removed_at)."""
    columns = (extract_log.c.extract_id, extract_log.c.extract, extract_log.c.created_at, extract_log.c.recipient,
               extract_log.c.encrypted, extract_log.c.output_path, extract_log.c.output_removed_at)
    schema = polars_schema(columns)
    ids = sorted(set(person_ids))
    if not ids or not inspect(connection).has_table(extract_person.name):
        return pl.DataFrame(schema=schema)
    statement = (select(*columns)
                 .where(extract_log.c.extract_id.in_(select(extract_person.c.extract_id)
                                                     .where(extract_person.c.person_id.in_(ids))))
                 .order_by(extract_log.c.extract_id))
    return pl.DataFrame(connection.execute(statement).all(), schema=schema, orient="row")


def mark_output_removed(connection: Connection, extract_ids: Iterable[int], when: datetime) -> None:
    ids = sorted(set(extract_ids))
    if ids:
        connection.execute(update(extract_log).where(extract_log.c.extract_id.in_(ids))
                           .values(output_removed_at=when))


def log_event(connection: Connection, event: str, operator: str, detail: Mapping[str, object],
              at: datetime | None = None) -> int:
    """One lifecycle_log row inside the caller's transaction; `detail` must hold counts and names only."""
    return int(connection.execute(insert(lifecycle_log).values(
        at=at or utc_now(), event=event, operator=operator,
        detail=json.dumps(detail, sort_keys=True, default=str)).returning(lifecycle_log.c.event_id)).scalar_one())


def update_event_detail(engine: Engine, event_id: int, detail: Mapping[str, object]) -> None:
    """Replace an event's detail (e.g. to add how the republish went, after the deletion committed)."""
    try:
        with engine.begin() as connection:
            connection.execute(update(lifecycle_log).where(lifecycle_log.c.event_id == event_id)
                               .values(detail=json.dumps(detail, sort_keys=True, default=str)))
    except SQLAlchemyError as error:
        raise LifecycleStoreError(f"the lifecycle log could not be updated: {plain_message(error)}") from None


def read_events(engine: Engine) -> pl.DataFrame:
    with engine.connect() as connection:
        return read_frame(connection, select(lifecycle_log).order_by(lifecycle_log.c.event_id))


def read_extract_log(engine: Engine) -> pl.DataFrame:
    with engine.connect() as connection:
        return read_frame(connection, select(extract_log).order_by(extract_log.c.extract_id))
