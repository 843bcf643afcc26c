"""generate_world: a complete, seeded synthetic Dorset in the shape of the linked-data contract.

Each part of the model draws from its own numpy Generator spawned from the seed, so the same seed
always gives identical frames, and worlds that differ only in effect_scale share their families,
people, cohorts and baselines (only the follow-up outcomes move).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from data_access.bulk import polars_schema
from data_access.config import load_localities, load_measures
from data_access.schema import FAMILY_TYPES, LINKED_TABLES_IN_LOAD_ORDER
from synthetic import model
from synthetic.episodes import EPISODE_ID_OFFSET, draw_episodes, episode_frame
from synthetic.households import draw_families
from synthetic.identifiers import generate_postcodes
from synthetic.needs import draw_baseline_needs, draw_eligibility_needs, eligibility_need_frame, family_has_child_aged
from synthetic.observations import draw_outcomes, true_att
from synthetic.people import draw_people

DEFAULT_DATA_AS_OF = date(2026, 9, 30)
GENERATOR_VERSION = "1.0"
_STREAMS = ("families", "addresses", "people", "needs", "episodes", "outcomes")


@dataclass(frozen=True)
class Truth:
    """What the synthetic world knows and real data never tells: the planted effect and the true ATT."""

    planted_effects: pl.DataFrame  # measure_id, effect_pp: planted reduction (pp) in P(present at 12 months)
    att: pl.DataFrame  # measure_id, true_att_pp (negative = need reduced), n_units
    units: pl.DataFrame  # one row per unit with the need at baseline: covariates, probabilities, 12-month status


@dataclass(frozen=True)
class SyntheticWorld(Mapping[str, pl.DataFrame]):
    """The linked tables (a mapping from table name to frame, ready for load_linked_data) plus the truth."""

    tables: dict[str, pl.DataFrame]
    truth: Truth
    seed: int
    effect_scale: float
    data_as_of: date

    def __getitem__(self, table_name: str) -> pl.DataFrame:
        return self.tables[table_name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)


def generate_world(n_families: int, seed: int, effect_scale: float = 1.0, data_as_of: date = DEFAULT_DATA_AS_OF,
                   config_dir: Path | None = None) -> SyntheticWorld:
    """A synthetic Dorset with `n_families` eligible families (about 62% supported, the rest comparison)."""
    if n_families < 1:
        raise ValueError("n_families must be at least 1.")
    if effect_scale < 0:
        raise ValueError("effect_scale must be 0 (no effect) or more.")
    localities = load_localities(config_dir)
    catalogue = load_measures(config_dir)
    rng = dict(zip(_STREAMS, (np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(
        len(_STREAMS))), strict=True))

    families = draw_families(rng["families"], n_families, localities, data_as_of)
    family_postcodes = generate_postcodes(rng["addresses"], families.district)
    people, person_identifier, family_member = draw_people(rng["people"], families, family_postcodes, data_as_of)
    units = draw_baseline_needs(rng["needs"], families, people, catalogue)
    has_need, source, sources = draw_eligibility_needs(rng["needs"], families, people, units, catalogue)
    n_needs = has_need.sum(axis=1)
    episodes = draw_episodes(rng["episodes"], families, n_needs, data_as_of)
    has_child_under_five = family_has_child_aged(families, people, 0, 4)
    outcomes = draw_outcomes(rng["outcomes"], families, people, units, episodes, catalogue, localities, effect_scale,
                             data_as_of)

    locality_codes = pl.Series([locality.code for locality in localities])
    tables = {
        "dataset_info": _dataset_info(seed, effect_scale, data_as_of, n_families),
        "locality": pl.DataFrame(
            {
                "locality_code": locality_codes,
                "locality_name": [locality.name for locality in localities],
                "sort_order": list(range(1, len(localities) + 1)),
            }
        ),
        "family": pl.DataFrame(
            {
                "family_id": families.family_id,
                "locality_code": locality_codes.gather(families.locality_index),
                "postcode_district": families.district,
                "family_type": pl.Series(FAMILY_TYPES).gather(families.family_type),
                "deprivation_decile": families.deprivation_decile,
            }
        ),
        "person_identifier": person_identifier,
        "family_member": family_member,
        "programme_episode": episode_frame(rng["episodes"], families, episodes, localities, has_child_under_five,
                                           data_as_of),
        "eligibility_need": eligibility_need_frame(has_need, source, sources,
                                                   EPISODE_ID_OFFSET + families.family_id, catalogue),
        "need_observation": outcomes.need_observation,
        "record_link": pl.DataFrame(schema={"source": pl.String, "record_id": pl.String, "person_id": pl.Int64}),
    }
    tables = {table.name: _conform(tables[table.name], table) for table in LINKED_TABLES_IN_LOAD_ORDER}

    measure_ids = [measure.id for measure in catalogue.measures]
    truth = Truth(
        planted_effects=pl.DataFrame(
            {
                "measure_id": measure_ids,
                "effect_pp": [model.planted_reduction_pp(measure_id) * effect_scale for measure_id in measure_ids],
            }
        ),
        att=true_att(outcomes.followed_units, catalogue),
        units=outcomes.followed_units,
    )
    return SyntheticWorld(tables=tables, truth=truth, seed=seed, effect_scale=float(effect_scale),
                          data_as_of=data_as_of)


def _dataset_info(seed: int, effect_scale: float, data_as_of: date, n_families: int) -> pl.DataFrame:
    facts = {
        "is_synthetic": "true",
        "data_as_of": data_as_of.isoformat(),
        "source": "Synthetic Dorset (python -m synthetic); not real families",
        "seed": str(seed),
        "effect_scale": repr(float(effect_scale)),
        "generator_version": GENERATOR_VERSION,
        "n_families": str(n_families),
    }
    return pl.DataFrame({"key": list(facts), "value": list(facts.values())})


def _conform(frame: pl.DataFrame, table) -> pl.DataFrame:
    """Exactly the table's columns, in its order, with the dtypes data_access.bulk reads back."""
    return frame.select([pl.col(name).cast(dtype) for name, dtype in polars_schema(table.columns).items()])
