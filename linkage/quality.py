"""Linkage quality aggregates for the analysts' page: counts and rates only, never a record.

Why: an analyst must see how well linkage worked before trusting the outcome measures built on it (linkage that
fails more for some groups biases every measure for them). Without the truth, precision and recall are estimated
from the model's own match probabilities: among the pairs that linked, the expected share of true matches is the
mean probability; among all scored pairs, the expected number of true matches is the sum of probabilities, of
which the linked pairs hold their own sum. Every output row is an aggregate, to pass through disclosure control.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from linkage.person_linking import PersonLinks


def estimated_precision_recall(scored_pairs: pl.DataFrame, auto_link_probability: float) -> dict[str, float]:
    """Model-estimated pairwise precision and recall from scored pairs (record_id_l, record_id_r, match_probability).

    precision = mean probability of the linked pairs; recall = expected true matches among linked pairs over
    expected true matches among all scored pairs (pairs below the scoring floor are not counted: an upper bound).
    """
    probability = scored_pairs.get_column("match_probability")
    linked = probability.filter(probability >= auto_link_probability)
    expected_total = float(probability.sum())
    expected_linked = float(linked.sum())
    return {
        "linked_pairs": int(linked.len()),
        "estimated_precision": expected_linked / linked.len() if linked.len() else 1.0,
        "estimated_recall": expected_linked / expected_total if expected_total else 1.0,
    }


def match_rates_by_source(links: PersonLinks, records: pl.DataFrame) -> pl.DataFrame:
    """Per source: records, records linked to at least one other record, and the match rate.

    A record "matches" when its person holds another record (from any source): the share of a source's records
    that found someone else's record about the same person.
    """
    sizes = links.clusters.with_columns(pl.len().over("person_key").alias("person_records"))
    joined = records.select("record_id", "source").join(sizes, on="record_id", how="left")
    return (
        joined.group_by("source")
        .agg(
            pl.len().alias("records"),
            (pl.col("person_records") > 1).sum().alias("records_matched"),
            pl.col("person_key").n_unique().alias("people"),
        )
        .with_columns((pl.col("records_matched") / pl.col("records")).alias("match_rate"))
        .sort("source")
    )


def linkage_summary(links: PersonLinks, records: pl.DataFrame) -> dict[str, int | float]:
    """Whole-run counts: records, people, records in multi-record people, the review queue's size."""
    people = links.clusters.get_column("person_key").n_unique()
    matched = links.clusters.with_columns(pl.len().over("person_key").alias("size")).filter(pl.col("size") > 1)
    return {
        "records": records.height,
        "people": people,
        "records_matched": matched.height,
        "match_rate": matched.height / records.height if records.height else 0.0,
        "review_queue_pairs": links.review_pairs.height,
    }


def match_rates_by_group(links: PersonLinks, groups: pl.DataFrame, by: str) -> pl.DataFrame:
    """Match rate (records whose person holds another record) per value of `by` in groups (record_id, by).

    For the fairness check: in national linkage studies young men and ethnic minorities link less often.
    """
    sizes = links.clusters.with_columns(pl.len().over("person_key").alias("person_records"))
    return (
        groups.select("record_id", by)
        .join(sizes, on="record_id")
        .group_by(by)
        .agg(pl.len().alias("records"), (pl.col("person_records") > 1).mean().alias("match_rate"))
        .sort(by)
    )
