"""The linked family outcomes contract: every table the dashboard reads, as a SQLAlchemy 2 schema.

A council fills these tables from its own systems (or this project's synthetic generator does).

Each table is declared once, here: every column carries its meaning, its closed list of allowed values or its
format rule (`declared`), and each rule across columns is a `RowRule` with both its SQL CHECK and its polars test.
From these come the database tables (with their CHECK constraints), the polars schema (data_access/bulk.py), the
loader's validation (data_access/loader.py) and the column tables in docs/data-contract.md
(data_access/contract_docs.py; a test fails when the document differs).

Personal identifiers live only in `person_identifier`. Every other table uses pseudonymous keys
(person_id, family_id, episode_id, lead_practitioner_key), so analysis never needs a name.
Published tables (what the web tier may read) are in `published_schema.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl
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

from data_access import identifiers

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


def declared(name: str, type_: Any, *args: Any, meaning: str = "", allowed: tuple[str, ...] | None = None,
             allowed_in_database: bool = True, list_in_docs: bool = True,
             format_rule: tuple[Callable[[pl.Expr], pl.Expr], str] | None = None, required: str | None = None,
             example: Callable[[int, Any], Any] | None = None, **kwargs: Any) -> Column:
    """A column with what the contract says about it: its meaning (docs), a closed list of allowed values (a CHECK
    constraint unless `allowed_in_database` is False, and a loader check), a format rule (a polars test that is true
    for valid values, and the message for the others), where "required" needs more than yes/no, its wording, and
    where the default example value would not be valid, `example(i, context)`: the value of example row i
    (data_access/examples.py; the context holds the configured codes)."""
    info = {"meaning": meaning, "allowed": allowed, "allowed_in_database": allowed_in_database,
            "list_in_docs": list_in_docs, "format_rule": format_rule, "required": required, "example": example}
    return Column(name, type_, *args, info=info, **kwargs)


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row: the database's CHECK (`sql`, true for valid rows) and the loader's polars
    test (`broken`, true for rows that break it), with the message the loader gives."""

    name: str
    sql: str
    columns: tuple[str, ...]
    broken: pl.Expr
    message: str


def _with_rules(table: Table, *rules: RowRule) -> Table:
    """Add the CHECK constraints the table's declarations imply: allowed values per column, then the row rules."""
    for column in table.columns:
        allowed = column.info.get("allowed")
        if allowed and column.info.get("allowed_in_database", True):
            quoted = ", ".join(f"'{value}'" for value in allowed)
            table.append_constraint(CheckConstraint(f"{column.name} IN ({quoted})", name=f"ck_{column.name}_allowed"))
    for rule in rules:
        table.append_constraint(CheckConstraint(rule.sql, name=rule.name))
    table.info["row_rules"] = rules
    return table


def row_rules(table: Table) -> tuple[RowRule, ...]:
    """The table's rules across columns (empty for a table without any)."""
    return table.info.get("row_rules", ())


dataset_info = _with_rules(Table(
    "dataset_info",
    linked_metadata,
    declared("key", String(64), primary_key=True, meaning="name of the fact",
             example=lambda i, context: ("data_as_of", "is_synthetic")[i] if i < 2 else f"example_fact_{i}"),
    declared("value", String(400), nullable=False, meaning="its value, as text",
             example=lambda i, context: (context.data_as_of.isoformat(), "true")[i] if i < 2 else "example"),
    comment="Facts about the loaded data: is_synthetic, data_as_of, loaded_at, source, seed.",
))

locality = _with_rules(Table(
    "locality",
    linked_metadata,
    declared("locality_code", String(8), primary_key=True,
             meaning="a `code` from `config/localities.toml`, e.g. `CHE`",
             example=lambda i, context: context.locality_codes[i]),
    declared("locality_name", String(64), nullable=False, unique=True, meaning="display name, e.g. `Chesil`",
             example=lambda i, context: context.locality_names[i]),
    declared("sort_order", Integer, nullable=False,
             meaning="the order the dashboard lists localities in (1 = first)"),
))

family = _with_rules(Table(
    "family",
    linked_metadata,
    declared("family_id", Integer, primary_key=True, autoincrement=False, meaning="pseudonymous family key"),
    declared("locality_code", String(8), ForeignKey("locality.locality_code"), nullable=False,
             meaning="the locality the family lives in; must exist in `locality`"),
    declared("postcode_district", String(4),
             meaning="outward code of the family's address, e.g. `DT4`, `BH21` (format-checked)",
             example=lambda i, context: ("DT4", "BH21", "DT1")[i % 3],
             format_rule=(identifiers.postcode_district_is_valid, "not a valid postcode district (e.g. DT4, BH21)")),
    declared("family_type", String(24), allowed=FAMILY_TYPES),
    declared("deprivation_decile", Integer, comment="IMD decile of the family's area, 1 = most deprived",
             meaning="IMD decile of the family's area, 1 = most deprived, 10 = least",
             example=lambda i, context: i % 10 + 1),
), RowRule("ck_deprivation_decile", "deprivation_decile BETWEEN 1 AND 10", ("deprivation_decile",),
           ~pl.col("deprivation_decile").is_between(1, 10), "deprivation_decile outside 1..10"))

