"""The attacker's linear program: how narrowly can a reader pin down each suppressed cell?

For one block of linked units every unit is a variable with the bounds the reader knows (a published count is
within its rounding interval, a published zero is exactly zero, a suppressed cell is at least 0), tied by the
relations of metrics.disclosure.relations. The reader's interval for a suppressed cell is [min, max] of that cell
over the reader's system, rounded inwards because counts are whole numbers:

1. bound propagation (each relation in turn bounds each of its cells, rounded to whole numbers, repeated to a fixed
   point) gives an interval that contains the reader's one: if it is already narrower than the protection level,
   the cell is unsafe, no LP needed;
2. witnesses prove safety: any point satisfying the reader's system is a possible truth, so two of them that put a
   cell at least the protection level apart prove its interval is at least that wide. Witnesses come from the true
   values (when known) and from LPs (HiGHS, kept warm between solves through highspy) that push many unrelated
   cells at once towards a goal one protection level away;
3. cells neither proven unsafe nor proven safe get their own min and max LPs (exact). With `integer=True` an LP
   optimum that is not whole is replaced by the mixed-integer optimum (scipy.optimize.milp), which can be narrower
   in linked tables of three or more dimensions; and only whole-number witnesses count as proof.
`exact=True` computes min and max for every target (for audit reports of the narrowest intervals).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import highspy
import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csc_matrix, csr_matrix, vstack

_TOLERANCE = 1e-6
_DUAL_SIMPLEX, _PRIMAL_SIMPLEX = 1, 4  # HiGHS option simplex_strategy
EXACT, PROVEN_WIDE, PROVEN_NARROW = 0, 1, 2


class AttackInfeasible(ValueError):
    """The published values contradict the relations the reader knows: the published data are inconsistent."""


@dataclass
class BlockProblem:
    """One block of the reader's system in local indices (0..n-1)."""

    unit_ids: np.ndarray  # global unit ids, position = local index
    a_eq: csr_matrix
    b_eq: np.ndarray
    a_ub: csr_matrix
    b_ub: np.ndarray
    lower: np.ndarray
    upper: np.ndarray  # np.inf where unbounded
    targets: np.ndarray  # local indices of the suppressed units to attack

    @property
    def n(self) -> int:
        return self.unit_ids.size


@dataclass
class Intervals:
    """Per target: an interval in whole numbers and what is proven about it (`kind`).

    EXACT: the reader's interval. PROVEN_WIDE: a sub-interval of the reader's (theirs is at least as wide) of width
    >= the protection level. PROVEN_NARROW: a super-interval of the reader's of width < the protection level.
    """

    lower: np.ndarray
    upper: np.ndarray
    kind: np.ndarray
    lp_solves: int = 0
    milp_solves: int = 0

    @property
    def width(self) -> np.ndarray:
        return self.upper - self.lower


def propagate_bounds(
    a_ub: csr_matrix, b_ub: np.ndarray, lower: np.ndarray, upper: np.ndarray, *, passes: int = 50
) -> tuple[np.ndarray, np.ndarray]:
    """Tighten bounds from rows a.x <= b (whole numbers), to a fixed point; raises AttackInfeasible if empty."""
    low, high = lower.astype(np.float64).copy(), upper.astype(np.float64).copy()
    coo = a_ub.tocoo()
    rows, cols, coefs = coo.row, coo.col, coo.data
    n_rows = a_ub.shape[0]
    if rows.size == 0:
        return low, high
    for _ in range(passes):
        contribution = np.where(coefs > 0, coefs * low[cols], coefs * high[cols])  # minimum activity per term
        infinite = ~np.isfinite(contribution)
        finite_sum = np.bincount(rows, weights=np.where(infinite, 0.0, contribution), minlength=n_rows)
        infinite_count = np.bincount(rows, weights=infinite.astype(np.float64), minlength=n_rows)
        others_finite = finite_sum[rows] - np.where(infinite, 0.0, contribution)
        others_infinite = infinite_count[rows] - infinite
        usable = others_infinite == 0
        with np.errstate(invalid="ignore", divide="ignore"):
            implied = (b_ub[rows] - others_finite) / coefs
        new_high, new_low = high.copy(), low.copy()
        up = usable & (coefs > 0)
        down = usable & (coefs < 0)
        np.minimum.at(new_high, cols[up], np.floor(implied[up] + _TOLERANCE))
        np.maximum.at(new_low, cols[down], np.ceil(implied[down] - _TOLERANCE))
        if np.any(new_low > new_high + _TOLERANCE):
            raise AttackInfeasible("the published values contradict the relations the reader knows")
        changed = np.any(new_high < high - _TOLERANCE) or np.any(new_low > low + _TOLERANCE)
        low, high = new_low, new_high
        if not changed:
            break
    return low, high


