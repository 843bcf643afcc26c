"""A tiny hand-made linked dataset whose progress figures are worked out by hand in the tests.

Data date 2024-12-31. Two localities (Chesil, Purbeck). Measures used: M01 (family), M02 (person, 10+).

family 1 (Chesil, lone_parent), supported, attached 2023-05-01, closed 2023-12-01 (outcomes_achieved), route school
   M01 family: baseline present (2023-05-01); review 2023-10-30 absent; closure 2023-12-01 absent;
        post 2024-05-31 absent -> improved, sustained
   person 11 (female, born 2010-06-15, age 12 at index): M02 baseline present; review 2023-10-30 absent;
        closure 2023-12-01 absent; post 2024-05-31 PRESENT -> improved, due, not sustained
   person 12 (male, born 1990-01-01): M02 baseline absent -> not counted
family 2 (Purbeck, two_parent), supported, attached 2024-06-10, open, route health_visitor
   M01 family: baseline present 2024-06-10; review 2024-12-09 present -> reviewed, not improved, not due
   person 21 (sex not recorded, born 2012-03-01, age 12): M02 baseline present 2024-01-01 (within 183 days);
        no follow-up yet -> with need, not reviewed
family 3 (Purbeck, other), comparison group (never counted in progress): M01 baseline present 2023-07-01.
family 4 (Chesil, lone_parent), supported, attached 2023-04-03, closed 2024-10-01 (not yet due)
   M01 family: baseline present 2022-09-01 (more than 183 days before: NOT a baseline) -> not counted
"""

from __future__ import annotations

from datetime import date

import polars as pl

from data_access.linked_reads import linked_data_from_frames

D = date.fromisoformat


def hand_frames() -> dict[str, pl.DataFrame]:
    observations = [
        ("M01", 1, None, "2023-05-01", True),
        ("M01", 1, None, "2023-10-30", False),
        ("M01", 1, None, "2023-12-01", False),
        ("M01", 1, None, "2024-05-31", False),
        ("M02", 1, 11, "2023-05-01", True),
        ("M02", 1, 11, "2023-10-30", False),
        ("M02", 1, 11, "2023-12-01", False),
        ("M02", 1, 11, "2024-05-31", True),
        ("M02", 1, 12, "2023-05-01", False),
        ("M01", 2, None, "2024-06-10", True),
        ("M01", 2, None, "2024-12-09", True),
        ("M02", 2, 21, "2024-01-01", True),
        ("M01", 3, None, "2023-07-01", True),
        ("M01", 4, None, "2022-09-01", True),
    ]
    return {
        "dataset_info": pl.DataFrame({"key": ["data_as_of", "is_synthetic"], "value": ["2024-12-31", "true"]}),
        "locality": pl.DataFrame(
            {"locality_code": ["CHE", "PUR"], "locality_name": ["Chesil", "Purbeck"], "sort_order": [1, 2]}
        ),
        "family": pl.DataFrame(
            {
                "family_id": [1, 2, 3, 4],
                "locality_code": ["CHE", "PUR", "PUR", "CHE"],
                "postcode_district": ["DT4", "BH19", "BH20", "DT5"],
                "family_type": ["lone_parent", "two_parent", "other", "lone_parent"],
                "deprivation_decile": [2, 5, 6, 3],
            }
        ),
        "person_identifier": pl.DataFrame(
            {
                "person_id": [11, 12, 21],
                "sex": ["female", "male", None],
                "ethnic_group": ["White: Irish", None, "Asian: Chinese"],
                "date_of_birth": [D("2010-06-15"), D("1990-01-01"), D("2012-03-01")],
            }
        ),
        "family_member": pl.DataFrame(
            {
                "family_id": [1, 1, 2],
                "person_id": [11, 12, 21],
                "role": ["child", "parent_carer", "child"],
                "start_date": [D("2010-06-15"), D("2009-01-01"), D("2012-03-01")],
                "end_date": [None, None, None],
            },
            schema_overrides={"end_date": pl.Date},
        ),
        "programme_episode": pl.DataFrame(
            {
                "episode_id": [101, 102, 103, 104],
                "family_id": [1, 2, 3, 4],
                "cohort": ["supported", "supported", "comparison", "supported"],
                "eligibility_date": [D("2023-04-20"), D("2024-06-01"), D("2023-07-01"), D("2023-04-01")],
                "attachment_date": [D("2023-05-01"), D("2024-06-10"), None, D("2023-04-03")],
                "route_into_support": ["school", "health_visitor", None, "other"],
                "closure_date": [D("2023-12-01"), None, None, D("2024-10-01")],
            }
        ),
        "eligibility_need": pl.DataFrame(
            {
                "episode_id": [101, 101, 101, 102, 102, 102, 102, 104, 104, 104],
                "headline_outcome": ["domestic_abuse", "crime", "education", "domestic_abuse", "crime", "health",
                                     "housing", "crime", "education", "financial"],
            }
        ),
        "need_observation": pl.DataFrame(
            observations,
            schema={"measure_id": pl.String, "family_id": pl.Int64, "person_id": pl.Int64, "observed_on": pl.String,
                    "need_present": pl.Boolean},
            orient="row",
        ).with_columns(pl.col("observed_on").str.to_date()),
    }


def hand_linked():
    return linked_data_from_frames(hand_frames())
