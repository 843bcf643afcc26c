"""Run the impact analysis for every measure and the "any need" outcome, Dorset-wide and by locality.

Results here are TRUE values (unrounded counts and estimates). Nothing leaves for a page or a file
except through metrics.impact.tables, which applies the disclosure module and the publication rules.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

from threadpoolctl import threadpool_limits

from data_access.config import MeasureCatalogue
from metrics.impact.analysis import ImpactAnalysis, analyse
from metrics.impact.analysis_frame import ANY_NEED, AnalysisFrame, ImpactInputs, analysis_frames
from metrics.impact.estimators import EffectEstimate
from metrics.impact.matching import Matches

ANY_NEED_LABEL = "Any of the family's needs"
_MAX_THREADS = 4


@dataclass(frozen=True)
class LocalityResult:
    locality: str
    matches: Matches
    psm: EffectEstimate


@dataclass(frozen=True)
class OutcomeResult:
    outcome_id: str
    label: str
    analysis_frame: AnalysisFrame
    analysis: ImpactAnalysis | None  # None when either group has no analysed units
    localities: tuple[LocalityResult, ...]


@dataclass(frozen=True)
class ImpactResults:
    outcomes: tuple[OutcomeResult, ...]
    area_name: str
    locality_names: tuple[str, ...]
    data_as_of: date


def run_impact(inputs: ImpactInputs, catalogue: MeasureCatalogue, locality_names: tuple[str, ...],
               area_name: str) -> ImpactResults:
    """Propensity-score matching, AIPW and the naive comparison for each outcome; locality subsets of the pairs.

    catalogue, locality_names and area_name come from configuration, loaded at the edge (PublishSettings)."""
    labels = {measure.id: measure.short_label for measure in catalogue.measures} | {ANY_NEED: ANY_NEED_LABEL}

    def outcome(frame: AnalysisFrame) -> OutcomeResult:
        treated = frame.frame["treated"]
        if frame.frame.height == 0 or treated.all() or not treated.any():
            return OutcomeResult(frame.outcome_id, labels[frame.outcome_id], frame, None, ())
        analysis = analyse(frame.frame, frame.spec)
        locality = frame.frame["locality"].to_numpy()
        by_locality = tuple(
            LocalityResult(name, *analysis.subgroup(locality == name)) for name in locality_names
        )
        return OutcomeResult(frame.outcome_id, labels[frame.outcome_id], frame, analysis, by_locality)

    frames = analysis_frames(inputs, catalogue)
    # The outcomes are independent, and their heavy work (numpy, the logistic fits, the compiled matching) releases
    # the GIL, so they run in threads side by side. BLAS is held to one thread for the whole run (analyse holds it
    # too, but a thread leaving analyse would restore the default while another is still fitting), so every fit
    # does the same arithmetic, in the same order, whatever runs beside it.
    workers = max(1, min(len(frames), os.cpu_count() or 1, _MAX_THREADS))
    with threadpool_limits(limits=1), ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = tuple(pool.map(outcome, frames))
    return ImpactResults(outcomes, area_name, locality_names, inputs.data_as_of)


