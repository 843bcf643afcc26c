"""The records each partner would hold about the synthetic Dorset, before formatting and identifier errors.

The records reproduce the world's need observations under the contract's rules (config/partners.toml,
docs/partner-data.md "From records to need observations"): for every observation the world records, the
key date's window is (max(date - lookback, previous key date of the unit), date]; each "present" gets one
qualifying record dated in that window (an event, or an assessment finding the need) and, for assessment
rules, some "absent" ones get an assessment finding no need. Windows of one unit never overlap, so the rule
applied to these records gives back exactly the world's statuses. Noise that must change nothing is added:
records that qualify for no rule, qualifying records dated before the baseline window, and qualifying records
after the index date of units without the need at baseline (which have no later key dates).

Each draft row has person_key (null for family-level records), family_key, day (the record's date as a day
number) and the source's non-identifier columns (dates as day numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from data_access.config import MeasureCatalogue
from linkage.contract import Column, PartnerContract, Rule, Source
from synthetic.calendar import day_number, year_month_day

PRESENT, ABSENT, NOISE = 1, 0, -1
EXTRA_EVENT_SHARE = 0.05  # events: a second qualifying record in the same window, sometimes
OPTIONAL_DATE_BLANK = 0.15


@dataclass(frozen=True)
class Drafts:
    """Draft records per source id."""

    by_source: dict[str, list[pl.DataFrame]]

    def add(self, source_id: str, frame: pl.DataFrame) -> None:
        if frame.height:
            self.by_source.setdefault(source_id, []).append(frame)

    def frames(self) -> dict[str, pl.DataFrame]:
        return {source: pl.concat(frames, how="diagonal_relaxed") for source, frames in self.by_source.items()}


# --- values of the non-identifier columns -------------------------------------------------------

def _choose(rng: np.random.Generator, options: tuple[str, ...] | list[str], n: int) -> np.ndarray:
    options = list(options)
    return np.array(options, dtype=object)[rng.integers(0, len(options), n)] if options else np.full(n, None)


def _condition_values(rng, column: Column, condition, satisfy: bool, n: int) -> np.ndarray:
    if condition.values:
        pool = condition.values if satisfy else [code for code in column.codes if code not in condition.values]
        return _choose(rng, pool, n)
    low = column.minimum if column.minimum is not None else 0
    high = column.maximum if column.maximum is not None else low + 100
    if condition.at_least is not None:
        bounds = (condition.at_least, high) if satisfy else (low, condition.at_least - 1)
    else:
        bounds = (condition.greater_than + (1 if column.type == "integer" else 0.01), min(high, 5000)) if satisfy \
            else (low, condition.greater_than)
    return _numbers(rng, column, bounds, n)


def _numbers(rng, column: Column, bounds: tuple[float, float], n: int) -> np.ndarray:
    low, high = bounds
    if column.type == "integer":
        return rng.integers(int(low), int(high) + 1, n).astype(object)
    values = np.round(low + rng.random(n) * (high - low), 2)
    if low == high:
        values = np.full(n, float(low))
    return values.astype(object)


def payload(rng: np.random.Generator, source: Source, rule: Rule | None, status: np.ndarray, day: np.ndarray
            ) -> pl.DataFrame:
    """The source's non-identifier columns for draft records of `status` (PRESENT, ABSENT or NOISE) on `day`."""
    n = len(status)
    record_date = rule.date_column if rule else next(
        (column.name for column in source.columns if column.type == "date" and column.required), None)
    conditions = {condition.column: condition for condition in rule.when} if rule else {}
    violated = rng.integers(0, max(len(conditions), 1), n)
    columns: dict[str, pl.Series] = {}
    for column in source.columns:
        if column.field:
            continue
        if column.type == "date":
            if column.name == record_date:
                values = pl.Series(column.name, day, dtype=pl.Int64)
            else:
                later = day + rng.integers(0, 4, n)
                values = pl.Series(column.name, np.where(rng.random(n) < OPTIONAL_DATE_BLANK, -1, later))
                values = values.set(values == -1, None).cast(pl.Int64)
            columns[column.name] = values
        elif column.type == "text":
            columns[column.name] = pl.Series(column.name, [None] * n, dtype=pl.String)  # references: set on writing
        elif column.name in conditions:
            number = list(conditions).index(column.name)
            condition = conditions[column.name]
            satisfied = _condition_values(rng, column, condition, True, n)
            broken = _condition_values(rng, column, condition, False, n)
            noise = _noise_values(rng, source, column, n)
            values = np.where(status == PRESENT, satisfied,
                              np.where(status == NOISE, noise, np.where(violated == number, broken, satisfied)))
            columns[column.name] = _typed_series(column, values)
        elif column.type == "code":
            noise = _noise_values(rng, source, column, n)
            columns[column.name] = _typed_series(column, np.where(status == NOISE, noise,
                                                                  _choose(rng, column.codes, n)))
        else:  # counts such as sessions missed or exclusions: mostly small
            low = column.minimum if column.minimum is not None else 0
            high = min(column.maximum if column.maximum is not None else 100, 400)
            skewed = low + np.floor((high - low + 1) * rng.random(n) ** 3)
            columns[column.name] = _typed_series(column, skewed.astype(np.int64).astype(object) if column.type ==
                                                 "integer" else np.round(skewed, 2).astype(object))
    return pl.DataFrame(columns)


