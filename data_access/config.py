"""Council-editable configuration files (config/*.toml) loaded into typed, validated objects.

Config lives in data files so that a council can change localities, measures and the disclosure
policy without touching code. Loading validates each file and names the file and field on error.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import MISSING, dataclass
from functools import cache
from pathlib import Path

SHIPPED_CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
"""The config/ folder shipped with the code; FAMILIES_CONFIG_DIR (read when a config is loaded) overrides it."""


def resolve_config_dir(config_dir: Path | None = None) -> Path:
    """The folder to load from: the one given, else FAMILIES_CONFIG_DIR as set now, else the shipped config/.

    Read at call time (not import time), so a command or test that sets the variable or passes a folder gets it.
    """
    if config_dir is not None:
        return Path(config_dir)
    return Path(os.environ.get("FAMILIES_CONFIG_DIR") or SHIPPED_CONFIG_DIR)


class ConfigError(ValueError):
    """A config file is missing a field or has a value the dashboard cannot use."""


@dataclass(frozen=True)
class Locality:
    code: str
    name: str
    main_towns: tuple[str, ...]
    postcode_districts: tuple[str, ...]
    relative_share: float
    deprivation_shift: float
    tile_column: int = 0
    tile_row: int = 0


@dataclass(frozen=True)
class HeadlineOutcome:
    id: str
    label: str


@dataclass(frozen=True)
class Measure:
    id: str
    label: str
    short_label: str
    headline_outcome: str
    unit: str  # "person" or "family"
    min_age: int
    max_age: int
    population: str
    definition: str
    numerator: str
    denominator: str
    source: str
    polarity: str
    caveats: str

    @property
    def units_counted(self) -> str:
        """What the measure counts, as a reader says it: "people" or "families" (load_measures allows no other unit)."""
        return {"person": "people", "family": "families"}[self.unit]


@dataclass(frozen=True)
class MeasureCatalogue:
    list_statement: str
    headline_outcomes: tuple[HeadlineOutcome, ...]
    measures: tuple[Measure, ...]

    def by_id(self, measure_id: str) -> Measure:
        for measure in self.measures:
            if measure.id == measure_id:
                return measure
        raise KeyError(measure_id)


@dataclass(frozen=True)
class DisclosurePolicy:
    """config/disclosure.toml (docs/disclosure.md explains each rule).

    class_disclosure_min_group: a zero numerator of a percentage whose group (denominator) has 1 to this - 1
    members is suppressed ("0 of 6 improved" describes all six). Required in the file; the default here only
    serves policies built in code (tests), where it is the shipped value.
    """

    threshold: int
    rounding_base: int
    percentage_min_each_side: int
    protection_level: int
    confidence_level: str
    unit_counted: str = "units"
    class_disclosure_min_group: int = 20


def read_config_file(name: str, config_dir: Path | None = None) -> dict:
    """A config file (NAME in resolve_config_dir(config_dir)) as parsed TOML; a missing or broken file is a
    ConfigError."""
    path = resolve_config_dir(config_dir) / name
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as error:
        raise ConfigError(f"Config file {path} is missing.") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"Config file {path} is not valid TOML: {error}") from error


def _build(cls, record: dict, where: str):
    fields = cls.__dataclass_fields__
    missing = [name for name, field in fields.items() if name not in record and field.default is MISSING]
    if missing:
        raise ConfigError(f"{where}: missing field(s) {', '.join(missing)}.")
    unknown = sorted(set(record) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(unknown)}.")
    values = {key: tuple(value) if isinstance(value, list) else value for key, value in record.items()}
    return cls(**values)


def load_localities(config_dir: Path | None = None) -> tuple[Locality, ...]:
    """localities.toml, validated (cached per folder, like every loader here)."""
    return _load_localities(resolve_config_dir(config_dir))


@cache
def _load_localities(config_dir: Path) -> tuple[Locality, ...]:
    raw = read_config_file("localities.toml", config_dir)
    localities = tuple(
        _build(Locality, record, f"localities.toml locality #{index + 1}")
        for index, record in enumerate(raw.get("locality", []))
    )
    if not localities:
        raise ConfigError("localities.toml defines no [[locality]].")
    codes = [locality.code for locality in localities]
    if len(set(codes)) != len(codes):
        raise ConfigError("localities.toml: locality codes must be unique.")
    return localities


def benchmark_name(config_dir: Path | None = None) -> str:
    """The name of the whole area, used as the comparator (e.g. "Dorset")."""
    return _benchmark_name(resolve_config_dir(config_dir))


@cache
def _benchmark_name(config_dir: Path) -> str:
    return str(read_config_file("localities.toml", config_dir).get("benchmark_name", "All localities"))


def load_measures(config_dir: Path | None = None) -> MeasureCatalogue:
    return _load_measures(resolve_config_dir(config_dir))


@cache
def _load_measures(config_dir: Path) -> MeasureCatalogue:
    raw = read_config_file("measures.toml", config_dir)
    outcomes = tuple(
        _build(HeadlineOutcome, record, f"measures.toml headline_outcome #{index + 1}")
        for index, record in enumerate(raw.get("headline_outcome", []))
    )
    outcome_ids = {outcome.id for outcome in outcomes}
    measures = tuple(
        _build(Measure, record, f"measures.toml measure #{index + 1}")
        for index, record in enumerate(raw.get("measure", []))
    )
    if not measures:
        raise ConfigError("measures.toml defines no [[measure]].")
    ids = [measure.id for measure in measures]
    if len(set(ids)) != len(ids):
        raise ConfigError("measures.toml: measure ids must be unique.")
    for measure in measures:
        where = f"measures.toml measure {measure.id}"
        if measure.unit not in {"person", "family"}:
            raise ConfigError(f"{where}: unit must be 'person' or 'family', not {measure.unit!r}.")
        if measure.polarity not in {"higher_is_better", "lower_is_better", "no_polarity"}:
            raise ConfigError(f"{where}: polarity {measure.polarity!r} is not recognised.")
        if measure.headline_outcome not in outcome_ids:
            raise ConfigError(f"{where}: headline_outcome {measure.headline_outcome!r} is not defined.")
        if not 0 <= measure.min_age <= measure.max_age:
            raise ConfigError(f"{where}: need 0 <= min_age <= max_age.")
    return MeasureCatalogue(str(raw.get("list_statement", "")), outcomes, measures)


def load_disclosure_policy(config_dir: Path | None = None) -> DisclosurePolicy:
    return _load_disclosure_policy(resolve_config_dir(config_dir))


@cache
def _load_disclosure_policy(config_dir: Path) -> DisclosurePolicy:
    raw = read_config_file("disclosure.toml", config_dir)
    if "class_disclosure_min_group" not in raw:
        raise ConfigError("disclosure.toml: missing field(s) class_disclosure_min_group.")
    policy = _build(DisclosurePolicy, raw, "disclosure.toml")
    if policy.threshold < 1 or policy.rounding_base < 1 or policy.percentage_min_each_side < 0:
        raise ConfigError("disclosure.toml: threshold and rounding_base must be at least 1.")
    if policy.confidence_level not in {"95", "99.8"}:
        raise ConfigError("disclosure.toml: confidence_level must be \"95\" or \"99.8\".")
    group = policy.class_disclosure_min_group
    if not isinstance(group, int) or isinstance(group, bool) or group < 2 * policy.percentage_min_each_side:
        raise ConfigError(
            "disclosure.toml: class_disclosure_min_group must be a whole number of at least "
            f"2 x percentage_min_each_side = {2 * policy.percentage_min_each_side} (got {group!r}): a smaller group "
            "is one whose percentage could never be shown, so a 0 in it would describe everyone in it.")
    return policy


@dataclass(frozen=True)
class Breakdown:
    """One way of splitting a count; categories exclude "Not recorded", which is always added."""

    id: str
    label: str
    applies_to: str  # "person", "all" or "families"
    categories: tuple[str, ...]
    codes: tuple[str, ...] = ()
    bands: tuple[tuple[int, int, str], ...] = ()


@dataclass(frozen=True)
class BreakdownCatalogue:
    not_recorded: str
    breakdowns: tuple[Breakdown, ...]

    def by_id(self, breakdown_id: str) -> Breakdown:
        for breakdown in self.breakdowns:
            if breakdown.id == breakdown_id:
                return breakdown
        raise KeyError(breakdown_id)


def load_breakdowns(config_dir: Path | None = None) -> BreakdownCatalogue:
    return _load_breakdowns(resolve_config_dir(config_dir))


@cache
def _load_breakdowns(config_dir: Path) -> BreakdownCatalogue:
    raw = read_config_file("breakdowns.toml", config_dir)
    breakdowns = []
    for index, record in enumerate(raw.get("breakdown", [])):
        where = f"breakdowns.toml breakdown #{index + 1}"
        record = dict(record)
        bands = tuple((int(low), int(high), str(label)) for low, high, label in record.pop("bands", []))
        if bands:
            record.setdefault("categories", [label for _, _, label in bands])
        breakdown = _build(Breakdown, {**record, "bands": bands}, where)
        if breakdown.applies_to not in {"person", "all", "families"}:
            raise ConfigError(f"{where}: applies_to must be person, all or families.")
        if breakdown.codes and len(breakdown.codes) != len(breakdown.categories):
            raise ConfigError(f"{where}: codes and categories must have the same length.")
        breakdowns.append(breakdown)
    return BreakdownCatalogue(str(raw.get("not_recorded", "Not recorded")), tuple(breakdowns))


@dataclass(frozen=True)
class Role:
    id: str
    label: str
    description: str
    pages: tuple[str, ...]
    breakdowns: tuple[str, ...]


@dataclass(frozen=True)
class RoleCatalogue:
    default_role: str
    roles: tuple[Role, ...]

    def by_id(self, role_id: str) -> Role:
        for role in self.roles:
            if role.id == role_id:
                return role
        raise KeyError(role_id)

    def resolve(self, role_id: str | None) -> Role:
        """The named role, or the default one for an unknown or missing id."""
        try:
            return self.by_id(role_id or self.default_role)
        except KeyError:
            return self.by_id(self.default_role)


def load_roles(config_dir: Path | None = None) -> RoleCatalogue:
    return _load_roles(resolve_config_dir(config_dir))


@cache
def _load_roles(config_dir: Path) -> RoleCatalogue:
    raw = read_config_file("roles.toml", config_dir)
    roles = tuple(_build(Role, record, f"roles.toml role #{index + 1}") for index, record in enumerate(raw["role"]))
    catalogue = RoleCatalogue(str(raw.get("default_role", roles[0].id)), roles)
    catalogue.by_id(catalogue.default_role)
    known_breakdowns = {breakdown.id for breakdown in load_breakdowns(config_dir).breakdowns}
    for role in roles:
        unknown = sorted(set(role.breakdowns) - known_breakdowns)
        if unknown:
            raise ConfigError(f"roles.toml role {role.id}: unknown breakdown(s) {', '.join(unknown)}.")
    return catalogue


def load_privacy_notice(config_dir: Path | None = None) -> dict:
    """What the council's privacy notice says (purposes, lawful basis, retention, status) for the Methodology page."""
    return _load_privacy_notice(resolve_config_dir(config_dir))


