"""A hand-built linked dataset with one family per branch of the "improved" / "sustained" rule and the age rule.

Data date 2025-03-31. Every family is supported and lives in Chesil; measure M01 (a family measure) unless stated.
Index = attachment date; F = index + 182 days, or the closure date when the case closed before that.

family  index       closure     after the baseline (need present at the baseline)              expected
A  1    2024-01-01  2024-09-01  review 07-01 absent; closure present; 12-month 12-31 absent   improved, NOT sustained
B  2    2024-01-01  2024-04-10  closure absent; 2024-07-01 present (after closure)            improved at closure, due,
                                                                                             NOT sustained
C  3    2024-04-01  -           review 09-30 absent; 12-month 2025-03-31 PRESENT              improved (12m ignored)
D  4    2024-04-01  -           review 09-30 PRESENT; 12-month 2025-03-31 absent              NOT improved
E  5    2024-12-01  -           2025-02-01 absent (before F = 2025-06-01, after the data date)  NOT reviewed
F  6    2024-01-01  -           nothing, although F = 2024-07-01 has passed                   NOT reviewed
G  7    2023-06-01  2024-02-06  review 11-30 absent; closure absent; 2024-08-07 absent        improved, sustained
H  8    2024-04-01  2024-12-31  review absent; closure absent (closure + 183 > data date)     improved, NOT due
I  9    2023-06-01  2024-02-06  review absent; closure absent; nothing after closure          due, NOT sustained
J  10   2024-04-01  -           two observations on F (09-30): one present, one absent        NOT improved
K  11   2024-06-01  -           "baseline" 2023-11-01 (213 days before the index)             not counted
M02 (a person measure, ages 10 and over), family 12, index 2024-04-01, each person with a baseline need:
   121 born 2014-04-02: aged 9 on the index date             not counted (progress and impact alike)
   122 born 2014-04-01: aged 10 on the index date (birthday)  counted
   123 date of birth not recorded                            counted
M05 (ages 10-17), family 12: 124 born 2006-03-31 (18): not counted; 125 born 2006-04-02 (17): counted.
Family 13 is a comparison family with the same people's twins (131-135, same dates of birth, eligible 2024-04-01),
so the impact analysis of the same rule can be checked on both groups.
"""

from __future__ import annotations

from datetime import date

import polars as pl

D = date.fromisoformat
AS_OF = "2025-03-31"

FAMILIES = {  # family_id: (attachment date, closure date)
    1: ("2024-01-01", "2024-09-01"), 2: ("2024-01-01", "2024-04-10"), 3: ("2024-04-01", None),
    4: ("2024-04-01", None), 5: ("2024-12-01", None), 6: ("2024-01-01", None), 7: ("2023-06-01", "2024-02-06"),
    8: ("2024-04-01", "2024-12-31"), 9: ("2023-06-01", "2024-02-06"), 10: ("2024-04-01", None),
    11: ("2024-06-01", None), 12: ("2024-04-01", None),
}

M01 = [
    (1, "2024-01-01", True), (1, "2024-07-01", False), (1, "2024-09-01", True), (1, "2024-12-31", False),
    (2, "2024-01-01", True), (2, "2024-04-10", False), (2, "2024-07-01", True),
    (3, "2024-04-01", True), (3, "2024-09-30", False), (3, "2025-03-31", True),
    (4, "2024-04-01", True), (4, "2024-09-30", True), (4, "2025-03-31", False),
    (5, "2024-12-01", True), (5, "2025-02-01", False),
    (6, "2024-01-01", True),
    (7, "2023-06-01", True), (7, "2023-11-30", False), (7, "2024-02-06", False), (7, "2024-08-07", False),
    (8, "2024-04-01", True), (8, "2024-09-30", False), (8, "2024-12-31", False),
    (9, "2023-06-01", True), (9, "2023-11-30", False), (9, "2024-02-06", False),
    (10, "2024-04-01", True), (10, "2024-09-30", True), (10, "2024-09-30", False),
    (11, "2023-11-01", True),
]

EXPECTED_M01 = {  # family: (reviewed, improved, due_sustain_check, sustained)
    1: (True, True, True, False), 2: (True, True, True, False), 3: (True, True, False, False),
    4: (True, False, False, False), 5: (False, False, False, False), 6: (False, False, False, False),
    7: (True, True, True, True), 8: (True, True, False, False), 9: (True, True, True, False),
    10: (True, False, False, False),
}

PEOPLE = {  # person_id: (measure, date of birth or None); twins 131.. are person_id + 10 in family 13
    121: ("M02", "2014-04-02"), 122: ("M02", "2014-04-01"), 123: ("M02", None),
    124: ("M05", "2006-03-31"), 125: ("M05", "2006-04-02"),
}
EXPECTED_PEOPLE = {("M02", 122), ("M02", 123), ("M05", 125)}


def rule_frames() -> dict[str, pl.DataFrame]:
    observations = [("M01", family, None, day, present) for family, day, present in M01]
    for person, (measure, _) in PEOPLE.items():
        observations.append((measure, 12, person, "2024-04-01", True))
        observations.append((measure, 13, person + 10, "2024-04-01", True))
        observations.append((measure, 13, person + 10, "2025-03-31", False))  # the comparison twin's 12 months
    people = [(person, born) for person, (_, born) in PEOPLE.items()]
    people += [(person + 10, born) for person, born in people]
    episodes = [(1000 + family, family, "supported", attached, attached, closure)
                for family, (attached, closure) in FAMILIES.items()]
    episodes.append((1013, 13, "comparison", "2024-04-01", None, None))
    families = sorted([*FAMILIES, 13])
    return {
        "dataset_info": pl.DataFrame({"key": ["data_as_of", "is_synthetic"], "value": [AS_OF, "true"]}),
        "locality": pl.DataFrame({"locality_code": ["CHE"], "locality_name": ["Chesil"], "sort_order": [1]}),
        "family": pl.DataFrame({"family_id": families, "locality_code": "CHE", "family_type": "other",
                                "deprivation_decile": 5}),
        "person_identifier": pl.DataFrame(
            {"person_id": [p for p, _ in people], "sex": "female", "ethnic_group": None,
             "date_of_birth": [D(born) if born else None for _, born in people]},
            schema={"person_id": pl.Int64, "sex": pl.String, "ethnic_group": pl.String, "date_of_birth": pl.Date}),
        "family_member": pl.DataFrame(
            {"family_id": [12 if p < 130 else 13 for p, _ in people], "person_id": [p for p, _ in people],
             "role": "child", "start_date": D("2000-01-01"), "end_date": None},
            schema_overrides={"end_date": pl.Date}),
        "programme_episode": pl.DataFrame(
            episodes, schema={"episode_id": pl.Int64, "family_id": pl.Int64, "cohort": pl.String,
                              "eligibility_date": pl.String, "attachment_date": pl.String,
                              "closure_date": pl.String}, orient="row",
        ).with_columns(pl.col("eligibility_date", "attachment_date", "closure_date").str.to_date(),
                       route_into_support=pl.lit("school"), prior_contacts=pl.lit(1, dtype=pl.Int64)),
        "eligibility_need": pl.DataFrame({"episode_id": [1000 + f for f in families] * 3,
                                          "headline_outcome": ["crime"] * len(families) + ["health"] * len(families)
                                          + ["housing"] * len(families)}),
        "need_observation": pl.DataFrame(
            observations, schema={"measure_id": pl.String, "family_id": pl.Int64, "person_id": pl.Int64,
                                  "observed_on": pl.String, "need_present": pl.Boolean}, orient="row",
        ).with_columns(pl.col("observed_on").str.to_date()),
    }