class WarmLP:
    """One LP kept in HiGHS (highspy) between solves: only the objective and column bounds change, so a solve with a
    new objective starts from the previous optimal basis (a few simplex pivots instead of a fresh solve;
    docs/disclosure.md); one with new bounds in a model that may presolve starts afresh (see solve)."""

    def __init__(self, a_eq: csr_matrix, b_eq: np.ndarray, a_ub: csr_matrix, b_ub: np.ndarray, low: np.ndarray,
                 high: np.ndarray, *, presolve: bool = True) -> None:
        """presolve=False: never presolve (HiGHS presolves only a model it has no basis for; see _DeviationModel).
        Otherwise a solve with new bounds (a witness push) starts afresh from the presolved model (see solve)."""
        n = low.size
        self.n = n
        matrix = vstack([a_eq, a_ub]).tocsr() if a_eq.shape[0] + a_ub.shape[0] else csr_matrix((0, n))
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = matrix.shape[0]
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = low.astype(np.float64)
        lp.col_upper_ = np.where(np.isfinite(high), high, highspy.kHighsInf).astype(np.float64)
        lp.row_lower_ = np.concatenate([b_eq, np.full(a_ub.shape[0], -highspy.kHighsInf)]).astype(np.float64)
        lp.row_upper_ = np.concatenate([b_eq, b_ub]).astype(np.float64)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = matrix.data.astype(np.float64)
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("threads", 1)  # workers are processes; no thread pool inside a forked child
        self.presolve = "choose" if presolve else "off"
        self.highs.setOptionValue("presolve", self.presolve)
        self.highs.passModel(lp)
        self.columns = np.arange(n, dtype=np.int32)
        self.low = lp.col_lower_.copy()
        self.high = lp.col_upper_.copy()
        self.bounds_changed = False
        self.has_basis = False

    def solve(self, objective: np.ndarray, bounds: np.ndarray | None) -> tuple[float, np.ndarray | None, str]:
        """(optimal value, solution, status) with status one of optimal, unbounded, infeasible or HiGHS's name."""
        highs = self.highs
        # Only the objective changes: the last optimal basis stays primal feasible, and primal simplex re-optimises
        # it in a few pivots (about 5 times fewer than dual simplex on the demo's blocks). Changed bounds make it
        # primal infeasible: dual simplex (HiGHS's default) is then far quicker. So is it for the first solve, which
        # has no basis to start from: from scratch primal simplex took 2,200-2,900 pivots at about 115 microseconds
        # on the demo's largest blocks, dual simplex about 1,400 at 50-90 (docs/benchmarks.md, 2026-12-01).
        re_optimise = self.has_basis and bounds is None and not self.bounds_changed
        highs.setOptionValue("simplex_strategy", _PRIMAL_SIMPLEX if re_optimise else _DUAL_SIMPLEX)
        highs.changeColsCost(self.n, self.columns, np.asarray(objective, dtype=np.float64))
        if bounds is not None:
            upper = np.where(np.isfinite(bounds[:, 1]), bounds[:, 1], highspy.kHighsInf)
            highs.changeColsBounds(self.n, self.columns, bounds[:, 0].astype(np.float64), upper.astype(np.float64))
            self.bounds_changed = True
        elif self.bounds_changed:
            highs.changeColsBounds(self.n, self.columns, self.low, self.high)
            self.bounds_changed = False
        cold = bounds is not None and self.presolve != "off"
        if cold:
            # A witness push caps many columns at once: the last basis is then far from primal feasible, and dual
            # simplex from it took more pivots, each dearer, than a fresh solve of the presolved model (measured in
            # docs/benchmarks.md, 2026-12-01; pushes have a model of their own: _ReducedLP._pushes).
            highs.clearSolver()
            highs.setOptionValue("presolve", "on")
        highs.run()
        self.has_basis = True
        if cold:
            highs.setOptionValue("presolve", self.presolve)
        status = highs.getModelStatus()
        if status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
            # Presolve could not tell which: ask again without it (rare: most solves start from a basis).
            highs.setOptionValue("presolve", "off")
            highs.run()
            highs.setOptionValue("presolve", self.presolve)
            status = highs.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return (float(highs.getInfo().objective_function_value), np.asarray(highs.getSolution().col_value),
                    "optimal")
        if status == highspy.HighsModelStatus.kUnbounded:
            return -math.inf, None, "unbounded"
        if status == highspy.HighsModelStatus.kInfeasible:
            return math.nan, None, "infeasible"
        return math.nan, None, highs.modelStatusToString(status)


