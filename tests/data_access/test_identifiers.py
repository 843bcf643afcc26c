"""Identifier validators: published and hand-computed test vectors, and column versions agreeing with scalar ones."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_access.identifiers import (
    is_valid_nhs_number,
    is_valid_ni_number,
    is_valid_postcode,
    is_valid_postcode_district,
    is_valid_upn,
    nhs_check_digit,
    nhs_number_is_valid,
    ni_number_is_valid,
    normalise_postcode,
    postcode_district,
    postcode_is_valid,
    upn_check_letter,
    upn_is_valid,
)

# --- NHS number ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "9434765919",  # published example (NHS Digital)
        "4010232137",  # 4*10+0*9+1*8+0*7+2*6+3*5+2*4+1*3+3*2 = 92; 92 mod 11 = 4; 11-4 = 7
        "0100000010",  # 1*9+1*2 = 11; remainder 0 -> 11 -> check digit 0
        "1000000001",  # 1*10 = 10; remainder 10 -> check digit 1
    ],
)
def test_valid_nhs_numbers(value):
    assert is_valid_nhs_number(value)


@pytest.mark.parametrize(
    "value",
    [
        "9434765918",  # wrong check digit
        "0000000060",  # 6*2 = 12; remainder 1 -> 11-1 = 10: never issued, whatever the last digit
        "0000000066",
        "943476591",  # 9 digits
        "94347659190",  # 11 digits
        "943 476 5919",  # spaced display form is not the stored form
        "94347659X9",
        "",
        None,
    ],
)
def test_invalid_nhs_numbers(value):
    assert not is_valid_nhs_number(value)


def test_nhs_check_digit_of_remainder_one_is_none():
    assert nhs_check_digit("000000006") is None
    assert nhs_check_digit("943476591") == 9


# --- National Insurance number ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["AB123456C", "JG103759A", "ZA000000D", "OA123456B", "CR123456A"])
def test_valid_ni_numbers(value):
    assert is_valid_ni_number(value)


@pytest.mark.parametrize(
    "value",
    [
        "BG123456A", "GB123456A", "KN123456A", "NK123456A", "NT123456A", "TN123456A", "ZZ123456A",  # unused
        "DA123456A", "FA123456A", "IA123456A", "QA123456A", "UA123456A", "VA123456A",  # bad first letter
        "AD123456A", "AF123456A", "AI123456A", "AO123456A", "AQ123456A", "AU123456A", "AV123456A",  # bad second
        "AB123456E",  # suffix only A-D
        "AB12345C",
        "ab123456c",
        "AB 12 34 56 C",
        None,
    ],
)
def test_invalid_ni_numbers(value):
    assert not is_valid_ni_number(value)


# --- UPN ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["H801200001001", "G80120000101A", "B801200005001"])
def test_published_upn_examples_are_valid(value):
    assert is_valid_upn(value)


def test_upn_check_letter_by_hand():
    # 8*2 + 0*3 + 1*4 + 2*5 + 0*6 + 0*7 + 0*8 + 0*9 + 1*10 + 0*11 + 0*12 + 1*13 = 53; 53 mod 23 = 7 -> H
    assert upn_check_letter("801200001001") == "H"
    assert upn_check_letter("H801200001001") == "H"
    # Temporary UPN: the final letter A counts as 0: 52 mod 23 = 6 -> G
    assert upn_check_letter("80120000101A") == "G"


@pytest.mark.parametrize(
    "value",
    [
        "A801200001001",  # wrong check letter
        "I801200001001",  # I, O and S are never check letters
        "H80120000100",  # 12 characters
        "H8012000010011",
        "H80120000101I",  # temporary letter outside the alphabet
        "h801200001001",
        None,
    ],
)
def test_invalid_upns(value):
    assert not is_valid_upn(value)


def test_upn_check_letter_needs_twelve_characters():
    with pytest.raises(ValueError, match="12 characters"):
        upn_check_letter("80120000100")


# --- Postcode -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["DT4 7QE", "BH21 1AA", "SP8 4PX", "W1A 1AA", "EC1A 1BB", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT"]
)
def test_valid_postcodes(value):
    assert is_valid_postcode(value)
    assert is_valid_postcode_district(postcode_district(value))


@pytest.mark.parametrize(
    "value",
    [
        "QT4 7QE", "VT4 7QE", "XT4 7QE",  # Q, V, X never first
        "DI4 7QE", "DJ4 7QE", "DZ4 7QE",  # I, J, Z never second
        "DT4 7CE", "DT4 7QI", "DT4 7KM", "DT4 7OV",  # inward letters never C, I, K, M, O, V
        "W1L 1AA",  # a letter after the digit in A9A is one of A-H, J, K, P, S, T, U, W
        "EC1C 1BB",  # a letter after the digit in AA9A is one of A B E H M N P R V W X Y
        "DT47QE", "DT4  7QE", "dt4 7qe", "DT4 7Q", "", None,
    ],
)
def test_invalid_postcodes(value):
    assert not is_valid_postcode(value)


def test_normalise_postcode():
    assert normalise_postcode(" dt4 7qe ") == "DT4 7QE"
    assert normalise_postcode("BH211AA") == "BH21 1AA"
    assert normalise_postcode("QT4 7QE") is None
    assert normalise_postcode("") is None


# --- column versions agree with the scalar versions ---------------------------------------------

COLUMN_CHECKS = [
    (is_valid_nhs_number, nhs_number_is_valid),
    (is_valid_ni_number, ni_number_is_valid),
    (is_valid_upn, upn_is_valid),
    (is_valid_postcode, postcode_is_valid),
]

nhs_like = st.from_regex(r"[0-9]{10}", fullmatch=True) | st.text("0123456789 X", max_size=12)
ni_like = st.from_regex(r"[A-Z]{2}[0-9]{6}[A-F]", fullmatch=True) | st.text("ABGNKTZO0123456789 ", max_size=10)
upn_like = st.from_regex(r"[A-Z][0-9]{11}[0-9A-Z]", fullmatch=True) | st.text("AHIO0128", max_size=14)
postcode_like = st.from_regex(r"[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}", fullmatch=True)


@settings(deadline=None, max_examples=60)
@given(st.lists(nhs_like, max_size=30), st.lists(ni_like, max_size=30), st.lists(upn_like, max_size=30),
       st.lists(postcode_like, max_size=30))
def test_column_validators_agree_with_scalar_validators(nhs, ni, upn, postcodes):
    for values, (scalar, column) in zip((nhs, ni, upn, postcodes), COLUMN_CHECKS, strict=True):
        series = pl.Series("value", [*values, None], dtype=pl.String)
        result = pl.DataFrame({"value": series}).select(column(pl.col("value"))).to_series().to_list()
        assert result[:-1] == [scalar(value) for value in values]
        assert result[-1] is None or result[-1] is False  # a missing value is never reported valid
