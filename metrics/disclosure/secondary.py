"""Primary and secondary suppression of count cells, proven by the attacker before anything is published.

Per block of linked units (metrics.disclosure.relations):
  1. primary: counts 1..threshold-1 are suppressed; so is a zero numerator of a percentage whose group
     (denominator) has 1 .. 2 x percentage_min_each_side - 1 units ("class disclosure": a published 0 would say
     something about everyone in a small group).
  2. attack: the reader's interval of every suppressed unit by LP (metrics.disclosure.attack), with the strong
     assumptions of docs/disclosure.md (the reader knows the policy, every relation, and which [c] cells were
     suppressed by the primary rule, which are therefore between 1 and threshold-1).
  3. every suppressed unit whose interval is narrower than the protection level gets a complement: in the
     relation that pins it down most tightly, the published cell that loses least information (the smallest
     non-zero cell, interior cells before totals); a zero is used only if nothing else is left, and never alone.
  4. repeat 2-3 until the attack fails on every suppressed unit of the block.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, hstack, vstack

from data_access.config import DisclosurePolicy
from metrics.disclosure.attack import BlockProblem, Intervals, Witnesses, attack_block
from metrics.disclosure.primary import published_count_bounds, round_count
from metrics.disclosure.relations import (
    ALL,
    ALL_PERIODS,
    Structure,
    TableKnowledge,
    build_structure,
    drop_relations,
    relation_residuals,
    unit_values_from_cells,
)

PUBLISHED, PRIMARY, CLASS_ZERO, SECONDARY = 0, 1, 2, 3
STATUS_NAMES = {PUBLISHED: "published", PRIMARY: "primary", CLASS_ZERO: "class", SECONDARY: "secondary"}
_ZERO_COST = 1e6


class ProtectionError(RuntimeError):
    """Secondary suppression could not make a block safe (should not happen; names the cells)."""


@dataclass
class CountProtection:
    """The decisions for every count unit, and how they were reached. Holds true values: never publish this."""

    structure: Structure
    truth: np.ndarray
    status: np.ndarray
    percent_pairs: pl.DataFrame  # spec statistic, key columns, num_unit, den_unit
    policy: DisclosurePolicy
    knowledge: TableKnowledge
    rounds: dict[int, int] = field(default_factory=dict)
    lp_solves: int = 0
    milp_solves: int = 0
    final_intervals: dict[int, tuple[np.ndarray, Intervals]] = field(default_factory=dict)

    def published_values(self) -> np.ndarray:
        """Rounded value per unit; nan where suppressed."""
        rounded = round_count(self.truth.astype(np.int64), self.policy).astype(np.float64)
        return np.where(self.status == PUBLISHED, rounded, np.nan)

    def percent_publishable(self, pairs: pl.DataFrame | None = None) -> np.ndarray:
        """Per percent pair: both counts published and the percentage rule holds on the true counts."""
        pairs = self.percent_pairs if pairs is None else pairs
        num = pairs["num_unit"].to_numpy()
        den = pairs["den_unit"].to_numpy()
        m = self.policy.percentage_min_each_side
        x, n = self.truth[num], self.truth[den]
        return (self.status[num] == PUBLISHED) & (self.status[den] == PUBLISHED) & (n > 0) & (x >= m) & (n - x >= m)


def percent_pairs(cells: pl.DataFrame, cell_unit: np.ndarray, specs: Iterable) -> pl.DataFrame:
    """One row per published percentage: its key columns and the units of its numerator and denominator."""
    place = ["table", "measure", "locality", "period", "breakdown", "category"]
    keyed = cells.select(*place, "statistic").with_columns(unit=pl.Series(cell_unit, dtype=pl.Int64))
    frames = []
    for spec in specs:
        num = keyed.filter(pl.col("table") == spec.table, pl.col("statistic") == spec.numerator)
        den = keyed.filter(pl.col("table") == spec.table, pl.col("statistic") == spec.denominator)
        frames.append(
            num.join(den.select(*place, den_unit=pl.col("unit")), on=place, how="inner").select(
                *place, statistic=pl.lit(spec.statistic), numerator=pl.lit(spec.numerator),
                denominator=pl.lit(spec.denominator), num_unit=pl.col("unit"), den_unit=pl.col("den_unit"),
            )
        )
    if not frames:
        return pl.DataFrame(schema={**{c: pl.String for c in (*place, "statistic", "numerator", "denominator")},
                                    "num_unit": pl.Int64, "den_unit": pl.Int64})
    return pl.concat(frames)


def _validate_on_truth(structure: Structure, truth: np.ndarray) -> Structure:
    """Relations must hold on the true values. Promised ones (sums, orderings) raise; derived ones are dropped."""
    residuals = relation_residuals(structure, truth)
    broken = residuals.filter(
        ((pl.col("kind") == "eq") & (pl.col("residual").abs() > 1e-9)) | ((pl.col("kind") == "le")
                                                                          & (pl.col("residual") > 1e-9))
    )
    promised = broken.filter(pl.col("origin") != "stock")
    if promised.height:
        example = promised.head(3).to_dicts()
        raise ValueError(f"true counts break {promised.height} promised relation(s), e.g. {example}")
    if broken.height:
        return drop_relations(structure, broken["relation_id"].to_numpy())
    return structure


def primary_status(truth: np.ndarray, pairs: pl.DataFrame, policy: DisclosurePolicy) -> np.ndarray:
    """Primary decisions per unit: small counts, and zero numerators of small groups (class disclosure)."""
    status = np.where((truth >= 1) & (truth < policy.threshold), PRIMARY, PUBLISHED)
    if pairs.height:
        num = pairs["num_unit"].to_numpy()
        den = pairs["den_unit"].to_numpy()
        group_limit = 2 * policy.percentage_min_each_side
        class_zero = (truth[num] == 0) & (truth[den] >= 1) & (truth[den] < group_limit)
        status[num[class_zero]] = CLASS_ZERO
    return status


class _Block:
    """Index maps and static relation matrices of one block."""

    def __init__(self, units: np.ndarray, structure: Structure, eq_terms: pl.DataFrame, le_terms: pl.DataFrame,
                 rhs: dict[str, np.ndarray]) -> None:
        self.units = units
        self.local = {int(u): i for i, u in enumerate(units)}
        self.eq = self._matrix(eq_terms)
        self.eq_rhs = rhs["eq"]
        self.le = self._matrix(le_terms)
        self.le_rhs = rhs["le"]
        self.eq_rows = eq_terms  # relation (local row), unit (local), coef

    def _matrix(self, terms: pl.DataFrame) -> csr_matrix:
        rows = terms["row"].to_numpy() if terms.height else np.zeros(0, dtype=np.int64)
        cols = terms["local"].to_numpy() if terms.height else np.zeros(0, dtype=np.int64)
        n_rows = int(rows.max()) + 1 if rows.size else 0
        return csr_matrix((terms["coef"].to_numpy() if terms.height else np.zeros(0), (rows, cols)),
                          shape=(n_rows, self.units.size))


def _split_blocks(structure: Structure) -> dict[int, _Block]:
    units = structure.units.select("unit_id", "block").with_columns(
        local=pl.int_range(pl.len()).over("block").cast(pl.Int64)
    )
    # units are sorted by unit_id, and int_range over block follows that order
    terms = structure.terms.join(units, on="unit_id").join(structure.relations, on="relation_id")
    blocks: dict[int, _Block] = {}
    by_block_units = units.partition_by("block", as_dict=True, include_key=True)
    by_block_terms = terms.partition_by("block", as_dict=True, include_key=True) if terms.height else {}
    for key, block_units in by_block_units.items():
        block = key[0]
        block_terms = by_block_terms.get(key)
        parts, rhs = {}, {}
        for kind in ("eq", "le"):
            if block_terms is None:
                part = pl.DataFrame(schema={"row": pl.Int64, "local": pl.Int64, "coef": pl.Float64,
                                            "relation_id": pl.Int64})
                rhs[kind] = np.zeros(0)
            else:
                part = block_terms.filter(pl.col("kind") == kind)
                ids = part["relation_id"].unique(maintain_order=False).sort()
                row_of = pl.DataFrame({"relation_id": ids, "row": pl.int_range(ids.len(), eager=True).cast(pl.Int64)})
                part = part.join(row_of, on="relation_id").select("row", "local", "coef", "relation_id")
                rhs_frame = row_of.join(structure.relations.select("relation_id", "rhs"), on="relation_id").sort("row")
                rhs[kind] = rhs_frame["rhs"].to_numpy()
            parts[kind] = part
        blocks[block] = _Block(block_units["unit_id"].to_numpy(), structure, parts["eq"], parts["le"], rhs)
    return blocks


def reader_bounds(status: np.ndarray, published: np.ndarray, policy: DisclosurePolicy) -> tuple[np.ndarray, np.ndarray]:
    """What the reader knows about each unit on its own: a rounding interval, exactly 0, or [0, inf) for [c].

    The publication does not say why a cell is [c] (a small count, a zero of a small group, or a complement), so
    a suppressed cell can be anything from 0 upwards that the relations allow (docs/disclosure.md).
    """
    low, high = published_count_bounds(np.nan_to_num(published), policy)
    low = np.asarray(low, dtype=np.float64).copy()
    high = np.asarray(high, dtype=np.float64).copy()
    suppressed = status != PUBLISHED
    low[suppressed] = 0.0
    high[suppressed] = math.inf
    return low, high


def percent_knowledge(
    pairs: pl.DataFrame, publishable: np.ndarray, low: np.ndarray, high: np.ndarray, status: np.ndarray,
    policy: DisclosurePolicy,
) -> list[tuple[dict[int, float], float]]:
    """What published and suppressed percentages tell the reader, as rows sum(coef * x) <= rhs.

    A published percentage says numerator >= m and denominator - numerator >= m (m = percentage_min_each_side).
    A [c] percentage with both counts published says one side is below m: used where the other side is known
    to be at least m (otherwise it is an either/or the LP cannot hold; documented).
    """
    m = float(policy.percentage_min_each_side)
    rows: list[tuple[dict[int, float], float]] = []
    if pairs.height == 0:
        return rows
    num = pairs["num_unit"].to_numpy()
    den = pairs["den_unit"].to_numpy()
    both_published = (status[num] == PUBLISHED) & (status[den] == PUBLISHED)
    for i in np.flatnonzero(publishable):
        rows.append(({int(num[i]): -1.0}, -m))
        rows.append(({int(num[i]): 1.0, int(den[i]): -1.0}, -m))
    for i in np.flatnonzero(both_published & ~publishable):
        if low[num[i]] >= m:
            rows.append(({int(den[i]): 1.0, int(num[i]): -1.0}, m - 1))
        elif low[den[i]] - high[num[i]] >= m:
            rows.append(({int(num[i]): 1.0}, m - 1))
    return rows


@dataclass
class _Costs:
    cost: np.ndarray

    @classmethod
    def build(cls, structure: Structure, truth: np.ndarray, area_name: str) -> _Costs:
        units = structure.units
        totals = (
            (units["locality"] == area_name).cast(pl.Int64)
            + (units["category"] == ALL).cast(pl.Int64)
            + (~units["period"].str.contains(" Q", literal=True)).cast(pl.Int64)
            + (units["period"] == ALL_PERIODS).cast(pl.Int64)
        ).to_numpy()
        cost = (truth + 1.0) * (2.0 ** totals)
        cost = np.where(truth == 0, _ZERO_COST, cost)
        return cls(cost)


def _single_relation_width(coefs: np.ndarray, locals_: np.ndarray, target: int, low: np.ndarray,
                           high: np.ndarray) -> float:
    """Width of the target's interval implied by one equation alone, given the others' bounds."""
    position = int(np.flatnonzero(locals_ == target)[0])
    a = coefs[position]
    others = np.delete(np.arange(locals_.size), position)
    c = -coefs[others] / a
    lows = np.where(c > 0, c * low[locals_[others]], c * high[locals_[others]])
    highs = np.where(c > 0, c * high[locals_[others]], c * low[locals_[others]])
    with np.errstate(invalid="ignore"):
        span = float(np.sum(highs) - np.sum(lows))
    return span if math.isfinite(span) else math.inf


def protect_counts(
    cells: pl.DataFrame,
    percent_specs: Iterable,
    policy: DisclosurePolicy,
    *,
    knowledge: TableKnowledge | None = None,
    secondary: bool = True,
    integer: bool = False,
    max_rounds: int = 200,
) -> CountProtection:
    """Primary + secondary suppression of the count cells (true values in `true_value`), proven by the attack."""
    specs = tuple(percent_specs)
    knowledge = (knowledge or TableKnowledge()).with_percent_orderings(specs)
    counts = cells.filter(pl.col("kind") == "count") if "kind" in cells.columns else cells
    if counts["true_value"].min() is not None and counts["true_value"].min() < 0:
        raise ValueError("true counts must be >= 0")
    structure = build_structure(counts, knowledge)
    truth = unit_values_from_cells(structure, counts["true_value"].cast(pl.Float64).to_numpy())
    structure = _validate_on_truth(structure, truth)
    pairs = percent_pairs(counts, structure.cell_unit, specs).unique(["num_unit", "den_unit"], maintain_order=True)
    status = primary_status(truth, pairs, policy)
    result = CountProtection(structure, truth, status, pairs, policy, knowledge)
    costs = _Costs.build(structure, truth, knowledge.area_name)
    blocks = _split_blocks(structure)
    block_of = structure.block_of_units()
    pair_block = block_of[pairs["num_unit"].to_numpy()] if pairs.height else np.zeros(0, dtype=np.int64)
    for block_id, block in blocks.items():
        in_block = pair_block == block_id
        _protect_block(result, block_id, block, pairs.filter(pl.Series(in_block)), costs,
                       secondary, integer, max_rounds)
    return result


def block_problem(
    result: CountProtection, block: _Block, block_pairs: pl.DataFrame
) -> tuple[BlockProblem, np.ndarray, np.ndarray]:
    """The reader's system for one block under the current decisions (global low/high returned too)."""
    policy = result.policy
    published = result.published_values()
    low, high = reader_bounds(result.status, published, policy)
    publishable = result.percent_publishable(block_pairs)
    extra = percent_knowledge(block_pairs, publishable, low, high, result.status, policy)
    units = block.units
    le = block.le
    le_rhs = block.le_rhs
    if extra:
        rows, cols, vals = [], [], []
        for r, (coefs, _) in enumerate(extra):
            for unit, coef in coefs.items():
                rows.append(r)
                cols.append(block.local[unit])
                vals.append(coef)
        extra_matrix = csr_matrix((vals, (rows, cols)), shape=(len(extra), units.size))
        le = vstack([le, extra_matrix]).tocsr()
        le_rhs = np.concatenate([le_rhs, np.array([rhs for _, rhs in extra])])
    targets = np.flatnonzero(result.status[units] != PUBLISHED)
    problem = BlockProblem(units, block.eq, block.eq_rhs, le, le_rhs, low[units], high[units], targets)
    return problem, low, high