class _ReducedLP:
    """The reader's system with fixed variables substituted and redundant inequality rows removed."""

    def __init__(self, problem: BlockProblem, low: np.ndarray, high: np.ndarray) -> None:
        self.n_full = problem.n
        self.free = np.flatnonzero(high - low > _TOLERANCE)
        self.position = np.full(problem.n, -1)
        self.position[self.free] = np.arange(self.free.size)
        self.fixed_values = low.copy()
        fixed = np.setdiff1d(np.arange(problem.n), self.free)
        self.low, self.high = low[self.free], high[self.free]

        def reduce(matrix: csr_matrix, rhs: np.ndarray) -> tuple[csr_matrix, np.ndarray]:
            if matrix.shape[0] == 0:
                return csr_matrix((0, self.free.size)), np.zeros(0)
            csc = csc_matrix(matrix)
            rhs = rhs - (csc[:, fixed] @ low[fixed] if fixed.size else 0.0)
            reduced = csr_matrix(csc[:, self.free])
            keep = np.diff(reduced.indptr) > 0
            return reduced[keep], rhs[keep]

        self.a_eq, self.b_eq = reduce(problem.a_eq, problem.b_eq)
        a_ub, b_ub = reduce(problem.a_ub, problem.b_ub)
        if a_ub.shape[0]:
            coo = a_ub.tocoo()
            max_terms = np.where(coo.data > 0, coo.data * self.high[coo.col], coo.data * self.low[coo.col])
            max_activity = np.bincount(coo.row, weights=max_terms, minlength=a_ub.shape[0])
            keep = ~(max_activity <= b_ub + _TOLERANCE)  # drop rows that can never bind (nan/inf kept)
            a_ub, b_ub = a_ub[keep], b_ub[keep]
        self.a_ub, self.b_ub = a_ub, b_ub
        self.bounds = np.column_stack([self.low, self.high])
        self._warm = WarmLP(self.a_eq, self.b_eq, self.a_ub, self.b_ub, self.low, self.high)
        self._push_lp: WarmLP | None = None
        self.lp_solves = 0
        self.milp_solves = 0

    def _pushes(self) -> WarmLP:
        """The model the witness pushes (solves with narrowed bounds) run in, apart from the exact LPs' model: each
        push starts afresh from the presolved model (WarmLP.solve), and the exact LPs go on from each other's bases
        rather than from a push's (against both in one model, warm: the demo's blocks 8% less CPU, a refresh's largest
        joint blocks 13-18% less, the same decisions; docs/benchmarks.md, 2026-12-01)."""
        if self._push_lp is None:
            self._push_lp = WarmLP(self.a_eq, self.b_eq, self.a_ub, self.b_ub, self.low, self.high)
        return self._push_lp

    def full(self, reduced_solution: np.ndarray) -> np.ndarray:
        solution = self.fixed_values.copy()
        solution[self.free] = reduced_solution
        return solution

    def solve(self, objective: np.ndarray, bounds: np.ndarray | None = None) -> tuple[float, np.ndarray | None]:
        """Minimise objective . x over the reduced system; (value, full solution) or (-inf, None) if unbounded.

        With narrowed `bounds` (witness search) an infeasible problem is no contradiction: (nan, None).
        """
        self.lp_solves += 1
        if self.free.size == 0:
            return 0.0, self.full(np.zeros(0))
        value, solution, status = (self._warm if bounds is None else self._pushes()).solve(objective, bounds)
        if status == "infeasible" and bounds is not None:
            return math.nan, None
        if status == "optimal":
            return value, self.full(solution)
        if status == "unbounded":
            return -math.inf, None
        if status == "infeasible":
            raise AttackInfeasible("the reader's system has no solution: published values contradict the relations")
        raise RuntimeError(f"HiGHS did not finish: {status}")

    def solve_integer(self, objective: np.ndarray) -> tuple[float, np.ndarray | None]:
        self.milp_solves += 1
        constraints = []
        if self.a_eq.shape[0]:
            constraints.append(LinearConstraint(self.a_eq, self.b_eq, self.b_eq))
        if self.a_ub.shape[0]:
            constraints.append(LinearConstraint(self.a_ub, -np.inf, self.b_ub))
        result = milp(objective, integrality=np.ones(self.free.size), bounds=Bounds(self.low, self.high),
                      constraints=constraints)
        return self._outcome(result)

    def _outcome(self, result) -> tuple[float, np.ndarray | None]:
        if result.status == 0:
            return float(result.fun), self.full(np.asarray(result.x))
        if result.status == 3:
            return -math.inf, None
        if result.status == 2:
            raise AttackInfeasible("the reader's system has no solution: published values contradict the relations")
        raise RuntimeError(f"HiGHS did not finish: {result.message}")


