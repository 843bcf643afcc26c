"""Group linked people into the programme's families, and turn case records into families and episodes.

Evidence, strongest first:
1. Relationships in the family support case records (case_members): a person linked to a member row of family
   X is a member of X, with the role and dates the key worker recorded.
2. Household evidence: a person with no member row who was recorded at the same address as members of exactly
   one family, within HOUSEHOLD_DAYS of them (any source: police, schools, health, housing...), joins that
   family: as a child when under 18 on the family's eligibility date (from their date of birth), otherwise as
   another adult, from the earlier of their first record there and the family's eligibility date (children: from
   birth). Address evidence never merges two families the case records keep apart, and a person who shares
   addresses with members of two families joins neither.
The linked tables cover the programme's families (those with case records); people who belong to none still
get a person_identifier row and record_link lineage.
"""

from __future__ import annotations

import polars as pl

from linkage.contract import PartnerContract, Source

HOUSEHOLD_DAYS = 365


def _latest(frame: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """One row per key: the one from the most recent extract (then the last row)."""
    return frame.sort([*key, "extract_date", "record_id"]).group_by(key, maintain_order=True).last()


def _source_of_kind(contract: PartnerContract, kind: str) -> Source | None:
    return next((source for source in contract.sources if source.kind == kind), None)


def _member_source(contract: PartnerContract) -> Source | None:
    return next((source for source in contract.person_sources if "family_ref" in source.fields), None)


def case_families(contract: PartnerContract, staged: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """family_ref, locality_code, postcode_district, family_type, deprivation_decile (latest extract per family)."""
    source = _source_of_kind(contract, "family")
    columns = ["family_ref", "locality_code", "postcode_district", "family_type", "deprivation_decile"]
    if source is None or staged.get(source.id) is None or staged[source.id].height == 0:
        return pl.DataFrame(schema={"family_ref": pl.String, "locality_code": pl.String, "postcode_district":
                                    pl.String, "family_type": pl.String, "deprivation_decile": pl.Int64})
    fields = source.fields
    frame = staged[source.id].select(
        "record_id", "extract_date",
        *(pl.col(fields[name]).alias(name) if name in fields else pl.lit(None).alias(name) for name in columns))
    frame = frame.with_columns(pl.col("postcode_district").str.strip_chars().str.to_uppercase())
    return _latest(frame, ["family_ref"]).select(columns)


def case_episodes(contract: PartnerContract, staged: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """episode_ref, family_ref and the episode columns (latest extract per episode)."""
    source = _source_of_kind(contract, "episode")
    if source is None or staged.get(source.id) is None:
        return pl.DataFrame(schema={"episode_ref": pl.String, "family_ref": pl.String})
    fields = source.fields
    frame = staged[source.id].select("record_id", "extract_date",
                                     *(pl.col(column).alias(name) for name, column in fields.items()))
    return _latest(frame, ["episode_ref"]).drop("record_id", "extract_date")


def case_needs(contract: PartnerContract, staged: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """episode_ref, headline_outcome, source (one row per episode and need)."""
    source = _source_of_kind(contract, "episode_need")
    if source is None or staged.get(source.id) is None:
        return pl.DataFrame(schema={"episode_ref": pl.String, "headline_outcome": pl.String, "source": pl.String})
    fields = source.fields
    frame = staged[source.id].select("record_id", "extract_date",
                                     *(pl.col(column).alias(name) for name, column in fields.items()))
    if "source" not in fields:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("source"))
    return _latest(frame, ["episode_ref", "headline_outcome"]).select("episode_ref", "headline_outcome", "source")


def case_memberships(contract: PartnerContract, staged: dict[str, pl.DataFrame], links: pl.DataFrame
                     ) -> pl.DataFrame:
    """family_ref, person_id, role, start_date, end_date from the case records' member rows."""
    source = _member_source(contract)
    schema = {"family_ref": pl.String, "person_id": pl.Int64, "role": pl.String, "start_date": pl.Date,
              "end_date": pl.Date}
    if source is None or staged.get(source.id) is None or staged[source.id].height == 0:
        return pl.DataFrame(schema=schema)
    fields = source.fields
    frame = staged[source.id].select(
        "record_id", "extract_date",
        pl.col(fields["family_ref"]).alias("family_ref"),
        pl.col(fields["role"]).alias("role") if "role" in fields else pl.lit("other_adult").alias("role"),
        pl.col(fields["member_from"]).alias("start_date") if "member_from" in fields
        else pl.lit(None, dtype=pl.Date).alias("start_date"),
        pl.col(fields["member_until"]).alias("end_date") if "member_until" in fields
        else pl.lit(None, dtype=pl.Date).alias("end_date"),
    ).join(links, on="record_id", how="inner")
    # A person recorded twice in one family (duplicate member rows) is one membership: the latest extract's,
    # and among rows of one extract the earliest start.
    return (frame.sort(["family_ref", "person_id", "extract_date", "start_date"],
                       descending=[False, False, True, False], nulls_last=True)
            .group_by("family_ref", "person_id", maintain_order=True).first()
            .select(list(schema)).cast(schema))


def address_key(postcode: pl.Expr, address: pl.Expr) -> pl.Expr:
    """Postcode without spaces plus the first two words of the address, lower case (null without both)."""
    compact = postcode.str.replace_all(r"\s+", "").str.to_uppercase()
    words = address.str.to_lowercase().str.replace_all(r"[^\p{L}\p{N} ]", " ").str.strip_chars() \
        .str.replace_all(r"\s+", " ").str.split(" ").list.head(2).list.join(" ")
    return pl.when(compact.is_not_null() & (compact != "") & words.is_not_null() & (words != "")).then(
        pl.concat_str(compact, pl.lit("|"), words))


def household_memberships(sightings: pl.DataFrame, memberships: pl.DataFrame, families: pl.DataFrame,
                          people: pl.DataFrame) -> pl.DataFrame:
    """Memberships for people without a case member row, from addresses they shared with one family's members.

    sightings: person_id, address_key, day (Date). memberships: family_id, person_id, ... (case evidence).
    families: family_id, eligibility_date (first episode). people: person_id, date_of_birth.
    """
    schema = {"family_id": pl.Int64, "person_id": pl.Int64, "role": pl.String, "start_date": pl.Date,
              "end_date": pl.Date}
    sightings = sightings.filter(pl.col("address_key").is_not_null())
    members = memberships.select("family_id", "person_id").unique()
    known = sightings.join(members, on="person_id", how="inner").select(
        "family_id", "address_key", pl.col("day").alias("member_day"))
    unaffiliated = sightings.join(members, on="person_id", how="anti")
    if unaffiliated.height == 0 or known.height == 0:
        return pl.DataFrame(schema=schema)
    matches = (
        unaffiliated.join(known, on="address_key", how="inner")
        .filter((pl.col("day") - pl.col("member_day")).dt.total_days().abs() <= HOUSEHOLD_DAYS)
        .group_by("person_id", "family_id").agg(pl.col("day").min().alias("first_seen"))
    )
    single = matches.filter(pl.len().over("person_id") == 1)
    return (
        single.join(families, on="family_id", how="inner").join(people, on="person_id", how="left")
        .with_columns(
            ((pl.col("eligibility_date") - pl.col("date_of_birth")).dt.total_days() < 18 * 365.25)
            .fill_null(False).alias("is_child"))
        .select(
            "family_id", "person_id",
            pl.when(pl.col("is_child")).then(pl.lit("child")).otherwise(pl.lit("other_adult")).alias("role"),
            pl.when(pl.col("is_child")).then(pl.col("date_of_birth"))
            .otherwise(pl.min_horizontal("first_seen", "eligibility_date")).alias("start_date"),
            pl.lit(None, dtype=pl.Date).alias("end_date"),
        ).cast(schema)
    )


def sightings(contract: PartnerContract, staged: dict[str, pl.DataFrame], links: pl.DataFrame,
              record_day: pl.DataFrame) -> pl.DataFrame:
    """person_id, address_key, day: where each linked person was recorded, and when."""
    frames = []
    for source in contract.person_sources:
        frame = staged.get(source.id)
        fields = source.fields
        if frame is None or frame.height == 0 or "postcode" not in fields or "address" not in fields:
            continue
        pairs = frame.select(pl.col(fields["postcode"]).alias("postcode"), pl.col(fields["address"]).alias("address"))
        keys = pairs.unique().with_columns(address_key(pl.col("postcode"), pl.col("address")).alias("address_key"))
        frames.append(frame.select("record_id", pl.col(fields["postcode"]).alias("postcode"),
                                   pl.col(fields["address"]).alias("address"))
                      .join(keys, on=["postcode", "address"], how="left", nulls_equal=True)
                      .select("record_id", "address_key"))
    if not frames:
        return pl.DataFrame(schema={"person_id": pl.Int64, "address_key": pl.String, "day": pl.Date})
    return (pl.concat(frames).join(links, on="record_id").join(record_day, on="record_id")
            .select("person_id", "address_key", pl.col("record_day").alias("day")))
