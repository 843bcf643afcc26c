"""Staged partner rows -> the person records the linker takes, and linked people -> one person_identifier row each.

`person_records` builds exactly the interface's columns (record_id, source, first_name, ..., upn) from every
person source, whatever its column names: the contract's `field` says which column carries what. Values stay
as received (the linker normalises); only the date of birth is written YYYY-MM-DD and sex mapped to M/F.

`consolidate_people` chooses each person's identifiers for the linked table: per field, the value most of
their records agree on after normalising to the data contract's stored form (values that break the
contract's format rules, such as an NHS number failing mod 11, never count), ties going to the family support
case records and then to the most recent record.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from data_access import identifiers
from data_access.schema import ETHNIC_GROUPS
from linkage.contract import PERSON_FIELDS, PartnerContract, Source

CASE_RECORD_PRIORITY = 0
OTHER_PRIORITY = 1


def record_date_column(source: Source) -> str | None:
    """The column that dates a record: its first rule's date column, else its first required date column.
    Case member rows describe the family as at the extract (their dates are membership dates): None."""
    if "family_ref" in source.fields:
        return None
    if source.rules:
        return source.rules[0].date_column
    return next((column.name for column in source.columns if column.type == "date" and column.required), None)


def person_records(contract: PartnerContract, staged: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Every staged person row as a linkage-interface record (all String columns, in the interface's order)."""
    frames = []
    for source in contract.person_sources:
        frame = staged.get(source.id)
        if frame is None or frame.height == 0:
            continue
        fields = source.fields
        selected = [pl.col("record_id"), pl.lit(source.id).alias("source")]
        for name in PERSON_FIELDS:
            column = fields.get(name)
            if column is None:
                selected.append(pl.lit(None, dtype=pl.String).alias(name))
            elif name == "date_of_birth":
                selected.append(pl.col(column).dt.strftime("%Y-%m-%d").alias(name))
            elif name == "sex":
                means = source.column(column).means
                mapping = {code: (means.get(code, code) or None) for code in source.column(column).codes}
                selected.append(pl.col(column).replace_strict(mapping, default=None, return_dtype=pl.String)
                                .alias(name))
            else:
                selected.append(pl.col(column).cast(pl.String).alias(name))
        frames.append(frame.select(selected))
    schema = {"record_id": pl.String, "source": pl.String, **dict.fromkeys(PERSON_FIELDS, pl.String)}
    if not frames:
        return pl.DataFrame(schema=schema)
    return pl.concat(frames).select(list(schema)).cast(schema)


