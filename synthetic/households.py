"""Synthetic families: where they live, how vulnerable they are, who is in them and when they became eligible.

Everything is drawn column-wise with numpy (one array per attribute, one element per family or person),
so 100,000 families take well under a second. Ages are set at the eligibility date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from data_access.config import Locality
from data_access.schema import ETHNIC_GROUPS, FAMILY_TYPES
from synthetic import model
from synthetic.calendar import day_number

PROGRAMME_START = date(2012, 4, 1)  # Dorset Families Matter began in April 2012
HISTORY_COMPLETE_YEARS = 6
"""Complete financial years of history before the one containing the data date, so that trends over the last five
complete years (after a maturing latest year) can be tested on the demo."""
ANNUAL_GROWTH = 0.12  # eligible families per day grow about 12% a year
MAX_ATTACHMENT_DELAY_DAYS = 60

FAMILY_TYPE_SHARES = {"lone_parent": 0.46, "two_parent": 0.36, "multi_generational": 0.08, "other": 0.10}
CHILDREN_SHARES = (0.30, 0.32, 0.21, 0.11, 0.06)  # 1..5 dependent children

# Approximate Census 2021 shares for Dorset (about 95-96% White, mostly White British), in schema order.
ETHNIC_SHARES = dict(
    zip(
        ETHNIC_GROUPS,
        (92.4, 0.5, 0.15, 0.05, 3.0, 0.4, 0.15, 0.45, 0.4, 0.3, 0.05, 0.1, 0.2, 0.45, 0.3, 0.1, 0.05, 0.1, 0.25),
        strict=True,
    )
)


@dataclass(frozen=True)
class Families:
    """One element per family (family_id = index + 1)."""

    locality_index: np.ndarray
    district: np.ndarray  # postcode district, e.g. "DT4"
    vulnerability: np.ndarray  # latent, never published
    deprivation_decile: np.ndarray
    family_type: np.ndarray  # index into FAMILY_TYPES
    n_parents: np.ndarray
    n_other_adults: np.ndarray
    n_children: np.ndarray
    eligibility_day: np.ndarray
    potential_attachment_day: np.ndarray  # the attachment date if the family is supported
    prior_contacts: np.ndarray

    @property
    def count(self) -> int:
        return len(self.locality_index)

    @property
    def family_id(self) -> np.ndarray:
        return np.arange(1, self.count + 1, dtype=np.int64)


def draw_families(rng: np.random.Generator, n_families: int, localities: tuple[Locality, ...], data_as_of: date
                  ) -> Families:
    shares = np.array([locality.relative_share for locality in localities], dtype=np.float64)
    locality_index = rng.choice(len(localities), size=n_families, p=shares / shares.sum())
    district = _draw_districts(rng, locality_index, localities)

    shift = np.array([locality.deprivation_shift for locality in localities])[locality_index]
    vulnerability = rng.standard_normal(n_families) + model.VULNERABILITY_PER_LOCALITY_SHIFT * shift
    decile = np.rint(
        model.DECILE_CENTRE
        - model.DECILE_PER_VULNERABILITY * vulnerability
        - model.DECILE_PER_LOCALITY_SHIFT * shift
        + rng.normal(0.0, model.DECILE_NOISE_SD, n_families)
    )
    deprivation_decile = np.clip(decile, 1, 10).astype(np.int64)

    type_shares = np.array([FAMILY_TYPE_SHARES[name] for name in FAMILY_TYPES])
    family_type = rng.choice(len(FAMILY_TYPES), size=n_families, p=type_shares)
    n_children = 1 + rng.choice(len(CHILDREN_SHARES), size=n_families, p=np.array(CHILDREN_SHARES))
    n_parents, n_other_adults = _draw_adults(rng, family_type)

    eligibility_day = _draw_eligibility_days(rng, n_families, data_as_of)
    room = np.minimum(MAX_ATTACHMENT_DELAY_DAYS, day_number(data_as_of) - eligibility_day)
    potential_attachment_day = eligibility_day + np.floor(rng.random(n_families) * (room + 1)).astype(np.int64)

    prior_contacts = rng.poisson(
        np.exp(model.PRIOR_CONTACTS_LOG_MEAN + model.PRIOR_CONTACTS_PER_VULNERABILITY * vulnerability)
    ).astype(np.int64)
    return Families(
        locality_index=locality_index,
        district=district,
        vulnerability=vulnerability,
        deprivation_decile=deprivation_decile,
        family_type=family_type,
        n_parents=n_parents,
        n_other_adults=n_other_adults,
        n_children=n_children,
        eligibility_day=eligibility_day,
        potential_attachment_day=potential_attachment_day,
        prior_contacts=prior_contacts,
    )


def _draw_districts(rng: np.random.Generator, locality_index: np.ndarray, localities: tuple[Locality, ...]
                    ) -> np.ndarray:
    """A district of the family's own locality, each of the locality's districts equally likely."""
    widths = np.array([len(locality.postcode_districts) for locality in localities])
    offsets = np.concatenate([[0], np.cumsum(widths)[:-1]])
    all_districts = np.array([district for locality in localities for district in locality.postcode_districts])
    pick = np.floor(rng.random(len(locality_index)) * widths[locality_index]).astype(np.int64)
    return all_districts[offsets[locality_index] + pick]


def _draw_adults(rng: np.random.Generator, family_type: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(family_type)
    kind = np.array(FAMILY_TYPES)[family_type]
    n_parents = np.ones(n, dtype=np.int64)
    n_parents[kind == "two_parent"] = 2
    multi = kind == "multi_generational"
    n_parents[multi] = 1 + (rng.random(int(multi.sum())) < 0.5)
    n_other = np.zeros(n, dtype=np.int64)
    n_other[multi] = 1 + (rng.random(int(multi.sum())) < 0.4)  # one or two grandparents
    other_chance = np.select([kind == "lone_parent", kind == "two_parent", kind == "other"], [0.08, 0.05, 0.5], 0.0)
    n_other[~multi] = (rng.random(int((~multi).sum())) < other_chance[~multi]).astype(np.int64)
    return n_parents, n_other


def history_start(data_as_of: date) -> date:
    """1 April, HISTORY_COMPLETE_YEARS financial years before the financial year containing data_as_of."""
    first_year = (data_as_of.year if data_as_of.month >= 4 else data_as_of.year - 1) - HISTORY_COMPLETE_YEARS
    return date(first_year, 4, 1)


def _draw_eligibility_days(rng: np.random.Generator, n: int, data_as_of: date) -> np.ndarray:
    """Days from history_start(data_as_of) to data_as_of, with a density growing ANNUAL_GROWTH a year
    (inverse-CDF sampling)."""
    first = history_start(data_as_of)
    if first < PROGRAMME_START:
        raise ValueError(f"data_as_of {data_as_of} would put the programme data start ({first}) before the "
                         f"programme began ({PROGRAMME_START}).")
    start, end = day_number(first), day_number(data_as_of)
    span = end - start + 1
    growth = np.log1p(ANNUAL_GROWTH) / 365.25
    offset = np.log1p(rng.random(n) * np.expm1(growth * span)) / growth
    return start + np.minimum(np.floor(offset).astype(np.int64), span - 1)
