"""Unit progress and count cells against the hand-worked fixture (see linked_fixture.py)."""

from __future__ import annotations

import polars as pl

from data_access.config import load_measures
from metrics.progress import successful_family_outcomes, unit_progress
from tests.metrics.linked_fixture import hand_linked
from tests.shipped_config import shipped_true_cells


def _units() -> pl.DataFrame:
    return unit_progress(hand_linked(), load_measures()).collect().sort("measure_id", "family_id", "person_id")


def test_only_supported_units_with_a_baseline_need_are_counted():
    units = _units()
    keys = set(zip(units["measure_id"], units["family_id"], units["person_id"], strict=True))
    assert keys == {("M01", 1, None), ("M02", 1, 11), ("M01", 2, None), ("M02", 2, 21)}


def test_flags_match_the_hand_worked_answers():
    rows = {(r["measure_id"], r["family_id"], r["person_id"]): r for r in _units().iter_rows(named=True)}
    expected = {
        ("M01", 1, None): (True, True, True, True, True),
        ("M02", 1, 11): (True, True, True, True, False),
        ("M01", 2, None): (True, True, False, False, False),
        ("M02", 2, 21): (True, False, False, False, False),
    }
    flags = ("with_need", "reviewed", "improved", "due_sustain_check", "sustained")
    for key, answer in expected.items():
        assert tuple(rows[key][flag] for flag in flags) == answer, key


def test_breakdown_attributes_are_derived_at_the_index_date():
    rows = {(r["measure_id"], r["person_id"]): r for r in _units().iter_rows(named=True)}
    assert rows[("M02", 11)]["age_at_index"] == 12  # born 2010-06-15, attached 2023-05-01
    assert rows[("M02", 11)]["financial_year"] == "2023/24"
    assert rows[("M02", 21)]["quarter"] == "2024/25 Q1"
    assert rows[("M01", None)]["sex"] is None  # person breakdowns do not apply to family measures


def test_successful_family_outcome_needs_every_need_sustained():
    linked = hand_linked()
    units = unit_progress(linked, load_measures())
    outcomes = successful_family_outcomes(units, linked).collect()
    # Family 1 is the only family due; its child's ASB need recurred, so the family is not successful.
    assert outcomes.select("episode_id", "successful").rows() == [(101, False)]


def _cell(cells: pl.DataFrame, **keys) -> int:
    selected = cells.filter(*(pl.col(name) == value for name, value in keys.items()))
    assert selected.height == 1, keys
    return selected["true_value"].item()


def test_true_cells_complete_the_matrix_and_add_up():
    cells = shipped_true_cells(hand_linked())
    progress = dict(table="measure_progress", breakdown="none", category="All")
    assert _cell(cells, **progress, measure="M01", locality="Chesil", period="2023/24", statistic="sustained") == 1
    assert _cell(cells, **progress, measure="M01", locality="Dorset", period="2024/25", statistic="reviewed") == 1
    assert _cell(cells, **progress, measure="M02", locality="Dorset", period="2024/25 Q1", statistic="with_need") == 1
    assert _cell(cells, **progress, measure="M05", locality="Purbeck", period="2023/24", statistic="with_need") == 0
    by_sex = dict(table="measure_progress", measure="M02", locality="Dorset", period="2024/25", breakdown="sex",
                  statistic="with_need")
    assert _cell(cells, **by_sex, category="Not recorded") == 1
    assert _cell(cells, **by_sex, category="Female") == 0
    families = dict(table="families", measure="all", breakdown="none", category="All")
    assert _cell(cells, **families, locality="Dorset", period="2023/24", statistic="families_attached") == 2
    assert _cell(cells, **families, locality="Chesil", period="2023/24", statistic="families_closed") == 1
    assert _cell(cells, **families, locality="Dorset", period="2023/24", statistic="families_open_at_end") == 1
    assert _cell(cells, **families, locality="Dorset", period="2024/25 Q3", statistic="families_open_at_end") == 1
    needs = dict(table="families", measure="all", locality="Dorset", period="2023/24", breakdown="needs_at_assessment",
                 statistic="families_attached")
    assert _cell(cells, **needs, category="3") == 2


def test_every_count_adds_up_across_localities_and_categories():
    cells = shipped_true_cells(hand_linked())
    keys = ["table", "measure", "period", "breakdown", "category", "statistic"]
    localities = cells.filter(pl.col("locality") != "Dorset", ~pl.col("period").str.contains("Q"))
    summed = localities.group_by(keys).agg(pl.col("true_value").sum().alias("sum_of_localities"))
    dorset = cells.filter(pl.col("locality") == "Dorset").join(summed, on=keys)
    assert dorset.height > 0
    assert (dorset["true_value"] == dorset["sum_of_localities"]).all()
    categories = cells.filter(pl.col("category") != "All", pl.col("breakdown") != "none")
    category_sums = categories.group_by("table", "measure", "locality", "period", "breakdown", "statistic").agg(
        pl.col("true_value").sum().alias("sum_of_categories"))
    totals = cells.filter(pl.col("category") == "All", pl.col("breakdown") != "none").join(
        category_sums, on=["table", "measure", "locality", "period", "breakdown", "statistic"])
    assert (totals["true_value"] == totals["sum_of_categories"]).all()


def test_a_quarter_is_published_as_totals_only_unless_configured():
    """config/periods.toml quarter_breakdowns (false as shipped): a quarter's cells are its totals (breakdown none);
    switched on, its breakdowns are counted too, for the whole area only, and their categories add up to the total."""
    from metrics.true_cells import true_cells
    from tests.shipped_config import SETTINGS

    linked = hand_linked()
    shipped = shipped_true_cells(linked)
    assert not SETTINGS.quarter_breakdowns
    quarters = shipped.filter(pl.col("period").str.contains(" Q", literal=True))
    assert quarters.height > 0
    assert quarters["breakdown"].unique().to_list() == ["none"]
    assert shipped.filter(~pl.col("period").str.contains(" Q", literal=True), pl.col("breakdown") == "sex").height > 0

    broken_down = true_cells(linked, SETTINGS.measures, SETTINGS.breakdowns, SETTINGS.area_name,
                             SETTINGS.pooled_calendar_start, quarter_breakdowns=True)
    assert broken_down.join(shipped, on=["table", "measure", "locality", "period", "breakdown", "category",
                                         "statistic"], how="anti").filter(
        ~pl.col("period").str.contains(" Q", literal=True)).height == 0  # only quarters are added
    by_sex = dict(table="measure_progress", measure="M02", period="2024/25 Q1", breakdown="sex", statistic="with_need")
    assert _cell(broken_down, **by_sex, locality="Dorset", category="Not recorded") == 1  # person 21, sex not recorded
    assert _cell(broken_down, **by_sex, locality="Dorset", category="Female") == 0
    assert broken_down.filter(pl.col("period") == "2024/25 Q1", pl.col("breakdown") == "sex",
                              pl.col("locality") != "Dorset").height == 0
