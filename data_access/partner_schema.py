"""Private tables of the partner-data stage: staged partner records, the ingest log, quarantine and linkage state.

They hold personal data as received, so they live beside the linked tables (never in the published schema,
never read by the web tier) but in their own MetaData: load_linked_data drops and recreates only the linked
tables, and must never touch what the ingest has accumulated. One staging table per partner source is
declared from the partner-extract contract (config/partners.toml, read by linkage/contract.py), which passes
plain column specs in here, so data_access does not depend on linkage/.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

staging_metadata = MetaData()

ingest_file = Table(
    "ingest_file",
    staging_metadata,
    Column("file_id", Integer, primary_key=True, autoincrement=True),
    Column("file_name", String(255), nullable=False),
    Column("source", String(64), nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("extract_date", Date, comment="From the file name (YYYY-MM-DD or YYYYMMDD), else the day it was loaded"),
    Column("rows_read", Integer, nullable=False),
    Column("rows_accepted", Integer, nullable=False),
    Column("rows_quarantined", Integer, nullable=False),
    Column("loaded_at", DateTime, nullable=False),
    UniqueConstraint("content_sha256", name="uq_ingest_file_content"),
    comment="One row per partner file loaded; its content hash makes a second load of the same bytes a no-op.",
)

ingest_quarantine = Table(
    "ingest_quarantine",
    staging_metadata,
    Column("file_id", Integer, ForeignKey("ingest_file.file_id"), primary_key=True),
    Column("row_number", Integer, primary_key=True, autoincrement=False, comment="Data row, counting from 1"),
    Column("reason", String(32), nullable=False),
    Column("column_name", String(64), comment="The column that broke the contract, when one did"),
    Column("raw_row", Text, comment="The row as received (JSON list of its fields): personal data, never logged"),
    comment="Rows that broke the partner-extract contract, kept whole so nothing is lost.",
)

ingest_key_map = Table(
    "ingest_key_map",
    staging_metadata,
    Column("kind", String(16), primary_key=True),
    Column("ref", String(64), primary_key=True),
    Column("key", Integer, nullable=False),
    UniqueConstraint("kind", "key", name="uq_ingest_key_map_key"),
    comment="The case system's family and episode references -> the pseudonymous ids of the linked tables.",
)

linkage_model = Table(
    "linkage_model",
    staging_metadata,
    Column("model_id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime, nullable=False),
    Column("model_json", Text, nullable=False),
    comment="Trained person-linkage parameters (Splink settings JSON); the newest is reused on the next run.",
)

linkage_decision = Table(
    "linkage_decision",
    staging_metadata,
    Column("record_id_l", String(64), primary_key=True),
    Column("record_id_r", String(64), primary_key=True),
    Column("is_match", Boolean, nullable=False),
    Column("decided_at", DateTime, nullable=False),
    comment="An analyst's review decisions; applied on every later run.",
)

linkage_review_pair = Table(
    "linkage_review_pair",
    staging_metadata,
    Column("record_id_l", String(64), primary_key=True),
    Column("record_id_r", String(64), primary_key=True),
    Column("match_probability", Float, nullable=False),
    comment="Pairs in the review band from the latest run (replaced every run).",
)

linkage_quality = Table(
    "linkage_quality",
    staging_metadata,
    Column("built_from", String(32), nullable=False,
           comment="dataset_info.built_from of the linked tables these figures describe (stale when they differ)"),
    Column("breakdown", String(32), nullable=False, comment="none, source, sex, age or ethnic_group"),
    Column("value", String(200), nullable=False,
           comment="the source's title, sex code, age in whole years, ethnic group as recorded; empty: not known"),
    Column("statistic", String(64), nullable=False),
    Column("amount", Float, nullable=False, comment="TRUE counts (and model estimates): private until published"),
    comment="Linkage quality of the latest run, before disclosure control: counts of records per breakdown value, "
            "review-queue size, model estimates. Written by linkage run, read by the publish step.",
)

STAGED_KEY_COLUMNS = ("record_id", "file_id", "row_number")
SQL_TYPES = {"text": String, "date": Date, "integer": Integer, "decimal": Float}


@dataclass(frozen=True)
class StagingColumn:
    """A declared partner column: its name, storage type (text, date, integer, decimal) and text length."""

    name: str
    sql_type: str
    length: int | None = None


def staging_table_name(source_id: str) -> str:
    return f"staged_{source_id}"


def staging_table(source_id: str, columns: Sequence[StagingColumn]) -> Table:
    """The staging table of one source: record_id, file_id, row_number, then the declared columns.

    Declared once per process in staging_metadata; asking again with different columns is an error, because
    the same name cannot mean two tables.
    """
    name = staging_table_name(source_id)
    wanted = [*STAGED_KEY_COLUMNS, *(column.name for column in columns)]
    existing = staging_metadata.tables.get(name)
    if existing is not None:
        if [column.name for column in existing.columns] != wanted:
            raise ValueError(f"Staging table {name} is already declared with other columns.")
        return existing
    declared = []
    for column in columns:
        if column.sql_type not in SQL_TYPES:
            raise ValueError(f"Staging column {column.name}: unknown type {column.sql_type!r}.")
        sql_type = String(column.length) if column.sql_type == "text" else SQL_TYPES[column.sql_type]()
        declared.append(Column(column.name, sql_type))
    return Table(
        name,
        staging_metadata,
        Column("record_id", String(64), primary_key=True, comment="source:file-hash-prefix:row, unique everywhere"),
        Column("file_id", Integer, ForeignKey("ingest_file.file_id"), nullable=False, index=True),
        Column("row_number", Integer, nullable=False),
        *declared,
        comment=f"Accepted rows of partner source {source_id}, as received (dates and numbers parsed).",
    )


FIXED_TABLES = (ingest_file, ingest_quarantine, ingest_key_map, linkage_model, linkage_decision, linkage_review_pair,
                linkage_quality)
