"""The national impact study extract: its layout (version 1), built from the linked tables.

Three tables, documented column by column in docs/national-extract.md (a test keeps the two in step):

- people.csv: one row per person per eligible family episode (supported and comparison alike): the episode, the
  person's role and membership, and the identifiers the evaluation matches on (clear), or their keyed tokens
  (pseudonymised mode, linkage/extract/tokens.py).
- eligibility.csv: one row per episode per headline outcome of config/measures.toml: whether the need was found at
  the eligibility assessment (1) or not (0).
- progress.csv: one row per episode, measure and unit (the person, for person measures; the family, for family
  measures) with a baseline observation: the need (1 present, 0 absent, blank not observed) and its date at
  baseline, review, closure and the sustained check (docs/architecture.md's key dates).

Every frame is sorted by its key, so the same data always give the same bytes (the manifest's digests).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from data_access.config import MeasureCatalogue
from data_access.extract_reads import ExtractInputs
from linkage.extract.tokens import TOKEN_IDENTIFIERS, normalised_identifiers, tokenised

EXTRACT_NAME = "national-impact-study"
LAYOUT_VERSION = 1
BASELINE_LOOKBACK_DAYS = 183
REVIEW_DAYS = 182
SUSTAINED_AFTER_CLOSURE_DAYS = 183
COMPARISON_SUSTAINED_DAYS = 548

EPISODE_COLUMNS = ("episode_id", "family_id", "person_id", "cohort", "eligibility_date", "attachment_date",
                   "closure_date", "role")
IDENTIFIED_COLUMNS = (*EPISODE_COLUMNS, "member_from", "member_until", "given_name", "family_name", "date_of_birth",
                      "sex", "postcode", "nhs_number", "ni_number", "upn")
PSEUDONYMISED_COLUMNS = (*EPISODE_COLUMNS, "sex", *(f"{name}_token" for name in TOKEN_IDENTIFIERS))
ELIGIBILITY_COLUMNS = ("episode_id", "headline_outcome", "need_at_assessment")
KEY_DATES = ("baseline", "review", "closure", "sustained_check")
PROGRESS_COLUMNS = ("episode_id", "measure_id", "headline_outcome", "unit", "person_id",
                    *(f"{key}_{part}" for key in KEY_DATES for part in ("date", "need")))

FILES = ("people.csv", "eligibility.csv", "progress.csv")
MODES = ("identified", "pseudonymised")


@dataclass(frozen=True)
class ExtractTables:
    """The extract's tables, in the layout's column order, sorted by their keys."""

    people: pl.DataFrame
    eligibility: pl.DataFrame
    progress: pl.DataFrame

    def as_files(self) -> dict[str, pl.DataFrame]:
        return dict(zip(FILES, (self.people, self.eligibility, self.progress), strict=True))

    @property
    def person_ids(self) -> list[int]:
        return self.people.get_column("person_id").unique().sort().to_list()


def build_extract(inputs: ExtractInputs, catalogue: MeasureCatalogue, *, token_key: bytes | None = None
                  ) -> ExtractTables:
    """The extract's tables; with `token_key`, the pseudonymised layout (tokens in place of identifiers)."""
    as_of = inputs.data_as_of
    episodes = _episodes(inputs.episodes, as_of)
    return ExtractTables(
        people=_people(inputs, episodes, token_key),
        eligibility=_eligibility(episodes, inputs.eligibility_needs, catalogue),
        progress=_progress(episodes, inputs.observations, catalogue, as_of),
    )


def _episodes(episodes: pl.DataFrame, as_of: date) -> pl.DataFrame:
    supported = pl.col("cohort") == "supported"
    return episodes.with_columns(
        pl.when(supported).then(pl.col("attachment_date")).otherwise(pl.col("eligibility_date")).alias("index_date"),
        pl.coalesce(pl.col("closure_date"), pl.lit(as_of)).alias("episode_end"),
    )


