"""The partner-extract contract (config/partners.toml) as typed, validated objects.

Declared once, used everywhere: the ingest recognises and validates files with it, data_access builds the
staging tables from it, the rules here turn staged records into need observations, the synthetic generator
writes extracts that obey it, and docs/partner-data.md is generated from it (linkage/contract_docs.py).
Loading checks the declaration itself (unknown fields, unknown measures, rules on undeclared columns,
file patterns that overlap) and names the source and column on error.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from functools import cache
from pathlib import Path

import polars as pl

from data_access.config import ConfigError, load_localities, load_measures, read_config_file
from data_access.schema import ETHNIC_GROUPS

PERSON_FIELDS = ("first_name", "middle_name", "surname", "date_of_birth", "sex", "postcode", "address",
                 "nhs_number", "ni_number", "upn")
"""The person-record columns link_people takes (the linkage interface), in its order."""

IDENTIFYING_FIELDS = ("surname", "nhs_number", "ni_number", "upn")
"""A person row must carry at least one of these, or it cannot be linked (quarantined as no_identifiers)."""

KINDS = ("person", "family", "episode", "episode_need", "family_review")
TYPES = ("text", "name", "date", "code", "integer", "decimal")
FORMATS = ("csv", "xlsx", "parquet")
RULE_KINDS = ("event", "assessment")
CODE_LISTS = ("localities", "headline_outcomes", "ethnic_groups")
DEFAULT_MAX_LENGTH = {"text": 100, "name": 80, "code": 80}

FIELDS_BY_KIND: dict[str, tuple[str, ...]] = {
    "person": (*PERSON_FIELDS, "family_ref", "role", "member_from", "member_until", "ethnic_group"),
    "family": ("family_ref", "locality_code", "postcode_district", "family_type", "deprivation_decile"),
    "episode": ("episode_ref", "family_ref", "cohort", "eligibility_date", "attachment_date", "route_into_support",
                "team_code", "lead_practitioner_key", "assessment_date", "plan_date", "closure_date",
                "closure_reason", "comparison_status", "prior_contacts"),
    "episode_need": ("episode_ref", "headline_outcome", "source"),
    "family_review": ("family_ref",),
}
"""What a column of each kind of source may be used for (`field`)."""

REQUIRED_FIELDS_BY_KIND: dict[str, tuple[str, ...]] = {
    "person": ("first_name", "surname", "date_of_birth"),
    "family": ("family_ref", "locality_code"),
    "episode": ("episode_ref", "family_ref", "cohort", "eligibility_date"),
    "episode_need": ("episode_ref", "headline_outcome"),
    "family_review": ("family_ref",),
}
"""Fields each kind must declare a column for (person sources: at least names and date of birth)."""

_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
RESERVED_COLUMN_NAMES = ("record_id", "file_id", "row_number", "extract_date")
"""Names the staging tables use for their own columns."""


@dataclass(frozen=True)
class Column:
    """One column of a partner file."""

    name: str
    type: str
    description: str
    example: str = ""
    field: str | None = None
    required: bool = False
    codes: tuple[str, ...] = ()
    codes_from: str | None = None
    means: dict[str, str] = dataclass_field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None

    @property
    def length(self) -> int:
        """The most characters a text value may have (codes: the longest code)."""
        if self.type == "code":
            return max(len(code) for code in self.codes)
        return self.max_length or DEFAULT_MAX_LENGTH.get(self.type, 100)


@dataclass(frozen=True)
class Condition:
    """A test on one column of a record: `in` a list of codes, `at_least` or `greater_than` a number."""

    column: str
    values: tuple[str, ...] = ()
    at_least: float | None = None
    greater_than: float | None = None

    def expression(self) -> pl.Expr:
        value = pl.col(self.column)
        if self.values:
            return value.is_in(list(self.values)).fill_null(False)
        if self.at_least is not None:
            return (value >= self.at_least).fill_null(False)
        return (value > self.greater_than).fill_null(False)

    def describe(self) -> str:
        if self.values:
            return f"`{self.column}` is {' or '.join(f'`{value}`' for value in self.values)}"
        if self.at_least is not None:
            return f"`{self.column}` is at least {_number(self.at_least)}"
        return f"`{self.column}` is more than {_number(self.greater_than)}"


@dataclass(frozen=True)
class Rule:
    """How records of a source become need observations for one measure."""

    measure: str
    kind: str
    date_column: str
    when: tuple[Condition, ...]

    def present(self) -> pl.Expr:
        """True for a record whose conditions all hold (an event that counts, or an assessment finding the need)."""
        if not self.when:
            return pl.lit(True)
        return pl.all_horizontal([condition.expression() for condition in self.when])


@dataclass(frozen=True)
class Source:
    """One kind of partner file."""

    id: str
    label: str
    partner: str
    kind: str
    file_pattern: str
    formats: tuple[str, ...]
    date_format: str
    description: str
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...] = ()

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def column_for(self, field_name: str) -> Column | None:
        """The column that carries `field_name` (e.g. "surname"), or None when the source has none."""
        return next((column for column in self.columns if column.field == field_name), None)

    @property
    def fields(self) -> dict[str, str]:
        """field -> column name, for the columns that carry a field."""
        return {column.field: column.name for column in self.columns if column.field}

    def matches(self, file_name: str) -> bool:
        """Whether a file name (with or without its extension) is one of this source's files."""
        stem = Path(file_name).name.split(".", 1)[0].lower()
        return fnmatch.fnmatchcase(stem, self.file_pattern.lower())