def _typed_series(column: Column, values: np.ndarray) -> pl.Series:
    dtype = {"code": pl.String, "integer": pl.Int64, "decimal": pl.Float64}[column.type]
    return pl.Series(column.name, list(values), dtype=dtype)


def _noise_values(rng, source: Source, column: Column, n: int) -> np.ndarray:
    """Values of a column that make a record qualify for none of the source's rules (where the column decides)."""
    if column.type == "code":
        forbidden = {value for rule in source.rules for condition in rule.when[:1] if condition.column == column.name
                     for value in condition.values}
        allowed = [code for code in column.codes if code not in forbidden]
        return _choose(rng, allowed or list(column.codes), n)
    thresholds = [condition for rule in source.rules for condition in rule.when[:1] if condition.column == column.name]
    if not thresholds:
        low = column.minimum if column.minimum is not None else 0
        return _numbers(rng, column, (low, min(column.maximum or 100, 400)), n)
    return _condition_values(rng, column, thresholds[0], False, n)


def can_make_noise(source: Source) -> bool:
    """Whether some record of this source qualifies for none of its rules."""
    return all(rule.when for rule in source.rules)


# --- records that reproduce the world's observations ---------------------------------------------

def observation_windows(observations: pl.DataFrame, lookback_days: int) -> pl.DataFrame:
    """Each observation with its window: lo (exclusive) = max(day - lookback, previous key date of the unit)."""
    return (
        observations.with_columns(pl.col("observed_on").cast(pl.Int64).alias("key_day"))
        .sort("measure_id", "family_id", "person_id", "key_day", nulls_last=False)
        .with_columns(pl.col("key_day").shift(1).over("measure_id", "family_id", "person_id").alias("previous_day"))
        .with_columns(pl.max_horizontal(pl.col("key_day") - lookback_days,
                                        pl.col("previous_day").fill_null(-(10**9))).alias("window_low"))
        .with_columns(pl.col("key_day").rank("ordinal").over("measure_id", "family_id", "person_id")
                      .alias("key_number"))
    )


