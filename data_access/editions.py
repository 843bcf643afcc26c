"""The edition store: every publication ever written, kept on the PRIVATE side for the publish step.

A reader may keep every edition of the dashboard and compare them, so each new edition is protected and audited
together with all earlier ones (docs/disclosure.md, "Refreshes"). For that the publish step needs, for each earlier
edition, what a reader has (its published rows and facts) and what only the pipeline may know (the true count
behind each published count). True counts are personal-side data, like the linked tables: these tables live in the
linked database (its default schema on PostgreSQL, the linked file on SQLite), never in the published schema or file
the web tier reads. The loader replaces only the linked tables (data_access.schema), so editions survive a reload.

    edition       one row per edition: id, when it was published, its data date, the SHA-256 digest of its
                  published rows, the disclosure policy (JSON) and method digest it was made with, its state
                  ("pending" while its published tables are being written, "published" once they are)
    edition_row   the edition's published rows (the tidy long format) and, for count rows, the true count
    edition_input the digest of the inputs an edition was computed from (linked data, method, code), so that a
                  publish of unchanged inputs can write the edition again without recomputing it
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date

import polars as pl
from sqlalchemy import Column, Date, Engine, ForeignKey, Integer, MetaData, String, Table, delete, func, select, update

from data_access.bulk import read_frame, write_frame
from data_access.config import DisclosurePolicy
from data_access.published_schema import PUBLISHED_COLUMNS, published_statistic

edition_metadata = MetaData()

PENDING, PUBLISHED = "pending", "published"

edition = Table(
    "edition",
    edition_metadata,
    Column("edition_id", Integer, primary_key=True, autoincrement=False),
    Column("published_at", String(32), nullable=False),
    Column("data_as_of", Date, nullable=False),
    Column("digest", String(64), nullable=False, comment="SHA-256 of the published rows (metrics.editions)"),
    Column("method_digest", String(64), nullable=False, comment="SHA-256 of the policy and the figures' config"),
    Column("policy", String(2000), nullable=False, comment="the disclosure policy, JSON"),
    Column("state", String(16), nullable=False),
    Column("row_count", Integer, nullable=False),
    comment="Every edition of the published tables (private: the publish step's memory).",
)

edition_row = Table(
    "edition_row",
    edition_metadata,
    Column("edition_id", Integer, ForeignKey("edition.edition_id", ondelete="CASCADE"), primary_key=True),
    Column("row_id", Integer, primary_key=True, autoincrement=False),
    *(Column(name, published_statistic.c[name].type, nullable=published_statistic.c[name].nullable)
      for name in PUBLISHED_COLUMNS),  # the published declaration is the one source of types and lengths
    Column("true_value", Integer, comment="count rows: the TRUE count behind the published figure (personal side)"),
    comment="Each edition's published rows and true counts (private: never in the published tier).",
)

EDITION_ROW_COLUMNS = (*PUBLISHED_COLUMNS, "true_value")

edition_input = Table(
    "edition_input",
    edition_metadata,
    Column("edition_id", Integer, ForeignKey("edition.edition_id", ondelete="CASCADE"), primary_key=True),
    Column("input_digest", String(64), nullable=False,
           comment="SHA-256 of the linked data, method and code the edition was computed from (metrics.editions)"),
    comment="What each edition was computed from (private: a digest of personal data).",
)


@dataclass(frozen=True)
class EditionFacts:
    """What is kept about an edition besides its rows."""

    edition_id: int
    published_at: str
    data_as_of: date
    digest: str
    method_digest: str
    policy: DisclosurePolicy
    state: str = PENDING
    row_count: int = 0


def policy_json(policy: DisclosurePolicy) -> str:
    return json.dumps(asdict(policy), sort_keys=True)


def policy_from_json(text: str) -> DisclosurePolicy:
    return DisclosurePolicy(**json.loads(text))


def ensure_edition_store(engine: Engine) -> None:
    """Create the store's tables if they are missing (the first publish)."""
    edition_metadata.create_all(engine, checkfirst=True)


