"""Keyed tokens of normalised identifiers, for agreements that allow linkage on tokens instead of clear identifiers.

token = lowercase hex of HMAC-SHA256(key, UTF-8 bytes of "<identifier>:<normalised value>"), with the key the
recipient supplies. The identifier's name inside the message keeps tokens of different identifiers apart (a
given name and a family name that are spelt the same get different tokens). The normalisation is the linker's own
(linkage/normalise.py), so the council and the recipient clean identifiers the same way; docs/national-extract.md
writes it out step by step, with test vectors a test checks against this module.

The key never travels on the command line: it is read from a file or an environment variable, as at least 64
hexadecimal characters (32 bytes; `openssl rand -hex 32` makes one).
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import polars as pl

from linkage.normalise import (
    date_of_birth_expression,
    name_expression,
    nhs_number_expression,
    ni_number_expression,
    postcode_expression,
    upn_expression,
)
from linkage.secret_keys import SecretKeyError
from linkage.secret_keys import parse_key as parse_secret_key
from linkage.secret_keys import read_key as read_secret_key

TOKEN_IDENTIFIERS = ("given_name", "family_name", "date_of_birth", "postcode", "nhs_number", "ni_number", "upn")
"""The identifiers that become tokens, in the extract's column order (sex stays clear: two values hide nothing)."""

KEY_ID_LABEL = b"dorset-families-matter token key id v1"
TokenKeyError = SecretKeyError


def parse_key(text: str) -> bytes:
    """The token key from its text form: at least 64 hexadecimal characters (linkage/secret_keys.py)."""
    return parse_secret_key(text, "the token key")


def read_key(*, key_file: Path | None = None, key_env: str | None = None) -> bytes:
    """The token key from a file or from the named environment variable (exactly one of them)."""
    return read_secret_key(key_file=key_file, key_env=key_env, what="the token key")


def key_id(key: bytes) -> str:
    """A short check value of the key (not the key): lets both sides confirm they hold the same key."""
    return hmac.new(key, KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def token(key: bytes, identifier: str, normalised_value: str) -> str:
    message = f"{identifier}:{normalised_value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def normalised_identifiers(people: pl.DataFrame) -> pl.DataFrame:
    """person_id plus each TOKEN_IDENTIFIERS column in its normalised form (null where there is no usable value).

    `people` has person_identifier's columns (date_of_birth a Date, or text: YYYY-MM-DD, YYYYMMDD or DD/MM/YYYY).
    """
    dob = pl.col("date_of_birth")
    dob_text = (dob.dt.strftime("%Y-%m-%d") if people.schema["date_of_birth"] == pl.Date
                else date_of_birth_expression(dob.cast(pl.String)))
    return people.select(
        "person_id",
        name_expression(pl.col("given_name").cast(pl.String)).alias("given_name"),
        name_expression(pl.col("family_name").cast(pl.String)).alias("family_name"),
        dob_text.alias("date_of_birth"),
        postcode_expression(pl.col("postcode").cast(pl.String)).alias("postcode"),
        nhs_number_expression(pl.col("nhs_number").cast(pl.String)).alias("nhs_number"),
        ni_number_expression(pl.col("ni_number").cast(pl.String)).alias("ni_number"),
        upn_expression(pl.col("upn").cast(pl.String)).alias("upn"),
    )


def tokenised(normalised: pl.DataFrame, key: bytes) -> pl.DataFrame:
    """person_id plus `<identifier>_token` for each identifier (null where the identifier is missing)."""
    columns = [pl.col("person_id")]
    for identifier in TOKEN_IDENTIFIERS:
        values = normalised.get_column(identifier).unique().drop_nulls().to_list()
        lookup = {value: token(key, identifier, value) for value in values}
        columns.append(pl.col(identifier).replace_strict(lookup, default=None, return_dtype=pl.String)
                       .alias(f"{identifier}_token"))
    return normalised.select(columns)
