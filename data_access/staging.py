"""SQL for the partner-data stage: create the private tables, load one file atomically, read staged records back.

Each partner file is written in ONE transaction (its ingest_file row, its accepted rows and its quarantined
rows), so a run killed part-way leaves every file either wholly loaded or not at all, and the unique content
hash turns a second load of the same bytes into a no-op, even from two runs at once. Database errors are
re-raised as StagingError naming only the error class and SQLSTATE: a driver's message can quote a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import polars as pl
from sqlalchemy import Engine, Table, delete, insert, inspect, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from data_access.bulk import read_frame, read_table_bulk, write_frame
from data_access.partner_schema import (
    FIXED_TABLES,
    ingest_file,
    ingest_key_map,
    ingest_quarantine,
    linkage_decision,
    linkage_model,
    linkage_quality,
    linkage_review_pair,
    staging_metadata,
)


class StagingError(RuntimeError):
    """The database refused a staging write or read; the message never quotes data."""


class AlreadyLoaded(Exception):
    """A file with the same content hash was loaded before (possibly by another run at the same moment)."""


def _redacted(error: BaseException, doing: str) -> StagingError:
    original = getattr(error, "orig", None) or error
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    detail = f", SQLSTATE {state}" if state else ""
    return StagingError(f"The database refused {doing} ({type(original).__name__}{detail}).")


def ensure_staging_tables(engine: Engine, staged_tables: Sequence[Table]) -> None:
    """Create the private tables that are missing; refuse a staging table whose columns differ from the contract."""
    try:
        existing = inspect(engine)
        for table in [*FIXED_TABLES, *staged_tables]:
            if existing.has_table(table.name):
                stored = [column["name"] for column in existing.get_columns(table.name)]
                declared = [column.name for column in table.columns]
                if sorted(stored) != sorted(declared):
                    raise StagingError(
                        f"Table {table.name} was created from another version of the partner-extract contract "
                        f"(columns differ); migrate or rename it before loading.")
        staging_metadata.create_all(engine, tables=[*FIXED_TABLES, *staged_tables], checkfirst=True)
    except SQLAlchemyError as error:
        raise _redacted(error, "creating the staging tables") from error


def is_loaded(engine: Engine, content_sha256: str) -> bool:
    with engine.connect() as connection:
        found = connection.execute(select(ingest_file.c.file_id).where(
            ingest_file.c.content_sha256 == content_sha256)).first()
    return found is not None


def stage_file(engine: Engine, *, table: Table, file_name: str, source: str, content_sha256: str,
               extract_date: date | None, accepted: pl.DataFrame, quarantined: pl.DataFrame,
               record_id_prefix: str) -> int:
    """Write one file's rows in one transaction; returns its file_id. Raises AlreadyLoaded for a known hash.

    `accepted` has row_number plus the table's declared columns; record_id = prefix + zero-padded row number.
    `quarantined` has row_number, reason, column_name, raw_row.
    """
    try:
        with engine.begin() as connection:
            file_id = connection.execute(
                insert(ingest_file).values(
                    file_name=file_name[:255], source=source, content_sha256=content_sha256,
                    extract_date=extract_date, rows_read=accepted.height + quarantined.height,
                    rows_accepted=accepted.height, rows_quarantined=quarantined.height, loaded_at=datetime.now(),
                ).returning(ingest_file.c.file_id)
            ).scalar_one()
            staged = accepted.with_columns(
                pl.format("{}{}", pl.lit(record_id_prefix), pl.col("row_number").cast(pl.String).str.zfill(7))
                .alias("record_id"),
                pl.lit(file_id, dtype=pl.Int64).alias("file_id"),
            )
            write_frame(connection, table, staged)
            write_frame(connection, ingest_quarantine, quarantined.with_columns(
                pl.lit(file_id, dtype=pl.Int64).alias("file_id")))
            return int(file_id)
    except IntegrityError as error:
        if _is_duplicate_hash(engine, content_sha256):
            raise AlreadyLoaded(file_name) from error
        raise _redacted(error, f"file {file_name}") from error
    except SQLAlchemyError as error:
        raise _redacted(error, f"file {file_name}") from error


def _is_duplicate_hash(engine: Engine, content_sha256: str) -> bool:
    try:
        return is_loaded(engine, content_sha256)
    except SQLAlchemyError:
        return False


def loaded_files(engine: Engine) -> pl.DataFrame:
    with engine.connect() as connection:
        return read_frame(connection, select(ingest_file).order_by(ingest_file.c.file_id))


def read_staged(engine: Engine, table: Table) -> pl.DataFrame:
    """Every accepted row of one source, with the extract date of the file it came from (bulk read)."""
    statement = select(table, ingest_file.c.extract_date).join(
        ingest_file, ingest_file.c.file_id == table.c.file_id).order_by(table.c.record_id)
    return read_table_bulk(engine, statement)


# --- keys, model and review state -------------------------------------------------------------

def read_key_map(engine: Engine, kind: str) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(select(ingest_key_map.c.ref, ingest_key_map.c.key).where(
            ingest_key_map.c.kind == kind)).all()
    return {ref: int(key) for ref, key in rows}


def add_keys(engine: Engine, kind: str, new_keys: dict[str, int]) -> None:
    """Record newly assigned pseudonymous keys (family_id, episode_id) so the next run reuses them."""
    if not new_keys:
        return
    frame = pl.DataFrame({"kind": [kind] * len(new_keys), "ref": list(new_keys), "key": list(new_keys.values())},
                         schema={"kind": pl.String, "ref": pl.String, "key": pl.Int64})
    try:
        with engine.begin() as connection:
            write_frame(connection, ingest_key_map, frame)
    except SQLAlchemyError as error:
        raise _redacted(error, "recording family and episode keys") from error


def latest_model_json(engine: Engine) -> str | None:
    with engine.connect() as connection:
        row = connection.execute(select(linkage_model.c.model_json).order_by(linkage_model.c.model_id.desc())
                                 .limit(1)).first()
    return None if row is None else str(row[0])


def save_model_json(engine: Engine, model_json: str) -> None:
    if model_json == latest_model_json(engine):
        return
    with engine.begin() as connection:
        connection.execute(insert(linkage_model).values(created_at=datetime.now(), model_json=model_json))


def read_decisions(engine: Engine) -> pl.DataFrame:
    if not inspect(engine).has_table(linkage_decision.name):
        return pl.DataFrame(schema={"record_id_l": pl.String, "record_id_r": pl.String, "is_match": pl.Boolean})
    with engine.connect() as connection:
        frame = read_frame(connection, select(linkage_decision.c.record_id_l, linkage_decision.c.record_id_r,
                                              linkage_decision.c.is_match))
    return frame


def save_decisions(engine: Engine, decisions: pl.DataFrame) -> None:
    """Add or replace an analyst's decisions (record_id_l, record_id_r, is_match)."""
    decided = decisions.select("record_id_l", "record_id_r", "is_match").unique(
        ["record_id_l", "record_id_r"], keep="last").with_columns(pl.lit(datetime.now()).alias("decided_at"))
    with engine.begin() as connection:
        for left, right in decided.select("record_id_l", "record_id_r").iter_rows():
            connection.execute(delete(linkage_decision).where((linkage_decision.c.record_id_l == left)
                                                              & (linkage_decision.c.record_id_r == right)))
        write_frame(connection, linkage_decision, decided)