@dataclass(frozen=True)
class PartnerContract:
    lookback_days: int
    sources: tuple[Source, ...]

    def by_id(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(source_id)

    def source_for(self, file_name: str) -> Source | None:
        """The one source whose pattern the file name matches, or None (no match, or more than one)."""
        matching = [source for source in self.sources if source.matches(file_name)]
        return matching[0] if len(matching) == 1 else None

    def rules_for(self, measure_id: str) -> list[tuple[Source, Rule]]:
        return [(source, rule) for source in self.sources for rule in source.rules if rule.measure == measure_id]

    @property
    def person_sources(self) -> tuple[Source, ...]:
        return tuple(source for source in self.sources if source.kind == "person")


def _number(value: float | None) -> str:
    return "" if value is None else (str(int(value)) if float(value).is_integer() else str(value))


@cache
def load_partner_contract(config_dir: Path | None = None) -> PartnerContract:
    """config/partners.toml, checked against itself, config/measures.toml and config/localities.toml."""
    raw = read_config_file("partners.toml", config_dir)
    _only(raw, {"lookback_days", "source"}, "partners.toml")
    lookback = raw.get("lookback_days")
    if not isinstance(lookback, int) or isinstance(lookback, bool) or not 1 <= lookback <= 3660:
        raise ConfigError("partners.toml: lookback_days must be a whole number of days from 1 to 3660.")
    catalogue = load_measures(config_dir)
    code_lists = {
        "localities": tuple(locality.code for locality in load_localities(config_dir)),
        "headline_outcomes": tuple(outcome.id for outcome in catalogue.headline_outcomes),
        "ethnic_groups": ETHNIC_GROUPS,
    }
    measures = {measure.id: measure for measure in catalogue.measures}
    sources = tuple(_source(record, index, code_lists, measures) for index, record in enumerate(raw.get("source", [])))
    if not sources:
        raise ConfigError("partners.toml defines no [[source]].")
    ids = [source.id for source in sources]
    if len(set(ids)) != len(ids):
        raise ConfigError("partners.toml: source ids must be unique.")
    for source in sources:
        example = f"{source.id}_2026-09-30"
        matching = [other.id for other in sources if other.matches(example)]
        if matching != [source.id]:
            raise ConfigError(f"partners.toml source {source.id}: a file named {example}.csv should match only this "
                              f"source's file_pattern, but matches {', '.join(matching) or 'none'}.")
    return PartnerContract(lookback, sources)


def _only(record: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(record) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(unknown)}.")


def _source(record: dict, index: int, code_lists: dict, measures: dict) -> Source:
    where = f"partners.toml source #{index + 1}"
    _only(record, {"id", "label", "partner", "kind", "file_pattern", "formats", "date_format", "description",
                   "column", "rule"}, where)
    missing = [name for name in ("id", "label", "partner", "kind", "file_pattern", "formats", "date_format",
                                 "description", "column") if name not in record]
    if missing:
        raise ConfigError(f"{where}: missing field(s) {', '.join(missing)}.")
    source_id = record["id"]
    if not isinstance(source_id, str) or not _ID_PATTERN.match(source_id):
        raise ConfigError(f"{where}: id must be lower case letters, digits and _ (2-41 characters).")
    where = f"partners.toml source {source_id}"
    kind = record["kind"]
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind must be one of {', '.join(KINDS)}.")
    formats = tuple(record["formats"])
    if not formats or set(formats) - set(FORMATS):
        raise ConfigError(f"{where}: formats must be some of {', '.join(FORMATS)}.")
    columns = tuple(_column(column, f"{where} column #{number + 1}", kind, code_lists)
                    for number, column in enumerate(record["column"]))
    names = [column.name for column in columns]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: column names must be unique.")
    used = [column.field for column in columns if column.field]
    if len(set(used)) != len(used):
        raise ConfigError(f"{where}: each field may be carried by one column only.")
    absent = [name for name in REQUIRED_FIELDS_BY_KIND[kind] if name not in used]
    if absent:
        raise ConfigError(f"{where}: a {kind} source needs columns for {', '.join(absent)}.")
    source = Source(id=source_id, label=str(record["label"]), partner=str(record["partner"]), kind=kind,
                    file_pattern=str(record["file_pattern"]), formats=formats, date_format=str(record["date_format"]),
                    description=str(record["description"]), columns=columns)
    rules = tuple(_rule(rule, f"{where} rule #{number + 1}", source, measures)
                  for number, rule in enumerate(record.get("rule", [])))
    return replace(source, rules=rules)


def _column(record: dict, where: str, kind: str, code_lists: dict) -> Column:
    _only(record, {"name", "type", "description", "example", "field", "required", "codes", "codes_from", "means",
                   "minimum", "maximum", "max_length"}, where)
    for name in ("name", "type", "description"):
        if name not in record:
            raise ConfigError(f"{where}: missing field {name}.")
    where = f"{where} ({record['name']})"
    if not _ID_PATTERN.match(str(record["name"])):
        raise ConfigError(f"{where}: column names are lower case letters, digits and _.")
    if record["name"] in RESERVED_COLUMN_NAMES:
        raise ConfigError(f"{where}: {', '.join(RESERVED_COLUMN_NAMES)} are reserved for the staging tables.")
    if record["type"] not in TYPES:
        raise ConfigError(f"{where}: type must be one of {', '.join(TYPES)}.")
    if record.get("field") is not None and record["field"] not in FIELDS_BY_KIND[kind]:
        raise ConfigError(f"{where}: field {record['field']!r} is not one a {kind} source can carry "
                          f"({', '.join(FIELDS_BY_KIND[kind])}).")
    codes = tuple(record.get("codes", ()))
    codes_from = record.get("codes_from")
    if codes_from is not None:
        if codes_from not in CODE_LISTS:
            raise ConfigError(f"{where}: codes_from must be one of {', '.join(CODE_LISTS)}.")
        codes = tuple(code_lists[codes_from])
    if record["type"] == "code" and not codes:
        raise ConfigError(f"{where}: a code column needs codes or codes_from.")
    lowered = [code.lower() for code in codes]
    if len(set(lowered)) != len(lowered):
        raise ConfigError(f"{where}: codes must differ in more than case.")
    means = dict(record.get("means", {}))
    if set(means) - set(codes):
        raise ConfigError(f"{where}: means names codes that are not in codes.")
    return Column(name=record["name"], type=record["type"], description=str(record["description"]),
                  example=str(record.get("example", "")), field=record.get("field"),
                  required=bool(record.get("required", False)), codes=codes, codes_from=codes_from, means=means,
                  minimum=record.get("minimum"), maximum=record.get("maximum"), max_length=record.get("max_length"))


def _rule(record: dict, where: str, source: Source, measures: dict) -> Rule:
    _only(record, {"measure", "kind", "date_column", "when"}, where)
    for name in ("measure", "kind", "date_column", "when"):
        if name not in record:
            raise ConfigError(f"{where}: missing field {name}.")
    measure = measures.get(record["measure"])
    if measure is None:
        raise ConfigError(f"{where}: measure {record['measure']!r} is not defined in config/measures.toml.")
    if record["kind"] not in RULE_KINDS:
        raise ConfigError(f"{where}: kind must be event or assessment.")
    if source.kind == "family_review" and measure.unit != "family":
        raise ConfigError(f"{where}: a family_review source can only feed family measures ({measure.id} counts "
                          f"{measure.unit}s).")
    if source.kind not in ("person", "family_review"):
        raise ConfigError(f"{where}: only person and family_review sources can feed measures.")
    names = {column.name: column for column in source.columns}
    date_column = names.get(record["date_column"])
    if date_column is None or date_column.type != "date" or not date_column.required:
        raise ConfigError(f"{where}: date_column must name a required date column of the source.")
    conditions = []
    for number, condition in enumerate(record["when"]):
        place = f"{where} condition #{number + 1}"
        _only(condition, {"column", "in", "at_least", "greater_than"}, place)
        column = names.get(condition.get("column"))
        if column is None or not column.required:
            raise ConfigError(f"{place}: column must name a required column of the source.")
        tests = [name for name in ("in", "at_least", "greater_than") if name in condition]
        if len(tests) != 1:
            raise ConfigError(f"{place}: give exactly one of in, at_least, greater_than.")
        if "in" in condition:
            values = tuple(condition["in"])
            if column.type != "code" or not values or set(values) - set(column.codes):
                raise ConfigError(f"{place}: `in` needs a code column and values from its codes.")
            conditions.append(Condition(column.name, values=values))
        else:
            if column.type not in ("integer", "decimal"):
                raise ConfigError(f"{place}: at_least / greater_than need a number column.")
            conditions.append(Condition(column.name, at_least=condition.get("at_least"),
                                        greater_than=condition.get("greater_than")))
    return Rule(measure=measure.id, kind=record["kind"], date_column=date_column.name, when=tuple(conditions))
