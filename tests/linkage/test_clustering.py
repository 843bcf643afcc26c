"""Clustering with analysts' decisions, on hand-drawn graphs (the answers are worked out by hand)."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.person_linking import DECISION_SCHEMA, PAIR_SCHEMA, cluster_records


def links(*pairs: tuple[str, str, float]) -> pl.DataFrame:
    return pl.DataFrame(pairs, schema=PAIR_SCHEMA, orient="row")


def decisions(*rows: tuple[str, str, bool]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=DECISION_SCHEMA, orient="row")


def people(clusters: pl.DataFrame) -> dict[str, str]:
    return dict(clusters.iter_rows())


IDS = pl.Series("record_id", ["a", "b", "c", "d", "e"])


def test_connected_components_and_smallest_record_id_as_key():
    result = people(cluster_records(IDS, links(("b", "c", 0.999), ("c", "d", 0.998)), decisions()))
    assert result == {"a": "a", "b": "b", "c": "b", "d": "b", "e": "e"}


def test_a_match_decision_adds_a_link():
    result = people(cluster_records(IDS, links(), decisions(("a", "e", True))))
    assert result["e"] == "a" and result["b"] == "b"


def test_a_not_a_match_decision_removes_the_link_and_blocks_chains():
    # b-c and c-d link; an analyst says b and d are different people: the weaker link (c-d) gives way.
    result = people(
        cluster_records(IDS, links(("b", "c", 0.999), ("c", "d", 0.998)), decisions(("b", "d", False)))
    )
    assert result["c"] == "b" and result["d"] == "d"
    # A "no" on a direct link simply removes it.
    direct = people(cluster_records(IDS, links(("a", "b", 0.999)), decisions(("b", "a", False))))
    assert direct["b"] == "b"


def test_every_record_once():
    clusters = cluster_records(IDS, links(("a", "b", 0.999)), decisions(("c", "d", True)))
    assert sorted(clusters.get_column("record_id")) == sorted(IDS)


letters = st.sampled_from(list("abcdefgh"))
edge = st.tuples(letters, letters, st.floats(0.99, 1.0)).filter(lambda pair: pair[0] != pair[1])
decision = st.tuples(letters, letters, st.booleans()).filter(lambda pair: pair[0] != pair[1])


@settings(max_examples=80, deadline=None)
@given(st.lists(edge, max_size=20), st.lists(decision, max_size=6, unique_by=lambda d: frozenset(d[:2])))
def test_decisions_always_hold(edges, decided):
    """Whatever the links: each record once; a "not a match" pair is never in one person; a "match" pair is
    always in one person unless that would join a "not a match" pair."""
    ids = pl.Series("record_id", list("abcdefgh"))
    result = people(cluster_records(ids, links(*edges), decisions(*decided)))
    assert sorted(result) == list("abcdefgh")
    forbidden = [(a, b) for a, b, is_match in decided if not is_match]
    for a, b in forbidden:
        assert result[a] != result[b]
    # the key is the smallest record id of the person
    for record, key in result.items():
        assert key <= record and result[key] == key
    if not forbidden:
        for a, b, _ in decided:
            assert result[a] == result[b]
