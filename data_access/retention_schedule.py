"""config/retention.toml as typed, validated objects, checked against the privacy notice (config/privacy.toml).

The schedule and the notice must say the same thing: every record type names the notice's row for it and keeps
records for exactly the period that row states; every row of the notice is a record type or a `not_held` entry.
A council that edits one file and not the other gets a ConfigError naming the row, not a silent disagreement.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from data_access.config import ConfigError, load_privacy_notice, read_config_file

UNITS = ("day", "month", "year")
_PERIOD = re.compile(r"^(?:up to )?(\d+) (day|month|year)s?\b", re.IGNORECASE)
_ID = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
_TABLE = re.compile(r"^(?:[a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*$")
_DATE_COLUMN = re.compile(r"^(?:[a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Period:
    count: int
    unit: str  # day, month or year

    def __str__(self) -> str:
        return f"{self.count} {self.unit}{'' if self.count == 1 else 's'}"

    def before(self, day: date) -> date:
        """`day` minus this period (the 29th-31st clamp to the month's last day: 2024-02-29 - 1 year = 2023-02-28)."""
        if self.unit == "day":
            return date.fromordinal(day.toordinal() - self.count)
        months = self.count * (12 if self.unit == "year" else 1)
        month_index = day.year * 12 + (day.month - 1) - months
        year, month = divmod(month_index, 12)
        last_day = calendar.monthrange(year, month + 1)[1]
        return date(year, month + 1, min(day.day, last_day))

    def longest_days(self) -> int:
        """The most days this period can span (12 months: 366, in a leap year)."""
        per_unit = {"day": 1, "month": 31, "year": 366}[self.unit]
        if self.unit == "month" and self.count % 12 == 0:
            return 366 * self.count // 12
        return per_unit * self.count


def parse_period(text: str, where: str) -> Period:
    """"7 years", "12 months", "Up to 25 years", "6 years from the run": the leading count and unit."""
    found = _PERIOD.match(str(text).strip())
    if not found or int(found.group(1)) < 1:
        raise ConfigError(f"{where}: {text!r} is not a period such as '7 years', '12 months' or '30 days'.")
    return Period(int(found.group(1)), found.group(2).lower())


@dataclass(frozen=True)
class RecordType:
    id: str
    label: str
    table: str  # "name" or "schema.name"
    date_column: str  # "column", "other_table.column" or a computed date's name
    keep: Period
    notice: str

    @property
    def schema(self) -> str | None:
        return self.table.split(".", 1)[0] if "." in self.table else None

    @property
    def table_name(self) -> str:
        return self.table.rsplit(".", 1)[-1]

    def cutoff(self, as_of: date) -> date:
        """Rows dated before this day are past their date on `as_of`."""
        return self.keep.before(as_of)


@dataclass(frozen=True)
class RetentionSchedule:
    record_types: tuple[RecordType, ...]
    not_held: dict[str, str]  # notice row -> why this system holds none of those records

    def by_id(self, record_id: str) -> RecordType:
        for record in self.record_types:
            if record.id == record_id:
                return record
        raise KeyError(record_id)


@cache
def load_retention_schedule(config_dir: Path | None = None) -> RetentionSchedule:
    """config/retention.toml, validated and checked against config/privacy.toml's retention rows."""
    raw = read_config_file("retention.toml", config_dir)
    unknown = sorted(set(raw) - {"record_type", "not_held"})
    if unknown:
        raise ConfigError(f"retention.toml: unknown field(s) {', '.join(unknown)}.")
    records = tuple(_record_type(entry, number) for number, entry in enumerate(raw.get("record_type", []), start=1))
    if not records:
        raise ConfigError("retention.toml defines no [[record_type]].")
    ids = [record.id for record in records]
    if len(set(ids)) != len(ids):
        raise ConfigError("retention.toml: record type ids must be unique.")
    not_held: dict[str, str] = {}
    for number, entry in enumerate(raw.get("not_held", []), start=1):
        where = f"retention.toml not_held #{number}"
        if set(entry) != {"notice", "reason"} or not all(isinstance(entry[key], str) and entry[key].strip()
                                                         for key in ("notice", "reason")):
            raise ConfigError(f"{where}: give exactly `notice` and `reason`, both text.")
        not_held[entry["notice"]] = entry["reason"]
    schedule = RetentionSchedule(records, not_held)
    check_against_notice(schedule, load_privacy_notice(config_dir)["retention"])
    return schedule


def _record_type(entry: dict, number: int) -> RecordType:
    where = f"retention.toml record_type #{number}"
    fields = ("id", "label", "table", "date_column", "keep", "notice")
    unknown = sorted(set(entry) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(unknown)}.")
    missing = [name for name in fields if not isinstance(entry.get(name), str) or not entry[name].strip()]
    if missing:
        raise ConfigError(f"{where}: missing or empty {', '.join(missing)}.")
    if not _ID.match(entry["id"]):
        raise ConfigError(f"{where}: id must be lower case letters, digits and _.")
    where = f"retention.toml record_type {entry['id']}"
    if not _TABLE.match(entry["table"]):
        raise ConfigError(f"{where}: table must be a table name, or schema.table.")
    if not _DATE_COLUMN.match(entry["date_column"]):
        raise ConfigError(f"{where}: date_column must be a column name, or other_table.column.")
    return RecordType(id=entry["id"], label=entry["label"], table=entry["table"], date_column=entry["date_column"],
                      keep=parse_period(entry["keep"], f"{where} keep"), notice=entry["notice"])


def check_against_notice(schedule: RetentionSchedule, notice_rows: list[dict]) -> None:
    """Every record type matches a notice row with the same period; every notice row is accounted for."""
    periods = {}
    for number, row in enumerate(notice_rows, start=1):
        if not isinstance(row, dict) or not {"record", "period"} <= set(row):
            raise ConfigError(f"privacy.toml retention #{number}: needs `record` and `period`.")
        periods[row["record"]] = row["period"]
    problems = []
    for record in schedule.record_types:
        if record.notice not in periods:
            problems.append(f"record type {record.id} names the notice row {record.notice!r}, which privacy.toml "
                            "does not have")
            continue
        stated = parse_period(periods[record.notice], f"privacy.toml retention {record.notice!r}")
        if stated != record.keep:
            problems.append(f"record type {record.id} keeps records {record.keep}, but the privacy notice says "
                            f"{periods[record.notice]!r}")
    cited = {record.notice for record in schedule.record_types}
    for notice in sorted(set(schedule.not_held) - set(periods)):
        problems.append(f"not_held names the notice row {notice!r}, which privacy.toml does not have")
    for notice in periods:
        if notice not in cited and notice not in schedule.not_held:
            problems.append(f"the privacy notice's row {notice!r} is neither a record type nor not_held")
        if notice in cited and notice in schedule.not_held:
            problems.append(f"the privacy notice's row {notice!r} is both a record type and not_held")
    if problems:
        raise ConfigError("retention.toml and privacy.toml disagree: " + "; ".join(problems) + ".")
