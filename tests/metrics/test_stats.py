"""Golden tests for metrics/stats.py: published Fingertips vectors, hand computations and properties."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2

from metrics import stats
from metrics.stats import (
    BETTER,
    BETTER_95,
    BETTER_998,
    COMPARISON_LABELS,
    HIGHER,
    HIGHER_998,
    HIGHER_IS_BETTER,
    LOWER,
    LOWER_95,
    LOWER_IS_BETTER,
    NO_POLARITY,
    NOT_COMPARED,
    POLARITIES,
    SIMILAR,
    TREND_CANNOT,
    TREND_DECREASING,
    TREND_DECREASING_BETTER,
    TREND_DECREASING_WORSE,
    TREND_INCREASING,
    TREND_INCREASING_BETTER,
    TREND_INCREASING_WORSE,
    TREND_LABELS,
    TREND_NO_CHANGE,
    WORSE,
    WORSE_95,
    WORSE_998,
    compare_frame,
    compare_with_benchmark,
    trend_test,
    wilson_exprs,
    wilson_interval,
    z_for,
)

# --- z values ----------------------------------------------------------------------------------------------------


def test_z_values_are_the_published_constants() -> None:
    assert z_for("95") == 1.959964
    assert z_for("99.8") == 3.090232


@pytest.mark.parametrize("bad", ["90", "95%", 95, 99.8, ""])
def test_z_for_rejects_unknown_levels(bad: object) -> None:
    with pytest.raises(ValueError):
        z_for(bad)  # type: ignore[arg-type]


# --- Wilson: published vectors and edge cases -------------------------------------------------------------------


def test_wilson_published_vector_95() -> None:
    lower, upper = wilson_interval(65, 100, "95")
    assert (round(lower * 100, 2), round(upper * 100, 2)) == (55.25, 73.64)


def test_wilson_published_vector_998() -> None:
    lower, upper = wilson_interval(65, 100, "99.8")
    assert (round(lower * 100, 2), round(upper * 100, 2)) == (49.55, 77.84)


def test_wilson_scalars_give_floats_and_arrays_give_arrays() -> None:
    assert isinstance(wilson_interval(1, 2)[0], float)
    lower, upper = wilson_interval(np.array([65, 0, 3]), np.array([100, 0, 3]))
    assert lower.shape == upper.shape == (3,)
    assert lower[0] == pytest.approx(0.552544, abs=1e-6)
    assert math.isnan(lower[1]) and math.isnan(upper[1])  # trials == 0
    assert upper[2] == 1.0 and lower[2] < 1.0  # 3 of 3: upper clipped to exactly 1


def test_wilson_zero_successes_has_lower_zero_and_hand_upper() -> None:
    z = 1.959964
    lower, upper = wilson_interval(0, 20)
    assert lower == 0.0
    assert upper == pytest.approx(z**2 / (20 + z**2), rel=1e-12)  # (z^2 + z*z) / (2(n + z^2))


def test_wilson_missing_inputs_give_nan() -> None:
    lower, upper = wilson_interval([None, 5], [10, None])
    assert np.isnan(lower).all() and np.isnan(upper).all()


@pytest.mark.parametrize(("successes", "trials"), [(11, 10), (-1, 10), (1, -5)])
def test_wilson_rejects_impossible_counts(successes: int, trials: int) -> None:
    with pytest.raises(ValueError):
        wilson_interval(successes, trials)


# --- Wilson: properties -----------------------------------------------------------------------------------------


@st.composite
def successes_and_trials(draw: st.DrawFn, min_trials: int = 1) -> tuple[int, int]:
    trials = draw(st.integers(min_value=min_trials, max_value=1_000_000))
    return draw(st.integers(min_value=0, max_value=trials)), trials


levels = st.sampled_from(["95", "99.8"])


@given(successes_and_trials(), levels)
def test_wilson_contains_p_and_stays_in_unit_interval(counts: tuple[int, int], level: str) -> None:
    x, n = counts
    lower, upper = wilson_interval(x, n, level)
    assert 0.0 <= lower <= x / n <= upper <= 1.0


@given(successes_and_trials(), st.integers(min_value=2, max_value=50), levels)
def test_wilson_narrows_as_n_grows_at_fixed_p(counts: tuple[int, int], factor: int, level: str) -> None:
    x, n = counts
    small_lower, small_upper = wilson_interval(x, n, level)
    big_lower, big_upper = wilson_interval(x * factor, n * factor, level)
    assert big_upper - big_lower < small_upper - small_lower


@given(successes_and_trials())
def test_wilson_998_contains_95(counts: tuple[int, int]) -> None:
    lower_95, upper_95 = wilson_interval(*counts, "95")
    lower_998, upper_998 = wilson_interval(*counts, "99.8")
    assert lower_998 <= lower_95 and upper_95 <= upper_998
    assert upper_998 - lower_998 > upper_95 - lower_95


@given(st.lists(successes_and_trials(min_trials=0), min_size=1, max_size=30), levels)
def test_wilson_vectorised_equals_scalar(rows: list[tuple[int, int]], level: str) -> None:
    xs, ns = (np.array(column) for column in zip(*rows, strict=True))
    lower, upper = wilson_interval(xs, ns, level)
    for i, (x, n) in enumerate(rows):
        scalar_lower, scalar_upper = wilson_interval(x, n, level)
        np.testing.assert_equal((lower[i], upper[i]), (scalar_lower, scalar_upper))


@settings(deadline=None)
@given(st.lists(successes_and_trials(min_trials=0), min_size=1, max_size=30), levels)
def test_wilson_polars_expr_equals_numpy(rows: list[tuple[int, int]], level: str) -> None:
    frame = pl.DataFrame(rows, schema=["x", "n"], orient="row")
    lower_expr, upper_expr = wilson_exprs(pl.col("x"), pl.col("n"), level)
    result = frame.lazy().select(lower=lower_expr, upper=upper_expr).collect()
    lower, upper = wilson_interval(frame["x"].to_numpy(), frame["n"].to_numpy(), level)
    # numpy marks trials == 0 with nan; polars with null.
    np.testing.assert_allclose(result["lower"].to_numpy(), lower, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(result["upper"].to_numpy(), upper, rtol=1e-12, atol=1e-15)
    assert result["lower"].null_count() == int((frame["n"] == 0).sum())


def test_wilson_expr_gives_null_for_missing_nan_and_impossible_rows() -> None:
    frame = pl.DataFrame({"x": [None, 1.0, float("nan"), 3.0, 2.0], "n": [5.0, float("nan"), 5.0, 2.0, 0.0]})
    lower_expr, upper_expr = wilson_exprs(pl.col("x"), pl.col("n"))
    result = frame.select(lower=lower_expr, upper=upper_expr)
    assert result["lower"].null_count() == 5 and result["upper"].null_count() == 5


# --- comparison -------------------------------------------------------------------------------------------------

# value 60%, 95% CI 55..65, 99.8% CI 52..68.
CASES_SINGLE = [
    (0.50, HIGHER_IS_BETTER, BETTER),
    (0.50, LOWER_IS_BETTER, WORSE),
    (0.50, NO_POLARITY, HIGHER),
    (0.70, HIGHER_IS_BETTER, WORSE),
    (0.70, LOWER_IS_BETTER, BETTER),
    (0.70, NO_POLARITY, LOWER),
    (0.60, HIGHER_IS_BETTER, SIMILAR),
    (0.55, HIGHER_IS_BETTER, SIMILAR),  # on the bound counts as inside
    (0.65, LOWER_IS_BETTER, SIMILAR),
    (0.62, NO_POLARITY, SIMILAR),
]


@pytest.mark.parametrize(("benchmark", "polarity", "expected"), CASES_SINGLE)
def test_comparison_single_level_hand_cases(benchmark: float, polarity: str, expected: str) -> None:
    assert compare_with_benchmark(0.60, 0.55, 0.65, benchmark, polarity) == expected


CASES_TWO_LEVEL = [
    (0.50, HIGHER_IS_BETTER, BETTER_998),
    (0.53, HIGHER_IS_BETTER, BETTER_95),
    (0.52, HIGHER_IS_BETTER, BETTER_95),  # on the 99.8% bound: inside it
    (0.69, HIGHER_IS_BETTER, WORSE_998),
    (0.66, HIGHER_IS_BETTER, WORSE_95),
    (0.50, LOWER_IS_BETTER, WORSE_998),
    (0.67, LOWER_IS_BETTER, "better (95%)"),
    (0.50, NO_POLARITY, HIGHER_998),
    (0.66, NO_POLARITY, LOWER_95),
    (0.58, LOWER_IS_BETTER, SIMILAR),
]


@pytest.mark.parametrize(("benchmark", "polarity", "expected"), CASES_TWO_LEVEL)
def test_comparison_two_level_hand_cases(benchmark: float, polarity: str, expected: str) -> None:
    assert compare_with_benchmark(0.60, 0.55, 0.65, benchmark, polarity, 0.52, 0.68) == expected


@pytest.mark.parametrize(
    "args",
    [
        (0.6, None, 0.65, 0.5),
        (0.6, 0.55, float("nan"), 0.5),
        (None, 0.55, 0.65, 0.5),
        (0.6, 0.55, 0.65, None),
        (0.6, 0.55, 0.65, float("nan")),
    ],
)
def test_comparison_not_compared_when_anything_missing(args: tuple) -> None:
    for polarity in POLARITIES:
        assert compare_with_benchmark(*args, polarity) == NOT_COMPARED
        assert compare_with_benchmark(*args, polarity, 0.5, 0.7) == NOT_COMPARED


def test_comparison_missing_998_bound_is_not_compared() -> None:
    assert compare_with_benchmark(0.6, 0.55, 0.65, 0.5, HIGHER_IS_BETTER, float("nan"), 0.68) == NOT_COMPARED


def test_comparison_rejects_bad_polarity_and_reversed_interval() -> None:
    with pytest.raises(ValueError):
        compare_with_benchmark(0.6, 0.55, 0.65, 0.5, "higher")
    with pytest.raises(ValueError):
        compare_with_benchmark(0.6, 0.65, 0.55, 0.5, HIGHER_IS_BETTER)


def test_comparison_labels_constant() -> None:
    assert len(set(COMPARISON_LABELS)) == len(COMPARISON_LABELS) == 14


def test_compare_frame_hand_heat_map_rows() -> None:
    frame = pl.DataFrame(
        {
            "value": [0.6, 0.6, 0.6, None, 0.6],
            "lower": [0.55, 0.55, 0.55, 0.5, 0.55],
            "upper": [0.65, 0.65, 0.65, 0.7, 0.65],
            "benchmark": [0.5, 0.7, 0.7, 0.5, 0.6],
            "polarity": [HIGHER_IS_BETTER, HIGHER_IS_BETTER, NO_POLARITY, LOWER_IS_BETTER, LOWER_IS_BETTER],
        }
    )
    assert compare_frame(frame).to_list() == [BETTER, WORSE, LOWER, NOT_COMPARED, SIMILAR]
    assert compare_frame(frame, polarity=LOWER_IS_BETTER).to_list() == [WORSE, BETTER, BETTER, NOT_COMPARED, SIMILAR]


def test_compare_frame_validates() -> None:
    frame = pl.DataFrame({"value": [0.6], "lower": [0.55], "upper": [0.65], "benchmark": [0.5]})
    with pytest.raises(ValueError):
        compare_frame(frame)  # no polarity anywhere
    with pytest.raises(ValueError):
        compare_frame(frame.with_columns(polarity=pl.lit("up")))
    with pytest.raises(ValueError):
        compare_frame(frame.with_columns(lower=pl.lit(0.7)), polarity=HIGHER_IS_BETTER)


@st.composite
def comparison_rows(draw: st.DrawFn, two_level: bool) -> dict:
    maybe = st.one_of(st.none(), st.just(float("nan")), st.floats(min_value=0, max_value=1))
    bounds = sorted(draw(st.lists(st.floats(min_value=0, max_value=1), min_size=4, max_size=4)))
    row = {
        "value": draw(st.one_of(st.floats(min_value=0, max_value=1), maybe)),
        "lower": draw(st.one_of(st.just(bounds[1]), st.none())),
        "upper": bounds[2],
        "benchmark": draw(st.one_of(st.sampled_from(bounds), st.floats(min_value=0, max_value=1), maybe)),
        "polarity": draw(st.sampled_from(POLARITIES)),
    }
    if two_level:
        row["lower_998"] = bounds[0]
        row["upper_998"] = draw(st.one_of(st.just(bounds[3]), st.just(float("nan"))))
    return row


@settings(deadline=None)
@given(st.booleans().flatmap(lambda two: st.lists(comparison_rows(two), min_size=1, max_size=40)))
def test_compare_frame_equals_scalar(rows: list[dict]) -> None:
    frame = pl.DataFrame(rows, schema_overrides={"value": pl.Float64, "lower": pl.Float64, "benchmark": pl.Float64})
    vectorised = compare_frame(frame).to_list()
    scalar = [compare_with_benchmark(**row) for row in rows]
    assert vectorised == scalar
    assert set(vectorised) <= set(COMPARISON_LABELS)


# --- trend test -------------------------------------------------------------------------------------------------


def hand_chi_square_for_trend(numerators: list[float], denominators: list[float]) -> float:
    """The indicators.md formula, written out independently of metrics.stats."""
    x = [1, 2, 3, 4, 5]
    big_n = sum(denominators)
    big_o = sum(numerators)
    sum_ox = sum(o * xi for o, xi in zip(numerators, x, strict=True))
    sum_nx = sum(n * xi for n, xi in zip(denominators, x, strict=True))
    sum_nx2 = sum(n * xi * xi for n, xi in zip(denominators, x, strict=True))
    return big_n * (big_n * sum_ox - big_o * sum_nx) ** 2 / (big_o * (big_n - big_o) * (big_n * sum_nx2 - sum_nx**2))


def test_trend_hand_computed_chi_square() -> None:
    numerators, denominators = [20, 25, 30, 35, 40], [100] * 5
    # By hand: N = 500, O = 150, sum O x = 500, sum N x = 1500, sum N x^2 = 5500
    # X2 = 500 * (500*500 - 150*1500)^2 / (150 * 350 * (500*5500 - 1500^2)) = 500 * 25000^2 / (52500 * 500000)
    #    = 250 / 21 = 11.905
    assert hand_chi_square_for_trend(numerators, denominators) == pytest.approx(250 / 21)
    result = trend_test(numerators, denominators, polarity=HIGHER_IS_BETTER)
    assert result.chi_square == pytest.approx(250 / 21, rel=1e-12)
    assert (result.label, result.slope_sign, result.n_points) == (TREND_INCREASING_BETTER, 1, 5)


def test_trend_hand_computed_unequal_denominators() -> None:
    numerators, denominators = [12, 30, 19, 44, 38], [80, 150, 90, 160, 120]
    result = trend_test(numerators, denominators, "95", polarity=NO_POLARITY)
    assert result.chi_square == pytest.approx(hand_chi_square_for_trend(numerators, denominators), rel=1e-12)


@pytest.mark.parametrize(
    ("numerators", "polarity", "expected"),
    [
        ([20, 25, 30, 35, 40], HIGHER_IS_BETTER, TREND_INCREASING_BETTER),
        ([20, 25, 30, 35, 40], LOWER_IS_BETTER, TREND_INCREASING_WORSE),
        ([20, 25, 30, 35, 40], NO_POLARITY, TREND_INCREASING),
        ([40, 35, 30, 25, 20], HIGHER_IS_BETTER, TREND_DECREASING_WORSE),
        ([40, 35, 30, 25, 20], LOWER_IS_BETTER, TREND_DECREASING_BETTER),
        ([40, 35, 30, 25, 20], NO_POLARITY, TREND_DECREASING),
    ],
)
def test_trend_direction_and_polarity_words(numerators: list[int], polarity: str, expected: str) -> None:
    result = trend_test(numerators, [100] * 5, polarity=polarity)
    assert result.label == expected
    assert result.label in TREND_LABELS


def test_trend_flat_series_is_no_significant_change() -> None:
    result = trend_test([30] * 5, [100] * 5, polarity=HIGHER_IS_BETTER)
    assert result.label == TREND_NO_CHANGE
    assert result.chi_square == 0.0 and result.slope_sign == 0


def test_trend_all_zero_is_no_significant_change_not_a_crash() -> None:
    result = trend_test([0] * 5, [40] * 5, polarity=HIGHER_IS_BETTER)
    assert (result.label, result.chi_square) == (TREND_NO_CHANGE, 0.0)


def test_trend_level_matters() -> None:
    # Same proportions as the hand example with N_i = 60: X2 = 0.6 * 250/21 = 7.14, between 3.8415 and 9.5495.
    numerators, denominators = [12, 15, 18, 21, 24], [60] * 5
    at_998 = trend_test(numerators, denominators, "99.8", polarity=HIGHER_IS_BETTER)
    at_95 = trend_test(numerators, denominators, "95", polarity=HIGHER_IS_BETTER)
    assert at_998.chi_square == pytest.approx(0.6 * 250 / 21)
    assert (at_998.label, at_95.label) == (TREND_NO_CHANGE, TREND_INCREASING_BETTER)


def test_trend_four_points_cannot_be_calculated() -> None:
    result = trend_test([20, 25, 30, 35], [100] * 4, polarity=HIGHER_IS_BETTER)
    assert (result.label, result.n_points, result.slope_sign) == (TREND_CANNOT, 4, 0)
    assert math.isnan(result.chi_square)


@pytest.mark.parametrize(
    ("numerators", "denominators"),
    [
        ([20, 25, 30, 35, 40], [100, 100, 0, 100, 100]),
        ([20, 25, None, 35, 40], [100] * 5),
        ([20, 25, 30, 35, 40], [100, float("nan"), 100, 100, 100]),
    ],
)
def test_trend_missing_or_zero_denominator_cannot_be_calculated(numerators: list, denominators: list) -> None:
    assert trend_test(numerators, denominators, polarity=HIGHER_IS_BETTER).label == TREND_CANNOT


def test_trend_uses_only_the_last_five_points() -> None:
    five = trend_test([20, 25, 30, 35, 40], [100] * 5, polarity=HIGHER_IS_BETTER)
    seven = trend_test([90, 0, 20, 25, 30, 35, 40], [100] * 7, polarity=HIGHER_IS_BETTER)
    assert seven == five
    # ...and a gap before the window does not matter either
    assert trend_test([None, 20, 25, 30, 35, 40], [0, 100, 100, 100, 100, 100], polarity=HIGHER_IS_BETTER) == five


def test_trend_one_outlier_fails_leave_one_out() -> None:
    # Gently falling for four years, then one jump: X2 is huge, but dropping the last point reverses the slope.
    numerators, denominators = [500, 490, 480, 470, 800], [1000] * 5
    result = trend_test(numerators, denominators, polarity=HIGHER_IS_BETTER)
    assert result.chi_square > 9.5495  # the chi-square alone would flag it
    assert result.chi_square == pytest.approx(hand_chi_square_for_trend(numerators, denominators))
    assert result.slope_sign == 1
    assert result.label == TREND_NO_CHANGE


def test_trend_needs_polarity_and_valid_counts() -> None:
    with pytest.raises(TypeError):
        trend_test([1] * 5, [2] * 5)  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        trend_test([1] * 5, [2] * 5, polarity="up")
    with pytest.raises(ValueError):
        trend_test([1, 1, 1, 1, 3], [2] * 5, polarity=HIGHER_IS_BETTER)
    with pytest.raises(ValueError):
        trend_test([1] * 5, [2] * 4, polarity=HIGHER_IS_BETTER)


def test_trend_critical_values_are_chi_square_quantiles() -> None:
    assert stats.TREND_CRITICAL_CHI_SQUARE["99.8"] == pytest.approx(chi2.ppf(0.998, 1), abs=1e-4)
    assert stats.TREND_CRITICAL_CHI_SQUARE["95"] == pytest.approx(chi2.ppf(0.95, 1), abs=1e-4)
