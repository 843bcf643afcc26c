"""Match every partner record to a person: probabilistic (Fellegi-Sunter) linkage with Splink on DuckDB.

Why: partners' extracts name the same person with typos, nicknames, swapped dates and old postcodes, and no
identifier is always present, so exact matching both splits people and misses links. Splink scores every
candidate pair with a model trained on the data itself (linkage.splink_settings); pairs at or above the
automatic-link threshold link, pairs in the band below it go to an analyst, and the analyst's decisions are
applied before clustering on every later run (a "no" is never overturned by a chain of other links).

Deduplication runs across all sources at once, because one source can hold the same person twice.
Training is the expensive part (minutes at a million records), so it runs on a sample and the trained model is
returned as JSON for the caller to store and pass back: a run given a model does not train.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from splink import Linker

from linkage.clustering import IDENTITY_COLUMNS, cluster_people
from linkage.config import LinkageConfig, load_linkage_config
from linkage.profiles import Profiles, identity_profiles
from linkage.quality import estimated_precision_recall
from linkage.review_queue import review_queue
from linkage.splink_settings import duckdb_api, quiet_splink_logging, settings, train

PAIR_SCHEMA = {"record_id_l": pl.String, "record_id_r": pl.String, "match_probability": pl.Float64}
CLUSTER_SCHEMA = {"record_id": pl.String, "person_key": pl.String}
DECISION_SCHEMA = {"record_id_l": pl.String, "record_id_r": pl.String, "is_match": pl.Boolean}
MINIMUM_RECORDS_TO_TRAIN = 50


class LinkageInputError(ValueError):
    """The records or decisions cannot be linked as given (the message never quotes a value)."""


@dataclass(frozen=True)
class PersonLinks:
    clusters: pl.DataFrame  # record_id, person_key: every input record exactly once
    review_pairs: pl.DataFrame  # record_id_l, record_id_r, match_probability: the review band, undecided pairs
    model_json: str  # the trained Splink settings: store it and pass it back next run
    ambiguous_records: int = 0  # records held apart because they fitted two people equally well (clustering.py)
    estimates: dict[str, float] = field(default_factory=dict)  # model-estimated pairwise quality (linkage.quality)


def _check_records(records: pl.DataFrame) -> None:
    if "record_id" not in records.columns:
        raise LinkageInputError("Person records need a record_id column.")
    ids = records.get_column("record_id")
    if ids.null_count():
        raise LinkageInputError(f"{ids.null_count()} person record(s) have no record_id.")
    duplicated = records.height - ids.n_unique()
    if duplicated:
        raise LinkageInputError(f"record_id must be unique: {duplicated} record(s) repeat another's record_id.")


def ordered_pairs(pairs: pl.DataFrame) -> pl.DataFrame:
    """The same pairs with record_id_l < record_id_r, so a pair has one spelling."""
    left, right = pl.col("record_id_l"), pl.col("record_id_r")
    return pairs.with_columns(
        pl.min_horizontal(left, right).alias("record_id_l"), pl.max_horizontal(left, right).alias("record_id_r")
    )


def _check_decisions(decisions: pl.DataFrame | None, record_ids: pl.Series) -> pl.DataFrame:
    if decisions is None or decisions.is_empty():
        return pl.DataFrame(schema=DECISION_SCHEMA)
    missing = [name for name in DECISION_SCHEMA if name not in decisions.columns]
    if missing:
        raise LinkageInputError(f"Review decisions need column(s) {', '.join(missing)}.")
    decided = ordered_pairs(decisions.select(list(DECISION_SCHEMA)).cast(DECISION_SCHEMA)).drop_nulls().unique()
    contradictory = decided.group_by("record_id_l", "record_id_r").agg(pl.len()).filter(pl.col("len") > 1).height
    if contradictory:
        raise LinkageInputError(f"{contradictory} reviewed pair(s) are marked both a match and not a match.")
    # Decisions about records not in this run (e.g. deleted under retention) simply do not apply.
    known = decided.get_column("record_id_l").is_in(record_ids.implode()) & decided.get_column("record_id_r").is_in(
        record_ids.implode()
    )
    return decided.filter(known)


def sample_for_training(normalised: pl.DataFrame, config: LinkageConfig) -> pl.DataFrame:
    """At most training_sample_size records, drawn with the configured seed from the records in record_id order."""
    if normalised.height <= config.training_sample_size:
        return normalised
    return normalised.sort("record_id").sample(config.training_sample_size, seed=config.seed)


def train_model(normalised: pl.DataFrame, config: LinkageConfig, *, link_type: str = "dedupe_only"
                ) -> dict[str, Any]:
    """Train on (a sample of) normalised records; returns the Splink settings with the trained parameters."""
    sample = sample_for_training(normalised, config)
    if sample.height < MINIMUM_RECORDS_TO_TRAIN:
        raise LinkageInputError(
            f"Training a linkage model needs at least {MINIMUM_RECORDS_TO_TRAIN} records "
            f"(got {sample.height}); pass a stored model_json instead."
        )
    db_api = duckdb_api(config)
    table = db_api.register(sample.to_arrow(), table_name="training_records")
    linker = Linker(table, settings(link_type), log_level=None)
    model = train(linker, config)
    db_api.duckdb_con.close()
    return model


def score_pairs(normalised: pl.DataFrame, model: dict[str, Any], config: LinkageConfig) -> pl.DataFrame:
    """Every blocked pair scored by the model, kept when its match probability reaches the review floor
    (record_id_l < record_id_r, in the type of the records' record_id)."""
    if normalised.height < 2:
        ids = normalised.schema.get("record_id", pl.String)
        return pl.DataFrame(schema={"record_id_l": ids, "record_id_r": ids, "match_probability": pl.Float64})
    db_api = duckdb_api(config)
    table = db_api.register(normalised.to_arrow(), table_name="person_records")
    linker = Linker(table, model, log_level=None)
    predictions = linker.inference.predict(threshold_match_probability=config.review_floor, warning_mode="never")
    relation = predictions.as_duckdbpyrelation().select("record_id_l, record_id_r, match_probability")
    scored = pl.from_arrow(relation.to_arrow_table())
    db_api.duckdb_con.close()  # its memory now, not when the garbage collector finds Splink's reference cycles
    return ordered_pairs(scored).with_columns(pl.col("match_probability").cast(pl.Float64))


def cluster_records(record_ids: pl.Series, links: pl.DataFrame, decisions: pl.DataFrame,
                    identities: pl.DataFrame | None = None, auto_link_probability: float | None = None
                    ) -> pl.DataFrame:
    """record_id -> person_key (the smallest record_id of its cluster) from automatic links and analysts' decisions.

    `links` are the pairs at or above the automatic-link threshold. An analyst's "match" adds a link and a
    "not a match" removes one, and also stops a chain of other links from joining the two records. With
    `identities` (linkage.clustering.IDENTITY_COLUMNS), records whose identifiers say they are two people are
    never joined either, and with `auto_link_probability` a record torn between two such people is held apart
    (linkage/clustering.py).
    """
    return cluster_people(record_ids, ordered_pairs(links), ordered_pairs(decisions), identities,
                          auto_link_probability).clusters


Scorer = Callable[[pl.DataFrame, dict[str, Any], LinkageConfig], pl.DataFrame]
"""Scores the blocked pairs of normalised profiles with a model (score_pairs on DuckDB; Spark:
linkage/spark_linking.py)."""


def link_people(
    records: pl.DataFrame,
    *,
    model_json: str | None = None,
    decisions: pl.DataFrame | None = None,
    config: LinkageConfig | None = None,
    scorer: Scorer | None = None,
) -> PersonLinks:
    """Link person records from every source into people (the interface's entry point).

    model_json None: train on (a sample of) these records; otherwise reuse the stored parameters without training.
    decisions (record_id_l, record_id_r, is_match): analysts' review decisions, applied before clustering.
    """
    return link_people_with_scores(records, model_json=model_json, decisions=decisions, config=config,
                                   scorer=scorer)[0]


def link_people_with_scores(
    records: pl.DataFrame,
    *,
    model_json: str | None = None,
    decisions: pl.DataFrame | None = None,
    config: LinkageConfig | None = None,
    scorer: Scorer | None = None,
) -> tuple[PersonLinks, pl.DataFrame]:
    """`link_people`, also returning every scored pair at or above the review floor, between identity profiles
    (record_id_l, record_id_r are profile numbers: linkage/profiles.py), for quality estimates and benchmarks.
    scorer: where pairs are scored (default: Splink on DuckDB); everything else runs here, the same on every backend."""
    quiet_splink_logging()
    config = config or load_linkage_config()
    _check_records(records)
    decided = _check_decisions(decisions, records.get_column("record_id").cast(pl.String))
    profiles = identity_profiles(records, pl.concat([decided.get_column("record_id_l"),
                                                     decided.get_column("record_id_r")]).unique())
    model = json.loads(model_json) if model_json is not None else train_model(profiles.table, config)
    scored = (scorer or score_pairs)(profiles.table, model, config)
    links = scored.filter(pl.col("match_probability") >= config.auto_link_probability)
    identities = profiles.table.select(IDENTITY_COLUMNS)
    decided_profiles = ordered_pairs(profiles.profile_numbers(decided, "record_id_l", "record_id_r"))
    clustering = cluster_people(profiles.table.get_column("record_id"), links, decided_profiles, identities,
                                config.auto_link_probability)
    queue = review_queue(scored, clustering.clusters, decided_profiles, identities, config.review_floor)
    review_pairs = (ordered_pairs(profiles.record_ids(queue, "record_id_l", "record_id_r"))
                    .sort(["match_probability", "record_id_l", "record_id_r"], descending=[True, False, False])
                    .select(list(PAIR_SCHEMA)).cast(PAIR_SCHEMA))
    links = PersonLinks(
        clusters=_record_clusters(profiles, clustering.clusters),
        review_pairs=review_pairs,
        model_json=json.dumps(model, sort_keys=True),
        ambiguous_records=profiles.members.join(
            pl.DataFrame({"profile": list(clustering.ambiguous)}, schema={"profile": pl.Int64}), on="profile",
            how="semi").height,
        estimates=estimated_precision_recall(scored, config.auto_link_probability),
    )
    return links, scored


def _record_clusters(profiles: Profiles, profile_clusters: pl.DataFrame) -> pl.DataFrame:
    """Every record's person_key (the smallest record_id of the person's records) from the profiles' clusters."""
    return (profiles.members
            .join(profile_clusters.rename({"record_id": "profile", "person_key": "person"}), on="profile")
            .select("record_id", pl.col("record_id").min().over("person").alias("person_key"))
            .cast(CLUSTER_SCHEMA))
