"""Reads of the linked data for extracts to the national evaluation, and the checks that this is the private tier.

Unlike data_access.linked_reads (the metrics pipeline's minimised read), an extract needs the identifiers the
evaluation matches on, so this reads person_identifier whole. It must only ever run on the pipeline host as the
linked data's owner: `private_tier_problems` refuses the published tier (a read-only SQLite URL, the dashboard's
URL, a database without the linked tables) and a role that cannot read person_identifier (the dashboard's reader).
Nothing in pages/ or app.py may import this module (tests/data_access/test_web_tier_separation.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from data_access.bulk import BulkReader
from data_access.db_errors import plain_message
from data_access.engine import make_engine, normalise_url, sqlite_path
from data_access.schema import (
    dataset_info,
    eligibility_need,
    family_member,
    need_observation,
    person_identifier,
    programme_episode,
)


class NotPrivateTier(RuntimeError):
    """The URL is not the linked database as its owner: extracts are refused there."""


@dataclass(frozen=True)
class ExtractInputs:
    """The linked tables an extract is built from (identifiers included)."""

    people: pl.DataFrame  # person_identifier, every column
    members: pl.DataFrame
    episodes: pl.DataFrame
    eligibility_needs: pl.DataFrame
    observations: pl.DataFrame
    info: dict[str, str]

    @property
    def data_as_of(self) -> date:
        return date.fromisoformat(self.info["data_as_of"])


def _url_problems(url: str) -> list[str]:
    parsed = make_url(url)
    problems = []
    published = os.environ.get("FAMILIES_PUBLISHED_DB_URL")
    if published and _same_database(url, normalise_url(published)):
        problems.append("this is the dashboard's URL (FAMILIES_PUBLISHED_DB_URL): the published tier")
    if parsed.get_backend_name() == "sqlite":
        if parsed.query.get("mode") == "ro":
            problems.append("this is a read-only SQLite URL, the form the web tier opens")
        path = sqlite_path(url)
        if path is None or not path.is_file():
            problems.append("there is no SQLite database file at this URL")
    return problems


def private_tier_problems(url: str, engine: Engine) -> list[str]:
    """Why `url` is not the private tier as the linked data's owner (empty when it is)."""
    problems = _url_problems(normalise_url(url))
    if problems:
        return problems
    try:
        if not inspect(engine).has_table(person_identifier.name):
            return ["this database holds no linked tables (it is not the linked database; a publication?)"]
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                readable = connection.execute(
                    text("SELECT has_table_privilege(current_user, :table, 'SELECT')"),
                    {"table": f"public.{person_identifier.name}"}).scalar_one()
            if not readable:
                problems.append("this role cannot read the linked tables (the dashboard's reader role?); run as "
                                "the linked data's owner on the pipeline host")
    except SQLAlchemyError as error:
        problems.append(f"the database could not be checked: {plain_message(error)}")
    return problems


def open_private_tier(url: str) -> Engine:
    """An engine on the linked database as its owner; NotPrivateTier (and nothing created) for anything else."""
    url = normalise_url(url)
    problems = _url_problems(url)
    if problems:  # checked before any engine exists: a wrong SQLite path must not create an empty file
        raise NotPrivateTier(_refusal(problems))
    engine = make_engine(url)
    problems = private_tier_problems(url, engine)
    if problems:
        engine.dispose()
        raise NotPrivateTier(_refusal(problems))
    return engine


def _refusal(problems: list[str]) -> str:
    return "this runs on the private tier only, as the linked data's owner: " + "; ".join(problems)


def _same_database(first: str, second: str) -> bool:
    one, other = make_url(first), make_url(second)
    if one.get_backend_name() == "sqlite" and other.get_backend_name() == "sqlite":
        left, right = sqlite_path(first), sqlite_path(second)
        return left is not None and right is not None and left.resolve() == right.resolve()
    return (one.get_backend_name(), one.host, one.port, one.database, one.username) == (
        other.get_backend_name(), other.host, other.port, other.database, other.username)


def read_extract_inputs(engine: Engine) -> ExtractInputs:
    """Every linked table an extract needs, from one snapshot."""
    episode_columns = [programme_episode.c[name] for name in (
        "episode_id", "family_id", "cohort", "eligibility_date", "attachment_date", "closure_date")]
    with BulkReader(engine) as reader:
        info = reader.read(select(dataset_info.c.key, dataset_info.c.value))
        return ExtractInputs(
            people=reader.read(person_identifier),
            members=reader.read(family_member),
            episodes=reader.read(select(*episode_columns)),
            eligibility_needs=reader.read(select(eligibility_need.c.episode_id, eligibility_need.c.headline_outcome)),
            observations=reader.read(select(need_observation.c.measure_id, need_observation.c.family_id,
                                            need_observation.c.person_id, need_observation.c.observed_on,
                                            need_observation.c.need_present)),
            info=dict(zip(info["key"].to_list(), info["value"].to_list(), strict=True)),
        )
