"""A hand-built tiny linked world for the extract's golden tests: every expected row is worked out by hand.

Family 1, supported episode 11: eligible 2024-01-10, attached 2024-02-01, closed 2024-11-30 (review 2024-08-01,
sustained check 2025-06-01). Members: person 1 (parent), person 2 (child), person 3 (left on 2023-12-31, before
eligibility: not in the extract). Family 2, comparison episode 21: eligible 2024-03-15 (review 2024-09-13,
sustained check 2025-09-14). Members: person 4 (parent) and person 2 again (a child in two households).
Data as of 2025-09-30.
"""

from __future__ import annotations

from datetime import date

import polars as pl

AS_OF = date(2025, 9, 30)

PEOPLE = pl.DataFrame(
    {
        "person_id": [1, 2, 3, 4],
        "given_name": ["Siân", "Oliver", "Jack", "Mary"],
        "family_name": ["O'Brien-Smith", "Hardy", "Hardy", "Jones"],
        "date_of_birth": [date(1985, 7, 14), date(2015, 3, 4), date(1980, 1, 1), date(1990, 12, 25)],
        "sex": ["female", "male", "male", "female"],
        "ethnic_group": [None, None, None, "White: Irish"],
        "postcode": ["DT4 7QE", "DT1 2AB", "DT4 7QE", "BH21 1AA"],
        "nhs_number": ["9434765919", None, None, "4010232137"],
        "ni_number": ["AB123456C", None, None, "JG103759A"],
        "upn": [None, "T838120000100", None, None],
    },
    schema_overrides={"ethnic_group": pl.String, "nhs_number": pl.String, "ni_number": pl.String, "upn": pl.String},
)


def _observations() -> pl.DataFrame:
    rows = [
        # family 1 (index 2024-02-01): M01 family measure, followed to the sustained check
        ("M01", 1, None, date(2024, 2, 1), True),
        ("M01", 1, None, date(2024, 8, 1), False),
        ("M01", 1, None, date(2024, 11, 30), False),
        ("M01", 1, None, date(2025, 6, 1), False),
        # person 1, M06: an old observation outside the 183-day baseline window, the baseline before the index
        ("M06", 1, 1, date(2023, 6, 1), False),
        ("M06", 1, 1, date(2024, 1, 20), True),
        ("M06", 1, 1, date(2024, 8, 1), True),
        ("M06", 1, 1, date(2024, 11, 30), False),
        ("M06", 1, 1, date(2025, 6, 1), True),
        ("M02", 1, 1, date(2024, 2, 1), False),
        ("M07", 1, 2, date(2024, 2, 1), False),
        # family 2 (comparison, index 2024-03-15)
        ("M03", 2, None, date(2024, 3, 15), True),
        ("M03", 2, None, date(2024, 6, 1), True),  # not a key date: not in the extract
        ("M03", 2, None, date(2024, 9, 13), True),
        ("M03", 2, None, date(2025, 9, 14), False),
        ("M04", 2, 2, date(2024, 3, 15), True),
        ("M04", 2, 2, date(2024, 9, 13), False),
        ("M04", 2, 2, date(2025, 9, 14), False),
    ]
    frame = pl.DataFrame(rows, schema={"measure_id": pl.String, "family_id": pl.Int64, "person_id": pl.Int64,
                                       "observed_on": pl.Date, "need_present": pl.Boolean}, orient="row")
    return frame.with_row_index("observation_id", offset=1).with_columns(
        pl.col("observation_id").cast(pl.Int64), pl.lit("hand-built").alias("source"))


def tiny_world() -> dict[str, pl.DataFrame]:
    """The linked tables, ready for data_access.loader.load_linked_data."""
    return {
        "dataset_info": pl.DataFrame({"key": ["data_as_of", "is_synthetic"], "value": [AS_OF.isoformat(), "true"]}),
        "locality": pl.DataFrame({"locality_code": ["CHE", "EDO"], "locality_name": ["Chesil", "East Dorset"],
                                  "sort_order": [1, 2]}),
        "family": pl.DataFrame({"family_id": [1, 2], "locality_code": ["CHE", "EDO"],
                                "postcode_district": ["DT4", "BH21"], "family_type": ["two_parent", "lone_parent"],
                                "deprivation_decile": [2, 7]}),
        "person_identifier": PEOPLE,
        "family_member": pl.DataFrame({
            "family_id": [1, 1, 1, 2, 2],
            "person_id": [1, 2, 3, 4, 2],
            "role": ["parent_carer", "child", "other_adult", "parent_carer", "child"],
            "start_date": [date(2010, 5, 1), date(2015, 3, 4), date(2020, 1, 1), date(2000, 1, 1), date(2019, 1, 1)],
            "end_date": [None, None, date(2023, 12, 31), None, None],
        }, schema_overrides={"end_date": pl.Date}),
        "programme_episode": pl.DataFrame({
            "episode_id": [11, 21], "family_id": [1, 2], "cohort": ["supported", "comparison"],
            "eligibility_date": [date(2024, 1, 10), date(2024, 3, 15)],
            "attachment_date": [date(2024, 2, 1), None], "route_into_support": ["school", None],
            "team_code": ["CHE-T1", None], "lead_practitioner_key": ["LP0001", None],
            "assessment_date": [date(2024, 1, 20), None], "plan_date": [date(2024, 1, 25), None],
            "closure_date": [date(2024, 11, 30), None], "closure_reason": ["outcomes_achieved", None],
            "comparison_status": [None, "awaiting_place"], "prior_contacts": [3, 1],
        }, schema_overrides={"attachment_date": pl.Date, "closure_date": pl.Date, "route_into_support": pl.String,
                             "team_code": pl.String, "lead_practitioner_key": pl.String,
                             "assessment_date": pl.Date, "plan_date": pl.Date, "closure_reason": pl.String,
                             "comparison_status": pl.String}),
        "eligibility_need": pl.DataFrame({
            "episode_id": [11, 11, 11, 21, 21, 21],
            "headline_outcome": ["domestic_abuse", "housing", "health", "crime", "education", "financial"],
            "source": ["police", "housing", "health", "police", "school", "revenues"],
        }),
        "need_observation": _observations(),
        "record_link": pl.DataFrame(schema={"source": pl.String, "record_id": pl.String, "person_id": pl.Int64}),
    }
