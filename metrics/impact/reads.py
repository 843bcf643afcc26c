"""Read the linked tables for impact analysis.

The shared reader (data_access.linked_reads) selects no names, NHS/NI numbers, UPNs or postcodes; dates of
birth become ages at the index date inside impact_inputs and go no further.
"""

from __future__ import annotations

from sqlalchemy import Engine

from data_access.linked_reads import read_linked_data
from metrics.impact.analysis_frame import ImpactInputs, impact_inputs


def read_impact_inputs(engine: Engine) -> ImpactInputs:
    """The minimised impact inputs from the linked database."""
    return impact_inputs(read_linked_data(engine).as_tables())
