"""The synthetic Dorset looks like the real thing: shapes, shares, dates and the key-dates rules."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from data_access.bulk import polars_schema
from data_access.config import load_localities, load_measures
from data_access.loader import validate_linked_frames
from data_access.schema import ETHNIC_GROUPS, LINKED_TABLES_IN_LOAD_ORDER
from synthetic import DEFAULT_DATA_AS_OF, GENERATOR_VERSION
from synthetic.households import history_start
from tests.synthetic.conftest import WORLD_FAMILIES, WORLD_SEED

AS_OF = DEFAULT_DATA_AS_OF


def _age(born: pl.Expr, on: pl.Expr) -> pl.Expr:
    before_birthday = (on.dt.month() < born.dt.month()) | (
        (on.dt.month() == born.dt.month()) & (on.dt.day() < born.dt.day()))
    return on.dt.year() - born.dt.year() - before_birthday.cast(pl.Int32)


@pytest.fixture(scope="module")
def index_dates(world) -> pl.DataFrame:
    return world["programme_episode"].select(
        "family_id", "cohort", "closure_date", pl.coalesce("attachment_date", "eligibility_date").alias("index_date"))


def test_tables_match_the_schema_exactly_and_pass_the_loader_checks(world):
    assert list(world) == [table.name for table in LINKED_TABLES_IN_LOAD_ORDER]
    for table in LINKED_TABLES_IN_LOAD_ORDER:
        assert world[table.name].schema == pl.Schema(polars_schema(table.columns)), table.name
    assert validate_linked_frames(world) == []


def test_dataset_info_says_synthetic_and_how_it_was_made(world):
    info = dict(world["dataset_info"].iter_rows())
    assert info["is_synthetic"] == "true"
    assert info["data_as_of"] == AS_OF.isoformat()
    assert info["seed"] == str(WORLD_SEED)
    assert info["effect_scale"] == "1.0"
    assert info["generator_version"] == GENERATOR_VERSION


def test_localities_come_from_config_and_families_follow_their_shares(world):
    localities = load_localities()
    assert world["locality"]["locality_code"].to_list() == [locality.code for locality in localities]
    shares = world["family"]["locality_code"].value_counts(normalize=True)
    observed = dict(shares.iter_rows())
    total = sum(locality.relative_share for locality in localities)
    for locality in localities:
        assert observed[locality.code] == pytest.approx(locality.relative_share / total, abs=0.03)


def test_every_postcode_lies_in_its_familys_locality(world):
    districts = {locality.code: set(locality.postcode_districts) for locality in load_localities()}
    for code, district in world["family"].select("locality_code", "postcode_district").iter_rows():
        assert district in districts[code]
    people = (
        world["person_identifier"].join(world["family_member"], on="person_id")
        .join(world["family"], on="family_id")
        .filter(pl.col("postcode").is_not_null())
    )
    assert (people["postcode"].str.split(" ").list.first() == people["postcode_district"]).all()


def test_about_62_percent_of_families_are_supported(world):
    share = (world["programme_episode"]["cohort"] == "supported").mean()
    assert 0.57 <= share <= 0.67


def test_every_family_has_at_least_three_distinct_eligibility_needs(world):
    needs = world["eligibility_need"].group_by("episode_id").agg(pl.col("headline_outcome").n_unique().alias("n"))
    assert needs.height == WORLD_FAMILIES
    assert needs["n"].min() >= 3


def test_family_measure_needs_at_baseline_appear_among_eligibility_needs(world, index_dates):
    catalogue = load_measures()
    headline = {measure.id: measure.headline_outcome for measure in catalogue.measures if measure.unit == "family"}
    baseline_needs = (
        world["need_observation"].join(index_dates, on="family_id")
        .filter((pl.col("observed_on") == pl.col("index_date")) & pl.col("need_present")
                & pl.col("measure_id").is_in(list(headline)))
        .with_columns(pl.col("measure_id").replace_strict(headline).alias("headline_outcome"))
        .select("family_id", "headline_outcome").unique()
    )
    eligibility = world["eligibility_need"].join(
        world["programme_episode"].select("episode_id", "family_id"), on="episode_id")
    assert baseline_needs.join(eligibility, on=["family_id", "headline_outcome"], how="anti").height == 0


def test_families_have_children_and_parents_of_believable_ages(world):
    members = world["family_member"].join(world["person_identifier"], on="person_id").join(
        world["programme_episode"].select("family_id", "eligibility_date"), on="family_id")
    members = members.with_columns(_age(pl.col("date_of_birth"), pl.col("eligibility_date")).alias("age"))
    per_family = members.group_by("family_id").agg(
        (pl.col("role") == "child").sum().alias("children"), (pl.col("role") == "parent_carer").sum().alias("parents"))
    assert per_family["children"].is_between(1, 5).all()
    assert per_family["parents"].is_between(1, 2).all()
    assert members.filter(pl.col("role") == "child")["age"].is_between(0, 17).all()
    assert members.filter(pl.col("role") == "parent_carer")["age"].is_between(18, 60).all()
    assert (members["start_date"] <= members["eligibility_date"]).all()
    ended = members.filter(pl.col("end_date").is_not_null())
    assert (ended["end_date"] > ended["start_date"]).all() and (ended["end_date"] <= AS_OF).all()


def test_missing_values_and_identifiers_follow_the_documented_rules(world):
    people = world["person_identifier"].join(world["family_member"], on="person_id").join(
        world["programme_episode"].select("family_id", "eligibility_date"), on="family_id").with_columns(
        _age(pl.col("date_of_birth"), pl.col("eligibility_date")).alias("age"))
    assert 0.03 <= people["ethnic_group"].is_null().mean() <= 0.07
    assert 0.01 <= people["nhs_number"].is_null().mean() <= 0.035
    assert people["sex"].is_null().mean() < 0.01
    assert people.filter(pl.col("age") < 16)["ni_number"].is_null().all()
    assert people.filter(pl.col("age") >= 18)["ni_number"].is_not_null().mean() > 0.85
    assert people.filter(pl.col("role") != "child")["upn"].is_null().all()
    assert people.filter(pl.col("age") < 4)["upn"].is_null().all()
    assert people.filter((pl.col("role") == "child") & (pl.col("age") >= 6))["upn"].is_not_null().mean() > 0.85
    stated = people["ethnic_group"].drop_nulls()
    assert stated.str.starts_with("White").mean() == pytest.approx(0.95, abs=0.025)
    assert (stated == ETHNIC_GROUPS[0]).mean() > 0.85


def test_episode_dates_follow_the_programme_rules(world):
    episodes = world["programme_episode"]
    assert episodes["eligibility_date"].is_between(date(2020, 4, 1), AS_OF).all()
    supported = episodes.filter(pl.col("cohort") == "supported")
    comparison = episodes.filter(pl.col("cohort") == "comparison")

    def days(later: str, earlier: str, frame: pl.DataFrame = supported) -> pl.Series:
        return frame.select((pl.col(later) - pl.col(earlier)).dt.total_days()).to_series().drop_nulls()

    assert days("attachment_date", "eligibility_date").is_between(0, 60).all()
    assert days("assessment_date", "attachment_date").is_between(14, 28).all()
    assert days("plan_date", "assessment_date").is_between(7, 21).all()
    assert days("closure_date", "attachment_date").is_between(190, 426).all()
    for column in ("attachment_date", "assessment_date", "plan_date", "closure_date"):
        assert (supported[column].drop_nulls() <= AS_OF).all()
    closed = supported.filter(pl.col("closure_date").is_not_null())
    assert closed["closure_reason"].is_not_null().all()
    assert (closed["closure_reason"] == "outcomes_achieved").mean() > 0.5
    assert supported.filter(pl.col("closure_date").is_null())["closure_reason"].is_null().all()
    assert (supported["team_code"].str.slice(0, 3) == supported.join(
        world["family"], on="family_id")["locality_code"]).all()
    assert supported["lead_practitioner_key"].str.contains(r"^LP[0-9]{4}$").all()
    assert supported["comparison_status"].is_null().all()
    for column in ("attachment_date", "team_code", "lead_practitioner_key", "closure_date", "closure_reason"):
        assert comparison[column].is_null().all(), column
    assert comparison["comparison_status"].is_not_null().all()
    by_year = episodes.group_by(pl.col("eligibility_date").dt.year().alias("year")).len()
    counts = dict(by_year.iter_rows())
    assert counts[2025] > counts[2021]  # the programme grows


def test_history_has_six_complete_financial_years_before_the_part_year(world):
    """The default data date (30 September 2026) leaves 2020/21 to 2025/26 complete: enough for a five-year trend
    after a maturing latest year."""
    starts = world["programme_episode"].select(
        year=pl.when(pl.col("eligibility_date").dt.month() >= 4).then(pl.col("eligibility_date").dt.year())
        .otherwise(pl.col("eligibility_date").dt.year() - 1))["year"]
    assert sorted(starts.unique().to_list()) == [2020, 2021, 2022, 2023, 2024, 2025, 2026]
    assert history_start(date(2026, 9, 30)) == date(2020, 4, 1)
    assert history_start(date(2027, 3, 31)) == date(2020, 4, 1)
    assert history_start(date(2027, 4, 1)) == date(2021, 4, 1)


def test_every_applicable_unit_has_one_baseline_on_the_index_date(world, index_dates):
    catalogue = load_measures()
    observations = world["need_observation"].join(index_dates, on="family_id")
    baseline = observations.filter(pl.col("observed_on") == pl.col("index_date"))
    family_measures = [measure.id for measure in catalogue.measures if measure.unit == "family"]
    per_family = baseline.filter(pl.col("measure_id").is_in(family_measures)).group_by("family_id").len()
    assert per_family.height == WORLD_FAMILIES and (per_family["len"] == len(family_measures)).all()
    assert baseline.select("measure_id", "family_id", "person_id").is_duplicated().sum() == 0

    members = world["family_member"].join(world["person_identifier"], on="person_id").join(index_dates, on="family_id")
    members = members.with_columns(_age(pl.col("date_of_birth"), pl.col("index_date")).alias("age"))
    for measure in catalogue.measures:
        if measure.unit != "person":
            continue
        expected = set(members.filter(pl.col("age").is_between(measure.min_age, measure.max_age))["person_id"])
        observed = set(baseline.filter(pl.col("measure_id") == measure.id)["person_id"])
        assert observed == expected, measure.id


def test_person_measure_observations_are_of_people_in_the_age_range_at_the_index_date(world, index_dates):
    catalogue = load_measures()
    ranges = pl.DataFrame({
        "measure_id": [measure.id for measure in catalogue.measures if measure.unit == "person"],
        "min_age": [measure.min_age for measure in catalogue.measures if measure.unit == "person"],
        "max_age": [measure.max_age for measure in catalogue.measures if measure.unit == "person"],
    })
    observed = (
        world["need_observation"].join(ranges, on="measure_id").join(index_dates, on="family_id")
        .join(world["person_identifier"].select("person_id", "date_of_birth"), on="person_id")
        .with_columns(_age(pl.col("date_of_birth"), pl.col("index_date")).alias("age"))
    )
    assert observed.height > 0
    assert observed["age"].is_between(observed["min_age"], observed["max_age"]).all()


def test_follow_ups_only_for_needs_at_baseline_on_the_key_dates(world, index_dates):
    observations = world["need_observation"].join(index_dates, on="family_id").with_columns(
        (pl.col("observed_on") - pl.col("index_date")).dt.total_days().alias("days"),
        (pl.col("observed_on") == pl.col("closure_date")).alias("at_closure"),
        ((pl.col("observed_on") - pl.col("closure_date")).dt.total_days() == 183).alias("after_closure"),
    )
    assert (observations["observed_on"] <= AS_OF).all()
    assert observations["observation_id"].to_list() == list(range(1, observations.height + 1))
    later = observations.filter(pl.col("days") > 0)
    supported = later.filter(pl.col("cohort") == "supported")
    comparison = later.filter(pl.col("cohort") == "comparison")
    assert (supported["days"].is_in([182, 365]) | supported["at_closure"] | supported["after_closure"]).all()
    assert comparison["days"].is_in([182, 365, 548]).all()
    unit = ["measure_id", "family_id", "person_id"]
    needs = observations.filter((pl.col("days") == 0) & pl.col("need_present")).select(unit)
    assert later.select(unit).join(needs, on=unit, how="anti", nulls_equal=True).height == 0
    assert later.height > 0.2 * observations.height


def test_observation_sources_are_short_forms_of_the_measure_source(world):
    catalogue = load_measures()
    for measure_id, source in world["need_observation"].select("measure_id", "source").unique().iter_rows():
        assert len(source) <= 64
        words = set(catalogue.by_id(measure_id).source.replace(",", " ").replace(";", " ").split())
        assert set(source.split()) <= words
