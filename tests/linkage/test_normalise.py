"""Normalisation against hand-worked values, and properties that hold for any input (hypothesis)."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.normalise import PERSON_RECORD_COLUMNS, first_name_forms, normalise_people


def one(**values: str | None) -> dict:
    record = {name: None for name in PERSON_RECORD_COLUMNS} | {"record_id": "r1", "source": "s"} | values
    return normalise_people(pl.DataFrame([record], schema={name: pl.String for name in PERSON_RECORD_COLUMNS})).row(
        0, named=True
    )


def test_names_lose_case_spaces_punctuation_and_accents():
    row = one(first_name="  Zoë-Ann ", surname="O'Brien-SMITH", middle_name="   ")
    assert (row["first_name"], row["surname"], row["middle_name"]) == ("zoeann", "obriensmith", None)


def test_nickname_forms_intersect_for_a_name_and_its_nickname():
    forms = first_name_forms(pl.Series(["bill", "william", "zebedeeq", None])).to_list()
    assert "william" in forms[0] and "william" in forms[1]
    assert forms[2] == ["zebedeeq"]  # a name the table does not know is its own form
    assert forms[3] is None


def test_dates_of_birth_in_three_layouts_and_invalid_dates():
    assert one(date_of_birth="2001-03-05")["date_of_birth"] == "2001-03-05"
    assert one(date_of_birth="20010305")["date_of_birth"] == "2001-03-05"
    assert one(date_of_birth="05/03/2001")["date_of_birth"] == "2001-03-05"
    assert one(date_of_birth="2001-02-30")["date_of_birth"] is None
    assert one(date_of_birth="19990231")["date_of_birth"] is None


def test_day_month_swap_only_when_it_is_another_real_date():
    assert one(date_of_birth="2001-03-05")["dob_day_month_swapped"] == "2001-05-03"
    assert one(date_of_birth="2001-03-25")["dob_day_month_swapped"] is None  # month 25 does not exist
    assert one(date_of_birth="2001-04-04")["dob_day_month_swapped"] is None  # the same date


def test_uk_postcodes_get_the_stored_form_and_areas_foreign_ones_stay_compact():
    uk = one(postcode=" dt47qe ")
    assert (uk["postcode"], uk["postcode_sector"], uk["postcode_district"]) == ("DT4 7QE", "DT4 7", "DT4")
    australian = one(postcode="4223")
    assert (australian["postcode"], australian["postcode_sector"], australian["postcode_district"]) == (
        "4223",
        None,
        None,
    )


def test_nhs_numbers_failing_mod_11_become_null():
    assert one(nhs_number="943 476 5919")["nhs_number"] == "9434765919"  # the published valid example
    assert one(nhs_number="943-476-5918")["nhs_number"] is None  # wrong check digit
    assert one(nhs_number="12345")["nhs_number"] is None


def test_ni_numbers_and_upns_are_checked():
    assert one(ni_number="ab 12 34 56 c")["ni_number"] == "AB123456C"
    assert one(ni_number="QQ123456C")["ni_number"] is None  # Q is never a second letter
    assert one(upn="h801200001001")["upn"] == "H801200001001"  # a published valid example
    assert one(upn="A801200001001")["upn"] is None  # wrong check letter


def test_sex_and_address():
    assert [one(sex=value)["sex"] for value in ("m", "Female", "x", None)] == ["M", "F", None, None]
    row = one(address="12, High St.  Weymouth")
    assert row["address"] == "12 high street weymouth"
    assert row["address_tokens"] == ["12", "high", "street", "weymouth"]


def test_missing_identifier_columns_are_treated_as_blank():
    frame = pl.DataFrame({"record_id": ["a"], "source": ["s"], "surname": ["Smith"]})
    row = normalise_people(frame).row(0, named=True)
    assert row["surname"] == "smith" and row["nhs_number"] is None and row["first_name_forms"] is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=30)), min_size=1, max_size=20))
def test_any_text_normalises_to_clean_values_without_raising(values):
    frame = pl.DataFrame(
        {name: values for name in PERSON_RECORD_COLUMNS if name != "record_id"}
        | {"record_id": [str(index) for index in range(len(values))]},
        schema={name: pl.String for name in PERSON_RECORD_COLUMNS},
    )
    normalised = normalise_people(frame)
    assert normalised.height == len(values)
    for column in ("first_name", "middle_name", "surname"):
        assert normalised.get_column(column).drop_nulls().str.contains(r"^[a-z]+$").all()
    assert normalised.get_column("nhs_number").drop_nulls().str.contains(r"^[0-9]{10}$").all()
    assert normalised.get_column("date_of_birth").drop_nulls().str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$").all()
    assert set(normalised.get_column("sex").drop_nulls()) <= {"M", "F"}