def _protect_block(
    result: CountProtection, block_id: int, block: _Block, block_pairs: pl.DataFrame, costs: _Costs,
    secondary: bool, integer: bool, max_rounds: int,
) -> None:
    policy = result.policy
    level = policy.protection_level
    units = block.units
    eq_by_column = block.eq.tocsc()
    eq_rows = block.eq.tocsr()
    unsafe_rounds: dict[int, int] = {}
    witnesses = Witnesses.empty(units.size)

    for round_number in range(1, max_rounds + 1):
        if not np.any(result.status[units] != PUBLISHED):
            result.rounds[block_id] = round_number - 1
            return
        problem, low, high = block_problem(result, block, block_pairs)
        intervals = attack_block(problem, level, truth=result.truth[units], witnesses=witnesses, integer=integer,
                                 groups=None, seed=block_id + round_number)
        result.lp_solves += intervals.lp_solves
        result.milp_solves += intervals.milp_solves
        result.final_intervals[block_id] = (units[problem.targets], intervals)
        unsafe_positions = np.flatnonzero(intervals.width < level)
        if unsafe_positions.size == 0 or not secondary:
            result.rounds[block_id] = round_number
            return
        touched: set[int] = set()
        added = 0
        local_cost = costs.cost[units]
        for position in unsafe_positions:
            target = int(problem.targets[position])
            rows = {int(r) for r in eq_by_column[:, target].nonzero()[0]}
            if rows & touched:
                continue
            unsafe_rounds[target] = unsafe_rounds.get(target, 0) + 1
            complements = None
            if unsafe_rounds[target] <= 2:
                complements = _local_complement(target, rows, eq_rows, problem, result, units, local_cost, level)
            if complements is None:
                complements = _deviation_complements(problem, target, intervals.lower[position],
                                                     intervals.upper[position], level, local_cost)
                result.lp_solves += 2
            if not complements:
                continue
            for local in complements:
                result.status[units[local]] = SECONDARY
                added += 1
                touched |= {int(r) for r in eq_by_column[:, local].nonzero()[0]}
            touched |= rows
        if added == 0:
            bad = result.structure.units.filter(
                pl.col("unit_id").is_in(units[problem.targets[unsafe_positions]].tolist())).head(5)
            raise ProtectionError(f"no complement can protect {unsafe_positions.size} cell(s), e.g. {bad.to_dicts()}")
    raise ProtectionError(f"block {block_id} still unsafe after {max_rounds} rounds")


