"""The demo's published figures are exactly those of the last intended change (issue #13: refactors keep them).

The session's demo (tests/conftest.py `demo_database`: seeded synthetic partner extracts -> linkage run -> publish,
built by scripts/build-demo.sh) is deterministic, and its published rows' SHA-256 (metrics.editions.published_digest,
the edition's identity: the rows as the CSV export writes them, nothing time-varying such as published_at) is
compared with the one stored in tests/metrics/published_digest.txt, with one digest per table so that a failure
says which tables moved. Only when a change to the figures is intended, update the stored digests with

    FAMILIES_UPDATE_PUBLISHED_DIGEST=1 .venv/bin/python -m pytest tests/metrics/test_published_digest.py -q

and say in the commit message why the figures changed.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from metrics.audit import read_published_db
from metrics.editions import published_digest
from tests.browser.harness import DEMO_SEED
from tests.conftest import BROWSER_DEMO_FAMILIES

pytestmark = pytest.mark.slow  # shares the session demo (built once, about a minute)

STORED = Path(__file__).with_name("published_digest.txt")
EVERYTHING = "*"


def digests(published: pl.DataFrame) -> dict[str, str]:
    """The whole publication's digest under "*", then each table's (its rows in publication order)."""
    tables = published.get_column("table").unique(maintain_order=True).to_list()
    return {EVERYTHING: published_digest(published)} | {
        table: published_digest(published.filter(pl.col("table") == table)) for table in sorted(tables)}


def render(found: dict[str, str]) -> str:
    header = (f"# SHA-256 of the demo's published rows ({BROWSER_DEMO_FAMILIES} families, seed {DEMO_SEED}); "
              "see tests/metrics/test_published_digest.py before changing.\n")
    return header + "".join(f"{digest}  {table}\n" for table, digest in found.items())


def parse(text: str) -> dict[str, str]:
    rows = (line.split(maxsplit=1) for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {table: digest for digest, table in rows}


def test_digest_of_a_frame_is_that_of_its_csv_rows():
    """The stored digest means "these rows, as exported": a change of any value or of the order changes it."""
    frame = pl.DataFrame({"table": ["a", "b"], "value": [1.0, 2.0]})
    widened = pl.concat([frame, pl.DataFrame({"table": ["b"], "value": [3.0]})])
    from metrics.disclosure.publication import PUBLISHED_COLUMNS

    def full(rows: pl.DataFrame) -> pl.DataFrame:
        return rows.with_columns(pl.lit(None, dtype=pl.String).alias(name) for name in PUBLISHED_COLUMNS
                                 if name not in rows.columns)

    before, after = digests(full(frame)), digests(full(widened))
    assert before["a"] == after["a"] and before["b"] != after["b"] and before[EVERYTHING] != after[EVERYTHING]
    assert parse(render(before)) == before


def test_the_demo_publication_is_unchanged(demo_database):
    found = digests(read_published_db(demo_database.published_url))
    if os.environ.get("FAMILIES_UPDATE_PUBLISHED_DIGEST") == "1":
        STORED.write_text(render(found), encoding="utf-8")
        pytest.skip(f"stored the demo's published digests in {STORED.name}: commit it with the reason")
    stored = parse(STORED.read_text(encoding="utf-8"))
    moved = sorted(table for table in stored.keys() | found.keys() if stored.get(table) != found.get(table))
    assert not moved, (
        f"the demo's published figures changed in: {', '.join(moved)}. If that is intended, update the digests "
        "(see this module's docstring); otherwise the change altered published output.")
