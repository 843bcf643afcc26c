"""Private tables of the data's life cycle: the extract log, the lifecycle log and the erasure register.

They sit beside the linked and staging tables (never in the published schema, never read by the web tier) in
their own MetaData, with no foreign key to a linked table: load_linked_data drops and recreates the linked tables,
and the logs must outlive that. None of them holds a personal value:

- extract_log: one row per extract made (who, when, mode, rows per file, digests, where it was written);
  extract_person: which pseudonymous person_ids each extract included, so that an erasure or a correction can say
  which extracts (and so which recipients) held the person (UK GDPR Article 19), and delete copies still on disk.
- lifecycle_log: one row per retention run, erasure or correction: counts per record type, field names, never values.
- erasure_register: keyed hashes (HMAC-SHA256 with a council-held secret) of the normalised identifiers of people
  erased on request; the ingest sets aside any later record that matches one (linkage/erasure_register.py).
  erasure_register_key holds a keyed check value of that secret, so a wrong secret is refused, never used.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.exc import SQLAlchemyError

from data_access.db_errors import plain_message

lifecycle_metadata = MetaData()

extract_log = Table(
    "extract_log",
    lifecycle_metadata,
    Column("extract_id", Integer, primary_key=True, autoincrement=True),
    Column("extract", String(64), nullable=False, comment="Which extract, e.g. national-impact-study"),
    Column("created_at", DateTime, nullable=False, comment="UTC"),
    Column("operator", String(128), nullable=False, comment="Who ran it: --operator, else the OS user"),
    Column("mode", String(16), nullable=False, comment="identified or pseudonymised"),
    Column("encrypted", Boolean, nullable=False),
    Column("recipient", Text, comment="The recipient's public key(s) (age1...): public, not personal"),
    Column("token_key_id", String(16), comment="Pseudonymised mode: a check value of the recipient's token key"),
    Column("data_as_of", Date),
    Column("row_counts", Text, nullable=False, comment="JSON: rows per file"),
    Column("output_path", Text, nullable=False, comment="The file (or folder) written"),
    Column("output_sha256", String(64), nullable=False, comment="SHA-256 of the encrypted file, or of the manifest"),
    Column("manifest_sha256", String(64), nullable=False),
    Column("output_removed_at", DateTime, comment="When an erasure deleted the copy on disk (UTC)"),
    comment="One row per extract: who, when, rows, digests. No personal value.",
)

extract_person = Table(
    "extract_person",
    lifecycle_metadata,
    Column("extract_id", Integer, ForeignKey("extract_log.extract_id"), primary_key=True),
    Column("person_id", Integer, primary_key=True, autoincrement=False, comment="Pseudonymous; no foreign key"),
    comment="Which people each extract included (pseudonymous keys only).",
)

lifecycle_log = Table(
    "lifecycle_log",
    lifecycle_metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False, comment="UTC"),
    Column("event", String(16), nullable=False, comment="retention, erasure or correction"),
    Column("operator", String(128), nullable=False),
    Column("detail", Text, nullable=False, comment="JSON: counts per record type or table, field names; no value"),
    comment="Retention runs, erasures and corrections, with counts only.",
)

erasure_register = Table(
    "erasure_register",
    lifecycle_metadata,
    Column("key_hash", String(64), primary_key=True, comment="HMAC-SHA256 (council secret) of one match key"),
    Column("kind", String(16), nullable=False, comment="nhs_number, ni_number, upn, name_dob or name_postcode"),
    Column("erasure_id", Integer, nullable=False, comment="Which erasure (lifecycle_log.event_id; no foreign key: "
           "the register outlives the log)"),
    Column("erased_at", DateTime, nullable=False, comment="UTC"),
    comment="Keyed hashes of erased people's normalised identifiers: the ingest sets matching records aside.",
)

erasure_register_key = Table(
    "erasure_register_key",
    lifecycle_metadata,
    Column("check_value", String(64), primary_key=True, comment="HMAC-SHA256 of a fixed label with the secret"),
    Column("created_at", DateTime, nullable=False),
    comment="Which secret the register was made with (a check value, never the secret).",
)

LIFECYCLE_TABLES = (extract_log, extract_person, lifecycle_log, erasure_register, erasure_register_key)


class LifecycleStoreError(RuntimeError):
    """The database refused a lifecycle write or read; the message never quotes data."""


def ensure_lifecycle_tables(engine: Engine) -> None:
    """Create the lifecycle tables that are missing (idempotent)."""
    try:
        lifecycle_metadata.create_all(engine, checkfirst=True)
    except SQLAlchemyError as error:
        raise LifecycleStoreError(f"cannot create the lifecycle tables: {plain_message(error)}") from None
