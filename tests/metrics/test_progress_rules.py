"""Golden cases for "improved", "sustained" and the age rule (tests/metrics/progress_rules_world.py says why each
answer is what it is), and the age rule shared by the progress measures and the impact analysis."""

from __future__ import annotations

import polars as pl
import pytest

from data_access.config import load_measures
from data_access.linked_reads import linked_data_from_frames
from metrics.impact.analysis_frame import impact_inputs, unit_statuses
from metrics.progress import follow_up_date, unit_progress
from tests.metrics.progress_rules_world import EXPECTED_M01, EXPECTED_PEOPLE, rule_frames

FLAGS = ("reviewed", "improved", "due_sustain_check", "sustained")


@pytest.fixture(scope="module")
def units() -> pl.DataFrame:
    return unit_progress(linked_data_from_frames(rule_frames()), load_measures()).collect()


def test_each_branch_of_improved_and_sustained(units):
    m01 = {row["family_id"]: tuple(row[flag] for flag in FLAGS)
           for row in units.filter(pl.col("measure_id") == "M01").iter_rows(named=True)}
    assert m01 == EXPECTED_M01  # family 11's "baseline" is too early: not counted at all
    assert units.filter(pl.col("measure_id") == "M01")["with_need"].all()


def test_the_follow_up_point_is_the_review_or_an_earlier_closure():
    frame = pl.DataFrame({"index": ["2024-01-01", "2024-01-01", "2024-01-01"],
                          "closure": ["2024-04-10", "2024-09-01", None]}).with_columns(
        pl.col("index", "closure").str.to_date())
    days = frame.select(follow_up_date(pl.col("index"), pl.col("closure")).cast(pl.String).alias("f"))["f"].to_list()
    assert days == ["2024-04-10", "2024-07-01", "2024-07-01"]  # 2024-01-01 + 182 days = 1 July 2024


def test_flags_nest_as_the_relations_promise(units):
    """improved <= reviewed, sustained <= improved and <= due: the disclosure relations rely on it."""
    assert not units.filter(pl.col("improved") & ~pl.col("reviewed")).height
    assert not units.filter(pl.col("sustained") & ~(pl.col("improved") & pl.col("due_sustain_check"))).height


def test_age_limits_of_person_measures(units):
    counted = set(units.filter(pl.col("unit") == "person").select("measure_id", "person_id").iter_rows())
    assert counted == EXPECTED_PEOPLE


def test_the_impact_analysis_counts_the_same_people_by_the_same_rule():
    statuses = unit_statuses(impact_inputs(rule_frames()), load_measures())
    person_units = statuses.filter(pl.col("unit") == "person").select("measure_id", "person_id").iter_rows()
    supported = {(m, p) for m, p in person_units if p < 130}
    comparison_twins = {(m, p - 10) for m, p in statuses.filter(pl.col("unit") == "person").select(
        "measure_id", "person_id").iter_rows() if p > 130}
    assert supported == EXPECTED_PEOPLE
    assert comparison_twins == EXPECTED_PEOPLE  # eligibility date = index date for comparison families
