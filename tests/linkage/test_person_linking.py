"""link_people on seeded messy UK-style records with the truth planted (tests/linkage/messy_people.py).

The truth is independent of the linker: it is the synthetic person each record was written from. Quality
targets from issue #9: pairwise precision >= 0.999 and recall >= 0.98; match rates within 2 points between
sexes, age bands and ethnic groups (the generator's error rates are the same for every group).
"""

from __future__ import annotations

import json
import logging

import polars as pl
import pytest

from linkage.person_linking import LinkageInputError, PersonLinks, link_people, link_people_with_scores
from linkage.quality import estimated_precision_recall, linkage_summary, match_rates_by_group, match_rates_by_source
from tests.linkage.messy_people import MessyPeople, pairwise_quality

pytestmark = pytest.mark.slow  # trains Splink models on tens of thousands of records


@pytest.fixture(scope="module")
def linked(messy_people: MessyPeople) -> tuple[PersonLinks, pl.DataFrame]:
    return link_people_with_scores(messy_people.records)


def test_every_record_gets_exactly_one_person(linked, messy_people):
    clusters = linked[0].clusters
    assert clusters.height == messy_people.records.height
    assert clusters.get_column("record_id").n_unique() == clusters.height
    # person_key is the smallest record_id of the person's records
    smallest = clusters.group_by("person_key").agg(pl.col("record_id").min())
    assert (smallest.get_column("person_key") == smallest.get_column("record_id")).all()


def test_pairwise_precision_and_recall_against_the_planted_truth(linked, messy_people):
    quality = pairwise_quality(linked[0].clusters, messy_people.truth)
    assert quality["true_pairs"] > 10_000
    assert quality["precision"] >= 0.999, quality
    assert quality["recall"] >= 0.98, quality


@pytest.mark.parametrize("group", ["sex", "age_band", "ethnic_group"])
def test_match_rates_differ_by_at_most_two_points_between_groups(linked, messy_people, group):
    truth = messy_people.truth
    # Only records whose person has other records can match; groups below 500 such records are too noisy to judge.
    has_partner = truth.with_columns(pl.len().over("person_id").alias("n")).filter(pl.col("n") > 1)
    rates = match_rates_by_group(linked[0], has_partner, group).filter(pl.col("records") >= 500)
    assert rates.height >= 2
    spread = rates.get_column("match_rate").max() - rates.get_column("match_rate").min()
    assert spread <= 0.02, rates


def test_a_stored_model_is_reused_without_training_and_gives_the_same_people(linked, messy_people):
    first = linked[0]
    again = link_people(messy_people.records, model_json=first.model_json)
    assert again.model_json == first.model_json
    assert again.clusters.sort("record_id").equals(first.clusters.sort("record_id"))


def test_review_decisions_are_applied_before_clustering_and_stick(linked, messy_people):
    first = linked[0]
    assert first.review_pairs.height > 0
    review = first.review_pairs.head(4)
    yes = review.head(2).select("record_id_l", "record_id_r", pl.lit(True).alias("is_match"))
    # "not a match" on two pairs that linked automatically
    person = dict(first.clusters.iter_rows())
    multi = first.clusters.filter(pl.len().over("person_key") == 2).sort("person_key", "record_id").head(4)
    pairs = multi.group_by("person_key", maintain_order=True).agg(pl.col("record_id").sort())
    no = pl.DataFrame(
        [(ids[0], ids[1], False) for ids in pairs.get_column("record_id").to_list()],
        schema={"record_id_l": pl.String, "record_id_r": pl.String, "is_match": pl.Boolean},
        orient="row",
    )
    decisions = pl.concat([yes, no])
    decided = link_people(messy_people.records, model_json=first.model_json, decisions=decisions)
    now = dict(decided.clusters.iter_rows())
    for left, right in yes.select("record_id_l", "record_id_r").iter_rows():
        assert now[left] == now[right]
    for left, right in no.select("record_id_l", "record_id_r").iter_rows():
        assert person[left] == person[right] and now[left] != now[right]
    decided_pairs = decisions.select("record_id_l", "record_id_r")
    assert decided.review_pairs.join(decided_pairs, on=["record_id_l", "record_id_r"], how="semi").is_empty()
    # Sticky: the same decisions on the next run give the same result.
    rerun = link_people(messy_people.records, model_json=first.model_json, decisions=decisions)
    assert rerun.clusters.sort("record_id").equals(decided.clusters.sort("record_id"))


def test_quality_aggregates_hold_counts_only(linked, messy_people):
    links, scored = linked
    summary = linkage_summary(links, messy_people.records)
    assert summary["records"] == messy_people.records.height
    assert summary["review_queue_pairs"] == links.review_pairs.height
    estimate = estimated_precision_recall(scored, 0.995)
    assert 0.99 <= estimate["estimated_precision"] <= 1 and 0.9 <= estimate["estimated_recall"] <= 1
    by_source = match_rates_by_source(links, messy_people.records)
    assert by_source.get_column("records").sum() == messy_people.records.height
    assert set(by_source.columns) == {"source", "records", "records_matched", "people", "match_rate"}


def test_contradictory_decisions_are_refused_without_quoting_ids(small_messy_people):
    ids = small_messy_people.records.get_column("record_id").head(2).to_list()
    decisions = pl.DataFrame(
        {"record_id_l": ids * 2, "record_id_r": ids[::-1] * 2, "is_match": [True, True, False, False]}
    )
    with pytest.raises(LinkageInputError) as raised:
        link_people(small_messy_people.records, decisions=decisions)
    assert ids[0] not in str(raised.value)


def test_splink_logs_and_output_quote_no_personal_value(small_messy_people, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    links = link_people(small_messy_people.records)
    printed = capfd.readouterr()
    text = caplog.text + printed.out + printed.err
    records = small_messy_people.records
    values = set()
    for column in ("surname", "nhs_number", "date_of_birth", "postcode"):
        values |= {value.strip().lower() for value in records.get_column(column).drop_nulls().to_list() if value}
    quoted = {value for value in values if len(value) >= 4 and value in text.lower()}
    assert not quoted, f"{len(quoted)} personal value(s) appear in logs or output"
    assert json.loads(links.model_json)["link_type"] == "dedupe_only"


def test_tiny_inputs(small_messy_people):
    links = link_people(small_messy_people.records)
    empty = link_people(small_messy_people.records.head(0), model_json=links.model_json)
    assert empty.clusters.is_empty() and empty.review_pairs.is_empty()
    single = link_people(small_messy_people.records.head(1), model_json=links.model_json)
    assert single.clusters.rows() == [(small_messy_people.records.item(0, "record_id"),) * 2]
    with pytest.raises(LinkageInputError, match="at least"):
        link_people(small_messy_people.records.head(10))
    with pytest.raises(LinkageInputError, match="unique"):
        link_people(pl.concat([small_messy_people.records.head(60)] * 2), model_json=links.model_json)
