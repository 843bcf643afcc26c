"""The deviation LP of secondary suppression (metrics.disclosure.secondary._DeviationModel): the cheapest published
cells whose suppression lets a hidden cell move a full protection level, never counting a move below zero; and the
point it finds, carried into the next round as a witness (secondary._carry_points)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from scipy.sparse import csr_matrix

import metrics.disclosure.secondary as secondary
from metrics.disclosure.attack import BlockProblem, Witnesses, checked_points
from metrics.disclosure.secondary import _carry_points, _DeviationModel
from tests.metrics.test_disclosure_properties import GROUPS, KNOWLEDGE, LOCALITIES, POLICY, SEXES, population_cells

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
    complements, solves, _ = _DeviationModel(problem, cost, fixed).complements(0, 3.0, 3.0, LEVEL)
    assert complements == [2] and solves == 1


def test_a_published_zero_is_never_moved_below_zero() -> None:
    """With the total fixed (an earlier edition's figure), the target can rise only if `other` or the zero falls; the
    zero cannot go below 0, so `other` is chosen, and when `other` is fixed too nothing can free the target: the
    zero "moved" to -5 is no way out (the uncapped LP returned it)."""
    problem, cost, fixed = small_sum(total_fixed=True)
    complements, _, _ = _DeviationModel(problem, cost, fixed).complements(0, 3.0, 3.0, LEVEL)
    assert complements == [2]
    fixed[2] = True
    complements, _, _ = _DeviationModel(problem, cost, fixed).complements(0, 3.0, 3.0, LEVEL)
    assert complements == []


def hidden(problem: BlockProblem, cell: int) -> BlockProblem:
    """The same reader's system with `cell` hidden too (its bounds become [0, inf))."""
    lower, upper = problem.lower.copy(), problem.upper.copy()
    lower[cell], upper[cell] = 0.0, np.inf
    return BlockProblem(problem.unit_ids, problem.a_eq, problem.b_eq, problem.a_ub, problem.b_ub, lower, upper,
                        np.union1d(problem.targets, [cell]))


def test_the_point_found_is_a_possible_truth_once_the_complements_are_hidden() -> None:
    """By hand: the target rises to 3 + 5 = 8 while `other` falls from 10 to 5 (the zero stays 0, the total 13)."""
    problem, cost, fixed = small_sum(total_fixed=False)
    complements, _, point = _DeviationModel(problem, cost, fixed).complements(0, 3.0, 3.0, LEVEL)
    assert complements == [2]
    np.testing.assert_allclose(point, [8.0, 0.0, 5.0, 13.0], atol=1e-9)
    assert checked_points(problem, point[None, :]).shape[0] == 0  # not while `other` is published as 10
    assert checked_points(hidden(problem, 2), point[None, :]).shape[0] == 1


def test_carried_points_are_checked_before_they_count() -> None:
    """The next round absorbs the deviation point as a witness, but a point its system refuses proves nothing."""
    problem, cost, fixed = small_sum(total_fixed=False)
    _, _, point = _DeviationModel(problem, cost, fixed).complements(0, 3.0, 3.0, LEVEL)
    forged = np.array([30.0, 0.0, 10.0, 13.0])  # breaks the sum
    next_round = hidden(problem, 2)
    witnesses = Witnesses.empty(4)
    witnesses.absorb(np.array([3.0, 0.0, 10.0, 13.0]))  # the truth
    carried = [point, forged]
    _carry_points(next_round, carried, witnesses, integer=False)
    assert carried == []
    assert witnesses.high[0] == 8.0 and witnesses.low[0] == 3.0  # the target proven a full level wide, not 30


def random_population(seed: int) -> list[tuple[str, str, str, int]]:
    rng = random.Random(seed)
    return [(rng.choice(LOCALITIES), rng.choice(SEXES), rng.choice(GROUPS), rng.randint(1, 4))
            for _ in range(rng.randint(20, 120))]


def test_carrying_the_points_changes_no_decision_and_saves_lps(monkeypatch: pytest.MonkeyPatch) -> None:
    """On seeded small populations whose protection needs deviation LPs: the same cells hidden with and without the
    carried points (they only prove what the attack would prove by LP), and fewer LPs in all."""
    seeds = (1, 9, 14, 22, 31, 32)  # populations whose protection calls the deviation LP (found by search)
    with_points, without_points = [], []
    for seed in seeds:
        cells = population_cells(random_population(seed))
        with_points.append(secondary.protect_counts(cells, [], POLICY, knowledge=KNOWLEDGE, workers=1))
    monkeypatch.setattr(secondary, "_carry_points", lambda problem, points, witnesses, integer: points.clear())
    for seed in seeds:
        cells = population_cells(random_population(seed))
        without_points.append(secondary.protect_counts(cells, [], POLICY, knowledge=KNOWLEDGE, workers=1))
    for carried, plain in zip(with_points, without_points, strict=True):
        np.testing.assert_array_equal(carried.status, plain.status)
    assert sum(p.lp_solves for p in with_points) < sum(p.lp_solves for p in without_points)
