"""Publishable impact outputs: every number here has passed metrics.disclosure and the rules below.

Publication rules (docs/impact.md explains them in plain English):
* Counts (group sizes, outcome counts) go through the disclosure module's primary rule (suppress 1..9 as
  [c], round the rest to 5). Percentages are shown only when percent_publishable (at least 10 units on
  each side, true counts).
* An estimate is suppressed [c] unless, in each group it compares, the number of units with and without
  the need still present passes percent_publishable (otherwise the estimate could reveal a small count).
* An estimate is not available [x] when it rests on fewer than MIN_UNITS_FOR_ESTIMATE matched pairs (psm)
  or units in either group (aipw, naive): the normal-approximation interval is not trustworthy there.
* Locality estimates (psm only; aipw and naive are [z] for localities) need at least LOCALITY_MIN_PAIRS
  matched pairs AND a minimum detectable effect (80% power, 5% two-sided, from the paired SE) of at most
  LOCALITY_MAX_MDE_PP percentage points; otherwise [x], with the MDE shown so the reason is plain.
* Estimates, intervals and shares are rounded to 0.1 percentage points, p-values to 0.001, SMDs to 0.001.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from data_access.config import DisclosurePolicy, load_disclosure_policy
from data_access.published_schema import PUBLISHED_COLUMNS
from metrics.disclosure import (
    CONFIDENTIAL,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    percent_publishable,
    protect_count,
    protect_counts_frame,
)
from metrics.disclosure.publication import PercentSpec
from metrics.impact.analysis_frame import FollowUpCounts
from metrics.impact.estimators import EffectEstimate
from metrics.impact.run import ImpactResults, OutcomeResult

PSM, AIPW, NAIVE = "psm", "aipw", "naive"
METHODS = (PSM, AIPW, NAIVE)
MIN_UNITS_FOR_ESTIMATE = 30
LOCALITY_MIN_PAIRS = 50
LOCALITY_MAX_MDE_PP = 15.0
OVERLAP_BINS = 20
TABLE = "impact"
PERIOD = "all"

IMPACT_COLUMNS = (
    "measure", "label", "locality", "method", "estimate", "ci_lower", "ci_upper", "relative_difference", "p_value",
    "mde_pp", "n_treated", "n_matched", "n_comparison", "unmatched_share", "treated_share", "comparison_share",
    "symbol", "note",
)


@dataclass(frozen=True)
class _Area:
    """True values for one outcome in one area (Dorset or a locality)."""

    outcome: OutcomeResult
    locality: str
    is_locality: bool
    supported: FollowUpCounts
    comparison: FollowUpCounts
    supported_present: int
    comparison_present: int
    pairs: int
    matched_supported_present: int
    matched_comparison_present: int
    estimates: dict[str, EffectEstimate | None]


def _areas(results: ImpactResults) -> list[_Area]:
    areas = []
    for outcome in results.outcomes:
        frame = outcome.analysis_frame
        for locality in (None, *results.locality_names):
            rows = frame.frame if locality is None else frame.frame.filter(pl.col("locality") == locality)
            present = rows.group_by("treated").agg(pl.col("outcome").sum())
            by_group = dict(zip(present["treated"].to_list(), present["outcome"].to_list(), strict=True))
            analysis = outcome.analysis
            if analysis is None:
                psm, estimates = None, dict.fromkeys(METHODS)
            elif locality is None:
                psm = analysis.psm
                estimates = {PSM: analysis.psm, AIPW: analysis.aipw, NAIVE: analysis.naive}
            else:
                psm = next(item.psm for item in outcome.localities if item.locality == locality)
                estimates = {PSM: psm, AIPW: None, NAIVE: None}
            areas.append(_Area(
                outcome=outcome,
                locality=results.area_name if locality is None else locality,
                is_locality=locality is not None,
                supported=frame.follow_up_counts(True, locality),
                comparison=frame.follow_up_counts(False, locality),
                supported_present=int(by_group.get(True, 0)),
                comparison_present=int(by_group.get(False, 0)),
                pairs=psm.n_treated if psm else 0,
                matched_supported_present=psm.treated_count if psm else 0,
                matched_comparison_present=int(psm.control_count) if psm else 0,
                estimates=estimates,
            ))
    return areas


def _estimate_status(method: str, area: _Area, policy: DisclosurePolicy) -> tuple[str | None, str | None]:
    """(symbol, note) for one estimate; (None, None) when it may be published."""
    estimate = area.estimates.get(method)
    if area.is_locality and method != PSM:
        return NOT_APPLICABLE, "Locality estimates use matched pairs only."
    if estimate is None or math.isnan(estimate.estimate):
        return NOT_AVAILABLE, "No estimate: no supported or no comparison units with a 12-month follow-up."
    if method == PSM:
        sides = [(estimate.treated_count, estimate.n_treated), (estimate.control_count, estimate.n_control)]
    else:  # aipw and naive use every analysed unit in both groups
        sides = [(area.supported_present, area.supported.analysed), (area.comparison_present, area.comparison.analysed)]
    if not all(percent_publishable(count, total, policy) for count, total in sides):
        return CONFIDENTIAL, "Suppressed to protect confidentiality: too few units with or without the need in a group."
    size = estimate.n_treated if method == PSM else min(estimate.n_treated, estimate.n_control)
    if size < MIN_UNITS_FOR_ESTIMATE or not estimate.standard_error > 0:
        return NOT_AVAILABLE, f"Not estimated: fewer than {MIN_UNITS_FOR_ESTIMATE} matched pairs or units per group."
    if area.is_locality:
        mde = 100 * estimate.minimum_detectable_effect
        if estimate.n_treated < LOCALITY_MIN_PAIRS or mde > LOCALITY_MAX_MDE_PP:
            return NOT_AVAILABLE, (
                f"Too few matched pairs in this locality to estimate the effect reliably: it could only detect "
                f"an effect of about {mde:.0f} percentage points or more (rule: at least {LOCALITY_MIN_PAIRS} pairs "
                f"and able to detect {LOCALITY_MAX_MDE_PP:.0f} points)."
            )
    return None, None


def _pp(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else round(100 * value, 1)


def _count(value: int, policy: DisclosurePolicy) -> float | None:
    return protect_count(int(value), policy)[0]


def impact_rows(results: ImpactResults, policy: DisclosurePolicy | None = None) -> pl.DataFrame:
    """impact.csv: one row per outcome x area x method (forest-plot ready), every number protected."""
    policy = policy or load_disclosure_policy()
    rows = []
    for area in _areas(results):
        n_treated = _count(area.supported.analysed, policy)
        n_comparison = _count(area.comparison.analysed, policy)
        n_matched = _count(area.pairs, policy)
        for method in METHODS:
            symbol, note = _estimate_status(method, area, policy)
            estimate = area.estimates.get(method)
            published = symbol is None
            mde = estimate.minimum_detectable_effect if estimate is not None and method == PSM else math.nan
            unmatched = (
                round(100 * (n_treated - n_matched) / n_treated, 1)
                if method == PSM and n_treated and n_matched is not None else None
            )
            rows.append({
                "measure": area.outcome.outcome_id,
                "label": area.outcome.label,
                "locality": area.locality,
                "method": method,
                "estimate": _pp(estimate.estimate) if published else None,
                "ci_lower": _pp(estimate.ci_lower) if published else None,
                "ci_upper": _pp(estimate.ci_upper) if published else None,
                "relative_difference": _pp(estimate.relative_difference) if published else None,
                "p_value": round(estimate.p_value, 3) if published and math.isfinite(estimate.p_value) else None,
                "mde_pp": _pp(mde) if symbol in (None, NOT_AVAILABLE) else None,
                "n_treated": n_treated,
                "n_matched": n_matched if method == PSM else None,
                "n_comparison": n_comparison,
                "unmatched_share": unmatched,
                "treated_share": _pp(estimate.treated_share) if published else None,
                "comparison_share": _pp(estimate.control_share) if published else None,
                "symbol": symbol,
                "note": note,
            })
    schema = {name: pl.Float64 for name in IMPACT_COLUMNS} | {
        name: pl.String for name in ("measure", "label", "locality", "method", "symbol", "note")
    }
    return pl.DataFrame(rows, schema=schema, orient="row").select(IMPACT_COLUMNS)


def forest_rows(results: ImpactResults, policy: DisclosurePolicy | None = None) -> pl.DataFrame:
    """Dorset-wide rows for a forest plot: outcome in catalogue order (plot_order), one row per method."""
    rows = impact_rows(results, policy).filter(pl.col("locality") == results.area_name)
    order = {outcome.outcome_id: index for index, outcome in enumerate(results.outcomes)}
    return rows.with_columns(plot_order=pl.col("measure").replace_strict(order, return_dtype=pl.Int64))


COUNT_STATISTICS = (
    "supported_with_need", "supported_not_yet_due", "supported_missing_follow_up", "supported_analysed",
    "supported_need_present", "comparison_with_need", "comparison_not_yet_due", "comparison_missing_follow_up",
    "comparison_analysed", "comparison_need_present", "matched_pairs", "supported_unmatched",
    "matched_supported_need_present", "matched_comparison_need_present",
)
PERCENT_STATISTICS = {
    "supported_percent": ("supported_need_present", "supported_analysed"),
    "comparison_percent": ("comparison_need_present", "comparison_analysed"),
    "matched_supported_percent": ("matched_supported_need_present", "matched_pairs"),
    "matched_comparison_percent": ("matched_comparison_need_present", "matched_pairs"),
}


def _true_counts(area: _Area) -> dict[str, int]:
    return {
        "supported_with_need": area.supported.with_need,
        "supported_not_yet_due": area.supported.not_yet_due,
        "supported_missing_follow_up": area.supported.missing_follow_up,
        "supported_analysed": area.supported.analysed,
        "supported_need_present": area.supported_present,
        "comparison_with_need": area.comparison.with_need,
        "comparison_not_yet_due": area.comparison.not_yet_due,
        "comparison_missing_follow_up": area.comparison.missing_follow_up,
        "comparison_analysed": area.comparison.analysed,
        "comparison_need_present": area.comparison_present,
        "matched_pairs": area.pairs,
        "supported_unmatched": area.supported.analysed - area.pairs,
        "matched_supported_need_present": area.matched_supported_present,
        "matched_comparison_need_present": area.matched_comparison_present,
    }


IMPACT_PERCENT_SPECS = tuple(
    PercentSpec(TABLE, statistic, numerator, denominator)
    for statistic, (numerator, denominator) in PERCENT_STATISTICS.items()
)


def impact_count_cells(results: ImpactResults) -> pl.DataFrame:
    """TRUE count cells of the impact table (complete grid, zeros included), for protect_publication.

    Never publish these as they are. Localities add up to Dorset for every count.
    """
    rows = []
    for area in _areas(results):
        counts = _true_counts(area)
        for statistic in COUNT_STATISTICS:
            rows.append({"table": TABLE, "measure": area.outcome.outcome_id, "locality": area.locality,
                         "period": PERIOD, "breakdown": "none", "category": "All", "statistic": statistic,
                         "kind": "count", "true_value": counts[statistic]})
    return pl.DataFrame(rows, schema_overrides={"true_value": pl.Int64})


def impact_estimate_rows(results: ImpactResults, policy: DisclosurePolicy | None = None) -> pl.DataFrame:
    """The estimate rows of the impact table (differences, intervals, relative differences, p-values, MDE),
    in the tidy long format, after the publication rules in this module's docstring."""
    policy = policy or load_disclosure_policy()
    rows = []
    for area in _areas(results):
        key = {"table": TABLE, "measure": area.outcome.outcome_id, "locality": area.locality, "period": PERIOD,
               "breakdown": "none", "category": "All"}
        for method in METHODS:
            symbol, _ = _estimate_status(method, area, policy)
            estimate = area.estimates.get(method)
            values = {
                (f"{method}_difference", "difference"): estimate.estimate if estimate else math.nan,
                (f"{method}_difference", "ci_lower"): estimate.ci_lower if estimate else math.nan,
                (f"{method}_difference", "ci_upper"): estimate.ci_upper if estimate else math.nan,
                (f"{method}_relative_difference", "relative"): estimate.relative_difference if estimate else math.nan,
            }
            for (statistic, kind), value in values.items():
                shown = symbol is None and math.isfinite(value)
                rows.append(key | {"statistic": statistic, "kind": kind, "value": _pp(value) if shown else None,
                                   "symbol": None if shown else (symbol or NOT_AVAILABLE)})
            p_value = estimate.p_value if estimate else math.nan
            shown = symbol is None and math.isfinite(p_value)
            rows.append(key | {"statistic": f"{method}_p_value", "kind": "p_value",
                               "value": round(p_value, 3) if shown else None,
                               "symbol": None if shown else (symbol or NOT_AVAILABLE)})
            if method == PSM:
                mde = estimate.minimum_detectable_effect if estimate else math.nan
                shown = symbol in (None, NOT_AVAILABLE) and math.isfinite(mde)
                rows.append(key | {"statistic": "psm_mde", "kind": "difference", "value": _pp(mde) if shown else None,
                                   "symbol": None if shown else (symbol or NOT_AVAILABLE)})
    frame = pl.DataFrame(rows, schema_overrides={"value": pl.Float64, "symbol": pl.String})
    return frame.with_columns(numerator=pl.lit(None, dtype=pl.String),
                              denominator=pl.lit(None, dtype=pl.String)).select(PUBLISHED_COLUMNS)