@dataclass
class Witnesses:
    """Per unit of a block: the smallest and largest value seen in proven-feasible points of the reader's system.

    Suppressing more cells only removes knowledge, so points feasible before stay feasible: the protection loop
    keeps these between rounds and cells proven wide stay proven without new LPs.
    With `keep_points` the points themselves are kept too (those still holding some unit's smallest or largest
    value): a certificate another party can check against its own copy of the reader's system (certificate_points).
    """

    low: np.ndarray
    high: np.ndarray
    points: list[np.ndarray] | None = None
    low_point: np.ndarray | None = None  # per unit: the index in `points` of the point at its smallest value
    high_point: np.ndarray | None = None
    _prune_at: int = 64

    @classmethod
    def empty(cls, n: int, *, keep_points: bool = False) -> Witnesses:
        if not keep_points:
            return cls(np.full(n, math.inf), np.full(n, -math.inf))
        return cls(np.full(n, math.inf), np.full(n, -math.inf), [], np.full(n, -1), np.full(n, -1))

    def absorb(self, point: np.ndarray) -> None:
        if self.points is None:
            np.minimum(self.low, point, out=self.low)
            np.maximum(self.high, point, out=self.high)
            return
        lower, higher = point < self.low, point > self.high
        if not (lower.any() or higher.any()):
            return
        self.low[lower], self.high[higher] = point[lower], point[higher]
        self.low_point[lower] = self.high_point[higher] = len(self.points)
        self.points.append(np.array(point, dtype=np.float64))
        if len(self.points) >= self._prune_at:
            self._prune()
            self._prune_at = max(64, 2 * len(self.points))

    def _prune(self) -> None:
        """Drop the points that no longer hold any unit's smallest or largest value."""
        used = np.unique(np.concatenate([self.low_point, self.high_point]))
        used = used[used >= 0]
        renumber = np.full(len(self.points), -1)
        renumber[used] = np.arange(used.size)
        self.points = [self.points[index] for index in used]
        self.low_point = np.where(self.low_point >= 0, renumber[self.low_point], -1)
        self.high_point = np.where(self.high_point >= 0, renumber[self.high_point], -1)

    def certificate_points(self, units: np.ndarray) -> np.ndarray:
        """The kept points holding the smallest or largest value of these units: points x units of the block."""
        if self.points is None:
            raise ValueError("these witnesses were not kept with their points (Witnesses.empty(keep_points=True))")
        used = np.unique(np.concatenate([self.low_point[units], self.high_point[units]]))
        used = used[used >= 0]
        return np.stack([self.points[index] for index in used]) if used.size else np.zeros((0, self.low.size))


def checked_points(problem: BlockProblem, candidates: np.ndarray, *, integer: bool = False,
                   tolerance: float = 1e-6) -> np.ndarray:
    """The candidate points (rows) that satisfy every bound and relation of the reader's system `problem`: each is
    a possible truth, so two of them a protection level apart prove a cell's interval at least that wide, whoever
    found them. With `integer`, only whole-number points count (as in attack_block)."""
    if candidates.shape[0] == 0:
        return candidates
    points = np.asarray(candidates, dtype=np.float64)
    ok = np.all(np.isfinite(points), axis=1)
    ok &= np.all(points >= problem.lower - tolerance, axis=1) & np.all(points <= problem.upper + tolerance, axis=1)
    if problem.a_eq.shape[0]:
        ok &= np.all(np.abs(problem.a_eq @ points.T - problem.b_eq[:, None]) <= tolerance, axis=0)
    if problem.a_ub.shape[0]:
        ok &= np.all(problem.a_ub @ points.T <= problem.b_ub[:, None] + tolerance, axis=0)
    if integer:
        ok &= np.all(np.abs(points - np.round(points)) <= tolerance, axis=1)
    return points[ok]