def _group_labels(structure: Structure, units: np.ndarray) -> np.ndarray:
    """Statistic of each unit as an integer label (witness search works one statistic at a time)."""
    names = structure.units["statistic"].to_numpy()[units]
    _, labels = np.unique(names, return_inverse=True)
    return labels


def _local_complement(
    target: int, rows: set[int], eq_rows: csr_matrix, problem: BlockProblem, result: CountProtection,
    units: np.ndarray, local_cost: np.ndarray, level: float,
) -> list[int] | None:
    """The cheapest non-zero published cell in the equation that pins the target down most tightly."""
    options = []
    for row in rows:
        start, end = eq_rows.indptr[row], eq_rows.indptr[row + 1]
        locals_ = eq_rows.indices[start:end]
        coefs = eq_rows.data[start:end]
        width = _single_relation_width(coefs, locals_, target, problem.lower, problem.upper)
        candidates = [int(v) for v in locals_
                      if v != target and result.status[units[v]] == PUBLISHED and result.truth[units[v]] > 0]
        if candidates:
            options.append((width, min(local_cost[v] for v in candidates), candidates))
    if not options:
        return None
    tight = [option for option in options if option[0] < level] or sorted(options, key=lambda o: o[0])[:1]
    _, _, candidates = min(tight, key=lambda option: option[1])
    return [min(candidates, key=lambda v: local_cost[v])]


