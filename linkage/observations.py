"""From linked partner records to need observations, by the contract's rules (docs/partner-data.md).

Units: for every programme episode, each family measure's family, and each person measure's people who were
members of the family on the index date (attachment, or eligibility for comparison families) and whose age
that day is in the measure's range (people without a date of birth cannot be placed and are left out).

Key dates (docs/architecture.md): baseline = index date; review = index + 182 days; closure (supported, closed);
12-month follow-up = index + 365; sustained check = closure + 183 (comparison families: index + 548); each only
if on or before data_as_of. Every unit gets a baseline; only units with the need at baseline get the later ones.

Status at a key date t: the records in the window (max(t - lookback_days, previous key date), t] decide.
Event rules: present when at least one qualifying record is in the window. Assessment rules: the latest
assessment in the window decides (a finding of need wins a tie on the same day); none: absent. A record counts
for a person measure's units of its person; for a family measure, for the families its person belonged to on
the record's date (or the family it names, for the case system's family reviews).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from data_access.config import MeasureCatalogue
from linkage.contract import PartnerContract

REVIEW_DAYS = 182
FOLLOW_UP_DAYS = 365
SUSTAINED_AFTER_CLOSURE_DAYS = 183
COMPARISON_SUSTAINED_DAYS = 548
_NO_PERSON = -1  # person_id of family units, so unit keys never hold nulls in joins


def units(episodes: pl.DataFrame, members: pl.DataFrame, people: pl.DataFrame, catalogue: MeasureCatalogue
          ) -> pl.DataFrame:
    """measure_id, family_id, person_id (-1 for families), index_date, closure_date, cohort."""
    index = episodes.select(
        "family_id", "cohort", "closure_date",
        pl.when(pl.col("cohort") == "supported").then(pl.col("attachment_date")).otherwise(pl.col("eligibility_date"))
        .alias("index_date"))
    parts = []
    family_measures = [measure.id for measure in catalogue.measures if measure.unit == "family"]
    if family_measures:
        parts.append(index.join(pl.DataFrame({"measure_id": family_measures}), how="cross").with_columns(
            pl.lit(_NO_PERSON, dtype=pl.Int64).alias("person_id")))
    person_measures = pl.DataFrame({
        "measure_id": [measure.id for measure in catalogue.measures if measure.unit == "person"],
        "min_age": [measure.min_age for measure in catalogue.measures if measure.unit == "person"],
        "max_age": [measure.max_age for measure in catalogue.measures if measure.unit == "person"],
    })
    if person_measures.height:
        at_index = (
            index.join(members, on="family_id", how="inner")
            .filter((pl.col("start_date") <= pl.col("index_date"))
                    & (pl.col("end_date").is_null() | (pl.col("end_date") > pl.col("index_date"))))
            .join(people.select("person_id", "date_of_birth"), on="person_id", how="inner")
            .filter(pl.col("date_of_birth").is_not_null())
            .with_columns(_age(pl.col("date_of_birth"), pl.col("index_date")).alias("age"))
        )
        parts.append(at_index.join(person_measures, how="cross")
                     .filter(pl.col("age").is_between(pl.col("min_age"), pl.col("max_age")))
                     .select("family_id", "cohort", "closure_date", "index_date", "measure_id", "person_id"))
    columns = ["measure_id", "family_id", "person_id", "index_date", "closure_date", "cohort"]
    return pl.concat([part.select(columns) for part in parts]).unique(["measure_id", "family_id", "person_id",
                                                                       "index_date"]).sort(columns[:4])


def _age(born: pl.Expr, on: pl.Expr) -> pl.Expr:
    before_birthday = (on.dt.month() < born.dt.month()) | ((on.dt.month() == born.dt.month())
                                                            & (on.dt.day() < born.dt.day()))
    return on.dt.year() - born.dt.year() - before_birthday.cast(pl.Int32)


def key_dates(unit_frame: pl.DataFrame, data_as_of: date) -> pl.DataFrame:
    """Every unit's follow-up key dates after baseline (key: 2 review, 3 closure, 4 12-month, 5 sustained)."""
    supported = pl.col("cohort") == "supported"
    closed = pl.col("closure_date").is_not_null()
    days = pl.duration
    candidates = unit_frame.with_columns(
        (pl.col("index_date") + days(days=REVIEW_DAYS)).alias("k2"),
        pl.when(supported & closed).then(pl.col("closure_date")).alias("k3"),
        (pl.col("index_date") + days(days=FOLLOW_UP_DAYS)).alias("k4"),
        pl.when(supported & closed).then(pl.col("closure_date") + days(days=SUSTAINED_AFTER_CLOSURE_DAYS))
        .when(~supported).then(pl.col("index_date") + days(days=COMPARISON_SUSTAINED_DAYS)).alias("k5"),
    )
    return (candidates.unpivot(["k2", "k3", "k4", "k5"], index=["measure_id", "family_id", "person_id", "index_date"],
                               variable_name="key", value_name="key_date")
            .filter(pl.col("key_date").is_not_null() & (pl.col("key_date") <= data_as_of))
            .select("measure_id", "family_id", "person_id", "index_date", "key_date"))


