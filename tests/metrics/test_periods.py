"""Pooled periods on a fixed calendar (metrics.periods.calendar_pooled_periods): hand-worked cases and the property
that matters between editions: adding a year never moves or removes a pooled period."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from metrics.periods import POOLED_YEARS, calendar_pooled_periods, financial_year_label, pooled_period_holding


def years(first: int, last: int) -> list[str]:
    return [financial_year_label(year) for year in range(first, last + 1)]


def test_the_calendar_starts_in_its_year_and_every_three_years_before_and_after_it() -> None:
    complete = years(2016, 2025)  # 2016/17 to 2025/26
    assert calendar_pooled_periods(complete, "2020/21") == (
        ("2017/18-2019/20", ("2017/18", "2018/19", "2019/20")),
        ("2020/21-2022/23", ("2020/21", "2021/22", "2022/23")),
        ("2023/24-2025/26", ("2023/24", "2024/25", "2025/26")),
    )
    # Any start three years apart is the same calendar.
    assert calendar_pooled_periods(complete, "2014/15") == calendar_pooled_periods(complete, "2020/21")
    # Another calendar: 2016/17 and 2017/18 (their period starts in 2015/16) are left alone, and 2024/25 and
    # 2025/26 wait for 2026/27.
    assert [label for label, _ in calendar_pooled_periods(complete, "2018/19")] == [
        "2018/19-2020/21", "2021/22-2023/24"]


def test_a_period_is_published_only_once_all_its_years_are_complete() -> None:
    assert calendar_pooled_periods(years(2020, 2024), "2020/21") == (
        ("2020/21-2022/23", ("2020/21", "2021/22", "2022/23")),)
    assert calendar_pooled_periods(years(2021, 2025), "2020/21") == (
        ("2023/24-2025/26", ("2023/24", "2024/25", "2025/26")),)
    # A missing year in the middle leaves its period out.
    gap = [year for year in years(2020, 2025) if year != "2021/22"]
    assert [label for label, _ in calendar_pooled_periods(gap, "2020/21")] == ["2023/24-2025/26"]
    assert calendar_pooled_periods([], "2020/21") == ()


@given(first=st.integers(2010, 2030), length=st.integers(0, 15), added=st.integers(1, 6),
       start=st.integers(2000, 2040))
def test_adding_years_keeps_every_earlier_pooled_period(first: int, length: int, added: int, start: int) -> None:
    calendar = financial_year_label(start)
    before = calendar_pooled_periods(years(first, first + length - 1), calendar)
    after = calendar_pooled_periods(years(first, first + length - 1 + added), calendar)
    assert after[:len(before)] == before
    # Every period: three consecutive years, on the calendar, never overlapping another.
    members = [year for _, period_years in after for year in period_years]
    assert len(members) == len(set(members))
    for label, period_years in after:
        starts = [int(year[:4]) for year in period_years]
        assert starts == list(range(starts[0], starts[0] + POOLED_YEARS))
        assert (starts[0] - start) % POOLED_YEARS == 0
        assert label == f"{period_years[0]}-{period_years[-1]}"
    # Every whole run on the calendar inside the complete years is there.
    last = first + length - 1 + added
    expected = [year for year in range(first, last - POOLED_YEARS + 2) if (year - start) % POOLED_YEARS == 0]
    assert [int(period_years[0][:4]) for _, period_years in after] == expected


def test_the_pooled_period_holding_a_year_is_the_one_whose_three_years_include_it() -> None:
    periods = ["2020/21", "2020/21-2022/23", "2023/24-2025/26"]
    assert pooled_period_holding(periods, "2020/21") == "2020/21-2022/23"
    assert pooled_period_holding(periods, "2021/22") == "2020/21-2022/23"
    assert pooled_period_holding(periods, "2022/23") == "2020/21-2022/23"
    assert pooled_period_holding(periods, "2024/25") == "2023/24-2025/26"
    assert pooled_period_holding(periods, "2026/27") is None
    assert pooled_period_holding(periods, "2019/20") is None
    assert pooled_period_holding([], "2021/22") is None
