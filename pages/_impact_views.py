"""Plain words for the Impact page: covariate names as a commissioner would say them, and the share of supported
units the matched estimate leaves out (no close match), from published group sizes.

The impact analysis names its covariates as code (metrics/impact/analysis_frame.py: "n_needs", "baseline_M12",
"family_type: two_parent"); the published balance rows keep those names. Here they become labels from the measure
catalogue and config/breakdowns.toml, so no code name reaches the screen. No streamlit.
"""

from __future__ import annotations

import polars as pl

from data_access.config import BreakdownCatalogue, MeasureCatalogue
from pages._shared import shared

COVARIATE_LABELS = {
    "n_needs": "Number of needs at assessment",
    "prior_contacts": "Contacts with services before support",
    "deprivation_decile": "Deprivation decile of the home (1 = most deprived)",
    "n_children": "Number of children",
    "youngest_child_age": "Age of the youngest child",
    "age_at_index": "Age when support began",
    "family_type": "Family type",
    "locality": "Locality",
    "cohort_year": "Financial year support began",
    "sex": "Sex",
    "ethnic_group_broad": "Ethnic group",
}
"""The analysis frame's covariates (metrics.impact.analysis_frame *_COVARIATES_*) in words."""
BASELINE_PREFIX = "baseline_"
BREAKDOWN_OF_COVARIATE = {"family_type": "family_type"}
"""Categorical covariates whose levels are breakdown codes (config/breakdowns.toml codes -> categories)."""


def covariate_labels(catalogue: MeasureCatalogue, breakdowns: BreakdownCatalogue) -> dict[str, str]:
    """Words for whole covariate names (numeric covariates and the baseline needs)."""
    labels = dict(COVARIATE_LABELS)
    labels |= {f"{BASELINE_PREFIX}{m.id}": f"Had the need when support began: {m.short_label}"
               for m in catalogue.measures}
    return labels


def covariate_label(name: str, catalogue: MeasureCatalogue, breakdowns: BreakdownCatalogue) -> str:
    """"family_type: two_parent" -> "Family type: Two parents"; "baseline_M12" -> "Had the need when support began:
    ..."; an unknown name is kept, with its underscores made spaces (never shown as a bare code)."""
    whole = covariate_labels(catalogue, breakdowns)
    if name in whole:
        return whole[name]
    covariate, separator, level = name.partition(": ")
    if not separator:
        return name.replace("_", " ").capitalize()
    if covariate in BREAKDOWN_OF_COVARIATE:
        breakdown = breakdowns.by_id(BREAKDOWN_OF_COVARIATE[covariate])
        level = dict(zip(breakdown.codes, breakdown.categories, strict=False)).get(level, level)
    return f"{whole.get(covariate, covariate.replace('_', ' ').capitalize())}: {level.replace('_', ' ')}"


@shared
def unmatched_share(impact: pl.DataFrame, area: str, measure: str) -> dict[str, float | str | None]:
    """The supported units of `measure` left out of the matched estimate for want of a close match: the published
    counts (supported_unmatched of supported_analysed, area, not broken down) and their ratio as a whole percent.

    shown: "495 of 775 (64%)", or the symbol of a hidden count, or "[x]" when either is not published.
    """
    rows = impact.filter(pl.col("measure") == measure, pl.col("locality") == area, pl.col("breakdown") == "none",
                         pl.col("kind") == "count",
                         pl.col("statistic").is_in(["supported_unmatched", "supported_analysed"]))
    cells = {row["statistic"]: row for row in rows.iter_rows(named=True)}
    unmatched, analysed = cells.get("supported_unmatched"), cells.get("supported_analysed")
    result: dict[str, float | str | None] = {"unmatched": None, "analysed": None, "percent": None, "shown": "[x]"}
    if unmatched is None or analysed is None:
        return result
    result |= {"unmatched": unmatched["value"], "analysed": analysed["value"]}
    if unmatched["value"] is None or analysed["value"] is None or not analysed["value"]:
        result["shown"] = unmatched["symbol"] or analysed["symbol"] or "[x]"
        return result
    result["percent"] = round(100 * unmatched["value"] / analysed["value"])
    result["shown"] = f"{unmatched['value']:,.0f} of {analysed['value']:,.0f} ({result['percent']:.0f}%)"
    return result
