"""Primary and secondary suppression of count cells, proven by the attacker before anything is published.

Per block of linked units (metrics.disclosure.relations), independently (in worker processes when large):
  1. primary: counts 1..threshold-1 are suppressed; so is a zero numerator of a percentage whose group
     (denominator) has 1 .. class_disclosure_min_group - 1 units ("class disclosure": a published 0 would say
     something about everyone in a small group; config/disclosure.toml).
  2. cheap attack: bound propagation alone pins some suppressed cells down narrower than the protection level;
     each that ONE relation pins down on its own gets a complement, repeated until propagation finds none.
  3. full attack: the reader's interval of every suppressed unit by LP (metrics.disclosure.attack), with the
     assumptions of docs/disclosure.md.
  4. every suppressed unit narrower than the protection level gets a complement: in the cheapest relation that
     alone pins it down, the published cell that loses least information (the smallest non-zero cell; interior
     cells before totals; zeros never). Units narrow only through a chain wait while other units get complements
     (those often free them); when nothing else was done in a round, each gets the cheapest set of published
     cells whose suppression lets it move a full protection level, found by LP ("deviation LP").
  5. repeat 2-4 until the attack fails on every suppressed unit of the block.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy.sparse import csr_matrix, hstack, vstack

from data_access.config import DisclosurePolicy
from metrics.disclosure.attack import (
    AttackInfeasible,
    BlockProblem,
    Intervals,
    WarmLP,
    Witnesses,
    attack_block,
    checked_points,
    feasible_point,
    propagate_bounds,
)
from metrics.disclosure.blocks import (
    CLASS_ZERO,
    PRIMARY,
    PUBLISHED,
    SECONDARY,
    STATUS_NAMES,
    Block,
    Row,
    assemble_problem,
    percent_knowledge,
    reader_bounds,
    split_blocks,
)
from metrics.disclosure.certificate import WitnessCertificate, empty_certificate
from metrics.disclosure.history import History, block_anchor, joint_counts, joint_decisions, merged_decisions
from metrics.disclosure.parallel import run_blocks, worker_count
from metrics.disclosure.primary import round_count
from metrics.disclosure.relations import (
    ALL,
    ALL_PERIODS,
    KEY_COLUMNS,
    POOLED_PERIOD,
    Structure,
    TableKnowledge,
    build_structure,
    drop_relations,
    merge_units,
    relation_residuals,
    unit_values_from_cells,
)

__all__ = ["CLASS_ZERO", "PRIMARY", "PUBLISHED", "SECONDARY", "STATUS_NAMES", "CountProtection", "ProtectionError",
           "percent_pairs", "primary_status", "protect_counts"]

_ZERO_COST = 1e6


class ProtectionError(RuntimeError):
    """Secondary suppression could not make a block safe (should not happen; names the cells)."""


@dataclass
class CountProtection:
    """The decisions for every count unit, and how they were reached. Holds true values: never publish this."""

    structure: Structure
    truth: np.ndarray
    status: np.ndarray
    percent_pairs: pl.DataFrame  # key columns, statistic, numerator, denominator, num_unit, den_unit
    policy: DisclosurePolicy
    knowledge: TableKnowledge
    rounds: dict[int, int] = field(default_factory=dict)
    lp_solves: int = 0
    milp_solves: int = 0
    final_intervals: dict[int, tuple[np.ndarray, Intervals]] = field(default_factory=dict)
    certificate: WitnessCertificate = field(default_factory=empty_certificate)  # for the gate (joint systems only)

    def published_values(self) -> np.ndarray:
        """Rounded value per unit; nan where suppressed."""
        return _published_values(self.truth, self.status, self.policy)

    def percent_publishable(self, pairs: pl.DataFrame | None = None) -> np.ndarray:
        """Per percent pair: both counts published and the percentage rule holds on the true counts."""
        pairs = self.percent_pairs if pairs is None else pairs
        return _publishable(self.truth, self.status, pairs["num_unit"].to_numpy(), pairs["den_unit"].to_numpy(),
                            self.policy)


def _published_values(truth: np.ndarray, status: np.ndarray, policy: DisclosurePolicy) -> np.ndarray:
    rounded = round_count(truth.astype(np.int64), policy).astype(np.float64)
    return np.where(status == PUBLISHED, rounded, np.nan)


def _publishable(truth: np.ndarray, status: np.ndarray, num: np.ndarray, den: np.ndarray,
                 policy: DisclosurePolicy) -> np.ndarray:
    m = policy.percentage_min_each_side
    x, n = truth[num], truth[den]
    return (status[num] == PUBLISHED) & (status[den] == PUBLISHED) & (n > 0) & (x >= m) & (n - x >= m)


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
    residuals = relation_residuals(structure, truth).filter(pl.col("residual").is_not_nan())  # NaN: truth not kept
    broken = residuals.filter(
        ((pl.col("kind") == "eq") & (pl.col("residual").abs() > 1e-9))
        | ((pl.col("kind") == "le") & (pl.col("residual") > 1e-9))
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
        group_limit = policy.class_disclosure_min_group
        class_zero = (truth[num] == 0) & (truth[den] >= 1) & (truth[den] < group_limit)
        status[num[class_zero]] = CLASS_ZERO
    return status


def _costs(structure: Structure, truth: np.ndarray, area_name: str) -> np.ndarray:
    """Information lost by suppressing each unit: its size, doubled for each total it is (locality, category,
    period), so small interior cells go first; zeros last (a zero complement protects little)."""
    units = structure.units
    totals = (
        (units["locality"] == area_name).cast(pl.Int64)
        + (units["category"] == ALL).cast(pl.Int64)
        + (~units["period"].str.contains(" Q", literal=True)).cast(pl.Int64)
        + (units["period"] == ALL_PERIODS).cast(pl.Int64)
        + units["period"].str.contains(POOLED_PERIOD).cast(pl.Int64)  # a pooled period is a total of its years
    ).to_numpy()
    cost = (truth + 1.0) * (2.0 ** totals)
    return np.where(truth == 0, _ZERO_COST, cost)


def _coordinates(structure: Structure) -> np.ndarray:
    """Integer codes of each unit's locality, period and category (the table dimensions) for the witness search."""
    columns = []
    for name in ("locality", "period", "category"):
        _, codes = np.unique(structure.units[name].to_numpy(), return_inverse=True)
        columns.append(codes)
    return np.column_stack(columns)


