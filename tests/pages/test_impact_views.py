"""Plain words for the Impact page (pages/_impact_views.py), against hand-made published rows and the real config."""

from __future__ import annotations

import polars as pl

from data_access.config import load_breakdowns, load_measures
from pages._impact_views import covariate_label, unmatched_share

COLUMNS = ("table", "measure", "locality", "period", "breakdown", "category", "statistic", "kind", "value", "symbol")


def _impact(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame([("impact", *row) for row in rows], schema=dict.fromkeys(COLUMNS, pl.String)
                        | {"value": pl.Float64}, orient="row")


def test_covariates_in_words():
    catalogue, breakdowns = load_measures(), load_breakdowns()
    m12 = catalogue.by_id("M12").short_label
    assert covariate_label("baseline_M12", catalogue, breakdowns) == f"Had the need when support began: {m12}"
    assert covariate_label("family_type: two_parent", catalogue, breakdowns) == "Family type: Two parents"
    assert covariate_label("cohort_year: 2022/23", catalogue, breakdowns) == "Financial year support began: 2022/23"
    assert covariate_label("n_needs", catalogue, breakdowns) == "Number of needs at assessment"
    assert covariate_label("sex: Not recorded", catalogue, breakdowns) == "Sex: Not recorded"
    assert covariate_label("some_new_thing", catalogue, breakdowns) == "Some new thing"  # never a bare code
    assert covariate_label("new_covariate: a_level", catalogue, breakdowns) == "New covariate: a level"


def test_unmatched_share_from_the_published_group_sizes():
    impact = _impact([
        ("M01", "Dorset", "all", "none", "All", "supported_unmatched", "count", 495.0, None),
        ("M01", "Dorset", "all", "none", "All", "supported_analysed", "count", 775.0, None),
        ("M01", "Purbeck", "all", "none", "All", "supported_unmatched", "count", 5.0, None),
        ("M02", "Dorset", "all", "none", "All", "supported_unmatched", "count", None, "[c]"),
        ("M02", "Dorset", "all", "none", "All", "supported_analysed", "count", 40.0, None),
    ])
    assert unmatched_share(impact, "Dorset", "M01") == {"unmatched": 495.0, "analysed": 775.0, "percent": 64,
                                                        "shown": "495 of 775 (64%)"}  # 495/775 = 63.87%
    assert unmatched_share(impact, "Dorset", "M02")["shown"] == "[c]"
    assert unmatched_share(impact, "Dorset", "M03")["shown"] == "[x]"
