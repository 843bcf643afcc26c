"""Publication of impact results: every number protected, the estimate and locality rules applied."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from data_access.config import load_disclosure_policy
from data_access.published_schema import PUBLISHED_COLUMNS
from metrics.disclosure import percent_publishable
from metrics.impact import (
    balance_rows,
    forest_rows,
    impact_count_cells,
    impact_inputs,
    impact_rows,
    overlap_bins,
    published_impact_rows,
    run_impact,
)
from metrics.impact.tables import IMPACT_COLUMNS, LOCALITY_MAX_MDE_PP, LOCALITY_MIN_PAIRS, MIN_UNITS_FOR_ESTIMATE
from synthetic.world import generate_world

POLICY = load_disclosure_policy()


@pytest.fixture(scope="module")
def results():
    return run_impact(impact_inputs(generate_world(6000, 11)))


def _protected_count(value: float | None) -> bool:
    return value is None or value == 0 or (value % POLICY.rounding_base == 0 and value >= POLICY.threshold)


def test_impact_rows_columns_and_protected_counts(results) -> None:
    rows = impact_rows(results)
    assert rows.columns == list(IMPACT_COLUMNS)
    assert set(rows["method"]) == {"psm", "aipw", "naive"}
    assert rows.height == len(results.outcomes) * (1 + len(results.locality_names)) * 3
    for column in ("n_treated", "n_matched", "n_comparison"):
        assert all(_protected_count(value) for value in rows[column].to_list()), column
    published = rows.filter(pl.col("symbol").is_null())
    assert (published["ci_lower"] <= published["estimate"]).all()
    assert (published["estimate"] <= published["ci_upper"]).all()
    assert rows.filter(pl.col("symbol").is_not_null())["estimate"].is_null().all()


def test_published_estimate_equals_the_rounded_true_estimate_and_passes_the_rules(results) -> None:
    rows = impact_rows(results).filter(pl.col("locality") == results.area_name)
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
    rows = impact_rows(results).filter(pl.col("locality") != results.area_name)
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
                assert "Too few matched pairs in this locality" in row["note"]
                assert not powered
    assert checked >= 1, "a 6,000-family world should support at least one locality estimate (any need)"


def test_count_cells_add_up_from_localities_to_dorset(results) -> None:
    cells = impact_count_cells(results)
    dorset = cells.filter(pl.col("locality") == results.area_name).select("measure", "statistic", "true_value")
    localities = (cells.filter(pl.col("locality") != results.area_name)
                  .group_by("measure", "statistic").agg(pl.col("true_value").sum().alias("summed")))
    joined = dorset.join(localities, on=["measure", "statistic"])
    assert joined.height == dorset.height
    assert (joined["true_value"] == joined["summed"]).all()


def test_published_rows_are_in_the_long_format_and_protected(results) -> None:
    published = published_impact_rows(results)
    assert published.columns == list(PUBLISHED_COLUMNS)
    assert (published["table"] == "impact").all()
    assert (published["value"].is_null() != published["symbol"].is_null()).all(), "exactly one of value and symbol"
    counts = published.filter(pl.col("kind") == "count")
    assert all(_protected_count(value) for value in counts["value"].to_list())
    cells = impact_count_cells(results)
    true = {(r["measure"], r["locality"], r["statistic"]): r["true_value"] for r in cells.iter_rows(named=True)}
    for row in published.filter(pl.col("kind") == "percent").iter_rows(named=True):
        numerator = true[(row["measure"], row["locality"], row["numerator"])]
        denominator = true[(row["measure"], row["locality"], row["denominator"])]
        assert (row["value"] is not None) == bool(percent_publishable(numerator, denominator, POLICY))
        if row["value"] is not None:
            assert row["value"] == round(100 * numerator / denominator, 1)


def test_small_world_suppresses_rather_than_reveals() -> None:
    """With 400 families most cells are small: estimates must be [c] or [x], never shown on tiny groups."""
    small = run_impact(impact_inputs(generate_world(400, 3)))
    rows = impact_rows(small)
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


def test_balance_and_overlap_outputs_are_plot_ready_and_protected(results) -> None:
    balance = balance_rows(results)
    assert {"measure", "covariate", "smd_before", "smd_after", "imbalanced_after", "symbol"} <= set(balance.columns)
    suppressed = balance.filter(pl.col("symbol") == "[c]")
    assert suppressed["smd_before"].is_null().all() and suppressed["smd_after"].is_null().all()
    assert balance.filter(pl.col("symbol").is_null())["smd_after"].is_not_null().all()
    overlap = overlap_bins(results)
    assert set(overlap["sample"]) == {"all", "matched"} and set(overlap["group"]) == {"supported", "comparison"}
    assert all(_protected_count(value) for value in overlap["value"].to_list())
    assert "true_value" not in overlap.columns
    bins = overlap.filter((pl.col("measure") == "M06") & (pl.col("sample") == "all") & (pl.col("group") == "supported"))
    assert bins.height == 20 and np.allclose(bins["bin_upper"] - bins["bin_lower"], 0.05)


def test_forest_rows_follow_catalogue_order(results) -> None:
    forest = forest_rows(results)
    assert set(forest["locality"]) == {results.area_name}
    order = forest.sort("plot_order")["measure"].unique(maintain_order=True).to_list()
    assert order == [outcome.outcome_id for outcome in results.outcomes]
    assert not any(math.isnan(v) for v in forest["estimate"].drop_nulls().to_list())


def test_tiny_degenerate_data_publishes_no_estimate() -> None:
    """One supported and one comparison unit, or one group only: the run completes and nothing is estimated."""
    from tests.metrics.impact.hand_world import hand_tables

    tiny = run_impact(impact_inputs(hand_tables()), locality_names=("Chesil", "Purbeck"))
    outcomes = {outcome.outcome_id: outcome for outcome in tiny.outcomes}
    assert outcomes["M02"].analysis is None  # supported units only
    assert outcomes["any_need"].analysis is None  # comparison units only
    rows = impact_rows(tiny)
    assert rows["estimate"].is_null().all()
    assert rows["symbol"].is_not_null().all()
    published = published_impact_rows(tiny)
    assert (published["value"].is_null() != published["symbol"].is_null()).all()