def read_review_pairs(engine: Engine) -> pl.DataFrame:
    """The review queue the latest run wrote: record_id_l, record_id_r, match_probability (empty before any run)."""
    if not inspect(engine).has_table(linkage_review_pair.name):
        return pl.DataFrame(schema={"record_id_l": pl.String, "record_id_r": pl.String,
                                    "match_probability": pl.Float64})
    with engine.connect() as connection:
        return read_frame(connection, select(linkage_review_pair.c.record_id_l, linkage_review_pair.c.record_id_r,
                                             linkage_review_pair.c.match_probability))


def replace_review_pairs(engine: Engine, pairs: pl.DataFrame) -> None:
    with engine.begin() as connection:
        connection.execute(delete(linkage_review_pair))
        write_frame(connection, linkage_review_pair, pairs.select("record_id_l", "record_id_r", "match_probability"))


LINKAGE_QUALITY_SCHEMA = {"breakdown": pl.String, "value": pl.String, "statistic": pl.String, "amount": pl.Float64}


def replace_linkage_quality(engine: Engine, quality: pl.DataFrame, built_from: str) -> None:
    """Store the latest run's linkage-quality figures (breakdown, value, statistic, amount), replacing the last."""
    frame = quality.select(list(LINKAGE_QUALITY_SCHEMA)).cast(LINKAGE_QUALITY_SCHEMA).with_columns(
        pl.lit(built_from).alias("built_from"))
    try:
        with engine.begin() as connection:
            connection.execute(delete(linkage_quality))
            write_frame(connection, linkage_quality, frame)
    except SQLAlchemyError as error:
        raise _redacted(error, "storing the linkage quality figures") from error


def read_linkage_quality(engine: Engine, built_from: str | None) -> pl.DataFrame | None:
    """The stored linkage-quality figures when they describe the linked tables built from `built_from` (their
    dataset_info.built_from); None when there are none (e.g. linked data loaded directly) or they are stale."""
    if not built_from or not inspect(engine).has_table(linkage_quality.name):
        return None
    with engine.connect() as connection:
        frame = read_frame(connection, select(linkage_quality).where(linkage_quality.c.built_from == built_from))
    return None if frame.is_empty() else frame.select(list(LINKAGE_QUALITY_SCHEMA))


def drop_partner_tables(engine: Engine) -> list[str]:
    """Drop every private table of the partner-data stage (staged records, ingest log, quarantine, keys, model,
    decisions, review queue, quality figures): for rebuilding a synthetic demo from scratch only (the caller checks
    that the data are synthetic). Returns the names dropped."""
    fixed = {table.name for table in FIXED_TABLES}
    names = [name for name in inspect(engine).get_table_names() if name.startswith("staged_") or name in fixed]
    names.sort(key=lambda name: name == ingest_file.name)  # last: the staged tables and quarantine refer to it
    try:
        with engine.begin() as connection:
            quote = connection.dialect.identifier_preparer.quote
            for name in names:
                connection.exec_driver_sql(f"DROP TABLE {quote(name)}")
    except SQLAlchemyError as error:
        raise _redacted(error, "dropping the partner-data tables") from error
    return names


