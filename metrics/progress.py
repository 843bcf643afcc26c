"""Progress against each measure for every unit (person or family) with the need when support began.

The Supporting Families rule, as this dashboard applies it (docs/architecture.md, "Key dates"):

  index date      attachment_date
  baseline        the latest observation on or before the index date and at most BASELINE_LOOKBACK_DAYS before it
                  (two on one day: "present" wins); the unit is counted when it shows the need
  follow-up point F = index + REVIEW_DAYS (the six-month review), or the closure date if the case closed earlier
  status at a date  the latest observation after the index date and on or before that date (same-day tie:
                  "present" wins, so a need is never assumed away)

One row per supported episode x measure x unit in the measure's population (metrics.population) with the need at
baseline, with flags:
  reviewed          F is on or before the data date and there is a status at F
  improved          reviewed, and the status at F is "need absent". Nothing observed after F counts: not the closure
                    observation of a case that closed after its review, and not the 12-month impact follow-up
                    (index + 365, which belongs to the impact analysis, metrics.impact)
  due_sustain_check the episode closed at least SUSTAIN_DAYS before the data date
  sustained         due, improved, need absent at closure (status at the closure date), observed at least once in
                    the SUSTAIN_DAYS after closure, and the need present at none of those observations
"""

from __future__ import annotations

import polars as pl

from data_access.config import MeasureCatalogue
from data_access.linked_reads import LinkedData
from metrics.periods import age_on, financial_year_expr, quarter_expr
from metrics.population import keep_measure_population, measure_ages

BASELINE_LOOKBACK_DAYS = 183
REVIEW_DAYS = 182
SUSTAIN_DAYS = 183

UNIT_FLAGS = ("with_need", "reviewed", "improved", "due_sustain_check", "sustained")


def supported_episodes(linked: LinkedData) -> pl.LazyFrame:
    """Supported episodes with their index date, locality name and family attributes."""
    localities = linked.localities.lazy().select("locality_code", locality=pl.col("locality_name"))
    families = linked.families.lazy().select("family_id", "locality_code", "family_type")
    return (
        linked.episodes.lazy()
        .filter(pl.col("cohort") == "supported")
        .select("episode_id", "family_id", "route_into_support", "closure_date",
                index_date=pl.col("attachment_date"))
        .join(families, on="family_id", how="left")
        .join(localities, on="locality_code", how="left")
    )


def follow_up_date(index_date: pl.Expr, closure_date: pl.Expr) -> pl.Expr:
    """F: the six-month review (index + REVIEW_DAYS), or the closure date when the case closed before it."""
    review = index_date + pl.duration(days=REVIEW_DAYS)
    return pl.when(closure_date.is_not_null() & (closure_date < review)).then(closure_date).otherwise(review)


def _status_at(present: pl.Expr, window: pl.Expr) -> pl.Expr:
    """Need present at the latest observation inside `window` (null when none); same day: present wins."""
    rank = pl.col("observed_on").cast(pl.Int64) * 2 + present.cast(pl.Int64)
    return present.filter(window).get(rank.filter(window).arg_max())


def unit_progress(linked: LinkedData, catalogue: MeasureCatalogue) -> pl.LazyFrame:
    """Every unit with a need at baseline, with its progress flags and breakdown attributes."""
    as_of = pl.lit(linked.data_as_of)
    episodes = supported_episodes(linked).with_columns(
        follow_up_date=follow_up_date(pl.col("index_date"), pl.col("closure_date")))
    observed, index, closure = pl.col("observed_on"), pl.col("index_date"), pl.col("closure_date")
    present = pl.col("need_present")
    phased = (
        linked.observations.lazy()
        .join(episodes.select("episode_id", "family_id", "index_date", "closure_date", "follow_up_date"),
              on="family_id")
        .with_columns(
            is_baseline=observed.is_between(index - pl.duration(days=BASELINE_LOOKBACK_DAYS), index),
            to_follow_up=(observed > index) & (observed <= pl.col("follow_up_date")),
            to_closure=closure.is_not_null() & (observed > index) & (observed <= closure),
            after_closure=closure.is_not_null() & (observed > closure)
            & (observed <= closure + pl.duration(days=SUSTAIN_DAYS)),
        )
    )
    per_unit = (
        phased.group_by("episode_id", "measure_id", "person_id")
        .agg(
            with_need=_status_at(present, pl.col("is_baseline")).fill_null(False),
            at_follow_up=_status_at(present, pl.col("to_follow_up")),
            at_closure=_status_at(present, pl.col("to_closure")),
            observed_after_closure=pl.col("after_closure").any(),
            recurred_after_closure=(present & pl.col("after_closure")).any(),
        )
        .filter(pl.col("with_need"))
    )
    people = linked.people.lazy().select("person_id", "sex", "ethnic_group", "date_of_birth")
    units = (
        per_unit.join(measure_ages(catalogue).lazy(), on="measure_id")
        .join(episodes, on="episode_id")
        .join(people, on="person_id", how="left")
        .with_columns(age_at_index=age_on(pl.col("date_of_birth"), pl.col("index_date")))
    )
    due = closure.is_not_null() & (closure + pl.duration(days=SUSTAIN_DAYS) <= as_of)
    reviewed = (pl.col("follow_up_date") <= as_of) & pl.col("at_follow_up").is_not_null()
    return (
        keep_measure_population(units, catalogue)
        .with_columns(
            reviewed=reviewed,
            improved=reviewed & ~pl.col("at_follow_up").fill_null(True),
            due_sustain_check=due,
            financial_year=financial_year_expr(pl.col("index_date")),
            quarter=quarter_expr(pl.col("index_date")),
        )
        .with_columns(
            sustained=pl.col("due_sustain_check") & pl.col("improved") & ~pl.col("at_closure").fill_null(True)
            & pl.col("observed_after_closure") & ~pl.col("recurred_after_closure"),
            # Person breakdowns do not apply to family measures.
            sex=pl.when(pl.col("unit") == "person").then(pl.col("sex")),
            ethnic_group=pl.when(pl.col("unit") == "person").then(pl.col("ethnic_group")),
        )
        .select(
            "measure_id", "unit", "episode_id", "family_id", "person_id", "locality", "financial_year", "quarter",
            "sex", "age_at_index", "ethnic_group", "route_into_support", "family_type", *UNIT_FLAGS,
        )
    )


def successful_family_outcomes(units: pl.LazyFrame, linked: LinkedData) -> pl.LazyFrame:
    """Families due a sustain check, and whether every need they had at baseline was improved and sustained.

    A family counts as successful when it had at least one measured need at baseline and every unit
    with a need (in every measure) improved and sustained it for 6 months after closure.
    """
    due = units.filter(pl.col("due_sustain_check"))
    return (
        due.group_by("episode_id")
        .agg(successful=pl.col("sustained").all())
        .join(supported_episodes(linked), on="episode_id")
        .with_columns(financial_year=financial_year_expr(pl.col("index_date")),
                      quarter=quarter_expr(pl.col("index_date")))
    )
