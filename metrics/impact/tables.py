"""Publishable impact outputs: every number here has passed metrics.disclosure and the rules below.

Publication rules (docs/impact.md explains them in plain English):
* Counts (group sizes, outcome counts, and the propensity-score histograms, whose bins add up to the group
  sizes) are TRUE count cells (impact_count_cells) for metrics.disclosure.protect_publication_report: primary
  rule (suppress 1..9 as [c], round the rest to 5) and secondary suppression proven by the attacker.
  Percentages are shown only when percent_publishable (at least 10 units on each side, true counts) and are
  worked out from the published counts.
* An estimate is suppressed [c] unless, in each group it compares, the number of units with and without
  the need still present passes percent_publishable (otherwise the estimate could reveal a small count).
* An estimate is not available [x] when it rests on fewer than MIN_UNITS_FOR_ESTIMATE matched pairs (psm)
  or units in either group (aipw, naive): the normal-approximation interval is not trustworthy there.
* Locality estimates (psm only; aipw and naive are [z] for localities) need at least LOCALITY_MIN_PAIRS
  matched pairs AND a minimum detectable effect (80% power, 5% two-sided, from the paired SE) of at most
  LOCALITY_MAX_MDE_PP percentage points; otherwise [x], with the MDE shown so the reason is plain.
* Estimates and intervals are rounded to 0.1 percentage points, p-values to 0.001, SMDs to 0.01.
* Beside each estimate, the two shares whose difference it is (kinds supported_share and comparison_share of
  <method>_difference): the supported group's share with the need still present is the PUBLISHED percentage of
  that group (matched_supported_percent for psm, supported_percent for aipw and naive), and the comparison share is
  that minus the estimate, i.e. the share the estimate says the same units would have had without support. Both
  are functions of published figures, and supported_share - comparison_share = difference exactly. share_max_error
  is the supported percentage's max_error ([u] above 2.5 points, metrics.reliability). The relative difference is
  the estimate over that comparison share.
* Sensitivity (area only): the matched estimate again with calipers of 0.1 and 0.5 SD (metrics.impact.analysis.
  SENSITIVITY_CALIPERS), statistics psm_caliper_0.1_difference and psm_caliper_0.5_difference, under the psm rules.
* Balance: an SMD of a yes/no covariate is published only when no count behind it can be worked out
  (balance_rows; metrics.impact.balance_disclosure).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl

from data_access.config import DisclosurePolicy
from data_access.published_schema import PUBLISHED_COLUMNS
from metrics.disclosure import (
    CONFIDENTIAL,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    TableKnowledge,
    percent_publishable,
    protect_count,
    protect_publication_report,
)
from metrics.disclosure.publication import PercentSpec
from metrics.disclosure.relations import ALL
from metrics.impact.analysis import EXACT_MATCH_ON, SENSITIVITY_CALIPERS
from metrics.impact.analysis_frame import FollowUpCounts
from metrics.impact.balance import IMBALANCE_THRESHOLD
from metrics.impact.balance_disclosure import SMD_DIGITS, published_balance, smd_publishable
from metrics.impact.estimators import EffectEstimate
from metrics.impact.run import ImpactResults, OutcomeResult
from metrics.reliability import LOW_RELIABILITY, MAX_ERROR_KIND, RELIABLE_WITHIN_PP

PSM, AIPW, NAIVE = "psm", "aipw", "naive"
METHODS = (PSM, AIPW, NAIVE)
MIN_UNITS_FOR_ESTIMATE = 30
LOCALITY_MIN_PAIRS = 50
LOCALITY_MAX_MDE_PP = 15.0
OVERLAP_BINS = 20
TABLE = "impact"
_BALANCE_THREADS = 4  # the balance check of each covariate runs in threads (balance_rows)
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
    sensitivity: dict[str, EffectEstimate]


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
                sensitivity=dict(analysis.sensitivity or {}) if analysis is not None and locality is None else {},
            ))
    return areas


def _estimate_status(method: str, area: _Area, policy: DisclosurePolicy) -> tuple[str | None, str | None]:
    """(symbol, note) for one estimate; (None, None) when it may be published."""
    matched = method == PSM or method in SENSITIVITY_CALIPERS
    estimate = area.sensitivity.get(method) if method in SENSITIVITY_CALIPERS else area.estimates.get(method)
    if area.is_locality and method != PSM:
        return NOT_APPLICABLE, "Locality estimates use matched pairs only."
    if estimate is None or math.isnan(estimate.estimate):
        return NOT_AVAILABLE, "No estimate: no supported or no comparison units with a 12-month follow-up."
    if matched:
        sides = [(estimate.treated_count, estimate.n_treated), (estimate.control_count, estimate.n_control)]
    else:  # aipw and naive use every analysed unit in both groups
        sides = [(area.supported_present, area.supported.analysed), (area.comparison_present, area.comparison.analysed)]
    if not all(percent_publishable(count, total, policy) for count, total in sides):
        return CONFIDENTIAL, "Suppressed to protect confidentiality: too few units with or without the need in a group."
    size = estimate.n_treated if matched else min(estimate.n_treated, estimate.n_control)
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


def impact_rows(results: ImpactResults, policy: DisclosurePolicy, polarities: Mapping[str, str]) -> pl.DataFrame:
    """impact.csv for results protected on their own (published_impact_rows), one row per outcome x area x method;
    the CLI writes the same from the publication itself (impact_csv_rows)."""
    labels = {outcome.outcome_id: outcome.label for outcome in results.outcomes}
    return impact_csv_rows(published_impact_rows(results, policy, polarities), labels, results.area_name,
                           results.locality_names)


NOTES = {
    NOT_APPLICABLE: "Locality estimates use matched pairs only.",
    CONFIDENTIAL: "Suppressed to protect confidentiality: too few units with or without the need in a group.",
    NOT_AVAILABLE: f"Not estimated: no follow-up yet, fewer than {MIN_UNITS_FOR_ESTIMATE} matched pairs or units "
                   f"per group, or (a locality) fewer than {LOCALITY_MIN_PAIRS} pairs or unable to detect an effect "
                   f"of {LOCALITY_MAX_MDE_PP:.0f} percentage points.",
}


def impact_csv_rows(published: pl.DataFrame, labels: dict[str, str], area: str,
                    locality_names: tuple[str, ...]) -> pl.DataFrame:
    """impact.csv from PUBLISHED impact rows: one row per outcome x area x method (forest-plot ready), with the
    columns of IMPACT_COLUMNS. Every number is a published figure (or, for unmatched_share, one worked out from
    published group sizes), so the file carries exactly what the publication does."""
    rows = published.filter(pl.col("table") == TABLE)
    values = {(r["measure"], r["locality"], r["statistic"], r["kind"], r["breakdown"]): (r["value"], r["symbol"])
              for r in rows.iter_rows(named=True)}

    def get(measure: str, locality: str, statistic: str, kind: str) -> tuple[float | None, str | None]:
        return values.get((measure, locality, statistic, kind, "none"), (None, None))

    order = [measure for measure in labels if any(key[0] == measure for key in values)]
    out = []
    for measure in order:
        for locality in (area, *locality_names):
            n_treated = get(measure, locality, "supported_analysed", "count")[0]
            n_matched = get(measure, locality, "matched_pairs", "count")[0]
            n_comparison = get(measure, locality, "comparison_analysed", "count")[0]
            methods = METHODS + (tuple(SENSITIVITY_CALIPERS) if locality == area else ())
            for method in methods:
                estimate, symbol = get(measure, locality, f"{method}_difference", "difference")
                unmatched = (round(100 * (n_treated - n_matched) / n_treated, 1)
                             if method == PSM and n_treated and n_matched is not None else None)
                mde = get(measure, locality, "psm_mde", "difference")[0] if method == PSM else None
                note = NOTES.get(symbol) if symbol else None
                if note and mde is not None and symbol == NOT_AVAILABLE:
                    note += f" It could only detect an effect of about {mde:.0f} percentage points or more."
                out.append({
                    "measure": measure, "label": labels.get(measure, measure), "locality": locality, "method": method,
                    "estimate": estimate,
                    "ci_lower": get(measure, locality, f"{method}_difference", EFFECT_CI_LOWER)[0],
                    "ci_upper": get(measure, locality, f"{method}_difference", EFFECT_CI_UPPER)[0],
                    "relative_difference": get(measure, locality, f"{method}_relative_difference", "relative")[0],
                    "p_value": get(measure, locality, f"{method}_p_value", "p_value")[0],
                    "mde_pp": mde,
                    "n_treated": n_treated, "n_matched": n_matched if method == PSM else None,
                    "n_comparison": n_comparison, "unmatched_share": unmatched,
                    "treated_share": get(measure, locality, f"{method}_difference", SUPPORTED_SHARE)[0],
                    "comparison_share": get(measure, locality, f"{method}_difference", COMPARISON_SHARE)[0],
                    "symbol": symbol, "note": note,
                })
    schema = {name: pl.Float64 for name in IMPACT_COLUMNS} | {
        name: pl.String for name in ("measure", "label", "locality", "method", "symbol", "note")
    }
    return pl.DataFrame(out, schema=schema, orient="row").select(IMPACT_COLUMNS)


def forest_rows(results: ImpactResults, policy: DisclosurePolicy, polarities: Mapping[str, str]) -> pl.DataFrame:
    """Dorset-wide rows for a forest plot: outcome in catalogue order (plot_order), one row per method."""
    rows = impact_rows(results, policy, polarities).filter(pl.col("locality") == results.area_name)
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

    Never publish these as they are. Localities add up to Dorset for every count. The propensity-score
    histograms (overlap_count_cells) are part of the table: their bins add up to the group sizes published here.
    """
    rows = []
    for area in _areas(results):
        counts = _true_counts(area)
        for statistic in COUNT_STATISTICS:
            rows.append({"table": TABLE, "measure": area.outcome.outcome_id, "locality": area.locality,
                         "period": PERIOD, "breakdown": "none", "category": ALL, "statistic": statistic,
                         "kind": "count", "true_value": counts[statistic]})
    group_sizes = pl.DataFrame(rows, schema_overrides={"true_value": pl.Int64})
    return pl.concat([group_sizes, overlap_count_cells(results)])


