"""Needs at baseline for every applicable unit, and the eligibility needs found at assessment.

A unit is a family (family measures) or a person whose age lies in the measure's range (person measures).
Needs are drawn before anyone is supported, with probabilities rising with the family's latent
vulnerability, so needs within a family are correlated. A unit is drawn if the measure applies at the
eligibility date or at the date support would begin, so the baseline exists whichever cohort the family joins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from data_access.config import MeasureCatalogue
from synthetic import model
from synthetic.calendar import age_on
from synthetic.households import Families
from synthetic.people import CHILD, People

NO_PERSON = -1

# Needs councils find in national data or at assessment rather than through the twelve measures.
NATIONAL_DATA_NEEDS = {
    "education": ("National Pupil Database (school attendance)", -0.8, 0.6),  # source, log-odds, per vulnerability
    "financial": ("DWP benefit records (out of work)", -0.6, 0.5),
}
TOP_UP_WEIGHTS = {"education": 3.0, "financial": 3.0, "health": 2.0, "safeguarding": 1.5}
TOP_UP_SOURCE = "Whole-family assessment"
MINIMUM_NEEDS = 3


@dataclass(frozen=True)
class Units:
    """One element per (measure, family or person) unit that applies at eligibility or potential attachment."""

    measure_index: np.ndarray
    family_index: np.ndarray
    person_index: np.ndarray  # NO_PERSON for family measures
    need: np.ndarray  # need present at baseline
    applies_at_eligibility: np.ndarray


def short_sources(source: str) -> tuple[str, ...]:
    """The alternatives in a measure's source text ("A; B", "A, B"), without parentheses, each <= 64 chars."""
    depth, kept = 0, []
    for character in source:
        depth += character == "("
        if depth == 0:
            kept.append(character)
        depth -= character == ")" and depth > 0
    parts = [" ".join(part.split()) for part in "".join(kept).replace(";", ",").split(",")]
    return tuple(part[:64] for part in parts if part) or ("Key worker assessment",)


def draw_baseline_needs(rng: np.random.Generator, families: Families, people: People,
                        catalogue: MeasureCatalogue) -> Units:
    parts: list[tuple[np.ndarray, ...]] = []
    age_at_eligibility = age_on(people.born_day, families.eligibility_day[people.family_index])
    age_at_attachment = age_on(people.born_day, families.potential_attachment_day[people.family_index])
    for index, measure in enumerate(catalogue.measures):
        if measure.unit == "family":
            family_index = np.arange(families.count)
            person_index = np.full(families.count, NO_PERSON)
            applies_at_eligibility = np.ones(families.count, dtype=bool)
        else:
            at_eligibility = (age_at_eligibility >= measure.min_age) & (age_at_eligibility <= measure.max_age)
            at_attachment = (age_at_attachment >= measure.min_age) & (age_at_attachment <= measure.max_age)
            person_index = np.flatnonzero(at_eligibility | at_attachment)
            family_index = people.family_index[person_index]
            applies_at_eligibility = at_eligibility[person_index]
        parts.append((np.full(len(family_index), index), family_index, person_index, applies_at_eligibility))

    measure_index, family_index, person_index, applies = (np.concatenate(column) for column in zip(*parts, strict=True))
    intercept, slope = _need_coefficients(catalogue)
    log_odds = intercept[measure_index] + slope[measure_index] * families.vulnerability[family_index]
    need = rng.random(len(measure_index)) < 1 / (1 + np.exp(-log_odds))
    return Units(measure_index, family_index, person_index, need, applies)


def _need_coefficients(catalogue: MeasureCatalogue) -> tuple[np.ndarray, np.ndarray]:
    """Intercepts chosen so the average probability over vulnerability ~ N(0, 1) is near the target prevalence."""
    models = [model.need_model(measure.id) for measure in catalogue.measures]
    slope = np.array([need.vulnerability_slope for need in models])
    prevalence = np.array([need.baseline_prevalence for need in models])
    # Probit-style approximation: E[sigmoid(a + bV)] ~ sigmoid(a / sqrt(1 + pi b^2 / 8)).
    intercept = np.log(prevalence / (1 - prevalence)) * np.sqrt(1 + np.pi * slope**2 / 8)
    return intercept, slope


