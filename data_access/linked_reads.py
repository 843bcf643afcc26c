"""Reads of the linked data for the metrics pipeline, minimised to what the analysis needs.

Names, NHS numbers, NI numbers, UPNs and postcodes are never selected here: the pipeline gets
pseudonymous keys plus sex, ethnic group and date of birth (to derive age bands), and the web tier
gets none of it (it reads published tables only). Each table is read as its primary key plus the columns
metrics/ uses (LINKED_COLUMNS_READ); add a column there when an analysis starts to need it.
Reads go through data_access.bulk.BulkReader (ADBC on SQLite, COPY on PostgreSQL), all from one snapshot.
The linkage run also reads back what it built last time (a dataset fact, the record-to-person links): keys only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy import Engine, Table, inspect, select

from data_access.bulk import BulkReader, read_frame
from data_access.schema import (
    dataset_info,
    eligibility_need,
    family,
    family_member,
    locality,
    need_observation,
    person_identifier,
    programme_episode,
    record_link,
)


@dataclass(frozen=True)
class LinkedData:
    """The linked outcomes as polars frames, ready for lazy metrics queries."""

    localities: pl.DataFrame
    families: pl.DataFrame
    people: pl.DataFrame  # person_id, sex, ethnic_group, date_of_birth only
    members: pl.DataFrame
    episodes: pl.DataFrame
    eligibility_needs: pl.DataFrame
    observations: pl.DataFrame
    info: dict[str, str]

    @property
    def data_as_of(self) -> date:
        return date.fromisoformat(self.info["data_as_of"])

    @property
    def is_synthetic(self) -> bool:
        return self.info.get("is_synthetic", "false").lower() == "true"

    def as_tables(self) -> dict[str, pl.DataFrame]:
        """The frames keyed by linked table name (the shape metrics.impact.impact_inputs takes)."""
        info = pl.DataFrame({"key": list(self.info), "value": list(self.info.values())})
        return {"dataset_info": info, "locality": self.localities, "family": self.families,
                "person_identifier": self.people, "family_member": self.members, "programme_episode": self.episodes,
                "eligibility_need": self.eligibility_needs, "need_observation": self.observations}


PERSON_COLUMNS_FOR_ANALYSIS = ("person_id", "sex", "ethnic_group", "date_of_birth")

# Not read: family.postcode_district; programme_episode team_code, lead_practitioner_key, assessment_date,
# plan_date, closure_reason, comparison_status; eligibility_need.source; need_observation.source (nothing
# in metrics/ uses them). Primary keys are kept so every row stays identifiable.
LINKED_COLUMNS_READ: dict[str, tuple[str, ...]] = {
    "dataset_info": ("key", "value"),
    "locality": ("locality_code", "locality_name", "sort_order"),
    "family": ("family_id", "locality_code", "family_type", "deprivation_decile"),
    "person_identifier": PERSON_COLUMNS_FOR_ANALYSIS,
    "family_member": ("family_id", "person_id", "role", "start_date", "end_date"),
    "programme_episode": ("episode_id", "family_id", "cohort", "eligibility_date", "attachment_date",
                          "route_into_support", "closure_date", "prior_contacts"),
    "eligibility_need": ("episode_id", "headline_outcome"),
    "need_observation": ("observation_id", "measure_id", "family_id", "person_id", "observed_on", "need_present"),
}


LINKED_TABLES_NOT_READ = ("record_link",)
"""Linked tables the metrics never read (record_link is lineage for the partner-data stage)."""


def _columns_read(table: Table):
    return [table.c[name] for name in LINKED_COLUMNS_READ[table.name]]


def read_linked_data(engine: Engine) -> LinkedData:
    with BulkReader(engine) as reader:
        info_rows = reader.read(select(*_columns_read(dataset_info)))
        return LinkedData(
            localities=reader.read(select(*_columns_read(locality)).order_by(locality.c.sort_order)),
            families=reader.read(select(*_columns_read(family))),
            people=reader.read(select(*_columns_read(person_identifier))),
            members=reader.read(select(*_columns_read(family_member))),
            episodes=reader.read(select(*_columns_read(programme_episode))),
            eligibility_needs=reader.read(select(*_columns_read(eligibility_need))),
            observations=reader.read(select(*_columns_read(need_observation))),
            info=dict(zip(info_rows["key"].to_list(), info_rows["value"].to_list(), strict=True)),
        )


def linked_data_from_frames(frames: dict[str, pl.DataFrame]) -> LinkedData:
    """The same LinkedData from in-memory frames (e.g. a synthetic world), for tests and simulations.

    Columns the database read leaves out are dropped here too, so code tested on frames sees what it gets in
    production; hand-made frames may leave out read columns a test does not need.
    """

    def read(name: str) -> pl.DataFrame:
        frame = frames[name]
        return frame.select([column for column in LINKED_COLUMNS_READ[name] if column in frame.columns])

    info = frames["dataset_info"]
    return LinkedData(
        localities=read("locality").sort("sort_order"),
        families=read("family"),
        people=frames["person_identifier"].select(PERSON_COLUMNS_FOR_ANALYSIS),
        members=read("family_member"),
        episodes=read("programme_episode"),
        eligibility_needs=read("eligibility_need"),
        observations=read("need_observation"),
        info=dict(zip(info["key"].to_list(), info["value"].to_list(), strict=True)),
    )


def read_dataset_info(engine: Engine) -> dict[str, str] | None:
    """Every dataset_info fact of the linked data (None when there are no linked tables)."""
    if not inspect(engine).has_table(dataset_info.name):
        return None
    with engine.connect() as connection:
        rows = connection.execute(select(dataset_info.c.key, dataset_info.c.value)).all()
    return {str(key): str(value) for key, value in rows}


def read_dataset_fact(engine: Engine, key: str) -> str | None:
    """One dataset_info value of the linked data (None when there are no linked tables or no such fact)."""
    if not inspect(engine).has_table(dataset_info.name):
        return None
    with engine.connect() as connection:
        row = connection.execute(select(dataset_info.c.value).where(dataset_info.c.key == key)).first()
    return None if row is None else str(row[0])


def read_record_links(engine: Engine) -> pl.DataFrame | None:
    """record_id, person_id of the last linkage run (None before the first), so person ids can be kept stable."""
    if not inspect(engine).has_table(record_link.name):
        return None
    with engine.connect() as connection:
        return read_frame(connection, select(record_link.c.record_id, record_link.c.person_id))
