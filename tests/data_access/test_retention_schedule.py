"""config/retention.toml: the shipped schedule loads and agrees with the privacy notice (config/privacy.toml);
any disagreement is refused with a message naming the row; period arithmetic at month ends and leap days."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from data_access.access_log import keep_days
from data_access.config import ConfigError, load_privacy_notice, resolve_config_dir
from data_access.retention_schedule import Period, load_retention_schedule, parse_period

RECORD_TYPES_THE_ISSUE_NAMES = {"partner_records", "quarantine", "linked_families", "review_decisions", "access_log",
                                "extract_logs"}


def test_the_shipped_schedule_agrees_with_the_privacy_notice():
    schedule = load_retention_schedule()
    assert {record.id for record in schedule.record_types} >= RECORD_TYPES_THE_ISSUE_NAMES
    notice = {row["record"]: row["period"] for row in load_privacy_notice()["retention"]}
    for record in schedule.record_types:
        assert parse_period(notice[record.notice], record.id) == record.keep
    # Dorset's notice: Child in Need up to 25 years, Child Protection up to 100, children in care 150: not held here.
    assert set(schedule.not_held) == {"Child in Need records", "Child Protection records",
                                      "Records of children in care"}
    assert parse_period(notice["Child in Need records"], "") == Period(25, "year")
    assert parse_period(notice["Child Protection records"], "") == Period(100, "year")
    assert parse_period(notice["Records of children in care"], "") == Period(150, "year")
    assert set(notice) == {record.notice for record in schedule.record_types} | set(schedule.not_held)


def test_the_access_log_prune_keeps_what_the_schedule_says():
    access = load_retention_schedule().by_id("access_log")
    assert access.keep == Period(12, "month")
    assert keep_days() == access.keep.longest_days() == 366  # [access_log] keep_days, used by access_log prune


def _copy_config(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(resolve_config_dir(), folder)
    return folder


@pytest.mark.parametrize(("file", "old", "new", "message"), [
    ("retention.toml", 'keep = "1 year"', 'keep = "2 years"', "keeps records 2 years, but the privacy notice says"),
    ("privacy.toml", 'period = "6 years from the extract"', 'period = "5 years from the extract"',
     "but the privacy notice says '5 years"),
    ("retention.toml", 'notice = "Log of the extracts shared with the national evaluation"',
     'notice = "A row the notice does not have"', "which privacy.toml does not have"),
    ("privacy.toml", 'record = "Records of children in care"', 'record = "Records of care leavers"',
     "'Records of care leavers' is neither a record type nor not_held"),
    ("retention.toml", 'keep = "7 years"', 'keep = "seven years"', "is not a period"),
    ("retention.toml", 'date_column = "decided_at"', 'date_column = "decided_at; DROP TABLE family"',
     "date_column must be a column name"),
])
def test_a_disagreement_is_refused_naming_the_row(tmp_path: Path, file: str, old: str, new: str, message: str):
    folder = _copy_config(tmp_path)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text, "guard: the edit applies"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_retention_schedule(folder)
    assert message in str(refused.value)


@pytest.mark.parametrize(("period", "day", "expected"), [
    (Period(7, "year"), date(2026, 10, 1), date(2019, 10, 1)),
    (Period(1, "year"), date(2024, 2, 29), date(2023, 2, 28)),
    (Period(12, "month"), date(2025, 3, 31), date(2024, 3, 31)),
    (Period(1, "month"), date(2025, 3, 31), date(2025, 2, 28)),
    (Period(30, "day"), date(2025, 3, 1), date(2025, 1, 30)),
    (Period(6, "year"), date(2024, 6, 1), date(2018, 6, 1)),
])
def test_period_arithmetic(period: Period, day: date, expected: date):
    assert period.before(day) == expected


def test_parse_period_reads_the_notice_s_wording():
    assert parse_period("Up to 25 years", "x") == Period(25, "year")
    assert parse_period("7 years from the date of the extract they came in", "x") == Period(7, "year")
    assert parse_period("12 months", "x") == Period(12, "month")
    assert parse_period("1 day", "x") == Period(1, "day")
    for bad in ("forever", "0 years", "years 7", ""):
        with pytest.raises(ConfigError):
            parse_period(bad, "x")


def test_docs_list_the_shipped_schedule():
    import re

    docs = (Path(__file__).resolve().parents[2] / "docs" / "data-lifecycle.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z_]+)` \| (\d+ \w+) \| `([a-z_.]+)`", docs, flags=re.MULTILINE)
    expected = [(record.id, str(record.keep), record.date_column if "." in record.date_column
                 else f"{record.table}.{record.date_column}") for record in load_retention_schedule().record_types]
    assert rows == expected
