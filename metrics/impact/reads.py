"""Read the linked tables for impact analysis, selecting only the columns it needs.

No names, NHS/NI numbers, UPNs or postcodes are selected. Dates of birth are read only to derive each
person's age at the index date inside `read_impact_inputs`; they do not leave this function.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from data_access.bulk import read_frame
from data_access.schema import (
    dataset_info,
    eligibility_need,
    family,
    family_member,
    locality,
    need_observation,
    person_identifier,
    programme_episode,
)
from metrics.impact.analysis_frame import ImpactInputs, impact_inputs


def read_impact_inputs(engine: Engine) -> ImpactInputs:
    """The minimised impact inputs from the linked database (ages derived here, dates of birth dropped)."""
    ep, fa, fm, pi, en, no = programme_episode.c, family.c, family_member.c, person_identifier.c, eligibility_need.c, \
        need_observation.c
    statements = {
        "dataset_info": select(dataset_info.c.key, dataset_info.c.value),
        "locality": select(locality.c.locality_code, locality.c.locality_name, locality.c.sort_order),
        "family": select(fa.family_id, fa.locality_code, fa.family_type, fa.deprivation_decile),
        "person_identifier": select(pi.person_id, pi.date_of_birth, pi.sex, pi.ethnic_group),
        "family_member": select(fm.family_id, fm.person_id, fm.role, fm.start_date, fm.end_date),
        "programme_episode": select(ep.episode_id, ep.family_id, ep.cohort, ep.eligibility_date, ep.attachment_date,
                                    ep.prior_contacts),
        "eligibility_need": select(en.episode_id, en.headline_outcome),
        "need_observation": select(no.measure_id, no.family_id, no.person_id, no.observed_on, no.need_present),
    }
    with engine.connect() as connection:
        tables = {name: read_frame(connection, statement) for name, statement in statements.items()}
    return impact_inputs(tables)
