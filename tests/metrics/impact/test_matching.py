"""Matching: a hand-worked example, and properties that any correct greedy 1:1 caliper matching has."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.impact.matching import caliper_width, nearest_neighbour_match


def _pairs(matches) -> set[tuple[int, int]]:
    return set(zip(matches.treated.tolist(), matches.control.tolist(), strict=True))


def test_hand_worked_example_closest_claimant_wins_and_caliper_drops_the_far_one() -> None:
    # rows:        0(T)  1(C)  2(T)  3(C)  4(T)  5(C)
    logit = np.array([0.00, 0.05, 0.10, 0.30, 2.00, 0.90])
    treated = np.array([True, False, True, False, True, False])
    matches = nearest_neighbour_match(logit, treated, caliper=0.25)
    # Row 0 and row 2 both want row 1 (0.05 vs 0.05: tie -> earlier row 0). Row 2 then takes row 3 (0.20).
    # Row 4's nearest is row 5 at 1.10 > caliper: unmatched.
    assert _pairs(matches) == {(0, 1), (2, 3)}
    assert matches.unmatched_treated.tolist() == [4]
    assert matches.unmatched_share == 1 / 3


def test_never_matches_across_strata_even_without_a_caliper() -> None:
    logit = np.array([0.0, 0.01, 5.0, 0.02])
    treated = np.array([True, False, True, False])
    strata = np.array(["2023/24", "2024/25", "2024/25", "2024/25"])
    matches = nearest_neighbour_match(logit, treated, strata, caliper=None)
    assert _pairs(matches) == {(2, 3)} or _pairs(matches) == {(2, 1)}
    assert 0 in matches.unmatched_treated.tolist()


def test_caliper_is_point_two_sd_of_the_logit() -> None:
    logit = np.array([1.0, 2.0, 3.0, 4.0])
    assert caliper_width(logit) == 0.2 * np.std(logit, ddof=1)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-4, 4, allow_nan=False), st.booleans(), st.integers(0, 2)), min_size=1, max_size=60
    ),
    st.floats(0.01, 2.0),
)
def test_pairs_are_valid_and_the_matching_is_maximal(units, caliper) -> None:
    logit = np.array([u[0] for u in units])
    treated = np.array([u[1] for u in units])
    strata = np.array([u[2] for u in units])
    matches = nearest_neighbour_match(logit, treated, strata, caliper)
    t, c = matches.treated, matches.control
    assert treated[t].all() and not treated[c].any()
    assert len(set(c.tolist())) == c.size  # without replacement
    assert (strata[t] == strata[c]).all()
    assert (np.abs(logit[t] - logit[c]) <= caliper + 1e-12).all()
    assert sorted(t.tolist() + matches.unmatched_treated.tolist()) == np.flatnonzero(treated).tolist()
    # Maximal: no unmatched supported unit has a still-unused comparison unit in its stratum within the caliper.
    unused = np.setdiff1d(np.flatnonzero(~treated), c)
    for row in matches.unmatched_treated:
        same = unused[strata[unused] == strata[row]]
        assert not (np.abs(logit[same] - logit[row]) <= caliper).any()


def test_matches_are_close_to_the_nearest_available() -> None:
    """With plenty of comparison units, each pair is (nearly) as close as the nearest comparison unit at all."""
    rng = np.random.default_rng(1)
    logit = rng.normal(size=4000)
    treated = rng.random(4000) < 0.1
    matches = nearest_neighbour_match(logit, treated, caliper=0.05)
    controls = np.sort(logit[~treated])
    gaps = np.abs(logit[matches.treated] - logit[matches.control])
    nearest = np.min(np.abs(controls[None, :] - logit[matches.treated][:, None]), axis=1)
    assert matches.unmatched_share < 0.02
    assert np.median(gaps - nearest) < 1e-3
