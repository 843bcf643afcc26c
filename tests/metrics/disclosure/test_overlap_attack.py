"""Planted impact populations with a tiny propensity-score bin, attacked from the exported CSV alone.

The impact table publishes group sizes (supported, comparison, matched pairs; by locality and for Dorset) and, for
Dorset, histograms of each group by propensity score whose bins add up to those group sizes. One supported unit is
planted alone in the top score bin (0.95-1.00), every other bin of its histogram holding 0 or at least 10 units:
with the group size published, subtraction finds it. With secondary suppression switched off the attacker, reading
only the exported published.csv, must find that bin (it proves the attacker knows "bins add up to the group size");
with it on, the attack must fail on every suppressed cell.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_access.config import DisclosurePolicy
from metrics.audit import audit_published, read_published_csv
from metrics.disclosure import CONFIDENTIAL, protect_publication
from metrics.impact.tables import (
    COMPARISON_SCORE,
    SUPPORTED_SCORE,
    TABLE,
    histogram_cells,
    score_bin_edges,
    score_bin_labels,
)
from metrics.publish import export_csv
from tests.shipped_config import shipped_knowledge

AREA = "Dorset"
LOCALITIES = ("L1", "L2", "L3")
MEASURE = "M01"
KNOWLEDGE = shipped_knowledge(AREA)
POLICY = DisclosurePolicy(threshold=10, rounding_base=5, percentage_min_each_side=10, protection_level=5,
                          confidence_level="95")
NO_ROUNDING = DisclosurePolicy(threshold=10, rounding_base=1, percentage_min_each_side=10, protection_level=5,
                               confidence_level="95")
SETTINGS = settings(max_examples=8, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
BINS = len(score_bin_labels())
TOP_BIN = BINS - 1
MIDPOINTS = (score_bin_edges()[:-1] + score_bin_edges()[1:]) / 2

locality = st.sampled_from(LOCALITIES)
score_bin = st.integers(min_value=0, max_value=TOP_BIN - 1)  # the top bin is kept for the planted unit
# a pair: (locality, supported unit's bin, comparison unit's bin); unmatched supported / unused comparison units
pairs = st.lists(st.tuples(locality, score_bin, score_bin), min_size=10, max_size=60)
singles = st.lists(st.tuples(locality, score_bin), max_size=40)


def impact_population_cells(pair_list: list, unmatched: list, unused: list, planted_matched: bool = False
                            ) -> pl.DataFrame:
    """True count cells of the impact table for this population, with the planted supported unit added."""
    pair_list = list(pair_list)
    unmatched = list(unmatched)
    if planted_matched:
        pair_list.append(("L1", TOP_BIN, TOP_BIN - 1))
    else:
        unmatched.append(("L1", TOP_BIN))
    rows = []
    for area in (AREA, *LOCALITIES):
        def here(units, area=area):
            return [unit for unit in units if area == AREA or unit[0] == area]
        sizes = {"supported_analysed": len(here(pair_list)) + len(here(unmatched)),
                 "comparison_analysed": len(here(pair_list)) + len(here(unused)),
                 "matched_pairs": len(here(pair_list))}
        rows.extend({"table": TABLE, "measure": MEASURE, "locality": area, "period": "all", "breakdown": "none",
                     "category": "All", "statistic": statistic, "kind": "count", "true_value": value}
                    for statistic, value in sizes.items())
    group_sizes = pl.DataFrame(rows, schema_overrides={"true_value": pl.Int64})
    scores = {
        ("supported_analysed", SUPPORTED_SCORE): MIDPOINTS[[b for _, b, _ in pair_list] + [b for _, b in unmatched]],
        ("comparison_analysed", COMPARISON_SCORE): MIDPOINTS[[b for _, _, b in pair_list] + [b for _, b in unused]],
        ("matched_pairs", SUPPORTED_SCORE): MIDPOINTS[[b for _, b, _ in pair_list]],
        ("matched_pairs", COMPARISON_SCORE): MIDPOINTS[[b for _, _, b in pair_list]],
    }
    return pl.concat([group_sizes, histogram_cells(MEASURE, AREA, scores)])


def attack_exported(published: pl.DataFrame, policy: DisclosurePolicy):
    """Export published.csv as the publish step does, read it back, and attack what was read (nothing else)."""
    with tempfile.TemporaryDirectory() as folder:
        path = export_csv(published, Path(folder))
        read = read_published_csv(path)
    return audit_published(read, policy, knowledge=KNOWLEDGE)


def planted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("statistic") == "supported_analysed", pl.col("breakdown") == SUPPORTED_SCORE,
                        pl.col("category") == score_bin_labels()[TOP_BIN])


def _published_bins_only(pair_list: list, unmatched: list) -> tuple[list, list]:
    """Make every supported bin other than the planted one hold 0 or at least 10 units (all published)."""
    counts = np.bincount([b for _, b, _ in pair_list] + [b for _, b in unmatched], minlength=BINS)
    topped = list(unmatched)
    for index in np.flatnonzero((counts > 0) & (counts < 10)):
        topped += [("L2", int(index))] * int(10 - counts[index])
    return pair_list, topped


def test_bins_add_up_to_the_group_sizes_and_the_planted_bin_is_one() -> None:
    cells = impact_population_cells([("L1", 3, 3)] * 12, [("L2", 5)] * 11, [("L3", 4)] * 2)
    bins = cells.filter(pl.col("breakdown") != "none", pl.col("category") != "All")
    sums = bins.group_by("statistic", "breakdown").agg(pl.col("true_value").sum())
    sizes = dict(zip(*cells.filter(pl.col("breakdown") == "none", pl.col("locality") == AREA)
                     .select("statistic", "true_value").to_dict(as_series=False).values(), strict=True))
    assert {(row[0], row[2]) for row in sums.iter_rows()} == {
        ("supported_analysed", 24), ("comparison_analysed", 14), ("matched_pairs", 12)}
    assert sizes == {"supported_analysed": 24, "comparison_analysed": 14, "matched_pairs": 12}
    assert planted(cells)["true_value"].item() == 1


@SETTINGS
@given(pairs, singles, singles, st.booleans())
def test_without_secondary_suppression_the_exported_csv_gives_the_tiny_bin_away(pair_list, unmatched, unused,
                                                                                planted_matched) -> None:
    pair_list, unmatched = _published_bins_only(pair_list, unmatched)
    cells = impact_population_cells(pair_list, unmatched, unused, planted_matched)
    published = protect_publication(cells, [], NO_ROUNDING, knowledge=KNOWLEDGE, secondary=False)
    assert planted(published)["symbol"].item() == CONFIDENTIAL
    report = attack_exported(published, NO_ROUNDING)
    assert planted(report.cells).select("lower", "upper").row(0) == (1.0, 1.0)
    assert not report.ok


@SETTINGS
@given(pairs, singles, singles, st.booleans())
def test_with_secondary_suppression_the_attack_on_the_exported_csv_fails(pair_list, unmatched, unused,
                                                                         planted_matched) -> None:
    cells = impact_population_cells(pair_list, unmatched, unused, planted_matched)
    for policy in (NO_ROUNDING, POLICY):
        published = protect_publication(cells, [], policy, knowledge=KNOWLEDGE)
        report = attack_exported(published, policy)
        assert report.ok, report.unsafe
        assert planted(report.cells)["width"].item() >= policy.protection_level
        hidden_bins = published.filter(pl.col("breakdown") != "none", pl.col("symbol") == CONFIDENTIAL)
        assert hidden_bins.height >= 2, "a lone hidden bin beside its published group size is found by subtraction"