def published_impact_rows(results: ImpactResults, policy: DisclosurePolicy | None = None) -> pl.DataFrame:
    """The whole "impact" table in the tidy long format (docs/impact.md): counts under the primary rule,
    percentages under the percentage rule (true counts), then the estimate rows.

    The lead's publish step may instead pass impact_count_cells() and IMPACT_PERCENT_SPECS through
    metrics.disclosure.protect_publication (adds secondary suppression) and append impact_estimate_rows().
    """
    policy = policy or load_disclosure_policy()
    cells = impact_count_cells(results)
    counts = protect_counts_frame(cells, "true_value", policy).with_columns(
        numerator=pl.lit(None, dtype=pl.String), denominator=pl.lit(None, dtype=pl.String)
    ).select(PUBLISHED_COLUMNS)
    true = {
        (row["measure"], row["locality"], row["statistic"]): row["true_value"] for row in cells.iter_rows(named=True)
    }
    percent_rows = []
    for (measure, locality, statistic), _ in true.items():
        if statistic != COUNT_STATISTICS[0]:
            continue
        for spec in IMPACT_PERCENT_SPECS:
            numerator = true[(measure, locality, spec.numerator)]
            denominator = true[(measure, locality, spec.denominator)]
            ok = percent_publishable(numerator, denominator, policy)
            percent_rows.append({
                "table": TABLE, "measure": measure, "locality": locality, "period": PERIOD, "breakdown": "none",
                "category": "All", "statistic": spec.statistic, "kind": "percent",
                "value": round(100 * numerator / denominator, 1) if ok else None,
                "symbol": None if ok else (CONFIDENTIAL if denominator else NOT_AVAILABLE),
                "numerator": spec.numerator, "denominator": spec.denominator,
            })
    percents = pl.DataFrame(percent_rows, schema_overrides={"value": pl.Float64, "symbol": pl.String})
    return pl.concat([counts, percents.select(PUBLISHED_COLUMNS), impact_estimate_rows(results, policy)])


