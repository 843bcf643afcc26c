"""Impact: "the difference we make", estimated against a matched comparison group (docs/impact.md).

Typical use (in memory; the CLI `python -m metrics.impact --db URL --export DIR` exports the same files from the
publication itself, so they carry exactly the published figures):

    results = run_impact(read_impact_inputs(engine))      # true values, never shown as they are
    impact_rows(results)       # impact.csv / forest plot rows, protected (the CLI: impact_csv_rows of the publication)
    balance_rows(results)      # love plot, protected
    overlap_bins(results)      # propensity-score histograms, protected counts
    published_impact_rows(results)  # the "impact" table in the tidy long format
"""

from metrics.impact.analysis_frame import ImpactInputs, impact_inputs
from metrics.impact.reads import read_impact_inputs
from metrics.impact.run import ImpactResults, run_impact
from metrics.impact.tables import (
    IMPACT_PERCENT_SPECS,
    balance_rows,
    forest_rows,
    impact_count_cells,
    impact_csv_rows,
    impact_estimate_rows,
    impact_rows,
    overlap_bins,
    published_impact_rows,
)

__all__ = [
    "IMPACT_PERCENT_SPECS",
    "ImpactInputs",
    "ImpactResults",
    "balance_rows",
    "forest_rows",
    "impact_count_cells",
    "impact_csv_rows",
    "impact_estimate_rows",
    "impact_inputs",
    "impact_rows",
    "overlap_bins",
    "published_impact_rows",
    "read_impact_inputs",
    "run_impact",
]
