"""Need observations over time, with the planted programme effect, and the ground truth it implies.

For every unit the measure applies to at the index date there is a baseline observation on the index date.
Units with the need at baseline are followed: review (index + 182 days), closure (supported, closed),
12-month impact follow-up (index + 365) and sustained check (closure + 183; comparison: index + 548),
each only if dated on or before data_as_of.

The 12-month status carries the effect: P(still present) = clip(base - reduction * effect_scale * supported,
0.01, 0.99), where base rises with latent vulnerability, prior contacts and number of needs. Review,
closure and sustained-check statuses are drawn given the 12-month status, so they stay consistent with
it (and with effect_scale = 0 treated and untreated units share every probability). Uniform draws are made
for every followed unit whatever the effect scale, so worlds differing only in effect_scale share families,
cohorts and baselines exactly (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from data_access.config import Locality, MeasureCatalogue
from synthetic import model
from synthetic.calendar import age_on, date_series, day_number
from synthetic.episodes import FOLLOW_UP_DAYS, NO_DATE, Episodes
from synthetic.households import Families
from synthetic.needs import NO_PERSON, Units, short_sources
from synthetic.people import People

REVIEW_DAYS = 182
SUSTAINED_AFTER_CLOSURE_DAYS = 183
COMPARISON_SUSTAINED_DAYS = 548
PROBABILITY_FLOOR, PROBABILITY_CEILING = 0.01, 0.99


@dataclass(frozen=True)
class Outcomes:
    need_observation: pl.DataFrame
    followed_units: pl.DataFrame  # one row per unit with the need at baseline: the unit-level truth


def persistence_probabilities(measure_index: np.ndarray, vulnerability: np.ndarray, prior_contacts: np.ndarray,
                              n_needs: np.ndarray, catalogue: MeasureCatalogue, effect_scale: float
                              ) -> tuple[np.ndarray, np.ndarray]:
    """(P(present at 12 months | untreated), P(present at 12 months | treated)) for each followed unit."""
    base_rate = np.array([model.need_model(measure.id).persistence_untreated for measure in catalogue.measures])
    reduction = np.array([model.planted_reduction_pp(measure.id) for measure in catalogue.measures]) / 100
    log_odds = (
        np.log(base_rate / (1 - base_rate))[measure_index]
        + model.PERSISTENCE_PER_VULNERABILITY * vulnerability
        + model.PERSISTENCE_PER_PRIOR_CONTACT * (prior_contacts - model.TYPICAL_PRIOR_CONTACTS)
        + model.PERSISTENCE_PER_NEED * (n_needs - model.TYPICAL_NEEDS)
    )
    base = 1 / (1 + np.exp(-log_odds))
    untreated = np.clip(base, PROBABILITY_FLOOR, PROBABILITY_CEILING)
    treated = np.clip(base - reduction[measure_index] * effect_scale, PROBABILITY_FLOOR, PROBABILITY_CEILING)
    return untreated, treated


def draw_outcomes(rng: np.random.Generator, families: Families, people: People, units: Units, episodes: Episodes,
                  catalogue: MeasureCatalogue, localities: tuple[Locality, ...], effect_scale: float,
                  data_as_of: date) -> Outcomes:
    as_of = day_number(data_as_of)
    min_age = np.array([measure.min_age for measure in catalogue.measures])
    max_age = np.array([measure.max_age for measure in catalogue.measures])
    index_day = episodes.index_day[units.family_index]
    is_person = units.person_index != NO_PERSON
    age = age_on(people.born_day[units.person_index], index_day)
    applies = ~is_person | ((age >= min_age[units.measure_index]) & (age <= max_age[units.measure_index]))
    baseline = np.flatnonzero(applies)

    followed = baseline[units.need[baseline]]
    family = units.family_index[followed]
    supported = episodes.supported[family]
    untreated, treated = persistence_probabilities(units.measure_index[followed], families.vulnerability[family],
                                                   families.prior_contacts[family], episodes.n_needs[family],
                                                   catalogue, effect_scale)
    draws = rng.random((4, len(followed)))  # 12 months, review, closure, sustained check
    present_12m = draws[0] < np.where(supported, treated, untreated)

    def given_12m(pair: tuple[float, float], uniform: np.ndarray) -> np.ndarray:
        return uniform < np.where(present_12m, pair[1], pair[0])

    start = index_day[followed]
    closure = episodes.closure_day[family]
    closed = closure != NO_DATE
    sustained_day = np.where(supported, closure + SUSTAINED_AFTER_CLOSURE_DAYS, start + COMPARISON_SUSTAINED_DAYS)
    later = [
        (start + REVIEW_DAYS, given_12m(model.P_PRESENT_AT_REVIEW, draws[1]), np.ones(len(followed), dtype=bool)),
        (closure, given_12m(model.P_PRESENT_AT_CLOSURE, draws[2]), supported & closed),
        (start + FOLLOW_UP_DAYS, present_12m, np.ones(len(followed), dtype=bool)),
        (sustained_day, given_12m(model.P_PRESENT_AT_SUSTAINED_CHECK, draws[3]), ~supported | closed),
    ]
    unit_rows = [baseline]
    days = [index_day[baseline]]
    present = [units.need[baseline]]
    for day, status, exists in later:
        keep = exists & (day <= as_of)
        unit_rows.append(followed[keep])
        days.append(day[keep])
        present.append(status[keep])
    rows = np.concatenate(unit_rows)
    observation = _observation_frame(rng, units, rows, np.concatenate(days), np.concatenate(present), catalogue)

    measure_ids = pl.Series([measure.id for measure in catalogue.measures])
    locality_codes = pl.Series([locality.code for locality in localities])
    person = units.person_index[followed]
    followed_units = pl.DataFrame(
        {
            "measure_id": measure_ids.gather(units.measure_index[followed]),
            "family_id": family + 1,
            "person_id": pl.Series(np.where(person == NO_PERSON, 0, person + 1)).zip_with(
                pl.Series(person != NO_PERSON), pl.repeat(None, len(person), dtype=pl.Int64, eager=True)),
            "supported": supported,
            "index_date": date_series("index_date", start),
            "followed_up_12m": start + FOLLOW_UP_DAYS <= as_of,
            "need_present_12m": present_12m,
            "p_present_untreated": untreated,
            "p_present_treated": treated,
            "n_needs": episodes.n_needs[family],
            "prior_contacts": families.prior_contacts[family],
            "deprivation_decile": families.deprivation_decile[family],
            "locality_code": locality_codes.gather(families.locality_index[family]),
            "vulnerability": families.vulnerability[family],
        }
    )
    return Outcomes(need_observation=observation, followed_units=followed_units)


def _observation_frame(rng: np.random.Generator, units: Units, rows: np.ndarray, days: np.ndarray,
                       present: np.ndarray, catalogue: MeasureCatalogue) -> pl.DataFrame:
    """Observation rows sorted by family, person, measure and date, numbered 1, 2, 3, ..."""
    choices = [short_sources(measure.source) for measure in catalogue.measures]
    all_sources = pl.Series([source for options in choices for source in options])
    first = np.concatenate([[0], np.cumsum([len(options) for options in choices])[:-1]])
    width = np.array([len(options) for options in choices])
    measure_index = units.measure_index[rows]
    source = first[measure_index] + np.floor(rng.random(len(rows)) * width[measure_index]).astype(np.int64)
    person = units.person_index[rows]
    frame = pl.DataFrame(
        {
            "measure_index": measure_index,
            "family_id": units.family_index[rows] + 1,
            "person_id": pl.Series(person + 1).zip_with(
                pl.Series(person != NO_PERSON), pl.repeat(None, len(person), dtype=pl.Int64, eager=True)),
            "observed_on": date_series("observed_on", days),
            "need_present": present,
            "source_index": source,
        }
    ).sort(["family_id", "person_id", "measure_index", "observed_on"], nulls_last=False, maintain_order=True)
    measure_ids = pl.Series([measure.id for measure in catalogue.measures])
    return frame.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("observation_id"),
        pl.col("measure_index").replace_strict(dict(enumerate(measure_ids)), return_dtype=pl.String).alias(
            "measure_id"),
        "family_id",
        "person_id",
        "observed_on",
        "need_present",
        pl.col("source_index").replace_strict(dict(enumerate(all_sources)), return_dtype=pl.String).alias("source"),
    )


def true_att(followed_units: pl.DataFrame, catalogue: MeasureCatalogue) -> pl.DataFrame:
    """The ATT an estimator should recover: mean over supported units followed up at 12 months of
    (P(present | treated) - P(present | untreated)) x 100. Negative = the programme reduces the need."""
    per_measure = (
        followed_units.filter(pl.col("supported") & pl.col("followed_up_12m"))
        .group_by("measure_id")
        .agg(
            ((pl.col("p_present_treated") - pl.col("p_present_untreated")).mean() * 100).alias("true_att_pp"),
            pl.len().cast(pl.Int64).alias("n_units"),
        )
    )
    measures = pl.DataFrame({"measure_id": [measure.id for measure in catalogue.measures]})
    return measures.join(per_measure, on="measure_id", how="left", maintain_order="left").with_columns(
        pl.col("n_units").fill_null(0)
    )
