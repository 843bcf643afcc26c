"""Integration on a small synthetic Dorset (the lead's true cells): protection, then the outside audit, must pass.

Slow (the full query space is about 86,000 count cells even for 300 families), so marked slow.
"""

from __future__ import annotations

import polars as pl
import pytest

from data_access.config import load_disclosure_policy
from data_access.linked_reads import linked_data_from_frames
from metrics.audit import assert_safe
from metrics.disclosure import CONFIDENTIAL, protect_publication_report
from metrics.true_cells import PERCENT_SPECS
from synthetic.world import generate_world
from tests.shipped_config import KNOWLEDGE, shipped_true_cells


@pytest.mark.slow
def test_small_synthetic_dorset_is_protected_and_passes_the_audit() -> None:
    world = generate_world(300, 11)
    cells = shipped_true_cells(linked_data_from_frames({name: world[name] for name in world}))
    policy = load_disclosure_policy()
    result = protect_publication_report(cells, PERCENT_SPECS, policy, knowledge=KNOWLEDGE)
    published = result.published
    assert "true_value" not in published.columns
    counts = published.filter(pl.col("kind") == "count")
    assert counts.height == cells.height
    assert (counts["value"].drop_nulls() % policy.rounding_base == 0).all()
    assert counts.filter(pl.col("value").is_between(1, policy.threshold - 1)).height == 0
    keys = ["table", "measure", "locality", "period", "breakdown", "category", "statistic"]
    small = cells.filter(pl.col("true_value").is_between(1, 9)).join(counts, on=keys, how="left")
    assert small.height > 0 and (small["symbol"] == CONFIDENTIAL).all()
    report = assert_safe(published, policy, knowledge=KNOWLEDGE)
    assert report.cells["width"].min() >= policy.protection_level
    assert (result.summary["suppressed_secondary"] >= 0).all()
