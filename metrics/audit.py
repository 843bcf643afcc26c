"""The attacker: from the published tables ALONE, how narrowly can a reader pin down each suppressed cell?

    python -m metrics.audit --published DIR/published.csv      (or --db URL for the published database)
    python -m metrics.audit --published NEW.csv --previous OLD.csv [--previous-as-of YYYY-MM-DD]   (a refresh)

Reads only what a reader gets (the tidy long format of docs/published-tables.md) and builds every linear relation
a reader knows (metrics.disclosure.relations): localities sum to the area, categories to All, quarters to years,
stocks and flows, orderings between statistics; each published count is within its rounding interval (a reader
knows the policy); a suppressed cell is at least 0 and otherwise unknown; a published percentage says both sides
have at least percentage_min_each_side units, and a [c] percentage beside two published counts says one side has
fewer. For every suppressed count cell the reader's interval is computed by LP (metrics.disclosure.attack), and
derived rows (percentages, intervals, maximum errors, cohort maturity, comparisons, trends) are recomputed from the
published counts (with the same functions the publish step uses, metrics.comparisons and friends): a derived
value that does not follow from the published counts may carry the true counts, so it is reported and, for a
percentage, used by the attacker as a constraint on the true counts.
The audit fails (AuditFailure; exit status 1) when any interval is narrower than the protection level or any
derived value is not reproducible. docs/disclosure.md states the assumptions exactly.
With --previous (audit_refresh) the reader also kept an earlier publication: both are attacked together, counts
that cannot have changed in between (metrics.disclosure.refresh) being one value in both.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from data_access.config import DisclosurePolicy, load_publish_settings
from metrics import stats
from metrics.comparisons import comparison_labels, polarity_column, statistic_polarity, trend_series_labels
from metrics.disclosure.attack import (
    EXACT,
    PROVEN_NARROW,
    PROVEN_WIDE,
    AttackInfeasible,
    BlockProblem,
    Intervals,
    Witnesses,
    attack_block,
    checked_points,
    narrow_by_propagation,
)
from metrics.disclosure.blocks import PUBLISHED, SECONDARY, assemble_problem, percent_knowledge, split_blocks
from metrics.disclosure.certificate import WitnessCertificate, candidate_points
from metrics.disclosure.parallel import run_blocks, worker_count
from metrics.disclosure.primary import CONFIDENTIAL, published_count_bounds
from metrics.disclosure.publication import PUBLISHED_COLUMNS
from metrics.disclosure.refresh import (
    EarlierEdition,
    count_states,
    frozen_links,
    infer_data_as_of,
    prefixed_knowledge,
)
from metrics.disclosure.relations import KEY_COLUMNS, TableKnowledge, build_structure, merge_units
from metrics.headline import check_needs_overview
from metrics.maturity import check_cohort_maturity, period_statuses, status_lookup
from metrics.reliability import max_error_problems

PLACE = ["table", "measure", "locality", "period", "breakdown", "category"]
PROOF_NAMES = {EXACT: "exact", PROVEN_WIDE: "at least this wide", PROVEN_NARROW: "at most this wide"}
_PERCENT_TOLERANCE = 0.051  # percentages are published to 1 dp


class AuditFailure(AssertionError):
    """The attack succeeded somewhere: `cells` lists the cells pinned down too narrowly, `derived` the leaks."""

    def __init__(self, message: str, cells: pl.DataFrame, derived: pl.DataFrame) -> None:
        super().__init__(message)
        self.cells = cells
        self.derived = derived


@dataclass
class AuditReport:
    """cells: one row per suppressed count cell with the reader's interval (lower, upper, width, proof, safe).

    derived: derived rows not reproducible from the published counts. inconsistent: blocks whose published values
    contradict the relations (cannot be attacked as published; listed so they are looked at).
    """

    cells: pl.DataFrame
    derived: pl.DataFrame
    inconsistent: pl.DataFrame
    protection_level: float
    lp_solves: int
    seconds: float
    complete: bool = True  # False: a gate that stopped at the first blocks proven unsafe (cells lists those only)

    @property
    def unsafe(self) -> pl.DataFrame:
        return self.cells.filter(~pl.col("safe"))

    @property
    def ok(self) -> bool:
        return self.unsafe.height == 0 and self.derived.height == 0 and self.inconsistent.height == 0

    def table_summary(self, published: pl.DataFrame) -> pl.DataFrame:
        """Per table: suppressed cells, information lost, unsafe cells, narrowest proven widths."""
        summary = suppression_summary(published)
        attacked = self.cells.group_by("table").agg(
            unsafe_cells=(~pl.col("safe")).sum(),
            narrowest_width=pl.col("width").min(),
            cells_at_narrowest=(pl.col("width") == pl.col("width").min()).sum(),
        )
        return summary.join(attacked, on="table", how="left").with_columns(
            pl.col("unsafe_cells").fill_null(0)
        ).sort("table")


def read_published_csv(path: Path | str) -> pl.DataFrame:
    schema = {name: (pl.Float64 if name == "value" else pl.String) for name in PUBLISHED_COLUMNS}
    return pl.read_csv(path, schema_overrides=schema, infer_schema_length=0).select(
        [pl.col(name).cast(dtype) for name, dtype in schema.items()]
    )


def read_published_db(url: str) -> pl.DataFrame:
    """Every published row of the publication at `url` (a published-tier database), in publication order."""
    from data_access.engine import make_engine
    from data_access.published_reads import read_all_published

    engine = make_engine(url, published=True)
    try:
        return read_all_published(engine)
    finally:
        engine.dispose()


def suppression_summary(published: pl.DataFrame) -> pl.DataFrame:
    """Per table, from the published rows: count cells, [c] cells and share lost; percentages and share lost.

    Which [c] cells are primary and which are complements is not in the published data by design (it would tell
    a reader which cells are small); ProtectedPublication.summary from the publish step has that split.
    """
    counts = published.filter(pl.col("kind") == "count").group_by("table").agg(
        count_cells=pl.len(), count_cells_suppressed=(pl.col("symbol") == CONFIDENTIAL).sum()
    )
    percents = published.filter(pl.col("kind") == "percent").group_by("table").agg(
        percent_cells=pl.len(), percent_cells_suppressed=(pl.col("symbol") == CONFIDENTIAL).sum()
    )
    return counts.join(percents, on="table", how="full", coalesce=True).with_columns(
        pl.col("count_cells", "count_cells_suppressed", "percent_cells", "percent_cells_suppressed").fill_null(0)
    ).with_columns(
        share_counts_lost=(pl.col("count_cells_suppressed") / pl.col("count_cells")).round(4),
        share_percents_lost=pl.when(pl.col("percent_cells") > 0)
        .then((pl.col("percent_cells_suppressed") / pl.col("percent_cells")).round(4)),
    ).sort("table")


def _percent_specs(published: pl.DataFrame) -> pl.DataFrame:
    return published.filter(pl.col("kind") == "percent", pl.col("numerator").is_not_null(),
                            pl.col("denominator").is_not_null()).select(
        "table", "statistic", "numerator", "denominator").unique(maintain_order=True)


@dataclass(frozen=True)
class _Spec:
    table: str
    statistic: str
    numerator: str
    denominator: str


def audit_published(
    published: pl.DataFrame,
    policy: DisclosurePolicy,
    *,
    knowledge: TableKnowledge,
    exact: bool = False,
    integer: bool = False,
    workers: int | None = None,
) -> AuditReport:
    """Attack a publication from its published rows alone; see the module docstring.

    workers: processes for independent blocks (None: FAMILIES_DISCLOSURE_WORKERS or the CPU count up to 4, and 1
    for small publications).
    """
    part = _Part("", published, policy)
    return _audit([part], knowledge=knowledge, exact=exact, integer=integer, workers=workers)


@dataclass(frozen=True)
class _Part:
    """One edition in an attack: its tables renamed label + table, read under its own policy."""

    label: str
    rows: pl.DataFrame
    policy: DisclosurePolicy
    check_derived: bool = True


def _audit(
    parts: Sequence[_Part],
    *,
    knowledge: TableKnowledge,
    exact: bool,
    integer: bool,
    workers: int | None,
    links: Sequence[tuple[int, int, pl.DataFrame]] = (),
    only_blocks_of_first: bool = False,
    stop_at_first_unsafe: bool = False,
    certificate: WitnessCertificate | None = None,
) -> AuditReport:
    """Attack one or more editions together. parts[0] is the edition audited; later parts are earlier editions a
    reader also holds. links: (part a, part b, key columns) of count cells that are the same people in both.
    only_blocks_of_first: attack only blocks holding a cell of parts[0] (the others are earlier editions' alone,
    audited when those were published). certificate: points of the reader's system someone else found (the
    protection, metrics.disclosure.certificate); those that pass the check against this system are witnesses."""
    started = time.perf_counter()
    policy = parts[0].policy
    specs = {part.label: [_Spec(**row) for row in _percent_specs(part.rows).iter_rows(named=True)] for part in parts}
    base = knowledge.with_percent_orderings(specs[parts[0].label])
    labels = [part.label for part in parts[1:]]
    if labels:
        base = prefixed_knowledge(base, labels, {label: tuple((s.table, s.numerator, s.denominator)
                                                              for s in specs[label]) for label in labels})
    joint = pl.concat([part.rows.select(
        *PUBLISHED_COLUMNS, (pl.col("true_value") if "true_value" in part.rows.columns else pl.lit(None))
        .cast(pl.Float64).alias("_truth")).with_columns(
        table=pl.lit(part.label) + pl.col("table"), _edition=pl.lit(index, dtype=pl.Int64))
        for index, part in enumerate(parts)])
    counts = joint.filter(pl.col("kind") == "count")
    structure = build_structure(counts.select(KEY_COLUMNS), base)
    edition_of_cell = counts["_edition"].to_numpy()
    same = _linked_positions(counts, parts, links)
    if len(same):  # the same people in two editions: one unit (relations.merge_units), shown or hidden alike
        structure, _ = merge_units(structure, structure.cell_unit[same])
    cell_unit = structure.cell_unit
    suppressed_cell = (counts["symbol"] == CONFIDENTIAL).fill_null(False).to_numpy()
    value_cell = counts["value"].fill_null(np.nan).to_numpy()
    n = structure.n_units
    suppressed = np.zeros(n, dtype=bool)
    np.logical_or.at(suppressed, cell_unit, suppressed_cell)
    latest_first = np.argsort(-edition_of_cell, kind="stable")  # a unit's value: its audited edition's figure
    shown_in_order = latest_first[~suppressed_cell[latest_first]]
    values = np.full(n, np.nan)
    values[cell_unit[shown_in_order]] = value_cell[shown_in_order]
    disagree = _disagreeing_units(cell_unit, suppressed_cell, value_cell, values, edition_of_cell)
    edition_of_unit = np.full(n, len(parts), dtype=np.int64)  # the newest edition holding the unit
    np.minimum.at(edition_of_unit, cell_unit, edition_of_cell)
    truth = np.full(n, np.nan)  # the true counts the pipeline kept (NaN: none): only a starting point, see _anchor
    truth_cell = counts["_truth"].fill_null(np.nan).to_numpy()
    known_truth = latest_first[~np.isnan(truth_cell[latest_first])]
    truth[cell_unit[known_truth]] = truth_cell[known_truth]

    # Each edition's figures are read under the policy it was made with; a unit two editions published is known to
    # lie in both figures' intervals.
    cell_low, cell_high, cell_level = np.zeros(cell_unit.size), np.full(cell_unit.size, math.inf), np.zeros(
        cell_unit.size)
    for index, part in enumerate(parts):
        mine = (edition_of_cell == index) & ~suppressed_cell & ~np.isnan(value_cell)
        part_low, part_high = published_count_bounds(value_cell[mine], part.policy)
        cell_low[mine], cell_high[mine] = part_low, part_high
        cell_level[edition_of_cell == index] = part.policy.protection_level
    low, high, level = np.zeros(n), np.full(n, math.inf), np.zeros(n)
    np.maximum.at(low, cell_unit, cell_low)
    np.minimum.at(high, cell_unit, cell_high)
    np.maximum.at(level, cell_unit, cell_level)
    # A hidden unit is a target; the reader knows it lies in every interval it was shown with (a count one edition
    # hid and another showed is read off that figure, and the attack finds it so).
    missing = np.isnan(values) & ~suppressed  # a count with neither value nor [c] ([x], [z]): no knowledge
    low[missing], high[missing] = 0.0, math.inf
    status = np.where(suppressed | missing, SECONDARY, PUBLISHED)

    percent_rows = _percent_rows_with_units(joint, counts, cell_unit, values)
    problems, extra = [], []
    for index, part in enumerate(parts):
        part_percents = percent_rows.filter(pl.col("_edition") == index)
        if part.check_derived:
            derived, part_extra = _derived_checks(joint.filter(pl.col("_edition") == index).drop("_edition"),
                                                  part_percents, low, high, status, part.policy, base)
            problems.append(derived)
            extra.extend(part_extra)
        else:
            extra.extend(percent_knowledge(part_percents["num_unit"].to_numpy(), part_percents["den_unit"].to_numpy(),
                                           part_percents["value"].is_not_null().to_numpy(), low, high, status,
                                           part.policy))
    derived = pl.concat(problems) if problems else _no_problems()

    blocks = [block for block in split_blocks(structure).values() if suppressed[block.units].any()
              and (not only_blocks_of_first or (edition_of_unit[block.units] == 0).any())]
    certified = {}
    if certificate is not None and blocks:
        local_of_unit = np.zeros(n, dtype=np.int64)
        for block in blocks:
            local_of_unit[block.units] = np.arange(block.units.size)
        certified = certificate.values_by_block(counts.select(KEY_COLUMNS), cell_unit, structure.block_of_units(),
                                                local_of_unit)
    jobs = []
    for block in blocks:
        problem = assemble_problem(block, low, high, extra, suppressed)
        anchor = _anchor(problem, truth[block.units])
        points = None
        if block.block_id in certified:
            positions, values = certified[block.block_id]
            points = checked_points(problem, candidate_points(block.units.size, positions, values, anchor),
                                    integer=integer)
        jobs.append(_AttackJob(block.block_id, problem, level[block.units], exact, integer, anchor, points))
    complete = True
    outcomes = None
    if stop_at_first_unsafe and disagree.height:  # the same people shown in one edition and hidden in another
        jobs, outcomes, complete = [], [], False
    elif stop_at_first_unsafe:  # the cells propagation alone proves unsafe are reason enough to refuse: no LP
        found = [_narrow(job) for job in jobs]
        failing = [(job, outcome) for job, outcome in zip(jobs, found, strict=True)
                   if isinstance(outcome, str) or (outcome is not None and outcome[0].size)]
        if failing:
            complete = False
            jobs = [job for job, _ in failing]
            outcomes = [outcome for _, outcome in failing]
    if outcomes is None:
        count = worker_count(workers, n, len(jobs))
        outcomes = [(None, outcome) if not isinstance(outcome, str) else outcome
                    for outcome in run_blocks(_attack, jobs, [job.problem.n for job in jobs], count)]
    results = []
    inconsistent = []
    lp_solves = 0
    for job, outcome in zip(jobs, outcomes, strict=True):
        if isinstance(outcome, str):
            inconsistent.append({"block": int(job.block_id), "units": int(job.problem.n), "reason": outcome})
            continue
        positions, intervals = outcome
        targets = job.problem.targets if positions is None else job.problem.targets[positions]
        lp_solves += intervals.lp_solves + intervals.milp_solves
        results.append(pl.DataFrame({
            "unit_id": job.problem.unit_ids[targets].astype(np.int64),
            "lower": intervals.lower, "upper": intervals.upper, "proof": intervals.kind.astype(np.int64),
        }))
    unit_results = pl.concat(results) if results else pl.DataFrame(
        schema={"unit_id": pl.Int64, "lower": pl.Float64, "upper": pl.Float64, "proof": pl.Int64})
    cells = (
        counts.select(KEY_COLUMNS).with_columns(unit_id=pl.Series(cell_unit, dtype=pl.Int64),
                                                level=pl.Series(level[cell_unit]))
        .filter(pl.Series(suppressed_cell))
        .join(unit_results, on="unit_id", how="inner")
        .with_columns(width=pl.col("upper") - pl.col("lower"),
                      proof=pl.col("proof").replace_strict(PROOF_NAMES, return_dtype=pl.String))
        .with_columns(safe=pl.col("width") >= pl.col("level"))
        .drop("unit_id", "level")
        .sort("width", *KEY_COLUMNS)
    )
    if disagree.height:
        examples = counts[disagree["cell"].to_numpy()[:3]].select(KEY_COLUMNS).rows()
        inconsistent.append({"block": -1, "units": disagree.height,
                             "reason": "cells of the same set of units are published differently, e.g. "
                                       + "; ".join(" ".join(str(part) for part in key) for key in examples)})
    inconsistent_frame = pl.DataFrame(inconsistent, schema={"block": pl.Int64, "units": pl.Int64,
                                                            "reason": pl.String})
    return AuditReport(cells, derived, inconsistent_frame, policy.protection_level, lp_solves,
                       time.perf_counter() - started, complete)


def _no_problems() -> pl.DataFrame:
    return pl.DataFrame(schema={**{k: pl.String for k in KEY_COLUMNS}, "kind": pl.String, "problem": pl.String})


def _linked_positions(counts: pl.DataFrame, parts: Sequence[_Part],
                      links: Sequence[tuple[int, int, pl.DataFrame]]) -> np.ndarray:
    """Row positions (among the joint count rows) of each linked pair: k x 2."""
    positions = counts.select(*KEY_COLUMNS, "_edition").with_row_index("row")
    pairs = []
    for a, b, keys in links:
        def rows_of(index: int) -> pl.DataFrame:
            label = parts[index].label
            return positions.filter(pl.col("_edition") == index).with_columns(
                pl.col("table").str.strip_prefix(label)).unique(list(KEY_COLUMNS), keep="first", maintain_order=True)

        joined = keys.select(KEY_COLUMNS).join(rows_of(a), on=list(KEY_COLUMNS)).join(
            rows_of(b), on=list(KEY_COLUMNS), suffix="_other")
        pairs.append(joined.select("row", "row_other").to_numpy().astype(np.int64).reshape(-1, 2))
    return np.concatenate(pairs) if pairs else np.zeros((0, 2), dtype=np.int64)


PREVIOUS = "previous:"  # table-name prefix of the earlier publication's rows in a joint attack


def frozen_pairs(published: pl.DataFrame, previous: pl.DataFrame, previous_as_of: date | None = None
                 ) -> pl.DataFrame:
    """Count cells that are the same people in both publications (metrics.disclosure.refresh.frozen_links): key
    columns. previous_as_of: the earlier publication's data date (inferred from its periods when not given)."""
    as_of = previous_as_of or infer_data_as_of(previous)
    if as_of is None:
        return pl.DataFrame(schema={name: pl.String for name in KEY_COLUMNS})
    return frozen_links(count_states(published), count_states(previous), as_of)


