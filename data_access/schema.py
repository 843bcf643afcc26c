"""The linked family outcomes contract: every table the dashboard reads, as a SQLAlchemy 2 schema.

A council fills these tables from its own systems (or this project's synthetic generator does).
docs/data-contract.md documents each table and column for the analysts who populate them.

Personal identifiers live only in `person_identifier`. Every other table uses pseudonymous keys
(person_id, family_id, episode_id, lead_practitioner_key), so analysis never needs a name.
Published tables (what the web tier may read) are in `published_schema.py`.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

linked_metadata = MetaData()

FAMILY_ROLES = ("parent_carer", "child", "other_adult")
COHORTS = ("supported", "comparison")
ROUTES_INTO_SUPPORT = ("school", "social_worker", "health_visitor", "family_partnership_zone", "other")
FAMILY_TYPES = ("lone_parent", "two_parent", "multi_generational", "other")
SEXES = ("female", "male")
CLOSURE_REASONS = ("outcomes_achieved", "stepped_up_to_social_care", "disengaged", "moved_away", "other")
COMPARISON_STATUSES = ("awaiting_place", "not_supported")

# ONS 2021 ethnic group categories (the 19 detailed groups, coded as in the Census "ethnic group tick-box").
ETHNIC_GROUPS = (
    "White: English, Welsh, Scottish, Northern Irish or British",
    "White: Irish",
    "White: Gypsy or Irish Traveller",
    "White: Roma",
    "White: Other White",
    "Mixed: White and Black Caribbean",
    "Mixed: White and Black African",
    "Mixed: White and Asian",
    "Mixed: Other Mixed or Multiple",
    "Asian: Indian",
    "Asian: Pakistani",
    "Asian: Bangladeshi",
    "Asian: Chinese",
    "Asian: Other Asian",
    "Black: African",
    "Black: Caribbean",
    "Black: Other Black",
    "Other: Arab",
    "Other: Any other ethnic group",
)


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    quoted = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=f"ck_{column}_allowed")


dataset_info = Table(
    "dataset_info",
    linked_metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(400), nullable=False),
    comment="Facts about the loaded data: is_synthetic, data_as_of, loaded_at, source, seed.",
)

locality = Table(
    "locality",
    linked_metadata,
    Column("locality_code", String(8), primary_key=True),
    Column("locality_name", String(64), nullable=False, unique=True),
    Column("sort_order", Integer, nullable=False),
)

family = Table(
    "family",
    linked_metadata,
    Column("family_id", Integer, primary_key=True, autoincrement=False),
    Column("locality_code", String(8), ForeignKey("locality.locality_code"), nullable=False),
    Column("postcode_district", String(4)),
    Column("family_type", String(24)),
    Column("deprivation_decile", Integer, comment="IMD decile of the family's area, 1 = most deprived"),
    _one_of("family_type", FAMILY_TYPES),
    CheckConstraint("deprivation_decile BETWEEN 1 AND 10", name="ck_deprivation_decile"),
)

person_identifier = Table(
    "person_identifier",
    linked_metadata,
    Column("person_id", Integer, primary_key=True, autoincrement=False),
    Column("given_name", String(80)),
    Column("family_name", String(80)),
    Column("date_of_birth", Date),
    Column("sex", String(8)),
    Column("ethnic_group", String(80)),
    Column("postcode", String(8)),
    Column("nhs_number", String(10)),
    Column("ni_number", String(9)),
    Column("upn", String(13)),
    _one_of("sex", SEXES),
    comment="The ONLY table with personal identifiers. Never read by the web tier.",
)

family_member = Table(
    "family_member",
    linked_metadata,
    Column("family_id", Integer, ForeignKey("family.family_id"), primary_key=True),
    Column("person_id", Integer, ForeignKey("person_identifier.person_id"), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("start_date", Date, primary_key=True),
    Column("end_date", Date),
    _one_of("role", FAMILY_ROLES),
    CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ck_member_end_after_start"),
    # Deleting a person (retention, erasure) makes the database look for rows that still refer to them: without an
    # index on each referring column, that is a scan of the whole table per person deleted.
    Index("ix_member_person", "person_id"),
)

programme_episode = Table(
    "programme_episode",
    linked_metadata,
    Column("episode_id", Integer, primary_key=True, autoincrement=False),
    Column("family_id", Integer, ForeignKey("family.family_id"), nullable=False),
    Column("cohort", String(12), nullable=False),
    Column("eligibility_date", Date, nullable=False, comment="Date the family was assessed as eligible (3+ needs)"),
    Column("attachment_date", Date, comment="Date support began; empty for comparison families"),
    Column("route_into_support", String(32)),
    Column("team_code", String(16)),
    Column("lead_practitioner_key", String(16), comment="Pseudonymous key of the lead practitioner"),
    Column("assessment_date", Date),
    Column("plan_date", Date),
    Column("closure_date", Date),
    Column("closure_reason", String(32)),
    Column("comparison_status", String(16), comment="For comparison families: awaiting_place or not_supported"),
    Column("prior_contacts", Integer, comment="Agency contacts in the 12 months before eligibility"),
    _one_of("cohort", COHORTS),
    _one_of("route_into_support", ROUTES_INTO_SUPPORT),
    _one_of("closure_reason", CLOSURE_REASONS),
    _one_of("comparison_status", COMPARISON_STATUSES),
    CheckConstraint(
        "(cohort = 'supported' AND attachment_date IS NOT NULL) OR (cohort = 'comparison' AND attachment_date IS NULL)",
        name="ck_attachment_matches_cohort",
    ),
    CheckConstraint("closure_date IS NULL OR closure_date >= eligibility_date", name="ck_closure_after_eligibility"),
    Index("ix_episode_family", "family_id"),
)

eligibility_need = Table(
    "eligibility_need",
    linked_metadata,
    Column("episode_id", Integer, ForeignKey("programme_episode.episode_id"), primary_key=True),
    Column("headline_outcome", String(32), primary_key=True, comment="Need found at assessment (headline outcome id)"),
    Column("source", String(64)),
)

need_observation = Table(
    "need_observation",
    linked_metadata,
    Column("observation_id", Integer, primary_key=True, autoincrement=False),
    Column("measure_id", String(8), nullable=False),
    Column("family_id", Integer, ForeignKey("family.family_id"), nullable=False),
    Column("person_id", Integer, ForeignKey("person_identifier.person_id"), comment="Empty for family measures"),
    Column("observed_on", Date, nullable=False),
    Column("need_present", Boolean, nullable=False),
    Column("source", String(64)),
    Index("ix_observation_unit", "measure_id", "family_id", "person_id"),
    Index("ix_observation_family", "family_id"),  # foreign-key checks when families or people are deleted
    Index("ix_observation_person", "person_id"),
)

record_link = Table(
    "record_link",
    linked_metadata,
    Column("source", String(64), primary_key=True, comment="Partner source id (config/partners.toml)"),
    Column("record_id", String(64), primary_key=True, comment="The staged partner record (source:file:row)"),
    Column("person_id", Integer, ForeignKey("person_identifier.person_id"), nullable=False),
    Index("ix_record_link_person", "person_id"),
    comment="Lineage: every accepted partner person record and the person it was linked to (python -m linkage run). "
            "Empty when the linked tables were loaded directly.",
)

LINKED_TABLES_IN_LOAD_ORDER = (
    dataset_info,
    locality,
    family,
    person_identifier,
    family_member,
    programme_episode,
    eligibility_need,
    need_observation,
    record_link,
)
