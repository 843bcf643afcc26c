"""Publication of impact results: every number protected, the estimate and locality rules applied."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from data_access.config import load_disclosure_policy
from data_access.published_schema import PUBLISHED_COLUMNS
from metrics.audit import assert_safe
from metrics.disclosure import percent_publishable
from metrics.impact import (
    balance_rows,
    forest_rows,
    impact_count_cells,
    impact_inputs,
    impact_rows,
    published_impact_rows,
)
from metrics.impact.analysis import SENSITIVITY_CALIPERS
from metrics.impact.tables import (
    COMPARISON_SCORE,
    IMPACT_COLUMNS,
    LOCALITY_MAX_MDE_PP,
    LOCALITY_MIN_PAIRS,
    MIN_UNITS_FOR_ESTIMATE,
    OVERLAP_BINS,
    OVERLAP_HISTOGRAMS,
    SHARE_SOURCE,
    SUPPORTED_SCORE,
    overlap_from_published,
)
from synthetic.world import generate_world
from tests.shipped_config import KNOWLEDGE, SETTINGS, shipped_impact

POLICY = load_disclosure_policy()


@pytest.fixture(scope="module")
def results():
    return shipped_impact(impact_inputs(generate_world(6000, 11)))


def _protected_count(value: float | None) -> bool:
    return value is None or value == 0 or (value % POLICY.rounding_base == 0 and value >= POLICY.threshold)


def test_impact_rows_columns_and_protected_counts(results) -> None:
    rows = impact_rows(results, POLICY, SETTINGS.polarities)
    assert rows.columns == list(IMPACT_COLUMNS)
    assert set(rows["method"]) == {"psm", "aipw", "naive", *SENSITIVITY_CALIPERS}
    sensitivity = len(SENSITIVITY_CALIPERS)  # Dorset only
    assert rows.height == len(results.outcomes) * ((1 + len(results.locality_names)) * 3 + sensitivity)
    for column in ("n_treated", "n_matched", "n_comparison"):
        assert all(_protected_count(value) for value in rows[column].to_list()), column
    published = rows.filter(pl.col("symbol").is_null())
    assert (published["ci_lower"] <= published["estimate"]).all()
    assert (published["estimate"] <= published["ci_upper"]).all()
    assert rows.filter(pl.col("symbol").is_not_null())["estimate"].is_null().all()


def test_published_estimate_equals_the_rounded_true_estimate_and_passes_the_rules(results) -> None:
    rows = impact_rows(results, POLICY, SETTINGS.polarities).filter(pl.col("locality") == results.area_name)
    for outcome in results.outcomes:
        psm = outcome.analysis.psm
        row = rows.filter((pl.col("measure") == outcome.outcome_id) & (pl.col("method") == "psm")).row(0, named=True)
        publishable = (psm.n_treated >= MIN_UNITS_FOR_ESTIMATE
                       and percent_publishable(psm.treated_count, psm.n_treated, POLICY)
                       and percent_publishable(psm.control_count, psm.n_control, POLICY))
        assert (row["symbol"] is None) == publishable, outcome.outcome_id
        if publishable:
            assert row["estimate"] == round(100 * psm.estimate, 1)
            assert row["ci_upper"] == round(100 * psm.ci_upper, 1)
            assert row["mde_pp"] == round(100 * psm.minimum_detectable_effect, 1)


def test_locality_rule_needs_pairs_and_power(results) -> None:
    rows = impact_rows(results, POLICY, SETTINGS.polarities).filter(pl.col("locality") != results.area_name)
    assert rows.filter(pl.col("method") != "psm")["symbol"].eq("[z]").all()
    checked = 0
    for outcome in results.outcomes:
        for locality in outcome.localities:
            row = rows.filter((pl.col("measure") == outcome.outcome_id) & (pl.col("locality") == locality.locality)
                              & (pl.col("method") == "psm")).row(0, named=True)
            powered = (locality.psm.n_treated >= LOCALITY_MIN_PAIRS
                       and 100 * locality.psm.minimum_detectable_effect <= LOCALITY_MAX_MDE_PP)
            if row["symbol"] is None:
                assert powered
                checked += 1
            elif row["symbol"] == "[x]" and locality.psm.n_treated >= MIN_UNITS_FOR_ESTIMATE:
                assert "It could only detect an effect of about" in row["note"]
                assert not powered
    assert checked >= 1, "a 6,000-family world should support at least one locality estimate (any need)"


def test_count_cells_add_up_from_localities_to_dorset(results) -> None:
    cells = impact_count_cells(results).filter(pl.col("breakdown") == "none")  # histograms: Dorset only
    dorset = cells.filter(pl.col("locality") == results.area_name).select("measure", "statistic", "true_value")
    localities = (cells.filter(pl.col("locality") != results.area_name)
                  .group_by("measure", "statistic").agg(pl.col("true_value").sum().alias("summed")))
    joined = dorset.join(localities, on=["measure", "statistic"])
    assert joined.height == dorset.height
    assert (joined["true_value"] == joined["summed"]).all()


@pytest.fixture(scope="module")
def published(results) -> pl.DataFrame:
    return published_impact_rows(results, POLICY, SETTINGS.polarities)


def test_published_rows_are_in_the_long_format_and_protected(results, published) -> None:
    assert published.columns == list(PUBLISHED_COLUMNS)
    assert (published["table"] == "impact").all()
    # comparison rows carry their label as the symbol; a max_error keeps its value beside [u]
    rows = published.filter(~pl.col("kind").is_in(["comparison", "max_error", "share_max_error"]))
    assert (rows["value"].is_null() != rows["symbol"].is_null()).all(), "exactly one of value and symbol"
    counts = published.filter(pl.col("kind") == "count")
    assert all(_protected_count(value) for value in counts["value"].to_list())
    keys = ["measure", "locality", "breakdown", "category"]
    cells = impact_count_cells(results).filter(pl.col("breakdown") == "none")
    true = {(r["measure"], r["locality"], r["statistic"]): r["true_value"] for r in cells.iter_rows(named=True)}
    shown = {(r["measure"], r["locality"], r["statistic"]): r["value"]
             for r in counts.filter(pl.col("breakdown") == "none").iter_rows(named=True)}
    percents = published.filter(pl.col("kind") == "percent")
    assert percents.height == cells.select(keys[:2]).unique().height * 4
    for row in percents.iter_rows(named=True):
        key = (row["measure"], row["locality"])
        numerator, denominator = true[(*key, row["numerator"])], true[(*key, row["denominator"])]
        counts_shown = shown[(*key, row["numerator"])] is not None and shown[(*key, row["denominator"])] is not None
        assert (row["value"] is not None) == (bool(percent_publishable(numerator, denominator, POLICY))
                                              and counts_shown)
        if row["value"] is not None:  # from the published (rounded) counts, never the true ones
            assert row["value"] == round(100 * shown[(*key, row["numerator"])] / shown[(*key, row["denominator"])], 1)


def test_the_standalone_impact_table_survives_the_attack(published) -> None:
    report = assert_safe(published, POLICY, knowledge=KNOWLEDGE)
    assert report.cells.filter(pl.col("breakdown") != "none").height > 0, "some histogram bins are hidden"


def test_histogram_bins_add_up_to_the_published_group_sizes(results) -> None:
    cells = impact_count_cells(results)
    bins = cells.filter(pl.col("breakdown").is_in([SUPPORTED_SCORE, COMPARISON_SCORE]))
    assert set(bins["locality"]) == {results.area_name}
    assert set(zip(bins["statistic"], bins["breakdown"], strict=True)) == set(OVERLAP_HISTOGRAMS)
    sums = bins.filter(pl.col("category") != "All").group_by("measure", "statistic", "breakdown").agg(
        pl.col("true_value").sum().alias("bins"), pl.len().alias("n_bins"))
    totals = bins.filter(pl.col("category") == "All").select("measure", "statistic", "breakdown", "true_value")
    sizes = cells.filter(pl.col("breakdown") == "none", pl.col("locality") == results.area_name).select(
        "measure", "statistic", size="true_value")
    joined = sums.join(totals, on=["measure", "statistic", "breakdown"]).join(sizes, on=["measure", "statistic"])
    assert joined.height == sums.height == 4 * sum(outcome.analysis is not None for outcome in results.outcomes)
    assert (joined["n_bins"] == OVERLAP_BINS).all()
    assert (joined["bins"] == joined["true_value"]).all() and (joined["true_value"] == joined["size"]).all()


def test_small_world_suppresses_rather_than_reveals() -> None:
    """With 400 families most cells are small: estimates must be [c] or [x], never shown on tiny groups."""
    small = shipped_impact(impact_inputs(generate_world(400, 3)))
    rows = impact_rows(small, POLICY, SETTINGS.polarities)
    assert rows.filter(pl.col("symbol") == "[c]").height > 0
    for outcome in small.outcomes:
        if outcome.analysis is None:
            continue
        psm = outcome.analysis.psm
        row = rows.filter((pl.col("measure") == outcome.outcome_id) & (pl.col("locality") == small.area_name)
                          & (pl.col("method") == "psm")).row(0, named=True)
        if row["estimate"] is not None:
            assert percent_publishable(psm.treated_count, psm.n_treated, POLICY)
            assert percent_publishable(psm.control_count, psm.n_control, POLICY)


def test_balance_and_overlap_outputs_are_plot_ready_and_protected(results, published) -> None:
    balance = balance_rows(results, POLICY)
    assert {"measure", "covariate", "smd_before", "smd_after", "imbalanced_after", "symbol"} <= set(balance.columns)
    suppressed = balance.filter(pl.col("symbol") == "[c]")
    assert suppressed["smd_before"].is_null().all() and suppressed["smd_after"].is_null().all()
    assert balance.filter(pl.col("symbol").is_null())["smd_after"].is_not_null().all()
    overlap = overlap_from_published(published)
    assert set(overlap["sample"]) == {"all", "matched"} and set(overlap["group"]) == {"supported", "comparison"}
    assert all(_protected_count(value) for value in overlap["value"].to_list())
    assert "true_value" not in overlap.columns
    bins = overlap.filter((pl.col("measure") == "M06") & (pl.col("sample") == "all") & (pl.col("group") == "supported"))
    assert bins.height == 20 and np.allclose(bins["bin_upper"] - bins["bin_lower"], 0.05)
    assert bins["bin_lower"].to_list() == sorted(bins["bin_lower"].to_list())


def test_forest_rows_follow_catalogue_order(results) -> None:
    forest = forest_rows(results, POLICY, SETTINGS.polarities)
    assert set(forest["locality"]) == {results.area_name}
    order = forest.sort("plot_order")["measure"].unique(maintain_order=True).to_list()
    assert order == [outcome.outcome_id for outcome in results.outcomes]
    assert not any(math.isnan(v) for v in forest["estimate"].drop_nulls().to_list())


def test_tiny_degenerate_data_publishes_no_estimate() -> None:
    """One supported and one comparison unit, or one group only: the run completes and nothing is estimated."""
    from tests.metrics.impact.hand_world import hand_tables

    tiny = shipped_impact(impact_inputs(hand_tables()), ("Chesil", "Purbeck"))
    outcomes = {outcome.outcome_id: outcome for outcome in tiny.outcomes}
    assert outcomes["M02"].analysis is None  # supported units only
    assert outcomes["any_need"].analysis is None  # comparison units only
    rows = impact_rows(tiny, POLICY, SETTINGS.polarities)
    assert rows["estimate"].is_null().all()
    assert rows["symbol"].is_not_null().all()
    published = published_impact_rows(tiny, POLICY, SETTINGS.polarities).filter(
        ~pl.col("kind").is_in(["comparison", "max_error", "share_max_error"]))
    assert (published["value"].is_null() != published["symbol"].is_null()).all()


def test_the_shares_beside_an_estimate_reproduce_it(published) -> None:
    """supported_share - comparison_share = the estimate, and supported_share is the published percentage of the
    group the estimate is about (matched supported units for psm, all analysed supported units otherwise)."""
    rows = {(r["measure"], r["locality"], r["statistic"], r["kind"]): r for r in published.filter(
        pl.col("breakdown") == "none").iter_rows(named=True)}
    checked = 0
    for (measure, locality, statistic, kind), row in rows.items():
        if kind != "difference" or not statistic.endswith("_difference") or row["value"] is None:
            continue
        method = statistic.removesuffix("_difference")
        if method not in SHARE_SOURCE:
            continue
        supported = rows[(measure, locality, statistic, "supported_share")]
        comparison = rows[(measure, locality, statistic, "comparison_share")]
        source = rows[(measure, locality, SHARE_SOURCE[method], "percent")]
        assert supported["value"] == source["value"]
        if supported["value"] is not None:
            assert supported["value"] - comparison["value"] == pytest.approx(row["value"], abs=1e-9)
            relative = rows[(measure, locality, f"{method}_relative_difference", "relative")]["value"]
            assert relative == pytest.approx(round(100 * row["value"] / comparison["value"], 1))
            checked += 1
    assert checked >= 10


def test_impact_comparisons_follow_the_polarity_of_a_share_still_with_the_need(published) -> None:
    """"better" for a share of units whose need is still present means a LOWER share than the area's."""
    percents = published.filter(pl.col("kind") == "percent", pl.col("breakdown") == "none")
    area = percents.filter(pl.col("locality") == "Dorset").select("measure", "statistic", area=pl.col("value"))
    labelled = published.filter(pl.col("kind") == "comparison", pl.col("symbol").is_in(["better", "worse"])).join(
        percents.select("measure", "locality", "statistic", local=pl.col("value")),
        on=["measure", "locality", "statistic"]).join(area, on=["measure", "statistic"])
    for row in labelled.iter_rows(named=True):
        assert (row["symbol"] == "better") == (row["local"] < row["area"]), row


def test_sensitivity_estimates_follow_the_psm_rules(results) -> None:
    rows = impact_rows(results, POLICY, SETTINGS.polarities).filter(pl.col("method").is_in(list(SENSITIVITY_CALIPERS)))
    assert set(rows["locality"]) == {results.area_name}
    for outcome in results.outcomes:
        for method in SENSITIVITY_CALIPERS:
            estimate = outcome.analysis.sensitivity[method]
            row = rows.filter(pl.col("measure") == outcome.outcome_id, pl.col("method") == method).row(0, named=True)
            publishable = (estimate.n_treated >= MIN_UNITS_FOR_ESTIMATE
                           and percent_publishable(estimate.treated_count, estimate.n_treated, POLICY)
                           and percent_publishable(estimate.control_count, estimate.n_control, POLICY))
            assert (row["symbol"] is None) == publishable
            if publishable:
                assert row["estimate"] == round(100 * estimate.estimate, 1)