def audit_refresh(
    published: pl.DataFrame,
    previous: pl.DataFrame,
    policy: DisclosurePolicy,
    *,
    knowledge: TableKnowledge,
    frozen: pl.DataFrame | None = None,
    previous_as_of: date | None = None,
    previous_policy: DisclosurePolicy | None = None,
    exact: bool = False,
    integer: bool = False,
    workers: int | None = None,
) -> AuditReport:
    """Attack two publications together: a reader who kept the earlier one and reads the current one.

    Every relation of both is known; the cells in `frozen` (key columns; default frozen_pairs) are the same
    people in both and so one value. The earlier publication's rows appear in the report with their table
    prefixed PREVIOUS. Fails like audit_published when any suppressed cell, in either, is narrower than the
    protection level.
    """
    frozen = frozen_pairs(published, previous, previous_as_of) if frozen is None else frozen.select(KEY_COLUMNS)
    parts = [_Part("", published, policy), _Part(PREVIOUS, previous, previous_policy or policy)]
    return _audit(parts, knowledge=knowledge, exact=exact, integer=integer, workers=workers, links=[(0, 1, frozen)])


def audit_editions(
    published: pl.DataFrame,
    earlier: Sequence[EarlierEdition],
    policy: DisclosurePolicy,
    data_as_of: date,
    *,
    knowledge: TableKnowledge,
    integer: bool = False,
    workers: int | None = None,
    stop_at_first_unsafe: bool = False,
    certificate: WitnessCertificate | None = None,
) -> AuditReport:
    """Attack a new edition together with every earlier edition a reader may hold (the publish step's gate).

    published and each earlier edition's rows may carry true_value (the true counts the pipeline keeps): the
    links between every two editions (metrics.disclosure.refresh.frozen_links, with their data dates) are then the
    frozen counts that truly did not change; without it, the reader's rule from the published figures.
    earlier: oldest first. Only blocks holding a cell of the new edition are attacked: a block of
    earlier editions alone is what was attacked when the latest of them was published. Derived rows are checked
    for the new edition.
    stop_at_first_unsafe: when bound propagation alone already proves some blocks fail (a cell pinned closer than
    the protection level, or figures that contradict the relations), attack only those and return an incomplete
    report (complete=False): enough to refuse an edition in seconds rather than minutes.
    certificate: the protection's witness points (CountProtection.certificate), checked here against this
    system before any counts as proof (metrics.disclosure.certificate): cells they prove wide need no LP.
    """
    parts = [_Part("", published, policy)] + [_Part(edition.label, edition.rows, edition.policy, check_derived=False)
                                              for edition in earlier]
    dates = [data_as_of] + [edition.data_as_of for edition in earlier]
    states = [count_states(part.rows) for part in parts]
    published_order = [len(parts)] + list(range(1, len(parts)))  # `earlier` is oldest first; the new one is last
    order = sorted(range(len(parts)), key=lambda index: (dates[index], published_order[index]))
    links = []
    for position, older in enumerate(order):
        for newer in order[position + 1:]:
            links.append((newer, older, frozen_links(states[newer], states[older], dates[older])))
    return _audit(parts, knowledge=knowledge, exact=False, integer=integer, workers=workers, links=links,
                  only_blocks_of_first=True, stop_at_first_unsafe=stop_at_first_unsafe, certificate=certificate)


