"""Optimal matching: hand-worked examples, an independent oracle (scipy's assignment solver), and invariance to the
order of the rows."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from metrics.impact.matching import caliper_width, optimal_match


def _pairs(matches) -> set[tuple[int, int]]:
    return set(zip(matches.treated.tolist(), matches.control.tolist(), strict=True))


def test_hand_worked_example_and_the_caliper_drops_the_far_one() -> None:
    # rows:        0(T)  1(C)  2(T)  3(C)  4(T)  5(C)
    logit = np.array([0.00, 0.05, 0.10, 0.30, 2.00, 0.90])
    treated = np.array([True, False, True, False, True, False])
    matches = optimal_match(logit, treated, caliper=0.25)
    # 0-1 and 2-3 (0.05^2 + 0.20^2) beat 2-1 alone; row 4's nearest is 1.10 away, beyond the caliper.
    assert _pairs(matches) == {(0, 1), (2, 3)}
    assert matches.unmatched_treated.tolist() == [4]
    assert matches.unmatched_share == 1 / 3


def test_as_many_pairs_as_the_caliper_allows_where_greedy_would_strand_one() -> None:
    """a (0.00) and b (0.12) both have c (0.05) as nearest; a greedy match gives c to a (closer) and strands b (d is
    0.13 away, beyond the 0.1 caliper). The optimal match pairs a with e (0.08 away) and b with c."""
    logit = np.array([0.00, 0.12, 0.05, 0.25, -0.08])
    treated = np.array([True, True, False, False, False])
    assert _pairs(optimal_match(logit, treated, caliper=0.1)) == {(0, 4), (1, 2)}


def test_never_matches_across_strata_even_without_a_caliper() -> None:
    logit = np.array([0.0, 0.01, 5.0, 0.02])
    treated = np.array([True, False, True, False])
    strata = np.array(["2023/24", "2024/25", "2024/25", "2024/25"])
    matches = optimal_match(logit, treated, strata, caliper=None)
    assert _pairs(matches) == {(2, 3)}  # 3 is nearer to 2 than 1 is
    assert matches.unmatched_treated.tolist() == [0]


def test_exact_ties_are_broken_by_the_key_not_the_row_position() -> None:
    """Two comparison units with the same score: the one earlier in the key order is taken, wherever its row is."""
    logit = np.array([0.0, 0.1, 0.1])
    treated = np.array([True, False, False])
    first = optimal_match(logit, treated, key=np.array([0, 1, 2]))
    swapped = optimal_match(logit, treated, key=np.array([0, 2, 1]))
    assert _pairs(first) != _pairs(swapped)
    assert {pair[1] for pair in _pairs(swapped)} == {2}


def test_caliper_is_point_two_sd_of_the_logit() -> None:
    logit = np.array([1.0, 2.0, 3.0, 4.0])
    assert caliper_width(logit) == 0.2 * np.std(logit, ddof=1)


units_strategy = st.lists(st.tuples(st.floats(-3, 3, allow_nan=False), st.booleans(), st.integers(0, 2)),
                          min_size=1, max_size=40)


def _oracle(logit: np.ndarray, treated: np.ndarray, strata: np.ndarray, caliper: float) -> tuple[int, float]:
    """(pairs, total squared distance) of the lexicographic optimum, by scipy's assignment solver per stratum."""
    pairs, total = 0, 0.0
    for code in np.unique(strata):
        t = np.flatnonzero(treated & (strata == code))
        c = np.flatnonzero(~treated & (strata == code))
        if not t.size or not c.size:
            continue
        distance = (logit[t][:, None] - logit[c][None, :]) ** 2
        allowed = np.abs(logit[t][:, None] - logit[c][None, :]) <= caliper
        big = t.size * caliper**2 + 1.0
        cost = np.hstack([np.where(allowed, distance - big, 10 * big * t.size), np.zeros((t.size, t.size))])
        rows, cols = linear_sum_assignment(cost)
        real = cols < c.size
        pairs += int(real.sum())
        total += float(distance[rows[real], cols[real]].sum())
    return pairs, total


