"""Stand-ins for link_people (linkage/person_linking.py, built by the linker helper) for tests ONLY.

`truth_linker` links records exactly as the synthetic truth says (DIR/truth/records.csv): a perfect linker, so the
pipeline around it can be tested before the real one lands. `imperfect_linker` damages those links on purpose
(splits some people, merges some pairs of people) to show what the family grouping does with linkage errors.
Both keep the interface: PersonLinks(clusters, review_pairs, model_json), every record exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl


@dataclass(frozen=True)
class PersonLinks:
    clusters: pl.DataFrame
    review_pairs: pl.DataFrame
    model_json: str


NO_PAIRS = pl.DataFrame(schema={"record_id_l": pl.String, "record_id_r": pl.String, "match_probability": pl.Float64})


def read_truth(truth_csv: Path) -> pl.DataFrame:
    return pl.read_csv(truth_csv, infer_schema=False).with_columns(pl.col("person_key").fill_null(""),
                                                                    pl.col("family_key").fill_null(""))


def truth_linker(truth_csv: Path, calls: list | None = None, review_pairs: pl.DataFrame | None = None):
    """review_pairs (record_id_l, record_id_r, match_probability): what the stand-in puts in the review queue."""
    truth = read_truth(truth_csv).select("record_id", "person_key")

    def link_people(records: pl.DataFrame, *, model_json: str | None = None,
                    decisions: pl.DataFrame | None = None) -> PersonLinks:
        if calls is not None:
            calls.append({"records": records.height, "model_json": model_json, "decisions": decisions})
        clusters = records.select("record_id").join(truth, on="record_id", how="left").with_columns(
            pl.coalesce("person_key", pl.format("unknown:{}", pl.col("record_id"))).alias("person_key"))
        return PersonLinks(clusters, NO_PAIRS if review_pairs is None else review_pairs,
                           model_json or '{"model": "truth stand-in"}')

    return link_people


def imperfect_linker(truth_csv: Path, *, split_share: float, merge_share: float, seed: int = 1):
    """Split `split_share` of people (their records from one source become another person) and merge
    `merge_share` of people into another random person."""
    truth = read_truth(truth_csv).filter(pl.col("person_key") != "").select("record_id", "source", "person_key")
    rng = np.random.default_rng(seed)
    people = truth.get_column("person_key").unique().sort()
    split = set(people.filter(pl.Series(rng.random(people.len()) < split_share)).to_list())
    merged_from = people.filter(pl.Series(rng.random(people.len()) < merge_share))
    merge_into = dict(zip(merged_from.to_list(), people.sample(merged_from.len(), with_replacement=True,
                                                             seed=seed).to_list(), strict=True))
    damaged = truth.with_columns(
        pl.when(pl.col("person_key").is_in(list(split)) & (pl.col("source") != "case_members"))
        .then(pl.format("{}:split", pl.col("person_key")))
        .otherwise(pl.col("person_key").replace(merge_into)).alias("person_key"))

    def link_people(records: pl.DataFrame, *, model_json: str | None = None,
                    decisions: pl.DataFrame | None = None) -> PersonLinks:
        clusters = records.select("record_id").join(damaged.select("record_id", "person_key"), on="record_id",
                                                    how="left").with_columns(
            pl.coalesce("person_key", pl.col("record_id")).alias("person_key"))
        return PersonLinks(clusters, NO_PAIRS, "{}")

    return link_people
