"""The three estimators against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metrics.impact.estimators import Z_95, aipw_att, matched_difference, naive_difference
from metrics.impact.matching import Matches


def test_paired_difference_and_its_se_by_hand() -> None:
    # pairs (treated, control) outcomes: (1,1) (0,1) (0,1) (1,0) (0,0) -> differences 0,-1,-1,1,0
    y = np.array([1, 0, 0, 1, 0, 1, 1, 1, 0, 0], dtype=float)
    matches = Matches(np.arange(5), np.arange(5, 10), np.array([], int))
    result = matched_difference(y, matches)
    differences = np.array([0, -1, -1, 1, 0], dtype=float)
    assert result.estimate == pytest.approx(-0.2)
    assert result.standard_error == pytest.approx(differences.std(ddof=1) / math.sqrt(5))
    assert result.ci_lower == pytest.approx(-0.2 - Z_95 * result.standard_error)
    assert (result.treated_count, result.control_count, result.n_treated) == (2, 3, 5)
    assert result.relative_difference == pytest.approx(-0.2 / 0.6)
    assert result.minimum_detectable_effect == pytest.approx(2.8015852 * result.standard_error, rel=1e-6)


def test_naive_difference_by_hand() -> None:
    y = np.array([1, 1, 0, 0, 0, 1, 0, 0, 0, 0], dtype=float)
    t = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=bool)
    result = naive_difference(y, t)
    assert result.estimate == pytest.approx(0.5 - 1 / 6)
    assert result.standard_error == pytest.approx(math.sqrt(0.25 / 4 + (1 / 6) * (5 / 6) / 6))
    assert result.p_value == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(abs(result.estimate) / result.standard_error
                                                                             / math.sqrt(2)))))


def test_aipw_with_a_saturated_binary_confounder_equals_the_stratified_att() -> None:
    """With one binary covariate both models are saturated, so AIPW-ATT is the exact stratum-weighted ATT."""
    rng = np.random.default_rng(3)
    n = 4000
    x = rng.random(n) < 0.4
    t = rng.random(n) < np.where(x, 0.7, 0.3)
    y = (rng.random(n) < 0.2 + 0.3 * x - 0.1 * t).astype(float)
    score = np.where(x, t[x].mean(), t[~x].mean())
    result = aipw_att(y, t, score, x[:, None].astype(float))
    expected = sum(
        (t & stratum).sum() / t.sum() * (y[t & stratum].mean() - y[~t & stratum].mean()) for stratum in (x, ~x)
    )
    assert result.estimate == pytest.approx(expected, abs=1e-6)
    assert 0 < result.standard_error < 0.05
    assert result.treated_share == pytest.approx(y[t].mean())
