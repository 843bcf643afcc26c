"""Same seed, same world; different seed, different world; effect_scale moves only the follow-up outcomes."""

from __future__ import annotations

import polars as pl

from synthetic import generate_world


def _assert_same_world(first, second) -> None:
    assert list(first) == list(second)
    for name in first:
        assert first[name].equals(second[name]), name
    for name in ("planted_effects", "att", "units"):
        assert getattr(first.truth, name).equals(getattr(second.truth, name)), name


def test_same_seed_gives_identical_frames_and_truth():
    _assert_same_world(generate_world(400, 5), generate_world(400, 5))


def test_different_seeds_give_different_worlds():
    first, second = generate_world(400, 5), generate_world(400, 6)
    for name in ("family", "person_identifier", "programme_episode", "need_observation"):
        assert not first[name].equals(second[name]), name


def test_effect_scale_changes_only_follow_up_outcomes(world, world_without_effect):
    for name in world:
        if name not in ("dataset_info", "need_observation"):
            assert world[name].equals(world_without_effect[name]), name
    observed, unaffected = world["need_observation"], world_without_effect["need_observation"]
    assert observed.drop("need_present").equals(unaffected.drop("need_present"))
    # Baselines (observed on the index date) are identical; follow-ups differ somewhere.
    index = world["programme_episode"].select(
        "family_id", pl.coalesce("attachment_date", "eligibility_date").alias("index_date"))

    def baselines(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.join(index, on="family_id").filter(pl.col("observed_on") == pl.col("index_date"))

    assert baselines(observed).equals(baselines(unaffected))
    assert not observed.equals(unaffected)
    info = dict(world_without_effect["dataset_info"].iter_rows())
    assert info["effect_scale"] == "0.0"
