"""metrics.editions: what identifies an edition, and which earlier editions a new one is protected against."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl

from data_access.config import DisclosurePolicy
from data_access.editions import EditionFacts
from data_access.published_schema import PUBLISHED_COLUMNS
from metrics.editions import KeptEdition, method_digest, published_digest, relevant_editions, rows_with_truth
from tests.shipped_config import SETTINGS

POLICY = DisclosurePolicy(threshold=10, rounding_base=5, percentage_min_each_side=10, protection_level=5,
                          confidence_level="95")


def rows(values: list[float | None], truths: list[int | None] | None = None) -> pl.DataFrame:
    n = len(values)
    frame = pl.DataFrame({name: [f"{name}{i}" for i in range(n)] for name in PUBLISHED_COLUMNS
                          if name not in ("value", "symbol")}).with_columns(
        value=pl.Series(values, dtype=pl.Float64), symbol=pl.lit(None, dtype=pl.String), kind=pl.lit("count"))
    frame = frame.select(PUBLISHED_COLUMNS)
    return frame if truths is None else frame.with_columns(true_value=pl.Series(truths, dtype=pl.Int64))


def kept(edition_id: int, as_of: date, published: pl.DataFrame) -> KeptEdition:
    facts = EditionFacts(edition_id, "then", as_of, published_digest(published), "m", POLICY)
    return KeptEdition(facts, published)


def test_the_digest_is_the_same_for_the_rows_as_a_database_stores_them() -> None:
    """NaN is stored as empty and -0.0 as 0.0, so a publication read back has the digest it was written with."""
    assert published_digest(rows([-0.0, float("nan"), 1.5])) == published_digest(rows([0.0, None, 1.5]))
    assert published_digest(rows([0.0, None, 1.5])) != published_digest(rows([0.0, None, 2.5]))
    assert published_digest(rows([1.0, 2.0])) != published_digest(rows([2.0, 1.0]))  # the order is part of it


def test_the_method_digest_follows_the_policy() -> None:
    files = SETTINGS.method_files
    assert method_digest(POLICY, files) == method_digest(replace(POLICY), files)
    assert method_digest(POLICY, files) != method_digest(replace(POLICY, rounding_base=10), files)


def test_identical_editions_count_once_and_different_truths_twice() -> None:
    same = rows([10.0, 20.0], [11, 19])
    editions = [kept(1, date(2025, 3, 31), same), kept(2, date(2025, 6, 30), same),
                kept(3, date(2025, 6, 30), rows([10.0, 20.0], [12, 19])),  # same figures, other true counts
                kept(4, date(2025, 9, 30), rows([15.0, 20.0], [14, 19]))]
    assert [edition.facts.edition_id for edition in relevant_editions(editions)] == [2, 3, 4]


def test_rows_with_truth_puts_each_true_count_beside_its_count_row() -> None:
    published = rows([10.0, None]).with_columns(kind=pl.Series(["count", "percent"]))
    cells = published.head(1).select(*PUBLISHED_COLUMNS[:7], true_value=pl.lit(12))
    assert rows_with_truth(published, cells)["true_value"].to_list() == [12, None]
