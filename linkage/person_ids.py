"""Stable person_ids: the same person keeps their person_id from one run to the next.

The linker's clusters carry no memory (their person_key is a property of one run), so each cluster is mapped
to the person_id its records had in the previous record_link: the person_id most of its records had (ties:
the smaller). When a person split into two clusters, the cluster with more of the old records keeps the id
and the other gets a new one; when two people merged, the merged cluster keeps the id most of its records
had. Clusters of new records get ids above any used before, in order of their first record_id, so the result
is the same for the same input.
"""

from __future__ import annotations

import polars as pl


def assign_person_ids(clusters: pl.DataFrame, previous: pl.DataFrame | None = None) -> pl.DataFrame:
    """record_id, person_id for every clustered record (clusters: record_id, person_key)."""
    previous = previous if previous is not None else pl.DataFrame(schema={"record_id": pl.String,
                                                                            "person_id": pl.Int64})
    clusters = clusters.select(pl.col("record_id").cast(pl.String), pl.col("person_key").cast(pl.String))
    first_record = clusters.group_by("person_key").agg(pl.col("record_id").min().alias("first_record"),
                                                       pl.len().alias("size"))
    votes = (
        clusters.join(previous.select("record_id", pl.col("person_id").cast(pl.Int64)), on="record_id", how="inner")
        .group_by("person_key", "person_id").agg(pl.len().alias("votes"))
    )
    # Each cluster's favourite old id, then each old id to the cluster with the most votes for it.
    favourite = votes.sort(["person_key", "votes", "person_id"], descending=[False, True, False]).group_by(
        "person_key", maintain_order=True).first()
    kept = (
        favourite.join(first_record, on="person_key")
        .sort(["person_id", "votes", "first_record"], descending=[False, True, False])
        .group_by("person_id", maintain_order=True).first()
        .select("person_key", "person_id")
    )
    start = max(int(previous.get_column("person_id").max() or 0), 0) + 1
    fresh = (
        first_record.join(kept, on="person_key", how="anti").sort("first_record")
        .with_columns(pl.int_range(start, start + pl.len(), dtype=pl.Int64).alias("person_id"))
        .select("person_key", "person_id")
    )
    mapping = pl.concat([kept, fresh])
    return clusters.join(mapping, on="person_key", how="left").select("record_id", "person_id")
