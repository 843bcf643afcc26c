"""Who to erase or correct: the request, read from a file or an environment variable, never the command line.

A file (`--person-file`) is TOML; an environment variable (`--person-env NAME`) holds the same as JSON:

    given_name = "..."          # any of these identifiers; at least an NHS number, an NI number, a UPN,
    family_name = "..."         # or given name + family name + date of birth
    date_of_birth = "YYYY-MM-DD"
    postcode = "..."
    nhs_number = "..."
    ni_number = "..."
    upn = "..."

    [correct]                   # corrections only: the right values, in any of the fields above, or sex
    date_of_birth = "..."       # ("female" or "male") or ethnic_group (one of the 19 ONS 2021 groups)

Messages name fields, never values (a request is personal data, like everything it finds).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from data_access import identifiers
from data_access.schema import ETHNIC_GROUPS, SEXES

IDENTIFYING = ("given_name", "family_name", "date_of_birth", "postcode", "nhs_number", "ni_number", "upn")
CORRECTABLE = (*IDENTIFYING, "sex", "ethnic_group")
_NAME = re.compile(r"^[\w' .\-\u2019]+$")


class RequestError(ValueError):
    """The request cannot be used as given; the message names fields only."""


@dataclass(frozen=True)
class PersonRequest:
    identifiers: dict[str, str]  # as written
    corrections: dict[str, object] = field(default_factory=dict)  # stored forms (data contract), checked

    def as_person_row(self) -> pl.DataFrame:
        """The identifiers as a person_identifier-shaped row (person_id 0), for linkage.erasure_register."""
        row = {"person_id": 0, **{name: self.identifiers.get(name) for name in IDENTIFYING}}
        return pl.DataFrame([row], schema={"person_id": pl.Int64, **dict.fromkeys(IDENTIFYING, pl.String)})


def read_request(*, person_file: Path | None = None, person_env: str | None = None) -> PersonRequest:
    if (person_file is None) == (person_env is None):
        raise RequestError("give the person as a file (--person-file) or an environment variable (--person-env)")
    if person_file is not None:
        try:
            raw = tomllib.loads(person_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise RequestError(f"cannot read {person_file} ({type(error).__name__})") from None
        except tomllib.TOMLDecodeError:
            raise RequestError(f"{person_file} is not valid TOML") from None
    else:
        text = os.environ.get(person_env or "")
        if not text:
            raise RequestError(f"the environment variable {person_env} is not set")
        try:
            raw = json.loads(text)
        except json.JSONDecodeError:
            raise RequestError(f"the environment variable {person_env} does not hold a JSON object") from None
    if not isinstance(raw, dict):
        raise RequestError("the request must be a table of fields")
    return parse_request(raw)


def _text(value: object, name: str) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise RequestError(f"{name} must be text")
    return value.strip()


def parse_request(raw: dict) -> PersonRequest:
    unknown = sorted(set(raw) - {*IDENTIFYING, "correct"})
    if unknown:
        raise RequestError(f"unknown field(s) {', '.join(unknown)}; the identifiers are {', '.join(IDENTIFYING)}")
    given = {name: _text(raw[name], name) for name in IDENTIFYING if name in raw}
    given = {name: value for name, value in given.items() if value}
    strong = any(name in given for name in ("nhs_number", "ni_number", "upn"))
    named = all(name in given for name in ("given_name", "family_name", "date_of_birth"))
    if not (strong or named):
        raise RequestError("give an NHS number, an NI number or a UPN, or given name, family name and date of birth: "
                           "fewer identifiers could find someone else")
    corrections = raw.get("correct", {})
    if not isinstance(corrections, dict):
        raise RequestError("[correct] must be a table of fields")
    unknown = sorted(set(corrections) - set(CORRECTABLE))
    if unknown:
        raise RequestError(f"[correct]: unknown field(s) {', '.join(unknown)}")
    return PersonRequest(given, {name: stored_form(name, _text(value, f"[correct] {name}"))
                                 for name, value in corrections.items()})


def stored_form(name: str, value: str) -> object:
    """A corrected value in the data contract's stored form, or RequestError naming the field (never the value)."""
    problem = f"[correct] {name}"
    if name in ("given_name", "family_name"):
        cleaned = re.sub(r"\s+", " ", value)
        if not cleaned or len(cleaned) > 80 or not _NAME.match(cleaned) or any(ch.isdigit() for ch in cleaned):
            raise RequestError(f"{problem}: a name of letters, spaces, hyphens, apostrophes and full stops "
                               "(at most 80 characters)")
        return cleaned
    if name == "date_of_birth":
        try:
            born = date.fromisoformat(value)
        except ValueError:
            raise RequestError(f"{problem}: a date written YYYY-MM-DD") from None
        if not date(1900, 1, 1) <= born <= datetime.now(UTC).date():
            raise RequestError(f"{problem}: a date from 1900 up to today")
        return born
    if name == "sex":
        if value.lower() not in SEXES:
            raise RequestError(f"{problem}: one of {', '.join(SEXES)}")
        return value.lower()
    if name == "ethnic_group":
        if value not in ETHNIC_GROUPS:
            raise RequestError(f"{problem}: one of the 19 ONS 2021 groups, written as in docs/data-contract.md")
        return value
    compact = re.sub(r"[\s\-]", "", value).upper()
    checks = {"nhs_number": identifiers.is_valid_nhs_number, "ni_number": identifiers.is_valid_ni_number,
              "upn": identifiers.is_valid_upn}
    if name in checks:
        if not checks[name](compact):
            raise RequestError(f"{problem}: not a valid {name.replace('_', ' ')} (format and check character)")
        return compact
    postcode = f"{compact[:-3]} {compact[-3:]}"
    if not identifiers.is_valid_postcode(postcode):
        raise RequestError(f"{problem}: not a UK postcode in form")
    return postcode
