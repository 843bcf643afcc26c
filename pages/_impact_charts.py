"""The Impact page's charts and tables, made from the published impact tables and plain choices (no streamlit), each
shared by every visitor who asks for the same outcome (pages._shared)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from data_access.config import BreakdownCatalogue, MeasureCatalogue
from pages._charts import PALETTE, Chart, grouped_bar, label_hidden_series
from pages._impact_views import covariate_label, unmatched_share
from pages._shared import shared
from pages._views import (
    IMPACT_METHODS,
    SENSITIVITY_METHODS,
    impact_counts,
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
COUNT_NAMES = {"supported_analysed": "Supported, followed up", "matched_pairs": "Matched pairs",
               "supported_unmatched": "Supported, no close match", "comparison_analysed": "Comparison, followed up"}


@shared
def impact_forest(estimates: pl.DataFrame, area: str, labels: dict[str, str], outcomes: int) -> Chart:
    """Every outcome's estimated difference by each method, with its interval: a forest plot and its table."""
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
                         yaxis={"autorange": "reversed"}, height=160 + 34 * outcomes, legend_title="Method")
    table = estimates.select(
        pl.col("measure").replace_strict(labels, default=None).alias("Outcome"),
        pl.col("method").replace_strict(IMPACT_METHODS, default=None).alias("Method"),
        pl.col("supported_shown").alias("Supported: still had the need"),
        pl.col("comparison_shown").alias("Without support (estimated)"),
        pl.col("shown").alias("Difference (95% CI)"))
    return Chart(forest, table, estimates)


@shared
def sensitivity_table(impact: pl.DataFrame, area: str, order: list[str], labels: dict[str, str]) -> pl.DataFrame:
    """The matched estimate with other calipers, one row per outcome."""
    sensitivity = with_order(impact_sensitivity(impact, area), "measure", order).with_columns(
        pl.col("method").replace_strict(SENSITIVITY_METHODS, default=None)).pivot(
        on="method", index="measure", values="shown", aggregate_function="first")
    sensitivity = sensitivity.select("measure", *[name for name in SENSITIVITY_METHODS.values()
                                                  if name in sensitivity.columns]).with_columns(
        pl.col("measure").replace_strict(labels, default=None)).rename({"measure": "Outcome"})
    return sensitivity


@shared
def who_was_compared(impact: pl.DataFrame, area: str, order: list[str], labels: dict[str, str]) -> pl.DataFrame:
    """The group sizes behind each outcome's estimate, and the share of supported units with no close match."""
    counts = with_order(impact_counts(select_cells(impact, breakdown="none"), area, list(COUNT_NAMES)), "measure",
                        order)
    counts = counts.with_columns(
        pl.col("measure").map_elements(lambda m: unmatched_share(impact, area, m)["shown"], return_dtype=pl.String)
        .alias("No close match, of supported followed up"),
        pl.col("measure").replace_strict(labels, default=None)).rename(
        {"measure": "Outcome", **{k: v for k, v in COUNT_NAMES.items() if k in counts.columns}})
    return counts


@shared
def balance_chart(impact_balance: pl.DataFrame, measure: str, catalogue: MeasureCatalogue,
                  breakdowns: BreakdownCatalogue) -> Chart:
    """|SMD| of each characteristic before and after matching, for one outcome."""
    balance = select_cells(impact_balance, measure=measure).with_columns(
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
    return Chart(love, wide.rename({k: v for k, v in balance_names.items() if k in wide.columns}), balance)


@shared
def overlap_chart(impact: pl.DataFrame, measure: str) -> Chart:
    """Histograms of the propensity score: every supported and comparison unit, and the matched comparison units."""
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
    return Chart(histogram, pl.concat(shown), overlap)
