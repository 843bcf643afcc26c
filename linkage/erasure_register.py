"""The erasure register's keys and matching: a person erased on request stays erased when their records come again.

Each erased record (and the request itself) gives match values from its normalised identifiers (linkage/normalise.py,
the linker's own cleaning), each kept only as HMAC-SHA256(council secret, "<kind>:<value>"):

    nhs_number, ni_number, upn      the identifier
    name_dob                        "<first name>|<surname>|<date of birth>"
    name_postcode                   "<first name>|<surname>|<postcode>"

A later record matches an erasure when it shares an NHS number, NI number or UPN with it; or its name and date of
birth (or, for a record without a date of birth, its name and postcode) and no identifier of a kind the erasure
also holds disagrees (a namesake born the same day with another NHS number is not the erased person). The ingest
sets a matching row aside in quarantine with reason "erased", keeping no part of it (linkage/ingest.py).

The council's secret is read from FAMILIES_ERASURE_KEY_FILE (a file, mode 0600) or FAMILIES_ERASURE_KEY (at least
64 hexadecimal characters), never from the command line or the database, so the register alone cannot be turned
back into identifiers by trying every NHS number. Once the register holds anything, an ingest without the secret
(or with another one: a check value is stored) refuses to run rather than let erased people back in.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from data_access.config import ConfigError
from data_access.erasure_store import read_check_value, read_register
from linkage.contract import PartnerContract, Source
from linkage.normalise import normalise_people
from linkage.person_records import person_records
from linkage.secret_keys import SecretKeyError, read_key
from linkage.validation import ValidatedRows

KEY_FILE_VARIABLE = "FAMILIES_ERASURE_KEY_FILE"
KEY_VARIABLE = "FAMILIES_ERASURE_KEY"
CHECK_LABEL = b"dorset-families-matter erasure register v1"
STRONG_KINDS = ("nhs_number", "ni_number", "upn")
KINDS = (*STRONG_KINDS, "name_dob", "name_postcode")
ERASED = "erased"


class ErasureKeyError(ConfigError):
    """The council's erasure secret is missing or is not the one the register was made with."""


def council_key() -> bytes:
    """The council's secret for the register, from FAMILIES_ERASURE_KEY_FILE or FAMILIES_ERASURE_KEY."""
    path = os.environ.get(KEY_FILE_VARIABLE)
    try:
        if path:
            return read_key(key_file=Path(path), what="the erasure-register secret")
        if os.environ.get(KEY_VARIABLE):
            return read_key(key_env=KEY_VARIABLE, what="the erasure-register secret")
    except SecretKeyError as error:
        raise ErasureKeyError(str(error)) from None
    raise ErasureKeyError(f"set {KEY_FILE_VARIABLE} (a file holding the council's erasure-register secret) or "
                          f"{KEY_VARIABLE}: the erasure register cannot be used without it")


def check_value(key: bytes) -> str:
    return hmac.new(key, CHECK_LABEL, hashlib.sha256).hexdigest()


def verified_key(engine: Engine) -> bytes:
    """The council's secret, refused when the register was made with another one."""
    key = council_key()
    stored = read_check_value(engine)
    if stored is not None and not hmac.compare_digest(stored, check_value(key)):
        raise ErasureKeyError("the erasure-register secret given is not the one the register was made with")
    return key


def match_values(normalised: pl.DataFrame) -> pl.DataFrame:
    """record_id, kind, value, has_dob: every match value of each normalised record (linkage.normalise's columns)."""
    name = pl.concat_str([pl.col("first_name"), pl.col("surname")], separator="|")
    parts = [normalised.select("record_id", pl.lit(kind).alias("kind"), pl.col(kind).alias("value"))
             for kind in STRONG_KINDS]
    parts.append(normalised.select("record_id", pl.lit("name_dob").alias("kind"),
                                   pl.concat_str([name, pl.col("date_of_birth")], separator="|").alias("value")))
    parts.append(normalised.select("record_id", pl.lit("name_postcode").alias("kind"),
                                   pl.concat_str([name, pl.col("postcode")], separator="|").alias("value")))
    has_dob = normalised.select("record_id", pl.col("date_of_birth").is_not_null().alias("has_dob"))
    return pl.concat(parts).drop_nulls("value").join(has_dob, on="record_id", how="left")


