"""The records -> need observations rule on hand-made cases whose answers are worked out by hand (dates below)."""

from __future__ import annotations

from datetime import date

import polars as pl

from data_access.config import load_measures
from linkage.contract import load_partner_contract
from linkage.observations import evidence, need_observations, units

AS_OF = date(2026, 9, 30)
CATALOGUE = load_measures()
CONTRACT = load_partner_contract()

EPISODES = pl.DataFrame({"family_id": [1], "cohort": ["supported"], "eligibility_date": [date(2025, 2, 1)],
                         "attachment_date": [date(2025, 3, 1)], "closure_date": [date(2025, 12, 15)]})
MEMBERS = pl.DataFrame({"family_id": [1, 1, 1], "person_id": [10, 11, 12], "role": ["parent_carer", "child", "child"],
                        "start_date": [date(2010, 1, 1), date(2015, 4, 2), date(2016, 1, 1)],
                        "end_date": [None, None, None]}, schema_overrides={"end_date": pl.Date})
PEOPLE = pl.DataFrame({"person_id": [10, 11, 12], "date_of_birth": [date(1990, 5, 5), date(2015, 4, 2), None]})


def _found(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"measure_id": pl.String, "family_id": pl.Int64, "person_id": pl.Int64,
                                      "day": pl.Date, "kind": pl.String, "present": pl.Boolean, "source": pl.String},
                        orient="row")


def _statuses(observations: pl.DataFrame, measure: str) -> dict[date, bool]:
    return dict(observations.filter(pl.col("measure_id") == measure).select("observed_on", "need_present")
                .iter_rows())


def test_units_are_members_on_the_index_date_in_the_age_range_with_a_date_of_birth():
    frame = units(EPISODES, MEMBERS, PEOPLE, CATALOGUE)
    person_units = frame.filter(pl.col("person_id") >= 0)
    # person 11 is 9 on 1 March 2025: M04 (0-17), M07 (4-17) apply, M02 (10+) and M05 (10-17) do not;
    # person 12 has no date of birth: no person measure.
    assert set(person_units.filter(pl.col("person_id") == 11).get_column("measure_id")) == {"M04", "M07"}
    assert person_units.filter(pl.col("person_id") == 12).height == 0
    assert set(person_units.filter(pl.col("person_id") == 10).get_column("measure_id")) == {"M02", "M06", "M08"}
    assert frame.filter(pl.col("person_id") < 0).height == 5  # M01 M03 M09 M10 M12


def test_events_in_windows_bounded_by_the_previous_key_date():
    frame = units(EPISODES, MEMBERS, PEOPLE, CATALOGUE).filter(pl.col("measure_id") == "M01")
    found = _found([("M01", 1, -1, date(2025, 2, 10), "event", True, "police_incidents"),   # baseline window
                    ("M01", 1, -1, date(2025, 7, 5), "event", True, "police_incidents"),    # review window
                    ("M01", 1, -1, date(2026, 1, 10), "event", True, "police_incidents"),   # 12-month window
                    ("M01", 1, -1, date(2024, 8, 1), "event", True, "police_incidents")])   # before every window
    observed = need_observations(frame, found, CONTRACT, AS_OF, CATALOGUE)
    # baseline 2025-03-01, review +182 = 2025-08-30, closure 2025-12-15, 12 months +365 = 2026-03-01,
    # sustained = closure + 183 = 2026-06-16
    assert _statuses(observed, "M01") == {date(2025, 3, 1): True, date(2025, 8, 30): True,
                                          date(2025, 12, 15): False, date(2026, 3, 1): True,
                                          date(2026, 6, 16): False}
    assert observed.get_column("person_id").null_count() == observed.height  # family measure: no person


def test_the_latest_assessment_decides_a_need_wins_a_tie_and_no_baseline_need_means_no_follow_up():
    frame = units(EPISODES, MEMBERS, PEOPLE, CATALOGUE).filter(pl.col("measure_id").is_in(["M06", "M08"]))
    found = _found([("M06", 1, 10, date(2025, 1, 1), "assessment", True, "adult_mental_health"),
                    ("M06", 1, 10, date(2025, 2, 1), "assessment", False, "adult_mental_health"),  # decides: absent
                    ("M08", 1, 10, date(2025, 2, 1), "event", True, "substance_misuse"),
                    ("M08", 1, 10, date(2025, 8, 1), "event", True, "substance_misuse")])
    observed = need_observations(frame, found, CONTRACT, AS_OF, CATALOGUE)
    assert _statuses(observed, "M06") == {date(2025, 3, 1): False}  # baseline only
    assert _statuses(observed, "M08")[date(2025, 8, 30)] is True
    tie = _found([("M06", 1, 10, date(2025, 2, 1), "assessment", False, "adult_mental_health"),
                  ("M06", 1, 10, date(2025, 2, 1), "assessment", True, "adult_mental_health")])
    assert _statuses(need_observations(frame, tie, CONTRACT, AS_OF, CATALOGUE), "M06")[date(2025, 3, 1)] is True


def test_a_family_measure_counts_a_record_only_while_its_person_is_a_member():
    staged = {"police_incidents": pl.DataFrame({
        "record_id": ["r1", "r2"], "incident_date": [date(2025, 2, 10), date(2025, 2, 10)],
        "incident_type": ["domestic_abuse", "domestic_abuse"]})}
    links = pl.DataFrame({"record_id": ["r1", "r2"], "person_id": [10, 13]})
    members = pl.concat([MEMBERS, pl.DataFrame({"family_id": [1], "person_id": [13], "role": ["other_adult"],
                                                "start_date": [date(2025, 2, 20)], "end_date": [None]},
                                               schema_overrides={"end_date": pl.Date})])
    found = evidence(CONTRACT, staged, links, members, {"DFM-1": 1}, CATALOGUE)
    assert found.filter(pl.col("measure_id") == "M01").get_column("day").to_list() == [date(2025, 2, 10)]
    assert found.filter(pl.col("measure_id") == "M02").height == 0  # not anti-social behaviour
