"""The propensity score: the chance of being supported given what was known before support began.

The model is an UNPENALISED logistic regression. scikit-learn's default L2 penalty shrinks the
coefficients towards zero, which pulls every score towards the average and weakens the matching, so
the penalty is switched off. In scikit-learn 1.9 `penalty=None` is deprecated (removed in 1.10): the
documented replacement is `C=np.inf`, which is what is used here.

Covariates are standardised (numeric) or one-hot coded with the most common level left out
(categorical), and columns that do not vary are dropped, so the fit is well conditioned.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

NOT_RECORDED = "Not recorded"
# Logits are clipped so a (quasi-)separated unit cannot produce an infinite distance.
LOGIT_LIMIT = 12.0


@dataclass(frozen=True)
class CovariateSpec:
    """Which analysis-frame columns enter the propensity model, and how."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]

    def columns(self) -> tuple[str, ...]:
        return self.numeric + self.categorical

    def without(self, *names: str) -> CovariateSpec:
        """The same spec with some covariates left out (used to show what omitting a confounder does)."""
        return CovariateSpec(
            tuple(name for name in self.numeric if name not in names),
            tuple(name for name in self.categorical if name not in names),
        )


@dataclass(frozen=True)
class Design:
    """Covariates as numbers: `model` (standardised, for the fit) and `raw` (natural units, for balance)."""

    model: FloatArray
    model_names: tuple[str, ...]
    raw: FloatArray
    raw_names: tuple[str, ...]


def design_matrix(frame: pl.DataFrame, spec: CovariateSpec) -> Design:
    """Numeric covariates (missing -> mean plus a missing indicator) and one-hot categoricals.

    `raw` keeps every category level (balance is reported for each); `model` drops the most common
    level of each categorical. Both drop columns that do not vary.
    """
    raw_columns: list[FloatArray] = []
    raw_names: list[str] = []
    model_columns: list[FloatArray] = []
    model_names: list[str] = []
    for name in spec.numeric:
        values = frame[name].cast(pl.Float64).to_numpy().astype(np.float64, copy=True)
        missing = np.isnan(values)
        if missing.all():
            continue
        if missing.any():
            values[missing] = np.nanmean(values)
            indicator = missing.astype(np.float64)
            raw_columns.append(indicator)
            raw_names.append(f"{name}: {NOT_RECORDED}")
            model_columns.append(indicator)
            model_names.append(f"{name}: {NOT_RECORDED}")
        raw_columns.append(values)
        raw_names.append(name)
        model_columns.append(values)
        model_names.append(name)
    for name in spec.categorical:
        labels = frame[name].cast(pl.String).fill_null(NOT_RECORDED)
        counts = labels.value_counts().sort(["count", name], descending=[True, False])
        reference = counts[name][0]  # the most common level (ties: alphabetical first)
        for level in sorted(counts[name].to_list()):
            indicator = (labels == level).to_numpy().astype(np.float64)
            raw_columns.append(indicator)
            raw_names.append(f"{name}: {level}")
            if level != reference:
                model_columns.append(indicator)
                model_names.append(f"{name}: {level}")
    raw = np.column_stack(raw_columns) if raw_columns else np.empty((frame.height, 0))
    # A covariate that never varies (e.g. the measure's own baseline need) says nothing about balance.
    raw_varies = raw.std(axis=0) > 1e-12 if raw.size else np.zeros(0, dtype=bool)
    raw = raw[:, raw_varies]
    raw_names = [name for name, keep in zip(raw_names, raw_varies, strict=True) if keep]
    model = np.column_stack(model_columns) if model_columns else np.empty((frame.height, 0))
    spread = model.std(axis=0) if model.size else np.empty(0)
    varies = spread > 1e-12
    model = (model[:, varies] - model[:, varies].mean(axis=0)) / spread[varies]
    kept = tuple(name for name, keep in zip(model_names, varies, strict=True) if keep)
    return Design(model=model, model_names=kept, raw=raw, raw_names=tuple(raw_names))


@dataclass(frozen=True)
class PropensityFit:
    score: FloatArray
    logit: FloatArray
    coefficients: dict[str, float]
    converged: bool


def unpenalised_logistic(max_iter: int = 5000) -> LogisticRegression:
    """Logistic regression with no penalty (C = infinity; scikit-learn 1.9's spelling of penalty=None)."""
    return LogisticRegression(C=np.inf, max_iter=max_iter, tol=1e-7)


def fit_propensity(design: Design, treated: BoolArray) -> PropensityFit:
    """Fit P(supported | covariates) and return each unit's score and its logit (clipped to +-12)."""
    treated = np.asarray(treated, dtype=bool)
    if design.model.shape[1] == 0 or treated.all() or not treated.any():
        share = float(np.clip(treated.mean(), 1e-6, 1 - 1e-6)) if treated.size else 0.5
        logit = np.full(treated.shape, np.log(share / (1 - share)))
        return PropensityFit(1 / (1 + np.exp(-logit)), logit, {}, True)
    model = unpenalised_logistic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(design.model, treated)
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    logit = np.clip(model.decision_function(design.model), -LOGIT_LIMIT, LOGIT_LIMIT)
    coefficients = dict(zip(design.model_names, model.coef_[0].tolist(), strict=True))
    coefficients["(intercept)"] = float(model.intercept_[0])
    return PropensityFit(score=1 / (1 + np.exp(-logit)), logit=logit, coefficients=coefficients, converged=converged)
