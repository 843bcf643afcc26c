"""metrics.stats against an independent implementation: statsmodels (a test dependency only, never used by the app).

* Wilson score interval: statsmodels.stats.proportion.proportion_confint(method="wilson"). statsmodels uses the
  exact normal quantile; we use Fingertips' published z (1.959964 / 3.090232), so the two agree to 1e-6.
* Chi-square test for trend (Cochran-Armitage): statsmodels' linear-by-linear association test on the 2 x k table
  with scores 1..k gives z^2 = (N - 1) r^2; the Fingertips statistic is N r^2, i.e. z^2 N / (N - 1).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.contingency_tables import Table
from statsmodels.stats.proportion import proportion_confint

from metrics import stats


@st.composite
def counts(draw) -> tuple[int, int]:
    trials = draw(st.integers(1, 5000))
    return draw(st.integers(0, trials)), trials


@settings(max_examples=150, deadline=None)
@given(counts(), st.sampled_from(stats.LEVELS))
def test_wilson_equals_statsmodels(pair: tuple[int, int], level: str) -> None:
    successes, trials = pair
    alpha = {stats.LEVEL_95: 0.05, stats.LEVEL_998: 0.002}[level]
    expected = proportion_confint(successes, trials, alpha=alpha, method="wilson")
    ours = stats.wilson_interval(successes, trials, level)
    assert ours == pytest.approx(expected, abs=1e-6)


def _cochran_armitage(numerators: list[int], denominators: list[int]) -> float:
    table = np.column_stack([np.subtract(denominators, numerators), numerators]).astype(float)
    result = Table(table, shift_zeros=False).test_ordinal_association(row_scores=np.arange(1.0, len(numerators) + 1.0),
                                                   col_scores=np.array([0.0, 1.0]))
    total = float(np.sum(denominators))
    return float(result.zscore) ** 2 * total / (total - 1.0)


@st.composite
def series(draw) -> tuple[list[int], list[int]]:
    denominators = draw(st.lists(st.integers(20, 3000), min_size=5, max_size=5))
    numerators = [draw(st.integers(0, n)) for n in denominators]
    return numerators, denominators


@settings(max_examples=150, deadline=None)
@given(series())
def test_trend_chi_square_equals_statsmodels_cochran_armitage(data: tuple[list[int], list[int]]) -> None:
    numerators, denominators = data
    total, events = sum(denominators), sum(numerators)
    result = stats.trend_test(numerators, denominators, polarity=stats.HIGHER_IS_BETTER)
    if events in (0, total):
        assert result.chi_square == 0.0  # no variation at all: statsmodels divides by zero here
        return
    assert result.chi_square == pytest.approx(_cochran_armitage(numerators, denominators), rel=1e-9, abs=1e-9)


def test_trend_label_follows_the_oracles_statistic_and_the_critical_value() -> None:
    """A clear rise at 99.8%: statsmodels' statistic is above 9.5495 and the published label says so."""
    numerators, denominators = [40, 50, 60, 70, 80], [200, 200, 200, 200, 200]
    assert _cochran_armitage(numerators, denominators) > stats.TREND_CRITICAL_CHI_SQUARE[stats.LEVEL_998]
    result = stats.trend_test(numerators, denominators, stats.LEVEL_998, polarity=stats.LOWER_IS_BETTER)
    assert result.label == stats.TREND_INCREASING_WORSE
