"""A seeded generator of messy UK-style person records with the truth planted, for linkage tests and benchmarks.

Why: linkage quality can only be measured against a known truth. People come from the synthetic Dorset
(synthetic.generate_world: real family structure, so siblings share surnames, postcodes and addresses, which is
what makes linkage hard); each person is then written into partner records with the errors real extracts have,
at rates that are the same for every sex, age band and ethnic group (so any difference in match rates between
groups is the linker's, not the generator's). The benchmark uses it too until the ingest stage's partner-extract
generator is merged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
from nicknames import NickNamer

from synthetic import generate_world
from synthetic.names import draw_names

SOURCES = (
    "police_domestic_abuse",
    "school_attendance",
    "health_mental_health",
    "benefits_debt",
    "housing_homelessness",
    "childrens_services",
)
STREETS = (
    "High Street", "Church Road", "Station Road", "Victoria Road", "Mill Lane", "Park Avenue", "Queens Road",
    "Green Lane", "Manor Close", "Kings Road", "The Crescent", "Dorchester Road", "Weymouth Avenue", "Acacia Drive",
    "Chesil Place", "Portland Terrace", "Abbotsbury Road", "Wyke Square", "Radipole Lane", "Lodmoor Court",
)
TOWNS = ("Weymouth", "Dorchester", "Bridport", "Sherborne", "Wimborne", "Ferndown", "Blandford", "Swanage")
ABBREVIATE = {"Street": "St", "Road": "Rd", "Avenue": "Ave", "Lane": "Ln", "Close": "Cl", "Drive": "Dr"}


@dataclass(frozen=True)
class ErrorRates:
    """Share of records with each planted error (independent draws, equal for every group of people)."""

    first_name_typo: float = 0.03
    nickname: float = 0.05
    surname_typo: float = 0.03
    surname_change: float = 0.02
    dob_day_month_swap: float = 0.02
    dob_typo: float = 0.015
    dob_missing: float = 0.02
    nhs_missing: float = 0.3
    nhs_bad_check_digit: float = 0.02
    ni_missing: float = 0.4
    moved: float = 0.08
    postcode_missing: float = 0.04
    address_missing: float = 0.15
    middle_name_as_initial: float = 0.1
    sex_missing: float = 0.01
    messy_case_and_spaces: float = 0.2
    extra_records_per_person: float = 1.5  # Poisson mean: records per person = 1 + this on average


@dataclass(frozen=True)
class MessyPeople:
    records: pl.DataFrame  # the interface's person-record columns
    truth: pl.DataFrame  # record_id, person_id, sex, age_band, ethnic_group


def _typo(rng: np.random.Generator, value: str) -> str:
    """One keyboard-style edit: substitute, delete, insert or swap two neighbouring letters."""
    if len(value) < 3:
        return value + "e"
    letters = "abcdefghijklmnopqrstuvwxyz"
    position = int(rng.integers(1, len(value) - 1))
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return value[:position] + letters[rng.integers(0, 26)] + value[position + 1 :]
    if kind == 1:
        return value[:position] + value[position + 1 :]
    if kind == 2:
        return value[:position] + letters[rng.integers(0, 26)] + value[position:]
    return value[: position - 1] + value[position] + value[position - 1] + value[position + 1 :]


def _apply(rng: np.random.Generator, values: np.ndarray, mask: np.ndarray, change) -> np.ndarray:
    values = values.copy()
    for index in np.flatnonzero(mask):
        if values[index] is not None:
            values[index] = change(rng, values[index])
    return values


def _age_band(age: np.ndarray) -> np.ndarray:
    bands = np.array(["0-15", "16-24", "25-39", "40-64", "65+"])
    return bands[np.searchsorted([16, 25, 40, 65], age, side="right")]


def messy_person_records(families: int, seed: int, rates: ErrorRates = ErrorRates()) -> MessyPeople:
    """Partner records for the people of a synthetic Dorset of `families` families, with planted errors."""
    world = generate_world(families, seed)
    rng = np.random.default_rng(seed + 1)
    people = (
        world["person_identifier"]
        .join(world["family_member"].group_by("person_id").agg(pl.col("family_id").min()), on="person_id")
        .sort("person_id")  # joins and group-bys do not keep order: sort, or the same seed gives other records
    )
    n_people = people.height
    nicknamer = NickNamer()

    # Per-family address; per-person middle name (not in the world) and a second address for movers.
    family_ids = people.get_column("family_id").to_numpy()
    house = rng.integers(1, 200, family_ids.max() + 1)
    street = rng.integers(0, len(STREETS), family_ids.max() + 1)
    town = rng.integers(0, len(TOWNS), family_ids.max() + 1)
    address = np.array(
        [f"{house[f]} {STREETS[street[f]]}, {TOWNS[town[f]]}" for f in family_ids], dtype=object
    )
    middle = np.where(
        rng.random(n_people) < 0.4,
        np.where(people.get_column("sex").to_numpy() == "female", draw_names(rng, "female", n_people),
                 draw_names(rng, "male", n_people)),
        None,
    ).astype(object)
    truth_people = people.with_columns(
        pl.Series("address", address.tolist(), dtype=pl.String),
        pl.Series("middle_name", middle.tolist(), dtype=pl.String),
    )

    # Each person appears in 1 + Poisson(mean) records, each in a random source.
    repeats = 1 + rng.poisson(rates.extra_records_per_person, n_people)
    rows = truth_people.select(pl.all().gather(np.repeat(np.arange(n_people), repeats)))
    n = rows.height
    source = np.array(SOURCES)[rng.integers(0, len(SOURCES), n)]

    def chance(rate: float) -> np.ndarray:
        return rng.random(n) < rate

    first = rows.get_column("given_name").to_numpy().astype(object)
    nickname_mask = chance(rates.nickname)
    first = _apply(rng, first, nickname_mask, lambda r, v: _nickname(r, nicknamer, v))
    first = _apply(rng, first, chance(rates.first_name_typo), lambda r, v: _typo(r, v.lower()).title())
    surname = rows.get_column("family_name").to_numpy().astype(object)
    surname = _apply(rng, surname, chance(rates.surname_typo), lambda r, v: _typo(r, v.lower()).title())
    changed = chance(rates.surname_change)
    surname[changed] = draw_names(rng, "surname", int(changed.sum()))
    middle_names = rows.get_column("middle_name").to_numpy().astype(object)
    middle_names = _apply(rng, middle_names, chance(rates.middle_name_as_initial), lambda r, v: v[0])

    dob = rows.get_column("date_of_birth").cast(pl.String).to_numpy().astype(object)
    dob = _apply(rng, dob, chance(rates.dob_day_month_swap), _swap_day_month)
    dob = _apply(rng, dob, chance(rates.dob_typo), _dob_typo)
    dob[chance(rates.dob_missing)] = None

    nhs = rows.get_column("nhs_number").to_numpy().astype(object)
    nhs = _apply(rng, nhs, chance(rates.nhs_bad_check_digit), lambda r, v: v[:9] + str((int(v[9]) + 1) % 10))
    nhs[chance(rates.nhs_missing)] = None
    ni = rows.get_column("ni_number").to_numpy().astype(object)
    ni[chance(rates.ni_missing)] = None
    upn = rows.get_column("upn").to_numpy().astype(object)
    upn[~np.isin(source, ["school_attendance", "childrens_services"])] = None

    postcode = rows.get_column("postcode").to_numpy().astype(object)
    address_values = rows.get_column("address").to_numpy().astype(object)
    moved = chance(rates.moved)
    districts = np.array(["DT1", "DT4", "BH21", "DT11", "SP8", "BH19", "DT6"])
    from synthetic.identifiers import generate_postcodes

    postcode[moved] = generate_postcodes(rng, districts[rng.integers(0, len(districts), int(moved.sum()))]).to_numpy()
    address_values[moved] = [
        f"{rng.integers(1, 200)} {STREETS[rng.integers(0, len(STREETS))]}, {TOWNS[rng.integers(0, len(TOWNS))]}"
        for _ in range(int(moved.sum()))
    ]
    postcode[chance(rates.postcode_missing)] = None
    address_values = _apply(rng, address_values, chance(0.2), _abbreviate)
    address_values[chance(rates.address_missing)] = None
    sex = np.where(rows.get_column("sex").to_numpy() == "female", "F", "M").astype(object)
    sex[chance(rates.sex_missing)] = None

    messy = chance(rates.messy_case_and_spaces)
    first = _apply(rng, first, messy, _mess)
    surname = _apply(rng, surname, chance(rates.messy_case_and_spaces), _mess)
    postcode = _apply(rng, postcode, chance(rates.messy_case_and_spaces), lambda r, v: v.replace(" ", "").lower())

    record_id = [f"{s}:{i:07d}" for i, s in enumerate(source)]
    records = pl.DataFrame(
        {
            "record_id": record_id,
            "source": source.tolist(),
            "first_name": first.tolist(),
            "middle_name": middle_names.tolist(),
            "surname": surname.tolist(),
            "date_of_birth": dob.tolist(),
            "sex": sex.tolist(),
            "postcode": postcode.tolist(),
            "address": address_values.tolist(),
            "nhs_number": nhs.tolist(),
            "ni_number": ni.tolist(),
            "upn": upn.tolist(),
        },
        schema={name: pl.String for name in ("record_id", "source", "first_name", "middle_name", "surname",
                                              "date_of_birth", "sex", "postcode", "address", "nhs_number",
                                              "ni_number", "upn")},
    )
    as_of: date = world.data_as_of
    age = (
        (pl.lit(as_of) - rows.get_column("date_of_birth")).dt.total_days() / 365.25
    )
    ages = rows.select(age.alias("age")).get_column("age").fill_null(30).to_numpy().astype(int)
    truth = pl.DataFrame(
        {
            "record_id": record_id,
            "person_id": rows.get_column("person_id"),
            "sex": rows.get_column("sex"),
            "age_band": _age_band(ages),
            "ethnic_group": rows.get_column("ethnic_group").fill_null("Not known"),
        }
    )
    return MessyPeople(records=records, truth=truth)


def _nickname(rng: np.random.Generator, nicknamer: NickNamer, name: str) -> str:
    options = sorted(nicknamer.nicknames_of(name))
    return options[int(rng.integers(0, len(options)))].title() if options else name


def _swap_day_month(rng: np.random.Generator, value: str) -> str:
    year, month, day = value.split("-")
    return f"{year}-{day}-{month}" if int(day) <= 12 and day != month else value


def _dob_typo(rng: np.random.Generator, value: str) -> str:
    """Change one digit of the day or the year's last digit, keeping a real date."""
    year, month, day = value.split("-")
    if rng.random() < 0.5:
        new_day = int(day) % 28 + 1 if int(day) != 28 else 27
        return f"{year}-{month}-{new_day:02d}"
    return f"{year[:3]}{(int(year[3]) + 1) % 10}-{month}-{day}"


