"""Primary rule golden values (threshold 10, base 5) and the percentage rule, hand-computed."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from data_access.config import DisclosurePolicy
from metrics.disclosure import (
    CONFIDENTIAL,
    percent_publishable,
    protect_count,
    protect_counts_frame,
    published_count_bounds,
)

POLICY = DisclosurePolicy(threshold=10, rounding_base=5, percentage_min_each_side=10, protection_level=5,
                          confidence_level="95")

GOLDEN = {0: 0.0, 1: None, 9: None, 10: 10.0, 12: 10.0, 13: 15.0, 14: 15.0, 15: 15.0, 17: 15.0, 18: 20.0,
          22: 20.0, 23: 25.0, 100: 100.0, 102: 100.0, 103: 105.0}


@pytest.mark.parametrize(("true", "expected"), GOLDEN.items())
def test_primary_rule_golden_scalar(true: int, expected: float | None) -> None:
    value, symbol = protect_count(true, POLICY)
    assert value == expected
    assert symbol == (CONFIDENTIAL if expected is None else None)


def test_primary_rule_golden_vectorised_and_frame_agree() -> None:
    trues = list(GOLDEN)
    values, symbols = protect_count(np.array(trues), POLICY)
    frame = protect_counts_frame(pl.DataFrame({"true_value": trues}), policy=POLICY)
    assert "true_value" not in frame.columns
    for i, true in enumerate(trues):
        expected = GOLDEN[true]
        assert (np.isnan(values[i]) if expected is None else values[i] == expected)
        assert frame["value"][i] == expected
        assert frame["symbol"][i] == symbols[i] == (CONFIDENTIAL if expected is None else None)


def test_threshold_not_multiple_of_base_never_publishes_below_threshold() -> None:
    policy = DisclosurePolicy(threshold=12, rounding_base=5, percentage_min_each_side=10, protection_level=5,
                              confidence_level="95")
    assert protect_count(11, policy) == (None, CONFIDENTIAL)
    assert protect_count(12, policy) == (15.0, None)  # nearest would be 10, which is below the threshold
    assert published_count_bounds(15.0, policy) == (12.0, 17.0)


def test_negative_or_fractional_counts_raise() -> None:
    with pytest.raises(ValueError):
        protect_count(-1, POLICY)
    with pytest.raises(ValueError):
        protect_count(2.5, POLICY)


@given(st.integers(min_value=0, max_value=100_000))
def test_published_bounds_contain_truth_and_are_tight(true: int) -> None:
    value, symbol = protect_count(true, POLICY)
    if symbol is not None:
        assert 1 <= true <= 9
        return
    low, high = published_count_bounds(value, POLICY)
    assert low <= true <= high
    # every integer inside the bounds publishes the same value (the reader learns exactly this interval)
    for candidate in range(int(low), int(high) + 1):
        assert protect_count(candidate, POLICY)[0] == value


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(10, 20, True), (9, 20, False), (11, 20, False), (10, 19, False), (0, 50, False), (50, 50, False),
     (40, 50, True), (41, 50, False), (0, 0, False)],
)
def test_percentage_rule(numerator: int, denominator: int, expected: bool) -> None:
    assert percent_publishable(numerator, denominator, POLICY) is expected
