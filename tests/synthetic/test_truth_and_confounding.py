"""The planted effect and its ground truth, and the confounding an impact analysis has to undo."""

from __future__ import annotations

import polars as pl
import pytest

from synthetic import generate_world
from synthetic.model import PLANTED_REDUCTION_PP

UNIT = ["measure_id", "family_id", "person_id"]


def test_supported_families_have_more_needs_contacts_and_deprivation(world):
    needs = world["eligibility_need"].group_by("episode_id").len("n_needs")
    families = world["programme_episode"].join(needs, on="episode_id").join(world["family"], on="family_id")
    means = families.group_by("cohort").agg(pl.col("n_needs", "prior_contacts", "deprivation_decile").mean())
    supported, comparison = (means.filter(pl.col("cohort") == cohort).row(0, named=True)
                             for cohort in ("supported", "comparison"))
    assert supported["n_needs"] > comparison["n_needs"] + 0.3
    assert supported["prior_contacts"] > comparison["prior_contacts"] + 0.3
    assert supported["deprivation_decile"] < comparison["deprivation_decile"]


def test_a_naive_comparison_is_biased_against_the_programme(world):
    """Supported units are more vulnerable, so their needs persist more: the naive difference exceeds the truth."""
    units = world.truth.units.filter("followed_up_12m")
    rates = units.group_by("supported").agg(pl.col("need_present_12m").mean())
    naive_pp = 100 * (rates.filter("supported")["need_present_12m"][0]
                      - rates.filter(~pl.col("supported"))["need_present_12m"][0])
    treated = units.filter("supported")
    true_pp = 100 * (treated["p_present_treated"] - treated["p_present_untreated"]).mean()
    assert naive_pp - true_pp > 5


def test_planted_effects_scale_with_effect_scale():
    world = generate_world(200, 3, effect_scale=2.0)
    planted = dict(world.truth.planted_effects.iter_rows())
    assert planted == {measure_id: 2 * effect for measure_id, effect in PLANTED_REDUCTION_PP.items()}


def test_true_att_is_the_planted_reduction_up_to_clipping(world):
    planted = dict(world.truth.planted_effects.iter_rows())
    for measure_id, att, n_units in world.truth.att.iter_rows():
        assert n_units > 0, measure_id
        assert -planted[measure_id] - 1e-9 <= att <= 0, measure_id
        assert att <= -0.9 * planted[measure_id], measure_id
    assert dict(world.truth.att.select("measure_id", "true_att_pp").iter_rows())["M11"] == 0.0


def test_effect_scale_zero_means_the_programme_changes_nothing(world_without_effect):
    truth = world_without_effect.truth
    assert (truth.planted_effects["effect_pp"] == 0).all()
    assert (truth.att["true_att_pp"] == 0).all()
    assert (truth.units["p_present_treated"] == truth.units["p_present_untreated"]).all()


def test_truth_agrees_with_the_12_month_observations_in_the_tables(world):
    index = world["programme_episode"].select(
        "family_id", pl.coalesce("attachment_date", "eligibility_date").alias("index_date"))
    at_12_months = (
        world["need_observation"].join(index, on="family_id")
        .filter((pl.col("observed_on") - pl.col("index_date")).dt.total_days() == 365)
        .select(*UNIT, "need_present")
    )
    units = world.truth.units.filter("followed_up_12m")
    matched = units.join(at_12_months, on=UNIT, how="left", nulls_equal=True)
    assert matched.height == units.height == at_12_months.height
    assert (matched["need_present"] == matched["need_present_12m"]).all()
    counts = units.filter("supported").group_by("measure_id").len()
    assert dict(counts.iter_rows()) == dict(world.truth.att.select("measure_id", "n_units").iter_rows())


def test_people_followed_are_those_with_a_need_at_baseline(world):
    assert world.truth.units.select(UNIT).is_duplicated().sum() == 0
    assert world.truth.units["p_present_untreated"].is_between(0.01, 0.99).all()
    assert world.truth.units["p_present_treated"].is_between(0.01, 0.99).all()


@pytest.mark.parametrize("bad", [{"n_families": 0}, {"effect_scale": -1.0}])
def test_bad_arguments_are_refused(bad):
    arguments = {"n_families": 10, "seed": 1} | bad
    with pytest.raises(ValueError):
        generate_world(**arguments)