@dataclass
class BlockJob:
    """Everything one block's protection needs, in block-local indices (numpy/scipy only: sent to workers).

    With earlier editions (metrics.disclosure.history) a block also holds their cells: `fixed` units never change
    status and are never complements; `known` units (earlier editions') have the reader bounds `low`/`high`
    instead of bounds from their truth; `extra` rows are what earlier percentages say; `level` is per unit; and
    `anchor` is a point of the reader's system (the truth, or None: found by LP when the truth is not one).
    """

    block: Block
    truth: np.ndarray
    status: np.ndarray
    num: np.ndarray
    den: np.ndarray
    cost: np.ndarray
    coordinates: np.ndarray
    policy: DisclosurePolicy
    secondary: bool
    integer: bool
    max_rounds: int
    level: np.ndarray
    fixed: np.ndarray
    known: np.ndarray
    low: np.ndarray
    high: np.ndarray
    extra: list[Row] = field(default_factory=list)
    anchor: np.ndarray | None = None
    keep_points: bool = False  # return the witness points that prove the final pattern (a certificate)


@dataclass
class BlockOutcome:
    block_id: int
    status: np.ndarray
    rounds: int
    lp_solves: int
    milp_solves: int
    targets: np.ndarray
    intervals: Intervals | None
    error: str | None = None
    stuck: np.ndarray | None = None
    points: np.ndarray | None = None  # with keep_points: witness points proving the targets, points x block units