@dataclass
class _AttackJob:
    block_id: int
    problem: BlockProblem
    level: np.ndarray
    exact: bool
    integer: bool
    anchor: np.ndarray | None = None
    witness_points: np.ndarray | None = None  # checked points of this block's system (a certificate's)


def _anchor(problem: BlockProblem, values: np.ndarray, tolerance: float = 1e-6) -> np.ndarray | None:
    """The kept true counts as a starting point for the witness search, only if they are a point of the reader's
    system (every bound and relation checked here): then the attack proves cells safe from it as from any other
    point it finds, and a publication whose figures do not follow from its true counts gets no help from them."""
    if values.size == 0 or not np.all(np.isfinite(values)):
        return None
    if np.any(values < problem.lower - tolerance) or np.any(values > problem.upper + tolerance):
        return None
    if problem.a_eq.shape[0] and np.any(np.abs(problem.a_eq @ values - problem.b_eq) > tolerance):
        return None
    if problem.a_ub.shape[0] and np.any(problem.a_ub @ values > problem.b_ub + tolerance):
        return None
    return values.astype(np.float64)


def _narrow(job: _AttackJob) -> tuple[np.ndarray, Intervals] | str | None:
    """The cells of one block that bound propagation alone proves unsafe; a contradiction is returned as text."""
    try:
        return narrow_by_propagation(job.problem, job.level)
    except AttackInfeasible as error:
        return str(error)