def attack_block(
    problem: BlockProblem,
    protection_level: float | np.ndarray,
    *,
    truth: np.ndarray | None = None,
    witnesses: Witnesses | None = None,
    exact: bool = False,
    integer: bool = False,
    coordinates: np.ndarray | None = None,
    seed: int = 0,
) -> Intervals:
    """The reader's interval (or a proof of its width) for each target unit (see module docstring).

    `protection_level`: one level, or one per unit of the block (editions published under different policies).
    `truth`: the true values, or any point known to satisfy the reader's system (an anchor for the witness search).
    `witnesses` (updated in place) may carry points proven feasible earlier for the same or a larger system.
    `coordinates` (an integer code per unit and table dimension: locality, period, category) steer the witness
    search: cells are pushed up or down in a random sign pattern that is a product over the dimensions, so moves
    balance within every sum (rectangles), as in a checkerboard.
    """
    targets = problem.targets
    k = targets.size
    kind = np.full(k, -1)
    witnesses = witnesses if witnesses is not None else Witnesses.empty(problem.n)
    if k == 0:
        return Intervals(np.zeros(0), np.zeros(0), kind)
    level_of_unit = unit_levels(protection_level, problem.n)
    level = level_of_unit[targets]
    rows = vstack([problem.a_ub, problem.a_eq, -problem.a_eq]).tocsr()
    rhs = np.concatenate([problem.b_ub, problem.b_eq, -problem.b_eq])
    low, high = propagate_bounds(rows, rhs, problem.lower, problem.upper)
    if truth is not None and (np.any(truth < low - _TOLERANCE) or np.any(truth > high + _TOLERANCE)):
        raise AttackInfeasible("the true values break the reader's bounds: the relations are wrong")
    narrow = high[targets] - low[targets] < level
    lp = _ReducedLP(problem, low, high)

    def absorb(solution: np.ndarray | None) -> None:
        if solution is None:
            return
        if integer and np.any(np.abs(solution - np.round(solution)) > _TOLERANCE):
            return  # only whole-number points prove anything about the integer interval
        witnesses.absorb(solution)

    def proven_wide() -> np.ndarray:
        return (np.floor(witnesses.high[targets] + _TOLERANCE) - np.ceil(witnesses.low[targets] - _TOLERANCE)
                >= level)

    anchor = None
    if truth is not None:
        anchor = np.asarray(truth, dtype=np.float64)
        absorb(anchor)
    if not exact:
        search = _WitnessSearch(problem, lp, low, high, anchor, witnesses, level_of_unit, absorb, proven_wide)
        search.run(targets, narrow, seed, coordinates)
        lp.lp_solves += search.lp_solves

    lower = np.where(narrow, low[targets], np.nan)
    upper = np.where(narrow, high[targets], np.nan)
    kind[narrow] = PROVEN_NARROW
    for index in range(k):
        if not exact and (narrow[index] or proven_wide()[index]):
            continue
        position = lp.position[targets[index]]
        if position < 0:  # fixed by propagation
            lower[index] = upper[index] = low[targets[index]]
            kind[index] = EXACT
            continue
        # A witness at the propagated bound is the bound: no LP needs to look further that way.
        unit = targets[index]
        seen_low, seen_high = witnesses.low[unit], witnesses.high[unit]
        lower[index] = low[unit] if seen_low <= low[unit] + _TOLERANCE else _bound(lp, position, 1.0, integer, absorb)
        if not exact and (math.floor(witnesses.high[unit] + _TOLERANCE)
                          - math.ceil(lower[index] - _TOLERANCE) >= level[index]):
            continue
        upper[index] = (high[unit] if seen_high >= high[unit] - _TOLERANCE
                        else _bound(lp, position, -1.0, integer, absorb))
        kind[index] = EXACT

    wide = proven_wide() & (kind != EXACT) & ~narrow
    kind[wide] = PROVEN_WIDE
    lower = np.where(wide, np.ceil(witnesses.low[targets] - _TOLERANCE), np.ceil(lower - _TOLERANCE))
    upper = np.where(wide, np.floor(witnesses.high[targets] + _TOLERANCE), np.floor(upper + _TOLERANCE)) + 0.0
    lower = lower + 0.0  # no -0.0 in reports
    return Intervals(lower, upper, kind, lp.lp_solves, lp.milp_solves)