SUPPORTED_SCORE = "propensity_score_supported"
COMPARISON_SCORE = "propensity_score_comparison"
OVERLAP_HISTOGRAMS = {
    # (statistic, breakdown): (sample, group) of overlap_bins. The statistic is the group size the bins add up
    # to: the same units as the (breakdown none, category All) cell of that statistic.
    ("supported_analysed", SUPPORTED_SCORE): ("all", "supported"),
    ("comparison_analysed", COMPARISON_SCORE): ("all", "comparison"),
    ("matched_pairs", SUPPORTED_SCORE): ("matched", "supported"),  # pairs, by their supported unit's score
    ("matched_pairs", COMPARISON_SCORE): ("matched", "comparison"),  # pairs, by their comparison unit's score
}


def score_bin_edges(bins: int = OVERLAP_BINS) -> np.ndarray:
    return np.linspace(0.0, 1.0, bins + 1)


def score_bin_labels(bins: int = OVERLAP_BINS) -> list[str]:
    """Category labels of the score bins, e.g. "0.00-0.05" (they sort in score order as text)."""
    edges = score_bin_edges(bins)
    return [f"{low:.2f}-{high:.2f}" for low, high in zip(edges[:-1], edges[1:], strict=True)]


def histogram_cells(measure: str, area: str, scores: dict[tuple[str, str], np.ndarray],
                    bins: int = OVERLAP_BINS) -> pl.DataFrame:
    """TRUE count cells of propensity-score histograms: for each (statistic, breakdown), every bin (zeros
    included) and the All row (the number of scores, i.e. the group size the bins add up to)."""
    edges = score_bin_edges(bins)
    labels = score_bin_labels(bins)
    rows = []
    for (statistic, breakdown), values in scores.items():
        values = np.asarray(values, dtype=np.float64)
        if np.any((values < 0) | (values > 1)):
            raise ValueError("propensity scores must lie in [0, 1]")
        counts, _ = np.histogram(values, bins=edges)
        key = {"table": TABLE, "measure": measure, "locality": area, "period": PERIOD, "breakdown": breakdown,
               "statistic": statistic, "kind": "count"}
        rows.extend(key | {"category": label, "true_value": int(count)} for label, count in zip(labels, counts,
                                                                                               strict=True))
        rows.append(key | {"category": ALL, "true_value": int(values.size)})
    schema = {name: pl.String for name in ("table", "measure", "locality", "period", "breakdown", "category",
                                           "statistic", "kind")} | {"true_value": pl.Int64}
    return pl.DataFrame(rows, schema=schema).select(*schema)


