"""`python -m data_access.retention`: on a seeded world whose dates straddle every limit (retention_world.py),
exactly the expired rows go, the listing changes nothing and agrees with --apply, the log holds counts only, and the
next publication no longer counts what went. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, create_engine, inspect, select, text

from data_access.access_log import access_event, access_log_metadata
from data_access.bulk import read_frame
from data_access.engine import make_engine, publishing_db_url
from data_access.lifecycle_log import read_events
from data_access.lifecycle_schema import extract_log, extract_person
from data_access.partner_schema import (
    ingest_file,
    ingest_key_map,
    ingest_quarantine,
    linkage_decision,
    linkage_review_pair,
)
from data_access.published_reads import read_published
from data_access.retention import main, outside_access_log
from data_access.schema import (
    eligibility_need,
    family,
    family_member,
    need_observation,
    person_identifier,
    programme_episode,
    record_link,
)
from tests.data_access import retention_world
from tests.data_access.retention_world import AS_OF, CUT_1Y, Planted
from tests.shipped_config import SETTINGS

ARGS = ["--as-of", AS_OF.isoformat(), "--operator", "records.officer"]


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


@pytest.fixture
def world(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """(url, planted, before): the straddling world loaded, and every linked table as it was."""
    folder = tmp_path / "access-log" if _is_sqlite(db_url) else None
    if folder is not None:
        monkeypatch.setenv("FAMILIES_ACCESS_LOG_DIR", str(folder))
    engine = make_engine(db_url)
    try:
        planted = retention_world.build(engine, folder)
        before = _read(engine, (family, family_member, programme_episode, eligibility_need, need_observation,
                                person_identifier))
    finally:
        engine.dispose()
    return db_url, planted, before


def _read(engine: Engine, tables) -> dict[str, pl.DataFrame]:
    with engine.connect() as connection:
        return {table.name: read_frame(connection, select(table)) for table in tables}


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        names = inspect(connection).get_table_names()
        return {name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}


def _access_log_who(url: str, folder: Path | None) -> set[str]:
    if folder is not None:
        return {json.loads(line)["who"] for line in (folder / "access.jsonl").read_text().splitlines()}
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {row[0] for row in connection.execute(select(access_event.c.who))}
    finally:
        engine.dispose()


def _expected_linked(planted: Planted, before: dict[str, pl.DataFrame]) -> dict[str, set]:
    kept = list(planted.kept_families)
    members = before["family_member"]
    kept_people = set(members.filter(pl.col("family_id").is_in(kept)).get_column("person_id"))
    episodes = before["programme_episode"].filter(pl.col("family_id").is_in(kept))
    return {
        "family": set(kept),
        "person_identifier": kept_people,
        "programme_episode": set(episodes.get_column("episode_id")),
        "family_member": set(members.filter(pl.col("family_id").is_in(kept)).select(
            "family_id", "person_id", "start_date").iter_rows()),
        "eligibility_need": set(before["eligibility_need"].filter(pl.col("episode_id").is_in(
            episodes.get_column("episode_id").implode())).select("episode_id", "headline_outcome").iter_rows()),
        "need_observation": set(before["need_observation"].filter(pl.col("family_id").is_in(kept)).get_column(
            "observation_id")),
    }


def test_listing_changes_nothing_then_apply_deletes_exactly_the_expired_rows(world, tmp_path: Path, capsys):
    url, planted, before = world
    folder = tmp_path / "access-log" if _is_sqlite(url) else None
    assert planted.expired_families and planted.kept_families, "guard: the world straddles the limit"
    assert planted.shared_person != planted.gone_person
    engine = make_engine(url)
    try:
        counts_before = _counts(engine)
        access_before = _access_log_who(url, folder)
        assert main(["--db", url, *ARGS]) == 0
        listing = capsys.readouterr().out
        assert _counts(engine) == counts_before, "the listing changed nothing"
        assert _access_log_who(url, folder) == access_before
        assert f"family {len(planted.expired_families):,}" in listing
        assert "nothing deleted" in listing

        assert main(["--db", url, "--apply", "--no-publish", *ARGS]) == 0
        applied = capsys.readouterr().out
        assert applied.splitlines()[1:8] == listing.splitlines()[1:8], "the listing said exactly what --apply did"

        after = _read(engine, (family, family_member, programme_episode, eligibility_need, need_observation,
                               person_identifier))
        expected = _expected_linked(planted, before)
        assert set(after["family"].get_column("family_id")) == expected["family"]
        assert set(after["person_identifier"].get_column("person_id")) == expected["person_identifier"]
        assert planted.shared_person in expected["person_identifier"]
        assert planted.gone_person not in expected["person_identifier"]
        assert set(after["programme_episode"].get_column("episode_id")) == expected["programme_episode"]
        assert set(after["family_member"].select("family_id", "person_id", "start_date").iter_rows()) == expected[
            "family_member"]
        assert set(after["eligibility_need"].select("episode_id", "headline_outcome").iter_rows()) == expected[
            "eligibility_need"]
        assert set(after["need_observation"].get_column("observation_id")) == expected["need_observation"]

        with engine.connect() as connection:
            staged = set()
            for name in ("staged_police_incidents", "staged_case_families", "staged_case_episodes"):
                staged |= {row[0] for row in connection.execute(text(f"SELECT record_id FROM {name}"))}
            files = {row[0] for row in connection.execute(select(ingest_file.c.content_sha256))}
            quarantine = set(connection.execute(select(ingest_file.c.content_sha256, ingest_quarantine.c.row_number)
                                                .join(ingest_file)).all())
            links = {row[0] for row in connection.execute(select(record_link.c.record_id))}
            decisions = set(connection.execute(select(linkage_decision.c.record_id_l,
                                                      linkage_decision.c.record_id_r)).all())
            pairs = set(connection.execute(select(linkage_review_pair.c.record_id_l,
                                                  linkage_review_pair.c.record_id_r)).all())
            key_map = set(connection.execute(select(ingest_key_map.c.kind, ingest_key_map.c.ref)).all())
            extracts = {row[0] for row in connection.execute(select(extract_log.c.output_path))}
            extract_people = connection.execute(select(extract_person.c.extract_id)).all()
        assert staged == planted.staged_kept
        assert files == {"b" * 64, "c" * 64, "d" * 64, "e" * 64}
        assert quarantine == planted.quarantine_kept
        assert links == planted.links_kept
        assert decisions == planted.decisions_kept
        assert pairs == planted.pairs_kept
        assert key_map == planted.key_map_kept
        assert extracts == planted.extracts_kept and len(extract_people) == 1
        assert _access_log_who(url, folder) == planted.access_kept

        events = read_events(engine)
        assert set(events.get_column("operator")) == planted.events_kept | {"records.officer"}
        detail = json.loads(events.filter(pl.col("event") == "retention").item(0, "detail"))
        assert detail["as_of"] == AS_OF.isoformat() and detail["applied"]
        assert detail["record_types"]["linked_families"]["rows"]["family"] == len(planted.expired_families)
        assert detail["record_types"]["quarantine"]["rows"] == {"ingest_quarantine": 1}
        assert detail["record_types"]["access_log"]["cutoff"] == CUT_1Y.isoformat()
        assert detail["republished"] == "skipped (--no-publish)"
        gone = before["person_identifier"].filter(pl.col("person_id") == planted.gone_person).row(0, named=True)
        log_text = events.write_csv() + applied
        for value in (gone["given_name"], gone["family_name"], gone["nhs_number"], str(gone["date_of_birth"])):
            if value:
                assert value not in log_text

        assert main(["--db", url, "--apply", "--no-publish", *ARGS]) == 0  # again: nothing more goes
        assert _read(engine, (family,))["family"].height == len(planted.kept_families)
        assert "none" in capsys.readouterr().out
    finally:
        engine.dispose()


@pytest.mark.slow
def test_the_next_publication_no_longer_counts_them(world, capsys):
    from metrics.publish import publish

    url, planted, _ = world
    published_url = publishing_db_url(url)
    publish(url, published_url, settings=SETTINGS)

    def first_year_attached() -> float | None:
        engine = make_engine(published_url, published=True)
        try:
            rows = read_published(engine, "families").filter(
                (pl.col("period") == planted.first_year) & (pl.col("breakdown") == "none")
                & (pl.col("category") == "All") & (pl.col("statistic") == "families_attached")
                & (pl.col("locality") == "Dorset"))
        finally:
            engine.dispose()
        return None if rows.height == 0 else rows.item(0, "value")

    counted = first_year_attached()
    assert counted is not None and counted >= 10, "guard: the publication counted the first year's families"
    assert main(["--db", url, "--apply", *ARGS]) == 0
    assert "republished" in capsys.readouterr().out
    assert first_year_attached() in (None, 0.0), "the first year's families all expired"
    engine = make_engine(url)
    try:
        detail = json.loads(read_events(engine).filter(pl.col("event") == "retention").item(0, "detail"))
    finally:
        engine.dispose()
    assert detail["republished"] == "yes"


def test_a_failed_republish_leaves_the_deletion_committed_and_says_so(world, tmp_path: Path, capsys):
    url, planted, _ = world
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the published database's folder should be\n")
    code = main(["--db", url, "--apply", "--published-db", f"sqlite:///{blocker / 'published.db'}", *ARGS])
    assert code == 3
    assert "deletion is committed, but the republish failed" in capsys.readouterr().err
    engine = make_engine(url)
    try:
        assert set(_read(engine, (family,))["family"].get_column("family_id")) == planted.kept_families
        detail = json.loads(read_events(engine).filter(pl.col("event") == "retention").item(0, "detail"))
    finally:
        engine.dispose()
    assert detail["republished"] == "failed"


def test_apply_refuses_a_day_after_today(sqlite_url: str):
    with pytest.raises(SystemExit) as usage:
        main(["--db", sqlite_url, "--apply", "--as-of", "2999-01-01"])
    assert usage.value.code == 2


@pytest.mark.postgres
def test_an_access_log_in_a_separate_published_database(pg_url: str, make_pg_database):
    published = make_pg_database()
    engine = create_engine(published)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE SCHEMA access_log")
            access_log_metadata.create_all(connection)
            connection.execute(access_event.insert(), [
                {"at": "2023-05-31T23:59:59+00:00", "who": "old@council.example", "event": "view"},
                {"at": "2023-06-01T00:00:00+00:00", "who": "new@council.example", "event": "view"}])
        assert outside_access_log(pg_url, published, date(2023, 6, 1), apply=False)[0] == 1
        assert outside_access_log(pg_url, published, date(2023, 6, 1), apply=True)[0] == 1
        with engine.connect() as connection:
            assert [row[0] for row in connection.execute(select(access_event.c.who))] == ["new@council.example"]
    finally:
        engine.dispose()


def test_python_dash_m_lists(sqlite_url: str, tmp_path: Path):
    import os
    import subprocess
    import sys

    from data_access.loader import load_linked_data
    from tests.linkage.extract.tiny_world import tiny_world

    engine = make_engine(sqlite_url)
    try:
        load_linked_data(engine, tiny_world())
    finally:
        engine.dispose()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("FAMILIES_")}
    environment["FAMILIES_ACCESS_LOG_DIR"] = str(tmp_path / "access-log")
    result = subprocess.run([sys.executable, "-m", "data_access.retention", "--db", sqlite_url, "--as-of",
                             "2040-01-01"], cwd=Path(__file__).resolve().parents[2], env=environment,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "linked_families: kept 7 years" in result.stdout and "family 2" in result.stdout


def test_a_new_record_type_is_one_entry_and_its_date_column(db_url: str):
    """A private table added later (say, past editions of the publication, with a child table of their cells):
    one RecordType, as one [[record_type]] entry would give, deletes the expired rows and the rows referring to them."""
    from sqlalchemy import Column, DateTime, ForeignKey, Integer, MetaData, Table

    from data_access.lifecycle_schema import ensure_lifecycle_tables
    from data_access.retention import run_retention
    from data_access.retention_schedule import Period, RecordType, RetentionSchedule

    extra = MetaData()
    edition = Table("edition", extra, Column("edition_id", Integer, primary_key=True),
                    Column("published_at", DateTime, nullable=False))
    cell = Table("edition_cell", extra, Column("edition_id", Integer, ForeignKey("edition.edition_id"),
                                               primary_key=True), Column("cell", Integer, primary_key=True))
    engine = make_engine(db_url)
    try:
        extra.create_all(engine)
        ensure_lifecycle_tables(engine)
        with engine.begin() as connection:
            connection.execute(edition.insert(), [
                {"edition_id": 1, "published_at": datetime(2020, 5, 31, 23, 59, 59)},  # before the limit: goes
                {"edition_id": 2, "published_at": datetime(2020, 6, 1)}])  # on it: kept
            connection.execute(cell.insert(), [{"edition_id": e, "cell": c} for e in (1, 2) for c in (1, 2, 3)])
        schedule = RetentionSchedule((RecordType("editions", "Past editions", "edition", "published_at",
                                                 Period(4, "year"), "notice row"),), {})
        result = run_retention(engine, schedule, date(2024, 6, 1), apply=True, operator="test")
        assert result.types[0].counts == {"edition": 1, "edition_cell": 3}
        with engine.connect() as connection:
            assert connection.execute(select(edition.c.edition_id)).scalars().all() == [2]
            assert sorted(connection.execute(select(cell.c.edition_id)).scalars().all()) == [2, 2, 2]
    finally:
        engine.dispose()