def _day_in(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """A day uniformly in (low, high]."""
    return low + 1 + np.floor(rng.random(len(low)) * (high - low)).astype(np.int64)


def family_contacts(world) -> pl.DataFrame:
    """family_id, first_parent_key, first_parent_start, other_adult_key, other_start, other_end (day numbers)."""
    members = world["family_member"].sort("family_id", "person_id").with_columns(
        pl.col("start_date").cast(pl.Int64).alias("start_day"), pl.col("end_date").cast(pl.Int64).alias("end_day"))
    first = members.group_by("family_id", maintain_order=True).first().select(
        "family_id", pl.format("P{}", pl.col("person_id")).alias("first_parent_key"),
        pl.col("start_day").alias("first_parent_start"))
    others = (members.filter(pl.col("role") != "child").group_by("family_id", maintain_order=True)
              .agg(pl.all().slice(1, 1).first())
              .select("family_id", pl.format("P{}", pl.col("person_id")).alias("other_adult_key"),
                      pl.col("start_day").alias("other_start"), pl.col("end_day").alias("other_end")))
    return first.join(others, on="family_id", how="left")


def rule_records(rng: np.random.Generator, world, contract: PartnerContract, catalogue: MeasureCatalogue,
                 settings, drafts: Drafts) -> pl.DataFrame:
    """Records reproducing every observation; returns the units' baselines (for the noise that follows)."""
    windows = observation_windows(world["need_observation"], contract.lookback_days)
    contacts = family_contacts(world)
    unit_of = {measure.id: measure.unit for measure in catalogue.measures}
    for measure in catalogue.measures:
        choices = contract.rules_for(measure.id)
        rows = windows.filter(pl.col("measure_id") == measure.id)
        if not choices or rows.height == 0:
            continue
        present = rows.get_column("need_present").to_numpy()
        which = rng.integers(0, len(choices), rows.height)
        for number, (source, rule) in enumerate(choices):
            picked = which == number
            absent_kept = ((~present) & (rule.kind == "assessment")
                           & (rng.random(rows.height) < settings.negative_assessment))
            chosen = rows.filter(pl.Series(picked & (present | absent_kept)))
            if chosen.height == 0:
                continue
            status = np.where(chosen.get_column("need_present").to_numpy(), PRESENT, ABSENT)
            low = chosen.get_column("window_low").to_numpy()
            high = chosen.get_column("key_day").to_numpy()
            drafted = _drafts_for_units(rng, chosen, contacts, unit_of[measure.id], source, low, high)
            day = drafted.get_column("day").to_numpy()
            drafts.add(source.id, pl.concat([drafted, payload(rng, source, rule, status, day)], how="horizontal"))
            low = drafted.get_column("low").to_numpy()
            if rule.kind == "assessment":
                earlier = (rng.random(len(day)) < settings.earlier_opposite) & (day - 1 > low)
                opposite = np.where(status == PRESENT, ABSENT, PRESENT)[earlier]
                before = _day_in(rng, low[earlier], day[earlier] - 1)
                drafts.add(source.id, pl.concat([drafted.filter(pl.Series(earlier)).with_columns(
                    pl.Series("day", before)), payload(rng, source, rule, opposite, before)], how="horizontal"))
            else:
                extra = rng.random(len(day)) < EXTRA_EVENT_SHARE
                again = _day_in(rng, low[extra], high[extra])
                drafts.add(source.id, pl.concat([drafted.filter(pl.Series(extra)).with_columns(pl.Series("day", again)),
                                                 payload(rng, source, rule, status[extra], again)], how="horizontal"))
    return windows.filter(pl.col("key_number") == 1)


def _drafts_for_units(rng, rows: pl.DataFrame, contacts: pl.DataFrame, unit: str, source: Source,
                      low: np.ndarray, high: np.ndarray) -> pl.DataFrame:
    """person_key / family_key / day (and the window's low) for records about these units."""
    day = _day_in(rng, low, high)
    frame = rows.select("family_id", "person_id").with_columns(pl.Series("day", day), pl.Series("low", low))
    if source.kind == "family_review":
        return frame.select(pl.lit(None, dtype=pl.String).alias("person_key"),
                            pl.format("F{}", pl.col("family_id")).alias("family_key"), "day", "low")
    if unit == "person":
        return frame.select(pl.format("P{}", pl.col("person_id")).alias("person_key"),
                            pl.format("F{}", pl.col("family_id")).alias("family_key"), "day", "low")
    # A family measure from a person source: the first parent (a member from before the window until the end),
    # or, sometimes, another adult who was a member throughout the window.
    joined = frame.join(contacts, on="family_id", how="left", maintain_order="left").with_columns(
        pl.Series("use_other", rng.random(frame.height) < 0.3))
    other_ok = (pl.col("use_other") & pl.col("other_adult_key").is_not_null()
                & (pl.col("other_start") <= pl.col("low") + 1)
                & (pl.col("other_end").is_null() | (pl.col("other_end") > pl.col("day"))))
    return joined.select(
        pl.when(other_ok).then(pl.col("other_adult_key")).otherwise(pl.col("first_parent_key")).alias("person_key"),
        pl.format("F{}", pl.col("family_id")).alias("family_key"),
        pl.when(other_ok).then(pl.col("day")).otherwise(pl.max_horizontal("day", "first_parent_start")).alias("day"),
        pl.when(other_ok).then(pl.col("low")).otherwise(pl.max_horizontal(pl.col("low"),
                                                                          pl.col("first_parent_start") - 1))
        .alias("low"),
    )


def noise_records(rng: np.random.Generator, world, contract: PartnerContract, catalogue: MeasureCatalogue,
                  baselines: pl.DataFrame, n_rule_records: int, settings, drafts: Drafts) -> None:
    """Records that must change no observation (see the module docstring)."""
    as_of = day_number(world.data_as_of)
    contacts = family_contacts(world)
    unit_of = {measure.id: measure.unit for measure in catalogue.measures}
    total = int(round(settings.noise * n_rule_records))
    rule_list = [(source, rule) for source in contract.sources for rule in source.rules]
    if total == 0 or not rule_list or baselines.height == 0:
        return
    per_rule = max(total // len(rule_list), 1)
    for source, rule in rule_list:
        units = baselines.filter(pl.col("measure_id") == rule.measure)
        if units.height == 0:
            continue
        kinds = rng.integers(0, 3, per_rule)  # 0: non-qualifying, 1: before the baseline window, 2: after index
        pick = units.sample(per_rule, with_replacement=True, seed=int(rng.integers(0, 2**31)))
        index_day = pick.get_column("key_day").to_numpy()
        no_baseline_need = ~pick.get_column("need_present").to_numpy()
        # A non-qualifying assessment is a finding of "no need": inside a window it would decide. Never for those.
        kinds = np.where((kinds == 0) & (not can_make_noise(source) or rule.kind == "assessment"), 1, kinds)
        kinds = np.where((kinds == 2) & ~no_baseline_need, 1, kinds)
        low = np.where(kinds == 1, index_day - contract.lookback_days - 900,
                       np.where(kinds == 2, index_day, index_day - 400))
        high = np.where(kinds == 1, index_day - contract.lookback_days - 1, np.where(kinds == 2, as_of, as_of))
        keep = high > low
        pick, low, high, kinds = pick.filter(pl.Series(keep)), low[keep], high[keep], kinds[keep]
        drafted = _drafts_for_units(rng, pick, contacts, unit_of[rule.measure], source, low, high)
        day = drafted.get_column("day").to_numpy()
        status = np.where(kinds == 0, NOISE, PRESENT)
        drafts.add(source.id, pl.concat([drafted, payload(rng, source, rule, status, day)], how="horizontal"))


def school_records(rng: np.random.Generator, world, source: Source, drafts: Drafts) -> None:
    """A census record for each pupil with a UPN: the October census before eligibility (the latest one too, for
    pupils who were not yet of school age then)."""
    as_of = day_number(world.data_as_of)
    pupils = (world["person_identifier"].filter(pl.col("upn").is_not_null())
              .join(world["family_member"].select("person_id", "family_id"), on="person_id")
              .join(world["programme_episode"].select("family_id", "eligibility_date"), on="family_id"))
    if pupils.height == 0:
        return
    eligible = pupils.get_column("eligibility_date").cast(pl.Int64).to_numpy()
    born = pupils.get_column("date_of_birth").cast(pl.Int64).to_numpy()
    days = []
    for anchor in (eligible, np.full(len(eligible), as_of)):
        year, _, _ = year_month_day(anchor)
        october = np.array([day_number_of(y) for y in year])
        census = np.where(october <= anchor, october, np.array([day_number_of(y - 1) for y in year]))
        days.append(census)
    for number, census in enumerate(days):
        age_days = census - born
        keep = (age_days >= 4 * 365) & (age_days < 19 * 365)
        if number == 1:  # only pupils the first census missed
            first_age = days[0] - born
            keep &= (census != days[0]) & ~((first_age >= 4 * 365) & (first_age < 19 * 365))
        chosen = pupils.filter(pl.Series(keep))
        day = census[keep]
        frame = chosen.select(pl.format("P{}", pl.col("person_id")).alias("person_key"),
                              pl.format("F{}", pl.col("family_id")).alias("family_key")).with_columns(
            pl.Series("day", day, dtype=pl.Int64))
        drafts.add(source.id, pl.concat([frame, payload(rng, source, None, np.full(len(day), ABSENT), day)],
                                        how="horizontal"))


def day_number_of(year: int) -> int:
    """The school census day of a year's autumn term (first Thursday of October)."""
    first = np.datetime64(f"{int(year)}-10-01", "D").astype(np.int64)
    weekday = first % 7  # 1970-01-01 was a Thursday: weekday 0 = Thursday
    return int(first + (7 - weekday) % 7)


def outsider_records(rng: np.random.Generator, world, contract: PartnerContract, outsider_keys: list[str],
                     drafts: Drafts) -> None:
    """1-3 records each, in sources with rules, on any day of the last two and a half years."""
    if not outsider_keys:
        return
    as_of = day_number(world.data_as_of)
    counts = rng.integers(1, 4, len(outsider_keys))
    keys = np.repeat(np.array(outsider_keys, dtype=object), counts)
    rule_sources = [(source, rule) for source in contract.person_sources for rule in source.rules]
    which = rng.integers(0, len(rule_sources), len(keys))
    for number, (source, rule) in enumerate(rule_sources):
        chosen = keys[which == number]
        if len(chosen) == 0:
            continue
        day = as_of - rng.integers(0, 900, len(chosen))
        status = np.where(rng.random(len(chosen)) < 0.5, PRESENT, ABSENT)
        frame = pl.DataFrame({"person_key": list(chosen), "family_key": [None] * len(chosen), "day": day},
                             schema={"person_key": pl.String, "family_key": pl.String, "day": pl.Int64})
        drafts.add(source.id, pl.concat([frame, payload(rng, source, rule, status, day)], how="horizontal"))
