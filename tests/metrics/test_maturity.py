"""Maturing cohorts: golden shares due and statuses from published counts, and the audit's check of them."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from data_access.published_schema import PUBLISHED_COLUMNS
from metrics.maturity import COMPLETE, MATURING, TABLE, check_cohort_maturity, maturity_rows, period_statuses


def _count(measure: str, period: str, statistic: str, value: float | None, locality: str = "Dorset") -> dict:
    return {"table": "measure_progress", "measure": measure, "locality": locality, "period": period,
            "breakdown": "none", "category": "All", "statistic": statistic, "kind": "count", "value": value,
            "symbol": None if value is not None else "[c]", "numerator": None, "denominator": None}


@pytest.fixture
def counts() -> pl.DataFrame:
    rows = []
    # 2023/24: everyone due -> 100% -> complete
    for measure, population in (("M01", 100.0), ("M07", 50.0)):
        rows += [_count(measure, "2023/24", "with_need", population),
                 _count(measure, "2023/24", "reviewed", population),
                 _count(measure, "2023/24", "due_sustain_check", population)]
    # 2024/25: reviewed all, due (95 + 45) / (100 + 50) = 93.3% -> maturing for sustained; M12 suppressed: left out
    rows += [_count("M01", "2024/25", "with_need", 100.0), _count("M01", "2024/25", "reviewed", 100.0),
             _count("M01", "2024/25", "due_sustain_check", 95.0),
             _count("M07", "2024/25", "with_need", 50.0), _count("M07", "2024/25", "reviewed", 50.0),
             _count("M07", "2024/25", "due_sustain_check", 45.0),
             _count("M12", "2024/25", "with_need", 10.0), _count("M12", "2024/25", "due_sustain_check", None)]
    # 2025/26 ends after the data date: maturing whatever its share
    rows += [_count("M01", "2025/26", "with_need", 20.0), _count("M01", "2025/26", "reviewed", 20.0),
             _count("M01", "2025/26", "due_sustain_check", 20.0)]
    # a locality's counts never decide (maturity is a property of the area's cohort)
    rows += [_count("M01", "2024/25", "due_sustain_check", 0.0, locality="Chesil")]
    return pl.DataFrame(rows, schema={name: (pl.Float64 if name == "value" else pl.String)
                                      for name in PUBLISHED_COLUMNS})


def _status(rows: pl.DataFrame, statistic: str, period: str) -> tuple[str, float | None]:
    found = period_statuses(rows).filter(pl.col("statistic") == statistic, pl.col("period") == period,
                                         pl.col("table") == "measure_progress")
    assert found.height == 1
    return found["status"].item(), found["share_due"].item()


def test_shares_due_and_statuses(counts):
    rows = maturity_rows(counts, "Dorset", date(2025, 9, 30))
    assert set(rows["table"]) == {TABLE}
    assert _status(rows, "sustained_percent", "2023/24") == (COMPLETE, 100.0)
    assert _status(rows, "sustained_percent", "2024/25") == (MATURING, pytest.approx(93.3))
    assert _status(rows, "improved_percent", "2024/25") == (COMPLETE, 100.0)
    assert _status(rows, "sustained_percent", "2025/26") == (MATURING, 100.0)
    successful = period_statuses(rows).filter(pl.col("table") == "family_outcomes", pl.col("period") == "2024/25")
    assert successful["status"].to_list() == [MATURING]  # families follow their units' sustainment checks


def test_the_audit_rebuilds_the_rows_and_catches_a_relabelled_year(counts):
    rows = maturity_rows(counts, "Dorset", date(2025, 9, 30))
    whole = pl.concat([counts, rows])
    assert check_cohort_maturity(whole) == []  # 2025/26 may be maturing at 100%: it is the latest year
    relabelled = whole.with_columns(symbol=pl.when(
        (pl.col("table") == TABLE) & (pl.col("period") == "2024/25") & (pl.col("kind") == "maturity")
        & (pl.col("statistic") == "sustained_percent")).then(pl.lit(COMPLETE)).otherwise(pl.col("symbol")))
    problems = check_cohort_maturity(relabelled)
    assert [(p["period"], p["statistic"], p["category"]) for p in problems] == [
        ("2024/25", "sustained_percent", "measure_progress")]
