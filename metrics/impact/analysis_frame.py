"""The analysis frame: one row per unit with the need at baseline, its covariates, treatment and outcome.

Works on polars frames, so the database path (reads.py) and in-memory synthetic worlds share it.

Key dates (docs/architecture.md): index = attachment_date (supported) or eligibility_date (comparison);
baseline = the latest observation on or before the index date and no more than 183 days before it;
12-month follow-up = the observation nearest to index + 365 days, within FOLLOW_UP_WINDOW_DAYS either side.
Units whose follow-up date is after the data date are "not yet due"; due units with no follow-up
observation are "missing follow-up". Both are left out of the analysis and counted.

Covariates are all measured before support began: the family's baseline needs (one indicator per
measure), the number of needs found at assessment, prior agency contacts, deprivation decile, family
type, locality, number of children and youngest child's age, cohort year (financial year of the index
date; also matched exactly), and for person measures the person's age, sex and a broad ethnic group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl

from data_access.config import MeasureCatalogue
from metrics.impact.propensity import CovariateSpec
from metrics.periods import age_on, financial_year_expr
from metrics.population import in_measure_population

BASELINE_LOOKBACK_DAYS = 183
FOLLOW_UP_DAYS = 365
FOLLOW_UP_WINDOW_DAYS = 30
NO_PERSON = 0  # stands in for the empty person_id of family measures inside keys (nulls never join)

ANY_NEED = "any_need"
"""Family-level outcome: any of the family's baseline needs (any measure) still present at follow-up."""

FAMILY_COVARIATES_NUMERIC = ("n_needs", "prior_contacts", "deprivation_decile", "n_children", "youngest_child_age")
FAMILY_COVARIATES_CATEGORICAL = ("family_type", "locality", "cohort_year")
PERSON_COVARIATES_NUMERIC = ("age_at_index",)
PERSON_COVARIATES_CATEGORICAL = ("sex", "ethnic_group_broad")
WHITE_BRITISH = "White: English, Welsh, Scottish, Northern Irish or British"


@dataclass(frozen=True)
class ImpactInputs:
    """The linked data minimised for impact analysis: no names, no identifiers, no dates of birth."""

    episodes: pl.DataFrame  # episode_id, family_id, treated, index_date, prior_contacts
    families: pl.DataFrame  # family_id, locality, family_type, deprivation_decile
    people_at_index: pl.DataFrame  # episode_id, person_id, role, member_at_index, age_at_index, sex, ethnic_group_broad
    needs_at_assessment: pl.DataFrame  # episode_id, n_needs
    observations: pl.DataFrame  # measure_id, family_id, person_id, observed_on, need_present
    data_as_of: date


def impact_inputs(tables: Mapping[str, pl.DataFrame], data_as_of: date | None = None) -> ImpactInputs:
    """Minimise linked tables (keyed by schema table name) to what the impact analysis needs.

    Dates of birth are turned into ages at the index date here and go no further.
    """
    if data_as_of is None:
        info = tables["dataset_info"]
        data_as_of = date.fromisoformat(info.filter(pl.col("key") == "data_as_of")["value"].item())
    episodes = tables["programme_episode"].select(
        "episode_id",
        "family_id",
        treated=pl.col("cohort") == "supported",
        index_date=pl.when(pl.col("cohort") == "supported")
        .then(pl.col("attachment_date"))
        .otherwise(pl.col("eligibility_date")),
        prior_contacts=pl.col("prior_contacts"),
    )
    localities = tables["locality"].select("locality_code", locality=pl.col("locality_name"))
    families = (
        tables["family"]
        .select("family_id", "locality_code", "family_type", "deprivation_decile")
        .join(localities, on="locality_code", how="left")
        .drop("locality_code")
    )
    people = tables["person_identifier"].select("person_id", "date_of_birth", "sex", "ethnic_group")
    index = pl.col("index_date")
    people_at_index = (
        tables["family_member"]
        .select("family_id", "person_id", "role", "start_date", "end_date")
        .join(episodes.select("episode_id", "family_id", "index_date"), on="family_id")
        .join(people, on="person_id", how="left")
        .select(
            "episode_id",
            "person_id",
            "role",
            member_at_index=(pl.col("start_date") <= index)
            & (pl.col("end_date").is_null() | (pl.col("end_date") > index)),
            age_at_index=age_on(pl.col("date_of_birth"), index),
            sex=pl.col("sex"),
            ethnic_group_broad=pl.when(pl.col("ethnic_group").is_null()).then(None)
            .when(pl.col("ethnic_group") == WHITE_BRITISH).then(pl.lit("White British"))
            .otherwise(pl.lit("Other ethnic groups")),
        )
        # A person in the same family twice (left and re-joined) keeps the spell that covers the index date.
        .sort("member_at_index", descending=True)
        .unique(["episode_id", "person_id"], keep="first", maintain_order=True)
    )
    needs = tables["eligibility_need"].group_by("episode_id").agg(n_needs=pl.len().cast(pl.Int64))
    observations = tables["need_observation"].select("measure_id", "family_id", "person_id", "observed_on",
                                                     "need_present")
    return ImpactInputs(episodes, families, people_at_index, needs, observations, data_as_of)


