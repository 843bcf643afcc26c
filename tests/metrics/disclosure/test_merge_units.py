"""relations.merge_units: the same people in two editions made one unit. Checked against the system it replaces (the
two units tied by x_a = x_b): every count's range by fresh LPs (scipy linprog) must be the same."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy.optimize import linprog

from metrics.disclosure.relations import Structure, merge_units, with_relations


def two_way_relations(rows: int, columns: int, first_unit: int, first_relation: int) -> list[tuple[dict, float]]:
    """Interior cells, row totals, column totals and a grand total, numbered from first_unit: cells sum to totals."""
    cell = first_unit + np.arange(rows * columns).reshape(rows, columns)
    row_total = first_unit + rows * columns + np.arange(rows)
    column_total = row_total[-1] + 1 + np.arange(columns)
    grand = int(column_total[-1]) + 1
    relations = [({**{int(c): 1.0 for c in cell[r]}, int(row_total[r]): -1.0}, 0.0) for r in range(rows)]
    relations += [({**{int(c): 1.0 for c in cell[:, k]}, int(column_total[k]): -1.0}, 0.0) for k in range(columns)]
    relations.append(({**{int(t): 1.0 for t in row_total}, grand: -1.0}, 0.0))
    return relations


def structure_of(relations: list[tuple[dict, float]], n_units: int) -> Structure:
    terms = pl.DataFrame(
        [(index, unit, coef) for index, (coefs, _) in enumerate(relations) for unit, coef in coefs.items()],
        schema={"relation_id": pl.Int64, "unit_id": pl.Int64, "coef": pl.Float64}, orient="row")
    table = pl.DataFrame({"relation_id": np.arange(len(relations), dtype=np.int64), "kind": ["eq"] * len(relations),
                          "rhs": [rhs for _, rhs in relations], "origin": ["table"] * len(relations)})
    units = pl.DataFrame({"unit_id": np.arange(n_units, dtype=np.int64), "table": [f"u{i}" for i in range(n_units)],
                          "block": np.zeros(n_units, dtype=np.int64)})
    return Structure(np.arange(n_units, dtype=np.int64), units, terms, table)


def ranges(structure: Structure, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """(min, max) of every unit by two fresh LPs each."""
    n = structure.n_units
    a_eq = np.zeros((structure.relations.height, n))
    for relation, unit, coef in structure.terms.iter_rows():
        a_eq[relation, unit] += coef
    b_eq = structure.relations.sort("relation_id")["rhs"].to_numpy()
    bounds = [(lo, None if np.isinf(hi) else hi) for lo, hi in zip(low, high, strict=True)]
    result = np.zeros((n, 2))
    for unit in range(n):
        objective = np.zeros(n)
        objective[unit] = 1.0
        bottom = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        top = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        assert bottom.status == 0
        result[unit] = bottom.fun, (np.inf if top.status == 3 else -top.fun)
    return result


@pytest.mark.parametrize("seed", range(12))
def test_merged_units_have_the_ranges_of_the_linked_system(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows, columns = int(rng.integers(2, 4)), int(rng.integers(2, 4))
    size = rows * columns + rows + columns + 1
    relations = two_way_relations(rows, columns, 0, 0) + two_way_relations(rows, columns, size, 0)
    interior = rng.integers(0, 16, size=(rows, columns))
    one = np.concatenate([interior.ravel(), interior.sum(axis=1), interior.sum(axis=0), [interior.sum()]])
    changed = interior.copy()
    changed[0, 0] += int(rng.integers(0, 3))  # a late record may change one cell of the later edition
    two = np.concatenate([changed.ravel(), changed.sum(axis=1), changed.sum(axis=0), [changed.sum()]])
    truth = np.concatenate([one, two]).astype(np.float64)
    same = np.flatnonzero((one == two) & (rng.random(size) < 0.8))  # linked: the same people, unchanged
    pairs = np.column_stack([size + same, same])  # later edition's unit first, as the protection passes them
    hidden = ((truth >= 1) & (truth < 10)) | (rng.random(2 * size) < 0.3)  # small counts hidden, as published
    published = 5.0 * np.round(truth / 5.0)
    low = np.where(hidden, 0.0, np.maximum(published - 2.0, 0.0))
    high = np.where(hidden, np.inf, np.where(published == 0, 0.0, published + 2.0))
    structure = structure_of(relations, 2 * size)

    linked = with_relations(structure, np.repeat(np.arange(len(pairs)), 2), pairs.ravel(),
                            np.tile([1.0, -1.0], len(pairs)), "eq", np.zeros(len(pairs)), "refresh",
                            merge_blocks=True)
    merged_structure, merged = merge_units(structure, pairs)
    merged_low, merged_high = np.zeros(merged_structure.n_units), np.full(merged_structure.n_units, np.inf)
    np.maximum.at(merged_low, merged, low)
    np.minimum.at(merged_high, merged, high)

    assert merged_structure.n_units == 2 * size - len(same)
    assert (merged_structure.cell_unit == merged).all()
    np.testing.assert_allclose(ranges(merged_structure, merged_low, merged_high)[merged], ranges(linked, low, high),
                               atol=1e-6)
    # A relation of the later edition whose counts are all linked is a copy of the earlier one's, and is gone.
    linked_units = set((size + same).tolist())
    copies = sum(1 for coefs, _ in relations[len(relations) // 2:] if set(coefs) <= linked_units)
    assert merged_structure.relations.height == len(relations) - copies
    # Blocks: one block when anything is linked (the two tables are then tied), two when nothing is.
    assert merged_structure.units["block"].n_unique() == (1 if len(same) else 2)


def test_a_fully_linked_edition_leaves_one_copy_of_each_relation() -> None:
    relations = two_way_relations(2, 3, 0, 0) + two_way_relations(2, 3, 12, 0)
    structure = structure_of(relations, 24)
    merged_structure, merged = merge_units(structure, np.column_stack([np.arange(12, 24), np.arange(12)]))
    assert merged_structure.n_units == 12 and (merged[:12] == merged[12:]).all()
    assert merged_structure.relations.height == len(relations) // 2
    assert merged_structure.relations["relation_id"].to_list() == list(range(len(relations) // 2))
    assert merged_structure.units["table"].to_list() == [f"u{i}" for i in range(12)]  # the smallest member's keys
    # A relation tying two units that become one is true of any value, and goes.
    tie = structure_of([({0: 1.0, 1: -1.0}, 0.0), ({0: 1.0, 2: 1.0, 3: -1.0}, 0.0)], 4)
    tied, tied_merged = merge_units(tie, np.array([[1, 0]]))
    assert tied.relations.height == 1 and tied_merged.tolist() == [0, 0, 1, 2]
    assert sorted(tied.terms["unit_id"].to_list()) == [0, 1, 2]