def _abbreviate(rng: np.random.Generator, value: str) -> str:
    for long, short in ABBREVIATE.items():
        value = value.replace(long, short)
    return value


def _mess(rng: np.random.Generator, value: str) -> str:
    styles = (value.upper(), value.lower(), f"  {value} ", value.upper() + " ")
    return styles[int(rng.integers(0, len(styles)))]


def pairwise_quality(clusters: pl.DataFrame, truth: pl.DataFrame) -> dict[str, float]:
    """Pairwise precision and recall of a clustering (record_id, person_key) against the truth (record_id, person_id).

    Counted from cluster sizes: pairs in the same predicted cluster, in the same true person, and in both.
    """
    joined = clusters.join(truth.select("record_id", "person_id"), on="record_id")

    def pairs(frame: pl.DataFrame, by: list[str]) -> int:
        sizes = frame.group_by(by).agg(pl.len().alias("size")).get_column("size").cast(pl.Int64)
        return int((sizes * (sizes - 1) // 2).sum())

    predicted, actual, both = pairs(joined, ["person_key"]), pairs(joined, ["person_id"]), pairs(
        joined, ["person_key", "person_id"]
    )
    return {
        "precision": both / predicted if predicted else 1.0,
        "recall": both / actual if actual else 1.0,
        "predicted_pairs": predicted,
        "true_pairs": actual,
    }