def read_editions(engine: Engine) -> list[EditionFacts]:
    """Every kept edition, oldest first ([] before the first publish)."""
    ensure_edition_store(engine)
    with engine.connect() as connection:
        rows = read_frame(connection, select(edition).order_by(edition.c.edition_id))
    return [EditionFacts(row["edition_id"], row["published_at"], row["data_as_of"], row["digest"],
                         row["method_digest"], policy_from_json(row["policy"]), row["state"], row["row_count"])
            for row in rows.iter_rows(named=True)]


def read_edition_rows(engine: Engine, edition_id: int) -> pl.DataFrame:
    """An edition's rows in their published order: the published columns and true_value (count rows)."""
    columns = [edition_row.c[name] for name in EDITION_ROW_COLUMNS]
    statement = select(*columns).where(edition_row.c.edition_id == edition_id).order_by(edition_row.c.row_id)
    with engine.connect() as connection:
        return read_frame(connection, statement)


def record_edition(engine: Engine, facts: EditionFacts, rows: pl.DataFrame) -> None:
    """Keep an edition (facts and rows with true_value) in one transaction, before its tables are published.

    Recording first means a reader can never hold an edition the store does not know: if publishing then fails
    the edition stays "pending" (delete_edition removes it on a clean failure; after a kill it is kept and counted
    as one a reader could hold, which only ever adds protection).
    """
    ensure_edition_store(engine)
    frame = rows.select(EDITION_ROW_COLUMNS).with_row_index("row_id").with_columns(
        pl.col("row_id").cast(pl.Int64), edition_id=pl.lit(facts.edition_id, dtype=pl.Int64))
    with engine.begin() as connection:
        connection.execute(edition.insert().values(
            edition_id=facts.edition_id, published_at=facts.published_at, data_as_of=facts.data_as_of,
            digest=facts.digest, method_digest=facts.method_digest, policy=policy_json(facts.policy),
            state=facts.state, row_count=frame.height))
        write_frame(connection, edition_row, frame)


def next_edition_id(engine: Engine) -> int:
    ensure_edition_store(engine)
    with engine.connect() as connection:
        latest = connection.execute(select(func.max(edition.c.edition_id))).scalar_one()
    return 1 if latest is None else int(latest) + 1


def mark_published(engine: Engine, edition_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(update(edition).where(edition.c.edition_id == edition_id).values(state=PUBLISHED))


def read_input_digest(engine: Engine, edition_id: int) -> str | None:
    """The digest of the inputs the edition was computed from; None if not recorded (editions made before it was)."""
    ensure_edition_store(engine)
    with engine.connect() as connection:
        return connection.execute(select(edition_input.c.input_digest).where(
            edition_input.c.edition_id == edition_id)).scalar_one_or_none()


def record_input_digest(engine: Engine, edition_id: int, digest: str) -> None:
    """Keep (or replace) the digest of the inputs an edition was computed from."""
    ensure_edition_store(engine)
    with engine.begin() as connection:
        connection.execute(delete(edition_input).where(edition_input.c.edition_id == edition_id))
        connection.execute(edition_input.insert().values(edition_id=edition_id, input_digest=digest))


def delete_edition(engine: Engine, edition_id: int) -> None:
    """Forget an edition whose publication failed cleanly (its tables were never written)."""
    with engine.begin() as connection:
        connection.execute(delete(edition_input).where(edition_input.c.edition_id == edition_id))
        connection.execute(delete(edition_row).where(edition_row.c.edition_id == edition_id))
        connection.execute(delete(edition).where(edition.c.edition_id == edition_id))


__all__ = ["EDITION_ROW_COLUMNS", "PENDING", "PUBLISHED", "EditionFacts", "delete_edition", "edition",
           "edition_input", "edition_metadata", "edition_row", "ensure_edition_store", "mark_published",
           "next_edition_id", "policy_from_json", "policy_json", "read_edition_rows", "read_editions",
           "read_input_digest", "record_edition", "record_input_digest"]
