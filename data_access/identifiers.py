"""Rules for UK personal identifiers: NHS number, National Insurance number, UPN and postcode.

Each identifier has a pure-Python validator for single values and a polars expression for whole
columns (the loader checks every row at the boundary, so the column versions must be fast).
The column versions return true/false for each value and null where the value is null, because
a missing identifier is allowed by the contract but a malformed one is not.

Stored forms (the data contract): NHS number as 10 digits without spaces; NI number as 9
upper-case characters without spaces; UPN as 13 upper-case characters; postcode upper case with
exactly one space before the 3-character inward code ("DT4 7QE").
"""

from __future__ import annotations

import re

import polars as pl

# --- NHS number -------------------------------------------------------------------------------

NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def nhs_check_digit(first_nine: str) -> int | None:
    """The mod-11 check digit for nine digits, or None when the remainder gives 10 (never issued)."""
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, NHS_WEIGHTS, strict=True))
    check = (11 - total % 11) % 11  # 11 becomes 0
    return None if check == 10 else check


def is_valid_nhs_number(value: str) -> bool:
    """True when `value` is 10 digits whose last digit is the mod-11 check digit of the first nine."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{10}", value):
        return False
    return nhs_check_digit(value[:9]) == int(value[9])


def nhs_number_is_valid(column: pl.Expr) -> pl.Expr:
    """Polars version of `is_valid_nhs_number` (null stays null)."""
    digits = [column.str.slice(position, 1).cast(pl.Int32, strict=False) for position in range(10)]
    total = pl.sum_horizontal([digit * weight for digit, weight in zip(digits, NHS_WEIGHTS, strict=False)])
    check = (11 - total % 11) % 11
    well_formed = column.str.contains(r"^[0-9]{10}$")
    return pl.when(column.is_not_null()).then(well_formed & (check != 10) & (check == digits[9]).fill_null(False))


# --- National Insurance number ----------------------------------------------------------------

NI_FIRST_LETTERS = "ABCEGHJKLMNOPRSTWXYZ"  # never D, F, I, Q, U, V
NI_SECOND_LETTERS = "ABCEGHJKLMNPRSTWXYZ"  # also never O
NI_UNUSED_PREFIXES = ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ")
NI_ADMINISTRATIVE_PREFIXES = ("OO", "CR", "FY", "MW", "NC")
"""Valid in form but used for administration, not issued to people: generators avoid them."""

_NI_PATTERN = re.compile(r"^(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]$")
_NI_PATTERN_WITHOUT_LOOKAHEAD = r"^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]$"


def is_valid_ni_number(value: str) -> bool:
    """True when `value` follows HMRC's format rules (there is no check character)."""
    return isinstance(value, str) and _NI_PATTERN.fullmatch(value) is not None


def ni_number_is_valid(column: pl.Expr) -> pl.Expr:
    """Polars version of `is_valid_ni_number` (polars regexes have no look-ahead, so prefixes are listed)."""
    return column.str.contains(_NI_PATTERN_WITHOUT_LOOKAHEAD) & ~column.str.slice(0, 2).is_in(NI_UNUSED_PREFIXES)


# --- Unique Pupil Number ----------------------------------------------------------------------

UPN_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: no I, O or S
UPN_WEIGHTS = tuple(range(2, 14))  # characters 2..13
_UPN_PATTERN = re.compile(rf"[{UPN_CHECK_LETTERS}][0-9]{{11}}[0-9{UPN_CHECK_LETTERS}]")
_UPN_CHARACTER_VALUES = {str(digit): digit for digit in range(10)} | {
    letter: index for index, letter in enumerate(UPN_CHECK_LETTERS)
}


def upn_check_letter(upn: str) -> str:
    """The check letter for the 12 characters after it (pass the 12 characters or the whole 13-character UPN).

    A temporary UPN ends in a letter, which counts as its position in the check-letter alphabet (A = 0).
    """
    body = upn[1:] if len(upn) == 13 else upn
    if len(body) != 12:
        raise ValueError(f"A UPN body has 12 characters, not {len(body)}: {upn!r}")
    total = sum(_UPN_CHARACTER_VALUES[character] * weight for character, weight in zip(body, UPN_WEIGHTS, strict=True))
    return UPN_CHECK_LETTERS[total % 23]


