"""Witness certificates (metrics.disclosure.certificate): the protection's points, checked by the gate.

The gate must not trust them: a point counts only when it satisfies the gate's own system, so a forged certificate
cannot make an unsafe refresh pass. A genuine one proves the jointly protected cells without LPs, with the same
verdict as the gate's own search.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest
from scipy.sparse import csr_matrix

from metrics.audit import audit_editions
from metrics.disclosure import CONFIDENTIAL
from metrics.disclosure.attack import BlockProblem, Witnesses, checked_points
from metrics.disclosure.certificate import WitnessCertificate, candidate_points
from metrics.disclosure.history import History
from metrics.disclosure.publication import protect_publication_report
from metrics.disclosure.relations import KEY_COLUMNS
from tests.metrics.disclosure.test_refresh import (
    FIRST_AS_OF,
    KNOWLEDGE,
    POLICY,
    SECOND_AS_OF,
    attached_cells,
    edition,
    publish,
    random_year,
)


def test_kept_points_hold_every_units_smallest_and_largest_value() -> None:
    """Against plain witnesses (min and max only), over enough points that pruning runs several times."""
    rng = np.random.default_rng(5)
    kept, plain = Witnesses.empty(6, keep_points=True), Witnesses.empty(6)
    for _ in range(400):
        point = rng.integers(0, 1000, 6).astype(float)
        kept.absorb(point)
        plain.absorb(point)
    assert np.array_equal(kept.low, plain.low) and np.array_equal(kept.high, plain.high)
    assert len(kept.points) < 64 * 2  # pruned: only points still at some unit's extreme survive
    for unit in range(6):
        points = kept.certificate_points(np.array([unit]))
        assert points[:, unit].min() == plain.low[unit] and points[:, unit].max() == plain.high[unit]
        assert points.shape[0] <= 2


def test_without_kept_points_there_is_no_certificate() -> None:
    with pytest.raises(ValueError, match="keep_points"):
        Witnesses.empty(2).certificate_points(np.array([0]))


def small_system() -> BlockProblem:
    """x0 + x1 = x2 (a total), x0 <= x1, x2 in [20, 24] (a published figure), x0 and x1 hidden (>= 0)."""
    return BlockProblem(
        unit_ids=np.arange(3), a_eq=csr_matrix(np.array([[1.0, 1.0, -1.0]])), b_eq=np.zeros(1),
        a_ub=csr_matrix(np.array([[1.0, -1.0, 0.0]])), b_ub=np.zeros(1),
        lower=np.array([0.0, 0.0, 20.0]), upper=np.array([np.inf, np.inf, 24.0]), targets=np.array([0, 1]))


def test_checked_points_keep_exactly_the_points_of_the_system() -> None:
    candidates = np.array([
        [5.0, 17.0, 22.0],    # a point
        [0.0, 20.0, 20.0],    # a point, on two bounds
        [6.0, 17.0, 22.0],    # breaks the total
        [12.0, 10.0, 22.0],   # breaks the ordering
        [5.0, 20.0, 25.0],    # above the published figure's interval
        [-1.0, 21.0, 20.0],   # below zero
        [np.nan, 1.0, 1.0],   # no point
        [2.5, 19.5, 22.0],    # a point, but not whole numbers
    ])
    assert checked_points(small_system(), candidates).tolist() == candidates[[0, 1, 7]].tolist()
    assert checked_points(small_system(), candidates, integer=True).tolist() == candidates[[0, 1]].tolist()


def test_a_certificate_moves_between_systems_that_number_units_differently() -> None:
    """Cells keyed by their key columns; the receiving system numbers units in reverse and merges two cells into one
    unit. Values come back at the receiving positions; a point where the merged cells disagree is no point."""
    keys = pl.DataFrame({name: [f"{name}{i}" for i in range(4)] for name in KEY_COLUMNS})
    points = np.array([[1.0, 2.0, 3.0, 3.0], [4.0, 5.0, 6.0, 7.0]])  # units 0..3 of one block
    certificate = WitnessCertificate.from_blocks(keys, np.arange(4), [(np.arange(4), points)])
    receiving_cells = keys.reverse()  # cells 3, 2, 1, 0
    cell_unit = np.array([0, 0, 1, 2])  # cells 3 and 2 are one unit there
    found = certificate.values_by_block(receiving_cells, cell_unit, np.zeros(3, dtype=np.int64), np.arange(3))
    positions, values = found[0]
    candidates = candidate_points(3, positions, values, fill=None)
    assert np.array_equal(candidates[0], [3.0, 2.0, 1.0])
    assert np.isnan(candidates[1]).all()  # 7 and 6 for one unit


def test_a_unit_without_a_certified_cell_takes_the_fill() -> None:
    positions, values = np.array([0, 2]), np.array([[1.0, 9.0]])
    assert candidate_points(3, positions, values, fill=np.array([0.0, 5.0, 0.0])).tolist() == [[1.0, 5.0, 9.0]]
    assert np.isnan(candidate_points(3, positions, values, fill=None)[0, 1])


def refresh_world(seed: int):
    """A seeded two-edition world (as in test_refresh): the first edition, and the second's cells."""
    rng = np.random.default_rng(seed)
    frozen_year = random_year(rng)
    first_cells = attached_cells({"2023/24": frozen_year, "2024/25": random_year(rng)})
    first = edition(first_cells, publish(first_cells, POLICY), POLICY, FIRST_AS_OF, "edition 1:")
    second_cells = attached_cells({"2023/24": frozen_year, "2024/25": random_year(rng), "2025/26": random_year(rng)})
    return first, second_cells