def overlap_count_cells(results: ImpactResults, bins: int = OVERLAP_BINS) -> pl.DataFrame:
    """TRUE count cells of the propensity-score histograms (area-wide, each outcome with an analysis).

    Published as part of the impact table (breakdowns propensity_score_supported / _comparison, category the
    score bin) so that they are protected with the group sizes they add up to and the attacker knows it.
    """
    frames = []
    for outcome in results.outcomes:
        analysis = outcome.analysis
        if analysis is None:
            continue
        score, treated, matches = analysis.propensity.score, analysis.treated, analysis.matches
        scores = {
            ("supported_analysed", SUPPORTED_SCORE): score[treated],
            ("comparison_analysed", COMPARISON_SCORE): score[~treated],
            ("matched_pairs", SUPPORTED_SCORE): score[matches.treated],
            ("matched_pairs", COMPARISON_SCORE): score[matches.control],
        }
        frames.append(histogram_cells(outcome.outcome_id, results.area_name, scores, bins))
    return pl.concat(frames) if frames else histogram_cells("", results.area_name, {}, bins)


# An effect's interval is named apart from a percentage's Wilson interval (kinds ci_lower/ci_upper), so no reader
# or audit mistakes a difference in percentage points for a proportion of published counts.
EFFECT_CI_LOWER, EFFECT_CI_UPPER = "effect_ci_lower", "effect_ci_upper"


