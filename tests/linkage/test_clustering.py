"""Clustering with analysts' decisions, on hand-drawn graphs (the answers are worked out by hand)."""

from __future__ import annotations

import polars as pl

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
