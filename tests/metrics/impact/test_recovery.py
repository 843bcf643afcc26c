"""Recovery of the planted programme effect on synthetic worlds (synthetic.generate_world).

The generator plants a known effect with confounding: supported families have more needs, more prior
contacts and more deprivation, and needs persist more often with them. These tests can fail:
(1) the naive difference is biased; (2) matching balances every covariate; (3) over replicates the 95%
interval covers the truth 90-99% of the time and the mean bias is within Monte Carlo error; (4) with no
planted effect a zero effect is rejected about 5% of the time; (5) leaving a confounder out of the
propensity model breaks (3). Default sizes keep the whole file near a minute on a quiet 2-core machine;
the slow-marked versions run 200 replicates.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats

from data_access.config import load_measures
from metrics.impact.analysis import analyse
from metrics.impact.analysis_frame import analysis_frames, impact_inputs
from metrics.impact.balance import IMBALANCE_THRESHOLD
from synthetic.world import generate_world
from tests.metrics.impact.replicates import study, summary, unit_truth, without_needs

FAMILIES = 5000
REPLICATES = 30
SLOW_REPLICATES = 200


def _row(table: pl.DataFrame, method: str) -> dict:
    return table.filter(pl.col("method") == method).to_dicts()[0]


@pytest.fixture(scope="module")
def big_world_analyses():
    """One large world (50,000 families), every outcome analysed."""
    world = generate_world(50_000, 2024)
    return world, [(frame, analyse(frame.frame, frame.spec)) for frame in analysis_frames(impact_inputs(world),
                                                                                        load_measures())]


def test_naive_difference_is_biased_and_matching_is_not(big_world_analyses) -> None:
    world, analyses = big_world_analyses
    naive_misses, psm_misses = 0, 0
    for frame, analysis in analyses:
        truth = unit_truth(world, frame)
        all_supported, matched = truth[analysis.treated].mean(), truth[analysis.matches.treated].mean()
        naive_misses += not analysis.naive.ci_lower <= all_supported <= analysis.naive.ci_upper
        psm_misses += not analysis.psm.ci_lower <= matched <= analysis.psm.ci_upper
        # Confounding makes the unadjusted difference look worse (less negative) than the truth.
        assert analysis.naive.estimate > all_supported, frame.outcome_id
    assert naive_misses >= len(analyses) - 2, f"naive CI missed the truth for only {naive_misses} outcomes"
    assert psm_misses <= 2


def test_matching_balances_every_covariate(big_world_analyses) -> None:
    _, analyses = big_world_analyses
    for frame, analysis in analyses:
        balance = analysis.balance()
        assert balance["smd_before"].abs().max() > 0.3, "the world should start out imbalanced"
        worst = balance.sort(pl.col("smd_after").abs(), descending=True).row(0, named=True)
        assert abs(worst["smd_after"]) < IMBALANCE_THRESHOLD, (frame.outcome_id, worst)


def _check_recovery(results: pl.DataFrame) -> None:
    table = summary(results)
    psm, aipw, naive = _row(table, "psm"), _row(table, "aipw"), _row(table, "naive")
    assert 0.90 <= psm["coverage"] <= 0.99, psm
    assert abs(psm["mean_bias"]) <= 3 * psm["mc_se"], psm
    assert 0.85 <= aipw["coverage"] <= 0.99, aipw
    assert abs(aipw["mean_bias"]) < 0.01, aipw
    assert naive["coverage"] < 0.5 and naive["mean_bias"] > 0.05, naive


def _check_null(results: pl.DataFrame) -> None:
    assert results["truth"].abs().max() == 0.0  # effect_scale 0: supported and not supported share every probability
    psm = results.filter(pl.col("method") == "psm")
    rejections = int((psm["p_value"] < 0.05).sum())
    # Binomial 99.9% range around 5%, widened by half for outcomes sharing families within a world.
    low, high = stats.binom.ppf([0.0005, 0.9995], psm.height, 0.05)
    slack = 0.5 * (high - low) / 2
    assert low - slack <= rejections <= high + slack, (rejections, psm.height)


@pytest.mark.slow  # replicated worlds: 15-30 s
def test_interval_covers_the_truth_and_bias_is_within_monte_carlo_error() -> None:
    _check_recovery(study(range(REPLICATES), FAMILIES))


@pytest.mark.slow  # replicated worlds: 15-30 s
def test_zero_effect_is_rejected_about_five_percent_of_the_time() -> None:
    _check_null(study(range(100, 100 + REPLICATES), FAMILIES, effect_scale=0.0))


@pytest.mark.slow  # replicated worlds: 15-30 s
def test_leaving_out_a_confounder_breaks_recovery() -> None:
    """Without the family's needs at baseline in the propensity model, coverage falls clearly."""
    seeds, families = range(200, 206), 20_000
    full = summary(study(seeds, families))
    omitted = summary(study(seeds, families, adjust=without_needs))
    full_psm, omitted_psm = _row(full, "psm"), _row(omitted, "psm")
    assert full_psm["coverage"] >= 0.85, full_psm
    assert omitted_psm["coverage"] <= full_psm["coverage"] - 0.2, (full_psm, omitted_psm)
    assert omitted_psm["mean_bias"] > 5 * omitted_psm["mc_se"], omitted_psm


@pytest.mark.slow
def test_recovery_over_many_replicates() -> None:
    _check_recovery(study(range(1000, 1000 + SLOW_REPLICATES), FAMILIES))


@pytest.mark.slow
def test_null_over_many_replicates() -> None:
    _check_null(study(range(2000, 2000 + SLOW_REPLICATES), FAMILIES, effect_scale=0.0))


def test_analysed_population_is_exactly_the_generators_followed_units() -> None:
    """The supported units the analysis frame keeps are exactly the generator's followed-up units with the need,
    and the per-unit truth averages to the generator's own ATT (a check on both the frame and the helper)."""
    world = generate_world(3000, 5)
    frames = {frame.outcome_id: frame for frame in analysis_frames(impact_inputs(world), load_measures())}
    att = {row["measure_id"]: row for row in world.truth.att.iter_rows(named=True)}
    for measure_id, frame in frames.items():
        if measure_id in att:
            truth = unit_truth(world, frame)[frame.frame["treated"].to_numpy()]
            assert truth.size == att[measure_id]["n_units"], measure_id
            assert 100 * truth.mean() == pytest.approx(att[measure_id]["true_att_pp"], abs=1e-9)
    assert np.isfinite(unit_truth(world, frames["any_need"])).all()