def is_valid_upn(value: str) -> bool:
    """True for a 13-character UPN (permanent, or temporary ending in a letter) with the right check letter."""
    if not isinstance(value, str) or not _UPN_PATTERN.fullmatch(value):
        return False
    return upn_check_letter(value) == value[0]


def upn_is_valid(column: pl.Expr) -> pl.Expr:
    """Polars version of `is_valid_upn` (null stays null)."""
    values = [
        column.str.slice(position, 1).replace_strict(_UPN_CHARACTER_VALUES, default=None, return_dtype=pl.Int32)
        for position in range(1, 13)
    ]
    total = pl.sum_horizontal([value * weight for value, weight in zip(values, UPN_WEIGHTS, strict=True)])
    expected = (total % 23).replace_strict(dict(enumerate(UPN_CHECK_LETTERS)), default=None, return_dtype=pl.String)
    well_formed = column.str.contains(rf"^[{UPN_CHECK_LETTERS}][0-9]{{11}}[0-9{UPN_CHECK_LETTERS}]$")
    return pl.when(column.is_not_null()).then(well_formed & (expected == column.str.slice(0, 1)).fill_null(False))


# --- Postcode ---------------------------------------------------------------------------------

# Q, V, X never first; I, J, Z never second; a letter after the district digit (A9A) is one of
# A B C D E F G H J K P S T U W, and after a two-letter area (AA9A) one of A B E H M N P R V W X Y;
# inward letters never C, I, K, M, O, V.
POSTCODE_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_OUTWARD = r"[A-PR-UWYZ](?:[0-9][0-9]?|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][0-9]?|[A-HK-Y][0-9][ABEHMNPRVWXY])"
_INWARD = rf"[0-9][{POSTCODE_INWARD_LETTERS}]{{2}}"
POSTCODE_PATTERN = rf"^{_OUTWARD} {_INWARD}$"
POSTCODE_DISTRICT_PATTERN = rf"^{_OUTWARD}$"


def is_valid_postcode(value: str) -> bool:
    """True for a full postcode in the stored form: upper case, one space before the inward code."""
    return isinstance(value, str) and re.fullmatch(POSTCODE_PATTERN, value) is not None


def is_valid_postcode_district(value: str) -> bool:
    """True for an outward code such as "DT4" or "BH21"."""
    return isinstance(value, str) and re.fullmatch(POSTCODE_DISTRICT_PATTERN, value) is not None


def postcode_district(postcode: str) -> str:
    """The outward code (district) of a postcode in the stored form."""
    return postcode.split(" ", 1)[0]


def normalise_postcode(value: str) -> str | None:
    """The stored form of a postcode typed any way ("dt47qe" -> "DT4 7QE"), or None if it is not valid."""
    compact = re.sub(r"\s+", "", value or "").upper()
    candidate = f"{compact[:-3]} {compact[-3:]}" if len(compact) >= 5 else compact
    return candidate if is_valid_postcode(candidate) else None


def postcode_is_valid(column: pl.Expr) -> pl.Expr:
    """Polars version of `is_valid_postcode`."""
    return column.str.contains(POSTCODE_PATTERN)


def postcode_district_is_valid(column: pl.Expr) -> pl.Expr:
    """Polars version of `is_valid_postcode_district`."""
    return column.str.contains(POSTCODE_DISTRICT_PATTERN)


def example_nhs_number(index: int) -> str:
    """A valid NHS number for example rows (the index-th after 943 476 590 whose check digit is not 10)."""
    base = 943476590 + index
    while nhs_check_digit(str(base)) is None:
        base += 1_000_000  # a different number each time, never reused by a later index
    return f"{base}{nhs_check_digit(str(base))}"


def example_upn(index: int) -> str:
    """A valid permanent UPN for example rows: Dorset's LA code 838, establishment 2001, year 24, serial index."""
    body = f"838200124{index % 1000:03d}"
    return upn_check_letter(body) + body
