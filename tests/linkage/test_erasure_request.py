"""The erasure request: read from a file or the environment, checked field by field; messages never quote values."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from linkage.erasure_request import RequestError, parse_request, read_request


def test_a_file_and_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "person.toml").write_text('nhs_number = "943 476 5919"\ndate_of_birth = 1985-07-14\n'
                                          '[correct]\nfamily_name = "Hardy-Jones"\nsex = "Female"\n')
    request = read_request(person_file=tmp_path / "person.toml")
    assert request.identifiers == {"nhs_number": "943 476 5919", "date_of_birth": "1985-07-14"}
    assert request.corrections == {"family_name": "Hardy-Jones", "sex": "female"}
    monkeypatch.setenv("PERSON", json.dumps({"given_name": "Ann", "family_name": "Lee", "date_of_birth": "1990-01-02"}))
    assert read_request(person_env="PERSON").identifiers["family_name"] == "Lee"
    with pytest.raises(RequestError, match="not set"):
        read_request(person_env="NO_SUCH_VARIABLE_HERE")
    with pytest.raises(RequestError, match="give the person as a file"):
        read_request()


@pytest.mark.parametrize(("raw", "message"), [
    ({"family_name": "Lee", "date_of_birth": "1990-01-02"}, "could find someone else"),
    ({"nhs_number": "9434765919", "favourite_colour": "Lee"}, "favourite_colour"),
    ({"nhs_number": "9434765919", "correct": {"nhs_number": "9434765918"}}, "not a valid nhs number"),
    ({"nhs_number": "9434765919", "correct": {"date_of_birth": "14/07/1985"}}, "YYYY-MM-DD"),
    ({"nhs_number": "9434765919", "correct": {"date_of_birth": "2999-01-01"}}, "up to today"),
    ({"nhs_number": "9434765919", "correct": {"postcode": "XX1 1XX"}}, "postcode"),
    ({"nhs_number": "9434765919", "correct": {"sex": "Unknownish"}}, "female, male"),
    ({"nhs_number": "9434765919", "correct": {"given_name": "R2D2"}}, "a name of letters"),
    ({"nhs_number": "9434765919", "correct": {"ethnic_group": "Martian"}}, "ONS 2021"),
    ({"nhs_number": "9434765919", "correct": {"shoe_size": "9"}}, "shoe_size"),
])
def test_refusals_name_the_field_never_the_value(raw: dict, message: str):
    with pytest.raises(RequestError) as refused:
        parse_request(raw)
    assert message in str(refused.value)
    values = [value for value in json.dumps(raw).split('"') if len(value) > 3 and value not in (
        "nhs_number", "correct", "date_of_birth", "family_name", "given_name", "ethnic_group", "favourite_colour",
        "shoe_size", "postcode")]
    for value in values:
        assert value not in str(refused.value)


def test_corrections_are_stored_in_the_data_contract_s_forms():
    request = parse_request({"upn": "t838120000100", "correct": {
        "nhs_number": "943-476-5919", "ni_number": "ab 12 34 56 c", "postcode": "dt47qe", "date_of_birth": "2001-02-03",
        "given_name": "  Siân  ", "ethnic_group": "White: Irish"}})
    assert request.corrections == {"nhs_number": "9434765919", "ni_number": "AB123456C", "postcode": "DT4 7QE",
                                   "date_of_birth": date(2001, 2, 3), "given_name": "Siân",
                                   "ethnic_group": "White: Irish"}
