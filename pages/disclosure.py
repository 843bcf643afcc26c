"""Disclosure control report (analysts): how many cells each published table suppresses, and why; and how well
partner records were linked into people (linkage quality)."""

from __future__ import annotations

import streamlit as st

from pages._charts import percent_bars
from pages._disclosure_charts import suppression_chart
from pages._layout import chart_with_table, explain_symbols, page_header, url_choice
from pages._linkage_views import BREAKDOWN_LABELS, linkage_rates, linkage_rates_table, linkage_summary
from pages._published import published_table, require_page, settings

require_page("disclosure")
page_header(
    "Disclosure control",
    "For analysts: how many published cells were suppressed in each table, as a small number (primary) or to stop "
    "a small number being worked out from other figures (secondary), and how much information that loses. "
    "These are numbers of table cells, not of people.",
)
config = settings()
policy = config.policy
summary = published_table("disclosure_summary")
suppression = suppression_chart(summary)
chart_with_table(suppression.figure, suppression.table, key="suppression", file_name="suppression-summary.csv",
                 caption="Secondary suppression chooses the complements that lose least information and is checked "
                 "by an attacker that works out the feasible range of every hidden cell by linear programming.")
st.subheader("Linkage quality")
linkage = published_table("linkage_quality")
if linkage.is_empty():
    st.info("This publication's linked data were not built from partner extracts with `python -m linkage run`, so "
            "there are no linkage figures to show.")
else:
    st.markdown(
        "How well partners' person records were linked into people (docs/linkage.md, \"Linkage quality\"). "
        "**Match rate**: the share of person records linked to a person who also has a record from another source. "
        "**Family rate**: the share linked to a member of a programme family, the records that can feed the "
        "measures. If some groups link less often (in national studies, young men and ethnic minorities do), every "
        "measure undercounts their needs. Counts pass the same disclosure control as every other count.")
    st.dataframe(linkage_summary(linkage), hide_index=True, key="linkage-summary")
    st.caption("Estimated precision and recall are the linkage model's own estimates from its match probabilities "
               "(precision: the average probability of the pairs it linked automatically; recall: their share of all "
               "the matches it expects among the pairs it scored), not a check against the truth. Pairs waiting for "
               "clerical review are decided with `python -m linkage review`.")
    breakdown = url_choice("Match rates by", list(BREAKDOWN_LABELS), key="linkage",
                           format_func=BREAKDOWN_LABELS.get, horizontal_radio=True)
    catalogue = config.breakdowns
    configured = next((item.categories for item in catalogue.breakdowns if item.id == breakdown), ())
    rates = linkage_rates(linkage, breakdown, [*configured, catalogue.not_recorded])
    figure = percent_bars(rates, "category", "#009E73", f"Match rate by {BREAKDOWN_LABELS[breakdown].lower()}")
    chart_with_table(figure, linkage_rates_table(rates, breakdown), key="linkage-rates",
                     file_name=f"linkage-match-rates-{breakdown}.csv",
                     caption="Bars: match rate with its 95% interval; a [c] rate is not published (its counts are "
                     "too small or suppressed) and has no bar.")
    explain_symbols(linkage)

st.subheader("The policy in force")
st.markdown(
    f"- Counts 1 to {policy.threshold - 1}: suppressed **[c]**; others rounded to the nearest {policy.rounding_base}.\n"
    f"- Percentages: published when at least {policy.percentage_min_each_side} units are on each side.\n"
    f"- Class disclosure: a zero numerator of a group of 1 to {policy.class_disclosure_min_group - 1} units is "
    "suppressed **[c]** (a published 0% would describe everyone in the group).\n"
    f"- Protection level: every hidden cell's feasible range, from everything published, is at least "
    f"{policy.protection_level} wide.\n"
    "- Audit a publication yourself: `python -m metrics.audit --db URL` (or `--published DIR/published.csv`)."
)
st.caption("Source: the published tables of this publication (docs/disclosure.md).")
