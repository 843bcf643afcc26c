"""Identity profiles: person records with identical identifiers, normalised and scored once.

Why: a family's police incidents, arrears snapshots and screenings repeat the same name, date of birth and address
dozens of times (at 20,000 families, 345,626 person records hold 241,505 distinct sets of identifiers), and the
pairs among a person's records grow with the square of their number. So:
1. records whose identifiers are written identically are normalised once (linkage.normalise);
2. records whose normalised identifiers are identical, with first name, surname and date of birth all known, are
   one person under any model (the model links such a pair far above the automatic-link threshold), so they form
   one profile and are scored once. Records with fewer identifiers are never merged this way (two "J. Smith, DT1"
   records may be two people), nor are records an analyst has decided about (their decision is about them).

Splink then works on profile numbers (Int64) instead of record_ids: pairs of integers take a fraction of the memory
of pairs of long text ids, and the joins of clustering run on integers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from linkage.normalise import PERSON_RECORD_COLUMNS, normalise_people

IDENTIFIER_FIELDS = tuple(name for name in PERSON_RECORD_COLUMNS if name not in ("record_id", "source"))
PROFILE_COLUMNS = ("first_name", "middle_name", "surname", "date_of_birth", "sex", "postcode", "address",
                   "nhs_number", "ni_number", "upn")
"""The normalised identifiers the model compares; everything else in a normalised record derives from them."""
MERGE_REQUIRES = ("first_name", "surname", "date_of_birth")


@dataclass(frozen=True)
class Profiles:
    table: pl.DataFrame  # normalised columns; record_id is the profile number (Int64, 0..n-1), one row per profile
    members: pl.DataFrame  # record_id (String), profile (Int64): every record once
    representative: pl.Series  # String: the record_id that stands for each profile, indexed by profile number

    def record_ids(self, pairs: pl.DataFrame, *columns: str) -> pl.DataFrame:
        """`pairs` with profile numbers in `columns` replaced by their representative record_ids."""
        names = pl.DataFrame({"profile": pl.int_range(0, self.representative.len(), eager=True, dtype=pl.Int64),
                              "name": self.representative})
        for column in columns:
            pairs = pairs.join(names.rename({"profile": column}), on=column, how="left", maintain_order="left") \
                .drop(column).rename({"name": column})
        return pairs

    def profile_numbers(self, pairs: pl.DataFrame, *columns: str) -> pl.DataFrame:
        """`pairs` with record_ids in `columns` replaced by their profile numbers (rows of unknown records dropped)."""
        for column in columns:
            pairs = pairs.join(self.members.rename({"record_id": column}), on=column, how="inner",
                               maintain_order="left").drop(column).rename({"profile": column})
        return pairs


def identity_profiles(records: pl.DataFrame, keep_apart: Iterable[str] = ()) -> Profiles:
    """Profiles of person records (the linker's input columns; absent identifier columns count as blank)."""
    present = set(records.columns)
    raw = records.select(pl.col("record_id").cast(pl.String),
                         *(pl.col(name).cast(pl.String) if name in present else pl.lit(None, dtype=pl.String)
                           .alias(name) for name in IDENTIFIER_FIELDS))
    written = raw.group_by(IDENTIFIER_FIELDS, maintain_order=True).agg(pl.col("record_id").alias("_records"))
    normalised = normalise_people(written.drop("_records").with_columns(
        pl.int_range(0, pl.len()).cast(pl.String).alias("record_id")))
    mergeable = pl.all_horizontal(pl.col(name).is_not_null() for name in MERGE_REQUIRES)
    normalised = normalised.with_row_index("_written").with_columns(
        pl.when(mergeable).then(pl.col("_written").min().over([*PROFILE_COLUMNS, mergeable]))
        .alias("_group"))
    kept_apart = pl.Series(list(keep_apart), dtype=pl.String).implode()
    members = (written.select(pl.int_range(0, pl.len(), dtype=pl.UInt32).alias("_written"), "_records")
               .explode("_records").rename({"_records": "record_id"})
               .join(normalised.select("_written", "_group"), on="_written", maintain_order="left")
               .with_row_index("_member"))
    # A profile's key: its group's first written row, or (records that do not merge) n + the record's position.
    alone = pl.col("_group").is_null() | pl.col("record_id").is_in(kept_apart)
    members = members.with_columns(
        pl.when(alone).then(pl.col("_member").cast(pl.Int64) + written.height)
        .otherwise(pl.col("_group").cast(pl.Int64)).alias("_key"),
        pl.when(alone).then(pl.col("_written")).otherwise(pl.col("_group")).alias("_source"))
    members = members.with_columns((pl.col("_key").rank("dense") - 1).cast(pl.Int64).alias("profile"))
    heads = members.group_by("profile").agg(pl.col("_source").first(), pl.col("record_id").first()).sort("profile")
    table = (heads.select("profile", "_source")
             .join(normalised.drop("record_id"), left_on="_source", right_on="_written", maintain_order="left")
             .select(pl.col("profile").alias("record_id"), *(name for name in normalised.columns
                                                             if name not in ("record_id", "_written", "_group"))))
    return Profiles(table=table, members=members.select("record_id", "profile"),
                    representative=heads.get_column("record_id"))
