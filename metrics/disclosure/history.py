"""Protecting a new edition together with every earlier edition a reader may hold (the joint system).

The reader's system is the new edition's relations, each earlier edition's relations over its own copy of the
cells (its tables renamed with its label), and the reader's rule (metrics.disclosure.refresh.frozen_links) making
a frozen cell one value in two editions. Earlier editions are already published, so their cells are fixed: their
published figures bound them, their hidden cells are targets that must stay at least their edition's protection
level wide, and only the new edition's cells can be hidden to keep them so. A new cell linked to an earlier edition
is fixed too: hidden if that edition hid it, published (with the same figure) if it published it, so a frozen cell
is never hidden now after being shown before (hiding it would protect nothing) and never shown after being hidden.
Which cells are linked is metrics.disclosure.refresh.frozen_links: with the kept true counts, exactly the frozen
candidates whose count did not change. A frozen candidate hidden before is hidden again even when late records
changed it (a reader who wrongly took it to be unchanged would otherwise read the old count off the new figure).

On unchanged data the protection is a fixed point: a new cell whose true value is the same as in the latest
edition, and that was hidden there, starts hidden (warm start). Then the latest edition's pattern is the starting
pattern, it is already safe jointly (the new edition adds nothing), and the result is byte for byte the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from data_access.config import DisclosurePolicy
from metrics.disclosure.blocks import PUBLISHED, SECONDARY, Row, percent_knowledge
from metrics.disclosure.primary import published_count_bounds, round_count
from metrics.disclosure.refresh import (
    EarlierEdition,
    count_states,
    editions_in_date_order,
    frozen_candidates,
    frozen_links,
    prefixed_knowledge,
)
from metrics.disclosure.relations import KEY_COLUMNS, Structure, TableKnowledge

PLACE = ["table", "measure", "locality", "period", "breakdown", "category"]
NEW = -1  # edition index of the new edition's rows


@dataclass(frozen=True)
class History:
    """The earlier editions a reader may hold (any order) and the new edition's data date."""

    earlier: tuple[EarlierEdition, ...]
    data_as_of: date

    @property
    def labels(self) -> list[str]:
        return [edition.label for edition in self.earlier]


@dataclass
class JointCounts:
    """The new edition's count cells followed by every earlier edition's (tables renamed with its label)."""

    counts: pl.DataFrame  # key columns, true_value (Float64; NaN where the pipeline kept no true count)
    n_new: int
    edition_of_row: np.ndarray  # NEW, or the index of the earlier edition in history.earlier
    knowledge: TableKnowledge


@dataclass
class JointDecisions:
    """Per unit of the joint structure: what is fixed by earlier editions, and what the reader knows of them."""

    status: np.ndarray
    fixed: np.ndarray
    earlier: np.ndarray  # the unit belongs to an earlier edition
    low: np.ndarray  # reader bounds of earlier units (their published figures, under their own policy)
    high: np.ndarray
    level: np.ndarray  # protection level of each unit (its edition's)
    links: np.ndarray  # k x 2 unit pairs that are one value
    extra: list[Row] = field(default_factory=list)  # what earlier editions' percentages say (global unit ids)


def _strip(label: str) -> pl.Expr:
    return pl.col("table").str.strip_prefix(label)


def joint_counts(new_counts: pl.DataFrame, knowledge: TableKnowledge, history: History) -> JointCounts:
    """The joint count cells and the joint table knowledge (each earlier edition's own percentages included)."""
    frames = [new_counts.select(*KEY_COLUMNS, true_value=pl.col("true_value").cast(pl.Float64))]
    editions = [np.full(new_counts.height, NEW)]
    orderings = {}
    for index, edition in enumerate(history.earlier):
        counts = edition.counts()
        truth = pl.col("true_value").cast(pl.Float64) if "true_value" in counts.columns else pl.lit(None)
        frames.append(counts.with_columns(table=pl.lit(edition.label) + pl.col("table"),
                                          true_value=truth.cast(pl.Float64).fill_null(np.nan))
                      .select(*KEY_COLUMNS, "true_value"))
        editions.append(np.full(counts.height, index))
        specs = edition.rows.filter(pl.col("kind") == "percent", pl.col("numerator").is_not_null(),
                                    pl.col("denominator").is_not_null()).select("table", "numerator", "denominator")
        orderings[edition.label] = tuple(dict.fromkeys(specs.iter_rows()))
    return JointCounts(pl.concat(frames), new_counts.height, np.concatenate(editions),
                       prefixed_knowledge(knowledge, history.labels, orderings))