def hashed(values: pl.DataFrame, key: bytes) -> pl.DataFrame:
    """The same rows with key_hash = HMAC-SHA256(key, "<kind>:<value>") in place of the value."""
    messages = values.select(pl.format("{}:{}", "kind", "value")).to_series().to_list()
    hashes = [hmac.new(key, message.encode(), hashlib.sha256).hexdigest() for message in messages]
    return values.drop("value").with_columns(pl.Series("key_hash", hashes, dtype=pl.String))


def matching(candidates: pl.DataFrame, register: pl.DataFrame) -> pl.DataFrame:
    """(record_id, erasure_id) of every candidate that matches an erasure, by the rule in the module docstring.

    candidates: record_id, kind, key_hash, has_dob (hashed match values); register: key_hash, kind, erasure_id.
    """
    schema = {"record_id": candidates.schema.get("record_id", pl.String), "erasure_id": pl.Int64}
    if candidates.height == 0 or register.height == 0:
        return pl.DataFrame(schema=schema)
    found = candidates.join(register, on=["key_hash", "kind"], how="inner")
    strong = found.filter(pl.col("kind").is_in(STRONG_KINDS)).select("record_id", "erasure_id")
    by_name = found.filter((pl.col("kind") == "name_dob")
                           | ((pl.col("kind") == "name_postcode") & ~pl.col("has_dob"))).select(
        "record_id", "erasure_id").unique()
    candidate_strong = candidates.filter(pl.col("kind").is_in(STRONG_KINDS)).select("record_id", "kind", "key_hash")
    register_strong = register.filter(pl.col("kind").is_in(STRONG_KINDS))
    compared = by_name.join(candidate_strong, on="record_id").join(
        register_strong.select("erasure_id", "kind").unique(), on=["erasure_id", "kind"], how="semi")
    agreeing = compared.join(register_strong, on=["erasure_id", "kind", "key_hash"], how="semi")
    disagreeing = compared.join(agreeing, on=["record_id", "erasure_id", "kind"], how="anti").select(
        "record_id", "erasure_id").unique()
    by_name = by_name.join(disagreeing, on=["record_id", "erasure_id"], how="anti")
    return pl.concat([strong, by_name]).unique().sort("record_id", "erasure_id").cast(schema)


def person_match_values(people: pl.DataFrame) -> pl.DataFrame:
    """match_values of person_identifier-shaped rows (person_id, given_name, family_name, date_of_birth, postcode,
    nhs_number, ni_number, upn), with record_id = person_id as text."""
    records = people.select(
        pl.col("person_id").cast(pl.String).alias("record_id"), pl.lit("person_identifier").alias("source"),
        pl.col("given_name").alias("first_name"), pl.col("family_name").alias("surname"),
        pl.col("date_of_birth").cast(pl.String), *(pl.col(name).cast(pl.String) for name in (
            "postcode", "nhs_number", "ni_number", "upn")))
    return match_values(normalise_people(records))


def set_aside_erased(engine: Engine, contract: PartnerContract, source: Source, validated: ValidatedRows
                     ) -> ValidatedRows:
    """Move accepted rows that match the erasure register to quarantine (reason "erased", nothing of them kept)."""
    if source.kind != "person" or validated.accepted.height == 0:
        return validated
    register = read_register(engine)
    if register.height == 0:
        return validated
    key = verified_key(engine)
    accepted = validated.accepted.with_columns(pl.col("row_number").cast(pl.String).alias("record_id"))
    records = person_records(contract, {source.id: accepted})
    matched = matching(hashed(match_values(normalise_people(records)), key), register)
    if matched.height == 0:
        return validated
    erased = pl.col("record_id").is_in(matched.get_column("record_id").implode())
    set_aside = accepted.filter(erased).select(
        "row_number", pl.lit(ERASED).alias("reason"), pl.lit(None, dtype=pl.String).alias("column_name"),
        pl.lit(None, dtype=pl.String).alias("raw_row"))
    quarantined = pl.concat([validated.quarantined, set_aside.cast(validated.quarantined.schema)]).sort("row_number")
    return ValidatedRows(accepted=accepted.filter(~erased).drop("record_id"), quarantined=quarantined)
