"""config/partners.toml: the shipped contract loads, and each way of breaking it is refused with a clear message."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from data_access.config import ConfigError, load_measures, resolve_config_dir
from linkage.contract import PERSON_FIELDS, load_partner_contract


def test_the_shipped_contract_covers_every_measure_and_the_partners_the_issue_names():
    contract = load_partner_contract()
    measures = load_measures()
    for measure in measures.measures:
        assert contract.rules_for(measure.id), measure.id
    ids = {source.id for source in contract.sources}
    assert {"police_incidents", "police_missing", "school_attendance", "early_years_reviews", "adult_mental_health",
            "substance_misuse", "council_tax_arrears", "housing_options", "exploitation_screening", "case_members",
            "case_families", "case_episodes", "case_needs"} <= ids
    for source in contract.person_sources:
        assert {"first_name", "surname", "date_of_birth"} <= set(source.fields), source.id
        assert set(source.fields) & set(PERSON_FIELDS)


def test_file_names_find_their_source_whatever_the_case_and_extension():
    contract = load_partner_contract()
    assert contract.source_for("POLICE_INCIDENTS_2026-09-30.CSV").id == "police_incidents"
    assert contract.source_for("case_members_20260930.xlsx").id == "case_members"
    assert contract.source_for("minutes_of_the_meeting.csv") is None


def _broken(tmp_path: Path, change) -> Path:
    for name in ("measures.toml", "localities.toml"):
        shutil.copy(resolve_config_dir() / name, tmp_path / name)
    text = (resolve_config_dir() / "partners.toml").read_text(encoding="utf-8")
    (tmp_path / "partners.toml").write_text(change(text), encoding="utf-8")
    load_partner_contract.cache_clear()
    return tmp_path


@pytest.mark.parametrize(("change", "message"), [
    (lambda text: text.replace('measure = "M01"', 'measure = "M99"'), "M99"),
    (lambda text: text.replace('date_column = "incident_date"', 'date_column = "forename"', 1), "date_column"),
    (lambda text: text.replace('in = ["domestic_abuse"]', 'in = ["burglary"]'), "`in`"),
    (lambda text: text.replace('file_pattern = "police_missing*"', 'file_pattern = "police_*"'), "match only"),
    (lambda text: text.replace('field = "upn"', 'field = "shoe_size"', 1), "shoe_size"),
    (lambda text: text.replace('type = "code"', 'type = "colour"', 1), "type"),
    (lambda text: text.replace("lookback_days = 183", "lookback_days = 0"), "lookback_days"),
    (lambda text: text.replace('id = "police_missing"', 'id = "police_incidents"'), "unique"),
    (lambda text: text + '\n[[source]]\nid = "x"\n', "missing"),
    (lambda text: text.replace('name = "incident_ref"', 'name = "record_id"'), "reserved"),
])
def test_a_broken_contract_is_refused_naming_the_problem(tmp_path, change, message):
    config = _broken(tmp_path, change)
    try:
        with pytest.raises(ConfigError, match=message):
            load_partner_contract(config)
    finally:
        load_partner_contract.cache_clear()


def test_every_declared_column_is_in_the_toml_and_nothing_else():
    """An independent reading of the TOML: the loaded contract neither drops nor invents columns or rules."""
    raw = tomllib.loads((resolve_config_dir() / "partners.toml").read_text(encoding="utf-8"))
    contract = load_partner_contract()
    assert [source["id"] for source in raw["source"]] == [source.id for source in contract.sources]
    for record, source in zip(raw["source"], contract.sources, strict=True):
        assert [column["name"] for column in record["column"]] == [column.name for column in source.columns]
        assert [rule["measure"] for rule in record.get("rule", [])] == [rule.measure for rule in source.rules]
