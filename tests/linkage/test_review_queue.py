"""Which pairs an analyst is asked about (linkage/review_queue.py), on a hand-made linkage result."""

from __future__ import annotations

import polars as pl

from linkage.person_linking import DECISION_SCHEMA, PAIR_SCHEMA
from linkage.review_queue import review_queue

# People after clustering: P = {p1, p2}, Q = {q1}, R = {r1}, S = {s1}, T = {t1}.
CLUSTERS = pl.DataFrame({"record_id": ["p1", "p2", "q1", "r1", "s1", "t1"],
                         "person_key": ["p1", "p1", "q1", "r1", "s1", "t1"]})
IDENTITIES = pl.DataFrame(
    [("p1", None, "1980-01-05"), ("p2", None, None), ("q1", None, "1980-05-01"), ("r1", None, "2010-03-03"),
     ("s1", "9434765919", None), ("t1", "4010232137", None)],
    schema={"record_id": pl.String, "nhs_number": pl.String, "date_of_birth": pl.String}, orient="row",
).with_columns(pl.lit(None, dtype=pl.String).alias("ni_number"), pl.lit(None, dtype=pl.String).alias("upn"))


def pairs(*rows: tuple[str, str, float]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=PAIR_SCHEMA, orient="row")


def decisions(*rows: tuple[str, str, bool]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=DECISION_SCHEMA, orient="row")


SCORED = pairs(
    ("p1", "p2", 0.7),   # already one person: nothing to ask
    ("p1", "q1", 0.8),   # P and Q: dates swapped, could be one person
    ("p2", "q1", 0.9),   # ... the stronger pair between P and Q stands for both
    ("p1", "r1", 0.95),  # P born 1980, R born 2010: two people
    ("s1", "t1", 0.6),   # two different NHS numbers: two people
    ("q1", "r1", 0.3),   # below the review floor
    ("r1", "s1", 0.99),  # above the automatic-link threshold but held apart (an ambiguous record): asked
)


def rows(queue: pl.DataFrame) -> list[tuple[str, str, float]]:
    return queue.rows()


def test_one_question_per_pair_of_people_that_could_be_one():
    queue = review_queue(SCORED, CLUSTERS, decisions(), IDENTITIES, review_floor=0.5)
    assert rows(queue) == [("r1", "s1", 0.99), ("p2", "q1", 0.9)]


def test_a_not_a_match_keeps_the_two_people_out_of_the_queue_and_a_decided_pair_is_not_asked_again():
    queue = review_queue(SCORED, CLUSTERS, decisions(("p1", "q1", False)), IDENTITIES, review_floor=0.5)
    assert rows(queue) == [("r1", "s1", 0.99)]
    decided = review_queue(SCORED, CLUSTERS, decisions(("r1", "s1", True)), IDENTITIES, review_floor=0.5)
    assert rows(decided) == [("p2", "q1", 0.9)]


def test_nothing_to_ask():
    assert review_queue(SCORED.head(0), CLUSTERS, decisions(), IDENTITIES, review_floor=0.5).is_empty()
