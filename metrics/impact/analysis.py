"""One impact analysis: propensity model -> matching -> balance -> the three estimates.

Takes an analysis frame (one row per unit; see analysis_frame.py) with a boolean `treated`, a boolean
`outcome` (need still present at follow-up) and a `strata` column for exact matching (cohort year).
The same function serves the Dorset-wide estimate and, with extra strata, the locality estimates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from metrics.impact.balance import balance_table
from metrics.impact.estimators import EffectEstimate, aipw_att, matched_difference, naive_difference
from metrics.impact.matching import Matches, caliper_width, nearest_neighbour_match
from metrics.impact.propensity import CovariateSpec, Design, PropensityFit, design_matrix, fit_propensity

EXACT_MATCH_ON = ("cohort_year", "locality")
"""Exact matching on cohort year (a family is compared with one that became eligible in the same financial
year) and on locality, so every pair lies inside one locality: locality estimates are then simply the
Dorset pairs in that locality, and locality counts add up to Dorset's."""


@dataclass(frozen=True)
class ImpactAnalysis:
    """Everything one analysis produced (true values: protect before publishing)."""

    design: Design
    treated: np.ndarray
    outcome: np.ndarray
    propensity: PropensityFit
    caliper: float
    matches: Matches
    naive: EffectEstimate
    psm: EffectEstimate
    aipw: EffectEstimate
    clusters: np.ndarray | None = None

    def estimates(self) -> tuple[EffectEstimate, ...]:
        return (self.psm, self.aipw, self.naive)

    def balance(self) -> pl.DataFrame:
        return balance_table(self.design.raw, self.design.raw_names, self.treated, self.matches)

    def subgroup(self, rows: np.ndarray) -> tuple[Matches, EffectEstimate]:
        """The pairs whose supported unit is in `rows` (a boolean mask) and their paired estimate.

        Meant for subgroups that were matched exactly (e.g. locality), so each pair lies wholly inside one.
        """
        keep = rows[self.matches.treated]
        subset = Matches(
            treated=self.matches.treated[keep],
            control=self.matches.control[keep],
            unmatched_treated=self.matches.unmatched_treated[rows[self.matches.unmatched_treated]],
        )
        return subset, matched_difference(self.outcome, subset, self.clusters)


def analyse(
    frame: pl.DataFrame,
    spec: CovariateSpec,
    *,
    strata: str | tuple[str, ...] | None = EXACT_MATCH_ON,
    caliper_multiple: float = 0.2,
    cluster: str | None = "episode_id",
) -> ImpactAnalysis:
    """Fit the propensity score, match within strata inside the caliper, and estimate the effect.

    `cluster` names the column whose rows are not independent (people in one family); standard errors
    sum within it. A frame without that column is treated as one independent row per unit.
    """
    # The fits are small (tens of columns): BLAS/OpenMP threads only add contention, which on a busy 2-core
    # machine made the logistic fits several times slower (benchmarks/bench_impact.py).
    with threadpool_limits(limits=1):
        return _analyse(frame, spec, strata, caliper_multiple, cluster)


def _analyse(frame: pl.DataFrame, spec: CovariateSpec, strata: str | tuple[str, ...] | None,
             caliper_multiple: float, cluster: str | None) -> ImpactAnalysis:
    treated = frame["treated"].cast(pl.Boolean).to_numpy()
    outcome = frame["outcome"].cast(pl.Float64).to_numpy()
    clusters = frame[cluster].to_numpy() if cluster and cluster in frame.columns else None
    design = design_matrix(frame, spec)
    propensity = fit_propensity(design, treated)
    caliper = caliper_width(propensity.logit, caliper_multiple)
    matches = nearest_neighbour_match(propensity.logit, treated, _strata_codes(frame, strata), caliper)
    return ImpactAnalysis(
        design=design,
        treated=treated,
        outcome=outcome,
        propensity=propensity,
        caliper=caliper,
        matches=matches,
        naive=naive_difference(outcome, treated, clusters),
        psm=matched_difference(outcome, matches, clusters),
        aipw=aipw_att(outcome, treated, propensity.score, design.model, clusters),
        clusters=clusters,
    )


def _strata_codes(frame: pl.DataFrame, strata: str | tuple[str, ...] | None) -> np.ndarray | None:
    if strata is None:
        return None
    columns = (strata,) if isinstance(strata, str) else strata
    keys = frame.select(pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in columns], separator="|"))
    return keys.to_series().rank("dense").cast(pl.Int64).to_numpy()