def draw_eligibility_needs(rng: np.random.Generator, families: Families, people: People, units: Units,
                           catalogue: MeasureCatalogue) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(has_need, source index, source texts): families x headline outcomes, at least MINIMUM_NEEDS a family.

    Needs come from the measures with a baseline need, then national-data needs (education, financial),
    then, for families still short of three, further needs found at the whole-family assessment.
    """
    headlines = [outcome.id for outcome in catalogue.headline_outcomes]
    measure_headline = np.array([headlines.index(measure.headline_outcome) for measure in catalogue.measures])
    sources = list(dict.fromkeys(
        [short_sources(measure.source)[0] for measure in catalogue.measures]
        + [source for source, _, _ in NATIONAL_DATA_NEEDS.values()]
        + [TOP_UP_SOURCE]
    ))
    measure_source = np.array([sources.index(short_sources(measure.source)[0]) for measure in catalogue.measures])

    has_need = np.zeros((families.count, len(headlines)), dtype=bool)
    source = np.full((families.count, len(headlines)), -1, dtype=np.int64)
    found = units.need & units.applies_at_eligibility
    # Reverse order so the first measure of a headline names the source.
    rows = np.flatnonzero(found)[::-1]
    has_need[units.family_index[rows], measure_headline[units.measure_index[rows]]] = True
    source[units.family_index[rows], measure_headline[units.measure_index[rows]]] = measure_source[
        units.measure_index[rows]]

    school_age = family_has_child_aged(families, people, 5, 17)
    under_five = family_has_child_aged(families, people, 0, 4)
    for headline, (source_text, intercept, slope) in NATIONAL_DATA_NEEDS.items():
        if headline not in headlines:
            continue
        column = headlines.index(headline)
        chance = 1 / (1 + np.exp(-(intercept + slope * families.vulnerability)))
        new = ~has_need[:, column] & (rng.random(families.count) < chance)
        if headline == "education":
            new &= school_age
        has_need[new, column] = True
        source[new, column] = sources.index(source_text)

    weights = np.array([TOP_UP_WEIGHTS.get(headline, 1.0) for headline in headlines])
    allowed = np.ones_like(has_need)
    if "education" in headlines:
        allowed[:, headlines.index("education")] = school_age
    if "early_years" in headlines:
        allowed[:, headlines.index("early_years")] = under_five
    # Weighted sampling without replacement by exponential races: smallest keys win.
    keys = rng.exponential(size=has_need.shape) / weights
    keys[has_need | ~allowed] = np.inf
    short = np.maximum(MINIMUM_NEEDS - has_need.sum(axis=1), 0)
    order = np.argsort(keys, axis=1, kind="stable")
    for rank in range(MINIMUM_NEEDS):
        take = short > rank
        column = order[take, rank]
        has_need[take, column] = True
        source[take, column] = sources.index(TOP_UP_SOURCE)
    return has_need, np.where(has_need, source, -1), sources


def family_has_child_aged(families: Families, people: People, low: int, high: int) -> np.ndarray:
    """Families with a child whose age at eligibility is in [low, high]."""
    age = age_on(people.born_day, families.eligibility_day[people.family_index])
    child = (people.role == CHILD) & (age >= low) & (age <= high)
    result = np.zeros(families.count, dtype=bool)
    result[people.family_index[child]] = True
    return result


def eligibility_need_frame(has_need: np.ndarray, source: np.ndarray, sources: list[str], episode_id: np.ndarray,
                           catalogue: MeasureCatalogue) -> pl.DataFrame:
    family_index, headline_index = np.nonzero(has_need)
    headlines = [outcome.id for outcome in catalogue.headline_outcomes]
    return pl.DataFrame(
        {
            "episode_id": episode_id[family_index],
            "headline_outcome": pl.Series(headlines).gather(headline_index),
            "source": pl.Series(sources).gather(source[family_index, headline_index]),
        }
    )
