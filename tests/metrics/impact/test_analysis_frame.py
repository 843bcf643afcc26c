"""The analysis frame on the hand-made world (tests/metrics/impact/hand_world.py): every value worked out by hand."""

from __future__ import annotations

import polars as pl
import pytest

from data_access.config import load_measures
from metrics.impact.analysis_frame import ANY_NEED, FollowUpCounts, analysis_frames, impact_inputs
from tests.metrics.impact.hand_world import hand_tables


@pytest.fixture(scope="module")
def frames() -> dict[str, object]:
    inputs = impact_inputs(hand_tables())
    return {frame.outcome_id: frame for frame in analysis_frames(inputs, load_measures())}


def test_identifiers_and_dates_of_birth_do_not_leave_the_minimiser() -> None:
    inputs = impact_inputs(hand_tables())
    for frame in (inputs.episodes, inputs.families, inputs.people_at_index, inputs.needs_at_assessment,
                  inputs.observations):
        assert not {"date_of_birth", "given_name", "nhs_number"} & set(frame.columns)
    ages = dict(zip(inputs.people_at_index["person_id"], inputs.people_at_index["age_at_index"], strict=True))
    assert ages == {11: 12, 12: 33, 13: 3, 21: 15, 22: 38, 31: 30, 41: 25}


def test_family_measure_baseline_follow_up_window_and_exclusions(frames) -> None:
    m01 = frames["M01"]
    rows = m01.frame.select("episode_id", "treated", "outcome").sort("episode_id").rows()
    # family 1: the later of two equally near follow-ups (present); family 2: absent.
    assert rows == [(101, True, True), (102, False, False)]
    assert m01.follow_up_counts(True) == FollowUpCounts(with_need=2, analysed=1, not_yet_due=1, missing_follow_up=0)
    assert m01.follow_up_counts(False) == FollowUpCounts(with_need=2, analysed=1, not_yet_due=0, missing_follow_up=1)
    assert m01.follow_up_counts(False, "Purbeck") == m01.follow_up_counts(False)
    assert m01.follow_up_counts(True, "Purbeck") == FollowUpCounts(0, 0, 0, 0)


def test_person_measure_age_range_and_missing_follow_up(frames) -> None:
    m02 = frames["M02"]
    assert m02.frame.select("person_id", "outcome", "age_at_index", "sex").rows() == [(11, False, 12, "female")]
    # person 12 has no observation within 30 days of the target; person 13 is too young; person 21's
    # "baseline" is more than 183 days before the index date.
    assert m02.follow_up_counts(True) == FollowUpCounts(with_need=2, analysed=1, not_yet_due=0, missing_follow_up=1)
    assert m02.follow_up_counts(False) == FollowUpCounts(0, 0, 0, 0)


def test_family_covariates(frames) -> None:
    row = frames["M01"].frame.filter(pl.col("episode_id") == 101).to_dicts()[0]
    assert row["n_needs"] == 3
    assert row["prior_contacts"] == 4
    assert row["n_children"] == 2
    assert row["youngest_child_age"] == 3
    assert (row["baseline_M01"], row["baseline_M02"], row["baseline_M03"]) == (1, 1, 0)
    assert row["cohort_year"] == "2023/24"
    assert (row["locality"], row["family_type"], row["deprivation_decile"]) == ("Chesil", "lone_parent", 2)
    comparison = frames["M01"].frame.filter(pl.col("episode_id") == 102).to_dicts()[0]
    assert (comparison["baseline_M02"], comparison["n_children"], comparison["youngest_child_age"]) == (0, 1, 15)
    assert comparison["cohort_year"] == "2023/24"  # index = eligibility date 2023-06-01 for comparison families
    assert "age_at_index" not in frames["M01"].spec.columns()
    assert "age_at_index" in frames["M02"].spec.columns()


def test_any_need_needs_every_baseline_need_followed_up(frames) -> None:
    any_need = frames[ANY_NEED]
    # family 1 is incomplete (person 12 has no follow-up), family 2 complete and clear.
    assert any_need.frame.select("episode_id", "outcome").rows() == [(102, False)]
    assert any_need.follow_up_counts(True) == FollowUpCounts(with_need=2, analysed=0, not_yet_due=1,
                                                             missing_follow_up=1)
