"""The same linkage settings on Splink's Spark backend (pyspark in local mode) give the same people as DuckDB."""

from __future__ import annotations

import shutil

import pytest

from linkage.person_linking import link_people
from tests.linkage.messy_people import MessyPeople

pytestmark = pytest.mark.slow


def partition(clusters) -> set[frozenset[str]]:
    return {frozenset(ids) for ids in clusters.group_by("person_key").agg("record_id").get_column("record_id")}


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    if shutil.which("java") is None:
        pytest.fail("No Java runtime: .ci/run installs Debian's openjdk-17-jre-headless for the Spark backend.")
    from linkage.spark_linking import local_spark_session

    session = local_spark_session(str(tmp_path_factory.mktemp("spark-checkpoints")), "linkage-test")
    yield session
    session.stop()


def test_spark_finds_the_same_people_as_duckdb(spark, small_messy_people: MessyPeople):
    from linkage.spark_linking import link_people_on_spark

    records = small_messy_people.records
    duckdb_links = link_people(records)
    spark_clusters = link_people_on_spark(records, model_json=duckdb_links.model_json, spark=spark)
    assert spark_clusters.height == records.height
    assert partition(spark_clusters) == partition(duckdb_links.clusters)
    assert len(partition(spark_clusters)) < records.height  # some records did link