SUPPORTED_SHARE, COMPARISON_SHARE, SHARE_MAX_ERROR = "supported_share", "comparison_share", "share_max_error"
SHARE_SOURCE = {PSM: "matched_supported_percent", AIPW: "supported_percent", NAIVE: "supported_percent"}
"""The published percentage whose group each method's estimate is about (supported units with the need present)."""


def impact_estimate_rows(results: ImpactResults, published: pl.DataFrame, policy: DisclosurePolicy) -> pl.DataFrame:
    """The estimate rows of the impact table (differences, effect intervals, the two shares whose difference each
    estimate is, relative differences, p-values, MDE, and the sensitivity estimates), in the tidy long format, after
    the publication rules in this module's docstring. `published`: the protected rows of the impact table's counts
    and percentages (the shares beside an estimate are made from them)."""
    shown = published.filter(pl.col("table") == TABLE, pl.col("breakdown") == "none",
                             pl.col("kind").is_in(["percent", MAX_ERROR_KIND]))
    percents = {(r["measure"], r["locality"], r["statistic"], r["kind"]): r["value"] for r in shown.iter_rows(
        named=True)}
    rows = []
    for area in _areas(results):
        key = {"table": TABLE, "measure": area.outcome.outcome_id, "locality": area.locality, "period": PERIOD,
               "breakdown": "none", "category": "All"}

        def add(statistic: str, kind: str, value: float | None, symbol: str | None, key: dict = key) -> None:
            ok = symbol is None and value is not None and math.isfinite(value)
            rows.append(key | {"statistic": statistic, "kind": kind, "value": value if ok else None,
                               "symbol": None if ok else (symbol or NOT_AVAILABLE)})

        methods = METHODS + (tuple(SENSITIVITY_CALIPERS) if not area.is_locality else ())
        for method in methods:
            symbol, _ = _estimate_status(method, area, policy)
            estimate = area.sensitivity.get(method) if method in SENSITIVITY_CALIPERS else area.estimates.get(method)
            difference = _pp(estimate.estimate) if estimate else None
            add(f"{method}_difference", "difference", difference, symbol)
            add(f"{method}_difference", EFFECT_CI_LOWER, _pp(estimate.ci_lower) if estimate else None, symbol)
            add(f"{method}_difference", EFFECT_CI_UPPER, _pp(estimate.ci_upper) if estimate else None, symbol)
            if method in SENSITIVITY_CALIPERS:
                continue
            supported = percents.get((area.outcome.outcome_id, area.locality, SHARE_SOURCE[method], "percent"))
            share_symbol = symbol or (None if supported is not None else CONFIDENTIAL)
            comparison = round(supported - difference, 1) if share_symbol is None else None
            add(f"{method}_difference", SUPPORTED_SHARE, supported, share_symbol)
            add(f"{method}_difference", COMPARISON_SHARE, comparison, share_symbol)
            error = percents.get((area.outcome.outcome_id, area.locality, SHARE_SOURCE[method], MAX_ERROR_KIND))
            rows.append(key | {"statistic": f"{method}_difference", "kind": SHARE_MAX_ERROR,
                               "value": error if share_symbol is None else None,
                               "symbol": share_symbol if share_symbol else (
                                   LOW_RELIABILITY if error is not None and error > RELIABLE_WITHIN_PP else None)})
            relative = round(100 * difference / comparison, 1) if comparison else None
            add(f"{method}_relative_difference", "relative", relative, share_symbol)
            p_value = estimate.p_value if estimate else math.nan
            add(f"{method}_p_value", "p_value", round(p_value, 3) if math.isfinite(p_value) else None, symbol)
            if method == PSM:
                mde = estimate.minimum_detectable_effect if estimate else math.nan
                add("psm_mde", "difference", _pp(mde) if symbol in (None, NOT_AVAILABLE) else None,
                    symbol if symbol != NOT_AVAILABLE else None)
    frame = pl.DataFrame(rows, schema_overrides={"value": pl.Float64, "symbol": pl.String})
    return frame.with_columns(numerator=pl.lit(None, dtype=pl.String),
                              denominator=pl.lit(None, dtype=pl.String)).select(PUBLISHED_COLUMNS)


