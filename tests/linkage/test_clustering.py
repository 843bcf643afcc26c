"""Clustering with analysts' decisions and identifiers that cannot be one person, on hand-drawn graphs (the answers
are worked out by hand), and properties that hold whatever the links."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.clustering import cluster_people, dates_compatible
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


# --- identities: records that cannot be one person (linkage/clustering.py) ------------------------------------

def identities(*rows: tuple[str, str | None, str | None]) -> pl.DataFrame:
    """(record_id, nhs_number, date_of_birth); NI number and UPN unknown."""
    return pl.DataFrame(
        [(record, nhs, None, None, dob) for record, nhs, dob in rows],
        schema={"record_id": pl.String, "nhs_number": pl.String, "ni_number": pl.String, "upn": pl.String,
                "date_of_birth": pl.String}, orient="row")


# A father (f1, f2) and his son (s1, s2) share a name and an address; x has neither date of birth nor NHS number.
FAMILY = pl.Series("record_id", ["f1", "f2", "s1", "s2", "x"])
FAMILY_IDS = identities(("f1", None, "1980-01-05"), ("f2", "9434765919", "1980-01-05"), ("s1", None, "2010-03-03"),
                        ("s2", None, "2010-03-03"), ("x", None, None))
SURE = 1 - 1e-9


def test_a_record_that_fits_two_conflicting_people_equally_is_held_apart():
    edges = links(("f1", "f2", SURE), ("s1", "s2", SURE), ("f1", "x", 0.99), ("s1", "x", 0.99))
    result = cluster_people(FAMILY, edges, decisions(), FAMILY_IDS, auto_link_probability=0.98)
    assert people(result.clusters) == {"f1": "f1", "f2": "f1", "s1": "s1", "s2": "s1", "x": "x"}
    assert result.ambiguous == {"x"}
    # Without identities it is plain connected components: father and son become one person through x.
    plain = people(cluster_records(FAMILY, edges, decisions()))
    assert len(set(plain.values())) == 1


def test_a_record_much_closer_to_one_person_joins_them():
    # x shares an NHS number with f2 (not in FAMILY_IDS: its own row says so) and is only loosely like the son.
    ids = FAMILY_IDS.with_columns(pl.when(pl.col("record_id") == "x").then(pl.lit("9434765919"))
                                  .otherwise(pl.col("nhs_number")).alias("nhs_number"))
    edges = links(("f1", "f2", SURE), ("s1", "s2", SURE), ("f2", "x", SURE), ("s1", "x", 0.99))
    result = cluster_people(FAMILY, edges, decisions(), ids, auto_link_probability=0.98)
    assert people(result.clusters)["x"] == "f1" and people(result.clusters)["s1"] == "s1"
    assert result.ambiguous == frozenset()


def test_swapped_and_mistyped_dates_of_birth_are_one_person():
    ids = identities(("a", None, "1990-04-07"), ("b", None, "1990-07-04"), ("c", None, "1990-04-08"),
                     ("d", None, None), ("e", None, "1991-08-23"))
    result = people(cluster_records(IDS, links(("a", "b", 0.99), ("a", "c", 0.99), ("a", "d", 0.99999),
                                               ("d", "e", 0.985)), decisions(), ids, 0.98))
    # c's typo is not compatible with b's swap, but both are with a's date: one person.
    assert result["b"] == result["c"] == result["d"] == "a"
    assert result["e"] == "e"  # 1991-08-23 fits none of that person's dates


def test_an_analysts_match_overrides_identifiers():
    ids = identities(("a", "9434765919", None), ("b", "4010232137", None))
    assert people(cluster_records(IDS, links(("a", "b", 0.999)), decisions(), ids, 0.98))["b"] == "b"
    assert people(cluster_records(IDS, links(), decisions(("a", "b", True)), ids, 0.98))["b"] == "a"


@pytest.mark.parametrize(("left", "right", "compatible"), [
    ("1990-04-07", "1990-04-07", True),
    ("1990-04-07", "1990-07-04", True),   # day and month swapped
    ("1990-04-07", "1990-04-08", True),   # one character
    ("1990-04-17", "1990-04-71", True),   # two neighbours exchanged (not a real date, but a keying error)
    ("1990-04-07", "1991-04-08", False),  # two characters
    ("1990-04-07", "1990-08-04", False),  # swapped and changed
    ("1980-01-05", "2010-03-03", False),
])
def test_dates_compatible(left, right, compatible):
    assert dates_compatible(left, right) is compatible
    assert dates_compatible(right, left) is compatible


nhs_numbers = st.sampled_from([None, "9434765919", "4010232137"])
dates = st.sampled_from([None, "1990-04-07", "1990-07-04", "2001-11-30"])


@settings(max_examples=80, deadline=None)
@given(st.lists(edge, max_size=20), st.lists(st.tuples(nhs_numbers, dates), min_size=8, max_size=8),
       st.lists(decision, max_size=4, unique_by=lambda d: frozenset(d[:2])))
def test_no_person_holds_records_that_cannot_be_one(edges, identity_rows, decided):
    """Whatever the links: no person holds two different NHS numbers, each of a person's dates of birth is reachable
    from the others through compatible dates (equal, swapped or one keying error apart), analysts' "not a match"
    pairs are apart, and every record is placed once."""
    ids = pl.Series("record_id", list("abcdefgh"))
    rows = identities(*((record, nhs, dob) for record, (nhs, dob) in zip("abcdefgh", identity_rows, strict=True)))
    no_matches = [row for row in decided if not row[2]]
    result = people(cluster_records(ids, links(*edges), decisions(*no_matches), rows, 0.98))
    assert sorted(result) == list("abcdefgh")
    by_person: dict[str, list[tuple]] = {}
    for record, (nhs, dob) in zip("abcdefgh", identity_rows, strict=True):
        by_person.setdefault(result[record], []).append((nhs, dob))
    for values in by_person.values():
        assert len({nhs for nhs, _ in values if nhs}) <= 1
        known = sorted({dob for _, dob in values if dob})
        reached, frontier = set(known[:1]), known[:1]
        while frontier:
            date = frontier.pop()
            for other in known:
                if other not in reached and dates_compatible(date, other):
                    reached.add(other)
                    frontier.append(other)
        assert reached == set(known)
    for a, b, _ in no_matches:
        assert result[a] != result[b]
