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
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from splink import Linker

from linkage.config import LinkageConfig, load_linkage_config
from linkage.normalise import normalise_people
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
    return train(linker, config)


def score_pairs(normalised: pl.DataFrame, model: dict[str, Any], config: LinkageConfig) -> pl.DataFrame:
    """Every blocked pair scored by the model, kept when its match probability reaches the review floor."""
    if normalised.height < 2:
        return pl.DataFrame(schema=PAIR_SCHEMA)
    db_api = duckdb_api(config)
    table = db_api.register(normalised.to_arrow(), table_name="person_records")
    linker = Linker(table, model, log_level=None)
    predictions = linker.inference.predict(threshold_match_probability=config.review_floor, warning_mode="never")
    relation = predictions.as_duckdbpyrelation().select("record_id_l, record_id_r, match_probability")
    return ordered_pairs(pl.from_arrow(relation.to_arrow_table()).cast(PAIR_SCHEMA))


def _connected_components(record_ids: pl.Series, edges: pl.DataFrame) -> np.ndarray:
    """Component label of each record (in `record_ids` order) under the given undirected edges."""
    index = pl.DataFrame({"record_id": record_ids}).with_row_index("position")
    numbered = (
        edges.join(index.rename({"record_id": "record_id_l", "position": "left"}), on="record_id_l")
        .join(index.rename({"record_id": "record_id_r", "position": "right"}), on="record_id_r")
    )
    n = record_ids.len()
    left = numbered.get_column("left").to_numpy()
    right = numbered.get_column("right").to_numpy()
    graph = coo_matrix((np.ones(left.size, dtype=np.int8), (left, right)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        root = self.parent.setdefault(item, item)
        while root != self.parent[root]:
            root = self.parent[root]
        while item != root:  # path compression
            self.parent[item], item = root, self.parent[item]
        return root


def _cluster_with_forbidden_pairs(component: pl.DataFrame, forbidden: set[tuple[str, str]]) -> dict[str, str]:
    """Greedy clustering of one component: strongest edges first, never joining two records marked "not a match".

    `component` holds the component's edges (record_id_l, record_id_r, priority), priority 2 for an analyst's
    "match" and the match probability otherwise. Returns record_id -> a representative record_id.
    """
    groups = _UnionFind()
    members: dict[str, set[str]] = {}
    strongest_first = component.sort(["priority", "record_id_l", "record_id_r"], descending=[True, False, False])
    for left, right, _ in strongest_first.iter_rows():
        root_left, root_right = groups.find(left), groups.find(right)
        if root_left == root_right:
            continue
        left_members = members.setdefault(root_left, {root_left})
        right_members = members.setdefault(root_right, {root_right})
        if any((min(a, b), max(a, b)) in forbidden for a in left_members for b in right_members):
            continue
        groups.parent[root_right] = root_left
        left_members |= members.pop(root_right)
    return {record: groups.find(record) for record in members.keys() | groups.parent.keys()}


def cluster_records(record_ids: pl.Series, links: pl.DataFrame, decisions: pl.DataFrame) -> pl.DataFrame:
    """record_id -> person_key (the smallest record_id of its cluster) from automatic links and analysts' decisions.

    `links` are the pairs at or above the automatic-link threshold. An analyst's "match" adds a link and a
    "not a match" removes one, and also stops a chain of other links from joining the two records: components
    holding a forbidden pair are re-clustered greedily, strongest links first, skipping any link that would put
    a forbidden pair together.
    """
    decisions, links = ordered_pairs(decisions), ordered_pairs(links)
    forced = decisions.filter(pl.col("is_match")).select("record_id_l", "record_id_r")
    forbidden_pairs = decisions.filter(~pl.col("is_match")).select("record_id_l", "record_id_r")
    edges = pl.concat(
        [
            links.join(forbidden_pairs, on=["record_id_l", "record_id_r"], how="anti").select(
                "record_id_l", "record_id_r", pl.col("match_probability").alias("priority")
            ),
            forced.with_columns(pl.lit(2.0).alias("priority")),
        ]
    ).unique(["record_id_l", "record_id_r"], keep="first")
    component = pl.Series("component", _connected_components(record_ids, edges))
    labels = pl.DataFrame({"record_id": record_ids, "component": component})

    if not forbidden_pairs.is_empty():
        forbidden = set(forbidden_pairs.iter_rows())
        with_component = forbidden_pairs.join(labels.rename({"record_id": "record_id_l"}), on="record_id_l").join(
            labels.rename({"record_id": "record_id_r", "component": "component_r"}), on="record_id_r"
        )
        broken = with_component.filter(pl.col("component") == pl.col("component_r")).get_column("component").unique()
        if broken.len():
            edge_components = edges.join(labels.rename({"record_id": "record_id_l"}), on="record_id_l")
            split_labels: dict[str, str] = {}
            to_split = edge_components.filter(pl.col("component").is_in(broken.to_list()))
            for (label,), component_edges in to_split.group_by("component"):
                representatives = _cluster_with_forbidden_pairs(component_edges.drop("component"), forbidden)
                split_labels.update({record: f"{label}:{root}" for record, root in representatives.items()})
            relabelled = pl.DataFrame(
                {"record_id": list(split_labels), "split": list(split_labels.values())},
                schema={"record_id": pl.String, "split": pl.String},
            )
            labels = (
                labels.join(relabelled, on="record_id", how="left")
                .with_columns(pl.coalesce("split", pl.col("component").cast(pl.String)).alias("component"))
                .drop("split")
            )

    return labels.with_columns(pl.col("record_id").min().over("component").alias("person_key")).select(
        "record_id", "person_key"
    )


def review_band(scored: pl.DataFrame, decisions: pl.DataFrame, config: LinkageConfig) -> pl.DataFrame:
    """Pairs from the review floor up to (not including) the automatic-link threshold that nobody has decided."""
    band = scored.filter(
        (pl.col("match_probability") >= config.review_floor)
        & (pl.col("match_probability") < config.auto_link_probability)
    )
    return (
        band.join(decisions.select("record_id_l", "record_id_r"), on=["record_id_l", "record_id_r"], how="anti")
        .sort("match_probability", "record_id_l", "record_id_r", descending=[True, False, False])
        .select(list(PAIR_SCHEMA))
    )


def link_people(
    records: pl.DataFrame,
    *,
    model_json: str | None = None,
    decisions: pl.DataFrame | None = None,
    config: LinkageConfig | None = None,
) -> PersonLinks:
    """Link person records from every source into people (the interface's entry point).

    model_json None: train on (a sample of) these records; otherwise reuse the stored parameters without training.
    decisions (record_id_l, record_id_r, is_match): analysts' review decisions, applied before clustering.
    """
    return link_people_with_scores(records, model_json=model_json, decisions=decisions, config=config)[0]


def link_people_with_scores(
    records: pl.DataFrame,
    *,
    model_json: str | None = None,
    decisions: pl.DataFrame | None = None,
    config: LinkageConfig | None = None,
) -> tuple[PersonLinks, pl.DataFrame]:
    """`link_people`, also returning every scored pair at or above the review floor (for quality estimates)."""
    quiet_splink_logging()
    config = config or load_linkage_config()
    _check_records(records)
    normalised = normalise_people(records)
    decided = _check_decisions(decisions, normalised.get_column("record_id"))
    model = json.loads(model_json) if model_json is not None else train_model(normalised, config)
    scored = score_pairs(normalised, model, config)
    links = scored.filter(pl.col("match_probability") >= config.auto_link_probability)
    clusters = cluster_records(normalised.get_column("record_id"), links, decided)
    links = PersonLinks(
        clusters=clusters.cast(CLUSTER_SCHEMA),
        review_pairs=review_band(scored, decided, config),
        model_json=json.dumps(model, sort_keys=True),
    )
    return links, scored