def narrow_by_propagation(problem: BlockProblem, protection_level: float | np.ndarray
                          ) -> tuple[np.ndarray, Intervals] | None:
    """(positions in `targets`, their intervals) of the targets bound propagation alone pins closer than their
    protection level, proof PROVEN_NARROW: the reader's interval lies inside the propagated one, so each is a proof
    that the cell is unsafe, no LP needed. None without targets. Raises AttackInfeasible when the published values
    contradict the relations."""
    targets = problem.targets
    if targets.size == 0:
        return None
    rows = vstack([problem.a_ub, problem.a_eq, -problem.a_eq]).tocsr()
    rhs = np.concatenate([problem.b_ub, problem.b_eq, -problem.b_eq])
    low, high = propagate_bounds(rows, rhs, problem.lower, problem.upper)
    level = unit_levels(protection_level, problem.n)[targets]
    positions = np.flatnonzero(high[targets] - low[targets] < level)
    lower = np.ceil(low[targets[positions]] - _TOLERANCE) + 0.0
    upper = np.floor(high[targets[positions]] + _TOLERANCE) + 0.0
    return positions, Intervals(lower, upper, np.full(positions.size, PROVEN_NARROW))


def unit_levels(protection_level: float | np.ndarray, n: int) -> np.ndarray:
    """The protection level of each of n units: one level for all, or already one per unit."""
    levels = np.asarray(protection_level, dtype=np.float64)
    if levels.ndim == 0:
        return np.full(n, float(levels))
    if levels.shape != (n,):
        raise ValueError("protection levels must be one number or one per unit of the block")
    return levels


def feasible_point(problem: BlockProblem) -> np.ndarray:
    """A point of the reader's system (an anchor when the true values are not one: see metrics.disclosure.history).

    Raises AttackInfeasible when the system has none (published figures contradict what the reader assumes).
    """
    rows = vstack([problem.a_ub, problem.a_eq, -problem.a_eq]).tocsr()
    rhs = np.concatenate([problem.b_ub, problem.b_eq, -problem.b_eq])
    low, high = propagate_bounds(rows, rhs, problem.lower, problem.upper)
    lp = _ReducedLP(problem, low, high)
    _, point = lp.solve(np.zeros(lp.free.size))
    if point is None:
        raise AttackInfeasible("the reader's system has no solution")
    return point


def _bound(lp: _ReducedLP, position: int, sign: float, integer: bool, absorb) -> float:
    objective = np.zeros(lp.free.size)
    objective[position] = sign
    value, solution = lp.solve(objective)
    absorb(solution)
    if integer and solution is not None and np.any(np.abs(solution - np.round(solution)) > _TOLERANCE):
        value, solution = lp.solve_integer(objective)
        absorb(solution)
    if math.isfinite(value):
        return sign * value
    return -math.inf if sign > 0 else math.inf


