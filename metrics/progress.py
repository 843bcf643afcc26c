"""Progress against each measure for every unit (person or family) with the need when support began.

One row per supported episode x measure x unit with the need at baseline, with flags:
  reviewed          a follow-up review or closure observation exists
  improved          the latest observation after the start (up to closure, or to date) shows the need absent
  due_sustain_check the episode closed at least SUSTAIN_DAYS before the data date
  sustained         due, improved at closure, observed again within SUSTAIN_DAYS after closure, no recurrence
The key dates are documented in docs/architecture.md.
"""

from __future__ import annotations

import polars as pl

from data_access.config import MeasureCatalogue
from data_access.linked_reads import LinkedData
from metrics.periods import age_on, financial_year_expr, quarter_expr

BASELINE_LOOKBACK_DAYS = 183
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


def unit_progress(linked: LinkedData, catalogue: MeasureCatalogue) -> pl.LazyFrame:
    """Every unit with a need at baseline, with its progress flags and breakdown attributes."""
    as_of = linked.data_as_of
    episodes = supported_episodes(linked)
    follow_up_end = pl.coalesce(pl.col("closure_date"), pl.lit(as_of))
    observed = pl.col("observed_on")
    phased = (
        linked.observations.lazy()
        .join(episodes.select("episode_id", "family_id", "index_date", "closure_date"), on="family_id")
        .with_columns(
            is_baseline=observed.is_between(pl.col("index_date") - pl.duration(days=BASELINE_LOOKBACK_DAYS),
                                            pl.col("index_date")),
            is_follow_up=(observed > pl.col("index_date")) & (observed <= follow_up_end),
            is_post_closure=pl.col("closure_date").is_not_null()
            & (observed > pl.col("closure_date"))
            & (observed <= pl.col("closure_date") + pl.duration(days=SUSTAIN_DAYS)),
        )
    )
    present = pl.col("need_present")
    per_unit = (
        phased.sort("observed_on")
        .group_by("episode_id", "measure_id", "person_id")
        .agg(
            with_need=present.filter(pl.col("is_baseline")).last().fill_null(False),
            reviewed=pl.col("is_follow_up").any(),
            improved=(~present.filter(pl.col("is_follow_up")).last()).fill_null(False),
            post_closure_observed=pl.col("is_post_closure").any(),
            post_closure_recurred=(present & pl.col("is_post_closure")).any(),
        )
        .filter(pl.col("with_need"))
    )
    unit_of = pl.DataFrame(
        {"measure_id": [m.id for m in catalogue.measures], "unit": [m.unit for m in catalogue.measures]}
    ).lazy()
    people = linked.people.lazy().select("person_id", "sex", "ethnic_group", "date_of_birth")
    return (
        per_unit.join(unit_of, on="measure_id")
        .join(episodes, on="episode_id")
        .join(people, on="person_id", how="left")
        .with_columns(
            due_sustain_check=pl.col("closure_date").is_not_null()
            & (pl.col("closure_date") + pl.duration(days=SUSTAIN_DAYS) <= pl.lit(as_of)),
            age_at_index=age_on(pl.col("date_of_birth"), pl.col("index_date")),
            financial_year=financial_year_expr(pl.col("index_date")),
            quarter=quarter_expr(pl.col("index_date")),
        )
        .with_columns(
            sustained=pl.col("due_sustain_check") & pl.col("improved") & pl.col("post_closure_observed")
            & ~pl.col("post_closure_recurred"),
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
