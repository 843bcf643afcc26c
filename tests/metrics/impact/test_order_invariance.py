"""The impact estimates do not depend on the order of the rows (shuffle test), at the level of the whole analysis."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from data_access.config import load_measures
from metrics.impact.analysis import UNIT_KEY, analyse
from metrics.impact.analysis_frame import analysis_frames, impact_inputs
from synthetic.world import generate_world


@pytest.fixture(scope="module")
def frames():
    world = generate_world(3000, 8)
    return {frame.outcome_id: frame for frame in analysis_frames(impact_inputs(world), load_measures())}


def _matched_units(frame: pl.DataFrame, analysis) -> set[tuple]:
    ordered = frame[analysis.order]
    keys = list(zip(*(ordered[name].to_list() for name in UNIT_KEY), strict=True))
    return {(keys[t], keys[c]) for t, c in zip(analysis.matches.treated, analysis.matches.control, strict=True)}


@pytest.mark.parametrize("outcome", ["M06", "M12", "any_need"])
def test_shuffled_rows_give_the_same_pairs_and_estimates(frames, outcome: str) -> None:
    frame = frames[outcome]
    before = analyse(frame.frame, frame.spec)
    for seed in (1, 2):
        shuffled = frame.frame.sample(fraction=1.0, shuffle=True, seed=seed)
        assert not shuffled["episode_id"].equals(frame.frame["episode_id"])
        after = analyse(shuffled, frame.spec)
        assert _matched_units(shuffled, after) == _matched_units(frame.frame, before)
        for mine, theirs in zip(before.estimates(), after.estimates(), strict=True):
            assert (mine.estimate, mine.standard_error) == (theirs.estimate, theirs.standard_error)
        assert {k: v.estimate for k, v in before.sensitivity.items()} == {
            k: v.estimate for k, v in after.sensitivity.items()}
        # A locality subgroup, given as a mask over the shuffled rows, is the same set of pairs.
        chesil = shuffled["locality"].to_numpy() == "Chesil"
        original = frame.frame["locality"].to_numpy() == "Chesil"
        assert after.subgroup(chesil)[1].estimate == before.subgroup(original)[1].estimate
    assert np.isfinite(before.psm.estimate)