def balance_rows(results: ImpactResults, policy: DisclosurePolicy | None = None) -> pl.DataFrame:
    """Love-plot rows for each outcome (Dorset): covariate, smd_before, smd_after, imbalanced_after, symbol.

    An indicator covariate (a category or a yes/no) whose count in a group is too small for a percentage
    to be published is [c]: its SMD would otherwise reveal that small count.
    """
    policy = policy or load_disclosure_policy()
    frames = []
    for outcome in results.outcomes:
        analysis = outcome.analysis
        if analysis is None:
            continue
        table = analysis.balance()
        raw, treated, matches = analysis.design.raw, analysis.treated, analysis.matches
        indicator = np.all((raw == 0) | (raw == 1), axis=0)
        groups = [raw[treated], raw[~treated], raw[matches.treated], raw[matches.control]]
        safe = np.ones(raw.shape[1], dtype=bool)
        for group in groups:
            ones = group.sum(axis=0)
            safe &= ~indicator | percent_publishable(ones, np.full(ones.shape, group.shape[0]), policy)
        frames.append(table.with_columns(
            measure=pl.lit(outcome.outcome_id),
            label=pl.lit(outcome.label),
            smd_before=pl.when(pl.Series(safe)).then(pl.col("smd_before").round(3)),
            smd_after=pl.when(pl.Series(safe)).then(pl.col("smd_after").round(3)),
            imbalanced_after=pl.when(pl.Series(safe)).then(pl.col("imbalanced_after")),
            symbol=pl.when(pl.Series(safe)).then(None).otherwise(pl.lit(CONFIDENTIAL)),
        ).select("measure", "label", "covariate", "smd_before", "smd_after", "imbalanced_after", "symbol"))
    return pl.concat(frames) if frames else pl.DataFrame()