def _attack(job: _AttackJob) -> Intervals | str:
    """One block's attack (numpy/scipy only, so it can run in a worker); a contradiction is returned as text."""
    witnesses = Witnesses.empty(job.problem.n)
    for point in job.witness_points if job.witness_points is not None else ():
        witnesses.absorb(point)
    try:
        return attack_block(job.problem, job.level, truth=job.anchor, witnesses=witnesses, exact=job.exact,
                            integer=job.integer, seed=job.block_id)
    except AttackInfeasible as error:
        return str(error)


def assert_safe(published: pl.DataFrame, policy: DisclosurePolicy, **options) -> AuditReport:
    """audit_published, raising AuditFailure (listing the cells) unless every suppressed cell is protected."""
    report = audit_published(published, policy, **options)
    if not report.ok:
        raise AuditFailure(
            f"{report.unsafe.height} suppressed cell(s) narrower than {report.protection_level:g}, "
            f"{report.derived.height} derived value(s) not reproducible, {report.inconsistent.height} inconsistent "
            "block(s)", report.unsafe, report.derived)
    return report


def _disagreeing_units(cell_unit, suppressed_cell, value_cell, values, edition_of_cell) -> pl.DataFrame:
    """Cells of one unit (the same set of people) must be published identically within an edition; returns those
    that are not. Between editions (units linked as the same people) a count shown in one and hidden in another is
    left to the attack, which reads it off the figure and names it; two editions made under different rounding may
    show one count as two figures, whose intervals bound it together."""
    editions = int(edition_of_cell.max()) + 1 if edition_of_cell.size else 1
    unit_edition = cell_unit.astype(np.int64) * editions + edition_of_cell
    hidden_in_edition = np.zeros(values.size * editions, dtype=bool)
    np.logical_or.at(hidden_in_edition, unit_edition, suppressed_cell)
    mixed = hidden_in_edition[unit_edition] & ~suppressed_cell
    figure_in_edition = np.full(values.size * editions, np.nan)
    figure_in_edition[unit_edition[~suppressed_cell]] = value_cell[~suppressed_cell]
    other = ~suppressed_cell & (
        np.abs(np.nan_to_num(value_cell) - np.nan_to_num(figure_in_edition[unit_edition])) > 1e-9)
    return pl.DataFrame({"cell": np.flatnonzero(mixed | other)})