def _people(inputs: ExtractInputs, episodes: pl.DataFrame, token_key: bytes | None) -> pl.DataFrame:
    """Members whose membership overlaps the episode: joined by its end, not left before its eligibility date."""
    members = inputs.members.select("family_id", "person_id", "role", pl.col("start_date").alias("member_from"),
                                    pl.col("end_date").alias("member_until"))
    rows = (
        episodes.join(members, on="family_id", how="inner")
        .filter((pl.col("member_from") <= pl.col("episode_end"))
                & (pl.col("member_until").is_null() | (pl.col("member_until") >= pl.col("eligibility_date"))))
        # A person who left and rejoined within one episode is one row: their earliest membership in it.
        .sort("episode_id", "person_id", "member_from")
        .unique(["episode_id", "person_id"], keep="first")
    )
    people = inputs.people.with_columns(
        pl.col("sex").replace_strict({"female": "F", "male": "M"}, default=None, return_dtype=pl.String))
    if token_key is None:
        identified = rows.join(people, on="person_id", how="left")
        return identified.select(IDENTIFIED_COLUMNS).sort("episode_id", "person_id")
    tokens = tokenised(normalised_identifiers(inputs.people), token_key)
    pseudonymised = rows.join(people.select("person_id", "sex"), on="person_id", how="left").join(
        tokens, on="person_id", how="left")
    return pseudonymised.select(PSEUDONYMISED_COLUMNS).sort("episode_id", "person_id")


def _eligibility(episodes: pl.DataFrame, needs: pl.DataFrame, catalogue: MeasureCatalogue) -> pl.DataFrame:
    outcomes = pl.DataFrame({"headline_outcome": [outcome.id for outcome in catalogue.headline_outcomes]})
    found = needs.select("episode_id", "headline_outcome").unique().with_columns(pl.lit(1).alias("found"))
    grid = episodes.select("episode_id").join(outcomes, how="cross")
    return (
        grid.join(found, on=["episode_id", "headline_outcome"], how="left")
        .select("episode_id", "headline_outcome",
                pl.col("found").fill_null(0).cast(pl.Int8).alias("need_at_assessment"))
        .sort("episode_id", "headline_outcome")
    )


def _progress(episodes: pl.DataFrame, observations: pl.DataFrame, catalogue: MeasureCatalogue, as_of: date
              ) -> pl.DataFrame:
    """One row per unit with a baseline observation; the need at each key date (exact date, as the contract says)."""
    measures = pl.DataFrame({
        "measure_id": [measure.id for measure in catalogue.measures],
        "headline_outcome": [measure.headline_outcome for measure in catalogue.measures],
        "unit": [measure.unit for measure in catalogue.measures],
    })
    observed = observations.select(
        "measure_id", "family_id", pl.col("person_id").fill_null(-1), "observed_on",
        pl.col("need_present").cast(pl.Int8).alias("need"))
    on_episode = episodes.select("episode_id", "family_id", "cohort", "index_date", "closure_date").join(
        observed, on="family_id", how="inner")
    in_baseline_window = pl.col("observed_on").is_between(
        pl.col("index_date") - pl.duration(days=BASELINE_LOOKBACK_DAYS), pl.col("index_date"))
    baseline = (
        on_episode.filter(in_baseline_window)
        .sort("observed_on")
        .group_by("episode_id", "measure_id", "person_id", maintain_order=True)
        .agg(pl.col("observed_on").last().alias("baseline_date"), pl.col("need").last().alias("baseline_need"))
    )
    supported = pl.col("cohort") == "supported"
    scheduled = episodes.select(
        "episode_id", "cohort",
        (pl.col("index_date") + pl.duration(days=REVIEW_DAYS)).alias("review_date"),
        pl.when(supported).then(pl.col("closure_date")).alias("closure_date"),
        pl.when(supported).then(pl.col("closure_date") + pl.duration(days=SUSTAINED_AFTER_CLOSURE_DAYS))
        .otherwise(pl.col("index_date") + pl.duration(days=COMPARISON_SUSTAINED_DAYS)).alias("sustained_check_date"),
    )
    units = baseline.join(scheduled, on="episode_id", how="left")
    at_date = on_episode.select("episode_id", "measure_id", "person_id", "observed_on", "need").unique(
        ["episode_id", "measure_id", "person_id", "observed_on"], keep="last")
    for key in ("review", "closure", "sustained_check"):
        found = at_date.rename({"observed_on": f"{key}_date", "need": f"{key}_need"})
        units = units.join(found, on=["episode_id", "measure_id", "person_id", f"{key}_date"], how="left")
        # A key date is given when it has come (on or before the data date) and the unit was observed on it.
        units = units.with_columns(
            pl.when(pl.col(f"{key}_need").is_not_null() & (pl.col(f"{key}_date") <= pl.lit(as_of)))
            .then(pl.col(f"{key}_date")).alias(f"{key}_date"))
    return (
        units.join(measures, on="measure_id", how="inner")
        .with_columns(pl.when(pl.col("unit") == "person").then(pl.col("person_id")).alias("person_id"))
        .select(PROGRESS_COLUMNS)
        .sort("episode_id", "measure_id", "person_id", nulls_last=False)
    )