def protect_counts(
    cells: pl.DataFrame,
    percent_specs: Iterable,
    policy: DisclosurePolicy,
    *,
    knowledge: TableKnowledge,
    secondary: bool = True,
    integer: bool = False,
    max_rounds: int = 200,
    workers: int | None = None,
    history: History | None = None,
) -> CountProtection:
    """Primary + secondary suppression of the count cells (true values in `true_value`), proven by the attack.

    workers: processes for independent blocks (None: FAMILIES_DISCLOSURE_WORKERS or the CPU count, capped at 4,
    and 1 for small publications).
    history: the earlier editions a reader may hold: the cells are then protected in the joint system with theirs
    (metrics.disclosure.history), so that no hidden cell of any edition can be narrowed by combining them.
    """
    specs = tuple(percent_specs)
    knowledge = knowledge.with_percent_orderings(specs)
    counts = cells.filter(pl.col("kind") == "count") if "kind" in cells.columns else cells
    if counts.height and counts["true_value"].min() < 0:
        raise ValueError("true counts must be >= 0")
    joint = joint_counts(counts, knowledge, history) if history and history.earlier else None
    system = joint.counts if joint is not None else counts
    structure = build_structure(system.select(KEY_COLUMNS), joint.knowledge if joint is not None else knowledge)
    truth = unit_values_from_cells(structure, system["true_value"].cast(pl.Float64).to_numpy())
    structure = _validate_on_truth(structure, truth)
    new_cell_unit = structure.cell_unit[:counts.height]
    pairs = percent_pairs(counts, new_cell_unit, specs).unique(["num_unit", "den_unit"], maintain_order=True
                                                               ).sort("num_unit", "den_unit")  # canonical
    status = primary_status(np.nan_to_num(truth), pairs, policy)
    decisions = None
    if joint is not None:
        decisions = joint_decisions(joint, structure, truth, status, policy, history)
        structure, merged = merge_units(structure, decisions.links)
        decisions, truth = merged_decisions(decisions, merged, truth, policy)
        status = decisions.status
        new_cell_unit = merged[new_cell_unit]
        pairs = pairs.with_columns(num_unit=pl.Series(merged[pairs["num_unit"].to_numpy()], dtype=pl.Int64),
                                   den_unit=pl.Series(merged[pairs["den_unit"].to_numpy()], dtype=pl.Int64)
                                   ).unique(["num_unit", "den_unit"], maintain_order=True).sort("num_unit", "den_unit")
    n = structure.n_units
    fixed = decisions.fixed if decisions else np.zeros(n, dtype=bool)
    known = decisions.earlier if decisions else np.zeros(n, dtype=bool)
    low = decisions.low if decisions else np.full(n, np.nan)
    high = decisions.high if decisions else np.full(n, np.nan)
    level = decisions.level if decisions else np.full(n, float(policy.protection_level))
    extra = _extra_by_block(decisions.extra if decisions else [], structure.block_of_units())
    result_structure = Structure(new_cell_unit, structure.units, structure.terms, structure.relations)
    result = CountProtection(result_structure, np.nan_to_num(truth), status, pairs, policy, knowledge)
    cost = _costs(structure, np.nan_to_num(truth), knowledge.area_name)
    coordinates = _coordinates(structure)
    block_of = structure.block_of_units()
    num_all, den_all = pairs["num_unit"].to_numpy(), pairs["den_unit"].to_numpy()
    pair_block = block_of[num_all] if pairs.height else np.zeros(0, dtype=np.int64)
    jobs = []
    for block_id, block in split_blocks(structure).items():
        units = block.units
        if fixed[units].all() or not np.any(status[units] != PUBLISHED):
            # Nothing hidden, or nothing to decide: every cell is an earlier edition's or linked to one (a block of
            # periods that ended before the last edition, untouched by late records). Its attack could only confirm
            # the pattern or find it unsafe with no cell left to hide; publish's joint audit (the gate) checks it.
            result.rounds[block_id] = 0
            continue
        position = np.full(n, -1)
        position[units] = np.arange(units.size)
        in_block = pair_block == block_id
        block_extra = [({int(position[u]): c for u, c in coefs.items()}, rhs) for coefs, rhs in extra.get(block_id, [])]
        anchor = block_anchor(truth, units, block.eq, block.eq_rhs, block.le, block.le_rhs)
        jobs.append(BlockJob(block, np.nan_to_num(truth[units]), status[units].copy(), position[num_all[in_block]],
                             position[den_all[in_block]], cost[units], coordinates[units], policy, secondary,
                             integer, max_rounds, level[units], fixed[units], known[units], low[units], high[units],
                             block_extra, anchor, keep_points=joint is not None))
    certified = []
    for job, outcome in zip(jobs, _run(jobs, workers, structure.n_units), strict=True):
        units = job.block.units
        if outcome.error:
            stuck = units[outcome.stuck] if outcome.stuck is not None else units[:0]
            example = structure.units.filter(pl.col("unit_id").is_in(stuck.tolist())).head(5).to_dicts()
            raise ProtectionError(f"{outcome.error}, e.g. {example}")
        result.status[units] = outcome.status
        result.rounds[outcome.block_id] = outcome.rounds
        result.lp_solves += outcome.lp_solves
        result.milp_solves += outcome.milp_solves
        if outcome.intervals is not None:
            result.final_intervals[outcome.block_id] = (units[outcome.targets], outcome.intervals)
        if outcome.points is not None:
            certified.append((units, outcome.points))
    if joint is not None:
        result.certificate = WitnessCertificate.from_blocks(system.select(KEY_COLUMNS), structure.cell_unit, certified)
    return result


