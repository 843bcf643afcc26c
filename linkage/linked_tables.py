"""Build every linked table from staged partner records and the person links (one function, no database).

Staged rows -> person records -> (the linker's clusters) -> stable person_ids -> person_identifier and
record_link; case records -> family, programme_episode, eligibility_need; case relationships and household
evidence -> family_member; the contract's rules -> need_observation. The frames returned are exactly what
data_access.loader.load_linked_data takes. Family and episode ids stay the same between runs through the key
maps (new references get new ids, returned so the caller can record them).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import polars as pl

from data_access.bulk import polars_schema
from data_access.config import Locality, MeasureCatalogue
from data_access.schema import LINKED_TABLES_IN_LOAD_ORDER
from linkage.contract import PartnerContract
from linkage.families import (
    case_episodes,
    case_families,
    case_memberships,
    case_needs,
    household_memberships,
    sightings,
)
from linkage.observations import evidence, need_observations, units
from linkage.person_ids import assign_person_ids
from linkage.person_records import consolidate_people, person_records, record_facts


@dataclass(frozen=True)
class BuiltTables:
    frames: dict[str, pl.DataFrame]  # every linked table, ready for load_linked_data
    new_family_ids: dict[str, int]  # family_ref -> family_id assigned this run
    new_episode_ids: dict[str, int]
    dropped: dict[str, int]  # what could not be placed, counted (e.g. episodes of unknown families)


def _assign(refs: list[str], known: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """(all ids, new ids): references seen before keep their id; new ones get the next ids, in sorted order."""
    next_id = max(known.values(), default=0) + 1
    new = {}
    for ref in sorted(set(refs) - set(known)):
        new[ref] = next_id
        next_id += 1
    return {**known, **new}, new


def build_linked_tables(contract: PartnerContract, staged: dict[str, pl.DataFrame], clusters: pl.DataFrame, *,
                        data_as_of: date, previous_links: pl.DataFrame | None = None,
                        family_keys: dict[str, int] | None = None, episode_keys: dict[str, int] | None = None,
                        measures: MeasureCatalogue, localities: tuple[Locality, ...], is_synthetic: bool = False,
                        built_from: str = "") -> BuiltTables:
    catalogue = measures
    records = person_records(contract, staged)
    facts = record_facts(contract, staged)
    links = assign_person_ids(clusters, previous_links)
    people = consolidate_people(records, facts, links, data_as_of)

    families_raw = case_families(contract, staged)
    family_ids, new_family_ids = _assign(families_raw.get_column("family_ref").to_list(), dict(family_keys or {}))
    refs = pl.DataFrame({"family_ref": list(family_ids), "family_id": list(family_ids.values())},
                        schema={"family_ref": pl.String, "family_id": pl.Int64})
    family = families_raw.join(refs, on="family_ref", how="inner")

    episodes_raw = case_episodes(contract, staged).join(refs, on="family_ref", how="left")
    dropped = {"episodes_of_unknown_families": int(episodes_raw.get_column("family_id").null_count())}
    episodes_raw = episodes_raw.filter(pl.col("family_id").is_not_null())
    episode_ids, new_episode_ids = _assign(episodes_raw.get_column("episode_ref").to_list(), dict(episode_keys or {}))
    episode_refs = pl.DataFrame({"episode_ref": list(episode_ids), "episode_id": list(episode_ids.values())},
                                schema={"episode_ref": pl.String, "episode_id": pl.Int64})
    episodes = episodes_raw.join(episode_refs, on="episode_ref", how="inner")
    needs_raw = case_needs(contract, staged).join(episode_refs, on="episode_ref", how="left")
    dropped["needs_of_unknown_episodes"] = int(needs_raw.get_column("episode_id").null_count())
    needs = needs_raw.filter(pl.col("episode_id").is_not_null())

    all_case_members = case_memberships(contract, staged, links)
    case_members = all_case_members.join(refs, on="family_ref", how="inner")
    dropped["members_of_unknown_families"] = int(all_case_members.height - case_members.height)
    first_eligibility = episodes.group_by("family_id").agg(pl.col("eligibility_date").min())
    household = household_memberships(
        sightings(contract, staged, links, facts.select("record_id", "record_day")),
        case_members.select("family_id", "person_id"), first_eligibility,
        people.select("person_id", "date_of_birth"))
    members = pl.concat([case_members.select("family_id", "person_id", "role", "start_date", "end_date"),
                         household], how="vertical_relaxed").filter(pl.col("start_date").is_not_null())
    members = members.unique(["family_id", "person_id", "start_date"], keep="first", maintain_order=True)

    unit_frame = units(episodes, members, people, catalogue)
    found = evidence(contract, staged, links, members, family_ids, catalogue)
    observations = need_observations(unit_frame, found, contract, data_as_of, catalogue)

    person_links = links.join(records.select("record_id", "source"), on="record_id", how="inner")
    frames = {
        "dataset_info": _dataset_info(data_as_of, is_synthetic, staged, built_from),
        "locality": pl.DataFrame({"locality_code": [locality.code for locality in localities],
                                  "locality_name": [locality.name for locality in localities],
                                  "sort_order": list(range(1, len(localities) + 1))}),
        "family": family.select("family_id", "locality_code", "postcode_district", "family_type",
                                "deprivation_decile"),
        "person_identifier": people.select("person_id", "given_name", "family_name", "date_of_birth", "sex",
                                           "ethnic_group", "postcode", "nhs_number", "ni_number", "upn"),
        "family_member": members,
        "programme_episode": episodes,
        "eligibility_need": needs.select("episode_id", "headline_outcome", "source"),
        "need_observation": observations,
        "record_link": person_links.select("source", "record_id", "person_id"),
    }
    frames = {table.name: _conform(frames[table.name], table) for table in LINKED_TABLES_IN_LOAD_ORDER}
    return BuiltTables(frames, new_family_ids, new_episode_ids, dropped)


def _conform(frame: pl.DataFrame, table) -> pl.DataFrame:
    schema = polars_schema(table.columns)
    return frame.select([(pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
                         for name, dtype in schema.items()])


def _dataset_info(data_as_of: date, is_synthetic: bool, staged: dict[str, pl.DataFrame], built_from: str
                  ) -> pl.DataFrame:
    facts = {
        "data_as_of": data_as_of.isoformat(),
        "is_synthetic": "true" if is_synthetic else "false",
        "source": f"Partner extracts ({len([frame for frame in staged.values() if frame.height])} sources) linked by "
                  "python -m linkage run",
        "built_from": built_from,
    }
    return pl.DataFrame({"key": list(facts), "value": list(facts.values())})


def fingerprint(content_hashes: list[str]) -> str:
    """A short digest of the set of files the linked tables are built from (order does not matter)."""
    return hashlib.sha256("\n".join(sorted(content_hashes)).encode()).hexdigest()[:32]