def record_facts(contract: PartnerContract, staged: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """record_id, source, priority, record_day (the record's date, else its extract date), ethnic_group."""
    frames = []
    for source in contract.person_sources:
        frame = staged.get(source.id)
        if frame is None or frame.height == 0:
            continue
        dated_by = record_date_column(source)
        day = pl.coalesce(pl.col(dated_by), pl.col("extract_date")) if dated_by else pl.col("extract_date")
        ethnic = source.fields.get("ethnic_group")
        frames.append(frame.select(
            "record_id",
            pl.lit(source.id).alias("source"),
            pl.lit(CASE_RECORD_PRIORITY if "family_ref" in source.fields else OTHER_PRIORITY).alias("priority"),
            day.alias("record_day"),
            (pl.col(ethnic) if ethnic else pl.lit(None, dtype=pl.String)).alias("ethnic_group"),
        ))
    schema = {"record_id": pl.String, "source": pl.String, "priority": pl.Int32, "record_day": pl.Date,
              "ethnic_group": pl.String}
    return pl.concat(frames).cast(schema) if frames else pl.DataFrame(schema=schema)


def _on_distinct(records: pl.DataFrame, column: str, normalise: pl.Expr, name: str) -> pl.DataFrame:
    """`normalise` (an expression over `column`) computed once per distinct value: people's records repeat them."""
    distinct = records.select(pl.col(column).unique()).filter(pl.col(column).is_not_null())
    return distinct.select(pl.col(column).alias(f"_raw_{name}"), normalise.alias(name))


def normalised_values(records: pl.DataFrame) -> pl.DataFrame:
    """The data contract's stored form of each identifier (null where a value cannot be one)."""
    def name(column: str) -> pl.Expr:
        cleaned = pl.col(column).str.strip_chars().str.replace_all(r"\s+", " ")
        return pl.when(cleaned == "").then(None).otherwise(cleaned).str.slice(0, 80)

    nhs = pl.col("nhs_number").str.replace_all(r"\s+", "")
    ni = pl.col("ni_number").str.replace_all(r"\s+", "").str.to_uppercase()
    upn = pl.col("upn").str.strip_chars().str.to_uppercase()
    compact = pl.col("postcode").str.replace_all(r"\s+", "").str.to_uppercase()
    postcode = pl.concat_str(compact.str.slice(0, compact.str.len_chars() - 3), pl.lit(" "), compact.str.slice(-3))
    stored = {
        "given_name": ("first_name", name("first_name")),
        "family_name": ("surname", name("surname")),
        "date_of_birth": ("date_of_birth", pl.col("date_of_birth").str.to_date("%Y-%m-%d", strict=False)),
        "sex": ("sex", pl.col("sex").replace_strict({"M": "male", "F": "female"}, default=None,
                                                   return_dtype=pl.String)),
        "postcode": ("postcode", pl.when(identifiers.postcode_is_valid(postcode)).then(postcode)),
        "nhs_number": ("nhs_number", pl.when(identifiers.nhs_number_is_valid(nhs)).then(nhs)),
        "ni_number": ("ni_number", pl.when(identifiers.ni_number_is_valid(ni)).then(ni)),
        "upn": ("upn", pl.when(identifiers.upn_is_valid(upn)).then(upn)),
    }
    result = records.select("record_id", *(pl.col(column).alias(f"_raw_{target}")
                                           for target, (column, _) in stored.items()))
    for target, (column, expression) in stored.items():
        lookup = _on_distinct(records, column, expression, target)
        result = result.join(lookup, on=f"_raw_{target}", how="left", maintain_order="left")
    return result.select("record_id", *stored)


CONSOLIDATED = ("given_name", "family_name", "date_of_birth", "sex", "ethnic_group", "postcode", "nhs_number",
                "ni_number", "upn")


NAME_COLUMNS = ("given_name", "family_name")


def _winner(counted: pl.DataFrame, order: list[str], descending: list[bool], column: str) -> pl.DataFrame:
    """The first row per person_id of `counted` under the given order. Most people have one candidate value, so
    only people with several are sorted (a full sort per column was most of the build's time at 100,000 families)."""
    several = pl.len().over("person_id") > 1
    contested = (counted.filter(several).sort(["person_id", *order], descending=[False, *descending],
                                              nulls_last=True)
                 .group_by("person_id", maintain_order=True).first())
    return pl.concat([counted.filter(~several).select("person_id", column), contested.select("person_id", column)])


def _consolidated_name(values: pl.DataFrame, column: str) -> pl.DataFrame:
    """The name most records agree on ignoring case, spelled as the records do in mixed case (McCarthy), else
    title case when every record shouts or whispers it."""
    named = values.filter(pl.col(column).is_not_null()).with_columns(
        pl.col(column).str.to_lowercase().alias("_key"),
        ((pl.col(column) == pl.col(column).str.to_uppercase())
         | (pl.col(column) == pl.col(column).str.to_lowercase())).alias("_flat"))
    best_key = _winner(named.group_by("person_id", "_key")
                       .agg(pl.len().alias("votes"), pl.col("priority").min().alias("best_priority"),
                            pl.col("record_day").max().alias("latest")),
                       ["votes", "best_priority", "latest", "_key"], [True, False, True, False], "_key")
    spelling = (named.join(best_key, on=["person_id", "_key"], how="semi")
                .group_by("person_id", column).agg(pl.len().alias("votes"), pl.col("_flat").first()))
    spelling = spelling.join(_winner(spelling, ["_flat", "votes", column], [False, True, False], column),
                             on=["person_id", column], how="semi")
    return spelling.select("person_id", pl.when(pl.col("_flat")).then(pl.col(column).str.to_titlecase())
                           .otherwise(pl.col(column)).alias(column))


EARLIEST_BIRTH = date(1900, 1, 1)


def consolidate_people(records: pl.DataFrame, facts: pl.DataFrame, links: pl.DataFrame,
                       data_as_of: date | None = None) -> pl.DataFrame:
    """One person_identifier row per person_id (links: record_id, person_id) from their records.

    A date of birth before 1900 or after data_as_of never counts (a baby's date with day and month swapped can
    fall after the extract date; the linked tables refuse such a date)."""
    latest_birth = data_as_of or date.max
    values = (normalised_values(records)
              .with_columns(pl.when(pl.col("date_of_birth").is_between(EARLIEST_BIRTH, latest_birth))
                            .then(pl.col("date_of_birth")).alias("date_of_birth"))
              .join(facts.select("record_id", "priority", "record_day", "ethnic_group"), on="record_id", how="left")
              .with_columns(pl.when(pl.col("ethnic_group").is_in(list(ETHNIC_GROUPS))).then(pl.col("ethnic_group"))
                            .alias("ethnic_group"))
              .join(links, on="record_id", how="inner"))
    people = links.select("person_id").unique()
    for column in CONSOLIDATED:
        if column in NAME_COLUMNS:
            people = people.join(_consolidated_name(values, column), on="person_id", how="left")
            continue
        chosen = _winner(
            values.filter(pl.col(column).is_not_null())
            .group_by("person_id", column)
            .agg(pl.len().alias("votes"), pl.col("priority").min().alias("best_priority"),
                 pl.col("record_day").max().alias("latest")),
            ["votes", "best_priority", "latest", column], [True, False, True, False], column)
        people = people.join(chosen, on="person_id", how="left")
    return people.sort("person_id").select("person_id", *CONSOLIDATED)