def new_edition_rows(cells: pl.DataFrame, published: pl.DataFrame) -> pl.DataFrame:
    return published.join(cells.select(*KEY_COLUMNS, "true_value"), on=list(KEY_COLUMNS), how="left",
                          maintain_order="left")


@pytest.mark.parametrize("seed", range(4, 10))
def test_the_protections_certificate_proves_the_gates_cells_with_the_same_verdict(seed: int) -> None:
    first, second_cells = refresh_world(seed)
    report = protect_publication_report(second_cells, (), POLICY, knowledge=KNOWLEDGE,
                                        history=History((first,), date(2026, 7, 1)))
    certificate = report.protection.certificate
    assert certificate.points and certificate.cells.height > 0
    rows = new_edition_rows(second_cells, report.published)
    searched = audit_editions(rows, [first], POLICY, date(2026, 7, 1), knowledge=KNOWLEDGE)
    certified = audit_editions(rows, [first], POLICY, date(2026, 7, 1), knowledge=KNOWLEDGE, certificate=certificate)
    assert searched.ok and certified.ok
    assert certified.cells.height == searched.cells.height > 0
    assert certified.lp_solves < searched.lp_solves


def test_a_forged_certificate_does_not_make_an_unsafe_refresh_pass() -> None:
    """The planted case of test_refresh: the second edition published on its own pins L4 2023/24 between 6 and 7
    together with the first. Bound propagation proves that, and a certificate (here one claiming every cell anywhere
    from 0 to 1,000) never overrides a proof of narrowness. This passes even when the points go unchecked (tried):
    that the check drops forged points is test_forged_points_are_no_witnesses."""
    frozen_year = {"L1": 0, "L2": 0, "L3": 0, "L4": 6}
    first_cells = attached_cells({"2023/24": frozen_year, "2024/25": {**frozen_year, "L4": 10}})
    first = edition(first_cells, publish(first_cells, POLICY), POLICY, FIRST_AS_OF, "edition 1:")
    second_cells = attached_cells({"2023/24": frozen_year, "2024/25": {**frozen_year, "L4": 12}})
    alone = publish(second_cells, POLICY)
    keys = pl.concat([second_cells.select(KEY_COLUMNS), first.rows.filter(pl.col("kind") == "count").select(
        KEY_COLUMNS).with_columns(table="edition 1:" + pl.col("table"))])
    extremes = np.vstack([np.zeros(keys.height), np.full(keys.height, 1000.0)])
    forged = WitnessCertificate.from_blocks(keys, np.arange(keys.height), [(np.arange(keys.height), extremes)])
    rows = new_edition_rows(second_cells, alone)
    report = audit_editions(rows, [first], POLICY, SECOND_AS_OF, knowledge=KNOWLEDGE, certificate=forged)
    assert not report.ok
    assert ("edition 1:families", "L4", "2023/24") in set(
        report.unsafe.select("table", "locality", "period").iter_rows())
    assert alone.filter(pl.col("locality") == "L4", pl.col("period") == "2023/24")["symbol"].item() == CONFIDENTIAL


def test_forged_points_are_no_witnesses() -> None:
    """A jointly protected refresh, and a certificate claiming every cell at 0 and at 1,000. Trusted, those points
    would be reported as the ends of every hidden cell's interval; checked, they fail the published totals (all
    far below 1,000), so every interval reported stays inside what the gate proved itself."""
    first, second_cells = refresh_world(6)
    report = protect_publication_report(second_cells, (), POLICY, knowledge=KNOWLEDGE,
                                        history=History((first,), date(2026, 7, 1)))
    rows = new_edition_rows(second_cells, report.published)
    keys = pl.concat([rows.filter(pl.col("kind") == "count").select(KEY_COLUMNS),
                      first.rows.filter(pl.col("kind") == "count").select(KEY_COLUMNS).with_columns(
                          table="edition 1:" + pl.col("table"))])
    extremes = np.vstack([np.zeros(keys.height), np.full(keys.height, 1000.0)])
    forged = WitnessCertificate.from_blocks(keys, np.arange(keys.height), [(np.arange(keys.height), extremes)])
    certified = audit_editions(rows, [first], POLICY, date(2026, 7, 1), knowledge=KNOWLEDGE, certificate=forged)
    assert certified.ok and certified.cells.height > 0
    assert rows.filter(pl.col("kind") == "count")["value"].max() < 500
    assert certified.cells["upper"].max() < 500
