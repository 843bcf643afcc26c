"""The deviation LP of secondary suppression (metrics.disclosure.secondary._DeviationModel): the cheapest published
cells whose suppression lets a hidden cell move a full protection level, never counting a move below zero."""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix

from metrics.disclosure.attack import BlockProblem
from metrics.disclosure.secondary import _DeviationModel

LEVEL = 5.0


def small_sum(total_fixed: bool) -> tuple[BlockProblem, np.ndarray, np.ndarray]:
    """hidden + zero + other = total: the hidden cell (3) is the target, `zero` is published as 0, `other` as 10 and
    the total as 13 (exact figures: no rounding), so the reader has the target at exactly 3. Returns the problem, the
    costs (information lost by hiding each: the zero is the costliest) and which cells are fixed."""
    a_eq = csr_matrix(np.array([[1.0, 1.0, 1.0, -1.0]]))
    lower = np.array([0.0, 0.0, 10.0, 13.0])
    upper = np.array([np.inf, 0.0, 10.0, 13.0])
    problem = BlockProblem(np.arange(4), a_eq, np.zeros(1), csr_matrix((0, 4)), np.zeros(0), lower, upper,
                           np.array([0]))
    cost = np.array([4.0, 1e6, 11.0, 16.0])
    fixed = np.array([False, False, False, total_fixed])
    return problem, cost, fixed


def test_the_cheapest_cell_that_lets_the_target_move_is_chosen() -> None:
    problem, cost, fixed = small_sum(total_fixed=False)
    # Up to 3 + 5 = 8: the total rises by 5 (cost 16) or `other` falls by 5 (cost 11); down to 3 - 5 < 0 is no goal.
    complements, solves = _DeviationModel(problem, cost, fixed).complements(0, 3.0, 3.0, LEVEL)
    assert complements == [2] and solves == 1


def test_a_published_zero_is_never_moved_below_zero() -> None:
    """With the total fixed (an earlier edition's figure), the target can rise only if `other` or the zero falls; the
    zero cannot go below 0, so `other` is chosen, and when `other` is fixed too nothing can free the target: the
    zero "moved" to -5 is no way out (the uncapped LP returned it)."""
    problem, cost, fixed = small_sum(total_fixed=True)
    complements, _ = _DeviationModel(problem, cost, fixed).complements(0, 3.0, 3.0, LEVEL)
    assert complements == [2]
    fixed[2] = True
    complements, _ = _DeviationModel(problem, cost, fixed).complements(0, 3.0, 3.0, LEVEL)
    assert complements == []
