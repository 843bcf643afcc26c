"""Two successive extracts of one synthetic Dorset: a refresh with a later data date and late-arriving records.

For tests and benchmarks of successive editions (docs/disclosure.md, "Refreshes").

The later extract is generate_world(n, seed, data_as_of=later). The earlier one is the same world as it stood at
the earlier data date: only families eligible by then (supported ones only once attached), closures and departures
after it undone, observations dated after it dropped, and, planted, a seeded share of the observations dated
before it held back: they arrive late, so they appear only in the later extract.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from synthetic.world import generate_world


def refresh_extracts(n_families: int, seed: int, earlier: date, later: date, late_share: float = 0.03
                     ) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame], pl.DataFrame]:
    """(earlier extract, later extract, the late observations) as linked tables ready for load_linked_data."""
    world = dict(generate_world(n_families, seed, data_as_of=later).tables)
    cut = cut_back(world, earlier)
    observations = cut["need_observation"]
    rng = np.random.default_rng(seed + 1)
    late = rng.random(observations.height) < late_share
    cut["need_observation"] = observations.filter(pl.Series(~late))
    return cut, world, observations.filter(pl.Series(late))


def cut_back(tables: dict[str, pl.DataFrame], as_of: date) -> dict[str, pl.DataFrame]:
    """The linked tables as they stood at `as_of` (nothing dated after it)."""
    episodes = tables["programme_episode"].filter(
        pl.col("eligibility_date") <= as_of,
        (pl.col("cohort") == "comparison") | (pl.col("attachment_date") <= as_of),
    ).with_columns(
        closure_reason=pl.when(pl.col("closure_date") <= as_of).then(pl.col("closure_reason")),
        closure_date=pl.when(pl.col("closure_date") <= as_of).then(pl.col("closure_date")),
        assessment_date=pl.when(pl.col("assessment_date") <= as_of).then(pl.col("assessment_date")),
        plan_date=pl.when(pl.col("plan_date") <= as_of).then(pl.col("plan_date")),
    )
    families = episodes["family_id"].unique().implode()
    members = tables["family_member"].filter(pl.col("family_id").is_in(families), pl.col("start_date") <= as_of
                                             ).with_columns(end_date=pl.when(pl.col("end_date") <= as_of)
                                                            .then(pl.col("end_date")))
    people = members["person_id"].unique().implode()
    info = tables["dataset_info"].with_columns(
        value=pl.when(pl.col("key") == "data_as_of").then(pl.lit(as_of.isoformat())).otherwise(pl.col("value")))
    return {
        "dataset_info": info,
        "locality": tables["locality"],
        "family": tables["family"].filter(pl.col("family_id").is_in(families)),
        "person_identifier": tables["person_identifier"].filter(pl.col("person_id").is_in(people)),
        "family_member": members,
        "programme_episode": episodes,
        "eligibility_need": tables["eligibility_need"].filter(pl.col("episode_id").is_in(
            episodes["episode_id"].implode())),
        "need_observation": tables["need_observation"].filter(
            pl.col("family_id").is_in(families), pl.col("observed_on") <= as_of,
            pl.col("person_id").is_null() | pl.col("person_id").is_in(people)),
        "record_link": tables["record_link"].filter(pl.col("person_id").is_in(people)),
    }