@settings(max_examples=200, deadline=None)
@given(units_strategy, st.floats(0.01, 2.0))
def test_pairs_are_valid_maximum_and_of_least_total_distance(units, caliper) -> None:
    logit = np.array([u[0] for u in units])
    treated = np.array([u[1] for u in units])
    strata = np.array([u[2] for u in units])
    matches = optimal_match(logit, treated, strata, caliper)
    t, c = matches.treated, matches.control
    assert treated[t].all() and not treated[c].any()
    assert len(set(c.tolist())) == c.size and len(set(t.tolist())) == t.size  # without replacement
    assert (strata[t] == strata[c]).all()
    assert (np.abs(logit[t] - logit[c]) <= caliper + 1e-12).all()
    assert sorted(t.tolist() + matches.unmatched_treated.tolist()) == np.flatnonzero(treated).tolist()
    # Maximum: as many pairs as a maximum bipartite matching of the caliper graph (scipy).
    allowed = ((np.abs(logit[:, None] - logit[None, :]) <= caliper) & (strata[:, None] == strata[None, :])
               & treated[:, None] & ~treated[None, :])
    most = int((maximum_bipartite_matching(csr_matrix(allowed.astype(np.int8)), perm_type="column") >= 0).sum())
    assert matches.n_pairs == most
    # Optimal: the same number of pairs and total squared distance as the assignment solver.
    pairs, total = _oracle(logit, treated, strata, caliper)
    assert matches.n_pairs == pairs
    assert float(((logit[t] - logit[c]) ** 2).sum()) <= total + 1e-9


@settings(max_examples=100, deadline=None)
@given(units_strategy, st.floats(0.01, 2.0), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_of_the_rows(units, caliper, random) -> None:
    logit = np.array([u[0] for u in units])
    treated = np.array([u[1] for u in units])
    strata = np.array([u[2] for u in units])
    ids = np.arange(len(units)) * 7 + 3  # a stable unit id, carried with each row
    shuffle = np.array(random.sample(range(len(units)), len(units)))
    before = optimal_match(logit, treated, strata, caliper, key=ids)
    after = optimal_match(logit[shuffle], treated[shuffle], strata[shuffle], caliper, key=ids[shuffle])
    as_ids = {(ids[a], ids[b]) for a, b in _pairs(before)}
    assert as_ids == {(ids[shuffle][a], ids[shuffle][b]) for a, b in _pairs(after)}


def test_rounded_scores_with_many_exact_ties_still_do_not_depend_on_row_order() -> None:
    rng = np.random.default_rng(3)
    logit = np.round(rng.normal(size=400), 1)  # many exact ties
    treated = rng.random(400) < 0.5
    strata = rng.integers(0, 3, 400)
    ids = rng.permutation(400) + 1000
    before = optimal_match(logit, treated, strata, 0.1, key=ids)
    for seed in range(5):
        shuffle = np.random.default_rng(seed).permutation(400)
        after = optimal_match(logit[shuffle], treated[shuffle], strata[shuffle], 0.1, key=ids[shuffle])
        assert {(ids[a], ids[b]) for a, b in _pairs(before)} == {
            (ids[shuffle][a], ids[shuffle][b]) for a, b in _pairs(after)}


def test_a_large_stratum_whose_caliper_window_is_a_small_share_of_it_against_the_oracle() -> None:
    """The dynamic programme keeps only each unit's caliper window (metrics/impact/matching.py); here the windows
    are about a tenth of the comparison group, with gaps, ties and units no one is close to, as at scale."""
    rng = np.random.default_rng(11)
    logit = np.concatenate([rng.normal(0, 1, 700), rng.uniform(4, 6, 30), np.round(rng.normal(0, 1, 200), 2)])
    treated = rng.random(logit.size) < 0.35
    strata = rng.integers(0, 2, logit.size)
    caliper = caliper_width(logit)
    matches = optimal_match(logit, treated, strata, caliper)
    pairs, total = _oracle(logit, treated, strata, caliper)
    assert matches.n_pairs == pairs
    assert abs(float(((logit[matches.treated] - logit[matches.control]) ** 2).sum()) - total) <= 1e-9
    assert (np.abs(logit[matches.treated] - logit[matches.control]) <= caliper).all()
