"""Breakdowns of a measure (pages/_breakdowns.py): which apply and why not, the pooled period a locality's breakdown is
shown for, and the localities side by side, from hand-made published rows."""

from __future__ import annotations

import polars as pl

from data_access.config import load_breakdowns
from pages._breakdowns import (
    breakdown_choices,
    breakdown_grid,
    not_offered_sentence,
    pooled_period_for,
    pooled_words,
)

COMMISSIONER = ("sex", "age_band", "ethnic_group", "family_type")
PUBLISHED_FOR_A_FAMILY_MEASURE = {"none", "route_into_support", "family_type"}
POOLED = ["2020/21-2022/23", "2023/24-2025/26"]


def test_a_family_measure_offers_family_breakdowns_and_says_why_not_the_others():
    catalogue = load_breakdowns()
    choices = breakdown_choices(COMMISSIONER, PUBLISHED_FOR_A_FAMILY_MEASURE, "family", catalogue)
    assert choices.offered == ["family_type"]
    assert [breakdown for breakdown, _ in choices.not_offered] == ["sex", "age_band", "ethnic_group"]
    sentence = not_offered_sentence(choices.not_offered, catalogue)
    assert sentence == ("Not offered for this measure: sex, age at start of support and ethnic group, because it "
                        "describes a person, and this measure counts families: a family has several people, who can "
                        "differ.")


def test_a_person_measure_offers_every_published_breakdown_and_has_nothing_to_explain():
    catalogue = load_breakdowns()
    published = {"none", "sex", "age_band", "ethnic_group", "route_into_support", "family_type"}
    choices = breakdown_choices(COMMISSIONER, published, "person", catalogue)
    assert choices.offered == list(COMMISSIONER) and choices.not_offered == []
    assert not_offered_sentence(choices.not_offered, catalogue) is None
    analyst = breakdown_choices(("needs_at_assessment",), published, "person", catalogue)
    assert "counts of families supported only" in not_offered_sentence(analyst.not_offered, catalogue)


def test_a_localitys_breakdown_is_shown_for_the_pooled_period_holding_the_year():
    assert pooled_period_for("2021/22", POOLED) == "2020/21-2022/23"
    assert pooled_period_for("2023/24", POOLED) == "2023/24-2025/26"
    assert pooled_period_for("2020/21-2022/23", POOLED) == "2020/21-2022/23"
    assert pooled_period_for("2026/27", POOLED) == "2023/24-2025/26", "a recent year: the latest pooled period"
    assert pooled_period_for("2021/22", []) is None
    assert pooled_words("2023/24-2025/26") == "2023/24-2025/26, three years together"
    assert pooled_words("2023/24") == "2023/24"


def test_the_localities_grid_keeps_every_cell_and_marks_the_unpublished():
    rows = pl.DataFrame({"measure": "M02", "locality": ["Chesil", "Chesil", "Dorset"], "period": POOLED[1],
                         "breakdown": "sex", "category": ["Female", "Male", "Female"], "value": [41.2, None, 44.0],
                         "shown": ["41.2%", "[c]", "44.0%"], "comparison": ["similar", None, None]})
    grid = breakdown_grid(rows, "sex", POOLED[1], ["Chesil", "Purbeck", "Dorset"], ["Female", "Male"])
    assert grid.select("locality", "category", "shown").rows() == [
        ("Chesil", "Female", "41.2%"), ("Chesil", "Male", "[c]"), ("Purbeck", "Female", "[x]"),
        ("Purbeck", "Male", "[x]"), ("Dorset", "Female", "44.0%"), ("Dorset", "Male", "[x]")]
    assert grid["comparison"].to_list()[0] == "similar"
