"""Replicate impact analyses on synthetic worlds with a planted effect, scored against the known truth.

The truth for each analysed unit is its planted effect, P(present | supported) - P(present | not supported),
from the generator's unit-level truth (`world.truth.units`). For a family's "any need" outcome it is
P(any present | supported) - P(any present | not supported), the unit draws being independent given the
probabilities. The matched estimate (psm) is scored against the mean truth over the MATCHED supported units
(the caliper and 1:1 matching change whom the estimate is about); aipw and naive against all supported units.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from data_access.config import load_measures
from metrics.impact.analysis import analyse
from metrics.impact.analysis_frame import ANY_NEED, AnalysisFrame, analysis_frames, impact_inputs
from metrics.impact.propensity import CovariateSpec
from synthetic.world import SyntheticWorld, generate_world


def without_needs(spec: CovariateSpec) -> CovariateSpec:
    """The spec without the family's needs at baseline (their number and which ones): support and persistence
    both rise with them, so leaving them out of the propensity model leaves confounding in the estimate."""
    return spec.without(*(name for name in spec.columns() if name == "n_needs" or name.startswith("baseline_")))


@dataclass(frozen=True)
class Scored:
    seed: int
    outcome: str
    method: str
    estimate: float
    ci_lower: float
    ci_upper: float
    p_value: float
    truth: float
    max_abs_smd_after: float

    @property
    def covers(self) -> bool:
        return self.ci_lower <= self.truth <= self.ci_upper


def unit_truth(world: SyntheticWorld, frame: AnalysisFrame) -> np.ndarray:
    """The planted effect (proportion scale) for every row of the analysis frame."""
    units = world.truth.units.with_columns(
        pl.col("person_id").fill_null(0),
        effect=pl.col("p_present_treated") - pl.col("p_present_untreated"),
    )
    if frame.outcome_id == ANY_NEED:
        families = units.filter(pl.col("followed_up_12m")).group_by("family_id").agg(
            effect=(1 - (1 - pl.col("p_present_treated")).product())
            - (1 - (1 - pl.col("p_present_untreated")).product())
        )
        joined = frame.frame.select("family_id").join(families, on="family_id", how="left", maintain_order="left")
    else:
        joined = frame.frame.select("family_id", "person_id").join(
            units.filter(pl.col("measure_id") == frame.outcome_id).select("family_id", "person_id", "effect"),
            on=["family_id", "person_id"], how="left", maintain_order="left",
        )
    truth = joined["effect"].to_numpy()
    assert not np.isnan(truth).any(), "every analysed unit must have a planted truth"
    return truth


def score_world(world: SyntheticWorld, adjust: Callable[[CovariateSpec], CovariateSpec] | None = None
                ) -> list[Scored]:
    """Analyse every outcome of one world (optionally with a changed covariate spec) and score it."""
    scored = []
    for frame in analysis_frames(impact_inputs(world), load_measures()):
        analysis = analyse(frame.frame, adjust(frame.spec) if adjust else frame.spec)
        truth = unit_truth(world, frame)
        smd = float(np.nanmax(np.abs(analysis.balance()["smd_after"].to_numpy())))
        for estimate in analysis.estimates():
            target = truth[analysis.matches.treated] if estimate.method == "psm" else truth[analysis.treated]
            scored.append(Scored(world.seed, frame.outcome_id, estimate.method, estimate.estimate, estimate.ci_lower,
                                 estimate.ci_upper, estimate.p_value, float(target.mean()), smd))
    return scored


def study(seeds: range, n_families: int, effect_scale: float = 1.0,
          adjust: Callable[[CovariateSpec], CovariateSpec] | None = None) -> pl.DataFrame:
    """One row per seed x outcome x method."""
    rows = []
    for seed in seeds:
        world = generate_world(n_families, seed, effect_scale=effect_scale)
        rows.extend(score_world(world, adjust))
    return pl.DataFrame([{**row.__dict__, "covers": row.covers} for row in rows])


def summary(results: pl.DataFrame) -> pl.DataFrame:
    """Per method: coverage, rejection of zero at 5%, mean bias and its Monte Carlo SE (replicates as units)."""
    per_replicate = results.group_by("method", "seed").agg(bias=(pl.col("estimate") - pl.col("truth")).mean())
    mc = per_replicate.group_by("method").agg(
        mean_bias=pl.col("bias").mean(), mc_se=pl.col("bias").std() / pl.len().sqrt()
    )
    return results.group_by("method").agg(
        coverage=pl.col("covers").mean(), rejection=(pl.col("p_value") < 0.05).mean(), n=pl.len()
    ).join(mc, on="method").sort("method")


def main() -> None:
    """Print the figures quoted in docs/impact.md: python -m tests.metrics.impact.replicates [replicates]."""
    import sys

    replicates = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    pl.Config.set_tbl_cols(10)
    print(f"Effect planted, {replicates} worlds of 5,000 families:")
    print(summary(study(range(1000, 1000 + replicates), 5000)))
    print(f"No effect (effect_scale 0), {replicates} worlds of 5,000 families:")
    print(summary(study(range(2000, 2000 + replicates), 5000, effect_scale=0.0)))
    print("Needs at baseline left out of the propensity model, 6 worlds of 20,000 families (full model, then without):")
    print(summary(study(range(200, 206), 20_000)))
    print(summary(study(range(200, 206), 20_000, adjust=without_needs)))


if __name__ == "__main__":
    main()