def published_impact_rows(results: ImpactResults, policy: DisclosurePolicy,
                          polarities: Mapping[str, str]) -> pl.DataFrame:
    """The whole "impact" table on its own, in the tidy long format (docs/impact.md): every count (group sizes,
    outcome counts, histogram bins) through metrics.disclosure.protect_publication_report (primary and secondary
    suppression, proven by the attacker), percentages and intervals from the protected counts, then the estimates.

    The publish step (metrics.publish) protects the same cells together with every other table's counts instead.
    """
    report = protect_publication_report(impact_count_cells(results), IMPACT_PERCENT_SPECS, policy,
                                        knowledge=TableKnowledge(results.area_name, polarities))
    return pl.concat([report.published.select(PUBLISHED_COLUMNS),
                      impact_estimate_rows(results, report.published, policy)])


def balance_rows(results: ImpactResults, policy: DisclosurePolicy) -> pl.DataFrame:
    """Love-plot rows for each outcome (Dorset): covariate, smd_before, smd_after, imbalanced_after, symbol.

    SMDs are rounded to SMD_DIGITS (0.01) decimals. A yes/no covariate (a category, or a 0/1 column) is [c]
    unless (1) in each of the four groups (supported, comparison, matched supported, matched comparison) at least
    percentage_min_each_side units have it and as many do not, and (2) a reader who knows its published SMDs and
    the rounded group sizes cannot narrow any of its eight counts (with / without, in each group) below the
    protection level (metrics.impact.balance_disclosure). Locality is always [c]: its counts are the published
    group sizes by locality, which its SMD would sharpen (and pairs are matched within locality anyway).
    imbalanced_after (|SMD| >= 0.1) is read from the published value.
    """
    outcomes = [outcome for outcome in results.outcomes if outcome.analysis is not None]
    checks = [(position, index, published) for position, outcome in enumerate(outcomes)
              for index, published in _binary_covariates(outcome.analysis, policy)]
    # Each covariate's check is independent numpy work on arrays of candidate counts (which release the GIL).
    with ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, _BALANCE_THREADS)) as pool:
        shown = list(pool.map(lambda check: check[2] is not None and smd_publishable(check[2], policy), checks))
    frames = []
    for position, outcome in enumerate(outcomes):
        analysis = outcome.analysis
        table = analysis.balance()
        before = np.round(table["smd_before"].to_numpy(), SMD_DIGITS)
        after = np.round(table["smd_after"].to_numpy(), SMD_DIGITS)
        safe = np.ones(len(before), dtype=bool)
        for (at, index, published), publishable in zip(checks, shown, strict=True):
            if at != position:
                continue
            if not publishable:
                safe[index] = False
            else:
                before[index], after[index] = published.smd_before, published.smd_after
        frames.append(table.with_columns(
            measure=pl.lit(outcome.outcome_id),
            label=pl.lit(outcome.label),
            smd_before=pl.when(pl.Series(safe)).then(pl.Series(before)),
            smd_after=pl.when(pl.Series(safe)).then(pl.Series(after)),
            imbalanced_after=pl.when(pl.Series(safe)).then(pl.Series(np.abs(after) >= IMBALANCE_THRESHOLD)),
            symbol=pl.when(pl.Series(safe)).then(None).otherwise(pl.lit(CONFIDENTIAL)),
        ).select("measure", "label", "covariate", "smd_before", "smd_after", "imbalanced_after", "symbol"))
    return pl.concat(frames) if frames else pl.DataFrame()


