"""Vectorised generators of valid UK identifiers for synthetic people.

Every value obeys the rules in data_access.identifiers (the tests check this with hypothesis), so the
loader's validation passes and the identifiers look like the real thing to anyone testing linkage.
Values are drawn with the caller's numpy Generator, so a seed fixes them. NHS numbers, NI numbers
and UPNs are unique within one call.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from data_access.identifiers import (
    NHS_WEIGHTS,
    NI_ADMINISTRATIVE_PREFIXES,
    NI_FIRST_LETTERS,
    NI_SECOND_LETTERS,
    NI_UNUSED_PREFIXES,
    POSTCODE_INWARD_LETTERS,
    UPN_CHECK_LETTERS,
    UPN_WEIGHTS,
)

# NHS numbers issued in England: 400 000 000x-499 999 999x and 600 000 000x-799 999 999x.
_NHS_RANGES = ((400_000_000, 500_000_000), (600_000_000, 800_000_000))

NI_PREFIXES = tuple(
    first + second
    for first in NI_FIRST_LETTERS
    for second in NI_SECOND_LETTERS
    if first + second not in NI_UNUSED_PREFIXES + NI_ADMINISTRATIVE_PREFIXES
)

DORSET_LA_BEFORE_APRIL_2019 = 835
DORSET_COUNCIL_LA = 838
_LA_CHANGE = np.datetime64("2019-04-01", "D")
UPN_SERIALS = 1000  # a UPN's 3-digit serial, distinct within one school's year of issue
UPN_REDRAW_ROUNDS = 8


def _nhs_check_digits(first_nine: np.ndarray) -> np.ndarray:
    total = np.zeros(first_nine.shape, dtype=np.int64)
    for position, weight in enumerate(NHS_WEIGHTS):
        total += (first_nine // 10 ** (8 - position)) % 10 * weight
    return (11 - total % 11) % 11


def _draw_unique(rng: np.random.Generator, n: int, draw) -> np.ndarray:
    """Draw n distinct values with `draw(rng, k)`, redrawing only the duplicates (keeps first occurrences)."""
    values = draw(rng, n)
    while True:
        _, first_index = np.unique(values, return_index=True)
        keep = np.zeros(n, dtype=bool)
        keep[first_index] = True
        if keep.all():
            return values
        values[~keep] = draw(rng, int((~keep).sum()))


def _draw_nhs_values(rng: np.random.Generator, n: int) -> np.ndarray:
    sizes = np.array([high - low for low, high in _NHS_RANGES], dtype=np.float64)
    values = np.empty(n, dtype=np.int64)
    pending = np.arange(n)
    while pending.size:
        which = rng.choice(len(_NHS_RANGES), size=pending.size, p=sizes / sizes.sum())
        lows = np.array([low for low, _ in _NHS_RANGES])[which]
        first_nine = lows + rng.integers(0, sizes.astype(np.int64)[which])
        check = _nhs_check_digits(first_nine)
        ok = check != 10  # remainder 10: never issued, draw again
        values[pending[ok]] = first_nine[ok] * 10 + check[ok]
        pending = pending[~ok]
    return values


def generate_nhs_numbers(rng: np.random.Generator, n: int) -> pl.Series:
    """n distinct valid NHS numbers (10 digits, English ranges)."""
    return pl.Series("nhs_number", _draw_unique(rng, n, _draw_nhs_values)).cast(pl.String)


def _draw_ni_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, len(NI_PREFIXES), n) * 1_000_000 + rng.integers(0, 1_000_000, n)


def generate_ni_numbers(rng: np.random.Generator, n: int) -> pl.Series:
    """n valid National Insurance numbers with distinct prefix+digits, avoiding administrative prefixes."""
    codes = _draw_unique(rng, n, _draw_ni_codes)
    suffixes = rng.integers(0, 4, n)
    frame = pl.DataFrame({"prefix": codes // 1_000_000, "digits": codes % 1_000_000, "suffix": suffixes})
    return frame.select(
        pl.concat_str(
            pl.col("prefix").replace_strict(dict(enumerate(NI_PREFIXES)), return_dtype=pl.String),
            pl.col("digits").cast(pl.String).str.zfill(6),
            pl.col("suffix").replace_strict(dict(enumerate("ABCD")), return_dtype=pl.String),
        ).alias("ni_number")
    ).to_series()


def upn_la_codes(issued_on: np.ndarray) -> np.ndarray:
    """Dorset's LA code on a UPN: 835 if issued before April 2019, 838 (Dorset Council) since."""
    return np.where(issued_on.astype("datetime64[D]") < _LA_CHANGE, DORSET_LA_BEFORE_APRIL_2019, DORSET_COUNCIL_LA)