def joint_decisions(joint: JointCounts, structure: Structure, truth: np.ndarray, new_status: np.ndarray,
                    policy: DisclosurePolicy, history: History) -> JointDecisions:
    """Fixed decisions, links, warm start and the reader's knowledge of earlier editions (see module docstring).

    new_status: the primary decisions per unit (earlier units' entries are ignored).
    """
    n = structure.n_units
    cell_unit = structure.cell_unit
    edition_of_unit = np.full(n, NEW)
    edition_of_unit[cell_unit] = joint.edition_of_row
    earlier = edition_of_unit != NEW
    status = new_status.copy()
    low, high = np.full(n, np.nan), np.full(n, np.nan)
    level = np.full(n, float(policy.protection_level))
    states = []
    for index, edition in enumerate(history.earlier):
        state = count_states(edition.rows).join(_positions(joint, index, edition.label), on=list(KEY_COLUMNS),
                                                how="inner", maintain_order="left")
        units = cell_unit[state["position"].to_numpy()]
        hidden = state["suppressed"].to_numpy()
        values = state["value"].fill_null(0.0).to_numpy()
        status[units] = np.where(hidden, SECONDARY, PUBLISHED)
        bounds = published_count_bounds(values, edition.policy)
        low[units] = np.where(hidden, 0.0, np.asarray(bounds[0], dtype=np.float64))
        high[units] = np.where(hidden, np.inf, np.asarray(bounds[1], dtype=np.float64))
        level[cell_unit[joint.edition_of_row == index]] = float(edition.policy.protection_level)
        states.append(state)
    missing = earlier & np.isnan(low)  # an earlier count with neither figure nor [c]: nothing known
    low[missing], high[missing], status[missing] = 0.0, np.inf, SECONDARY

    new_keys = joint.counts.head(joint.n_new).select(*KEY_COLUMNS, "true_value").with_row_index("position")
    for index, edition in enumerate(history.earlier):  # hidden before: hidden again (changed or not)
        pairs = new_keys.join(states[index].filter(pl.col("suppressed")).select(KEY_COLUMNS), on=list(KEY_COLUMNS),
                              how="inner", maintain_order="left")
        pairs = pairs.filter(pl.Series(frozen_candidates(pairs, min(history.data_as_of, edition.data_as_of)),
                                       dtype=pl.Boolean))
        forced = cell_unit[pairs["position"].to_numpy()]
        status[forced[status[forced] == PUBLISHED]] = SECONDARY
    new_units_all = cell_unit[new_keys["position"].to_numpy()]
    figure = np.asarray(round_count(np.nan_to_num(truth).astype(np.int64), policy), dtype=np.float64)
    shown = status[new_units_all] == PUBLISHED
    new_states = new_keys.with_columns(
        value=pl.Series(np.where(shown, figure[new_units_all], np.nan)).fill_nan(None),
        suppressed=pl.Series(~shown), true_value=pl.col("true_value").fill_nan(None))
    links, fixed = [], earlier.copy()
    for index, edition in enumerate(history.earlier):
        keys = frozen_links(new_states.drop("position"), states[index].drop("position"),
                            min(history.data_as_of, edition.data_as_of))
        both = keys.join(new_keys.select(*KEY_COLUMNS, "position"), on=list(KEY_COLUMNS)).join(
            states[index].select(*KEY_COLUMNS, old="position"), on=list(KEY_COLUMNS))
        new_units = cell_unit[both["position"].to_numpy()]
        links.append(np.column_stack([new_units, cell_unit[both["old"].to_numpy()]]))
        fixed[new_units] = True
    links.extend(_earlier_links(joint, cell_unit, states, history))
    _warm_start(joint, cell_unit, truth, status, fixed, states, history)
    extra = []
    for index, edition in enumerate(history.earlier):
        extra.extend(_percent_knowledge(edition, states[index], cell_unit, low, high, status))
    pairs = np.concatenate(links) if links else np.zeros((0, 2), dtype=np.int64)
    return JointDecisions(status, fixed, earlier, low, high, level, pairs.astype(np.int64), extra)


