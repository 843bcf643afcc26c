"""The same person linkage on Splink's Spark backend, for data beyond one machine.

Why: a linkage of every council's extracts may not fit one machine; Spark is the distributed engine public
bodies already run. The model is the one link_people stores: its comparisons and blocking rules are written
again in Spark's SQL dialect and carry the trained parameters (splink_settings.model_in_dialect), so Spark scores
pairs as DuckDB does; Splink's connected components run in Spark.
Spark's string-similarity functions (Jaro-Winkler, Damerau-Levenshtein) come from the JAR that ships inside the
splink wheel (splink.backends.spark.similarity_jar_location), so nothing is downloaded at run time.
Analysts' decisions are not applied here (they live with the DuckDB path).
"""

from __future__ import annotations

import json

import polars as pl

from linkage.config import LinkageConfig, load_linkage_config
from linkage.normalise import normalise_people
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


def link_people_on_spark(records: pl.DataFrame, *, model_json: str, spark, config: LinkageConfig | None = None
                         ) -> pl.DataFrame:
    """record_id -> person_key (smallest record_id of the cluster), scored and clustered in Spark."""
    from splink import Linker, SparkAPI

    quiet_splink_logging()
    config = config or load_linkage_config()
    normalised = normalise_people(records)
    db_api = SparkAPI(spark_session=spark)
    frame = spark.createDataFrame(normalised.to_pandas())
    table = db_api.register(frame, table_name="person_records")
    linker = Linker(table, model_in_dialect(json.loads(model_json), "spark"), log_level=None)
    predictions = linker.inference.predict(threshold_match_probability=config.review_floor, warning_mode="never")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=config.auto_link_probability
    )
    spark_clusters = clusters.as_spark_dataframe().select("record_id", "cluster_id")
    result = pl.from_pandas(spark_clusters.toPandas())
    return result.with_columns(pl.col("record_id").min().over("cluster_id").alias("person_key")).select(
        pl.col("record_id").cast(pl.String), pl.col("person_key").cast(pl.String)
    )