def generate_upns(
    rng: np.random.Generator,
    issued_on: np.ndarray,
    establishments: np.ndarray,
    temporary_share: float = 0.01,
) -> pl.Series:
    """Valid UPNs for pupils first registered on `issued_on` (datetime64[D]) at 4-digit `establishments`.

    Layout: check letter, LA code (835/838 by issue date), establishment, 2-digit year of issue,
    3-digit serial; a `temporary_share` of them are temporary (2-digit serial plus a letter).
    Distinct within the call.
    """
    n = len(issued_on)
    la = upn_la_codes(issued_on).astype(np.int64)
    year = (issued_on.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970) % 100
    stem = (la * 10_000 + np.asarray(establishments, dtype=np.int64)) * 100 + year  # 9 digits
    temporary = rng.random(n) < temporary_share

    # Distinct serial within each stem: redraw the serials of duplicates a few times, then give any still left
    # the free serials of their stem (redrawing alone slows down like a coupon collector as a stem fills up).
    stems, per_stem = np.unique(stem, return_counts=True)
    if per_stem.size and per_stem.max() > UPN_SERIALS:
        raise ValueError(f"{int(per_stem.max())} pupils share school {stems[per_stem.argmax()] // 100 % 10_000} and "
                         f"year of issue: a UPN has only {UPN_SERIALS} serials for them")
    serials = rng.integers(0, UPN_SERIALS, n)
    for _ in range(UPN_REDRAW_ROUNDS):
        duplicate = _repeated(stem * UPN_SERIALS + serials)
        if not duplicate.any():
            break
        serials[duplicate] = rng.integers(0, UPN_SERIALS, int(duplicate.sum()))
    else:
        serials = _free_serials(stem, serials, _repeated(stem * UPN_SERIALS + serials))

    # Characters 2..13 as integer values (a temporary UPN's last character is a letter valued by its index).
    body_values = np.empty((n, 12), dtype=np.int64)
    for position in range(9):
        body_values[:, position] = stem // 10 ** (8 - position) % 10
    body_values[:, 9] = serials // 100
    body_values[:, 10] = serials // 10 % 10
    # A temporary UPN swaps the last serial digit d for the letter valued d (A..K): still distinct.
    body_values[:, 11] = serials % 10
    check = (body_values * np.array(UPN_WEIGHTS)).sum(axis=1) % 23

    letters = dict(enumerate(UPN_CHECK_LETTERS))
    frame = pl.DataFrame(
        {"check": check, "stem": stem, "head": serials // 10, "last": body_values[:, 11], "temporary": temporary}
    )
    return frame.select(
        pl.concat_str(
            pl.col("check").replace_strict(letters, return_dtype=pl.String),
            pl.col("stem").cast(pl.String).str.zfill(9),
            pl.col("head").cast(pl.String).str.zfill(2),
            pl.when(pl.col("temporary"))
            .then(pl.col("last").replace_strict(letters, return_dtype=pl.String))
            .otherwise(pl.col("last").cast(pl.String)),
        ).alias("upn")
    ).to_series()


def _repeated(values: np.ndarray) -> np.ndarray:
    """True at every occurrence of a value after its first."""
    _, first_index = np.unique(values, return_index=True)
    repeated = np.ones(values.size, dtype=bool)
    repeated[first_index] = False
    return repeated


def _free_serials(stem: np.ndarray, serials: np.ndarray, duplicate: np.ndarray) -> np.ndarray:
    """The serials with each duplicate replaced by the lowest serials its stem does not use yet."""
    serials = serials.copy()
    order = np.argsort(stem, kind="stable")
    starts = np.flatnonzero(np.r_[True, stem[order][1:] != stem[order][:-1]])
    ends = np.r_[starts[1:], order.size]
    for start, end in zip(starts, ends, strict=True):
        rows = order[start:end]
        again = rows[duplicate[rows]]
        if again.size:
            free = np.setdiff1d(np.arange(UPN_SERIALS), serials[rows[~duplicate[rows]]])
            serials[again] = free[:again.size]
    return serials


def generate_postcodes(rng: np.random.Generator, districts: pl.Series | np.ndarray) -> pl.Series:
    """A format-valid postcode in each given district, e.g. "DT4" -> "DT4 7QE" (not checked against real addresses)."""
    n = len(districts)
    inward_letters = np.array(list(POSTCODE_INWARD_LETTERS))
    frame = pl.DataFrame(
        {
            "district": pl.Series(districts, dtype=pl.String),
            "sector": rng.integers(0, 10, n),
            "unit": np.char.add(inward_letters[rng.integers(0, 20, n)], inward_letters[rng.integers(0, 20, n)]),
        }
    )
    return frame.select(
        pl.concat_str(pl.col("district"), pl.lit(" "), pl.col("sector").cast(pl.String), pl.col("unit")).alias(
            "postcode"
        )
    ).to_series()
