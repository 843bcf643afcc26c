"""Standardised mean differences, checked against hand-computed values."""

from __future__ import annotations

import math

import numpy as np

from metrics.impact.balance import balance_table, standardised_mean_differences
from metrics.impact.matching import Matches


def test_smd_by_hand() -> None:
    # supported: 1, 2, 3 (mean 2, var 1); comparison: 0, 0, 1, 3 (mean 1, var 2).
    x = np.array([1, 2, 3, 0, 0, 1, 3], dtype=float)
    treated = np.array([1, 1, 1, 0, 0, 0, 0], dtype=bool)
    matches = Matches(treated=np.array([0, 1, 2]), control=np.array([5, 3, 6]), unmatched_treated=np.array([], int))
    before, after = standardised_mean_differences(x, treated, matches)
    assert math.isclose(before[0], (2 - 1) / math.sqrt((1 + 2) / 2))
    # matched comparison: 1, 0, 3 (mean 4/3); same (pre-matching) denominator.
    assert math.isclose(after[0], (2 - 4 / 3) / math.sqrt(1.5))


def test_balance_table_flags_at_point_one() -> None:
    x = np.column_stack([[0.0, 1, 0, 1], [5.0, 5, 5, 5]])
    treated = np.array([True, True, False, False])
    matches = Matches(np.array([0, 1]), np.array([2, 3]), np.array([], int))
    table = balance_table(x, ("binary", "constant"), treated, matches)
    assert table["covariate"].to_list() == ["binary", "constant"]
    assert table["smd_before"].to_list() == [0.0, 0.0]
    assert table["imbalanced_after"].to_list() == [False, False]