def _percent_rows_with_units(published: pl.DataFrame, counts: pl.DataFrame, cell_unit: np.ndarray,
                             values: np.ndarray) -> pl.DataFrame:
    keyed = counts.select(*PLACE, "statistic").with_columns(unit=pl.Series(cell_unit, dtype=pl.Int64))
    percents = published.filter(pl.col("kind") == "percent", pl.col("numerator").is_not_null())
    joined = percents.join(
        keyed.rename({"statistic": "numerator", "unit": "num_unit"}), on=[*PLACE, "numerator"], how="left",
        maintain_order="left",
    ).join(keyed.rename({"statistic": "denominator", "unit": "den_unit"}), on=[*PLACE, "denominator"], how="left",
           maintain_order="left")
    joined = joined.filter(pl.col("num_unit").is_not_null(), pl.col("den_unit").is_not_null())
    num_values = values[joined["num_unit"].to_numpy()]
    den_values = values[joined["den_unit"].to_numpy()]
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.round(100.0 * num_values / den_values, 1)
    return joined.with_columns(num_pub=pl.Series(num_values), den_pub=pl.Series(den_values),
                               expected=pl.Series(expected)).with_columns(
        pl.col("num_pub", "den_pub", "expected").fill_nan(None))


def _derived_checks(
    published: pl.DataFrame, percent_rows: pl.DataFrame, low: np.ndarray, high: np.ndarray, status: np.ndarray,
    policy: DisclosurePolicy, knowledge: TableKnowledge,
) -> tuple[pl.DataFrame, list[tuple[dict[int, float], float]]]:
    """Which derived rows do not follow from the published counts, and what every percentage tells the reader."""
    problems = []
    extra: list[tuple[dict[int, float], float]] = []
    shown = percent_rows["value"].is_not_null().to_numpy()
    reproducible = shown & (
        (percent_rows["value"] - percent_rows["expected"]).abs().fill_null(math.inf) <= _PERCENT_TOLERANCE
    ).to_numpy()
    for row in percent_rows.filter(pl.Series(shown & ~reproducible)).iter_rows(named=True):
        problems.append({**{k: row[k] for k in KEY_COLUMNS}, "kind": "percent",
                         "problem": "percentage does not follow from the published counts"})
        p = row["value"] / 100.0
        num, den = int(row["num_unit"]), int(row["den_unit"])
        extra.append(({num: -1.0, den: max(p - 0.0005, 0.0)}, 0.0))  # num >= (p - 0.05%) den
        extra.append(({num: 1.0, den: -(p + 0.0005)}, 0.0))           # num <= (p + 0.05%) den
    extra.extend(percent_knowledge(percent_rows["num_unit"].to_numpy(), percent_rows["den_unit"].to_numpy(), shown,
                                   low, high, status, policy))
    problems.extend(_interval_problems(published, percent_rows, policy))
    problems.extend(max_error_problems(published, percent_rows, policy))
    problems.extend(_comparison_problems(published, percent_rows, knowledge, policy))
    problems.extend(_trend_problems(published, percent_rows, knowledge.polarities))
    problems.extend(check_cohort_maturity(published))
    problems.extend(_needs_overview_problems(published, policy))
    schema = {**{k: pl.String for k in KEY_COLUMNS}, "kind": pl.String, "problem": pl.String}
    return pl.DataFrame(problems, schema=schema), extra


