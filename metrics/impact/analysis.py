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
from metrics.impact.matching import Matches, caliper_width, optimal_match
from metrics.impact.propensity import CovariateSpec, Design, PropensityFit, design_matrix, fit_propensity

EXACT_MATCH_ON = ("cohort_year", "locality")
UNIT_KEY = ("episode_id", "person_id")
"""A unit's stable identity: rows are put in this order before anything is fitted or matched, and it breaks exact
ties of the score in the matching, so no result depends on the order the rows arrive in."""
SENSITIVITY_CALIPERS = {"psm_caliper_0.1": 0.1, "psm_caliper_0.5": 0.5}
"""The matched estimate again with a stricter and a looser caliper (in SDs of the logit): published beside the
headline (caliper 0.2) so a reader can see whether the answer hangs on that choice."""
"""Exact matching on cohort year (a family is compared with one that became eligible in the same financial
year) and on locality, so every pair lies inside one locality: locality estimates are then simply the
Dorset pairs in that locality, and locality counts add up to Dorset's."""


@dataclass(frozen=True)
class ImpactAnalysis:
    """Everything one analysis produced (true values: protect before publishing).

    Every array (and every row position in `matches`) is in UNIT_KEY order: row k is row order[k] of the frame
    given to analyse (the identity when the frame was already in that order, as analysis frames are).
    """

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
    sensitivity: dict[str, EffectEstimate] | None = None
    order: np.ndarray | None = None

    def estimates(self) -> tuple[EffectEstimate, ...]:
        return (self.psm, self.aipw, self.naive)

    def balance(self) -> pl.DataFrame:
        return balance_table(self.design.raw, self.design.raw_names, self.treated, self.matches)

    def subgroup(self, rows: np.ndarray) -> tuple[Matches, EffectEstimate]:
        """The pairs whose supported unit is in `rows` (a boolean mask over the rows of the frame given to analyse)
        and their paired estimate.

        Meant for subgroups that were matched exactly (e.g. locality), so each pair lies wholly inside one.
        """
        rows = np.asarray(rows, dtype=bool)
        if self.order is not None:
            rows = rows[self.order]
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
    key = [name for name in UNIT_KEY if name in frame.columns]
    order = np.arange(frame.height)
    if key:
        order = frame.with_row_index("_row").sort(key, nulls_last=False)["_row"].to_numpy().astype(np.int64)
        frame = frame[order]
    treated = frame["treated"].cast(pl.Boolean).to_numpy()
    outcome = frame["outcome"].cast(pl.Float64).to_numpy()
    clusters = frame[cluster].to_numpy() if cluster and cluster in frame.columns else None
    design = design_matrix(frame, spec)
    propensity = fit_propensity(design, treated)
    codes = _strata_codes(frame, strata)
    stable = np.arange(frame.height)  # the frame is in UNIT_KEY order now: row position is the stable key

    def match(multiple: float) -> Matches:
        return optimal_match(propensity.logit, treated, codes, caliper_width(propensity.logit, multiple), stable)

    caliper = caliper_width(propensity.logit, caliper_multiple)
    matches = match(caliper_multiple)
    sensitivity = {name: matched_difference(outcome, match(multiple), clusters)
                   for name, multiple in SENSITIVITY_CALIPERS.items()}
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
        sensitivity=sensitivity,
        order=order,
    )


def _strata_codes(frame: pl.DataFrame, strata: str | tuple[str, ...] | None) -> np.ndarray | None:
    if strata is None:
        return None
    columns = (strata,) if isinstance(strata, str) else strata
    keys = frame.select(pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in columns], separator="|"))
    return keys.to_series().rank("dense").cast(pl.Int64).to_numpy()
