"""Editions: what identifies one (digests), and which earlier editions a new one is protected and audited against.

Every edition a reader could hold is one the publish step must protect against (docs/disclosure.md, "Refreshes").
All kept editions count, with one reduction: editions with identical published rows are the same information, so
only the one with the latest data date is kept in the joint system (its frozen cells are a superset: a later data
date freezes more periods). The data access for the store is data_access.editions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy import Engine

from data_access.config import CONFIG_DIR, DisclosurePolicy
from data_access.editions import EditionFacts, policy_json, read_edition_rows, read_editions
from data_access.published_schema import PUBLISHED_COLUMNS
from metrics.disclosure.refresh import EarlierEdition

# The configuration that decides which figures exist and what they count (not presentation: roles, privacy text).
METHOD_CONFIG_FILES = ("measures.toml", "breakdowns.toml", "localities.toml", "disclosure.toml")


def stored_value(value: pl.Expr) -> pl.Expr:
    """A published value as the databases store it: NaN becomes empty and -0.0 becomes 0.0 (so a publication
    read back has the same digest as when it was written)."""
    return pl.when(value == 0.0).then(pl.lit(0.0)).otherwise(value.fill_nan(None))


def published_digest(published: pl.DataFrame) -> str:
    """SHA-256 of the published rows in their order, as the CSV export writes them (the edition's identity)."""
    rows = published.select(PUBLISHED_COLUMNS).with_columns(value=stored_value(pl.col("value")))
    return hashlib.sha256(rows.write_csv().encode()).hexdigest()


def method_digest(policy: DisclosurePolicy) -> str:
    """SHA-256 of the disclosure policy and the configuration files that define the figures: a different digest
    between two editions means their figures may differ by a change of method."""
    digest = hashlib.sha256(policy_json(policy).encode())
    for name in METHOD_CONFIG_FILES:
        path = CONFIG_DIR / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"") + b"\0")
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


__all__ = ["METHOD_CONFIG_FILES", "stored_value", "KeptEdition", "edition_label", "load_kept_editions", "method_digest",
           "published_digest", "relevant_editions", "rows_with_truth", "same_edition"]
