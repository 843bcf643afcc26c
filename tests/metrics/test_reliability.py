"""How far a shown percentage can be from the truth: hand-worked bounds and a property over true counts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_access.config import DisclosurePolicy
from metrics.disclosure import percent_publishable, round_count
from metrics.reliability import is_low_reliability, max_percent_error, ratio_range

POLICY = DisclosurePolicy(threshold=10, rounding_base=5, percentage_min_each_side=10, protection_level=5,
                          confidence_level="95")


def test_the_issues_example_ten_of_twenty_five():
    """10 of 25 is shown as 40.0%; the truth can be 12 of 23 = 52.17% (x in 10..12, y in 23..27, y - x >= 10)."""
    assert max_percent_error([10.0], [25.0], [40.0], POLICY)[0] == pytest.approx(12.2)
    assert is_low_reliability(12.2)


def test_a_large_denominator_is_within_two_and_a_half_points():
    """100 of 200 (50.0%): the truth lies between 98 / 202 = 48.51% and 102 / 198 = 51.52%."""
    assert max_percent_error([100.0], [200.0], [50.0], POLICY)[0] == pytest.approx(1.6)
    assert not is_low_reliability(1.6)


def test_nothing_to_bound_when_the_percentage_is_not_shown():
    assert np.isnan(max_percent_error([np.nan], [25.0], [np.nan], POLICY)[0])


def test_ratio_range_of_sums():
    assert ratio_range(86, 94, 161, 169) == pytest.approx((86 / 169, 94 / 161))
    assert ratio_range(10, 30, 20, 40) == pytest.approx((10 / 40, 1.0))  # x <= y caps the ratio at 1


@settings(max_examples=400, deadline=None)
@given(st.integers(10, 400), st.integers(10, 400))
def test_the_truth_is_never_further_than_max_error(numerator: int, others: int):
    denominator = numerator + others
    assert percent_publishable(numerator, denominator, POLICY)
    num_pub, den_pub = round_count(numerator, POLICY), round_count(denominator, POLICY)
    shown = round(100 * num_pub / den_pub, 1)
    bound = max_percent_error([float(num_pub)], [float(den_pub)], [shown], POLICY)[0]
    assert abs(shown - 100 * numerator / denominator) <= bound + 1e-9
