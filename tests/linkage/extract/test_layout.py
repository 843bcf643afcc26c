"""The extract's layout, pinned by a golden test on a hand-built world (tests/linkage/extract/tiny_world.py).

Every expected row below was worked out by hand from the world's docstring and rows (key dates: review = index +
182 days, sustained check = closure + 183, comparison index + 548), not copied from the code's output.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path

import pytest

from data_access.config import load_measures
from data_access.engine import make_engine
from data_access.extract_reads import read_extract_inputs
from data_access.loader import load_linked_data
from linkage.extract.national_impact_study import (
    ELIGIBILITY_COLUMNS,
    IDENTIFIED_COLUMNS,
    PROGRESS_COLUMNS,
    PSEUDONYMISED_COLUMNS,
    build_extract,
)
from linkage.extract.package import csv_bytes
from tests.linkage.extract.tiny_world import tiny_world

DOCS = Path(__file__).resolve().parents[3] / "docs" / "national-extract.md"

PEOPLE_CSV = """\
episode_id,family_id,person_id,cohort,eligibility_date,attachment_date,closure_date,role,member_from,member_until,\
given_name,family_name,date_of_birth,sex,postcode,nhs_number,ni_number,upn
11,1,1,supported,2024-01-10,2024-02-01,2024-11-30,parent_carer,2010-05-01,,Siân,O'Brien-Smith,1985-07-14,F,\
DT4 7QE,9434765919,AB123456C,
11,1,2,supported,2024-01-10,2024-02-01,2024-11-30,child,2015-03-04,,Oliver,Hardy,2015-03-04,M,DT1 2AB,,,T838120000100
21,2,2,comparison,2024-03-15,,,child,2019-01-01,,Oliver,Hardy,2015-03-04,M,DT1 2AB,,,T838120000100
21,2,4,comparison,2024-03-15,,,parent_carer,2000-01-01,,Mary,Jones,1990-12-25,F,BH21 1AA,4010232137,JG103759A,
"""

OUTCOMES = ("crime", "domestic_abuse", "early_years", "education", "financial", "health", "housing", "relationships",
            "safeguarding", "substance_use")
FOUND = {11: {"domestic_abuse", "housing", "health"}, 21: {"crime", "education", "financial"}}
ELIGIBILITY_CSV = "episode_id,headline_outcome,need_at_assessment\n" + "".join(
    f"{episode},{outcome},{int(outcome in FOUND[episode])}\n" for episode in (11, 21) for outcome in OUTCOMES)

PROGRESS_CSV = """\
episode_id,measure_id,headline_outcome,unit,person_id,baseline_date,baseline_need,review_date,review_need,\
closure_date,closure_need,sustained_check_date,sustained_check_need
11,M01,domestic_abuse,family,,2024-02-01,1,2024-08-01,0,2024-11-30,0,2025-06-01,0
11,M02,crime,person,1,2024-02-01,0,,,,,,
11,M06,health,person,1,2024-01-20,1,2024-08-01,1,2024-11-30,0,2025-06-01,1
11,M07,health,person,2,2024-02-01,0,,,,,,
21,M03,crime,family,,2024-03-15,1,2024-09-13,1,,,2025-09-14,0
21,M04,safeguarding,person,2,2024-03-15,1,2024-09-13,0,,,2025-09-14,0
"""


@pytest.fixture
def tiny_inputs(db_url: str):
    engine = make_engine(db_url)
    try:
        load_linked_data(engine, tiny_world())
        yield read_extract_inputs(engine)
    finally:
        engine.dispose()


def test_the_identified_layout_is_the_golden_one(tiny_inputs):
    tables = build_extract(tiny_inputs, load_measures())
    assert csv_bytes(tables.people).decode() == PEOPLE_CSV
    assert csv_bytes(tables.eligibility).decode() == ELIGIBILITY_CSV
    assert csv_bytes(tables.progress).decode() == PROGRESS_CSV
    assert tables.person_ids == [1, 2, 4]  # person 3 left before the eligibility date


def test_the_pseudonymised_layout_replaces_identifiers_by_documented_tokens(tiny_inputs):
    key = bytes(range(32))
    tables = build_extract(tiny_inputs, load_measures(), token_key=key)
    assert tuple(tables.people.columns) == PSEUDONYMISED_COLUMNS
    identified = build_extract(tiny_inputs, load_measures())
    shared = ["episode_id", "family_id", "person_id", "cohort", "eligibility_date", "attachment_date",
              "closure_date", "role", "sex"]
    assert tables.people.select(shared).equals(identified.people.select(shared))
    assert tables.eligibility.equals(identified.eligibility) and tables.progress.equals(identified.progress)

    def expected(identifier: str, normalised: str | None) -> str | None:  # normalised by hand, as the docs say
        if normalised is None:
            return None
        return hmac.new(key, f"{identifier}:{normalised}".encode(), hashlib.sha256).hexdigest()

    by_hand = {
        1: {"given_name": "sian", "family_name": "obriensmith", "date_of_birth": "1985-07-14",
            "postcode": "DT4 7QE", "nhs_number": "9434765919", "ni_number": "AB123456C", "upn": None},
        4: {"given_name": "mary", "family_name": "jones", "date_of_birth": "1990-12-25", "postcode": "BH21 1AA",
            "nhs_number": "4010232137", "ni_number": "JG103759A", "upn": None},
        2: {"given_name": "oliver", "family_name": "hardy", "date_of_birth": "2015-03-04", "postcode": "DT1 2AB",
            "nhs_number": None, "ni_number": None, "upn": "T838120000100"},
    }
    for row in tables.people.iter_rows(named=True):
        for identifier, normalised in by_hand[row["person_id"]].items():
            assert row[f"{identifier}_token"] == expected(identifier, normalised), (row["person_id"], identifier)
    text = csv_bytes(tables.people).decode()
    for value in ("Siân", "Brien", "Hardy", "Jones", "9434765919", "AB123456C", "T838120000100", "DT4 7QE",
                  "1985-07-14", "2015-03-04"):
        assert value not in text


def _documented_columns(file_name: str) -> list[str]:
    """The column names of one file's data dictionary table in docs/national-extract.md, in order."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split(f"### `{file_name}`", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"^\| `([a-z_0-9]+)` \|", section, flags=re.MULTILINE)


def test_the_data_dictionary_documents_every_column_in_order():
    assert _documented_columns("people.csv") == list(IDENTIFIED_COLUMNS) + [
        column for column in PSEUDONYMISED_COLUMNS if column.endswith("_token")]
    assert _documented_columns("eligibility.csv") == list(ELIGIBILITY_COLUMNS)
    assert _documented_columns("progress.csv") == list(PROGRESS_COLUMNS)


def test_an_empty_world_gives_headers_only():
    from data_access.extract_reads import ExtractInputs

    world = tiny_world()
    empty = ExtractInputs(
        people=world["person_identifier"].clear(), members=world["family_member"].clear(),
        episodes=world["programme_episode"].select("episode_id", "family_id", "cohort", "eligibility_date",
                                                   "attachment_date", "closure_date").clear(),
        eligibility_needs=world["eligibility_need"].select("episode_id", "headline_outcome").clear(),
        observations=world["need_observation"].select("measure_id", "family_id", "person_id", "observed_on",
                                                      "need_present").clear(),
        info={"data_as_of": "2025-09-30"})
    tables = build_extract(empty, load_measures())
    for frame in tables.as_files().values():
        assert frame.height == 0
    assert csv_bytes(tables.people).decode().splitlines() == [",".join(IDENTIFIED_COLUMNS)]
