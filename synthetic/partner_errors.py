"""The errors real partner extracts have, planted at documented rates (docs/synthetic-data.md, "Partner extracts").

Every rate is a field of ExtractSettings and applies independently to each value (or person, or family, as
stated), drawn with the caller's seeded numpy Generator. Tests measure each rate back from the written files
against the truth (tests/synthetic/test_partner_errors.py), so the documented numbers are the planted ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl


@dataclass(frozen=True)
class ExtractSettings:
    """Rates of each planted error, and the shape of the extracts. Rates are probabilities in [0, 1]."""

    # Errors in identifiers (what a linker must cope with)
    typo: float = 0.02  # per first name and surname: one letter changed, dropped, doubled, or two letters swapped
    nickname: float = 0.10  # per first name that has a nickname (nicknames package): a nickname sent instead
    surname_change: float = 0.03  # per person: a former surname on records dated before the change (marriage etc.)
    dob_swap: float = 0.03  # per date of birth whose day is 1-12 and not equal to the month: day and month swapped
    nhs_missing: float = 0.10  # per record of a source with an NHS number column: blank
    nhs_bad_check: float = 0.02  # per NHS number sent: last digit changed, so the mod-11 check fails
    move: float = 0.08  # per family: moved within its postcode district (new address and postcode) on some date
    duplicate: float = 0.02  # per event or assessment record: sent twice (a second row with its own reference)
    blank: float = 0.03  # per optional identifier (middle name, date of birth, sex, postcode, address, NI, UPN)
    stray_space: float = 0.05  # per text identifier: a space added before, after, or doubled inside
    mixed_case: float = 0.05  # per name, postcode or address: all upper case or all lower case
    # The shape of the extracts (not errors)
    negative_assessment: float = 0.1  # per key date with the need absent: an assessment record finding no need
    earlier_opposite: float = 0.05  # per assessment record: an earlier one in the same window with the opposite finding
    noise: float = 0.1  # records that change no observation (non-qualifying, or dated outside every window),
    #                     as a share of the records that do
    outsiders: float = 0.05  # people outside the eligible families (1-3 records each), as a share of the world's people

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"ExtractSettings.{name} must be between 0 and 1, not {value!r}.")

    @classmethod
    def clean(cls) -> ExtractSettings:
        """No identifier errors (the shape settings unchanged): isolates the records -> observations rule."""
        return cls(typo=0, nickname=0, surname_change=0, dob_swap=0, nhs_missing=0, nhs_bad_check=0, move=0,
                   duplicate=0, blank=0, stray_space=0, mixed_case=0)


@cache
def nickname_table() -> dict[str, tuple[str, ...]]:
    """Lower-case given name -> its nicknames (the `nicknames` package's curated table), names of 2+ letters."""
    from nicknames import NickNamer

    lookup = NickNamer().nickname_lookup
    return {name: tuple(sorted(nick for nick in nicks if len(nick) >= 2 and nick.isalpha()))
            for name, nicks in lookup.items() if any(len(nick) >= 2 and nick.isalpha() for nick in nicks)}


def has_nickname(names: pl.Series) -> np.ndarray:
    table = nickname_table()
    return np.array([isinstance(name, str) and name.lower() in table for name in names.to_list()], dtype=bool)


def apply_nicknames(rng: np.random.Generator, names: pl.Series, rate: float) -> pl.Series:
    table = nickname_table()
    values = names.to_list()
    chosen = np.flatnonzero(has_nickname(names) & (rng.random(len(values)) < rate))
    picks = rng.random(len(chosen))
    for index, pick in zip(chosen, picks, strict=True):
        options = table[values[index].lower()]
        values[index] = options[int(pick * len(options))].title()
    return pl.Series(names.name, values, dtype=pl.String)


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def typo(word: str, rng: np.random.Generator) -> str:
    """One keying error: a letter changed, dropped or doubled, or two neighbours swapped (never the same word)."""
    if len(word) < 3:
        return word + _LETTERS[int(rng.integers(0, 26))]
    position = int(rng.integers(1, len(word) - 1))  # keep the first letter: typists rarely get it wrong
    kind = int(rng.integers(0, 4))
    if kind == 0:
        replacement = _LETTERS[int(rng.integers(0, 26))]
        if replacement == word[position].lower():
            replacement = _LETTERS[(_LETTERS.index(replacement) + 1) % 26]
        return word[:position] + replacement + word[position + 1:]
    if kind == 1:
        return word[:position] + word[position + 1:]
    if kind == 2:
        return word[:position] + word[position] + word[position:]
    if word[position] == word[position + 1]:
        return word[:position] + word[position + 1:]
    return word[:position] + word[position + 1] + word[position] + word[position + 2:]


def apply_typos(rng: np.random.Generator, names: pl.Series, rate: float) -> pl.Series:
    values = names.to_list()
    for index in np.flatnonzero(rng.random(len(values)) < rate):
        if isinstance(values[index], str) and values[index]:
            values[index] = typo(values[index], rng)
    return pl.Series(names.name, values, dtype=pl.String)


def swap_day_and_month(days: np.ndarray, swap: np.ndarray) -> np.ndarray:
    """Dates (day numbers) with day and month exchanged where `swap` and the swap makes a different valid date."""
    as_dates = days.astype("datetime64[D]")
    months = as_dates.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (as_dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    possible = swappable(days) & swap
    new_month = (year - 1970) * 12 + (day - 1)
    swapped = new_month.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + (month - 1)
    return np.where(possible, swapped, days)


def swappable(days: np.ndarray) -> np.ndarray:
    """Dates whose day and month can be exchanged to give a different date (day 1-12, day != month)."""
    as_dates = days.astype("datetime64[D]")
    months = as_dates.astype("datetime64[M]")
    month = months.astype(np.int64) % 12 + 1
    day = (as_dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    return (day <= 12) & (day != month)


def break_nhs_check_digits(rng: np.random.Generator, numbers: pl.Series, rate: float) -> pl.Series:
    """NHS numbers with the last digit changed (to any other digit: only one digit passes mod 11) at `rate`."""
    values = numbers.to_list()
    for index in np.flatnonzero(rng.random(len(values)) < rate):
        value = values[index]
        if isinstance(value, str) and len(value) == 10:
            values[index] = value[:9] + str((int(value[9]) + int(rng.integers(1, 10))) % 10)
    return pl.Series(numbers.name, values, dtype=pl.String)


def blank_at(rng: np.random.Generator, values: pl.Series, rate: float) -> pl.Series:
    keep = pl.Series(rng.random(len(values)) >= rate)
    return values.zip_with(keep, pl.repeat(None, len(values), dtype=values.dtype, eager=True)).alias(values.name)


def stray_spaces(rng: np.random.Generator, values: pl.Series, rate: float) -> pl.Series:
    chosen = pl.Series(rng.random(len(values)) < rate)
    kind = pl.Series(rng.integers(0, 3, len(values)))
    frame = pl.DataFrame({"value": values, "chosen": chosen, "kind": kind})
    return frame.select(
        pl.when(~pl.col("chosen") | pl.col("value").is_null()).then(pl.col("value"))
        .when(pl.col("kind") == 0).then(pl.lit(" ") + pl.col("value"))
        .when(pl.col("kind") == 1).then(pl.col("value") + pl.lit("  "))
        .when(pl.col("value").str.contains(" ")).then(pl.col("value").str.replace(" ", "  "))
        .otherwise(pl.col("value") + pl.lit(" "))
        .alias(values.name)
    ).to_series()


def mixed_case(rng: np.random.Generator, values: pl.Series, rate: float) -> pl.Series:
    chosen = pl.Series(rng.random(len(values)) < rate)
    upper = pl.Series(rng.random(len(values)) < 0.5)
    frame = pl.DataFrame({"value": values, "chosen": chosen, "upper": upper})
    return frame.select(
        pl.when(~pl.col("chosen")).then(pl.col("value"))
        .when(pl.col("upper")).then(pl.col("value").str.to_uppercase())
        .otherwise(pl.col("value").str.to_lowercase()).alias(values.name)
    ).to_series()
