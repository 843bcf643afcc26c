"""Which uncertain pairs an analyst is asked about: one question per pair of people, only where the answer matters.

Why: every scored pair from the review floor up to the automatic-link threshold was 6,460 pairs at 5,000 families,
more than a council can work through, and most of them asked nothing: 3,835 joined records already in one person
through other links, and many were siblings whose dates of birth say they are two people. A pair is asked about
only when
- nobody has decided it (decisions stick: a decided pair is never asked again),
- its records are in two different people now,
- those two people could be one: their identifiers do not conflict (linkage/clustering.py) and no analyst has
  said "not a match" about any pair of their records,
and then once per pair of people: the strongest pair between them stands for the rest (deciding it "match" joins
the two people; "not a match" keeps them apart on every later run). Pairs at or above the automatic-link threshold
that clustering held apart (ambiguous records) are asked about too. Strongest first.
"""

from __future__ import annotations

import polars as pl

from linkage.clustering import IDENTIFIER_COLUMNS, dates_conflict

PAIR_COLUMNS = ("record_id_l", "record_id_r", "match_probability")


def _person_identities(clusters: pl.DataFrame, identities: pl.DataFrame) -> pl.DataFrame:
    """person_key -> the distinct values of each identifier among the person's records (lists)."""
    columns = (*IDENTIFIER_COLUMNS, "date_of_birth")
    return (identities.join(clusters, on="record_id", how="inner")
            .group_by("person_key")
            .agg(*(pl.col(column).drop_nulls().unique().sort().alias(column) for column in columns)))


def _conflicting(candidates: pl.DataFrame) -> pl.Series:
    """Per row: do the two people's identifiers say they are two people (as clustering would refuse to join)?"""
    conflict = pl.lit(False)
    for column in IDENTIFIER_COLUMNS:
        left, right = pl.col(f"{column}_l"), pl.col(f"{column}_r")
        known = (left.list.len() > 0) & (right.list.len() > 0)
        same_single = (left.list.len() == 1) & (right.list.len() == 1) & (left.list.first() == right.list.first())
        conflict = conflict | (known & ~same_single).fill_null(False)
    flags = candidates.select(conflict.alias("conflict")).get_column("conflict").to_list()
    dates = candidates.select("date_of_birth_l", "date_of_birth_r").rows()
    return pl.Series("conflict", [
        flag or dates_conflict(left or [], right or [])
        for flag, (left, right) in zip(flags, dates, strict=True)
    ], dtype=pl.Boolean)


def review_queue(scored: pl.DataFrame, clusters: pl.DataFrame, decisions: pl.DataFrame, identities: pl.DataFrame,
                 review_floor: float) -> pl.DataFrame:
    """The pairs to ask an analyst about (record_id_l, record_id_r, match_probability), strongest first.

    scored: every scored pair (l < r); clusters: record_id, person_key after clustering; decisions: record_id_l,
    record_id_r, is_match (l < r); identities: linkage.clustering.IDENTITY_COLUMNS.
    """
    person = clusters.select("record_id", "person_key")
    candidates = (
        scored.filter(pl.col("match_probability") >= review_floor).select(PAIR_COLUMNS)
        .join(decisions.select("record_id_l", "record_id_r"), on=["record_id_l", "record_id_r"], how="anti")
        .join(person.rename({"record_id": "record_id_l", "person_key": "person_l"}), on="record_id_l")
        .join(person.rename({"record_id": "record_id_r", "person_key": "person_r"}), on="record_id_r")
        .filter(pl.col("person_l") != pl.col("person_r"))
        .with_columns(pl.min_horizontal("person_l", "person_r").alias("person_a"),
                      pl.max_horizontal("person_l", "person_r").alias("person_b"))
    )
    refused = decisions.filter(~pl.col("is_match"))
    if refused.height:
        kept_apart = (refused.join(person.rename({"record_id": "record_id_l", "person_key": "person_l"}),
                                   on="record_id_l")
                      .join(person.rename({"record_id": "record_id_r", "person_key": "person_r"}), on="record_id_r")
                      .select(pl.min_horizontal("person_l", "person_r").alias("person_a"),
                              pl.max_horizontal("person_l", "person_r").alias("person_b")))
        candidates = candidates.join(kept_apart, on=["person_a", "person_b"], how="anti")
    strongest = (candidates.sort(["match_probability", "record_id_l", "record_id_r"], descending=[True, False, False])
                 .unique(["person_a", "person_b"], keep="first", maintain_order=True))
    if strongest.is_empty():
        return strongest.select(PAIR_COLUMNS)
    people = _person_identities(person, identities)
    with_identity = (strongest
                     .join(people.rename(lambda name: name if name == "person_key" else f"{name}_l")
                           .rename({"person_key": "person_a"}), on="person_a", how="left")
                     .join(people.rename(lambda name: name if name == "person_key" else f"{name}_r")
                           .rename({"person_key": "person_b"}), on="person_b", how="left"))
    return (with_identity.filter(~_conflicting(with_identity))
            .sort(["match_probability", "record_id_l", "record_id_r"], descending=[True, False, False])
            .select(PAIR_COLUMNS))
