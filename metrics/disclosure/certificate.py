"""Witness certificates: the points of the reader's system that proved a protection safe, handed to the gate.

The protection's last attack on a block holds, for every hidden cell, points of the reader's system at the cell's
smallest and largest value it found (metrics.disclosure.attack.Witnesses); two points a protection level apart prove
the cell's interval at least that wide. The publish step's gate (metrics.audit.audit_editions) builds the reader's
system again, independently, from the published rows, and must not trust the protection. It need not: a point is
checked against the gate's own system by substitution (every bound and relation; attack.checked_points), which
is exact and costs one matrix product, where finding such points costs LPs. Points that pass are witnesses like any
the gate finds itself; cells they do not prove are attacked as before. A certificate that does not fit the gate's
system (another policy, other links, a bug) just proves nothing.

Points are kept per cell (key columns, tables renamed with their edition's label as in the joint systems), because
the two systems number their units independently. A certificate holds true counts (the true values are one of the
points): it passes in memory from the protection to the gate within one publish and is never written anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import polars as pl

from metrics.disclosure.relations import KEY_COLUMNS


@dataclass(frozen=True)
class WitnessCertificate:
    """Per group of cells (one protection block): its points, one row per point and one column per cell."""

    cells: pl.DataFrame  # key columns, group, column
    points: tuple[np.ndarray, ...]

    @classmethod
    def from_blocks(cls, keys: pl.DataFrame, cell_unit: np.ndarray,
                    blocks: Iterable[tuple[np.ndarray, np.ndarray]]) -> WitnessCertificate:
        """keys: the key columns of every cell of the system; cell_unit: its unit; blocks: (the block's units,
        points x those units)."""
        n_units = int(cell_unit.max()) + 1 if cell_unit.size else 0
        group_of_unit = np.full(n_units, -1, dtype=np.int64)
        column_of_unit = np.full(n_units, -1, dtype=np.int64)
        points = []
        for units, unit_points in blocks:
            if unit_points.shape[0] == 0:
                continue
            group_of_unit[units] = len(points)
            column_of_unit[units] = np.arange(units.size)
            points.append(unit_points)
        group, column = group_of_unit[cell_unit], column_of_unit[cell_unit]
        cells = keys.select(KEY_COLUMNS).with_columns(
            group=pl.Series(group, dtype=pl.Int64), column=pl.Series(column, dtype=pl.Int64)
        ).filter(pl.Series(group >= 0))
        return cls(cells, tuple(points))

    def values_by_block(self, keys: pl.DataFrame, cell_unit: np.ndarray, block_of_unit: np.ndarray,
                        local_of_unit: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """For the blocks of another system (keys and cell_unit of its cells; each unit's block and position in
        it): block -> (positions in the block of its certified cells' units, their values: points x cells). A group
        with fewer points than another in the same block repeats its last one (still a point of its own)."""
        if not self.points:
            return {}
        located = keys.select(KEY_COLUMNS).with_row_index("_row").join(
            self.cells, on=list(KEY_COLUMNS), how="inner").sort("_row")
        units = cell_unit[located["_row"].to_numpy().astype(np.int64)]
        groups = located["group"].to_numpy()
        columns = located["column"].to_numpy()
        blocks = block_of_unit[units]
        order = np.argsort(blocks, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(blocks[order]) != 0]) if order.size else np.zeros(0, np.int64)
        found = {}
        for start, end in zip(starts, np.r_[starts[1:], order.size], strict=True):
            mine = order[start:end]
            its_groups = np.unique(groups[mine])
            count = max(self.points[group].shape[0] for group in its_groups)
            values = np.empty((count, mine.size))
            for group in its_groups:
                in_group = groups[mine] == group
                taken = np.minimum(np.arange(count), self.points[group].shape[0] - 1)
                values[:, in_group] = self.points[group][np.ix_(taken, columns[mine][in_group])]
            found[int(blocks[mine[0]])] = (local_of_unit[units[mine]], values)
        return found


def candidate_points(size: int, positions: np.ndarray, values: np.ndarray, fill: np.ndarray | None) -> np.ndarray:
    """Points x `size` block units: the certified values at their positions, `fill` (e.g. the kept true counts)
    elsewhere, or NaN without it. A point at which two cells of one unit disagree is all NaN (no point)."""
    base = np.full(size, np.nan) if fill is None else np.asarray(fill, dtype=np.float64)
    points = np.tile(base, (values.shape[0], 1))
    points[:, positions] = values
    points[np.any(points[:, positions] != values, axis=1)] = np.nan
    return points


def empty_certificate() -> WitnessCertificate:
    schema = {name: pl.String for name in KEY_COLUMNS} | {"group": pl.Int64, "column": pl.Int64}
    return WitnessCertificate(pl.DataFrame(schema=schema), ())