def _binary_covariates(analysis, policy: DisclosurePolicy):
    """(column, what a reader would see) for each yes/no covariate; None where the SMD may not be shown at all
    (the percentage rule fails in a group, or the covariate is a locality)."""
    raw, treated, matches = analysis.design.raw, analysis.treated, analysis.matches
    n1, n0, m = int(treated.sum()), int((~treated).sum()), matches.n_pairs
    groups = [(raw[treated], n1), (raw[~treated], n0), (raw[matches.treated], m), (raw[matches.control], m)]
    ones = [group.sum(axis=0).astype(np.int64) for group, _ in groups]
    gate = np.ones(raw.shape[1], dtype=bool)
    for count, (_, size) in zip(ones, groups, strict=True):
        gate &= percent_publishable(count, np.full(count.shape, size), policy)
    for index, name in enumerate(analysis.design.raw_names):
        if not np.all((raw[:, index] == 0) | (raw[:, index] == 1)):
            continue
        variable = name.split(": ", 1)[0]
        if not gate[index] or variable == "locality":
            yield index, None
            continue
        k1, k0, km1, km0 = (int(count[index]) for count in ones)
        yield index, published_balance(k1, n1, k0, n0, km1, km0, m, policy,
                                       exactly_matched=": " in name and variable in EXACT_MATCH_ON)


def overlap_from_published(published: pl.DataFrame) -> pl.DataFrame:
    """Propensity-score histograms by group, before (sample "all") and after ("matched") matching, from the published
    impact rows.

    Columns: measure, sample, group (supported / comparison), bin_lower, bin_upper, value, symbol. The counts are
    those of the protected impact table: secondary suppression included, because the bins add up to the published
    group sizes. One row per bin (the All rows are the group sizes).
    """
    edges = score_bin_edges()
    bounds = {label: (float(low), float(high))
              for label, low, high in zip(score_bin_labels(), edges[:-1], edges[1:], strict=True)}
    keys = {f"{statistic}|{breakdown}": sample_group for (statistic, breakdown), sample_group in
            OVERLAP_HISTOGRAMS.items()}
    rows = published.filter(pl.col("table") == TABLE, pl.col("kind") == "count",
                            pl.col("breakdown").is_in([SUPPORTED_SCORE, COMPARISON_SCORE]),
                            pl.col("category") != ALL).with_columns(
        key=pl.concat_str("statistic", "breakdown", separator="|"))
    sample = {key: value[0] for key, value in keys.items()}
    group = {key: value[1] for key, value in keys.items()}
    return rows.select(
        "measure",
        sample=pl.col("key").replace_strict(sample, return_dtype=pl.String),
        group=pl.col("key").replace_strict(group, return_dtype=pl.String),
        bin_lower=pl.col("category").replace_strict({k: v[0] for k, v in bounds.items()}, return_dtype=pl.Float64),
        bin_upper=pl.col("category").replace_strict({k: v[1] for k, v in bounds.items()}, return_dtype=pl.Float64),
        value=pl.col("value"),
        symbol=pl.col("symbol"),
    ).sort("measure", "sample", "group", "bin_lower", descending=[False, False, True, False])
