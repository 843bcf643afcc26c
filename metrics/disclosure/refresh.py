"""Successive editions (refreshes): which counts a reader takes to be the same people in two editions.

A reader who kept earlier editions can combine them with the current one. A count of a period that ended before
the earlier of two editions' data dates (`data_as_of`) is, in this data model, a count of the same people in both
(FROZEN_STATISTICS): families attached and closed (events dated within the period), families open at its end, and
units with a need at baseline (observed before the index date, so fixed once the period is over). Every other
progress count (reviewed, improved, due a sustainment check, sustained) keeps changing as reviews and sustainment
checks mature; family outcomes and the impact table do too, and period "all" always grows.

Which frozen candidates are one value in two editions (frozen_links) is shared by the protection
(metrics.disclosure.history) and the audit (metrics.audit), so that what the publish step protects against is
exactly what its audit attacks. Late records can change a count of a period that has ended, so the publish step,
which keeps every edition's true counts, links exactly the candidates whose true count did not change: the
strongest reader who is never wrong. From published rows alone (an audit of two CSV files) the reader's rule links a
candidate that the earlier edition showed as [c], or that both editions show with the same figure; a cell published
before and [c] now is not linked, because the publish step never hides an unchanged frozen cell it published before,
so such a [c] says the count changed. docs/disclosure.md, "Refreshes", explains both and what they leave out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import polars as pl

from data_access.config import DisclosurePolicy
from metrics.disclosure.primary import CONFIDENTIAL
from metrics.disclosure.relations import KEY_COLUMNS, TableKnowledge
from metrics.periods import period_end  # years, quarters and pooled periods ("2021/22-2023/24" ends 31/3/2024)

FROZEN_STATISTICS = frozenset({
    ("families", "families_attached"),
    ("families", "families_closed"),
    ("families", "families_open_at_end"),
    ("measure_progress", "with_need"),
})


def frozen_candidates(keys: pl.DataFrame, earlier_as_of: date) -> np.ndarray:
    """Per row of keys: a frozen statistic of a period that ended before the earlier edition's data date."""
    if keys.height == 0:
        return np.zeros(0, dtype=bool)
    periods = keys["period"].unique().to_list()
    ended = {p: (end is not None and end < earlier_as_of) for p in periods for end in [period_end(p)]}
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
class EarlierEdition:
    """An edition a reader may hold: its published rows (the tidy long format; with column true_value for count
    rows when the pipeline kept them: data_access.editions), its data date and the policy it was made under.

    label: the prefix its tables get in a joint system ("edition 3:" makes table families "edition 3:families").
    """

    label: str
    rows: pl.DataFrame
    data_as_of: date
    policy: DisclosurePolicy

    def counts(self) -> pl.DataFrame:
        return self.rows.filter(pl.col("kind") == "count")


def count_states(rows: pl.DataFrame) -> pl.DataFrame:
    """Count rows as a reader sees them: key columns, value (null when hidden), suppressed ([c]); and true_value,
    the true count where the pipeline kept it (null otherwise: a reader never has it)."""
    truth = pl.col("true_value").cast(pl.Float64) if "true_value" in rows.columns else pl.lit(None, pl.Float64)
    return rows.filter(pl.col("kind") == "count").select(
        *KEY_COLUMNS, value=pl.col("value"), suppressed=(pl.col("symbol") == CONFIDENTIAL).fill_null(False),
        true_value=truth.fill_nan(None),
    ).filter(pl.col("value").is_not_null() | pl.col("suppressed")).unique(list(KEY_COLUMNS), keep="first",
                                                                          maintain_order=True)


def frozen_links(later: pl.DataFrame, earlier: pl.DataFrame, earlier_as_of: date) -> pl.DataFrame:
    """Count cells that are one value in two editions (key columns).

    later, earlier: count_states of the two editions (earlier = the one with the earlier data date). A link needs a
    frozen candidate (earlier_as_of) with the key in both. Where the pipeline kept both true counts, the link is
    the truth: the same count in both (a reader who knew exactly which counts late records changed, the strongest
    correct reader). Otherwise the reader's rule: [c] in the earlier edition, or the same figure published in both.
    """
    unknown = pl.lit(None, pl.Float64).alias("true_value")
    later, earlier = (frame if "true_value" in frame.columns else frame.with_columns(unknown)
                      for frame in (later, earlier))
    joined = later.join(earlier, on=list(KEY_COLUMNS), how="inner", suffix="_earlier", maintain_order="left")
    if joined.height == 0:
        return joined.select(KEY_COLUMNS)
    truth_known = pl.col("true_value").is_not_null() & pl.col("true_value_earlier").is_not_null()
    readers_rule = pl.col("suppressed_earlier") | (
        ~pl.col("suppressed") & ((pl.col("value") - pl.col("value_earlier")).abs() < 1e-9))
    same = pl.when(truth_known).then(pl.col("true_value") == pl.col("true_value_earlier")).otherwise(readers_rule)
    keep = pl.Series(frozen_candidates(joined, earlier_as_of)) & joined.select(same.fill_null(False)).to_series()
    return joined.filter(keep).select(KEY_COLUMNS)


def editions_in_date_order(earlier: Sequence[EarlierEdition]) -> list[EarlierEdition]:
    """Oldest data date first (ties keep the given order): the order the reader's rule compares editions in."""
    return [edition for _, edition in sorted(enumerate(earlier), key=lambda item: (item[1].data_as_of, item[0]))]


def prefixed_knowledge(knowledge: TableKnowledge, labels: Sequence[str],
                       extra_orderings: dict[str, tuple[tuple[str, str, str], ...]] | None = None) -> TableKnowledge:
    """The same table structure for each earlier edition's tables (renamed label + table) as for the current ones.

    extra_orderings: per label, more (table, smaller, larger) orderings (that edition's percentages).
    """
    extra_orderings = extra_orderings or {}

    def both(items: tuple) -> tuple:
        renamed = tuple((label + item[0], *item[1:]) for label in labels for item in items)
        return tuple(dict.fromkeys(items + renamed))

    per_label = tuple((label + table, smaller, larger) for label in labels
                      for table, smaller, larger in extra_orderings.get(label, ()))
    return replace(
        knowledge,
        non_additive_over_periods=frozenset(both(tuple(sorted(knowledge.non_additive_over_periods)))),
        orderings=both(knowledge.orderings),
        stock_flows=both(knowledge.stock_flows),
        extra_orderings=tuple(dict.fromkeys(both(knowledge.extra_orderings) + per_label)),
    )


__all__ = ["FROZEN_STATISTICS", "EarlierEdition", "count_states", "editions_in_date_order", "frozen_candidates",
           "frozen_links", "infer_data_as_of", "period_end", "prefixed_knowledge"]