def _deviation_complements(
    problem: BlockProblem, target: int, lower: float, upper: float, level: float, local_cost: np.ndarray,
) -> list[int]:
    """Cheapest set of published cells whose suppression lets the target move a full protection level.

    LP: let published cells leave their rounding intervals at a cost per unit of departure (their information
    value) and ask for a point of the reader's system with the target at lower + level (or upper - level); the
    cells that had to move are the complements. Suppressing them makes that point feasible for the reader.
    """
    published = np.flatnonzero(np.isfinite(problem.upper) & ~np.isin(np.arange(problem.n), problem.targets))
    n, k = problem.n, published.size
    best: tuple[float, list[int]] | None = None
    goals = [(lower + level, 1.0)] + ([(upper - level, -1.0)] if upper - level >= 0 else [])
    for goal, direction in goals:
        bounds_x = np.column_stack([np.zeros(n), np.full(n, np.inf)])
        suppressed = np.isin(np.arange(n), problem.targets)
        bounds_x[suppressed, 0] = problem.lower[suppressed]
        bounds_x[suppressed, 1] = problem.upper[suppressed]
        if direction > 0:
            bounds_x[target, 0] = max(bounds_x[target, 0], goal)
        else:
            bounds_x[target, 1] = min(bounds_x[target, 1], goal)
        select = csr_matrix((np.ones(k), (np.arange(k), published)), shape=(k, n))
        identity = csr_matrix((np.ones(k), (np.arange(k), np.arange(k))), shape=(k, k))
        zeros = csr_matrix((k, k))
        a_ub_parts = [
            hstack([select, -identity, zeros]),   # x - s_up <= high
            hstack([-select, zeros, -identity]),  # -x - s_down <= -low
        ]
        b_ub_parts = [problem.upper[published], -problem.lower[published]]
        if problem.a_ub.shape[0]:
            a_ub_parts.insert(0, hstack([problem.a_ub, csr_matrix((problem.a_ub.shape[0], 2 * k))]))
            b_ub_parts.insert(0, problem.b_ub)
        a_ub = vstack(a_ub_parts).tocsr()
        b_ub = np.concatenate(b_ub_parts)
        a_eq = hstack([problem.a_eq, csr_matrix((problem.a_eq.shape[0], 2 * k))]).tocsr() if problem.a_eq.shape[0] \
            else None
        objective = np.concatenate([np.zeros(n), local_cost[published], local_cost[published]])
        bounds = np.vstack([bounds_x, np.column_stack([np.zeros(2 * k), np.full(2 * k, np.inf)])])
        outcome = linprog(objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=problem.b_eq if a_eq is not None else None,
                          bounds=bounds, method="highs")
        if outcome.status != 0:
            continue
        moved = (outcome.x[n:n + k] + outcome.x[n + k:]) > 1e-6
        chosen = [int(v) for v in published[moved]]
        cost = float(local_cost[chosen].sum()) if chosen else 0.0
        if chosen and (best is None or cost < best[0]):
            best = (cost, chosen)
    return best[1] if best else []
