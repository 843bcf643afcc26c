"""The two-file linker: which records of one person file are the same people as records of another.

Why: councils are often handed two lists of people (a partner's referral list and their own case list) with
no shared key. This trains a fresh model on the two files themselves (unsupervised: no labelled pairs), with the
same normalisation and comparisons as the partner-data linkage, minus the UK-only identifiers the layout lacks.
"""

from __future__ import annotations

import polars as pl
from splink import Linker

from linkage.config import LinkageConfig, load_linkage_config
from linkage.normalise import normalise_people
from linkage.person_linking import LinkageInputError
from linkage.splink_settings import (
    BROAD_BLOCKING_KEYS,
    broad_blocking_rule,
    duckdb_api,
    quiet_splink_logging,
    settings,
    train,
)

PAIRS_INPUT_COLUMNS: tuple[str, ...] = (
    "record_id",
    "first_name",
    "middle_name",
    "surname",
    "date_of_birth",
    "sex",
    "postcode",
    "address",
    "nhs_number",
)
PAIRS_OUTPUT_SCHEMA = {
    "left_id": pl.String,
    "right_id": pl.String,
    "match_probability": pl.Float64,
    "is_match": pl.Boolean,
}
MINIMUM_RECORDS_PER_FILE = 20
BROAD_RULE_PAIR_BUDGET = 2_000_000
"""A broad blocking rule is used only while it generates at most this many pairs (about a second of scoring)."""


def _prepared(records: pl.DataFrame, side: str) -> pl.DataFrame:
    ids = records.get_column("record_id")
    if ids.null_count():
        raise LinkageInputError(f"The {side} file has {ids.null_count()} row(s) without a record_id.")
    if ids.n_unique() != records.height:
        raise LinkageInputError(f"The {side} file repeats {records.height - ids.n_unique()} record_id(s).")
    if records.height < MINIMUM_RECORDS_PER_FILE:
        raise LinkageInputError(
            f"The {side} file has {records.height} record(s); the linker learns from the files themselves "
            f"and needs at least {MINIMUM_RECORDS_PER_FILE} in each."
        )
    return normalise_people(records.with_columns(pl.lit(side).alias("source")))


def pairs_generated(left: pl.DataFrame, right: pl.DataFrame, left_keys: tuple[str, ...], right_keys: tuple[str, ...]
                    ) -> int:
    """How many left x right pairs agree on the keys (nulls never agree), counted from key frequencies."""
    left_counts = left.group_by(list(left_keys)).len("left_count").drop_nulls()
    right_counts = right.group_by(list(right_keys)).len("right_count").drop_nulls()
    joined = left_counts.join(right_counts, left_on=list(left_keys), right_on=list(right_keys))
    return int(joined.select(pl.col("left_count").cast(pl.Int64) * pl.col("right_count")).sum().item() or 0)


def affordable_broad_rules(left: pl.DataFrame, right: pl.DataFrame) -> list:
    return [
        broad_blocking_rule(left_keys, right_keys)
        for left_keys, right_keys in BROAD_BLOCKING_KEYS
        if pairs_generated(left, right, left_keys, right_keys) <= BROAD_RULE_PAIR_BUDGET
    ]


def link_two_files(
    left: pl.DataFrame, right: pl.DataFrame, config: LinkageConfig | None = None, *, one_to_one: bool = True
) -> pl.DataFrame:
    """Scored pairs (left_id, right_id, match_probability, is_match), best first.

    one_to_one (the default, for two lists that each name a person at most once): a pair links when each record
    is the other's best candidate and the probability is at least pairs_one_to_one_floor. Otherwise a pair links
    when its probability reaches auto_link_probability, as in the partner-data linkage. The output holds every
    linked pair and every pair at or above the review floor.
    """
    quiet_splink_logging()
    config = config or load_linkage_config()
    frames = [_prepared(left, "left"), _prepared(right, "right")]
    db_api = duckdb_api(config)
    tables = [
        db_api.register(frame.rename({"source": "source_dataset"}).to_arrow(), table_name=f"{side}_records")
        for frame, side in zip(frames, ("left", "right"), strict=True)
    ]
    model = settings("link_only", with_uk_identifiers=False, extra_blocking_rules=affordable_broad_rules(*frames))
    trained = train(Linker(tables, model, log_level=None), config, with_uk_identifiers=False)
    floor = min(config.review_floor, config.pairs_one_to_one_floor)
    predictions = Linker(tables, trained, log_level=None).inference.predict(
        threshold_match_probability=floor, warning_mode="never"
    )
    relation = predictions.as_duckdbpyrelation().select(
        "source_dataset_l, record_id_l, record_id_r, match_probability"
    )
    left_first = pl.col("source_dataset_l") == "left"
    scored = pl.from_arrow(relation.to_arrow_table()).select(
        pl.when(left_first).then(pl.col("record_id_l")).otherwise(pl.col("record_id_r")).alias("left_id"),
        pl.when(left_first).then(pl.col("record_id_r")).otherwise(pl.col("record_id_l")).alias("right_id"),
        pl.col("match_probability").cast(pl.Float64),
    )
    if one_to_one:
        ranked = scored.sort("match_probability", "left_id", "right_id", descending=[True, False, False]).with_columns(
            pl.int_range(pl.len()).over("left_id").alias("left_rank"),
            pl.int_range(pl.len()).over("right_id").alias("right_rank"),
        )
        is_match = (pl.col("left_rank") == 0) & (pl.col("right_rank") == 0) & (
            pl.col("match_probability") >= config.pairs_one_to_one_floor
        )
        scored = ranked.with_columns(is_match.alias("is_match")).drop("left_rank", "right_rank")
    else:
        scored = scored.with_columns((pl.col("match_probability") >= config.auto_link_probability).alias("is_match"))
    return (
        scored.filter(pl.col("is_match") | (pl.col("match_probability") >= config.review_floor))
        .cast(PAIRS_OUTPUT_SCHEMA)
        .select(list(PAIRS_OUTPUT_SCHEMA))
        .sort("match_probability", "left_id", "right_id", descending=[True, False, False])
    )
