"""Normalisation of person records before linkage: the one place identifiers are cleaned.

Why one module: `link_people` (every partner's extracts) and `python -m linkage pairs` (any two files) must clean
identifiers the same way, or the trained model's parameters would not mean the same thing on both paths.
Everything here is a polars expression over whole columns (fast on a million rows) and nothing raises on a bad
value: a value that cannot be cleaned becomes null, which the linkage model treats as "unknown", never as a
disagreement.

What each column becomes (`normalise_people` returns these beside record_id and source):

- first_name, middle_name, surname: accents stripped (NFKD), lower case, everything but a-z removed
  ("O'Brien-Smith " -> "obriensmith").
- first_name_forms: the first name with every name the `nicknames` table (PyPI nicknames 1.0.1) lists it as a
  nickname of, sorted: "bill" -> [bill, robert, will, william, willis]. The table is many-to-many ("al" is short
  for alan, albert, alexander...), so the canonical form of a first name is this set, and two first names agree
  as nicknames when their sets intersect.
- date_of_birth: "YYYY-MM-DD" when it is a real calendar date written YYYY-MM-DD, YYYYMMDD or DD/MM/YYYY, else
  null; dob_day_month_swapped: the same date with day and month swapped when that is another real date;
  birth_year ("2001") and birth_month_day ("03-05"): its parts, for blocking.
- sex: "M" or "F" (also from male/female/m/f in any case), else null.
- postcode: a UK postcode in the stored form "DT4 7QE"; any other country's upper case without spaces ("4223").
  postcode_sector ("DT4 7") and postcode_district ("DT4") only for valid UK postcodes, so foreign postcodes
  never agree on a "sector".
- address: lower case, punctuation to spaces, single spaces, common street-type abbreviations spelt out
  ("rd" -> "road"); address_tokens: its distinct words, sorted.
- nhs_number: 10 digits (spaces and dashes removed) passing the mod-11 check, else null.
- ni_number: 9 characters (spaces removed, upper case) in HMRC's format, else null.
- upn: 13 characters (upper case) with the right check letter, else null.
"""

from __future__ import annotations

from functools import cache

import polars as pl
from nicknames import NickNamer

from data_access.identifiers import (
    POSTCODE_PATTERN,
    nhs_number_is_valid,
    ni_number_is_valid,
    upn_is_valid,
)

PERSON_RECORD_COLUMNS: tuple[str, ...] = (
    "record_id",
    "source",
    "first_name",
    "middle_name",
    "surname",
    "date_of_birth",
    "sex",
    "postcode",
    "address",
    "nhs_number",
    "ni_number",
    "upn",
)
"""The linker's input columns (all String), as fixed by the ingest <-> linker interface."""

NORMALISED_COLUMNS: tuple[str, ...] = (
    "record_id",
    "source",
    "first_name",
    "first_name_forms",
    "middle_name",
    "surname",
    "date_of_birth",
    "dob_day_month_swapped",
    "birth_year",
    "birth_month_day",
    "sex",
    "postcode",
    "postcode_sector",
    "postcode_district",
    "address",
    "address_tokens",
    "nhs_number",
    "ni_number",
    "upn",
)


def _blank_to_null(column: pl.Expr) -> pl.Expr:
    return pl.when(column.str.len_chars() > 0).then(column)


def name_expression(column: pl.Expr) -> pl.Expr:
    """Accents stripped, lower case, letters a-z only; empty -> null."""
    cleaned = column.str.normalize("NFKD").str.to_lowercase().str.replace_all(r"[^a-z]", "")
    return _blank_to_null(cleaned)


@cache
def nickname_forms_table() -> pl.DataFrame:
    """name -> sorted list of the name and every name the nicknames table says it is short for."""
    canonical_lookup = NickNamer().canonical_lookup  # nickname -> the names it is short for
    names = sorted(canonical_lookup)
    forms = [sorted({name} | canonical_lookup[name]) for name in names]
    return pl.DataFrame(
        {"first_name": names, "first_name_forms": forms},
        schema={"first_name": pl.String, "first_name_forms": pl.List(pl.String)},
    )


def first_name_forms(first_names: pl.Series) -> pl.Series:
    """The nickname forms of already-normalised first names (null stays null; unknown names map to [name])."""
    frame = pl.DataFrame({"first_name": first_names}).with_row_index("row")
    joined = frame.join(nickname_forms_table(), on="first_name", how="left").sort("row")
    return joined.select(
        pl.when(pl.col("first_name").is_null())
        .then(None)
        .when(pl.col("first_name_forms").is_null())
        .then(pl.concat_list(pl.col("first_name")))
        .otherwise(pl.col("first_name_forms"))
        .alias("first_name_forms")
    ).to_series()


def date_of_birth_expression(column: pl.Expr) -> pl.Expr:
    """A real date as "YYYY-MM-DD" from YYYY-MM-DD, YYYYMMDD or DD/MM/YYYY text; anything else -> null."""
    text = column.str.strip_chars()
    parsed = pl.coalesce(
        text.str.to_date("%Y-%m-%d", strict=False),
        pl.when(text.str.contains(r"^[0-9]{8}$")).then(text.str.to_date("%Y%m%d", strict=False)),
        text.str.to_date("%d/%m/%Y", strict=False),
    )
    return parsed.dt.to_string("%Y-%m-%d")


