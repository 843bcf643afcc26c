"""Tokens: the documented test vectors (computed with OpenSSL, an independent implementation), stability across
extracts, key separation, and key handling that never quotes the key."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_access.config import load_measures
from data_access.extract_reads import ExtractInputs
from linkage.extract.national_impact_study import build_extract
from linkage.extract.tokens import (
    TokenKeyError,
    key_id,
    normalised_identifiers,
    parse_key,
    read_key,
    token,
    tokenised,
)
from tests.linkage.extract.tiny_world import tiny_world

DOCS = Path(__file__).resolve().parents[3] / "docs" / "national-extract.md"
VECTOR_KEY = bytes(range(32))


def documented_vectors() -> list[tuple[str, str, str, str]]:
    section = DOCS.read_text(encoding="utf-8").split("### Test vectors", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| ([a-z_]+) \| `([^`]*)` \| `([^`]*)` \| `([0-9a-f]{64})` \|$", section, flags=re.MULTILINE)
    assert len(rows) >= 9, "guard: the docs' test vectors were found"
    assert "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" in section
    return rows


@pytest.mark.parametrize(("identifier", "written", "normalised", "expected"), documented_vectors())
def test_the_documented_vectors(identifier: str, written: str, normalised: str, expected: str):
    columns = ("given_name", "family_name", "date_of_birth", "postcode", "nhs_number", "ni_number", "upn")
    row = {name: (written if name == identifier else None) for name in columns}
    people = pl.DataFrame([{"person_id": 1, **row}],
                          schema={"person_id": pl.Int64, **dict.fromkeys(columns, pl.String)})
    cleaned = normalised_identifiers(people)
    assert cleaned.item(0, identifier) == normalised
    assert token(VECTOR_KEY, identifier, normalised) == expected
    assert tokenised(cleaned, VECTOR_KEY).item(0, f"{identifier}_token") == expected


def test_a_value_that_cannot_be_an_identifier_gets_no_token():
    people = pl.DataFrame({"person_id": [1, 2], "given_name": ["'-. ", "Ann"], "family_name": [None, "Lee"],
                           "date_of_birth": ["31/02/2001", "2001-02-03"], "postcode": [" ", "dt4 7qe"],
                           "nhs_number": ["943 476 5918", "9434765919"],  # the first fails the check digit
                           "ni_number": ["AB123456", "AB123456C"], "upn": ["T838120000101", "T838120000100"]})
    tokens = tokenised(normalised_identifiers(people), VECTOR_KEY)
    assert tokens.row(0)[1:] == (None,) * 7
    assert None not in tokens.row(1)


def _inputs_with(people_rows: pl.DataFrame) -> ExtractInputs:
    world = tiny_world()
    return ExtractInputs(
        people=people_rows, members=world["family_member"],
        episodes=world["programme_episode"].select("episode_id", "family_id", "cohort", "eligibility_date",
                                                   "attachment_date", "closure_date"),
        eligibility_needs=world["eligibility_need"].select("episode_id", "headline_outcome"),
        observations=world["need_observation"].select("measure_id", "family_id", "person_id", "observed_on",
                                                      "need_present"),
        info={"data_as_of": "2025-09-30"})


def test_the_same_person_gets_the_same_token_in_two_extracts_and_another_key_gives_other_tokens():
    key, other_key = bytes(range(32)), bytes(range(1, 33))
    first = build_extract(_inputs_with(tiny_world()["person_identifier"]), load_measures(), token_key=key).people
    # A later extract: the same people, as another partner spelt them (case, spaces, accents), person ids unchanged.
    respelt = tiny_world()["person_identifier"].with_columns(
        pl.col("given_name").str.to_uppercase().str.replace("Â", "A"), pl.col("family_name").str.to_uppercase(),
        pl.col("postcode").str.to_lowercase().str.replace(" ", ""),
        pl.col("nhs_number").str.replace(r"^(\d{3})", "$1 "))
    second = build_extract(_inputs_with(respelt), load_measures(), token_key=key).people
    token_columns = [column for column in first.columns if column.endswith("_token")]
    assert first.select("episode_id", "person_id", *token_columns).equals(
        second.select("episode_id", "person_id", *token_columns))
    # person 2 appears in two episodes with one set of tokens
    child = first.filter(pl.col("person_id") == 2).select(token_columns).unique()
    assert child.height == 1
    # another key: every token differs
    other = build_extract(_inputs_with(tiny_world()["person_identifier"]), load_measures(), token_key=other_key).people
    for column in token_columns:
        pairs = first.select(column).with_columns(other.get_column(column).alias("other")).drop_nulls()
        assert pairs.height > 0 and (pairs.get_column(column) != pairs.get_column("other")).all(), column


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30))
def test_name_tokens_depend_only_on_the_normalised_name(name: str):
    """Property: a name and its upper-cased, padded, hyphen-sprinkled form get the same token (or none)."""
    variant = f"  {name.upper()}-' "
    people = pl.DataFrame({"person_id": [1, 2], "given_name": [name, variant], "family_name": [None, None],
                           "date_of_birth": [None, None], "postcode": [None, None], "nhs_number": [None, None],
                           "ni_number": [None, None], "upn": [None, None]},
                          schema={"person_id": pl.Int64, **dict.fromkeys(
                              ("given_name", "family_name", "date_of_birth", "postcode", "nhs_number", "ni_number",
                               "upn"), pl.String)})
    cleaned = normalised_identifiers(people)
    if cleaned.item(0, "given_name") == cleaned.item(1, "given_name"):
        tokens = tokenised(cleaned, VECTOR_KEY)
        assert tokens.item(0, "given_name_token") == tokens.item(1, "given_name_token")


def test_key_handling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    secret = "00112233445566778899aabbccddeeff" * 2
    (tmp_path / "key.txt").write_text(f"  {secret}\n")
    assert read_key(key_file=tmp_path / "key.txt") == bytes.fromhex(secret)
    monkeypatch.setenv("RECIPIENT_TOKEN_KEY", secret.upper())
    assert read_key(key_env="RECIPIENT_TOKEN_KEY") == bytes.fromhex(secret)
    for bad in ("", "zz" * 32, "00" * 31, "abc"):
        with pytest.raises(TokenKeyError) as refused:
            parse_key(bad)
        assert not bad or bad not in str(refused.value)
    with pytest.raises(TokenKeyError, match="not set"):
        read_key(key_env="NO_SUCH_VARIABLE_FOR_TOKENS")
    with pytest.raises(TokenKeyError, match="one of them"):
        read_key()
    assert key_id(bytes.fromhex(secret)) != key_id(bytes(range(32))) and len(key_id(bytes(range(32)))) == 16
    assert secret not in key_id(bytes.fromhex(secret))
