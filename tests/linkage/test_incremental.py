"""Incremental linking: new records against people already linked give the people a full run gives."""

from __future__ import annotations

import polars as pl
import pytest

from linkage.incremental import link_new_records
from linkage.person_linking import link_people
from tests.linkage.messy_people import MessyPeople, pairwise_quality

pytestmark = pytest.mark.slow


def partition(clusters: pl.DataFrame) -> set[frozenset[str]]:
    return {frozenset(ids) for ids in clusters.group_by("person_key").agg("record_id").get_column("record_id")}


def test_new_records_join_existing_people_as_a_full_run_would(messy_people: MessyPeople):
    records = messy_people.records.sort("record_id")
    is_new = pl.Series([index % 10 == 0 for index in range(records.height)])  # every tenth record is new
    existing, new = records.filter(~is_new), records.filter(is_new)
    before = link_people(existing)

    incremental = link_new_records(
        new, existing, before.clusters, model_json=before.model_json
    )
    full = link_people(records, model_json=before.model_json)

    assert incremental.clusters.height == records.height
    # The people a full run finds among all records are the people incremental linking finds, up to pairs near
    # the threshold whose term-frequency weights move when next month's names join the counts.
    same = partition(incremental.clusters) & partition(full.clusters)
    agreeing_records = sum(len(person) for person in same)
    assert agreeing_records / records.height >= 0.995, agreeing_records / records.height
    # person_key follows the same rule as a full run (the smallest record_id of the person's records).
    keys = full.clusters.join(incremental.clusters, on="record_id", suffix="_incremental")
    agreeing = keys.filter(pl.col("record_id").is_in([record for person in same for record in person]))
    assert (agreeing.get_column("person_key") == agreeing.get_column("person_key_incremental")).all()
    quality = pairwise_quality(incremental.clusters, messy_people.truth)
    assert quality["precision"] >= 0.999 and quality["recall"] >= 0.98, quality
