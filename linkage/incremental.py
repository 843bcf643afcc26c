"""Linking a month's new records against people already linked, without re-linking everyone.

Why: a million existing records take a minute or more to re-link, but a month's new extracts only need scoring
against them. Splink's predict_between scores new records against existing ones and predict_within scores the
new records among themselves, with the stored model; existing-to-existing pairs are never scored again.
Clustering then treats each existing person as one node, so the result is what a full run with the same model
would give: existing people stay together, merge when a new record shows two of them are one, and person_key
is the smallest record_id of the person's records, as in link_people (a new record with a smaller record_id
becomes the key). Term frequencies are counted over existing + new records, as a full run would count them.
"""

from __future__ import annotations

import json

import polars as pl
from splink import Linker

from linkage.clustering import IDENTITY_COLUMNS, cluster_people
from linkage.config import LinkageConfig, load_linkage_config
from linkage.normalise import normalise_people
from linkage.person_linking import (
    CLUSTER_SCHEMA,
    PAIR_SCHEMA,
    LinkageInputError,
    PersonLinks,
    _check_decisions,
    _check_records,
    ordered_pairs,
)
from linkage.review_queue import review_queue
from linkage.splink_settings import duckdb_api, quiet_splink_logging

TERM_FREQUENCY_COLUMNS = ("first_name", "surname")


def score_new_records(new: pl.DataFrame, existing: pl.DataFrame, model: dict, config: LinkageConfig) -> pl.DataFrame:
    """Scored pairs new-new and new-existing (normalised records) at or above the review floor; term frequencies
    counted over both."""
    db_api = duckdb_api(config)
    everyone = db_api.register(pl.concat([existing, new]).to_arrow(), table_name="all_records")
    new_table = db_api.register(new.to_arrow(), table_name="new_records")
    existing_table = db_api.register(existing.to_arrow(), table_name="existing_records")
    linker = Linker(everyone, model, log_level=None)
    for column in TERM_FREQUENCY_COLUMNS:
        linker.table_management.compute_tf_table(column)
    frames = []
    predictions = [
        linker.inference.predict_within(
            new_table, threshold_match_probability=config.review_floor, warning_mode="never"
        ),
    ]
    if existing.height:
        predictions.append(
            linker.inference.predict_between(
                new_table, existing_table, threshold_match_probability=config.review_floor, warning_mode="never"
            )
        )
    for prediction in predictions:
        relation = prediction.as_duckdbpyrelation().select("record_id_l, record_id_r, match_probability")
        frames.append(pl.from_arrow(relation.to_arrow_table()).cast(PAIR_SCHEMA))
    return ordered_pairs(pl.concat(frames)).unique(["record_id_l", "record_id_r"])


def link_new_records(
    new_records: pl.DataFrame,
    existing_records: pl.DataFrame,
    existing_clusters: pl.DataFrame,
    *,
    model_json: str,
    decisions: pl.DataFrame | None = None,
    config: LinkageConfig | None = None,
    existing_normalised: pl.DataFrame | None = None,
) -> PersonLinks:
    """People for existing + new records, scoring only the pairs that involve a new record.

    existing_clusters (record_id, person_key) is the previous run's PersonLinks.clusters for existing_records.
    existing_normalised: normalise_people(existing_records) kept from the previous run, to skip normalising a
    million records again (about 4 CPU seconds).
    Returns clusters for every record and the review band among the newly scored pairs.
    """
    quiet_splink_logging()
    config = config or load_linkage_config()
    _check_records(pl.concat([new_records.select("record_id"), existing_records.select("record_id")]))
    known = existing_clusters.select("record_id", "person_key").cast(CLUSTER_SCHEMA)
    if known.height != existing_records.height or known.join(existing_records, on="record_id", how="anti").height:
        raise LinkageInputError("existing_clusters must hold exactly the existing records' record_ids.")
    new = normalise_people(new_records)
    existing = normalise_people(existing_records) if existing_normalised is None else existing_normalised
    all_ids = pl.concat([existing.get_column("record_id"), new.get_column("record_id")])
    decided = _check_decisions(decisions, all_ids)
    model = json.loads(model_json)
    scored = score_new_records(new, existing, model, config) if new.height else pl.DataFrame(
        schema=PAIR_SCHEMA
    )

    # Existing records collapse onto their person: a node per existing person, a node per new record.
    to_node = pl.concat(
        [known.rename({"person_key": "node"}), new.select("record_id", pl.col("record_id").alias("node"))]
    )

    def as_nodes(pairs: pl.DataFrame) -> pl.DataFrame:
        mapped = pairs.join(to_node.rename({"record_id": "record_id_l", "node": "node_l"}), on="record_id_l").join(
            to_node.rename({"record_id": "record_id_r", "node": "node_r"}), on="record_id_r"
        )
        return ordered_pairs(
            mapped.drop("record_id_l", "record_id_r").rename({"node_l": "record_id_l", "node_r": "record_id_r"})
        ).filter(pl.col("record_id_l") != pl.col("record_id_r"))

    # Each link between two nodes keeps its strongest record pair.
    links = (as_nodes(scored.filter(pl.col("match_probability") >= config.auto_link_probability))
             .sort("match_probability", descending=True).unique(["record_id_l", "record_id_r"], keep="first"))
    node_decisions = as_nodes(decided).unique(["record_id_l", "record_id_r"])
    nodes = to_node.get_column("node").unique().sort()
    identities = pl.concat([existing.select(IDENTITY_COLUMNS), new.select(IDENTITY_COLUMNS)])
    node_identities = identities.join(to_node, on="record_id").drop("record_id").rename({"node": "record_id"})
    clustering = cluster_people(nodes, links, node_decisions, node_identities.select(IDENTITY_COLUMNS),
                                config.auto_link_probability)
    clusters = (
        to_node.join(clustering.clusters.rename({"record_id": "node"}), on="node")
        .select("record_id", "person_key")
        .cast(CLUSTER_SCHEMA)
    )
    return PersonLinks(clusters=clusters, review_pairs=review_queue(scored, clusters, decided, identities,
                                                                    config.review_floor),
                       model_json=model_json, ambiguous_records=len(clustering.ambiguous))