@cache
def _load_privacy_notice(config_dir: Path) -> dict:
    raw = read_config_file("privacy.toml", config_dir)
    required = ("purposes", "promise", "lawful_basis", "retention", "sharing", "status")
    missing = [key for key in required if key not in raw]
    if missing:
        raise ConfigError(f"privacy.toml: missing {', '.join(missing)}.")
    return raw


def load_pooled_calendar_start(config_dir: Path | None = None) -> str:
    """config/periods.toml's pooled_periods_start: the financial year ("2020/21") the fixed calendar of three-year
    pooled periods starts from (metrics.periods)."""
    return _load_periods(resolve_config_dir(config_dir))[0]


def load_quarter_breakdowns(config_dir: Path | None = None) -> bool:
    """config/periods.toml's quarter_breakdowns: whether a quarter's breakdowns (whole area) are published too
    (false when absent: quarters are headline figures only; metrics.cells says why)."""
    return _load_periods(resolve_config_dir(config_dir))[1]


@cache
def _load_periods(config_dir: Path) -> tuple[str, bool]:
    raw = read_config_file("periods.toml", config_dir)
    unknown = sorted(set(raw) - {"pooled_periods_start", "quarter_breakdowns"})
    if unknown:
        raise ConfigError(f"periods.toml: unknown field(s) {', '.join(unknown)}.")
    start = raw.get("pooled_periods_start")
    if start is None:
        raise ConfigError("periods.toml: missing field(s) pooled_periods_start.")
    if not (isinstance(start, str) and re.fullmatch(r"\d{4}/\d{2}", start)
            and int(start[5:]) == (int(start[:4]) + 1) % 100):
        raise ConfigError(f"periods.toml: pooled_periods_start must be a financial year written like \"2020/21\" "
                          f"(got {start!r}).")
    quarter_breakdowns = raw.get("quarter_breakdowns", False)
    if not isinstance(quarter_breakdowns, bool):
        raise ConfigError(f"periods.toml: quarter_breakdowns must be true or false (got {quarter_breakdowns!r}).")
    return start, quarter_breakdowns


