"""Quality aggregates on a hand-made linkage result (every expected number worked out by hand)."""

from __future__ import annotations

import polars as pl
import pytest

from linkage.person_linking import PAIR_SCHEMA, PersonLinks
from linkage.quality import estimated_precision_recall, linkage_summary, match_rates_by_group, match_rates_by_source

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