class _WitnessSearch:
    """LPs that push many unproven cells a protection level away at once; each solution is a witness.

    When the cells being pushed are few, the LP is restricted to their neighbourhood (cells within two relations)
    with everything else held at a known feasible point (the anchor): a much smaller LP whose solutions, completed
    by the anchor, are still points of the whole system.
    """

    def __init__(self, problem: BlockProblem, lp: _ReducedLP, low: np.ndarray, high: np.ndarray,
                 anchor: np.ndarray | None, witnesses: Witnesses, level: np.ndarray, absorb, proven_wide) -> None:
        self.problem, self.lp, self.low, self.high = problem, lp, low, high
        self.anchor, self.witnesses, self.level = anchor, witnesses, level  # level: per unit
        self.absorb, self.proven_wide = absorb, proven_wide
        incidence = vstack([problem.a_eq, problem.a_ub]).tocsr()
        incidence.data = np.ones_like(incidence.data)
        self.incidence = incidence
        self.incidence_t = incidence.T.tocsr()
        self.lp_solves = 0

    def neighbourhood(self, units: np.ndarray, hops: int = 2) -> np.ndarray:
        keep = np.zeros(self.problem.n)
        keep[units] = 1.0
        for _ in range(hops):
            keep = np.minimum(keep + self.incidence_t @ (self.incidence @ keep > 0).astype(np.float64), 1.0)
        return keep > 0

    def push(self, units: np.ndarray, directions: np.ndarray | float, hops: int = 2) -> None:
        """One LP moving these units (each up: +1 or down: -1) to a protection level beyond what has been seen,
        capped there so that the LP spends its effort on the units still short of it."""
        lp = self.lp
        if self.anchor is not None:
            keep = self.neighbourhood(units, hops)
            if keep.sum() < 0.5 * lp.free.size:
                lp = _ReducedLP(self.problem, np.where(keep, self.low, self.anchor),
                                np.where(keep, self.high, self.anchor))
        units = units[lp.position[units] >= 0]
        if units.size == 0:
            return
        bounds = lp.bounds.copy()
        objective = np.zeros(lp.free.size)
        cols = lp.position[units]
        directions = np.broadcast_to(np.asarray(directions, dtype=np.float64), cols.shape) if np.ndim(directions) \
            == 0 else np.asarray(directions, dtype=np.float64)[: cols.size]
        up = directions > 0
        goal_up = np.ceil(self.witnesses.low[units] - _TOLERANCE) + self.level[units]
        goal_down = np.floor(self.witnesses.high[units] + _TOLERANCE) - self.level[units]
        bounds[cols[up], 1] = np.minimum(bounds[cols[up], 1], np.maximum(goal_up[up], bounds[cols[up], 0]))
        bounds[cols[~up], 0] = np.maximum(bounds[cols[~up], 0], np.minimum(goal_down[~up], bounds[cols[~up], 1]))
        objective[cols] = -directions
        self.absorb(lp.solve(objective, bounds)[1])
        if lp is not self.lp:
            self.lp_solves += 1

    def run(self, targets: np.ndarray, narrow: np.ndarray, seed: int, coordinates: np.ndarray | None) -> None:
        rng = np.random.default_rng(seed)
        lp = self.lp
        movable = (lp.position[targets] >= 0) & ~narrow
        if not (movable & ~self.proven_wide()).any():
            return
        if self.anchor is None:
            objective = np.zeros(lp.free.size)
            objective[lp.position[targets[movable]]] = 1.0
            self.anchor = lp.solve(objective)[1]
            self.absorb(self.anchor)

        def todo() -> np.ndarray:
            return np.flatnonzero(movable & ~self.proven_wide())

        for _ in range(8):  # everything unproven at once, in sign patterns that let the sums balance
            pending = todo()
            if pending.size <= 2:
                break
            self.push(targets[pending], self._signs(targets[pending], rng, coordinates))
            if pending.size - todo().size < 3:
                break
        rows_of = self.incidence.tocsc()
        for _ in range(20):  # then sets of cells that share no relation, so they do not compete
            pending = todo()
            if pending.size == 0:
                return
            rng.shuffle(pending)
            used_rows: set[int] = set()
            chosen = []
            for index in pending:
                its_rows = set(rows_of[:, targets[index]].indices.tolist())
                if its_rows & used_rows:
                    continue
                used_rows |= its_rows
                chosen.append(index)
            chosen_units = targets[np.array(chosen)]
            # Only where a witness can still go: a cell already seen at its propagated minimum cannot be pushed
            # lower by any point (nor above its maximum), and an LP that tries proves nothing.
            can_rise = self.witnesses.high[chosen_units] < self.high[chosen_units] - _TOLERANCE
            can_fall = self.witnesses.low[chosen_units] > self.low[chosen_units] + _TOLERANCE
            for direction, able in ((1.0, can_rise), (-1.0, can_fall)):
                if able.any():
                    self.push(chosen_units[able], direction)
            if pending.size - todo().size < 2:
                return

    @staticmethod
    def _signs(units: np.ndarray, rng: np.random.Generator, coordinates: np.ndarray | None) -> np.ndarray:
        if coordinates is None:
            return rng.choice((-1.0, 1.0), size=units.size)
        codes = coordinates[units]
        bits = np.zeros(units.size, dtype=np.int64)
        for dimension in range(codes.shape[1]):
            flips = rng.integers(0, 2, size=int(coordinates[:, dimension].max()) + 1)
            bits += flips[codes[:, dimension]]
        return np.where(bits % 2 == 0, 1.0, -1.0)
