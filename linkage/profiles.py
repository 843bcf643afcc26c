"""Identity profiles: person records with identical identifiers, scored once.

Why: a family's police incidents, arrears snapshots and screenings repeat the same name, date of birth and address
dozens of times (at 20,000 families, 345,626 person records hold 241,505 distinct sets of identifiers), and the
pairs among a person's records grow with the square of their number. Records whose normalised identifiers are
identical, with first name, surname and date of birth all known, are one person under any model (the model links
such a pair far above the automatic-link threshold), so only one of them needs scoring. Records with fewer
identifiers are never merged this way (two "J. Smith, DT1" records may be two people), nor are records an analyst
has decided about (their decision is about those records).

Splink then works on profile numbers (Int64) instead of record_ids: pairs of integers take a fraction of the memory
of pairs of long text ids, and the joins of clustering run on integers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

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


def identity_profiles(normalised: pl.DataFrame, keep_apart: Iterable[str] = ()) -> Profiles:
    """One row per distinct set of identifiers among the records that may merge; every other record on its own."""
    kept_apart = pl.Series(list(keep_apart), dtype=pl.String)
    mergeable = pl.all_horizontal(pl.col(name).is_not_null() for name in MERGE_REQUIRES) & ~pl.col(
        "record_id").is_in(kept_apart.implode())
    rows = normalised.with_row_index("_row").with_columns(mergeable.alias("_mergeable"))
    rows = rows.with_columns(
        pl.when(pl.col("_mergeable")).then(pl.col("_row").min().over([*PROFILE_COLUMNS, "_mergeable"]))
        .otherwise(pl.col("_row")).alias("_representative"))
    rows = rows.with_columns((pl.col("_representative").rank("dense") - 1).cast(pl.Int64).alias("_profile"))
    heads = rows.filter(pl.col("_row") == pl.col("_representative")).sort("_profile")
    return Profiles(
        table=heads.with_columns(pl.col("_profile").alias("record_id")).drop(
            "_row", "_mergeable", "_representative", "_profile"),
        members=rows.select("record_id", pl.col("_profile").alias("profile")),
        representative=heads.get_column("record_id"),
    )