def evidence(contract: PartnerContract, staged: dict[str, pl.DataFrame], links: pl.DataFrame,
             members: pl.DataFrame, family_ids: dict[str, int], catalogue: MeasureCatalogue) -> pl.DataFrame:
    """measure_id, family_id, person_id (-1 for families), day, kind, present, source: one row per record and unit."""
    unit_of = {measure.id: measure.unit for measure in catalogue.measures}
    refs = pl.DataFrame({"family_ref": list(family_ids), "family_id": list(family_ids.values())},
                        schema={"family_ref": pl.String, "family_id": pl.Int64})
    frames = []
    for source in contract.sources:
        frame = staged.get(source.id)
        if frame is None or frame.height == 0:
            continue
        for rule in source.rules:
            if rule.measure not in unit_of:
                continue
            records = frame.select("record_id", pl.col(rule.date_column).alias("day"),
                                   rule.present().alias("present"),
                                   *([pl.col(source.fields["family_ref"]).alias("family_ref")]
                                     if source.kind == "family_review" else []))
            if rule.kind == "event":
                records = records.filter(pl.col("present"))  # an event that does not qualify says nothing
            if source.kind == "family_review":
                located = records.join(refs, on="family_ref", how="inner").with_columns(
                    pl.lit(_NO_PERSON, dtype=pl.Int64).alias("person_id"))
            elif unit_of[rule.measure] == "person":
                located = records.join(links, on="record_id", how="inner").join(
                    members.select("family_id", "person_id").unique(), on="person_id", how="inner")
            else:
                located = (records.join(links, on="record_id", how="inner")
                           .join(members.select("family_id", "person_id", "start_date", "end_date"), on="person_id",
                                 how="inner")
                           .filter((pl.col("start_date") <= pl.col("day"))
                                   & (pl.col("end_date").is_null() | (pl.col("day") < pl.col("end_date"))))
                           .with_columns(pl.lit(_NO_PERSON, dtype=pl.Int64).alias("person_id")))
            frames.append(located.select(
                pl.lit(rule.measure).alias("measure_id"), "family_id", "person_id", "day",
                pl.lit(rule.kind).alias("kind"), "present", pl.lit(source.id).alias("source")))
    schema = {"measure_id": pl.String, "family_id": pl.Int64, "person_id": pl.Int64, "day": pl.Date,
              "kind": pl.String, "present": pl.Boolean, "source": pl.String}
    return pl.concat(frames).cast(schema) if frames else pl.DataFrame(schema=schema)


def statuses(dates: pl.DataFrame, found: pl.DataFrame, lookback_days: int) -> pl.DataFrame:
    """need_present and deciding source at each key date (dates: unit columns, key_date, window_low)."""
    unit = ["measure_id", "family_id", "person_id"]
    in_window = (dates.join(found, on=unit, how="inner")
                 .filter((pl.col("day") > pl.col("window_low")) & (pl.col("day") <= pl.col("key_date"))))
    events = (in_window.filter(pl.col("kind") == "event")
              .sort("day").group_by([*unit, "key_date"]).agg(pl.col("source").last().alias("event_source"))
              .with_columns(pl.lit(True).alias("event_present")))
    latest = (in_window.filter(pl.col("kind") == "assessment")
              .sort(["day", "present"]).group_by([*unit, "key_date"])
              .agg(pl.col("present").last().alias("assessment_present"),
                   pl.col("source").last().alias("assessment_source")))
    return (dates.join(events, on=[*unit, "key_date"], how="left").join(latest, on=[*unit, "key_date"], how="left")
            .with_columns((pl.col("event_present").fill_null(False) | pl.col("assessment_present").fill_null(False))
                          .alias("need_present"))
            .with_columns(pl.when(pl.col("event_present").fill_null(False)).then(pl.col("event_source"))
                          .when(pl.col("assessment_present").fill_null(False)).then(pl.col("assessment_source"))
                          .alias("deciding_source")))


def need_observations(unit_frame: pl.DataFrame, found: pl.DataFrame, contract: PartnerContract, data_as_of: date,
                      catalogue: MeasureCatalogue) -> pl.DataFrame:
    """The need_observation table (observation_id, measure_id, family_id, person_id, observed_on, need_present,
    source) for these units and evidence."""
    lookback = pl.duration(days=contract.lookback_days)
    unit = ["measure_id", "family_id", "person_id"]
    units_in_time = unit_frame.filter(pl.col("index_date") <= data_as_of)
    baseline = statuses(
        units_in_time.select(*unit, "index_date", pl.col("index_date").alias("key_date"),
                             (pl.col("index_date") - lookback).alias("window_low")), found, contract.lookback_days)
    followed = baseline.filter(pl.col("need_present")).select(*unit, "index_date")
    later = (key_dates(units_in_time.join(followed, on=[*unit, "index_date"], how="semi"), data_as_of)
             .sort([*unit, "index_date", "key_date"])
             .with_columns(pl.col("key_date").shift(1).over([*unit, "index_date"]).alias("previous"))
             .with_columns(pl.max_horizontal(pl.col("key_date") - lookback,
                                             pl.coalesce("previous", "index_date")).alias("window_low"))
             .drop("previous"))
    follow_ups = statuses(later, found, contract.lookback_days)
    default_source = {measure.id: (contract.rules_for(measure.id)[0][0].id if contract.rules_for(measure.id)
                                   else None) for measure in catalogue.measures}
    observed = pl.concat([baseline.select(*unit, "key_date", "need_present", "deciding_source"),
                          follow_ups.select(*unit, "key_date", "need_present", "deciding_source")])
    observed = observed.unique([*unit, "key_date"], keep="first")
    return (
        observed.with_columns(
            pl.coalesce("deciding_source", pl.col("measure_id").replace_strict(default_source, default=None,
                                                                              return_dtype=pl.String)).alias("source"),
            pl.when(pl.col("person_id") == _NO_PERSON).then(None).otherwise(pl.col("person_id")).alias("person_id"))
        .sort(["family_id", "person_id", "measure_id", "key_date"], nulls_last=False)
        .select(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("observation_id"), "measure_id", "family_id",
                "person_id", pl.col("key_date").alias("observed_on"), "need_present", "source")
    )
