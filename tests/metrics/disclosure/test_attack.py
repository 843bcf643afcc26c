"""The attacker's intervals against plain LPs: every shortcut of attack_block (witnesses, bound propagation, skipped
LPs, pushes only where a cell can still move) must give what a fresh min and max LP per cell gives."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from metrics.disclosure.attack import EXACT, PROVEN_NARROW, PROVEN_WIDE, BlockProblem, attack_block

LEVEL = 5.0


def two_way_table(seed: int) -> tuple[BlockProblem, np.ndarray]:
    """A rows x columns table with its margins and grand total, as a reader sees it: published cells within their
    rounding interval (nearest 5, so true +-2), small cells and a few others suppressed. Returns the problem and
    the true values. Sums of a two-way table are totally unimodular, so the LP bounds are whole numbers."""
    rng = np.random.default_rng(seed)
    rows, columns = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    interior = rng.integers(0, 16, size=(rows, columns))
    values = np.concatenate([interior.ravel(), interior.sum(axis=1), interior.sum(axis=0), [interior.sum()]])
    n = values.size
    cell = np.arange(rows * columns).reshape(rows, columns)
    row_total, column_total, grand = rows * columns + np.arange(rows), rows * columns + rows + np.arange(columns), n - 1
    equations = [dict([(int(c), 1.0) for c in cell[r]] + [(int(row_total[r]), -1.0)]) for r in range(rows)]
    equations += [dict([(int(c), 1.0) for c in cell[:, k]] + [(int(column_total[k]), -1.0)]) for k in range(columns)]
    equations.append(dict([(int(t), 1.0) for t in row_total] + [(int(grand), -1.0)]))
    a_eq = csr_matrix([[eq.get(j, 0.0) for j in range(n)] for eq in equations])
    hidden = ((values >= 1) & (values < 10)) | (rng.random(n) < 0.25)
    published = 5.0 * np.round(values / 5.0)
    lower = np.where(hidden, 0.0, np.maximum(published - 2.0, 0.0))
    upper = np.where(hidden, np.inf, np.where(published == 0, 0.0, published + 2.0))
    problem = BlockProblem(np.arange(n), a_eq, np.zeros(len(equations)), csr_matrix((0, n)), np.zeros(0), lower,
                           upper, np.flatnonzero(hidden))
    return problem, values.astype(np.float64)


def plain_interval(problem: BlockProblem, unit: int) -> tuple[float, float]:
    """min and max of one cell by two fresh LPs (no warm start, no witnesses)."""
    bounds = list(zip(problem.lower, [None if np.isinf(u) else u for u in problem.upper], strict=True))
    objective = np.zeros(problem.n)
    objective[unit] = 1.0
    low = linprog(objective, A_eq=problem.a_eq.toarray(), b_eq=problem.b_eq, bounds=bounds, method="highs")
    high = linprog(-objective, A_eq=problem.a_eq.toarray(), b_eq=problem.b_eq, bounds=bounds, method="highs")
    assert low.status == 0
    top = np.inf if high.status == 3 else -high.fun
    return float(np.ceil(low.fun - 1e-6)), float(np.floor(top + 1e-6))


@pytest.mark.parametrize("seed", range(40))
def test_exact_intervals_are_the_plain_lps(seed: int) -> None:
    problem, truth = two_way_table(seed)
    intervals = attack_block(problem, LEVEL, truth=truth, exact=True)
    expected = np.array([plain_interval(problem, int(unit)) for unit in problem.targets]).reshape(-1, 2)
    assert (intervals.kind == EXACT).all()
    np.testing.assert_allclose(intervals.lower, expected[:, 0])
    np.testing.assert_allclose(intervals.upper, expected[:, 1])


@pytest.mark.parametrize("seed", range(40))
def test_every_proof_agrees_with_the_plain_lps(seed: int) -> None:
    problem, truth = two_way_table(seed)
    coordinates = np.column_stack([np.arange(problem.n) % 3, np.arange(problem.n) // 3])
    intervals = attack_block(problem, LEVEL, truth=truth, coordinates=coordinates, seed=seed)
    for position, unit in enumerate(problem.targets):
        low, high = plain_interval(problem, int(unit))
        kind, lower, upper = intervals.kind[position], intervals.lower[position], intervals.upper[position]
        if kind == EXACT:
            assert (lower, upper) == (low, high)
        elif kind == PROVEN_WIDE:  # a sub-interval of the reader's, at least a protection level wide
            assert low <= lower and upper <= high and upper - lower >= LEVEL
        else:
            assert kind == PROVEN_NARROW
            assert lower <= low and high <= upper and upper - lower < LEVEL
        assert (high - low >= LEVEL) == (upper - lower >= LEVEL)  # safe exactly when the plain LPs say so