def merged_decisions(decisions: JointDecisions, merged: np.ndarray, truth: np.ndarray, policy: DisclosurePolicy
                     ) -> tuple[JointDecisions, np.ndarray]:
    """The decisions and true values over merged units (metrics.disclosure.relations.merge_units: each link's two
    units made one), and no links left.

    A linked new unit is fixed with its earlier edition's decision (hidden or shown), so a merged unit has one; it
    keeps the new cell's status (why it is hidden). It is fixed and known if any member is, its bounds are every
    member's together (each earlier edition's published figure, and the new figure when it is shown), its protection
    level the largest, its true value a member's (linked true values are equal)."""
    count = int(merged.max()) + 1 if merged.size else 0
    status = np.full(count, PUBLISHED, dtype=decisions.status.dtype)
    np.maximum.at(status, merged[decisions.earlier], decisions.status[decisions.earlier])
    status[merged[~decisions.earlier]] = decisions.status[~decisions.earlier]  # a new cell keeps its own reason
    fixed = np.zeros(count, dtype=bool)
    np.logical_or.at(fixed, merged, decisions.fixed)
    earlier = np.zeros(count, dtype=bool)
    np.logical_or.at(earlier, merged, decisions.earlier)
    known_low = np.where(decisions.earlier, decisions.low, 0.0)
    known_high = np.where(decisions.earlier, decisions.high, np.inf)
    shown_new = ~decisions.earlier & (decisions.status == PUBLISHED)
    figure = np.asarray(round_count(np.nan_to_num(truth).astype(np.int64), policy), dtype=np.float64)
    figure_low, figure_high = published_count_bounds(figure, policy)
    known_low = np.where(shown_new, np.maximum(known_low, np.asarray(figure_low, dtype=np.float64)), known_low)
    known_high = np.where(shown_new, np.minimum(known_high, np.asarray(figure_high, dtype=np.float64)), known_high)
    low, high = np.zeros(count), np.full(count, np.inf)
    np.maximum.at(low, merged, known_low)
    np.minimum.at(high, merged, known_high)
    low[~earlier], high[~earlier] = np.nan, np.nan
    level = np.zeros(count)
    np.maximum.at(level, merged, decisions.level)
    merged_truth = np.full(count, np.nan)
    valid = ~np.isnan(truth)
    merged_truth[merged[valid]] = truth[valid]
    extra = []
    for coefs, rhs in decisions.extra:
        terms: dict[int, float] = {}
        for unit, coef in coefs.items():
            terms[int(merged[unit])] = terms.get(int(merged[unit]), 0.0) + coef
        terms = {unit: coef for unit, coef in terms.items() if coef != 0.0}
        if terms:
            extra.append((terms, rhs))
    return (JointDecisions(status, fixed, earlier, low, high, level, np.zeros((0, 2), dtype=np.int64), extra),
            merged_truth)


def _positions(joint: JointCounts, index: int, label: str) -> pl.DataFrame:
    """Key columns (table without the label) and row position of an earlier edition's count cells."""
    rows = joint.counts.select(KEY_COLUMNS).with_row_index("position").filter(
        pl.Series(joint.edition_of_row == index))
    return rows.with_columns(_strip(label)).select(*KEY_COLUMNS, pl.col("position").cast(pl.Int64))


