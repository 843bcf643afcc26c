"""Class disclosure: the group size below which a zero numerator is hidden comes from the policy (config)."""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl

from data_access.config import DisclosurePolicy, load_disclosure_policy
from metrics.disclosure.secondary import CLASS_ZERO, PRIMARY, PUBLISHED, primary_status

POLICY = DisclosurePolicy(threshold=10, rounding_base=5, percentage_min_each_side=10, protection_level=5,
                          confidence_level="95", class_disclosure_min_group=20)


def _statuses(numerators: list[int], denominators: list[int], policy: DisclosurePolicy) -> np.ndarray:
    """Units 0..k-1 are numerators, k..2k-1 their denominators; returns the numerators' primary statuses."""
    truth = np.array(numerators + denominators, dtype=np.float64)
    k = len(numerators)
    pairs = pl.DataFrame({"num_unit": list(range(k)), "den_unit": list(range(k, 2 * k))},
                         schema={"num_unit": pl.Int64, "den_unit": pl.Int64})
    return primary_status(truth, pairs, policy)[:k]


def test_zero_of_a_group_below_the_configured_size_is_hidden() -> None:
    statuses = _statuses([0, 0, 0, 0, 3], [1, 19, 20, 0, 40], POLICY)
    assert statuses.tolist() == [CLASS_ZERO, CLASS_ZERO, PUBLISHED, PUBLISHED, PRIMARY]


def test_a_larger_configured_group_hides_more_zeros() -> None:
    """Fails if the limit were still 2 x percentage_min_each_side (20): a zero of 25 must be hidden at 30."""
    stricter = dataclasses.replace(POLICY, class_disclosure_min_group=30)
    assert _statuses([0, 0, 0], [25, 29, 30], stricter).tolist() == [CLASS_ZERO, CLASS_ZERO, PUBLISHED]
    assert _statuses([0], [25], POLICY).tolist() == [PUBLISHED]


def test_the_shipped_policy_is_what_primary_status_uses() -> None:
    policy = load_disclosure_policy()
    limit = policy.class_disclosure_min_group
    assert _statuses([0, 0], [limit - 1, limit], policy).tolist() == [CLASS_ZERO, PUBLISHED]
