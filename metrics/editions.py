"""Editions: what identifies one (digests), and which earlier editions a new one is protected and audited against.

Every edition a reader could hold is one the publish step must protect against (docs/disclosure.md, "Refreshes").
All kept editions count, with one reduction: editions with identical published rows are the same information, so
only the one with the latest data date is kept in the joint system (its frozen cells are a superset: a later data
date freezes more periods). The data access for the store is data_access.editions.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy import Engine

from data_access.config import METHOD_CONFIG_FILES, DisclosurePolicy
from data_access.editions import (
    PUBLISHED,
    EditionFacts,
    next_edition_id,
    policy_json,
    read_edition_rows,
    read_editions,
    record_edition,
)
from data_access.published_reads import read_previous_publication, read_publication_info
from data_access.published_schema import PUBLISHED_COLUMNS
from metrics.disclosure.refresh import EarlierEdition
from metrics.disclosure.revisions import PublicFacts, check_revisions, revisions_table


def stored_value(value: pl.Expr) -> pl.Expr:
    """A published value as the databases store it: NaN becomes empty and -0.0 becomes 0.0 (so a publication
    read back has the same digest as when it was written)."""
    return pl.when(value == 0.0).then(pl.lit(0.0)).otherwise(value.fill_nan(None))


def published_digest(published: pl.DataFrame) -> str:
    """SHA-256 of the published rows in their order, as the CSV export writes them (the edition's identity)."""
    rows = published.select(PUBLISHED_COLUMNS).with_columns(value=stored_value(pl.col("value")))
    return hashlib.sha256(rows.write_csv().encode()).hexdigest()


VOLATILE_INFO_KEYS = ("loaded_at",)
"""dataset_info keys that change on every load without changing any figure (left out of the input digest)."""


def input_digest(tables: Mapping[str, pl.DataFrame], *context: str) -> str:
    """SHA-256 of everything a publication is computed from: each table's schema and rows (in any order: the sorted
    hashes of its rows) and `context` (the method digest, the code and library versions). Equal digests mean the
    same inputs, so the edition made from them can be written again without being recomputed."""
    digest = hashlib.sha256()
    for part in context:
        digest.update(part.encode() + b"\0")
    for name in sorted(tables):
        frame = tables[name]
        if name == "dataset_info":
            frame = frame.filter(~pl.col("key").is_in(VOLATILE_INFO_KEYS))
        # Two 64-bit hashes per row (polars' row hash, stable within one polars version: the version is part of
        # the code digest), sorted together, so row order does not matter and a collision is out of reach. Sorted by
        # polars (in parallel): numpy's lexsort took 1.3 s of the 100,000-family publish, this 0.3 s, same order.
        hashes = pl.DataFrame({"first": frame.hash_rows(seed=0), "second": frame.hash_rows(seed=1)}).sort(
            "first", "second")
        digest.update(f"{name}\0{frame.schema}\0{frame.height}\0".encode())
        digest.update(hashes["first"].to_numpy().tobytes() + hashes["second"].to_numpy().tobytes())
    return digest.hexdigest()


def method_digest(policy: DisclosurePolicy, method_files: Sequence[tuple[str, bytes]]) -> str:
    """SHA-256 of the disclosure policy and the configuration files that define the figures: a different digest
    between two editions means their figures may differ by a change of method.

    method_files: (name, bytes) of each METHOD_CONFIG_FILES file, as PublishSettings.method_files holds them (read
    at the edge, not here); a file missing from it counts as empty."""
    contents = dict(method_files)
    digest = hashlib.sha256(policy_json(policy).encode())
    for name in METHOD_CONFIG_FILES:
        digest.update(name.encode() + b"\0" + contents.get(name, b"") + b"\0")
    return digest.hexdigest()


def edition_label(edition_id: int) -> str:
    """The table prefix of an earlier edition in a joint system (its rows' tables become "edition 3:families")."""
    return f"edition {edition_id}:"


@dataclass(frozen=True)
class KeptEdition:
    """An earlier edition as the publish step uses it: its facts and its rows (with true counts when kept)."""

    facts: EditionFacts
    rows: pl.DataFrame

    def as_earlier(self) -> EarlierEdition:
        return EarlierEdition(edition_label(self.facts.edition_id), self.rows, self.facts.data_as_of,
                              self.facts.policy)


def relevant_editions(kept: list[KeptEdition]) -> list[KeptEdition]:
    """Every kept edition a reader could hold, one per distinct content, oldest first.

    Two editions with the same published rows and the same true counts are the same information; of those only the
    one with the latest data date is kept (a later data date freezes more periods, so its links include the
    other's). Editions whose true counts differ are all kept, even with identical published rows: which frozen
    counts are linked depends on the true counts.
    """
    best: dict[tuple[str, str], KeptEdition] = {}
    for edition in kept:
        key = (edition.facts.digest, _truth_digest(edition.rows))
        held = best.get(key)
        if held is None or (edition.facts.data_as_of, edition.facts.edition_id) >= (held.facts.data_as_of,
                                                                                     held.facts.edition_id):
            best[key] = edition
    return sorted(best.values(), key=lambda edition: edition.facts.edition_id)


def _truth_digest(rows: pl.DataFrame) -> str:
    truth = rows["true_value"] if "true_value" in rows.columns else pl.Series([], dtype=pl.Int64)
    return hashlib.sha256(truth.cast(pl.String).fill_null("").str.join("\n").item().encode()).hexdigest()


def load_kept_editions(store: Engine) -> tuple[list[EditionFacts], list[KeptEdition]]:
    """(every kept edition's facts, the relevant ones with their rows), oldest first."""
    facts = read_editions(store)
    return facts, relevant_editions([KeptEdition(edition, read_edition_rows(store, edition.edition_id))
                                     for edition in facts])


def rows_with_truth(published: pl.DataFrame, cells: pl.DataFrame) -> pl.DataFrame:
    """The published rows with the true count beside each count row (what the store keeps; personal side)."""
    keys = ["table", "measure", "locality", "period", "breakdown", "category", "statistic"]
    truth = cells.select(*keys, kind=pl.lit("count"), true_value=pl.col("true_value").cast(pl.Int64)).unique(
        [*keys, "kind"], keep="first", maintain_order=True)
    return published.select(PUBLISHED_COLUMNS).join(truth, on=[*keys, "kind"], how="left", maintain_order="left")


def same_edition(latest: EditionFacts | None, digest: str, data_as_of: date, method: str) -> bool:
    """True when a new publication is the latest edition again (same rows, data date and method)."""
    return (latest is not None and latest.digest == digest and latest.data_as_of == data_as_of
            and latest.method_digest == method)


def edition_facts(edition: EditionFacts) -> dict[str, str]:
    """The public facts of an edition (publication_info): its number, digest and method digest, and when it was
    first published (a republication of unchanged data keeps the date, so it is the same edition byte for byte)."""
    return {"published_at": edition.published_at, "edition": str(edition.edition_id),
            "edition_digest": edition.digest, "method_digest": edition.method_digest}


def checked_revisions(previous_rows: pl.DataFrame, previous: EditionFacts, published: pl.DataFrame,
               current: EditionFacts) -> pl.DataFrame:
    """The "What changed" table, checked to be made of the two editions' published figures only."""
    before, after = (PublicFacts(edition.edition_id, edition.data_as_of, edition.method_digest)
                     for edition in (previous, current))
    table = revisions_table(previous_rows, before, published, after)
    check_revisions(table, previous_rows, before, published, after)
    return table


def revisions_of(store: Engine, all_facts: list[EditionFacts], edition: EditionFacts) -> pl.DataFrame | None:
    """The revisions an existing edition was published with (against the edition before it)."""
    earlier = [facts for facts in all_facts if facts.edition_id < edition.edition_id]
    if not earlier:
        return None
    previous = earlier[-1]
    return checked_revisions(read_edition_rows(store, previous.edition_id), previous,
                      read_edition_rows(store, edition.edition_id), edition)


def adopt_unknown_publication(store: Engine, published_engine: Engine, policy: DisclosurePolicy) -> None:
    """Keep the publication now in the published tables as an edition if the store does not know it (published
    before editions were kept, or from another store): a reader may hold it. Its true counts are unknown.
    policy: today's, for a publication whose facts do not say its own."""
    current = read_previous_publication(published_engine)
    if current is None:
        return
    rows, as_of = current
    digest = published_digest(rows)
    if any(edition.digest == digest for edition in read_editions(store)):
        return
    info = read_publication_info(published_engine)
    with contextlib.suppress(TypeError, ValueError):  # incomplete facts: read it under today's policy
        policy = DisclosurePolicy(**{name: (info[name] if name == "confidence_level" else int(info[name]))
                                     for name in ("threshold", "rounding_base", "percentage_min_each_side",
                                                  "protection_level", "confidence_level",
                                                  "class_disclosure_min_group") if name in info})
    facts = EditionFacts(next_edition_id(store), info.get("published_at", "unknown"), as_of, digest,
                         info.get("method_digest", "unknown"), policy, PUBLISHED)
    record_edition(store, facts, rows.with_columns(true_value=pl.lit(None, dtype=pl.Int64)))


__all__ = ["METHOD_CONFIG_FILES", "adopt_unknown_publication", "checked_revisions", "edition_facts", "revisions_of",
           "stored_value", "KeptEdition", "edition_label", "load_kept_editions", "method_digest",
           "published_digest", "relevant_editions", "rows_with_truth", "same_edition"]
