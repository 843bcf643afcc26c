"""Impact: the difference the programme makes, against a matched comparison group of similar families."""

from __future__ import annotations

import streamlit as st

from pages._access import log_download
from pages._impact_charts import balance_chart, impact_forest, overlap_chart, sensitivity_table, who_was_compared
from pages._impact_views import unmatched_share
from pages._layout import (
    arrow_table,
    chart_with_table,
    csv_text,
    explain_symbols,
    page_header,
    url_choice,
)
from pages._published import published_table, require_page, settings
from pages._views import (
    impact_estimates,
    impact_mde,
    select_cells,
    with_order,
)

require_page("impact")
page_header(
    "Impact: the difference we make",
    "Among people and families who had a need when support began, the share who still had it 12 months later, "
    "for families supported by Dorset Families Matter compared with a matched comparison group of similar eligible "
    "families who were not supported (or were awaiting a place). Still having the need is the bad outcome, so a "
    "difference below 0 (fewer still had the need) is better: the programme helped. This is the same direction of "
    "good as the Measures page, where a higher share improved is better.",
)
config = settings()
area = config.area_name
catalogue = config.measures
breakdowns = config.breakdowns
impact = published_table("impact")
labels = {m.id: f"{m.id} {m.short_label}" for m in catalogue.measures} | {"any_need": "Any of the family's needs"}
order = [m.id for m in catalogue.measures] + ["any_need"]

estimates = with_order(impact_estimates(impact, area), "measure", order)

@st.fragment(key="impact-outcome")
def outcome_views() -> None:
    """The Outcome picker and everything drawn for it: a change reruns this part, not the page's header and reads."""
    measure = url_choice("Outcome", [m for m in order if m in set(estimates["measure"].to_list())], "outcome",
                         format_func=lambda m: labels.get(m, m), fragment="impact-outcome")
    matched = select_cells(estimates, measure=measure, method="psm")
    left_out = unmatched_share(impact, area, measure)
    headline = st.columns([3, 2])
    if matched.height:
        row = matched.row(0, named=True)
        headline[0].metric(f"{labels.get(measure, measure)}: matched estimate ({area})", row["shown"], border=True,
                           help="Supported minus matched comparison, percentage points, with its 95% confidence "
                           "interval. Below 0 is better: fewer supported families still had the need.")
        headline[0].caption(f"Still had the need at 12 months: supported {row['supported_shown']}, matched comparison "
                            f"{row['comparison_shown']}. Below 0 means the programme helped.")
    headline[1].metric("Supported without a close match (left out)", left_out["shown"], border=True,
                       help="Supported units followed up for whom no comparison family was similar enough. The matched "
                       "estimate describes only the supported units that could be matched.")
    headline[1].caption("The matched estimate describes the supported units that found a close match, not these.")
    explain_symbols(matched)
    forest = impact_forest(estimates, area, labels, len(order))
    chart_with_table(forest.figure, forest.table, key="forest", file_name="impact-estimates.csv",
                     caption="Each difference is the share of supported units who still had the need minus the share "
                     "estimated for the same units without support, so the two shares beside it add up to it. The "
                     "supported share is the published one (matched supported units for the matched comparison; every "
                     "supported unit followed up otherwise), made from rounded counts ([u]: it could be more than 2.5 "
                     "points from the exact share). The unadjusted difference is shown to make the point that "
                     "supported families differ from others before support; the matched and doubly robust estimates "
                     "adjust for that.")
    explain_symbols(estimates)

    st.subheader("Does the answer depend on how closely families were matched?")
    sensitivity = sensitivity_table(impact, area, order, labels)
    st.dataframe(arrow_table(sensitivity), hide_index=True, key="sensitivity", height="content")
    st.download_button("Download this table (CSV)", csv_text(sensitivity), file_name="impact-sensitivity.csv",
                       mime="text/csv", key="sensitivity-download", on_click=log_download,
                       args=("impact", "impact-sensitivity.csv"))
    st.caption("The matched estimate again with a stricter and a looser limit on how different a matched comparison "
               "family's propensity score may be (0.1 and 0.5 standard deviations of its logit, against 0.2 for the "
               "published estimate). Similar answers mean the estimate does not hang on that choice. Below 0 is "
               "better.")

    st.subheader("Who was compared")
    counts = who_was_compared(impact, area, order, labels)
    st.dataframe(arrow_table(counts), hide_index=True, key="counts", height="content")
    st.download_button("Download this table (CSV)", csv_text(counts), file_name="impact-who-was-compared.csv",
                       mime="text/csv", key="counts-download", on_click=log_download,
                       args=("impact", "impact-who-was-compared.csv"))
    st.caption("Matching is one-to-one without replacement, within the same financial year and locality, on the "
               "propensity score (caliper 0.2 SD of its logit). It is optimal matching: as many pairs as the caliper "
               "allows, and of those the closest in total, so the result does not depend on the order of the records. "
               "Supported families with no close match are left out, so the matched estimate describes the supported "
               "families that could be matched.")

    st.subheader(f"How well matched: {labels.get(measure, measure)}")
    st.caption("For the outcome chosen at the top of the page.")
    left, right = st.columns(2)
    with left:
        balance = balance_chart(published_table("impact_balance"), measure, catalogue, breakdowns)
        chart_with_table(balance.figure, balance.table,
                         key="balance",
                         file_name=f"impact-balance-{measure}.csv",
                         caption="Covariates are measured before support. After matching every |SMD| should be below "
                         "0.1. [c]: not shown, so that the number with that characteristic in a group cannot be worked "
                         "out from it (small groups; locality, whose group sizes are published and which is matched "
                         "exactly).")
    with right:
        overlap = overlap_chart(impact, measure)
        chart_with_table(overlap.figure, overlap.table, key="overlap", file_name=f"impact-overlap-{measure}.csv",
                         caption="Counts are rounded to 5 and small ones suppressed [c]; so are some others, so that a "
                         "small one cannot be worked out from the group size shown above.")

    st.subheader(f"By locality: {labels.get(measure, measure)}")
    by_locality = with_order(impact_mde(impact, measure), "locality", [*config.locality_names, area])
    st.dataframe(by_locality.rename({"locality": "Locality", "psm_difference": "Matched estimate (below 0 is better)",
                                     "psm_mde": "Smallest effect it could detect"}), hide_index=True, key="localities",
                 height="content")
    st.caption("A locality estimate is shown only with at least 50 matched pairs and when it could detect an effect of "
               "15 percentage points or less (80% power, 5% significance); otherwise [x], with the smallest effect it "
               "could have detected, so that no one reads a small locality's noise as a finding.")


outcome_views()

st.subheader("How to read this, and its limits")
st.markdown(
    "- This is an observational comparison, not a trial. Matching balances what is recorded before support (needs, "
    "number of needs, prior contacts with services, deprivation, family make-up, ages, locality, year), but not what "
    "is not recorded, such as motivation: unmeasured differences can bias the estimate.\n"
    "- The comparison group is families assessed as eligible who were not supported or were awaiting a place.\n"
    "- Rare outcomes and small localities need many families to show an effect: read the intervals, not just the "
    "point estimate. An interval that crosses 0 means the data are consistent with no effect.\n"
    "- Method: unpenalised logistic regression propensity score; optimal 1:1 matching on its logit (most pairs "
    "within the caliper, then the least total squared distance); paired standard errors; a doubly robust (AIPW) "
    "estimate as a cross-check; the matched estimate with other calipers as a sensitivity check."
)
