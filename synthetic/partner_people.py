"""Who the partner extracts are about: the world's people with what partners record of them over time.

A person's identifiers as a partner would have them on a given day: their name (a former surname before a
change of name), middle name, date of birth, sex, NHS/NI/UPN, and the family's address and postcode (a new
one after the family moved). Also people who belong to no eligible family ("outsiders"), who appear in
partner extracts too. Errors are added later (synthetic/partner_errors.py); these are the true values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from data_access.config import Locality
from synthetic import identifiers
from synthetic.calendar import day_number
from synthetic.names import draw_names

STREET_KINDS = ("Road", "Street", "Lane", "Close", "Avenue", "Way", "Gardens", "Crescent", "Drive", "Place")
SHARE_WITH_MIDDLE_NAME = 0.4
FAMILY_HOUSE_NUMBERS = (1, 200)  # outsiders live at 200-399, so no outsider shares a family's address
OUTSIDER_HOUSE_NUMBERS = (200, 400)


@dataclass(frozen=True)
class People:
    """One row per person: person_key, family_key (null for outsiders) and the true identifiers over time."""

    frame: pl.DataFrame


def _addresses(rng: np.random.Generator, n: int, towns: np.ndarray, numbers: tuple[int, int]) -> pl.Series:
    street = np.char.add(np.char.add(draw_names(rng, "surname", n).astype(str), " "),
                         np.array(STREET_KINDS)[rng.integers(0, len(STREET_KINDS), n)])
    house = rng.integers(numbers[0], numbers[1], n)
    return pl.Series("address", [f"{number} {name}, {town}" for number, name, town in zip(house, street, towns,
                                                                                              strict=True)])


def _towns(rng: np.random.Generator, locality_codes: pl.Series, localities: tuple[Locality, ...]) -> np.ndarray:
    towns = {locality.code: locality.main_towns for locality in localities}
    picks = rng.random(len(locality_codes))
    return np.array([towns[code][int(pick * len(towns[code]))] for code, pick in zip(
        locality_codes.to_list(), picks, strict=True)], dtype=object)


def world_people(rng: np.random.Generator, world, localities: tuple[Locality, ...], *, surname_change: float,
                 move: float) -> People:
    """The world's people with middle names, family addresses, moves and changes of surname."""
    persons = world["person_identifier"]
    members = world["family_member"].group_by("person_id").agg(pl.col("family_id").min())
    families = world["family"].sort("family_id")
    as_of = day_number(world.data_as_of)
    episodes = world["programme_episode"].group_by("family_id").agg(
        pl.col("eligibility_date").min().cast(pl.Int64).alias("eligible_day"))
    n_families = families.height

    towns = _towns(rng, families.get_column("locality_code"), localities)
    family_postcode = (persons.join(world["family_member"].select("person_id", "family_id"), on="person_id")
                       .group_by("family_id").agg(pl.col("postcode").drop_nulls().first()))
    new_postcodes = identifiers.generate_postcodes(rng, families.get_column("postcode_district"))
    fallback_postcodes = identifiers.generate_postcodes(rng, families.get_column("postcode_district"))
    moved = rng.random(n_families) < move
    family_frame = (
        families.select("family_id")
        .with_columns(
            _addresses(rng, n_families, towns, FAMILY_HOUSE_NUMBERS).alias("family_address"),
            _addresses(rng, n_families, towns, FAMILY_HOUSE_NUMBERS).alias("new_address"),
            new_postcodes.alias("new_postcode"),
            fallback_postcodes.alias("fallback_postcode"),
            pl.Series("moved", moved),
            pl.Series("move_draw", rng.random(n_families)),
        )
        .join(family_postcode, on="family_id", how="left")
        .join(episodes, on="family_id", how="left")
        .with_columns(
            pl.coalesce("postcode", "fallback_postcode").alias("family_postcode"),
            # Moves happen from a year before eligibility up to the extract date.
            pl.when(pl.col("moved")).then(
                pl.col("eligible_day") - 365 + (pl.col("move_draw") * (as_of - pl.col("eligible_day") + 366))
                 .floor().cast(pl.Int64)).alias("moved_on"),
        )
        .select("family_id", "family_address", "family_postcode", "new_address", "new_postcode", "moved_on")
    )

    n = persons.height
    sexes = persons.get_column("sex").to_list()
    middle = np.where(np.array([sex == "male" for sex in sexes]), draw_names(rng, "male", n),
                      draw_names(rng, "female", n)).astype(object)
    has_middle = rng.random(n) < SHARE_WITH_MIDDLE_NAME
    changed = rng.random(n) < surname_change
    frame = (
        persons.join(members, on="person_id", how="left")
        .join(episodes, on="family_id", how="left")
        .join(family_frame, on="family_id", how="left")
        .with_columns(
            pl.format("P{}", pl.col("person_id")).alias("person_key"),
            pl.format("F{}", pl.col("family_id")).alias("family_key"),
            pl.Series("middle_name", [name if keep else None for name, keep in zip(middle, has_middle, strict=True)],
                      dtype=pl.String),
            pl.Series("former_surname", draw_names(rng, "surname", n).astype(str)),
            pl.Series("changed", changed),
            pl.Series("change_draw", rng.random(n)),
            pl.col("date_of_birth").cast(pl.Int64).alias("dob_day"),
            pl.col("sex").replace_strict({"female": "F", "male": "M"}, default=None).alias("sex_code"),
            # A person recorded without a postcode stays without one in every extract.
            pl.col("postcode").is_null().alias("no_postcode"),
        )
        .with_columns(
            # The change date is set once the records are drafted (with_surname_change_dates), so that every
            # person whose name changed has records from before the change.
            pl.lit(None, dtype=pl.Int64).alias("surname_changed_on"),
            (pl.col("changed") & (pl.col("former_surname") != pl.col("family_name"))).alias("changed"),
        )
    )
    return People(frame.select(
        "person_key", "family_key", "person_id", "family_id", "given_name", "middle_name", "family_name",
        "former_surname", "changed", "change_draw", "surname_changed_on", "dob_day", "sex_code", "nhs_number",
        "ni_number", "upn",
        "ethnic_group", "family_address", "family_postcode", "new_address", "new_postcode", "moved_on",
        "no_postcode",
    ))


