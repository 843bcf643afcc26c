"""Synthetic people: the members of each family with names, ages, sex, ethnicity and identifiers.

Produces the `person_identifier` and `family_member` tables plus the per-person arrays the needs
model uses (family, role, date of birth). Missing values follow docs/synthetic-data.md: ethnic group
null for about 5%, NHS number for about 2%, NI numbers only from age 16, UPNs only for children who
have started school (some missing), sex very rarely null.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from data_access.schema import ETHNIC_GROUPS, FAMILY_ROLES, FAMILY_TYPES, SEXES
from synthetic import identifiers
from synthetic.calendar import add_years, date_series, day_number, year_month_day
from synthetic.households import ETHNIC_SHARES, Families
from synthetic.names import draw_names

PARENT, OTHER_ADULT, CHILD = (FAMILY_ROLES.index(role) for role in ("parent_carer", "other_adult", "child"))
FEMALE, MALE, SEX_UNKNOWN = 0, 1, -1
NO_DATE = -1

SHARE_SEX_MISSING = 0.002
SHARE_ETHNICITY_MISSING = 0.05
SHARE_ETHNICITY_AS_FAMILY = 0.9
SHARE_NHS_MISSING = 0.02
SHARE_NI_PRESENT_ADULT = 0.92
SHARE_NI_PRESENT_AGED_16_17 = 0.6
SHARE_UPN_PRESENT = 0.93
SHARE_POSTCODE_MISSING = 0.01
SHARE_CHILD_JOINED_LATER = 0.1
FIRST_UPN_SCHOOL_YEAR = 1990
SHARE_SECOND_PARENT_JOINED_LATER = 0.3
SHARE_LEFT_SECOND_PARENT = 0.03
SHARE_LEFT_OTHER_ADULT = 0.10
FIRST_PARENT_FEMALE = {"lone_parent": 0.9, "two_parent": 0.97, "multi_generational": 0.8, "other": 0.75}
N_PRIMARY_SCHOOLS = 140


@dataclass(frozen=True)
class People:
    """One element per person (person_id = index + 1), ordered by family."""

    family_index: np.ndarray
    role: np.ndarray  # index into FAMILY_ROLES
    born_day: np.ndarray
    start_day: np.ndarray
    end_day: np.ndarray  # NO_DATE when still a member

    @property
    def person_id(self) -> np.ndarray:
        return np.arange(1, len(self.family_index) + 1, dtype=np.int64)


def draw_people(rng: np.random.Generator, families: Families, family_postcodes: pl.Series, data_as_of: date
                ) -> tuple[People, pl.DataFrame, pl.DataFrame]:
    """The people of every family: (arrays for the model, person_identifier frame, family_member frame)."""
    size = families.n_parents + families.n_other_adults + families.n_children
    family_index = np.repeat(np.arange(families.count), size)
    first_row = np.concatenate([[0], np.cumsum(size)[:-1]])
    position = np.arange(len(family_index)) - first_row[family_index]
    n_parents = families.n_parents[family_index]
    role = np.where(
        position < n_parents,
        PARENT,
        np.where(position < n_parents + families.n_other_adults[family_index], OTHER_ADULT, CHILD),
    )
    is_first_parent = position == 0
    is_second_parent = (role == PARENT) & (position == 1)
    kind = np.array(FAMILY_TYPES)[families.family_type][family_index]

    age, eldest_child_age = _draw_ages(rng, families, family_index, role, is_first_parent, is_second_parent, kind)
    eligibility_day = families.eligibility_day[family_index]
    born_day = eligibility_day - np.floor(age * 365.2425 + rng.random(len(age)) * 365).astype(np.int64)
    sex = _draw_sex(rng, families, family_index, is_first_parent, is_second_parent, kind)

    eldest_born = eligibility_day - np.floor((eldest_child_age[family_index] + 0.5) * 365.2425).astype(np.int64)
    start_day, end_day = _draw_membership(rng, role, is_first_parent, is_second_parent, born_day, eligibility_day,
                                          eldest_born, first_row[family_index], data_as_of)
    people = People(family_index=family_index, role=role, born_day=born_day, start_day=start_day, end_day=end_day)

    person_identifier = pl.DataFrame(
        {
            "person_id": people.person_id,
            "given_name": _draw_given_names(rng, sex),
            "family_name": _draw_surnames(rng, families, family_index, role, first_row, is_second_parent, kind),
            "date_of_birth": date_series("date_of_birth", born_day),
            "sex": pl.Series([*SEXES, None], dtype=pl.String).gather(np.where(sex == SEX_UNKNOWN, len(SEXES), sex)),
            "ethnic_group": _draw_ethnic_groups(rng, families.count, family_index),
            "postcode": _person_postcodes(rng, family_postcodes, family_index),
            "nhs_number": _sometimes(rng, rng.random(len(age)) >= SHARE_NHS_MISSING, identifiers.generate_nhs_numbers),
            "ni_number": _sometimes(rng, _has_ni_number(rng, age), identifiers.generate_ni_numbers),
            "upn": _draw_upns(rng, born_day, eligibility_day, role),
        }
    )
    family_member = pl.DataFrame(
        {
            "family_id": family_index + 1,
            "person_id": people.person_id,
            "role": pl.Series(FAMILY_ROLES).gather(role),
            "start_date": date_series("start_date", start_day),
            "end_date": date_series("end_date", end_day, present=end_day != NO_DATE),
        }
    )
    return people, person_identifier, family_member


def _draw_ages(rng, families: Families, family_index, role, is_first_parent, is_second_parent, kind):
    n = len(family_index)
    age = np.zeros(n, dtype=np.int64)
    child = role == CHILD
    age[child] = rng.integers(0, 18, int(child.sum()))
    eldest = np.zeros(families.count, dtype=np.int64)
    np.maximum.at(eldest, family_index[child], age[child])

    typical_first_age = np.rint(rng.normal(32, 6, families.count))
    old_enough = eldest + 17 + rng.poisson(2, families.count)  # at least 17 at the eldest child's birth
    first_age = np.clip(np.maximum(typical_first_age, old_enough), 18, 60).astype(np.int64)
    second_age = np.clip(first_age + np.rint(rng.normal(2, 4, families.count)), np.maximum(18, eldest + 16), 60)
    grandparent_age = np.clip(first_age + rng.integers(22, 31, families.count), 38, 85)
    other_age = rng.integers(18, 31, n)

    age[is_first_parent] = first_age[family_index[is_first_parent]]
    age[is_second_parent] = second_age[family_index[is_second_parent]]
    others = role == OTHER_ADULT
    grand = others & (kind == "multi_generational")
    age[grand] = grandparent_age[family_index[grand]]
    age[others & ~grand] = other_age[others & ~grand]
    return age, eldest


def _draw_sex(rng, families: Families, family_index, is_first_parent, is_second_parent, kind) -> np.ndarray:
    n = len(family_index)
    sex = np.where(rng.random(n) < 0.51, MALE, FEMALE)
    female_chance = np.vectorize(FIRST_PARENT_FEMALE.get)(np.array(FAMILY_TYPES))[families.family_type]
    first_sex = np.where(rng.random(families.count) < female_chance, FEMALE, MALE)
    # In two-parent families the second parent is usually of the other sex.
    second_sex = np.where(rng.random(families.count) < 0.97, 1 - first_sex, first_sex)
    sex[is_first_parent] = first_sex[family_index[is_first_parent]]
    sex[is_second_parent] = second_sex[family_index[is_second_parent]]
    sex[rng.random(n) < SHARE_SEX_MISSING] = SEX_UNKNOWN
    return sex


def _draw_membership(rng, role, is_first_parent, is_second_parent, born_day, eligibility_day, eldest_born,
                     family_first_row, data_as_of: date) -> tuple[np.ndarray, np.ndarray]:
    """Start dates on or before eligibility (children mostly from birth); a few adults leave after it."""
    n = len(role)
    start = born_day.copy()  # children born into the family
    joined = (role == CHILD) & (rng.random(n) < SHARE_CHILD_JOINED_LATER)
    start[joined] = born_day[joined] + np.floor(rng.random(int(joined.sum())) *
                                                (eligibility_day[joined] - born_day[joined])).astype(np.int64)
    adult_from_16 = add_years(born_day, 16)
    first_start = np.maximum(eldest_born - rng.integers(0, 731, n), adult_from_16)
    start[is_first_parent] = first_start[is_first_parent]
    later = is_second_parent & (rng.random(n) < SHARE_SECOND_PARENT_JOINED_LATER)
    parent_start = start[family_first_row]  # the first parent's start date for everyone in the family
    start[is_second_parent] = np.maximum(parent_start[is_second_parent], adult_from_16[is_second_parent])
    gap = np.maximum(eligibility_day - 30 - start, 0)
    start[later] = start[later] + np.floor(rng.random(int(later.sum())) * gap[later]).astype(np.int64)
    others = role == OTHER_ADULT
    start[others] = np.maximum(eligibility_day[others] - rng.integers(30, 3651, int(others.sum())), born_day[others])
    start = np.minimum(start, eligibility_day)

    end = np.full(n, NO_DATE, dtype=np.int64)
    leaves = (is_second_parent & (rng.random(n) < SHARE_LEFT_SECOND_PARENT)) | (
        (role == OTHER_ADULT) & (rng.random(n) < SHARE_LEFT_OTHER_ADULT)
    )
    leave_day = eligibility_day + rng.integers(90, 541, n)  # after the latest possible attachment date
    leaves &= leave_day <= day_number(data_as_of)
    end[leaves] = leave_day[leaves]
    return start, end


def _draw_given_names(rng, sex: np.ndarray) -> np.ndarray:
    names = np.empty(len(sex), dtype=object)
    unknown_as = np.where(rng.random(len(sex)) < 0.5, FEMALE, MALE)
    effective = np.where(sex == SEX_UNKNOWN, unknown_as, sex)
    for code, pool in ((FEMALE, "female"), (MALE, "male")):
        mask = effective == code
        names[mask] = draw_names(rng, pool, int(mask.sum()))
    return names.astype(str)


def _draw_surnames(rng, families: Families, family_index, role, first_row, is_second_parent, kind) -> np.ndarray:
    family_surname = draw_names(rng, "surname", families.count)
    own_surname = draw_names(rng, "surname", len(family_index))
    surname = family_surname[family_index].copy()
    second_own = is_second_parent & (rng.random(len(role)) < 0.4)
    surname[second_own] = own_surname[second_own]
    # Some children carry the second parent's surname.
    has_second = families.n_parents[family_index] == 2
    second_row = first_row[family_index] + 1
    from_second = (role == CHILD) & has_second & (rng.random(len(role)) < 0.2)
    surname[from_second] = surname[second_row[from_second]]
    others = role == OTHER_ADULT
    own = others & ~((kind == "multi_generational") & (rng.random(len(role)) < 0.5))
    surname[own] = own_surname[own]
    return surname


def _draw_ethnic_groups(rng, n_families: int, family_index: np.ndarray) -> pl.Series:
    shares = np.array([ETHNIC_SHARES[group] for group in ETHNIC_GROUPS])
    shares = shares / shares.sum()
    family_group = rng.choice(len(ETHNIC_GROUPS), size=n_families, p=shares)
    n = len(family_index)
    group = np.where(rng.random(n) < SHARE_ETHNICITY_AS_FAMILY, family_group[family_index],
                     rng.choice(len(ETHNIC_GROUPS), size=n, p=shares))
    series = pl.Series("ethnic_group", ETHNIC_GROUPS).gather(group)
    return series.zip_with(pl.Series(rng.random(n) >= SHARE_ETHNICITY_MISSING), pl.repeat(None, n, dtype=pl.String,
                                                                                           eager=True))


def _person_postcodes(rng, family_postcodes: pl.Series, family_index: np.ndarray) -> pl.Series:
    postcodes = family_postcodes.gather(family_index)
    missing = pl.Series(rng.random(len(family_index)) < SHARE_POSTCODE_MISSING)
    return postcodes.zip_with(~missing, pl.repeat(None, len(postcodes), dtype=pl.String, eager=True))


def _sometimes(rng, present: np.ndarray, generate) -> pl.Series:
    """Generated identifiers where `present`, null elsewhere."""
    return _scatter(present, generate(rng, int(present.sum())))


def _has_ni_number(rng, age: np.ndarray) -> np.ndarray:
    chance = np.select([age >= 18, age >= 16], [SHARE_NI_PRESENT_ADULT, SHARE_NI_PRESENT_AGED_16_17], 0.0)
    return rng.random(len(age)) < chance


def _draw_upns(rng, born_day: np.ndarray, eligibility_day: np.ndarray, role: np.ndarray) -> pl.Series:
    """UPNs for children who started school (the September after their 4th birthday) before eligibility."""
    born_year, born_month, _ = year_month_day(born_day)
    school_year = born_year + 4 + (born_month >= 9)
    # 1 September of school_year, for any year: a grown-up "child" of the family can be born long before UPNs
    # existed, and has none (UPNs date from 1999; here a school start from 1990 on gets one).
    school_year = np.asarray(school_year, dtype=np.int64)
    issued = ((school_year - 1970).astype("datetime64[Y]").astype("datetime64[M]")
              + np.timedelta64(8, "M")).astype("datetime64[D]").astype(np.int64)
    present = ((role == CHILD) & (school_year >= FIRST_UPN_SCHOOL_YEAR) & (issued <= eligibility_day)
               & (rng.random(len(role)) < SHARE_UPN_PRESENT))
    schools = np.sort(rng.choice(np.arange(2000, 4000), size=N_PRIMARY_SCHOOLS, replace=False))
    k = int(present.sum())
    upns = identifiers.generate_upns(
        rng, issued[present].astype("datetime64[D]"), schools[rng.integers(0, N_PRIMARY_SCHOOLS, k)]
    )
    return _scatter(present, upns)


def _scatter(present: np.ndarray, values: pl.Series) -> pl.Series:
    """A string series with `values` where `present` is True (in order) and null elsewhere."""
    result = pl.repeat(None, len(present), dtype=pl.String, eager=True)
    return result.scatter(np.flatnonzero(present), values)
