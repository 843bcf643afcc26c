"""The propensity model is the unpenalised maximum-likelihood fit, on a sensible design matrix."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from metrics.impact.propensity import CovariateSpec, design_matrix, fit_propensity


def _newton_mle(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Plain Newton-Raphson logistic MLE (intercept first), written out so the test does not trust sklearn."""
    design = np.column_stack([np.ones(len(x)), x])
    beta = np.zeros(design.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ beta))
        gradient = design.T @ (y - p)
        hessian = design.T @ (design * (p * (1 - p))[:, None])
        beta += np.linalg.solve(hessian, gradient)
    return beta


def test_fit_is_the_unpenalised_mle() -> None:
    rng = np.random.default_rng(0)
    n = 300  # small n and strong effects: an L2 penalty (sklearn's default) would visibly shrink these
    frame = pl.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    logit = 0.5 + 2.5 * frame["a"].to_numpy() - 1.5 * frame["b"].to_numpy()
    treated = rng.random(n) < 1 / (1 + np.exp(-logit))
    design = design_matrix(frame, CovariateSpec(numeric=("a", "b"), categorical=()))
    fit = fit_propensity(design, treated)
    beta = _newton_mle(design.model, treated.astype(float))
    assert fit.converged
    assert fit.coefficients["(intercept)"] == pytest.approx(beta[0], abs=1e-3)
    assert [fit.coefficients["a"], fit.coefficients["b"]] == pytest.approx(beta[1:].tolist(), abs=1e-3)
    np.testing.assert_allclose(fit.logit, np.column_stack([np.ones(n), design.model]) @ beta, atol=1e-3)


def test_design_matrix_one_hot_missing_and_constant_columns() -> None:
    frame = pl.DataFrame({
        "age": [1.0, None, 3.0, 5.0],
        "constant": [2, 2, 2, 2],
        "type": ["a", "b", "a", None],
    })
    design = design_matrix(frame, CovariateSpec(numeric=("age", "constant"), categorical=("type",)))
    assert design.raw_names == ("age: Not recorded", "age", "type: Not recorded", "type: a", "type: b")
    np.testing.assert_allclose(design.raw[:, 1], [1.0, 3.0, 3.0, 5.0])  # mean-imputed
    # The model drops the constant and the most common level ("a"), and standardises the rest.
    assert design.model_names == ("age: Not recorded", "age", "type: Not recorded", "type: b")
    np.testing.assert_allclose(design.model.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(design.model.std(axis=0), 1)