def _needs_overview_problems(published: pl.DataFrame, policy: DisclosurePolicy) -> list[dict]:
    """The all-needs headline must be exactly what the published measure counts give (metrics.headline): then it
    tells the reader nothing new and needs no place in the attack."""
    measures = published.filter(pl.col("table") == "measure_progress")["measure"].unique().sort().to_list()
    mismatches = check_needs_overview(published, measures, policy)
    return [{"table": "needs_overview", "measure": "all", "locality": row["locality"], "period": row["period"],
             "breakdown": "none", "category": "All", "statistic": row["statistic"], "kind": "derived",
             "problem": f"not made from the published counts: {row['problem']}"}
            for row in mismatches.iter_rows(named=True)]


def _interval_problems(published: pl.DataFrame, percent_rows: pl.DataFrame, policy: DisclosurePolicy) -> list[dict]:
    problems = []
    intervals = published.filter(pl.col("kind").is_in(["ci_lower", "ci_upper"]), pl.col("value").is_not_null())
    if intervals.height == 0:
        return problems
    base = percent_rows.select(*PLACE, "statistic", "num_pub", "den_pub", percent_shown=pl.col("value").is_not_null())
    joined = intervals.join(base, on=[*PLACE, "statistic"], how="left")
    ok_counts = joined["percent_shown"].fill_null(False).to_numpy() & joined["den_pub"].is_not_null().to_numpy()
    lower, upper = stats.wilson_interval(np.nan_to_num(joined["num_pub"].fill_null(0).to_numpy()),
                                         np.where(ok_counts, joined["den_pub"].fill_null(0).to_numpy(), 0.0),
                                         policy.confidence_level)
    expected = np.where(joined["kind"].to_numpy() == "ci_lower", np.asarray(lower), np.asarray(upper)) * 100.0
    good = ok_counts & (np.abs(np.round(expected, 1) - joined["value"].to_numpy()) <= _PERCENT_TOLERANCE)
    for row in joined.filter(pl.Series(~good)).iter_rows(named=True):
        problems.append({**{k: row[k] for k in KEY_COLUMNS}, "kind": row["kind"],
                         "problem": "interval does not follow from the published counts"})
    return problems


