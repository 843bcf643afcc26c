"""A small confounded simulation with a known effect, so the estimators can be tested on their own.

Units with more needs, more prior contacts and more deprivation are both more likely to be supported
and more likely to still have the need at follow-up (confounding that makes the naive difference look
worse than the truth). Support lowers the log-odds of persistence by `effect_logit`. The truth is the
sample ATT: the mean, over supported units, of P(persist | supported) - P(persist | not supported),
computed from the known probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from metrics.impact.propensity import CovariateSpec

SPEC = CovariateSpec(
    numeric=("needs", "prior_contacts", "deprivation", "child_age"),
    categorical=("family_type", "cohort_year"),
)
CONFOUNDER = "prior_contacts"


@dataclass(frozen=True)
class Simulated:
    frame: pl.DataFrame
    true_att: float  # proportion scale


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def simulate(n: int = 3000, seed: int = 0, effect_logit: float = -0.6) -> Simulated:
    rng = np.random.default_rng(seed)
    needs = rng.poisson(1.5, n) + 3
    prior_contacts = rng.poisson(2.0, n)
    deprivation = rng.integers(1, 11, n)
    child_age = rng.uniform(0, 17, n)
    family_type = rng.choice(["lone_parent", "two_parent", "other"], n, p=[0.5, 0.4, 0.1])
    cohort_year = rng.choice(["2022/23", "2023/24"], n)
    lone = (family_type == "lone_parent").astype(float)
    later = (cohort_year == "2023/24").astype(float)
    treatment_logit = (-1.0 + 0.45 * (needs - 4.5) + 0.5 * (prior_contacts - 2) - 0.15 * (deprivation - 5.5)
                       + 0.3 * lone + 0.2 * later)
    treated = rng.random(n) < _expit(treatment_logit)
    base_logit = (-0.2 + 0.35 * (needs - 4.5) + 0.45 * (prior_contacts - 2) - 0.1 * (deprivation - 5.5)
                  + 0.2 * lone - 0.03 * (child_age - 8) - 0.1 * later)
    p_untreated = _expit(base_logit)
    p_treated = _expit(base_logit + effect_logit)
    outcome = rng.random(n) < np.where(treated, p_treated, p_untreated)
    frame = pl.DataFrame({
        "needs": needs, "prior_contacts": prior_contacts, "deprivation": deprivation, "child_age": child_age,
        "family_type": family_type, "cohort_year": cohort_year, "treated": treated, "outcome": outcome,
        "true_effect": p_treated - p_untreated,
    })
    true_att = float((p_treated - p_untreated)[treated].mean())
    return Simulated(frame, true_att)
