"""Successive publications (refreshes): which counts cannot change once their period has ended.

A reader who kept an earlier publication can combine it with the current one. A count of a period that ended
before the earlier publication's data date (`data_as_of`) is, in this data model, a count of the same people in
both (FROZEN_STATISTICS): families attached and closed (events dated within the period), families open at its end,
and units with a need at baseline (observed before the index date, so fixed once the period is over). Every other
progress count (reviewed, improved, due a sustainment check, sustained) keeps changing as reviews and sustainment
checks mature; family outcomes and the impact table do too, and period "all" always grows.

A candidate is only treated as frozen where nothing published shows it changed: the same key in both publications
and, where both publish it, the same value (docs/disclosure.md, "Refreshes").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from data_access.config import DisclosurePolicy
from metrics.disclosure.primary import CONFIDENTIAL, published_count_bounds, round_count
from metrics.disclosure.relations import KEY_COLUMNS
from metrics.periods import period_end  # years, quarters and pooled periods ("2021/22-2023/24" ends 31/3/2024)

FROZEN_STATISTICS = frozenset({
    ("families", "families_attached"),
    ("families", "families_closed"),
    ("families", "families_open_at_end"),
    ("measure_progress", "with_need"),
})


def frozen_candidates(keys: pl.DataFrame, previous_as_of: date) -> np.ndarray:
    """Per row of keys: a frozen statistic of a period that ended before the earlier publication's data date."""
    periods = keys["period"].unique().to_list()
    ended = {p: (end is not None and end < previous_as_of) for p in periods for end in [period_end(p)]}
    statistic = pl.concat_str([pl.col("table"), pl.col("statistic")], separator="\x1f")
    frozen_names = [f"{t}\x1f{s}" for t, s in FROZEN_STATISTICS]
    return keys.select(
        statistic.is_in(frozen_names) & pl.col("period").replace_strict(ended, return_dtype=pl.Boolean)
    ).to_series().to_numpy()


def infer_data_as_of(published: pl.DataFrame) -> date | None:
    """The earliest data date a publication can have: the start of its latest quarter (for an audit from CSV)."""
    quarters = published.filter(pl.col("period").str.contains(" Q", literal=True))["period"].unique().to_list()
    if not quarters:
        return None
    latest = max(quarters, key=lambda p: (int(p[:4]), p[-1]))
    end = period_end(latest)
    assert end is not None
    start_month = end.month - 2
    return date(end.year, start_month, 1)


@dataclass(frozen=True)
class CarriedDecisions:
    """Per true count cell, what the previous publication fixes (metrics.disclosure.secondary.protect_counts).

    forced_suppressed: a frozen cell that was [c] before stays [c] (else the new figure would reveal it).
    known_published: a frozen cell published before, whose true value still gives the same figure and is not
    small: the reader knows it already, so hiding it now would protect nothing (a complement of last resort).
    low, high: the range the previous publication leaves a forced cell in, and 0..0 for a known zero (0 and inf
    elsewhere): the reader's knowledge whatever the new publication shows. A forced cell must stay at least the
    protection level wide within it, or the two together would narrow it; a known zero can then never be picked
    by the deviation LP (zeros are never local complements). A known non-zero cell gets no range: if picked as a
    local complement (last resort) it could then never be made safe, and the publish would fail.
    """

    forced_suppressed: np.ndarray
    known_published: np.ndarray
    low: np.ndarray
    high: np.ndarray


def carried_decisions(
    cells: pl.DataFrame, previous: pl.DataFrame, previous_as_of: date, policy: DisclosurePolicy,
    ranges: pl.DataFrame | None = None,
) -> CarriedDecisions:
    """Decisions carried over to the true count cells from the previous publication's rows (CarriedDecisions).

    ranges: key columns, lower, upper: the previous publication's hidden cells as its own attack left them
    (metrics.audit.previous_ranges). They are widened to include the true value, which keeps them within what
    a reader can know (a range from the attack's witnesses may be narrower than the reader's), and a cell whose
    published value would differ (or that is now small) has changed, so it is not frozen.
    """
    old = previous.filter(pl.col("kind") == "count").select(
        *KEY_COLUMNS, old_value=pl.col("value"), old_suppressed=(pl.col("symbol") == CONFIDENTIAL).fill_null(False))
    old = old.unique(list(KEY_COLUMNS), keep="first")
    if ranges is None:
        ranges = pl.DataFrame(schema={**dict.fromkeys(KEY_COLUMNS, pl.String), "lower": pl.Float64,
                                      "upper": pl.Float64})
    ranges = ranges.select(*KEY_COLUMNS, "lower", "upper").unique(list(KEY_COLUMNS), keep="first")
    joined = cells.select(*KEY_COLUMNS, "true_value").join(old, on=list(KEY_COLUMNS), how="left",
                                                           maintain_order="left")
    joined = joined.join(ranges, on=list(KEY_COLUMNS), how="left", maintain_order="left")
    candidate = frozen_candidates(joined, previous_as_of) & joined["old_suppressed"].is_not_null().to_numpy()
    truth = joined["true_value"].to_numpy().astype(np.int64)
    old_suppressed = joined["old_suppressed"].fill_null(False).to_numpy()
    old_value = joined["old_value"].fill_null(np.nan).to_numpy()
    forced = candidate & old_suppressed
    small = (truth >= 1) & (truth < policy.threshold)
    same_figure = np.asarray(round_count(truth, policy), dtype=np.float64) == old_value
    known = candidate & ~old_suppressed & same_figure & ~small
    known_low, known_high = published_count_bounds(np.nan_to_num(old_value), policy)
    low = np.where(forced, np.minimum(joined["lower"].fill_null(0.0).to_numpy(), truth), 0.0)
    high = np.where(forced, np.maximum(joined["upper"].fill_null(np.inf).to_numpy(), truth), np.inf)
    zero = known & (old_value == 0)  # never a local complement; a non-zero one could be, and then never be safe
    low = np.where(zero, np.asarray(known_low, dtype=np.float64), low)
    high = np.where(zero, np.asarray(known_high, dtype=np.float64), high)
    return CarriedDecisions(forced, known, low, high)


__all__ = ["FROZEN_STATISTICS", "CarriedDecisions", "carried_decisions", "frozen_candidates", "infer_data_as_of",
           "period_end"]
