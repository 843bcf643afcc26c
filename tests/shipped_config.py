"""The shipped configuration (config/), loaded once for tests: tests are an edge, like a command's main, so they load
configuration and pass it in to the computations."""

from __future__ import annotations

from data_access.config import PublishSettings, load_publish_settings
from metrics.disclosure.relations import TableKnowledge

SETTINGS: PublishSettings = load_publish_settings()
POLICY = SETTINGS.policy
AREA = SETTINGS.area_name
KNOWLEDGE = TableKnowledge(SETTINGS.area_name, SETTINGS.polarities)
"""What a reader knows of the shipped publication (area "Dorset", the shipped measures' polarities)."""


def shipped_knowledge(area_name: str = AREA, polarities: dict[str, str] | None = None) -> TableKnowledge:
    """TableKnowledge for a test's own cells: the shipped polarities unless others are given."""
    return TableKnowledge(area_name, SETTINGS.polarities if polarities is None else polarities)


def shipped_true_cells(linked, measures=None):
    """metrics.true_cells.true_cells under the shipped configuration (or other measures)."""
    from metrics.true_cells import true_cells

    return true_cells(linked, measures or SETTINGS.measures, SETTINGS.breakdowns, SETTINGS.area_name,
                      SETTINGS.pooled_calendar_start, quarter_breakdowns=SETTINGS.quarter_breakdowns)


def shipped_impact(inputs, locality_names: tuple[str, ...] | None = None):
    """metrics.impact.run_impact under the shipped configuration (or other locality names)."""
    from metrics.impact.run import run_impact

    return run_impact(inputs, SETTINGS.measures, locality_names or SETTINGS.locality_names, SETTINGS.area_name)
