"""Linkage quality against a known truth (synthetic extracts): pairwise person precision/recall, B-cubed F1, and
how evenly linkage finds people's records across sexes, age bands and ethnic groups.

For evaluation only (tests, benchmarks); the pipeline never reads a truth. B-cubed scores each record by how much
of its predicted cluster is truly its own (precision) and how much of its true cluster was found (recall), so
one wrong giant cluster cannot hide behind many right small ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from data_access.config import BreakdownCatalogue


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 0.0 if total == 0 else 2 * self.precision * self.recall / total


def b_cubed(assignments: pl.DataFrame, predicted: str, truth: str) -> Scores:
    """B-cubed precision and recall of column `predicted` against column `truth` (one row per item)."""
    n = assignments.height
    if n == 0:
        return Scores(1.0, 1.0)
    pairs = assignments.group_by(predicted, truth).agg(pl.len().alias("both"))
    pairs = pairs.with_columns(pl.col("both").sum().over(predicted).alias("in_predicted"),
                               pl.col("both").sum().over(truth).alias("in_truth"))
    precision = pairs.select((pl.col("both") ** 2 / pl.col("in_predicted")).sum()).item() / n
    recall = pairs.select((pl.col("both") ** 2 / pl.col("in_truth")).sum()).item() / n
    return Scores(float(precision), float(recall))


def pairwise(assignments: pl.DataFrame, predicted: str, truth: str) -> Scores:
    """Precision and recall over pairs of items put together (predicted) or belonging together (truth)."""
    def pair_count(column: pl.Expr) -> pl.Expr:
        return (column * (column - 1) / 2).sum()

    both = assignments.group_by(predicted, truth).agg(pl.len().alias("n")).select(pair_count(pl.col("n"))).item()
    found = assignments.group_by(predicted).agg(pl.len().alias("n")).select(pair_count(pl.col("n"))).item()
    real = assignments.group_by(truth).agg(pl.len().alias("n")).select(pair_count(pl.col("n"))).item()
    return Scores(1.0 if found == 0 else both / found, 1.0 if real == 0 else both / real)


def family_assignments(truth: pl.DataFrame, record_link: pl.DataFrame, family_member: pl.DataFrame) -> pl.DataFrame:
    """record_id, predicted (the record's person's family, else the person alone), true (family, else person)."""
    family_of = family_member.group_by("person_id").agg(pl.col("family_id").min())
    return (
        truth.filter(pl.col("person_key") != "").join(record_link.select("record_id", "person_id"), on="record_id")
        .join(family_of, on="person_id", how="left")
        .select("record_id",
                pl.coalesce(pl.format("F{}", pl.col("family_id")), pl.format("person:{}", pl.col("person_id")))
                .alias("predicted"),
                pl.when(pl.col("family_key") != "").then(pl.col("family_key"))
                .otherwise(pl.format("person:{}", pl.col("person_key"))).alias("true"))
    )


def person_assignments(truth: pl.DataFrame, record_link: pl.DataFrame) -> pl.DataFrame:
    """record_id, predicted (the linked person_id), true (the planted person_key; a record of nobody is its own)."""
    return (record_link.select("record_id", pl.col("person_id").cast(pl.String).alias("predicted"))
            .join(truth.select("record_id", "person_key"), on="record_id")
            .select("record_id", "predicted", pl.when(pl.col("person_key") != "").then(pl.col("person_key"))
                    .otherwise(pl.format("alone:{}", pl.col("record_id"))).alias("true")))


def age_band_expression(age: pl.Expr, breakdowns: BreakdownCatalogue) -> pl.Expr:
    """The configured age band (breakdowns.toml, passed in) of an age in whole years; null outside every band."""
    band = breakdowns.by_id("age_band")
    expression = pl.lit(None, dtype=pl.String)
    for low, high, label in reversed(band.bands):
        expression = pl.when(age.is_between(low, high)).then(pl.lit(label)).otherwise(expression)
    return expression


def world_groups(world_people: pl.DataFrame, data_as_of, breakdowns: BreakdownCatalogue) -> pl.DataFrame:
    """true (P<person_id>, the truth's person_key), sex, age_band (on data_as_of), ethnic_group (ONS high level)
    of the synthetic world's people."""
    born = pl.col("date_of_birth")
    age = (pl.lit(data_as_of.year) - born.dt.year()
           - ((pl.lit(data_as_of.month) < born.dt.month())
              | ((pl.lit(data_as_of.month) == born.dt.month()) & (pl.lit(data_as_of.day) < born.dt.day())))
           .cast(pl.Int32))
    return world_people.select(pl.format("P{}", pl.col("person_id")).alias("true"), "sex",
                               age_band_expression(age, breakdowns).alias("age_band"),
                               pl.col("ethnic_group").str.split(":").list.first().alias("ethnic_group"))


def found_rates(assignments: pl.DataFrame, groups: pl.DataFrame, by: str, min_records: int = 500) -> pl.DataFrame:
    """Per value of `by`: among records whose true person has other records, the share linked to at least one of
    them (linkage recall seen from each record), for groups of at least min_records such records."""
    found = (assignments.filter(~pl.col("true").str.starts_with("alone:"), pl.len().over("true") > 1)
             .with_columns((pl.len().over("predicted", "true") > 1).alias("found")))
    return (found.join(groups, on="true", how="inner").group_by(by)
            .agg(pl.len().alias("records"), pl.col("found").mean().alias("rate"))
            .filter(pl.col("records") >= min_records, pl.col(by).is_not_null()).sort(by))
