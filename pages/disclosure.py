"""Disclosure control report (analysts): how many cells each published table suppresses, and why."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from data_access.config import load_disclosure_policy
from pages._layout import chart_with_table, page_header
from pages._published import published_table, require_page

require_page("disclosure")
page_header(
    "Disclosure control",
    "For analysts: how many published cells were suppressed in each table, as a small number (primary) or to stop "
    "a small number being worked out from other figures (secondary), and how much information that loses. "
    "These are numbers of table cells, not of people.",
)
policy = load_disclosure_policy()
summary = published_table("disclosure_summary")
wide = summary.pivot(on="statistic", index="category", values="value", aggregate_function="first").rename(
    {"category": "table"})
readable = {
    "count_cells": "Count cells", "suppressed_primary": "Suppressed: small number (primary)",
    "of_which_class_zero": "of which 0% or 100% of a small group", "suppressed_secondary": "Suppressed: secondary",
    "percent_cells": "Percentage cells", "percent_suppressed": "Percentages not published",
    "share_count_cells_suppressed": "Share of count cells suppressed",
}
shown = wide.rename({name: label for name, label in readable.items() if name in wide.columns})
figure = go.Figure()
for column, colour in (("suppressed_primary", "#0072B2"), ("suppressed_secondary", "#E69F00")):
    if column in wide.columns:
        figure.add_bar(x=wide["table"].to_list(), y=wide[column].to_list(), name=readable[column],
                       marker_color=colour)
figure.update_layout(barmode="stack", title="Suppressed count cells by published table", yaxis_title="Cells")
chart_with_table(figure, shown, key="suppression", file_name="suppression-summary.csv",
                 caption="Secondary suppression chooses the complements that lose least information and is checked "
                 "by an attacker that works out the feasible range of every hidden cell by linear programming.")
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
