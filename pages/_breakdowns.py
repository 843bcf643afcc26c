"""Breakdowns of a measure for the Measures page: which ones apply, the period a locality's breakdown is published
for, and all localities side by side for one breakdown. Plain functions over published rows (no streamlit).

A locality's breakdowns are published for pooled three-year periods only (docs/published-tables.md), so a page that
shows one says so in words ("2022/23-2024/25, three years together"). A breakdown that describes a person (sex, age,
ethnic group) is not published for a measure that counts families, and the page says why rather than offering
something else in its place.
"""

from __future__ import annotations

from typing import NamedTuple

import polars as pl

from data_access.config import BreakdownCatalogue
from metrics.periods import is_pooled, pooled_period_holding
from pages._shared import shared
from pages._views import select_cells

PERSON = "person"


class BreakdownChoices(NamedTuple):
    offered: list[str]  # breakdown ids the visitor may pick, in the role's order
    not_offered: list[tuple[str, str]]  # (breakdown id, why it is not offered), in the role's order


def breakdown_choices(role_breakdowns: list[str] | tuple[str, ...], published: set[str], unit: str,
                      catalogue: BreakdownCatalogue) -> BreakdownChoices:
    """The role's breakdowns that are published for a measure counting `unit`s ("person" or "family"), and for each
    of the others the reason in plain words."""
    offered, not_offered = [], []
    for breakdown_id in role_breakdowns:
        breakdown = catalogue.by_id(breakdown_id)
        if breakdown_id in published:
            offered.append(breakdown_id)
        elif breakdown.applies_to == PERSON and unit != PERSON:
            not_offered.append((breakdown_id, "it describes a person, and this measure counts families: a family has "
                                "several people, who can differ"))
        elif breakdown.applies_to == "families":
            not_offered.append((breakdown_id, "it describes a family's assessment, and is published for the counts "
                                "of families supported only"))
        else:
            not_offered.append((breakdown_id, "it is not published for this measure"))
    return BreakdownChoices(offered, not_offered)


def not_offered_sentence(not_offered: list[tuple[str, str]], catalogue: BreakdownCatalogue) -> str | None:
    """One plain sentence per reason, naming the breakdowns it applies to; None when every breakdown is offered."""
    by_reason: dict[str, list[str]] = {}
    for breakdown_id, reason in not_offered:
        by_reason.setdefault(reason, []).append(catalogue.by_id(breakdown_id).label.split(" (")[0].lower())
    if not by_reason:
        return None
    parts = []
    for reason, labels in by_reason.items():
        names = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
        parts.append(f"Not offered for this measure: {names}, because {reason}.")
    return " ".join(parts)


def pooled_words(period: str) -> str:
    """A period as a sentence says it: "2022/23-2024/25, three years together", or the single year."""
    return f"{period}, three years together" if is_pooled(period) else period


def pooled_period_for(year: str, pooled: list[str]) -> str | None:
    """The pooled period to show a locality's breakdown for when `year` is chosen: `year` itself if pooled, else the
    published pooled period that contains it, else the latest published one (recent years are not yet in one)."""
    if year in pooled:
        return year
    holding = pooled_period_holding(pooled, year)
    if holding:
        return holding
    return sorted(pooled, key=lambda period: period[-7:])[-1] if pooled else None


@shared
def breakdown_grid(percents: pl.DataFrame, breakdown: str, period: str, places: list[str], categories: list[str]
                   ) -> pl.DataFrame:
    """One breakdown of one measure's published percentages for several places and one period: a row per place and
    category (in the given orders), with its value, shown text and comparison; a cell not published is [x]."""
    rows = select_cells(percents, breakdown=breakdown, period=period, locality=places).select(
        "locality", "category", "value", "shown", "comparison")
    grid = pl.DataFrame({"locality": [place for place in places for _ in categories],
                         "category": [category for _ in places for category in categories]})
    return grid.join(rows, on=["locality", "category"], how="left", maintain_order="left").with_columns(
        shown=pl.coalesce("shown", pl.lit("[x]")))