def _extra_by_block(rows: list[Row], block_of: np.ndarray) -> dict[int, list[Row]]:
    grouped: dict[int, list[Row]] = {}
    for coefs, rhs in rows:
        grouped.setdefault(int(block_of[next(iter(coefs))]), []).append((coefs, rhs))
    return grouped


def _run(jobs: list[BlockJob], workers: int | None, n_units: int) -> list[BlockOutcome]:
    count = worker_count(workers, n_units, len(jobs))
    return run_blocks(protect_block, jobs, [job.block.units.size for job in jobs], count)


def _block_problem(job: BlockJob) -> tuple[BlockProblem, np.ndarray, np.ndarray]:
    """The reader's system for the block under the current decisions."""
    published = _published_values(job.truth, job.status, job.policy)
    low, high = reader_bounds(job.status, published, job.policy)
    low[job.known], high[job.known] = job.low[job.known], job.high[job.known]
    shown = _publishable(job.truth, job.status, job.num, job.den, job.policy)
    extra = percent_knowledge(job.num, job.den, shown, low, high, job.status, job.policy) + job.extra
    return assemble_problem(job.block, low, high, extra, job.status != PUBLISHED, local=True), low, high


def protect_block(job: BlockJob) -> BlockOutcome:
    """Suppress complements in one block until the attack fails on every suppressed unit (numpy/scipy only)."""
    eq_by_column = job.block.eq.tocsc()
    unsafe_rounds: dict[int, int] = {}
    witnesses = Witnesses.empty(job.truth.size, keep_points=job.keep_points)
    lp_solves = milp_solves = 0
    anchor = job.anchor
    if anchor is None:
        try:  # a point of the reader's system; it stays one as more cells are hidden (hiding only removes bounds)
            anchor = feasible_point(_block_problem(job)[0])
        except AttackInfeasible:
            return BlockOutcome(job.block.block_id, job.status, 0, 0, 0, np.zeros(0, int), None,
                                "the editions contradict what a reader assumes about counts that cannot change "
                                "(a frozen count changed: late records?)", np.flatnonzero(job.known)[:5])
    # Points the deviation LPs found: each is a possible truth once its complements are hidden (hiding only removes
    # knowledge), so the next round's attack starts with them as witnesses, checked against its system first.
    found_points: list[np.ndarray] = []
    for round_number in range(1, job.max_rounds + 1):
        if job.secondary:
            _propagation_rounds(job, eq_by_column, anchor)
        problem, _, _ = _block_problem(job)
        _carry_points(problem, found_points, witnesses, job.integer)
        level = job.level[problem.targets]
        intervals = attack_block(problem, job.level, truth=anchor, witnesses=witnesses, integer=job.integer,
                                 coordinates=job.coordinates, seed=job.block.block_id + round_number)
        lp_solves += intervals.lp_solves
        milp_solves += intervals.milp_solves
        unsafe_positions = np.flatnonzero(intervals.width < level)
        if unsafe_positions.size == 0 or not job.secondary:
            points = witnesses.certificate_points(problem.targets) if job.keep_points else None
            return BlockOutcome(job.block.block_id, job.status, round_number, lp_solves, milp_solves,
                                problem.targets, intervals, points=points)
        touched: set[int] = set()
        added = 0
        deferred: list[tuple[int, int, set[int]]] = []

        def suppress(complements: list[int] | None, rows: set[int]) -> None:
            nonlocal added, touched
            for local in complements or ():
                job.status[local] = SECONDARY
                added += 1
                touched |= {int(r) for r in eq_by_column[:, local].nonzero()[0]}
            touched |= rows

        for position in unsafe_positions:
            target = int(problem.targets[position])
            rows = {int(r) for r in eq_by_column[:, target].nonzero()[0]}
            if rows & touched:
                continue
            unsafe_rounds[target] = unsafe_rounds.get(target, 0) + 1
            complements = None
            if unsafe_rounds[target] <= 2:
                complements = _local_complement(target, rows, job.block.eq, problem, job, float(level[position]))
            if complements is None:
                deferred.append((int(position), target, rows))
                continue
            suppress(complements, rows)
        # Cells no single relation pins down are often narrow only through another unsafe cell (an ordering, a
        # chain of sums): once that one has its complement they may be safe. Only when nothing else could be done
        # this round does each get the (costlier) deviation LP.
        if added == 0:
            deviation = None
            for position, target, rows in deferred:
                if rows & touched:
                    continue
                deviation = deviation or _DeviationModel(problem, job.cost, job.fixed)
                complements, solves, point = deviation.complements(target, intervals.lower[position],
                                                                   intervals.upper[position], float(level[position]))
                lp_solves += solves
                suppress(complements, rows)
                if point is not None:
                    found_points.append(point)
        if added == 0:
            return BlockOutcome(job.block.block_id, job.status, round_number, lp_solves, milp_solves,
                                problem.targets, intervals, "no complement can protect some cells",
                                problem.targets[unsafe_positions])
    return BlockOutcome(job.block.block_id, job.status, job.max_rounds, lp_solves, milp_solves, np.zeros(0, int),
                        None, f"still unsafe after {job.max_rounds} rounds")


