"""Reads of the linked data for the metrics pipeline, minimised to what the analysis needs.

Names, NHS numbers, NI numbers, UPNs and postcodes are never selected here: the pipeline gets
pseudonymous keys plus sex, ethnic group and date of birth (to derive age bands), and the web tier
gets none of it (it reads published tables only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy import Engine, select

from data_access.bulk import read_frame
from data_access.schema import (
    dataset_info,
    eligibility_need,
    family,
    family_member,
    locality,
    need_observation,
    person_identifier,
    programme_episode,
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


def read_linked_data(engine: Engine) -> LinkedData:
    people_columns = [person_identifier.c[name] for name in PERSON_COLUMNS_FOR_ANALYSIS]
    with engine.connect() as connection:
        info_rows = read_frame(connection, select(dataset_info))
        return LinkedData(
            localities=read_frame(connection, select(locality).order_by(locality.c.sort_order)),
            families=read_frame(connection, select(family)),
            people=read_frame(connection, select(*people_columns)),
            members=read_frame(connection, select(family_member)),
            episodes=read_frame(connection, select(programme_episode)),
            eligibility_needs=read_frame(connection, select(eligibility_need)),
            observations=read_frame(connection, select(need_observation)),
            info=dict(zip(info_rows["key"].to_list(), info_rows["value"].to_list(), strict=True)),
        )


def linked_data_from_frames(frames: dict[str, pl.DataFrame]) -> LinkedData:
    """The same LinkedData from in-memory frames (e.g. a synthetic world), for tests and simulations."""
    info = frames["dataset_info"]
    return LinkedData(
        localities=frames["locality"].sort("sort_order"),
        families=frames["family"],
        people=frames["person_identifier"].select(PERSON_COLUMNS_FOR_ANALYSIS),
        members=frames["family_member"],
        episodes=frames["programme_episode"],
        eligibility_needs=frames["eligibility_need"],
        observations=frames["need_observation"],
        info=dict(zip(info["key"].to_list(), info["value"].to_list(), strict=True)),
    )
