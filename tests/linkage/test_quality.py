"""Quality aggregates on a hand-made linkage result (every expected number worked out by hand)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from linkage.person_linking import PAIR_SCHEMA, PersonLinks
from linkage.quality import (
    estimated_precision_recall,
    linkage_summary,
    match_rates_by_group,
    match_rates_by_source,
    quality_figures,
    record_quality_facts,
)

# Six records: people {p1: a, b, c}, {d}, {e, f}; sources police (a, d, e) and school (b, c, f).
RECORDS = pl.DataFrame(
    {"record_id": list("abcdef"), "source": ["police", "school", "school", "police", "police", "school"]}
)
LINKS = PersonLinks(
    clusters=pl.DataFrame({"record_id": list("abcdef"), "person_key": ["a", "a", "a", "d", "e", "e"]}),
    review_pairs=pl.DataFrame([("d", "e", 0.7)], schema=PAIR_SCHEMA, orient="row"),
    model_json="{}",
)


def test_summary_counts():
    assert linkage_summary(LINKS, RECORDS) == {
        "records": 6,
        "people": 3,
        "records_matched": 5,
        "match_rate": pytest.approx(5 / 6),
        "review_queue_pairs": 1,
    }


def test_match_rates_per_source():
    rates = match_rates_by_source(LINKS, RECORDS)
    assert rates.rows() == [("police", 3, 2, 3, pytest.approx(2 / 3)), ("school", 3, 3, 2, 1.0)]


def test_match_rates_per_group():
    groups = pl.DataFrame({"record_id": list("abcdef"), "sex": ["F", "F", "M", "M", "M", "F"]})
    assert match_rates_by_group(LINKS, groups, "sex").rows() == [("F", 3, 1.0), ("M", 3, pytest.approx(2 / 3))]


def test_estimated_precision_and_recall_from_probabilities():
    scored = pl.DataFrame(
        [("a", "b", 1.0), ("a", "c", 0.99), ("e", "f", 0.995), ("d", "e", 0.6), ("c", "d", 0.5)],
        schema=PAIR_SCHEMA,
        orient="row",
    )
    estimate = estimated_precision_recall(scored, 0.99)
    assert estimate["linked_pairs"] == 3
    assert estimate["estimated_precision"] == pytest.approx((1.0 + 0.99 + 0.995) / 3)
    assert estimate["estimated_recall"] == pytest.approx(2.985 / (2.985 + 1.1))


# --- figures stored by linkage run: worked out by hand ------------------------------------------------------------

def test_quality_figures_count_records_per_breakdown_value():
    # Person 1 (female, born 2010-10-01: 15 on 2026-09-30, in a family) has police and school records; person 2
    # (male, born 1990-09-30: 36 that day, no family) has two police records; person 3 (nothing known) one school.
    record_link = pl.DataFrame({"source": ["police", "school", "police", "police", "school"],
                                "record_id": list("abcde"), "person_id": [1, 1, 2, 2, 3]})
    people = pl.DataFrame({"person_id": [1, 2, 3], "sex": ["female", "male", None],
                           "date_of_birth": [date(2010, 10, 1), date(1990, 9, 30), None],
                           "ethnic_group": ["Asian or Asian British: Indian", None, None]})
    members = pl.DataFrame({"family_id": [7], "person_id": [1]})
    facts = record_quality_facts(record_link, people, members, date(2026, 9, 30),
                                 {"police": "Police incidents", "school": "School attendance"})
    figures = quality_figures(facts, LINKS, ["Police incidents", "School attendance", "Housing options"])
    table = {(row["breakdown"], row["value"], row["statistic"]): row["amount"] for row in figures.iter_rows(named=True)}
    assert table[("none", "", "person_records")] == 5
    assert table[("none", "", "records_matched")] == 2  # a and b: person 1 is in two sources
    assert table[("none", "", "records_in_family")] == 2
    assert table[("source", "Police incidents", "person_records")] == 3
    assert table[("source", "Police incidents", "records_matched")] == 1
    assert table[("source", "Housing options", "person_records")] == 0  # sent nothing: still there
    assert table[("sex", "female", "records_in_family")] == 2
    assert table[("sex", "", "person_records")] == 1
    assert table[("age", "15", "person_records")] == 2 and table[("age", "36", "person_records")] == 2
    assert table[("ethnic_group", "Asian or Asian British: Indian", "records_matched")] == 2
    assert table[("none", "", "people")] == 3  # LINKS' clusters: a, d, e
    assert table[("none", "", "review_queue_pairs")] == 1
    assert ("none", "", "estimated_precision") not in table  # LINKS carries no model estimates
