"""Category expressions for each breakdown, with an explicit "Not recorded" so categories sum to All."""

from __future__ import annotations

import polars as pl

from data_access.config import Breakdown, BreakdownCatalogue

# Unit-level columns each breakdown is derived from.
SOURCE_COLUMN = {
    "sex": "sex",
    "age_band": "age_at_index",
    "ethnic_group": "ethnic_group",
    "route_into_support": "route_into_support",
    "family_type": "family_type",
    "needs_at_assessment": "needs_at_assessment",
}

_ETHNIC_PREFIX_TO_GROUP = {"White": "White", "Mixed": "Mixed or Multiple", "Asian": "Asian", "Black": "Black",
                           "Other": "Other"}


def category_expr(breakdown: Breakdown, not_recorded: str) -> pl.Expr:
    """The breakdown's category for each unit row (a String expression, never null)."""
    source = pl.col(SOURCE_COLUMN[breakdown.id])
    if breakdown.bands:
        expr = pl.lit(None, dtype=pl.String)
        for low, high, label in reversed(breakdown.bands):
            expr = pl.when(source.is_between(low, high)).then(pl.lit(label)).otherwise(expr)
    elif breakdown.id == "sex":
        expr = source.str.to_titlecase()
    elif breakdown.id == "ethnic_group":
        expr = source.str.split(":").list.first().replace_strict(_ETHNIC_PREFIX_TO_GROUP, default=None)
    elif breakdown.id == "needs_at_assessment":
        expr = (
            pl.when(source < 3).then(pl.lit("Fewer than 3"))
            .when(source >= 6).then(pl.lit("6 or more"))
            .otherwise(source.cast(pl.String))
        )
    elif breakdown.codes:
        expr = source.replace_strict(dict(zip(breakdown.codes, breakdown.categories, strict=True)), default=None)
    else:
        expr = source.cast(pl.String)
    known = expr.is_in(list(breakdown.categories))
    return pl.when(known).then(expr).otherwise(pl.lit(not_recorded)).alias("category")


def applicable_breakdowns(catalogue: BreakdownCatalogue, table_kind: str) -> list[Breakdown]:
    """Breakdowns published for a table: "person" measures, "family" measures or the "families" table."""
    allowed = {"person": {"person", "all"}, "family": {"all"}, "families": {"all", "families"}}[table_kind]
    return [breakdown for breakdown in catalogue.breakdowns if breakdown.applies_to in allowed]