def overlap_bins(results: ImpactResults, policy: DisclosurePolicy | None = None, bins: int = OVERLAP_BINS
                 ) -> pl.DataFrame:
    """Propensity-score histograms by group, before (sample "all") and after ("matched") matching.

    Columns: measure, sample, group (supported / comparison), bin_lower, bin_upper, value, symbol;
    the counts are protected by the disclosure module (suppressed 1-9, rounded to 5).
    """
    policy = policy or load_disclosure_policy()
    edges = np.linspace(0.0, 1.0, bins + 1)
    rows = []
    for outcome in results.outcomes:
        analysis = outcome.analysis
        if analysis is None:
            continue
        score, treated, matches = analysis.propensity.score, analysis.treated, analysis.matches
        samples = {
            ("all", "supported"): score[treated],
            ("all", "comparison"): score[~treated],
            ("matched", "supported"): score[matches.treated],
            ("matched", "comparison"): score[matches.control],
        }
        for (sample, group), values in samples.items():
            counts, _ = np.histogram(values, bins=edges)
            for index, count in enumerate(counts):
                rows.append({"measure": outcome.outcome_id, "sample": sample, "group": group,
                             "bin_lower": float(edges[index]), "bin_upper": float(edges[index + 1]),
                             "true_value": int(count)})
    frame = pl.DataFrame(rows, schema_overrides={"true_value": pl.Int64})
    return protect_counts_frame(frame, "true_value", policy) if frame.height else frame