def day_month_swapped_expression(normalised_dob: pl.Expr) -> pl.Expr:
    """The date with day and month swapped, when that is a different real date (else null)."""
    swapped = pl.concat_str(
        normalised_dob.str.slice(0, 4), pl.lit("-"), normalised_dob.str.slice(8, 2), pl.lit("-"),
        normalised_dob.str.slice(5, 2),
    )
    as_date = swapped.str.to_date("%Y-%m-%d", strict=False).dt.to_string("%Y-%m-%d")
    return pl.when(as_date != normalised_dob).then(as_date)


def sex_expression(column: pl.Expr) -> pl.Expr:
    first_letter = column.str.strip_chars().str.to_uppercase().str.slice(0, 1)
    return pl.when(first_letter.is_in(["M", "F"])).then(first_letter)


def postcode_expression(column: pl.Expr) -> pl.Expr:
    """UK postcodes in the stored form ("DT4 7QE"), other countries' upper case without spaces; empty -> null."""
    compact = column.str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")
    uk_form = pl.concat_str(compact.str.slice(0, compact.str.len_chars() - 3), pl.lit(" "), compact.str.slice(-3))
    is_uk = uk_form.str.contains(POSTCODE_PATTERN).fill_null(False) & (compact.str.len_chars() >= 5)
    return _blank_to_null(pl.when(is_uk).then(uk_form).otherwise(compact))


STREET_ABBREVIATIONS: dict[str, str] = {
    "st": "street",
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "ln": "lane",
    "cl": "close",
    "cres": "crescent",
    "dr": "drive",
    "ct": "court",
    "pl": "place",
    "sq": "square",
    "gdns": "gardens",
    "tce": "terrace",
    "flt": "flat",
}


def address_expression(column: pl.Expr) -> pl.Expr:
    cleaned = column.str.normalize("NFKD").str.to_lowercase().str.replace_all(r"[^a-z0-9]+", " ")
    padded = pl.concat_str(pl.lit(" "), cleaned, pl.lit(" "))
    for short, long in STREET_ABBREVIATIONS.items():
        padded = padded.str.replace_all(f" {short} ", f" {long} ", literal=True)
    return _blank_to_null(padded.str.strip_chars())


def nhs_number_expression(column: pl.Expr) -> pl.Expr:
    digits = column.str.replace_all(r"[\s\-]", "")
    return pl.when(nhs_number_is_valid(digits).fill_null(False)).then(digits)


def ni_number_expression(column: pl.Expr) -> pl.Expr:
    compact = column.str.replace_all(r"\s", "").str.to_uppercase()
    return pl.when(ni_number_is_valid(compact).fill_null(False)).then(compact)


def upn_expression(column: pl.Expr) -> pl.Expr:
    compact = column.str.replace_all(r"\s", "").str.to_uppercase()
    return pl.when(upn_is_valid(compact).fill_null(False)).then(compact)


def normalise_people(records: pl.DataFrame) -> pl.DataFrame:
    """The linker's view of person records: every identifier cleaned as the module docstring says.

    `records` has the interface's columns (see PERSON_RECORD_COLUMNS); absent identifier columns are treated as
    all-null, so a source without NI numbers needs no placeholder column. Row order is kept.
    """
    if "record_id" not in records.columns:
        raise ValueError("Person records need a record_id column.")
    present = set(records.columns)
    frame = records.lazy().select(
        [
            pl.col(name).cast(pl.String) if name in present else pl.lit(None, dtype=pl.String).alias(name)
            for name in PERSON_RECORD_COLUMNS
        ]
    )
    postcode = postcode_expression(pl.col("postcode"))
    is_uk_postcode = pl.col("postcode").str.contains(" ")
    address = address_expression(pl.col("address"))
    cleaned = frame.with_columns(
        name_expression(pl.col("first_name")).alias("first_name"),
        name_expression(pl.col("middle_name")).alias("middle_name"),
        name_expression(pl.col("surname")).alias("surname"),
        date_of_birth_expression(pl.col("date_of_birth")).alias("date_of_birth"),
        sex_expression(pl.col("sex")).alias("sex"),
        postcode.alias("postcode"),
        address.alias("address"),
        nhs_number_expression(pl.col("nhs_number")).alias("nhs_number"),
        ni_number_expression(pl.col("ni_number")).alias("ni_number"),
        upn_expression(pl.col("upn")).alias("upn"),
    ).with_columns(
        day_month_swapped_expression(pl.col("date_of_birth")).alias("dob_day_month_swapped"),
        pl.col("date_of_birth").str.head(4).alias("birth_year"),
        pl.col("date_of_birth").str.slice(5, 5).alias("birth_month_day"),
        pl.when(is_uk_postcode).then(pl.col("postcode").str.head(-2)).alias("postcode_sector"),
        pl.when(is_uk_postcode).then(pl.col("postcode").str.split(" ").list.first()).alias("postcode_district"),
        pl.col("address").str.split(" ").list.unique().list.sort().alias("address_tokens"),
    ).collect()
    forms = first_name_forms(cleaned.get_column("first_name"))
    return cleaned.with_columns(forms).select(NORMALISED_COLUMNS)
