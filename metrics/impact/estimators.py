"""Effect estimators on a binary outcome (1 = the need is still present at the 12-month follow-up).

All three estimate the effect on the supported (ATT): the share of supported units with the need still
present minus the share there would have been without support. Negative = fewer needs persisted.

* naive: supported minus ALL comparison units, unadjusted (shown to make the confounding visible).
* psm:   supported minus their matched comparison units; SE from the paired differences
         (sd of the per-pair differences / sqrt(pairs)). Not a bootstrap: a plain bootstrap is invalid
         for nearest-neighbour matching (Abadie and Imbens 2008).
* aipw:  augmented inverse-probability weighting (doubly robust; right if either the propensity model
         or the outcome model is right), ATT form with normalised comparison weights e/(1-e); SE from the
         influence function (nuisance models treated as known). Scores are clipped to [0.01, 0.99].
Intervals are normal (Wald) intervals at 95%.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse, stats
from scipy.sparse.csgraph import connected_components
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from metrics.impact.matching import Matches

Z_95 = 1.959963984540054
Z_POWER_80 = 0.8416212335729143
SCORE_CLIP = (0.01, 0.99)
OUTCOME_MODEL_C = 1.0
"""The outcome model has a mild L2 penalty (C = 1 on standardised covariates): with ~30 covariates and only
a few hundred comparison units an unpenalised fit overfits. The propensity model stays unpenalised."""


@dataclass(frozen=True)
class EffectEstimate:
    """One estimate on the proportion scale (0-1); `n_*` and `*_count` are true (unprotected) counts."""

    method: str
    estimate: float
    standard_error: float
    n_treated: int
    n_control: int
    treated_count: int  # supported units with the need still present at follow-up
    control_count: float  # comparison units with it (matched or all; nan for aipw, which has no such count)
    treated_share: float
    control_share: float  # the comparison (counterfactual) share the estimate is measured against

    @property
    def ci_lower(self) -> float:
        return self.estimate - Z_95 * self.standard_error

    @property
    def ci_upper(self) -> float:
        return self.estimate + Z_95 * self.standard_error

    @property
    def p_value(self) -> float:
        if not self.standard_error > 0:
            return float("nan")
        return float(2 * stats.norm.sf(abs(self.estimate / self.standard_error)))

    @property
    def relative_difference(self) -> float:
        """(supported - comparison) / comparison: e.g. -0.25 = a quarter fewer needs persisting."""
        return self.estimate / self.control_share if self.control_share > 0 else float("nan")

    @property
    def minimum_detectable_effect(self) -> float:
        """The smallest true effect this design detects 80% of the time at 5% two-sided."""
        return (Z_95 + Z_POWER_80) * self.standard_error


def naive_difference(outcome: npt.ArrayLike, treated: npt.ArrayLike, clusters: npt.ArrayLike | None = None
                     ) -> EffectEstimate:
    """Difference in shares, SE from the two binomial variances (clustered by family when `clusters`)."""
    y, t = _as_arrays(outcome, treated)
    n1, n0 = int(t.sum()), int((~t).sum())
    p1 = y[t].mean() if n1 else math.nan
    p0 = y[~t].mean() if n0 else math.nan
    if not (n1 and n0):
        se = math.nan
    elif clusters is None:
        se = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    else:
        codes = _codes(clusters)
        se = math.sqrt(clustered_standard_error(y[t] - p1, codes[t]) ** 2
                       + clustered_standard_error(y[~t] - p0, codes[~t]) ** 2)
    return EffectEstimate("naive", p1 - p0, se, n1, n0, int(y[t].sum()), float(y[~t].sum()), p1, p0)


def matched_difference(outcome: npt.ArrayLike, matches: Matches, clusters: npt.ArrayLike | None = None
                       ) -> EffectEstimate:
    """Mean of the per-pair differences, with the paired standard error.

    With `clusters` (e.g. the episode of each row), pairs that share a family on either side are summed
    together before squaring (people in one family are not independent); without, this is
    sd(differences) / sqrt(pairs).
    """
    y = np.asarray(outcome, dtype=np.float64)
    pairs = matches.n_pairs
    if pairs == 0:
        return EffectEstimate("psm", math.nan, math.nan, 0, 0, 0, 0.0, math.nan, math.nan)
    yt, yc = y[matches.treated], y[matches.control]
    differences = yt - yc
    if clusters is None:
        se = float(differences.std(ddof=1) / math.sqrt(pairs)) if pairs > 1 else math.nan
    else:
        groups = pair_clusters(np.asarray(clusters), matches)
        se = clustered_standard_error(differences - differences.mean(), groups)
    return EffectEstimate(
        "psm", float(differences.mean()), se, pairs, pairs, int(yt.sum()), float(yc.sum()), float(yt.mean()),
        float(yc.mean()),
    )


def aipw_att(outcome: npt.ArrayLike, treated: npt.ArrayLike, score: npt.ArrayLike,
             covariates: npt.ArrayLike, clusters: npt.ArrayLike | None = None) -> EffectEstimate:
    """Doubly robust ATT: outcome model fitted on comparison units, weights e/(1-e) for them.

    The SE sums the influence function within `clusters` (families) when given.
    """
    y, t = _as_arrays(outcome, treated)
    e = np.clip(np.asarray(score, dtype=np.float64), *SCORE_CLIP)
    x = np.asarray(covariates, dtype=np.float64)
    n, n1 = y.size, int(t.sum())
    if n1 == 0 or n1 == n:
        return EffectEstimate("aipw", math.nan, math.nan, n1, n - n1, int(y[t].sum()), math.nan, math.nan, math.nan)
    residual = y - _comparison_outcome_model(y, t, x)
    weight = np.where(t, 0.0, e / (1 - e))
    treated_part = residual[t].mean()
    comparison_part = float((weight * residual).sum() / weight.sum())
    effect = float(treated_part - comparison_part)
    p_treated = n1 / n
    mean_weight = weight.sum() / n
    influence = t * (residual - treated_part) / p_treated - weight * (residual - comparison_part) / mean_weight
    if clusters is None:
        se = float(math.sqrt((influence**2).sum()) / n)
    else:
        se = clustered_standard_error(influence, _codes(clusters))
    treated_share = float(y[t].mean())
    return EffectEstimate("aipw", effect, se, n1, n - n1, int(y[t].sum()), math.nan, treated_share,
                          treated_share - effect)


def pair_clusters(clusters: np.ndarray, matches: Matches) -> np.ndarray:
    """For each pair, its group: pairs are joined when they share a supported or a comparison cluster.

    The groups are the connected components of the graph whose edges are the pairs and whose nodes are the
    clusters (families) on either side, so every dependence through a shared family stays inside one group.
    """
    codes = _codes(clusters)
    size = int(codes.max()) + 1 if codes.size else 0
    graph = sparse.coo_matrix(
        (np.ones(matches.n_pairs), (codes[matches.treated], codes[matches.control])), shape=(size, size)
    )
    _, component = connected_components(graph, directed=False)
    return component[codes[matches.treated]]


def clustered_standard_error(centred: np.ndarray, groups: np.ndarray) -> float:
    """SE of the mean of `centred` values (already centred), summing within groups before squaring.

    Uses the usual G / (G - 1) small-sample factor; with one unit per group this is sd / sqrt(n).
    """
    n = centred.size
    _, group = np.unique(groups, return_inverse=True)
    totals = np.bincount(group, weights=centred)
    g = totals.size
    if n == 0 or g < 2:
        return math.nan
    return float(math.sqrt((totals**2).sum() * g / (g - 1)) / n)


def _codes(values: npt.ArrayLike) -> np.ndarray:
    return np.unique(np.asarray(values), return_inverse=True)[1].astype(np.int64)


def _comparison_outcome_model(y: np.ndarray, t: np.ndarray, x: np.ndarray) -> np.ndarray:
    """P(need persists | covariates) without support, from an unpenalised logistic fit on comparison units."""
    y0 = y[~t]
    if x.shape[1] == 0 or y0.min() == y0.max():
        return np.full(y.shape, y0.mean())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # near-separation: predictions still usable
        model = LogisticRegression(C=OUTCOME_MODEL_C, max_iter=5000).fit(x[~t], y0.astype(int))
    return model.predict_proba(x)[:, 1]


def _as_arrays(outcome: npt.ArrayLike, treated: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(outcome, dtype=np.float64), np.asarray(treated, dtype=bool)
