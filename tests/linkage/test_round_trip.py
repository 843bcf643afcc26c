"""World -> partner extracts -> ingest -> (truth linkage) -> linked tables reproduces the world.

With identifier errors switched off, the rebuilt linked tables equal the world's: every need observation
(unit, date, present/absent), family, episode, eligibility need and membership. With the default errors, under
perfect linkage, only people whose every record lost or garbled their date of birth can drop out of an age-limited
measure: the test bounds that loss (and gain). Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from data_access.config import load_localities, load_measures
from data_access.engine import make_engine
from linkage.contract import load_partner_contract
from linkage.evaluation import b_cubed, family_assignments
from linkage.run import run
from tests.linkage.conftest import read_linked
from tests.linkage.standin_linkers import imperfect_linker, read_truth, truth_linker

OBSERVATION_KEY = ["measure_id", "family_id", "person_id", "observed_on"]


def _world_person_ids(linked: dict[str, pl.DataFrame], truth: pl.DataFrame) -> pl.DataFrame:
    """person_id in the linked tables -> the world's person_id (via the truth of their records)."""
    mapping = (linked["record_link"].join(truth.select("record_id", "person_key"), on="record_id")
               .group_by("person_id").agg(pl.col("person_key").unique()))
    assert mapping.get_column("person_key").list.len().max() == 1  # one world person per linked person
    key = pl.col("person_key").list.first()
    return mapping.select("person_id", pl.when(key.str.starts_with("P")).then(key.str.slice(1).cast(pl.Int64))
                          .alias("world_person_id"))  # outsiders (X...) are in no family of the world


def _in_world_ids(frame: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    return (frame.join(people, on="person_id", how="left")
            .with_columns(pl.when(pl.col("person_id").is_null()).then(None).otherwise(pl.col("world_person_id"))
                          .alias("person_id")).drop("world_person_id"))


def _build(db_url: str, extracts, tmp_path, linker=None) -> tuple[dict, dict]:
    engine = make_engine(db_url)
    try:
        report = run(engine, extracts.inbox_copy(tmp_path / "inbox"), load_partner_contract(),
                     linker or truth_linker(extracts.truth_csv), measures=load_measures(), localities=load_localities(),
                     is_synthetic=True)
        return read_linked(engine), report.as_json()
    finally:
        engine.dispose()


def test_clean_extracts_rebuild_the_world_exactly(db_url, clean_extracts, tmp_path):
    linked, report = _build(db_url, clean_extracts, tmp_path)
    world = clean_extracts.world
    assert all(line["status"] == "loaded" and line["rows_quarantined"] == 0 for line in report["files"])
    people = _world_person_ids(linked, read_truth(clean_extracts.truth_csv))

    mine = _in_world_ids(linked["need_observation"], people).select(*OBSERVATION_KEY, "need_present")
    theirs = world["need_observation"].select(*OBSERVATION_KEY, "need_present")
    assert mine.height == theirs.height
    assert_frame_equal(mine.sort(OBSERVATION_KEY, nulls_last=True), theirs.sort(OBSERVATION_KEY, nulls_last=True))

    # Family and episode ids follow the case references' order, which is the world's order.
    assert_frame_equal(linked["family"].sort("family_id"), world["family"].sort("family_id"))
    episode_columns = [column for column in world["programme_episode"].columns if column != "episode_id"]
    assert_frame_equal(linked["programme_episode"].select(episode_columns).sort("family_id"),
                       world["programme_episode"].select(episode_columns).sort("family_id"))
    assert_frame_equal(linked["eligibility_need"].select("headline_outcome", "source").sort(pl.all()),
                       world["eligibility_need"].select("headline_outcome", "source").sort(pl.all()))
    members = _in_world_ids(linked["family_member"], people)
    assert_frame_equal(members.sort("family_id", "person_id"), world["family_member"].sort("family_id", "person_id"))
    identifiers = _in_world_ids(linked["person_identifier"], people).filter(pl.col("person_id").is_not_null())
    identifiers = identifiers.sort("person_id")
    expected = world["person_identifier"].sort("person_id")
    for column in ("given_name", "family_name", "date_of_birth", "sex", "ethnic_group", "postcode", "nhs_number",
                   "ni_number", "upn"):
        assert identifiers.get_column(column).equals(expected.get_column(column)), column


def test_messy_extracts_under_perfect_linkage_lose_almost_nothing(sqlite_url, messy_extracts, tmp_path):
    linked, report = _build(sqlite_url, messy_extracts, tmp_path)
    people = _world_person_ids(linked, read_truth(messy_extracts.truth_csv))
    mine = _in_world_ids(linked["need_observation"], people).select(*OBSERVATION_KEY, "need_present")
    theirs = messy_extracts.world["need_observation"].select(*OBSERVATION_KEY, "need_present")
    joined = theirs.join(mine, on=OBSERVATION_KEY, how="full", nulls_equal=True, suffix="_rebuilt")
    matched = joined.filter(pl.col("need_present") == pl.col("need_present_rebuilt")).height
    assert joined.filter(pl.col("need_present") != pl.col("need_present_rebuilt")).height == 0  # never wrong
    # A date of birth garbled in every record of a person (day/month swap, blank) can move them into or out of
    # an age-limited measure: a few units are lost or gained, never more than half a per cent.
    invented = joined.filter(pl.col("need_present").is_null()).height
    assert matched / theirs.height >= 0.995, matched / theirs.height
    assert invented / theirs.height <= 0.005, invented


def test_family_grouping_b_cubed_with_perfect_and_imperfect_linkage(sqlite_url, messy_extracts, tmp_path):
    truth = read_truth(messy_extracts.truth_csv)
    perfect, _ = _build(sqlite_url, messy_extracts, tmp_path / "perfect")
    scores = b_cubed(family_assignments(truth, perfect["record_link"], perfect["family_member"]), "predicted", "true")
    assert scores.precision == 1.0 and scores.recall == 1.0

    damaged_linker = imperfect_linker(messy_extracts.truth_csv, split_share=0.05, merge_share=0.01)
    damaged, _ = _build(f"{sqlite_url[:-3]}-damaged.db", messy_extracts, tmp_path / "damaged", damaged_linker)
    damaged_scores = b_cubed(family_assignments(truth, damaged["record_link"], damaged["family_member"]),
                             "predicted", "true")
    assert damaged_scores.f1 < 1.0  # the damage is visible...
    assert damaged_scores.f1 >= 0.95  # ...but household evidence puts most split-off records back in their family