def _comparison_problems(published: pl.DataFrame, percent_rows: pl.DataFrame, knowledge: TableKnowledge,
                         policy: DisclosurePolicy) -> list[dict]:
    """Every comparison label must be what metrics.comparisons gives from the published counts (the same function
    the publish step uses: polarity of the statistic, maturing periods, labels rounding could change)."""
    rows = published.filter(pl.col("kind") == "comparison")
    if rows.height == 0:
        return []
    shown = percent_rows.select(*PLACE, "statistic", num=pl.when(pl.col("value").is_not_null()).then("num_pub"),
                                den=pl.when(pl.col("value").is_not_null()).then("den_pub"))
    bench = (shown.filter(pl.col("locality") == knowledge.area_name).drop("locality")
             .rename({"num": "bench_num", "den": "bench_den"}))
    joined = rows.join(shown, on=[*PLACE, "statistic"], how="left").join(
        bench, on=["table", "measure", "period", "breakdown", "category", "statistic"], how="left").rename(
        {"num": "num_pub", "den": "den_pub"})
    joined = joined.with_columns(polarity_column(joined, knowledge.polarities))
    expected = comparison_labels(joined, policy, status_lookup(period_statuses(published))).to_list()
    return [{**{k: row[k] for k in KEY_COLUMNS}, "kind": "comparison",
             "problem": f"comparison {row['symbol']!r} does not follow from published values ({label!r})"}
            for row, label in zip(joined.iter_rows(named=True), expected, strict=True)
            if row["symbol"] not in (label, CONFIDENTIAL)]


