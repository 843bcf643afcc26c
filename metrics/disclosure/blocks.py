"""One block of linked units as the reader's LP: relation matrices, what the reader knows about each unit, and
what the published or suppressed percentages add. Shared by the protection loop and the outside audit."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.sparse import csr_matrix, vstack

from data_access.config import DisclosurePolicy
from metrics.disclosure.attack import BlockProblem
from metrics.disclosure.primary import published_count_bounds
from metrics.disclosure.relations import Structure

PUBLISHED, PRIMARY, CLASS_ZERO, SECONDARY = 0, 1, 2, 3
STATUS_NAMES = {PUBLISHED: "published", PRIMARY: "primary", CLASS_ZERO: "class", SECONDARY: "secondary"}

# A linear row over units: ({unit index: coefficient}, rhs) meaning sum(coef * x) <= rhs.
Row = tuple[dict[int, float], float]


@dataclass
class Block:
    """A block's relations in local indices (position in `units`, the global unit ids)."""

    block_id: int
    units: np.ndarray
    eq: csr_matrix
    eq_rhs: np.ndarray
    le: csr_matrix
    le_rhs: np.ndarray

    def local_of(self) -> dict[int, int]:
        return {int(unit): index for index, unit in enumerate(self.units)}


def split_blocks(structure: Structure) -> dict[int, Block]:
    """The relation matrices of every block of the structure."""
    units = structure.units.select("unit_id", "block").with_columns(
        local=pl.int_range(pl.len()).over("block").cast(pl.Int64)
    )  # units are sorted by unit_id and int_range follows that order
    # Sorted so that every block's matrices (and so the LPs HiGHS solves, and the order candidates are tried in)
    # are the same whatever order the joins return rows in: the same data always gets the same decisions.
    terms = structure.terms.join(units, on="unit_id").join(structure.relations, on="relation_id").sort(
        "relation_id", "unit_id")
    by_block_units = units.partition_by("block", as_dict=True, include_key=True)
    by_block_terms = terms.partition_by("block", as_dict=True, include_key=True) if terms.height else {}
    blocks: dict[int, Block] = {}
    for key, block_units in by_block_units.items():
        size = block_units.height
        matrices = {}
        for kind in ("eq", "le"):
            block_terms = by_block_terms.get(key)
            part = block_terms.filter(pl.col("kind") == kind) if block_terms is not None else None
            if part is None or part.height == 0:
                matrices[kind] = (csr_matrix((0, size)), np.zeros(0))
                continue
            ids, rows = np.unique(part["relation_id"].to_numpy(), return_inverse=True)
            rhs = structure.relations.filter(pl.col("relation_id").is_in(ids.tolist())).sort("relation_id")["rhs"]
            matrix = csr_matrix((part["coef"].to_numpy(), (rows, part["local"].to_numpy())), shape=(ids.size, size))
            matrix.sort_indices()
            matrices[kind] = (matrix, rhs.to_numpy())
        blocks[key[0]] = Block(key[0], block_units["unit_id"].to_numpy(), *matrices["eq"], *matrices["le"])
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


def percent_knowledge(num: np.ndarray, den: np.ndarray, shown: np.ndarray, low: np.ndarray, high: np.ndarray,
                      status: np.ndarray, policy: DisclosurePolicy) -> list[Row]:
    """What published and suppressed percentages tell the reader (indices as given in num and den).

    A published percentage says numerator >= m and denominator - numerator >= m (m = percentage_min_each_side).
    A [c] percentage with both counts published says one side is below m: used where the other side is known
    to be at least m (otherwise it is an either/or an LP cannot hold; docs/disclosure.md).
    """
    m = float(policy.percentage_min_each_side)
    rows: list[Row] = []
    for i in np.flatnonzero(shown):
        rows.append(({int(num[i]): -1.0}, -m))
        rows.append(({int(num[i]): 1.0, int(den[i]): -1.0}, -m))
    both_published = (status[num] == PUBLISHED) & (status[den] == PUBLISHED)
    for i in np.flatnonzero(both_published & ~shown):
        if low[num[i]] >= m:
            rows.append(({int(den[i]): 1.0, int(num[i]): -1.0}, m - 1))
        elif low[den[i]] - high[num[i]] >= m:
            rows.append(({int(num[i]): 1.0}, m - 1))
    return rows


def assemble_problem(block: Block, low: np.ndarray, high: np.ndarray, extra: list[Row], suppressed: np.ndarray,
                     *, local: bool = False) -> BlockProblem:
    """A block's LP: its relations plus extra rows, the suppressed units as targets.

    With local=False, `low`, `high`, `suppressed` and the extra rows' keys are global unit ids (rows touching other
    blocks are skipped); with local=True they are already block-local.
    """
    units = block.units
    if local:
        mapping = None
        low_b, high_b, suppressed_b = low, high, suppressed
    else:
        mapping = block.local_of()
        low_b, high_b, suppressed_b = low[units], high[units], suppressed[units]
        extra = [({mapping[u]: c for u, c in coefs.items()}, rhs) for coefs, rhs in extra
                 if all(u in mapping for u in coefs)]
    le, le_rhs = block.le, block.le_rhs
    if extra:
        rows, cols, vals = [], [], []
        for r, (coefs, _) in enumerate(extra):
            for unit, coef in coefs.items():
                rows.append(r)
                cols.append(unit)
                vals.append(coef)
        extra_matrix = csr_matrix((vals, (rows, cols)), shape=(len(extra), units.size))
        le = vstack([le, extra_matrix]).tocsr()
        le_rhs = np.concatenate([le_rhs, np.array([rhs for _, rhs in extra], dtype=np.float64)])
    targets = np.flatnonzero(suppressed_b)
    return BlockProblem(units, block.eq, block.eq_rhs, le, le_rhs, low_b, high_b, targets)