@dataclass(frozen=True)
class FollowUpCounts:
    """How many units with the need at baseline were analysed, not yet due, or missing their follow-up."""

    with_need: int
    analysed: int
    not_yet_due: int
    missing_follow_up: int


@dataclass(frozen=True)
class AnalysisFrame:
    outcome_id: str  # measure id, or ANY_NEED
    unit: str  # "person" or "family"
    frame: pl.DataFrame  # one row per analysed unit: keys, treated, outcome, covariates
    spec: CovariateSpec
    counts: pl.DataFrame  # treated, locality, with_need, not_yet_due, missing_follow_up, analysed (true counts)

    def follow_up_counts(self, treated: bool, locality: str | None = None) -> FollowUpCounts:
        """Units with the need at baseline, analysed, not yet due and missing follow-up (one locality or all)."""
        rows = self.counts.filter(pl.col("treated") == treated)
        if locality is not None:
            rows = rows.filter(pl.col("locality") == locality)
        total = {name: int(rows[name].sum()) for name in ("with_need", "analysed", "not_yet_due", "missing_follow_up")}
        return FollowUpCounts(**total)


def unit_statuses(inputs: ImpactInputs, catalogue: MeasureCatalogue) -> pl.DataFrame:
    """Every unit with the need at baseline, with its follow-up status (null when none) and due flag."""
    measure_ids = [m.id for m in catalogue.measures]
    measures = pl.DataFrame({
        "measure_index": pl.Series(range(len(measure_ids)), dtype=pl.UInt16),
        "measure_id": measure_ids,
        "unit": [m.unit for m in catalogue.measures],
        "min_age": [m.min_age for m in catalogue.measures],
        "max_age": [m.max_age for m in catalogue.measures],
    })
    index = pl.col("index_date")
    target = index + pl.duration(days=FOLLOW_UP_DAYS)
    days_from_target = (pl.col("observed_on") - target).dt.total_days()
    keys = ["episode_id", "measure_index", "person_id"]
    phased = (
        inputs.observations.lazy()
        .select(
            pl.col("measure_id").replace_strict(dict(zip(measure_ids, range(len(measure_ids)), strict=True)),
                                                default=None, return_dtype=pl.UInt16).alias("measure_index"),
            "family_id", pl.col("person_id").fill_null(NO_PERSON), "observed_on", "need_present",
        )
        .drop_nulls("measure_index")  # measures no longer in the catalogue
        .join(inputs.episodes.lazy().select("episode_id", "family_id", "index_date"), on="family_id")
        .with_columns(
            is_baseline=pl.col("observed_on").is_between(index - pl.duration(days=BASELINE_LOOKBACK_DAYS), index),
            # Nearest to index + 365 ranks first; of two equally near, the later one.
            follow_up_rank=pl.when(days_from_target.abs() <= FOLLOW_UP_WINDOW_DAYS).then(
                2 * days_from_target.abs() + (days_from_target < 0).cast(pl.Int64)),
        )
        .filter(pl.col("is_baseline") | pl.col("follow_up_rank").is_not_null())
    )
    present = pl.col("need_present")
    # Latest baseline observation; two on the same day: "present" wins (a need is not assumed away).
    baseline_rank = pl.col("observed_on").cast(pl.Int64) * 2 + present.cast(pl.Int64)
    baseline = phased.filter(pl.col("is_baseline"))
    # Most units are observed without the need: only units with a "present" baseline observation can have it.
    candidates = baseline.filter(present).select(keys).unique()
    with_need = (
        baseline.join(candidates, on=keys, how="semi")
        .group_by(keys)
        .agg(with_need=present.get(baseline_rank.arg_max()), index_date=pl.col("index_date").first())
        .filter(pl.col("with_need"))
    )
    follow_up = (
        phased.filter(pl.col("follow_up_rank").is_not_null())
        .group_by(keys)
        .agg(need_at_follow_up=present.get(pl.col("follow_up_rank").arg_min()))
    )
    ages = inputs.people_at_index.lazy().select("episode_id", "person_id", "age_at_index")
    as_of = pl.lit(inputs.data_as_of)
    return (
        with_need.join(follow_up, on=keys, how="left")
        .join(measures.lazy(), on="measure_index")
        .join(ages, on=["episode_id", "person_id"], how="left")
        # The measure's population, by the one rule the progress measures use too (metrics.population).
        .filter(in_measure_population(pl.col("unit"), pl.col("age_at_index"), pl.col("min_age"), pl.col("max_age")))
        .with_columns(due=(pl.col("index_date") + pl.duration(days=FOLLOW_UP_DAYS)) <= as_of)
        .select("episode_id", "measure_id", "person_id", "unit", "due", "need_at_follow_up")
        .sort("measure_id", "episode_id", "person_id")
        .collect()
    )