METHOD_CONFIG_FILES = ("measures.toml", "breakdowns.toml", "localities.toml", "disclosure.toml", "periods.toml")
"""The configuration that decides which figures exist and what they count (not presentation: roles, privacy text);
an edition's method digest covers their bytes (metrics.editions.method_digest)."""


@dataclass(frozen=True)
class PublishSettings:
    """Everything the computations of a publication take from configuration, loaded once at an edge (a command's
    main, the page adapter) and passed in: computations never load configuration themselves."""

    policy: DisclosurePolicy
    area_name: str
    localities: tuple[Locality, ...]
    measures: MeasureCatalogue
    breakdowns: BreakdownCatalogue
    pooled_calendar_start: str = "2020/21"
    """The financial year the three-year pooled periods' fixed calendar starts from (config/periods.toml; the default
    is the shipped value, for settings built in code)."""
    quarter_breakdowns: bool = False
    """Whether a quarter's breakdowns (whole area) are published as well as its totals (config/periods.toml)."""
    method_files: tuple[tuple[str, bytes], ...] = ()
    """(name, bytes) of each METHOD_CONFIG_FILES file (empty bytes when missing), for the method digest."""

    @property
    def locality_names(self) -> tuple[str, ...]:
        return tuple(locality.name for locality in self.localities)

    @property
    def polarities(self) -> dict[str, str]:
        """Measure id -> polarity (higher_is_better, lower_is_better or no_polarity)."""
        return {measure.id: measure.polarity for measure in self.measures.measures}


def load_publish_settings(config_dir: Path | None = None) -> PublishSettings:
    """The disclosure policy, area name, localities, measures and breakdowns of one config folder (see
    resolve_config_dir), with the bytes of the files that define the method (cached per folder, like the loaders)."""
    return _load_publish_settings(resolve_config_dir(config_dir))


@cache
def _load_publish_settings(folder: Path) -> PublishSettings:
    method_files = tuple((name, (folder / name).read_bytes() if (folder / name).is_file() else b"")
                         for name in METHOD_CONFIG_FILES)
    return PublishSettings(load_disclosure_policy(folder), benchmark_name(folder), load_localities(folder),
                           load_measures(folder), load_breakdowns(folder), load_pooled_calendar_start(folder),
                           load_quarter_breakdowns(folder), method_files)
