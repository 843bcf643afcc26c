"""A tiny hand-made linked dataset whose impact analysis frame is worked out by hand.

Data date 2025-06-30. Measures used: M01 (family) and M02 (person, aged 10+).

family 1 (Chesil, lone_parent, decile 2) SUPPORTED: eligible 2023-04-01, attached 2023-05-01 (index), 3 needs.
   people: 11 child born 2010-06-15 (12 at index), 12 parent born 1990-01-01 (33), 13 child born 2020-02-01 (3).
   M01: 2023-01-15 absent, 2023-04-20 present -> latest baseline present: with need. Follow-up target 2024-04-30:
        2024-04-10 absent (20 days early), 2024-05-20 present (20 days late) -> tie, the later wins: PRESENT.
   M02 person 11: baseline 2023-05-01 present; 2024-04-30 absent -> outcome absent.
   M02 person 12: baseline present; only later observation 2024-06-15 (46 days late, outside 30) -> missing.
   M02 person 13: "present" but aged 3, outside M02's 10+ -> not in the population.
family 2 (Purbeck, two_parent, decile 5) COMPARISON: eligible 2023-06-01 (index), 4 needs.
   people: 21 child born 2008-03-01 (15), 22 parent born 1985-05-05.
   M01: baseline 2023-06-01 present; 2024-05-31 absent -> outcome absent.
   M02 person 21: 2022-11-01 present, more than 183 days before the index -> no baseline need.
family 3 (Chesil, other, decile 8) SUPPORTED: eligible 2024-12-01, attached 2025-01-10: follow-up due
   2026-01-10, after the data date -> not yet due. M01 baseline present.
family 4 (Purbeck, lone_parent, decile 3) COMPARISON: eligible 2024-02-01; M01 baseline present, no follow-up
   although due 2025-01-31 -> missing follow-up.
"""

from __future__ import annotations

from datetime import date

import polars as pl

D = date.fromisoformat


def hand_tables() -> dict[str, pl.DataFrame]:
    observations = [
        ("M01", 1, None, "2023-01-15", False),
        ("M01", 1, None, "2023-04-20", True),
        ("M01", 1, None, "2024-04-10", False),
        ("M01", 1, None, "2024-05-20", True),
        ("M02", 1, 11, "2023-05-01", True),
        ("M02", 1, 11, "2024-04-30", False),
        ("M02", 1, 12, "2023-05-01", True),
        ("M02", 1, 12, "2024-06-15", True),
        ("M02", 1, 13, "2023-05-01", True),
        ("M01", 2, None, "2023-06-01", True),
        ("M01", 2, None, "2024-05-31", False),
        ("M02", 2, 21, "2022-11-01", True),
        ("M01", 3, None, "2025-01-10", True),
        ("M01", 4, None, "2024-02-01", True),
    ]
    people = [
        (11, "2010-06-15", "female", "White: English, Welsh, Scottish, Northern Irish or British"),
        (12, "1990-01-01", "female", "White: Irish"),
        (13, "2020-02-01", None, None),
        (21, "2008-03-01", "male", "White: English, Welsh, Scottish, Northern Irish or British"),
        (22, "1985-05-05", "female", "White: English, Welsh, Scottish, Northern Irish or British"),
        (31, "1995-01-01", "female", None),
        (41, "1999-01-01", "female", None),
    ]
    members = [
        (1, 11, "child", "2010-06-15", None),
        (1, 12, "parent_carer", "2010-06-15", None),
        (1, 13, "child", "2020-02-01", None),
        (2, 21, "child", "2008-03-01", None),
        (2, 22, "parent_carer", "2008-03-01", None),
        (3, 31, "parent_carer", "2015-01-01", None),
        (4, 41, "parent_carer", "2019-01-01", None),
    ]
    episodes = [
        (101, 1, "supported", "2023-04-01", "2023-05-01", 4),
        (102, 2, "comparison", "2023-06-01", None, 1),
        (103, 3, "supported", "2024-12-01", "2025-01-10", 2),
        (104, 4, "comparison", "2024-02-01", None, 0),
    ]
    needs = [(101, "crime"), (101, "domestic_abuse"), (101, "health"),
             (102, "crime"), (102, "domestic_abuse"), (102, "housing"), (102, "financial"),
             (103, "domestic_abuse"), (103, "health"), (103, "housing"),
             (104, "domestic_abuse"), (104, "crime"), (104, "education")]
    return {
        "dataset_info": pl.DataFrame({"key": ["data_as_of"], "value": ["2025-06-30"]}),
        "locality": pl.DataFrame(
            {"locality_code": ["CHE", "PUR"], "locality_name": ["Chesil", "Purbeck"], "sort_order": [1, 2]}
        ),
        "family": pl.DataFrame({
            "family_id": [1, 2, 3, 4],
            "locality_code": ["CHE", "PUR", "CHE", "PUR"],
            "family_type": ["lone_parent", "two_parent", "other", "lone_parent"],
            "deprivation_decile": [2, 5, 8, 3],
        }),
        "person_identifier": pl.DataFrame(
            people, schema={"person_id": pl.Int64, "date_of_birth": pl.String, "sex": pl.String,
                            "ethnic_group": pl.String}, orient="row",
        ).with_columns(pl.col("date_of_birth").str.to_date(), given_name=pl.lit("SECRET"), nhs_number=pl.lit("9999")),
        "family_member": pl.DataFrame(
            members, schema={"family_id": pl.Int64, "person_id": pl.Int64, "role": pl.String,
                             "start_date": pl.String, "end_date": pl.String}, orient="row",
        ).with_columns(pl.col("start_date").str.to_date(), pl.col("end_date").str.to_date()),
        "programme_episode": pl.DataFrame(
            episodes, schema={"episode_id": pl.Int64, "family_id": pl.Int64, "cohort": pl.String,
                              "eligibility_date": pl.String, "attachment_date": pl.String,
                              "prior_contacts": pl.Int64}, orient="row",
        ).with_columns(pl.col("eligibility_date").str.to_date(), pl.col("attachment_date").str.to_date()),
        "eligibility_need": pl.DataFrame(needs, schema={"episode_id": pl.Int64, "headline_outcome": pl.String},
                                         orient="row"),
        "need_observation": pl.DataFrame(
            observations, schema={"measure_id": pl.String, "family_id": pl.Int64, "person_id": pl.Int64,
                                  "observed_on": pl.String, "need_present": pl.Boolean}, orient="row",
        ).with_columns(pl.col("observed_on").str.to_date()),
    }