def family_covariates(inputs: ImpactInputs, statuses: pl.DataFrame, catalogue: MeasureCatalogue) -> pl.DataFrame:
    """One row per episode: treatment, cohort year and every family-level covariate."""
    baseline_needs = (
        statuses.select("episode_id", "measure_id").unique()
        .with_columns(has=pl.lit(1, dtype=pl.Int8))
        .pivot(on="measure_id", index="episode_id", values="has")
    )
    need_columns = [f"baseline_{m.id}" for m in catalogue.measures]
    renamed = baseline_needs.rename({m.id: f"baseline_{m.id}" for m in catalogue.measures
                                     if m.id in baseline_needs.columns})
    children = (
        inputs.people_at_index.filter(pl.col("member_at_index") & (pl.col("role") == "child"))
        .group_by("episode_id")
        .agg(n_children=pl.len().cast(pl.Int64), youngest_child_age=pl.col("age_at_index").min())
    )
    return (
        inputs.episodes.join(inputs.families, on="family_id", how="left")
        .join(inputs.needs_at_assessment, on="episode_id", how="left")
        .join(children, on="episode_id", how="left")
        .join(renamed, on="episode_id", how="left")
        .with_columns(
            *[pl.col(name).fill_null(0).cast(pl.Int8) if name in renamed.columns
              else pl.lit(0, dtype=pl.Int8).alias(name) for name in need_columns],
            pl.col("n_needs").fill_null(0),
            pl.col("n_children").fill_null(0),
            cohort_year=financial_year_expr(pl.col("index_date")),
        )
    )


def covariate_spec(unit: str, catalogue: MeasureCatalogue) -> CovariateSpec:
    need_columns = tuple(f"baseline_{m.id}" for m in catalogue.measures)
    numeric = need_columns + FAMILY_COVARIATES_NUMERIC
    categorical = FAMILY_COVARIATES_CATEGORICAL
    if unit == "person":
        numeric += PERSON_COVARIATES_NUMERIC
        categorical += PERSON_COVARIATES_CATEGORICAL
    return CovariateSpec(numeric=numeric, categorical=categorical)


def analysis_frames(inputs: ImpactInputs, catalogue: MeasureCatalogue) -> list[AnalysisFrame]:
    """An analysis frame for each measure (in catalogue order), then the family-level "any need" outcome."""
    statuses = unit_statuses(inputs, catalogue)
    families = family_covariates(inputs, statuses, catalogue)
    people = inputs.people_at_index.select("episode_id", "person_id", "age_at_index", "sex", "ethnic_group_broad")
    person_columns = [name for name in people.columns if name not in ("episode_id", "person_id")]
    joined = statuses.join(families, on="episode_id", how="left").join(people, on=["episode_id", "person_id"],
                                                                        how="left")
    by_measure = joined.partition_by("measure_id", as_dict=True)
    frames = []
    for measure in catalogue.measures:
        frame = by_measure.get((measure.id,), joined.clear())
        if measure.unit != "person":
            frame = frame.drop(person_columns)
        frames.append(_finish(measure.id, measure.unit, frame, covariate_spec(measure.unit, catalogue)))
    any_need = (
        statuses.group_by("episode_id")
        .agg(
            due=pl.col("due").all(),
            complete=pl.col("need_at_follow_up").is_not_null().all(),
            any_present=pl.col("need_at_follow_up").any(),
        )
        .select("episode_id", "due",
                need_at_follow_up=pl.when(pl.col("complete")).then(pl.col("any_present")),
                person_id=pl.lit(NO_PERSON, dtype=pl.Int64))
        .join(families, on="episode_id", how="left")
    )
    frames.append(_finish(ANY_NEED, "family", any_need, covariate_spec("family", catalogue)))
    return frames


def _finish(outcome_id: str, unit: str, frame: pl.DataFrame, spec: CovariateSpec) -> AnalysisFrame:
    has_follow_up = pl.col("need_at_follow_up").is_not_null()
    counts = (
        frame.group_by("treated", "locality")
        .agg(
            with_need=pl.len().cast(pl.Int64),
            not_yet_due=(~pl.col("due")).sum().cast(pl.Int64),
            missing_follow_up=(pl.col("due") & ~has_follow_up).sum().cast(pl.Int64),
            analysed=(pl.col("due") & has_follow_up).sum().cast(pl.Int64),
        )
        .sort("treated", "locality", descending=[True, False])
    )
    analysed = (
        frame.filter(pl.col("due") & has_follow_up)
        .with_columns(outcome=pl.col("need_at_follow_up"))
        .sort("episode_id", "person_id")
    )
    return AnalysisFrame(outcome_id, unit, analysed, spec, counts)
