"""Impact: the difference the programme makes, against a matched comparison group of similar families."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from pages._access import log_download
from pages._impact_views import covariate_label, unmatched_share
from pages._layout import (
    PALETTE,
    chart_with_table,
    explain_symbols,
    grouped_bar,
    label_hidden_series,
    page_header,
    url_choice,
)
from pages._published import published_table, require_page, settings
from pages._views import (
    IMPACT_METHODS,
    SENSITIVITY_METHODS,
    impact_counts,
    impact_estimates,
    impact_mde,
    impact_sensitivity,
    select_cells,
    with_order,
)

# (statistic, breakdown) of each histogram drawn: the group size, split by the propensity score of its units.
OVERLAP_SERIES = {
    ("supported_analysed", "propensity_score_supported"): ("Supported (all)", "#0072B2"),
    ("comparison_analysed", "propensity_score_comparison"): ("Comparison (all)", "#E69F00"),
    ("matched_pairs", "propensity_score_comparison"): ("Comparison (matched)", "#009E73"),
}
OVERLAP_SERIES_BREAKDOWNS = {breakdown for _, breakdown in OVERLAP_SERIES}

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
    matched = estimates.filter(pl.col("measure") == measure, pl.col("method") == "psm")
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
    forest = go.Figure()
    markers = {"psm": ("circle", PALETTE[0]), "aipw": ("diamond", PALETTE[1]), "naive": ("circle-open", "#555555")}
    for index, (method, name) in enumerate(IMPACT_METHODS.items()):
        rows = estimates.filter(pl.col("method") == method)
        symbol, colour = markers[method]
        forest.add_scatter(
            x=rows["difference"].to_list(), y=[labels.get(m, m) for m in rows["measure"].to_list()], mode="markers",
            name=name, marker={"symbol": symbol, "size": 11, "color": colour},
            error_x={"type": "data", "symmetric": False, "array": (rows["ci_upper"] - rows["difference"]).to_list(),
                     "arrayminus": (rows["difference"] - rows["ci_lower"]).to_list(), "visible": method != "naive"},
            customdata=rows["shown"].to_list(), hovertemplate="%{y}<br>" + name + ": %{customdata}<extra></extra>",
            offsetgroup=str(index),
        )
    label_hidden_series(forest, [
        (name, [labels.get(m, m) for m in rows["measure"].to_list()], rows["difference"].to_list(),
         rows["shown"].to_list())
        for method, name in IMPACT_METHODS.items() for rows in [estimates.filter(pl.col("method") == method)]])
    forest.add_vline(x=0, line_dash="dash", line_color="#333")
    forest.update_layout(title=f"{area}: difference in the share with the need still present at 12 months "
                         "(percentage points, 95% CI)",
                         xaxis_title="Supported minus comparison (pp): below 0, fewer still had the need (better)",
                         yaxis={"autorange": "reversed"}, height=160 + 34 * len(order), legend_title="Method")
    table = estimates.select(
        pl.col("measure").replace_strict(labels, default=None).alias("Outcome"),
        pl.col("method").replace_strict(IMPACT_METHODS, default=None).alias("Method"),
        pl.col("supported_shown").alias("Supported: still had the need"),
        pl.col("comparison_shown").alias("Without support (estimated)"),
        pl.col("shown").alias("Difference (95% CI)"))
    chart_with_table(forest, table, key="forest", file_name="impact-estimates.csv",
                     caption="Each difference is the share of supported units who still had the need minus the share "
                     "estimated for the same units without support, so the two shares beside it add up to it. The "
                     "supported share is the published one (matched supported units for the matched comparison; every "
                     "supported unit followed up otherwise), made from rounded counts ([u]: it could be more than 2.5 "
                     "points from the exact share). The unadjusted difference is shown to make the point that "
                     "supported families differ from others before support; the matched and doubly robust estimates "
                     "adjust for that.")
    explain_symbols(estimates)

    st.subheader("Does the answer depend on how closely families were matched?")
    sensitivity = with_order(impact_sensitivity(impact, area), "measure", order).with_columns(
        pl.col("method").replace_strict(SENSITIVITY_METHODS, default=None)).pivot(
        on="method", index="measure", values="shown", aggregate_function="first")
    sensitivity = sensitivity.select("measure", *[name for name in SENSITIVITY_METHODS.values()
                                                  if name in sensitivity.columns]).with_columns(
        pl.col("measure").replace_strict(labels, default=None)).rename({"measure": "Outcome"})
    st.dataframe(sensitivity, hide_index=True, key="sensitivity", height="content")
    st.download_button("Download this table (CSV)", sensitivity.write_csv(), file_name="impact-sensitivity.csv",
                       mime="text/csv", key="sensitivity-download", on_click=log_download,
                       args=("impact", "impact-sensitivity.csv"))
    st.caption("The matched estimate again with a stricter and a looser limit on how different a matched comparison "
               "family's propensity score may be (0.1 and 0.5 standard deviations of its logit, against 0.2 for the "
               "published estimate). Similar answers mean the estimate does not hang on that choice. Below 0 is "
               "better.")

    st.subheader("Who was compared")
    count_names = {"supported_analysed": "Supported, followed up", "matched_pairs": "Matched pairs",
                   "supported_unmatched": "Supported, no close match", "comparison_analysed": "Comparison, followed up"}
    counts = with_order(impact_counts(select_cells(impact, breakdown="none"), area, list(count_names)), "measure",
                        order)
    counts = counts.with_columns(
        pl.col("measure").map_elements(lambda m: unmatched_share(impact, area, m)["shown"], return_dtype=pl.String)
        .alias("No close match, of supported followed up"),
        pl.col("measure").replace_strict(labels, default=None)).rename(
        {"measure": "Outcome", **{k: v for k, v in count_names.items() if k in counts.columns}})
    st.dataframe(counts, hide_index=True, key="counts", height="content")
    st.download_button("Download this table (CSV)", counts.write_csv(), file_name="impact-who-was-compared.csv",
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
        balance = select_cells(published_table("impact_balance"), measure=measure).with_columns(
            pl.col("category").map_elements(lambda name: covariate_label(name, catalogue, breakdowns),
                                            return_dtype=pl.String))
        wide = balance.pivot(on="statistic", index="category", values="value", aggregate_function="first")
        hidden = set(balance.filter(pl.col("value").is_null(), pl.col("symbol").is_not_null())["category"].to_list())
        symbols = {row["category"]: row["symbol"] for row in balance.filter(pl.col("value").is_null()).iter_rows(
            named=True)}
        # A hidden characteristic keeps its place on the chart, its symbol in the axis label: no silent gap.
        axis_labels = [f"{name} {symbols[name]}" if name in hidden else name for name in wide["category"].to_list()]
        love = go.Figure()
        for statistic, name, colour in (("smd_before", "Before matching", "#E69F00"),
                                        ("smd_after", "After matching", "#0072B2")):
            if statistic in wide.columns:
                love.add_scatter(x=wide[statistic].abs().to_list(), y=axis_labels, mode="markers",
                                 name=name, marker={"color": colour, "size": 9})
        balance_text = balance.with_columns(shown=pl.coalesce("symbol", pl.col("value").round(2).cast(pl.String)))
        wide = balance_text.pivot(on="statistic", index="category", values="shown", aggregate_function="first")
        love.add_vline(x=0.1, line_dash="dot", line_color="#333")
        love.update_layout(title="Balance: |standardised mean difference|", xaxis_title="|SMD| (0.1 = threshold)",
                           height=160 + 18 * wide.height)
        balance_names = {"category": "Characteristic before support", "smd_before": "SMD before matching",
                         "smd_after": "SMD after matching"}
        chart_with_table(love, wide.rename({k: v for k, v in balance_names.items() if k in wide.columns}),
                         key="balance",
                         file_name=f"impact-balance-{measure}.csv",
                         caption="Covariates are measured before support. After matching every |SMD| should be below "
                         "0.1. [c]: not shown, so that the number with that characteristic in a group cannot be worked "
                         "out from it (small groups; locality, whose group sizes are published and which is matched "
                         "exactly).")
    with right:
        # The histograms are part of the impact table: bins of a group size by propensity score (they add up to it).
        overlap = select_cells(impact, measure=measure, breakdown=list(OVERLAP_SERIES_BREAKDOWNS)).filter(
            pl.col("category") != "All").sort("category")
        histogram = go.Figure()
        shown = []
        for (statistic, breakdown), (name, colour) in OVERLAP_SERIES.items():
            rows = overlap.filter(pl.col("statistic") == statistic, pl.col("breakdown") == breakdown)
            grouped_bar(histogram, rows["category"].to_list(), rows["value"].to_list(),
                        rows.select(pl.coalesce("symbol", pl.col("value").cast(pl.Int64).cast(pl.String))).to_series()
                        .to_list(), name=name, colour=colour, hovertemplate="%{x}: %{customdata}<extra></extra>")
            shown.append(rows.select(pl.col("category").alias("Propensity score"), pl.lit(name).alias("Group"),
                                     pl.coalesce("symbol", pl.col("value").cast(pl.Int64).cast(pl.String))
                                     .alias("Units (rounded to 5)")))
        histogram.update_layout(title="Overlap of propensity scores", xaxis_title="Propensity score",
                                yaxis_title="Units (rounded to 5)")
        chart_with_table(histogram, pl.concat(shown), key="overlap", file_name=f"impact-overlap-{measure}.csv",
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