def _carry_points(problem: BlockProblem, points: list[np.ndarray], witnesses: Witnesses, integer: bool) -> None:
    """Absorb the points the last round's deviation LPs found as witnesses of this round's system: each was a point
    of the reader's system with its complements hidden, and this round hides those and maybe more (hiding only
    removes knowledge). Checked by substitution first (attack.checked_points): a point that fails proves nothing and
    is dropped, so a wrong point can cost an LP but never prove a cell wide. Empties `points`."""
    if points:
        for point in checked_points(problem, np.stack(points), integer=integer):
            witnesses.absorb(point)
        points.clear()


def _propagation_rounds(job: BlockJob, eq_by_column, anchor: np.ndarray, max_rounds: int = 30) -> None:
    """Complements for cells that bound propagation alone pins down narrower than the level (no LP needed)."""
    for _ in range(max_rounds):
        problem, _, _ = _block_problem(job)
        rows = vstack([problem.a_ub, problem.a_eq, -problem.a_eq]).tocsr()
        rhs = np.concatenate([problem.b_ub, problem.b_eq, -problem.b_eq])
        low, high = propagate_bounds(rows, rhs, problem.lower, problem.upper)
        narrow = problem.targets[high[problem.targets] - low[problem.targets] < job.level[problem.targets]]
        touched: set[int] = set()
        added = 0
        for target in narrow:
            relation_rows = {int(r) for r in eq_by_column[:, int(target)].nonzero()[0]}
            if relation_rows & touched:
                continue
            for local in _local_complement(int(target), relation_rows, job.block.eq, problem, job,
                                           float(job.level[target])) or ():
                job.status[local] = SECONDARY
                added += 1
                touched |= {int(r) for r in eq_by_column[:, local].nonzero()[0]}
            touched |= relation_rows
        if added == 0:
            return


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


def _local_complement(
    target: int, rows: set[int], eq_rows: csr_matrix, problem: BlockProblem, job: BlockJob, level: float,
) -> list[int] | None:
    """The cheapest non-zero published cell in an equation that alone pins the target down narrower than the level
    (the cheapest such equation); None when no equation does so on its own. Fixed cells (earlier editions', and
    new ones linked to them) are never candidates."""
    options = []
    for row in sorted(rows):  # a fixed order: ties between equally cheap relations go the same way every run
        start, end = eq_rows.indptr[row], eq_rows.indptr[row + 1]
        locals_ = eq_rows.indices[start:end]
        coefs = eq_rows.data[start:end]
        width = _single_relation_width(coefs, locals_, target, problem.lower, problem.upper)
        candidates = [int(v) for v in locals_
                      if v != target and job.status[v] == PUBLISHED and job.truth[v] > 0 and not job.fixed[v]]
        if candidates:
            options.append((width, min(job.cost[v] for v in candidates), candidates))
    tight = [option for option in options if option[0] < level]
    if not tight:
        # No single relation pins the target down: it is narrow through a chain (e.g. an ordering with another
        # narrow cell). A complement here would be wasted (often a large total); let that cell be fixed first,
        # or the deviation LP find the cells that really have to move.
        return None
    _, _, candidates = min(tight, key=lambda option: option[1])
    return [min(candidates, key=lambda v: job.cost[v])]