def _trend_problems(published: pl.DataFrame, percent_rows: pl.DataFrame, polarities: Mapping[str, str]) -> list[dict]:
    """Every trend label must be what metrics.comparisons gives from the published counts of complete years."""
    trends = published.filter(pl.col("kind") == "trend")
    if trends.height == 0:
        return []
    keys = ["table", "measure", "locality", "breakdown", "category", "statistic"]
    years = percent_rows.filter(pl.col("period").str.contains(r"^\d{4}/\d{2}$"))
    series = years.group_by(keys).agg(
        pl.col("period"),
        pl.when(pl.col("value").is_not_null()).then(pl.col("num_pub")).alias("num_pub"),
        pl.when(pl.col("value").is_not_null()).then(pl.col("den_pub")).alias("den_pub"),
    )
    joined = trends.join(series, on=keys, how="left").drop("period").rename({"period_right": "period"})
    joined = joined.with_columns(pl.col(name).fill_null(pl.lit([], dtype=joined.schema[name]))
                                 for name in ("period", "num_pub", "den_pub"))

    def polarity_of(table: str, statistic: str, measure: str) -> str:
        return statistic_polarity(table, statistic, polarities.get(measure, stats.HIGHER_IS_BETTER))

    expected = trend_series_labels(joined, polarity_of, status_lookup(period_statuses(published)))
    return [{**{k: row[k] for k in keys}, "period": "all", "statistic": row["statistic"], "kind": "trend",
             "problem": f"trend {row['symbol']!r} does not follow from the published counts"}
            for row, label in zip(joined.iter_rows(named=True), expected, strict=True) if row["symbol"] != label]


def _print_report(report: AuditReport, published: pl.DataFrame, worst: int) -> None:
    summary = report.table_summary(published)
    with pl.Config(tbl_rows=100, tbl_cols=20, tbl_width_chars=160, tbl_hide_dataframe_shape=True):
        print("Per table (which [c] cells are primary and which complements is not in the published data):")
        print(summary)
        print(f"\nNarrowest intervals found (protection level {report.protection_level:g}; 'at least this wide' is a "
              "proof of safety, not the reader's full range: use --exact for exact ranges):")
        print(report.cells.head(worst).select(*KEY_COLUMNS, "lower", "upper", "width", "proof"))
        if report.derived.height:
            print("\nDerived values that do not follow from the published counts:")
            print(report.derived.head(worst))
        if report.inconsistent.height:
            print("\nInconsistent blocks (published values contradict the relations):")
            print(report.inconsistent)
    verdict = "PASS" if report.ok else "FAIL"
    print(f"\n{verdict}: {report.cells.height} suppressed cells attacked, {report.unsafe.height} unsafe; "
          f"{report.derived.height} derived problems; {report.lp_solves} LPs in {report.seconds:.1f}s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m metrics.audit", description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--published", type=Path, help="published.csv (tidy long format)")
    source.add_argument("--db", help="URL of the published database (published_statistic table)")
    parser.add_argument("--exact", action="store_true", help="exact interval for every suppressed cell (slower)")
    parser.add_argument("--integer", action="store_true", help="whole-number (MILP) bounds where the LP is loose")
    parser.add_argument("--worst", type=int, default=15, help="how many of the narrowest cells to print")
    parser.add_argument("--table", action="append", help="only these tables (repeatable)")
    parser.add_argument("--previous", type=Path,
                        help="an earlier publication's published.csv: attack both together (a reader who kept it)")
    parser.add_argument("--previous-as-of", type=date.fromisoformat, default=None,
                        help="the earlier publication's data date, YYYY-MM-DD (publication_info data_as_of; "
                             "default: the start of its latest quarter)")
    args = parser.parse_args(argv)
    settings = load_publish_settings()  # the edge: configuration is loaded here and passed in
    policy, knowledge = settings.policy, TableKnowledge(settings.area_name, settings.polarities)
    try:
        published = read_published_csv(args.published) if args.published else read_published_db(args.db)
        previous = read_published_csv(args.previous) if args.previous else None
        if args.table:
            published = published.filter(pl.col("table").is_in(args.table))
            previous = previous.filter(pl.col("table").is_in(args.table)) if previous is not None else None
        if previous is not None:
            report = audit_refresh(published, previous, policy, knowledge=knowledge,
                                   previous_as_of=args.previous_as_of, exact=args.exact, integer=args.integer)
            published = pl.concat([published, previous.with_columns(table=PREVIOUS + pl.col("table"))])
        else:
            report = audit_published(published, policy, knowledge=knowledge, exact=args.exact, integer=args.integer)
    except Exception as error:  # one clear line for analysts
        print(f"audit could not run: {error}", file=sys.stderr)
        return 2
    _print_report(report, published, args.worst)
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
