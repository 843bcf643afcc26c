"""Impact: "the difference we make", estimated against a matched comparison group (docs/impact.md).

Typical use (in memory; the CLI `python -m metrics.impact --db URL --export DIR` exports the same files from the
publication itself, so they carry exactly the published figures):

    s = load_publish_settings()  # at the edge; computations take configuration as arguments
    results = run_impact(read_impact_inputs(engine), s.measures, s.locality_names, s.area_name)  # true values
    impact_rows(results, s.policy, s.polarities)   # impact.csv / forest plot rows, protected (the CLI: impact_csv_rows)
    balance_rows(results, s.policy)                # love plot, protected
    published = published_impact_rows(results, s.policy, s.polarities)  # the "impact" table, tidy long format
    overlap_from_published(published)              # propensity-score histograms, protected counts
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
    "published_impact_rows",
    "read_impact_inputs",
    "run_impact",
]