def outsiders(rng: np.random.Generator, n: int, world, localities: tuple[Locality, ...]) -> People:
    """People in no eligible family: own names, dates of birth, NHS and NI numbers distinct from the world's."""
    as_of = day_number(world.data_as_of)
    taken_nhs = set(world["person_identifier"].get_column("nhs_number").drop_nulls().to_list())
    taken_ni = set(world["person_identifier"].get_column("ni_number").drop_nulls().to_list())
    nhs = [value for value in identifiers.generate_nhs_numbers(rng, n + 1000).to_list() if value not in taken_nhs][:n]
    ni = [value for value in identifiers.generate_ni_numbers(rng, n + 1000).to_list() if value not in taken_ni][:n]
    sex = np.where(rng.random(n) < 0.5, "F", "M")
    given = np.where(sex == "F", draw_names(rng, "female", n), draw_names(rng, "male", n)).astype(str)
    dob = as_of - rng.integers(365, 80 * 365, n)
    locality_index = rng.integers(0, len(localities), n)
    codes = pl.Series([localities[index].code for index in locality_index])
    districts = pl.Series([localities[index].postcode_districts[int(pick * len(localities[index].postcode_districts))]
                           for index, pick in zip(locality_index, rng.random(n), strict=True)])
    postcodes = identifiers.generate_postcodes(rng, districts)
    frame = pl.DataFrame({
        "person_key": [f"X{number}" for number in range(1, n + 1)],
        "family_key": pl.Series([None] * n, dtype=pl.String),
        "person_id": pl.Series([None] * n, dtype=pl.Int64),
        "family_id": pl.Series([None] * n, dtype=pl.Int64),
        "given_name": given,
        "middle_name": pl.Series([None] * n, dtype=pl.String),
        "family_name": draw_names(rng, "surname", n).astype(str),
        "former_surname": draw_names(rng, "surname", n).astype(str),
        "changed": pl.Series([False] * n),
        "change_draw": pl.Series([0.0] * n),
        "surname_changed_on": pl.Series([None] * n, dtype=pl.Int64),
        "dob_day": dob.astype(np.int64),
        "sex_code": sex,
        "nhs_number": pl.Series(nhs, dtype=pl.String),
        "ni_number": pl.Series([value if age >= 16 * 365 else None for value, age in zip(ni, as_of - dob, strict=True)],
                               dtype=pl.String),
        "upn": pl.Series([None] * n, dtype=pl.String),
        "ethnic_group": pl.Series([None] * n, dtype=pl.String),
        "family_address": _addresses(rng, n, _towns(rng, codes, localities), OUTSIDER_HOUSE_NUMBERS),
        "family_postcode": postcodes,
        "new_address": pl.Series([None] * n, dtype=pl.String),
        "new_postcode": pl.Series([None] * n, dtype=pl.String),
        "moved_on": pl.Series([None] * n, dtype=pl.Int64),
        "no_postcode": pl.Series([False] * n),
    })
    return People(frame)


def with_surname_change_dates(people: pl.DataFrame, first_record_day: pl.DataFrame, as_of: int) -> pl.DataFrame:
    """Change dates for the people whose surname changed: after their first record, on or before the extract date
    (first_record_day: person_key, first_day). Someone whose only records are from the extract date keeps one name.
    """
    return people.drop("surname_changed_on").join(first_record_day, on="person_key", how="left").with_columns(
        pl.when(pl.col("changed") & (pl.col("first_day") < as_of)).then(
            pl.col("first_day") + 1 + (pl.col("change_draw") * (as_of - pl.col("first_day"))).floor().cast(pl.Int64))
        .alias("surname_changed_on")).drop("first_day")


def identity_on(records: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """The true identifiers of each record's person (records: person_key, day) as they stood on its day."""
    moved = pl.col("moved_on").is_not_null() & (pl.col("day") >= pl.col("moved_on"))
    former = pl.col("surname_changed_on").is_not_null() & (pl.col("day") < pl.col("surname_changed_on"))
    return records.join(people, on="person_key", how="left", maintain_order="left").with_columns(
        pl.col("given_name").alias("first_name"),
        pl.when(former).then(pl.col("former_surname")).otherwise(pl.col("family_name")).alias("surname"),
        pl.col("dob_day").alias("date_of_birth"),
        pl.col("sex_code").alias("sex"),
        pl.when(pl.col("no_postcode")).then(None).when(moved).then(pl.col("new_postcode"))
        .otherwise(pl.col("family_postcode")).alias("postcode"),
        pl.when(moved).then(pl.col("new_address")).otherwise(pl.col("family_address")).alias("address"),
    )