person_identifier = _with_rules(Table(
    "person_identifier",
    linked_metadata,
    declared("person_id", Integer, primary_key=True, autoincrement=False, meaning="pseudonymous person key"),
    declared("given_name", String(80), example=lambda i, context: ("Alex", "Sam", "Jo")[i % 3]),
    declared("family_name", String(80), example=lambda i, context: "Example"),
    declared("date_of_birth", Date,
             meaning="used to place people in the measures' age ranges (ages at the index date)"),
    declared("sex", String(8), allowed=SEXES),
    declared("ethnic_group", String(80), allowed=ETHNIC_GROUPS, allowed_in_database=False, list_in_docs=False,
             meaning="one of the 19 ONS 2021 detailed groups, written exactly as in `schema.ETHNIC_GROUPS`, e.g. "
                     "`White: English, Welsh, Scottish, Northern Irish or British`; empty when not known or not "
                     "stated"),
    declared("postcode", String(8), meaning="full postcode, upper case with one space: `DT4 7QE`",
             example=lambda i, context: f"DT4 {i % 10}QE",
             format_rule=(identifiers.postcode_is_valid,
                          "not a valid postcode in the stored form (upper case, one space, e.g. DT4 7QE)")),
    declared("nhs_number", String(10), meaning="10 digits, no spaces, valid mod-11 check digit",
             example=lambda i, context: identifiers.example_nhs_number(i),
             format_rule=(identifiers.nhs_number_is_valid, "not a valid NHS number (10 digits, mod-11 check digit)")),
    declared("ni_number", String(9),
             meaning="e.g. `AB123456C`, no spaces; HMRC format rules (no `BG GB KN NK NT TN ZZ` prefix; D F I Q U V "
                     "never first or second letter; O never second; suffix A-D)",
             example=lambda i, context: f"AB{123456 + i:06d}{'ABCD'[i % 4]}",
             format_rule=(identifiers.ni_number_is_valid,
                          "not a valid National Insurance number (e.g. AB123456C, no spaces)")),
    declared("upn", String(13),
             meaning="Unique Pupil Number: check letter, LA code (Dorset: `835` before April 2019, `838` since), "
                     "4-digit establishment, 2-digit year, 3-digit serial; temporary UPNs end in a letter; the check "
                     "letter must be right",
             example=lambda i, context: identifiers.example_upn(i),
             format_rule=(identifiers.upn_is_valid, "not a valid UPN (13 characters, check letter first)")),
    comment="The ONLY table with personal identifiers. Never read by the web tier.",
))

family_member = _with_rules(Table(
    "family_member",
    linked_metadata,
    declared("family_id", Integer, ForeignKey("family.family_id"), primary_key=True, meaning="must exist in `family`"),
    declared("person_id", Integer, ForeignKey("person_identifier.person_id"), primary_key=True,
             meaning="must exist in `person_identifier`"),
    declared("role", String(16), nullable=False, allowed=FAMILY_ROLES,
             meaning="`parent_carer`, `child` (dependent child), `other_adult`", list_in_docs=False),
    declared("start_date", Date, primary_key=True,
             meaning="date the person joined the family (a child born into it: the date of birth)"),
    declared("end_date", Date,
             meaning="date the person left; empty while still a member; not before `start_date`",
             example=lambda i, context: None),
    # Deleting a person (retention, erasure) makes the database look for rows that still refer to them: without an
    # index on each referring column, that is a scan of the whole table per person deleted.
    Index("ix_member_person", "person_id"),
), RowRule("ck_member_end_after_start", "end_date IS NULL OR end_date >= start_date", ("end_date", "start_date"),
           pl.col("end_date") < pl.col("start_date"), "end_date before start_date"))

