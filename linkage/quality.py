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


# --- the figures `linkage run` stores for publication (data_access.staging.replace_linkage_quality) ------------

RECORD_STATISTICS = ("person_records", "records_matched", "records_in_family")
"""Counted per breakdown value: person records; of those, records whose person also has a record from another
source ("matched"); records whose person is a member of a programme family ("in a family")."""
BREAKDOWN_COLUMNS = {"source": "source", "sex": "sex", "age": "age", "ethnic_group": "ethnic_group"}


def record_quality_facts(record_link: pl.DataFrame, people: pl.DataFrame, members: pl.DataFrame,
                         data_as_of, source_labels: dict[str, str]) -> pl.DataFrame:
    """One row per linked person record: source (its label), sex, age (whole years on data_as_of), ethnic_group
    (as recorded, empty when not known) and the two flags, from the linked tables record_link, person_identifier
    and family_member."""
    sources_per_person = record_link.group_by("person_id").agg(pl.col("source").n_unique().alias("sources"))
    in_family = members.select("person_id").unique().with_columns(pl.lit(True).alias("in_family"))
    born = pl.col("date_of_birth")
    age = (pl.lit(data_as_of.year) - born.dt.year()
           - ((pl.lit(data_as_of.month) < born.dt.month())
              | ((pl.lit(data_as_of.month) == born.dt.month()) & (pl.lit(data_as_of.day) < born.dt.day())))
           .cast(pl.Int32))
    return (
        record_link.select("source", "person_id")
        .join(sources_per_person, on="person_id", how="left")
        .join(in_family, on="person_id", how="left")
        .join(people.select("person_id", "sex", "date_of_birth", "ethnic_group"), on="person_id", how="left")
        .select(
            pl.col("source").replace_strict(source_labels, default=pl.col("source")).alias("source"),
            pl.col("sex").fill_null(""),
            age.cast(pl.String).fill_null("").alias("age"),
            pl.col("ethnic_group").fill_null(""),
            (pl.col("sources") > 1).fill_null(False).alias("records_matched"),
            pl.col("in_family").fill_null(False).alias("records_in_family"),
        )
    )


def quality_figures(facts: pl.DataFrame, links: PersonLinks, all_sources: list[str]) -> pl.DataFrame:
    """breakdown, value, statistic, amount: TRUE counts of records per breakdown value (every source in
    `all_sources` present, zero when it sent nothing), the run's counts (people, review queue, ambiguous records)
    and the model's estimates. Private until the publish step protects them (metrics/linkage_quality.py)."""
    counted = [pl.len().alias("person_records"), pl.col("records_matched").sum(), pl.col("records_in_family").sum()]
    frames = [facts.select(pl.lit("none").alias("breakdown"), pl.lit("").alias("value"),
                           pl.len().alias("person_records"), pl.col("records_matched").sum(),
                           pl.col("records_in_family").sum())]
    for breakdown, column in BREAKDOWN_COLUMNS.items():
        grouped = facts.group_by(column).agg(*counted).rename({column: "value"})
        if breakdown == "source":
            every = pl.DataFrame({"value": all_sources})
            grouped = every.join(grouped, on="value", how="full", coalesce=True).fill_null(0)
        frames.append(grouped.with_columns(pl.lit(breakdown).alias("breakdown")))
    counts = pl.concat([frame.select("breakdown", "value", *RECORD_STATISTICS).cast(
        {name: pl.Float64 for name in RECORD_STATISTICS}) for frame in frames])
    long = counts.unpivot(index=["breakdown", "value"], on=list(RECORD_STATISTICS), variable_name="statistic",
                          value_name="amount")
    run = {"people": float(links.clusters.get_column("person_key").n_unique()),
           "review_queue_pairs": float(links.review_pairs.height),
           "ambiguous_records": float(getattr(links, "ambiguous_records", 0))}
    estimates = getattr(links, "estimates", None) or {}
    run |= {name: float(estimates[name]) for name in ("estimated_precision", "estimated_recall") if name in estimates}
    extra = pl.DataFrame({"breakdown": ["none"] * len(run), "value": [""] * len(run), "statistic": list(run),
                          "amount": list(run.values())})
    return pl.concat([long, extra]).sort("breakdown", "value", "statistic")
