"""A seeded world whose dates straddle every retention limit, with the rows each record type must lose planted.

The synthetic world (data as of 2023-09-30, its earliest possible date) is moved back 2,191 days (six years), so
every interval inside it is kept exactly and the shipped schedule's limits (config/retention.toml) fall inside its
dates when retention runs as of AS_OF = 2024-06-01:

    7 years  -> before 2017-06-01 (partner records, linked families, review decisions)
    1 year / 12 months -> before 2023-06-01 (quarantine, access log)
    6 years  -> before 2018-06-01 (extract log, lifecycle log)

Planted on each side of each limit: every family attached in the first financial year closes before the limit (so
that year's published count must fall to nothing); one family closes the day before it and one on it; an old
family with an open supported episode; a comparison episode eligible on the limit; a person in an expired and in a
kept family; partner files, quarantined rows, review decisions and pairs, extract and lifecycle log rows and
access-log entries dated the day before and on each limit; partner records linked to people and families that go.
`Planted` records what must go, from the plan above, not from the code under test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, insert, update

from data_access.access_log import access_event, access_log_metadata
from data_access.lifecycle_log import ExtractRecord, log_event, record_extract
from data_access.lifecycle_schema import ensure_lifecycle_tables
from data_access.loader import load_linked_data
from data_access.partner_schema import ingest_file, ingest_key_map, linkage_decision, linkage_review_pair
from data_access.schema import record_link
from data_access.staging import ensure_staging_tables, stage_file
from linkage.contract import load_partner_contract
from linkage.ingest import staged_tables
from synthetic import generate_world

AS_OF = date(2024, 6, 1)
SHIFT = timedelta(days=2191)
CUT_7Y = date(2017, 6, 1)
CUT_1Y = date(2023, 6, 1)
CUT_6Y = date(2018, 6, 1)
DAY = timedelta(days=1)


@dataclass
class Planted:
    """What retention as of AS_OF must delete (and what it must keep), by construction."""

    expired_families: set[int] = field(default_factory=set)
    kept_families: set[int] = field(default_factory=set)
    first_year: str = ""  # the financial year whose supported families all expire
    shared_person: int = 0  # member of an expired and of a kept family: kept
    gone_person: int = 0  # member of expired families only, with a linked partner record: goes
    staged_gone: set[str] = field(default_factory=set)  # record_ids
    staged_kept: set[str] = field(default_factory=set)
    files_gone: set[str] = field(default_factory=set)  # content hashes
    quarantine_gone: set[tuple[str, int]] = field(default_factory=set)  # (content hash, row)
    quarantine_kept: set[tuple[str, int]] = field(default_factory=set)
    decisions_kept: set[tuple[str, str]] = field(default_factory=set)
    pairs_kept: set[tuple[str, str]] = field(default_factory=set)
    links_kept: set[str] = field(default_factory=set)  # record_link record_ids
    key_map_kept: set[tuple[str, str]] = field(default_factory=set)
    extracts_kept: set[str] = field(default_factory=set)  # output paths
    events_kept: set[str] = field(default_factory=set)  # lifecycle_log events' operators
    access_kept: set[str] = field(default_factory=set)  # access-log `who`
    access_gone: set[str] = field(default_factory=set)


def _shift(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col(name) - SHIFT for name, dtype in frame.schema.items() if dtype == pl.Date)


def _family_end(episodes: pl.DataFrame) -> pl.DataFrame:
    """The documented rule, written independently of the SQL: None while a supported episode is open."""
    return episodes.group_by("family_id").agg(
        (((pl.col("cohort") == "supported") & pl.col("closure_date").is_null()).any()).alias("open"),
        pl.coalesce("closure_date", "eligibility_date").max().alias("end"))


def linked_world(planted: Planted, families: int = 120, seed: int = 11) -> dict[str, pl.DataFrame]:
    world = generate_world(families, seed, data_as_of=date(2023, 9, 30))
    tables = {name: _shift(frame) for name, frame in world.items()}
    tables["dataset_info"] = tables["dataset_info"].with_columns(
        pl.when(pl.col("key") == "data_as_of").then(pl.lit((date(2023, 9, 30) - SHIFT).isoformat()))
        .otherwise(pl.col("value")).alias("value"))
    episodes = tables["programme_episode"]
    supported = episodes.filter(pl.col("cohort") == "supported")
    first = supported.get_column("attachment_date").min()
    first_year_end = date(first.year + (first.month >= 4), 3, 31)
    planted.first_year = f"{first_year_end.year - 1}/{str(first_year_end.year)[2:]}"
    in_first_year = set(supported.filter(pl.col("attachment_date") <= first_year_end).get_column("episode_id"))
    spring = supported.filter(pl.col("attachment_date").is_between(first_year_end + DAY, CUT_7Y - 2 * DAY)).sort(
        "episode_id").get_column("episode_id").to_list()
    assert len(spring) >= 3, "guard: the world has families attached between the first year's end and the limit"
    on_limit, day_before, still_open = spring[:3]
    comparison = episodes.filter((pl.col("cohort") == "comparison") & (pl.col("eligibility_date") < CUT_7Y)).sort(
        "episode_id").get_column("episode_id").to_list()
    eligible_on_limit = comparison[0]
    closure = pl.col("closure_date")
    episodes = episodes.with_columns(
        pl.when(pl.col("episode_id").is_in(list(in_first_year)))
        .then(pl.when(closure.is_null() | (closure >= CUT_7Y)).then(pl.lit(CUT_7Y - DAY)).otherwise(closure))
        .when(pl.col("episode_id") == on_limit).then(pl.lit(CUT_7Y))
        .when(pl.col("episode_id") == day_before).then(pl.lit(CUT_7Y - DAY))
        .when(pl.col("episode_id") == still_open).then(pl.lit(None, dtype=pl.Date))
        .otherwise(closure).alias("closure_date"),
        pl.when(pl.col("episode_id") == eligible_on_limit).then(pl.lit(CUT_7Y)).otherwise(pl.col("eligibility_date"))
        .alias("eligibility_date"),
    ).with_columns(
        pl.when(closure.is_null()).then(None).otherwise(pl.coalesce("closure_reason", pl.lit("other")))
        .alias("closure_reason"))
    tables["programme_episode"] = episodes
    ends = _family_end(episodes)
    planted.expired_families = set(ends.filter(~pl.col("open") & (pl.col("end") < CUT_7Y)).get_column("family_id"))
    planted.kept_families = set(ends.get_column("family_id")) - planted.expired_families
    by_episode = dict(episodes.select("episode_id", "family_id").iter_rows())
    assert by_episode[on_limit] in planted.kept_families and by_episode[day_before] in planted.expired_families
    assert by_episode[still_open] in planted.kept_families and by_episode[eligible_on_limit] in planted.kept_families

    members = tables["family_member"]
    expired_members = members.filter(pl.col("family_id").is_in(list(planted.expired_families)))
    only_expired = expired_members.join(members.filter(pl.col("family_id").is_in(list(planted.kept_families))),
                                        on="person_id", how="anti").get_column("person_id").unique().sort()
    planted.shared_person, planted.gone_person = only_expired[0], only_expired[1]
    shared_row = members.filter(pl.col("person_id") == planted.shared_person).head(1).with_columns(
        pl.lit(by_episode[on_limit], dtype=members.schema["family_id"]).alias("family_id"),
        pl.lit("other_adult").alias("role"), pl.lit(None).cast(
            pl.Date).alias("end_date"))
    tables["family_member"] = pl.concat([members, shared_row])
    return tables


def _staged_frame(table, rows: list[dict]) -> pl.DataFrame:
    """Rows for a staging table: row_number plus every declared column (None where not given)."""
    kinds = {"DATE": pl.Date, "INTEGER": pl.Int64, "FLOAT": pl.Float64}
    declared = [column for column in table.columns if column.name not in ("record_id", "file_id", "row_number")]
    schema = {"row_number": pl.Int64} | {
        column.name: kinds.get(type(column.type).__name__.upper(), pl.String) for column in declared}
    return pl.DataFrame([{"row_number": number, **row} for number, row in enumerate(rows, start=1)],
                        schema=schema)


def _quarantine(rows: int) -> pl.DataFrame:
    return pl.DataFrame({"row_number": list(range(100, 100 + rows)), "reason": ["bad_date"] * rows,
                         "column_name": ["incident_date"] * rows, "raw_row": ['["x"]'] * rows})


def _stage(engine: Engine, table, source: str, digest: str, extract_date: date, loaded_at: datetime,
           rows: list[dict], quarantined: int) -> list[str]:
    stage_file(engine, table=table, file_name=f"{source}_{extract_date.isoformat()}.csv", source=source,
               content_sha256=digest, extract_date=extract_date, accepted=_staged_frame(table, rows),
               quarantined=_quarantine(quarantined), record_id_prefix=f"{source}:{digest[:12]}:")
    with engine.begin() as connection:
        connection.execute(update(ingest_file).where(ingest_file.c.content_sha256 == digest)
                           .values(loaded_at=loaded_at))
    return [f"{source}:{digest[:12]}:{number:07d}" for number in range(1, len(rows) + 1)]


def build(engine: Engine, access_log_folder: Path | None) -> Planted:
    """Load the world and plant the partner data, review state, logs and access log; return what must go."""
    planted = Planted()
    tables = linked_world(planted)
    load_linked_data(engine, tables)
    contract = load_partner_contract()
    staging = staged_tables(contract)
    ensure_staging_tables(engine, list(staging.values()))
    incident = {"incident_ref": "DP/1", "incident_date": date(2017, 1, 1), "incident_type": "call_out"}
    police = staging["police_incidents"]
    old = _stage(engine, police, "police_incidents", "a" * 64, CUT_7Y - DAY, datetime(2017, 6, 2), [incident] * 2, 1)
    edge = _stage(engine, police, "police_incidents", "b" * 64, CUT_7Y, datetime(2023, 5, 31, 23, 59, 59),
                  [incident] * 2, 1)
    recent = _stage(engine, police, "police_incidents", "c" * 64, date(2024, 5, 1), datetime(2023, 6, 1),
                    [incident] * 2, 1)
    planted.files_gone = {"a" * 64}
    planted.staged_gone = {*old, recent[0]}  # recent[0] is linked to the person who goes with their family
    planted.staged_kept = {*edge, recent[1]}
    planted.quarantine_gone = {("a" * 64, 100), ("b" * 64, 100)}  # expired file; loaded the day before the limit
    planted.quarantine_kept = {("c" * 64, 100)}  # loaded on the limit

    episodes = tables["programme_episode"]
    expired_family = min(planted.expired_families)
    kept_family = min(planted.kept_families)
    expired_episode = episodes.filter(pl.col("family_id") == expired_family).item(0, "episode_id")
    kept_episode = episodes.filter(pl.col("family_id") == kept_family).item(0, "episode_id")
    families_table, episodes_table = staging["case_families"], staging["case_episodes"]
    family_rows = [{"family_ref": "DFM-GONE", "locality_code": "CHE"}, {"family_ref": "DFM-KEPT",
                                                                       "locality_code": "CHE"}]
    case_families = _stage(engine, families_table, "case_families", "d" * 64, date(2024, 5, 1),
                           datetime(2024, 5, 2), family_rows, 0)
    episode_rows = [{"episode_ref": "EP-GONE", "family_ref": "DFM-GONE", "cohort": "supported",
                     "eligibility_date": date(2016, 5, 1)},
                    {"episode_ref": "EP-KEPT", "family_ref": "DFM-KEPT", "cohort": "supported",
                     "eligibility_date": date(2016, 5, 1)}]
    case_episodes = _stage(engine, episodes_table, "case_episodes", "e" * 64, date(2024, 5, 1),
                           datetime(2024, 5, 2), episode_rows, 0)
    planted.staged_gone |= {case_families[0], case_episodes[0]}
    planted.staged_kept |= {case_families[1], case_episodes[1]}
    key_rows = [("family", "DFM-GONE", expired_family), ("family", "DFM-KEPT", kept_family),
                ("episode", "EP-GONE", expired_episode), ("episode", "EP-KEPT", kept_episode)]
    planted.key_map_kept = {("family", "DFM-KEPT"), ("episode", "EP-KEPT")}

    with engine.begin() as connection:
        connection.execute(insert(ingest_key_map), [{"kind": kind, "ref": ref, "key": key}
                                                    for kind, ref, key in key_rows])
        links = [("police_incidents", recent[0], planted.gone_person),  # goes with the person
                 ("police_incidents", recent[1], planted.shared_person),  # kept
                 ("police_incidents", old[0], planted.shared_person),  # its record expired: swept
                 ("police_incidents", edge[0], planted.shared_person)]  # kept
        connection.execute(insert(record_link), [{"source": source, "record_id": record, "person_id": person}
                                                 for source, record, person in links])
        planted.links_kept = {recent[1], edge[0]}
        decisions = [(recent[1], edge[0], datetime(2017, 5, 31, 23, 59)),  # decided before the limit: goes
                     (edge[0], recent[1], datetime(2017, 6, 1)),  # on the limit: kept
                     (old[0], recent[1], datetime(2024, 1, 1))]  # names an expired record: swept
        connection.execute(insert(linkage_decision), [{"record_id_l": left, "record_id_r": right, "is_match": True,
                                                       "decided_at": when} for left, right, when in decisions])
        planted.decisions_kept = {(edge[0], recent[1])}
        connection.execute(insert(linkage_review_pair), [
            {"record_id_l": edge[1], "record_id_r": recent[1], "match_probability": 0.7},
            {"record_id_l": old[1], "record_id_r": edge[1], "match_probability": 0.6}])
        planted.pairs_kept = {(edge[1], recent[1])}

    ensure_lifecycle_tables(engine)
    for when, path in ((datetime(2018, 5, 31, 23, 59, 59), "/outbox/old.tar.age"),
                       (datetime(2018, 6, 1), "/outbox/kept.tar.age")):
        record_extract(engine, ExtractRecord(
            extract="national-impact-study", created_at=when, operator="analyst", mode="identified", encrypted=True,
            recipient="age1example", token_key_id=None, data_as_of=date(2018, 3, 31), row_counts={"people.csv": 2},
            output_path=Path(path), output_sha256="0" * 64, manifest_sha256="1" * 64), [planted.shared_person])
    planted.extracts_kept = {"/outbox/kept.tar.age"}
    with engine.begin() as connection:
        log_event(connection, "erasure", "old.officer", {"rows": 1}, at=datetime(2018, 5, 31))
        log_event(connection, "erasure", "kept.officer", {"rows": 1}, at=datetime(2018, 6, 1))
    planted.events_kept = {"kept.officer"}

    entries = [("expired@council.example", datetime(2023, 5, 31, 23, 59, 59, tzinfo=UTC)),
               ("kept@council.example", datetime(2023, 6, 1, tzinfo=UTC))]
    planted.access_gone, planted.access_kept = {entries[0][0]}, {entries[1][0]}
    if access_log_folder is not None:  # SQLite: the JSON-lines file
        access_log_folder.mkdir(parents=True, exist_ok=True)
        (access_log_folder / "access.jsonl").write_text("".join(
            json.dumps({"at": when.isoformat(), "who": who, "role": "analyst", "event": "view", "page": "overview",
                        "detail": {}}) + "\n" for who, when in entries))
    else:  # PostgreSQL, the one-database deployment: the table beside the linked ones
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS access_log")
            access_log_metadata.create_all(connection)
            connection.execute(insert(access_event), [{"at": when, "who": who, "role": "analyst", "event": "view"}
                                                      for who, when in entries])
    return planted