class _DeviationModel:
    """The deviation LP of one round's reader system over the whole block, kept in HiGHS for every target of the
    round: the cheapest set of published cells whose suppression lets a target move a full protection level.

    Published cells may leave their rounding intervals at a cost per unit of departure (their information value);
    for a target the LP asks for a point of the reader's system with the target at lower + level (or upper - level),
    and the cells that had to move are the complements: suppressing them makes that point feasible for the reader.
    Fixed cells (earlier editions', and new ones linked to them) cannot move. Variables: the cells x, then for each
    published cell its departure above (s_up) and below (s_down) its rounding interval, which enter every relation
    the cell is in. Between goals and targets
    only the target's bounds change, so each solve starts from the last optimal basis (a few dual simplex pivots)
    instead of building and solving a fresh model per target.
    A departure below a cell's interval stops at 0 (s_down is at most the interval's lower end): a count cannot be
    negative. Without that cap the LP could "move" a published zero below 0 and return it as a complement that
    frees nothing; in a refresh, where earlier editions' cells are fixed, such a zero can be pinned for good (a
    quarter's count under a fixed yearly zero) and protection then stopped with no complement left to find.
    """

    def __init__(self, problem: BlockProblem, local_cost: np.ndarray, fixed: np.ndarray) -> None:
        n = problem.n
        held = np.isin(np.arange(n), problem.targets) | fixed
        published = np.flatnonzero(np.isfinite(problem.upper) & ~held)
        k = published.size

        def widened(matrix: csr_matrix) -> csr_matrix:
            # A published cell's value is x + s_up - s_down with x within its rounding interval: the departures
            # are copies of its column (no extra rows, so the basis stays the size of the reader's system).
            columns = matrix.tocsc()[:, published]
            return hstack([matrix, columns, -columns]).tocsr()

        self.low = np.concatenate([problem.lower, np.zeros(2 * k)])
        # A cell may rise without limit but fall only to 0: s_down up to the lower end of its rounding interval.
        self.high = np.concatenate([problem.upper, np.full(k, np.inf), problem.lower[published]])
        # Without presolve, measured: HiGHS presolves only the first solve (later ones start from the last basis
        # either way), but the later solves then took a third fewer pivots. On the demo's 12 largest blocks the
        # warm deviation LPs took 16.8 s CPU instead of 32.8 s (the same 427 solves); on a refresh's 12 largest
        # joint blocks 18.0 s instead of 19.8 s (2026-11-30).
        self.model = WarmLP(widened(problem.a_eq), problem.b_eq, widened(problem.a_ub), problem.b_ub, self.low,
                            self.high, presolve=False)
        self.objective = np.concatenate([np.zeros(n), local_cost[published], local_cost[published]])
        self.n, self.k, self.published, self.cost = n, k, published, local_cost

    def complements(self, target: int, lower: float, upper: float, level: float
                    ) -> tuple[list[int], int, np.ndarray | None]:
        """(the cheaper of the sets that let the target reach lower + level or upper - level, LPs solved, the point
        the LP found for it: every cell's value, departures included, a point of the reader's system once that set
        is hidden)."""
        n, k = self.n, self.k
        best: tuple[float, list[int], np.ndarray] | None = None
        goals = [(lower + level, 1.0)] + ([(upper - level, -1.0)] if upper - level >= 0 else [])
        for goal, direction in goals:
            bounds = np.column_stack([self.low, self.high])
            if direction > 0:
                bounds[target, 0] = max(bounds[target, 0], goal)
            else:
                bounds[target, 1] = min(bounds[target, 1], goal)
            if bounds[target, 0] > bounds[target, 1]:
                continue
            _, solution, status = self.model.solve(self.objective, bounds)
            if status != "optimal" or solution is None:
                continue
            moved = (solution[n:n + k] + solution[n + k:]) > 1e-6
            chosen = [int(v) for v in self.published[moved]]
            cost = float(self.cost[chosen].sum()) if chosen else 0.0
            if chosen and (best is None or cost < best[0]):
                point = solution[:n].copy()
                point[self.published] += solution[n:n + k] - solution[n + k:]
                best = (cost, chosen, point)
        return (best[1], len(goals), best[2]) if best else ([], len(goals), None)