programme_episode = _with_rules(Table(
    "programme_episode",
    linked_metadata,
    declared("episode_id", Integer, primary_key=True, autoincrement=False, meaning="pseudonymous episode key"),
    declared("family_id", Integer, ForeignKey("family.family_id"), nullable=False, meaning="must exist in `family`"),
    declared("cohort", String(12), nullable=False, allowed=COHORTS, list_in_docs=False,
             example=lambda i, context: COHORTS[i % 2],
             meaning="`supported` (received support) or `comparison` (eligible and assessed, not supported)"),
    declared("eligibility_date", Date, nullable=False, comment="Date the family was assessed as eligible (3+ needs)",
             meaning="date the family was assessed as eligible (3+ needs)"),
    declared("attachment_date", Date, comment="Date support began; empty for comparison families",
             meaning="date support began (the supported index date)",
             required="supported: yes; comparison: must be empty",
             example=lambda i, context: context.day(i) if COHORTS[i % 2] == "supported" else None),
    declared("route_into_support", String(32), allowed=ROUTES_INTO_SUPPORT,
             meaning="how the family was referred (may be filled for comparison families too)"),
    declared("team_code", String(16), meaning="the team that worked with the family, e.g. `CHE-T1`"),
    declared("lead_practitioner_key", String(16), comment="Pseudonymous key of the lead practitioner",
             meaning="pseudonymous key of the lead practitioner, e.g. `LP0042`: never a name or staff number"),
    declared("assessment_date", Date, meaning="date of the whole-family assessment"),
    declared("plan_date", Date, meaning="date of the whole-family plan"),
    declared("closure_date", Date,
             meaning="date the case closed; empty while open; never before `eligibility_date`",
             example=lambda i, context: None),
    declared("closure_reason", String(32), allowed=CLOSURE_REASONS),
    declared("comparison_status", String(16), allowed=COMPARISON_STATUSES,
             comment="For comparison families: awaiting_place or not_supported", meaning="for comparison families",
             example=lambda i, context: COMPARISON_STATUSES[0] if COHORTS[i % 2] == "comparison" else None),
    declared("prior_contacts", Integer, comment="Agency contacts in the 12 months before eligibility",
             meaning="agency contacts in the 12 months before eligibility"),
    Index("ix_episode_family", "family_id"),
), RowRule("ck_attachment_matches_cohort",
           "(cohort = 'supported' AND attachment_date IS NOT NULL) OR (cohort = 'comparison' AND attachment_date IS "
           "NULL)", ("cohort", "attachment_date"),
           ((pl.col("cohort") == "supported") & pl.col("attachment_date").is_null())
           | ((pl.col("cohort") == "comparison") & pl.col("attachment_date").is_not_null()),
           "attachment_date must be present for supported families and empty for comparison families"),
   RowRule("ck_closure_after_eligibility", "closure_date IS NULL OR closure_date >= eligibility_date",
           ("closure_date", "eligibility_date"), pl.col("closure_date") < pl.col("eligibility_date"),
           "closure_date before eligibility_date"))

eligibility_need = _with_rules(Table(
    "eligibility_need",
    linked_metadata,
    declared("episode_id", Integer, ForeignKey("programme_episode.episode_id"), primary_key=True,
             meaning="must exist in `programme_episode`"),
    declared("headline_outcome", String(32), primary_key=True, comment="Need found at assessment (headline outcome id)",
             meaning="a headline outcome `id` from `config/measures.toml`: `education`, `early_years`, `health`, "
                     "`substance_use`, `relationships`, `safeguarding`, `crime`, `domestic_abuse`, `housing`, "
                     "`financial`",
             example=lambda i, context: context.headline_outcomes[i % len(context.headline_outcomes)]),
    declared("source", String(64), meaning="where the need was found (service, dataset or assessment)"),
))

need_observation = _with_rules(Table(
    "need_observation",
    linked_metadata,
    declared("observation_id", Integer, primary_key=True, autoincrement=False, meaning="any unique integer"),
    declared("measure_id", String(8), nullable=False,
             meaning="a measure `id` from `config/measures.toml` (`M01` ... `M12`)",
             example=lambda i, context: context.person_measures[i % len(context.person_measures)]),
    declared("family_id", Integer, ForeignKey("family.family_id"), nullable=False, meaning="must exist in `family`"),
    declared("person_id", Integer, ForeignKey("person_identifier.person_id"), comment="Empty for family measures",
             meaning="must exist in `person_identifier` and be a member of that family in `family_member`",
             required="person measures: yes; family measures: must be empty"),
    declared("observed_on", Date, nullable=False,
             meaning="the date the need was observed (see Key dates); not after `data_as_of`"),
    declared("need_present", Boolean, nullable=False, meaning="true when the measure's need was present on that date"),
    declared("source", String(64), meaning="the record the observation came from"),
    Index("ix_observation_unit", "measure_id", "family_id", "person_id"),
    Index("ix_observation_family", "family_id"),  # foreign-key checks when families or people are deleted
    Index("ix_observation_person", "person_id"),
))

record_link = _with_rules(Table(
    "record_link",
    linked_metadata,
    declared("source", String(64), primary_key=True, comment="Partner source id (config/partners.toml)",
             meaning="the partner source id from `config/partners.toml`, e.g. `police_incidents`"),
    declared("record_id", String(64), primary_key=True, comment="The staged partner record (source:file:row)",
             meaning="`source:first 12 hex digits of the file's SHA-256:row number`, e.g. "
                     "`police_incidents:3f9a0c1b2d4e:0000123`"),
    declared("person_id", Integer, ForeignKey("person_identifier.person_id"), nullable=False,
             meaning="must exist in `person_identifier`"),
    Index("ix_record_link_person", "person_id"),
    comment="Lineage: every accepted partner person record and the person it was linked to (python -m linkage run). "
            "Empty when the linked tables were loaded directly.",
))

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
