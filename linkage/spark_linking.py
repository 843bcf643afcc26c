"""The same person linkage on Splink's Spark backend, for data beyond one machine.

Why: a linkage of every council's extracts may not fit one machine; Spark is the distributed engine public
bodies already run. The model is the one link_people stores: its comparisons and blocking rules are written
again in Spark's SQL dialect and carry the trained parameters (splink_settings.model_in_dialect), so Spark scores
pairs as DuckDB does. Scoring is the heavy part and runs in Spark; identity profiles, clustering (with the
identifier safeguards and analysts' decisions) and the review queue are link_people's own, on the scored pairs,
so both backends find the same people by construction.
Spark's string-similarity functions (Jaro-Winkler, Damerau-Levenshtein) come from the JAR that ships inside the
splink wheel (splink.backends.spark.similarity_jar_location), so nothing is downloaded at run time.
"""

from __future__ import annotations

import polars as pl

from linkage.config import LinkageConfig, load_linkage_config
from linkage.person_linking import Scorer, link_people, ordered_pairs
from linkage.splink_settings import model_in_dialect, quiet_splink_logging


def local_spark_session(checkpoint_dir: str, app_name: str = "dorset-families-linkage"):
    """A local-mode Spark session with Splink's similarity JAR on the classpath.

    checkpoint_dir: a private folder for Spark's checkpoints (Splink's clustering checkpoints its iterations).
    """
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    session = (
        SparkSession.builder.master("local[1]")
        .appName(app_name)
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setCheckpointDir(checkpoint_dir)
    return session


def spark_scorer(spark) -> Scorer:
    """A scorer (linkage.person_linking.Scorer) running Splink's predict on Spark with the model in Spark SQL."""

    def score(profiles: pl.DataFrame, model: dict, config: LinkageConfig) -> pl.DataFrame:
        from splink import Linker, SparkAPI

        db_api = SparkAPI(spark_session=spark)
        table = db_api.register(spark.createDataFrame(profiles.to_pandas()), table_name="person_records")
        linker = Linker(table, model_in_dialect(model, "spark"), log_level=None)
        predictions = linker.inference.predict(threshold_match_probability=config.review_floor,
                                               warning_mode="never")
        pairs = predictions.as_spark_dataframe().select("record_id_l", "record_id_r", "match_probability")
        scored = pl.from_pandas(pairs.toPandas()).cast({"record_id_l": pl.Int64, "record_id_r": pl.Int64,
                                                        "match_probability": pl.Float64})
        return ordered_pairs(scored)

    return score


def link_people_on_spark(records: pl.DataFrame, *, model_json: str, spark, config: LinkageConfig | None = None,
                         decisions: pl.DataFrame | None = None) -> pl.DataFrame:
    """record_id -> person_key (smallest record_id of the person), the pairs scored in Spark."""
    quiet_splink_logging()
    links = link_people(records, model_json=model_json, decisions=decisions, config=config or load_linkage_config(),
                        scorer=spark_scorer(spark))
    return links.clusters