def _earlier_links(joint: JointCounts, cell_unit: np.ndarray, states: list[pl.DataFrame],
                   history: History) -> list[np.ndarray]:
    """What the reader links between two earlier editions (the same rule, applied to what both published)."""
    order = {id(edition): index for index, edition in enumerate(history.earlier)}
    dated = editions_in_date_order(history.earlier)
    links = []
    for first, older in enumerate(dated):
        for newer in dated[first + 1:]:
            i, j = order[id(older)], order[id(newer)]
            keys = frozen_links(states[j].drop("position"), states[i].drop("position"), older.data_as_of)
            both = keys.join(states[j].select(*KEY_COLUMNS, "position"), on=list(KEY_COLUMNS)).join(
                states[i].select(*KEY_COLUMNS, older_position="position"), on=list(KEY_COLUMNS))
            links.append(np.column_stack([cell_unit[both["position"].to_numpy()],
                                          cell_unit[both["older_position"].to_numpy()]]))
    return links


def _warm_start(joint: JointCounts, cell_unit: np.ndarray, truth: np.ndarray, status: np.ndarray, fixed: np.ndarray,
                states: list[pl.DataFrame], history: History) -> None:
    """Start hidden where the latest edition hid a cell whose true value has not changed (the fixed point)."""
    if not history.earlier:
        return
    dated = editions_in_date_order(history.earlier)
    latest = dated[-1]
    index = next(i for i, edition in enumerate(history.earlier) if edition is latest)
    new_keys = joint.counts.head(joint.n_new).select(KEY_COLUMNS).with_row_index("position")
    hidden = states[index].filter(pl.col("suppressed")).select(*KEY_COLUMNS, old=pl.col("position"))
    pairs = new_keys.join(hidden, on=list(KEY_COLUMNS), how="inner", maintain_order="left")
    new_units = cell_unit[pairs["position"].to_numpy()]
    old_units = cell_unit[pairs["old"].to_numpy()]
    unchanged = truth[new_units] == truth[old_units]  # NaN (no true count kept) is never equal
    start_hidden = new_units[unchanged & ~fixed[new_units] & (status[new_units] == PUBLISHED)]
    status[start_hidden] = SECONDARY


def _percent_knowledge(edition: EarlierEdition, state: pl.DataFrame, cell_unit: np.ndarray, low: np.ndarray,
                       high: np.ndarray, status: np.ndarray) -> list[Row]:
    """What an earlier edition's published and [c] percentages tell the reader (global unit ids)."""
    percents = edition.rows.filter(pl.col("kind") == "percent", pl.col("numerator").is_not_null(),
                                   pl.col("denominator").is_not_null())
    if percents.height == 0:
        return []
    positions = state.select(*PLACE, "statistic", "position")
    joined = percents.join(positions.rename({"statistic": "numerator", "position": "num"}),
                           on=[*PLACE, "numerator"], how="inner", maintain_order="left").join(
        positions.rename({"statistic": "denominator", "position": "den"}), on=[*PLACE, "denominator"], how="inner",
        maintain_order="left")
    num = cell_unit[joined["num"].to_numpy()]
    den = cell_unit[joined["den"].to_numpy()]
    shown = joined["value"].is_not_null().to_numpy()
    return percent_knowledge(num, den, shown, low, high, status, edition.policy)


def block_anchor(structure_truth: np.ndarray, units: np.ndarray, eq, eq_rhs, le, le_rhs) -> np.ndarray | None:
    """The true values as the anchor of a block's witness search when they satisfy every relation of the block
    (None when some are unknown, or a link is false because late records changed a frozen count)."""
    values = structure_truth[units]
    if np.isnan(values).any():
        return None
    if eq.shape[0] and np.abs(eq @ values - eq_rhs).max() > 1e-9:
        return None
    if le.shape[0] and (le @ values - le_rhs).max() > 1e-9:
        return None
    return values


__all__ = ["NEW", "History", "JointCounts", "JointDecisions", "block_anchor", "joint_counts", "joint_decisions",
           "merged_decisions"]
