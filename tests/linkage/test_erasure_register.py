"""The erasure register's matching rule on hand-built records: who is set aside as erased, and who is not."""

from __future__ import annotations

import polars as pl
import pytest

from linkage.erasure_register import (
    ErasureKeyError,
    check_value,
    council_key,
    hashed,
    match_values,
    matching,
    person_match_values,
)
from linkage.normalise import PERSON_RECORD_COLUMNS, normalise_people

KEY = bytes(range(32))
ERASED = {"person_id": 7, "given_name": "Zephyrine", "family_name": "Quillfeather", "date_of_birth": "2010-02-17",
          "postcode": "DT4 7QE", "nhs_number": "9876504320", "ni_number": None, "upn": None}


def _register() -> pl.DataFrame:
    person = pl.DataFrame([ERASED], schema={"person_id": pl.Int64, **dict.fromkeys(list(ERASED)[1:], pl.String)})
    return hashed(person_match_values(person), KEY).select("key_hash", "kind").with_columns(
        pl.lit(1, dtype=pl.Int64).alias("erasure_id"))


def _records(rows: list[dict]) -> pl.DataFrame:
    frame = pl.DataFrame([{name: row.get(name) for name in PERSON_RECORD_COLUMNS} for row in rows],
                         schema=dict.fromkeys(PERSON_RECORD_COLUMNS, pl.String))
    return hashed(match_values(normalise_people(frame)), KEY)


def _matched(rows: list[dict]) -> set[str]:
    return set(matching(_records(rows), _register()).get_column("record_id"))


def test_who_matches_an_erased_person():
    rows = [
        # the same NHS number, written with spaces, under another name: an NHS number decides
        {"record_id": "nhs", "source": "s", "surname": "Other", "nhs_number": "987 650 4320"},
        # name and date of birth, in other case and punctuation, no identifier
        {"record_id": "name_dob", "source": "s", "first_name": "ZEPHYRINE", "surname": "Quill-feather",
         "date_of_birth": "17/02/2010"},
        # no date of birth: name and postcode
        {"record_id": "name_postcode", "source": "s", "first_name": "Zephyrine", "surname": "Quillfeather",
         "postcode": "dt47qe"},
        # a namesake born the same day with another (valid) NHS number: not the erased person
        {"record_id": "namesake", "source": "s", "first_name": "Zephyrine", "surname": "Quillfeather",
         "date_of_birth": "2010-02-17", "nhs_number": "9434765919"},
        # same name and postcode but another date of birth (a parent named after a grandparent): not them
        {"record_id": "other_dob", "source": "s", "first_name": "Zephyrine", "surname": "Quillfeather",
         "date_of_birth": "1975-06-01", "postcode": "DT4 7QE"},
        # a sibling: same surname, date of birth and postcode, another first name
        {"record_id": "sibling", "source": "s", "first_name": "Ambrose", "surname": "Quillfeather",
         "date_of_birth": "2010-02-17", "postcode": "DT4 7QE"},
        # an NHS number failing its check digit is no identifier at all
        {"record_id": "bad_nhs", "source": "s", "surname": "Other", "nhs_number": "9876504321"},
    ]
    assert _matched(rows) == {"nhs", "name_dob", "name_postcode"}


def test_nothing_matches_an_empty_register():
    rows = [{"record_id": "r", "source": "s", "nhs_number": "9876504320"}]
    assert matching(_records(rows), _register().clear()).height == 0


def test_the_register_holds_no_value():
    register = _register()
    text = register.write_csv().lower()
    for value in ("zephyrine", "quillfeather", "9876504320", "2010-02-17", "dt4 7qe"):
        assert value not in text
    assert set(register.get_column("kind")) == {"nhs_number", "name_dob", "name_postcode"}
    assert register.get_column("key_hash").str.len_chars().to_list() == [64] * register.height


def test_the_council_secret(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.delenv("FAMILIES_ERASURE_KEY", raising=False)
    monkeypatch.delenv("FAMILIES_ERASURE_KEY_FILE", raising=False)
    with pytest.raises(ErasureKeyError, match="FAMILIES_ERASURE_KEY"):
        council_key()
    (tmp_path / "secret").write_text("ab" * 32 + "\n")
    monkeypatch.setenv("FAMILIES_ERASURE_KEY_FILE", str(tmp_path / "secret"))
    assert council_key() == bytes.fromhex("ab" * 32)
    monkeypatch.setenv("FAMILIES_ERASURE_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ErasureKeyError, match="cannot read"):
        council_key()
    monkeypatch.delenv("FAMILIES_ERASURE_KEY_FILE")
    monkeypatch.setenv("FAMILIES_ERASURE_KEY", "ab" * 10)
    with pytest.raises(ErasureKeyError) as short:
        council_key()
    assert "ab" * 10 not in str(short.value)
    assert check_value(KEY) != check_value(bytes(range(1, 33)))
