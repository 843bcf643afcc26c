"""The ingest on bad input: each file-level rejection and row-level quarantine reason, planted in hand-made files.

Every case checks the report's arithmetic, that other files still load, that nothing is lost (quarantined rows
are kept whole) and that no message quotes a value from a file. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, inspect, select

from data_access.engine import make_engine
from data_access.partner_schema import ingest_file, ingest_quarantine
from data_access.staging import read_staged
from linkage.contract import load_partner_contract
from linkage.ingest import ingest_inbox, staged_tables
from linkage.readers import read_rows
from linkage.validation import validate_rows

HEADER = "incident_ref,incident_date,incident_type,forename,surname,dob,gender,address,postcode"
GOOD = "DP1,14/03/2025,domestic_abuse,William,Hardy,02/06/1987,M,\"12 Hardy Road, Weymouth\",DT4 7QE"
SECRET = "Zebedee"  # a personal value that must never appear in a report or message


def _good(ref: str, forename: str = "William") -> str:
    return f"{ref},14/03/2025,call_out,{forename},Hardy,02/06/1987,M,\"12 Hardy Road, Weymouth\",DT4 7QE"


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _ingest(engine, inbox: Path):
    reports = ingest_inbox(engine, inbox, load_partner_contract())
    for report in reports:
        assert report.rows_read == report.rows_accepted + report.rows_quarantined
        assert SECRET not in json.dumps(report.as_dict())
    return {report.file: report for report in reports}


def _write(inbox: Path, name: str, text: str, encoding: str = "utf-8") -> None:
    inbox.mkdir(exist_ok=True)
    (inbox / name).write_bytes(text.encode(encoding))


def test_each_bad_row_is_quarantined_with_its_reason_and_kept_whole(engine, tmp_path):
    rows = [
        _good("DP1"),
        f"DP2,14/03/2025,call_out,{SECRET}",  # ragged: too few fields
        _good("DP3") + ",extra",  # ragged: too many fields
        ",,,,,,,,",  # empty row
        f",14/03/2025,call_out,{SECRET},Hardy,,M,x,DT4 7QE",  # missing required incident_ref
        f"DP5,31/02/2025,call_out,{SECRET},Hardy,,M,x,DT4 7QE",  # impossible date
        f"DP6,14/03/2025,burglary,{SECRET},Hardy,,M,x,DT4 7QE",  # not one of the codes
        f"DP7,14/03/2025,call_out,{SECRET}'); DROP TABLE ingest_file;--,Hardy,,M,x,DT4 7QE",  # injection-looking
        f"DP8,14/03/2025,call_out,{SECRET},Hardy,,M,=HYPERLINK(\"http://x\"),DT4 7QE",  # spreadsheet formula
        f"DP9,14/03/2025,call_out,{SECRET},,,M,x,DT4 7QE",  # no surname: cannot be linked
        f"DP10,14/03/2025,call_out,{SECRET},Hardy,,X,x,DT4 7QE",  # sex code unknown
        f"DP11,14/03/2025,call_out,{SECRET},Hardy,,M,{'x' * 201},DT4 7QE",  # address too long
        _good("DP12", " william ").replace("12 Hardy Road", "12 Hardy Rd'); DROP TABLE ingest_file;--"),
    ]
    _write(tmp_path / "inbox", "police_incidents_2026-09-30.csv", "\n".join([HEADER, *rows]) + "\n")
    report = _ingest(engine, tmp_path / "inbox")["police_incidents_2026-09-30.csv"]
    assert (report.status, report.rows_read, report.rows_accepted, report.rows_quarantined) == ("loaded", 13, 2, 11)
    with engine.connect() as connection:
        kept = dict(connection.execute(select(ingest_quarantine.c.row_number, ingest_quarantine.c.reason)).all())
        raw = connection.execute(select(ingest_quarantine.c.raw_row).where(ingest_quarantine.c.row_number == 8)
                                 ).scalar_one()
    assert kept == {2: "ragged_row", 3: "ragged_row", 4: "empty_row", 5: "missing_required", 6: "bad_date",
                    7: "bad_code", 8: "bad_name", 9: "formula_like_text", 10: "no_identifiers", 11: "bad_code",
                    12: "too_long"}
    assert json.loads(raw)[3] == f"{SECRET}'); DROP TABLE ingest_file;--"  # kept verbatim, nothing executed
    assert inspect(engine).has_table("ingest_file")
    staged = read_staged(engine, staged_tables(load_partner_contract())["police_incidents"])
    assert staged.get_column("forename").to_list() == ["William", " william "]  # as received
    # Injection-looking text in an address is just text: stored verbatim, and every table is still there.
    assert staged.get_column("address").to_list()[1] == "12 Hardy Rd'); DROP TABLE ingest_file;--, Weymouth"
    assert staged.get_column("row_number").to_list() == [1, 13]


@pytest.mark.parametrize("case", ["unknown_name", "missing_column", "unexpected_column", "truncated", "not_text",
                                  "wrong_format", "empty", "duplicate_header", "broken_excel"])
def test_a_bad_file_is_rejected_whole_and_the_others_still_load(engine, tmp_path, case):
    inbox = tmp_path / "inbox"
    _write(inbox, "police_incidents_2026-09-30.csv", f"{HEADER}\n{GOOD}\n")
    bad_text = {
        "unknown_name": ("burglaries_2026-09-30.csv", f"{HEADER}\n{GOOD}\n"),
        "missing_column": ("police_missing_2026-09-30.csv", f"report_ref,forename\nMP1,{SECRET}\n"),
        "unexpected_column": ("police_incidents_extra.csv",
                              f"{HEADER},{SECRET}\n{GOOD},x\n"),  # a header cell holding a personal value
        "truncated": ("police_incidents_cut.csv", f"{HEADER}\n{GOOD}\n{GOOD[:30]}"),
        "not_text": ("police_incidents_binary.csv", "x"),
        "wrong_format": ("police_incidents_2026.docx", "x"),
        "empty": ("police_incidents_empty.csv", ""),
        "duplicate_header": ("police_incidents_dup.csv", f"{HEADER},forename\n{GOOD},x\n"),
        "broken_excel": ("police_incidents_sheet.xlsx", "this is not a zip file"),
    }[case]
    name, text = bad_text
    if case == "not_text":
        (inbox / name).write_bytes(b"\x81\x8d\x8f\x90\x9d" + HEADER.encode() + b"\n")
    else:
        _write(inbox, name, text)
    reports = _ingest(engine, inbox)
    assert reports["police_incidents_2026-09-30.csv"].status == "loaded"
    rejected = reports[name]
    assert rejected.status == "rejected" and rejected.rows_read == 0 and rejected.reason
    assert SECRET not in rejected.reason
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(ingest_file)).scalar_one() == 1


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_csv_in_any_common_encoding_reads_the_same(engine, tmp_path, encoding):
    row = "DP1,14/03/2025,call_out,Siân,O’Brien-Ñúñez,02/06/1987,F,\"1 Rue Café, Swanage\",BH19 1AA"
    line_end = "\r\n" if encoding == "cp1252" else "\n"
    _write(tmp_path / "inbox", "police_incidents_2026-09-30.csv", line_end.join([HEADER, row]) + line_end, encoding)
    report = _ingest(engine, tmp_path / "inbox")["police_incidents_2026-09-30.csv"]
    assert report.rows_accepted == 1, report
    staged = read_staged(engine, staged_tables(load_partner_contract())["police_incidents"])
    assert staged.row(0, named=True)["surname"] == "O’Brien-Ñúñez"
    assert staged.row(0, named=True)["address"] == "1 Rue Café, Swanage"


def test_excel_and_parquet_files_load_like_csv(engine, tmp_path):
    frame = pl.DataFrame({"incident_ref": ["DP1", "DP2"], "incident_date": ["14/03/2025", "15/03/2025"],
                          "incident_type": ["call_out", "domestic_abuse"], "forename": ["Ann", "Bob"],
                          "surname": ["Hardy", "Hardy"], "dob": ["02/06/1987", None], "gender": ["F", "M"],
                          "address": ["1 A Road, Wareham", None], "postcode": ["BH20 1AA", "bh201aa"]})
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    frame.write_excel(inbox / "police_incidents_a.xlsx")
    frame.with_columns(pl.col("incident_date").str.to_date("%d/%m/%Y")).write_parquet(
        inbox / "police_incidents_b.parquet")
    reports = _ingest(engine, inbox)
    assert [report.rows_accepted for report in reports.values()] == [2, 2]
    staged = read_staged(engine, staged_tables(load_partner_contract())["police_incidents"])
    assert sorted(staged.get_column("incident_date").cast(pl.String).to_list()) == [
        "2025-03-14", "2025-03-14", "2025-03-15", "2025-03-15"]


def test_the_same_file_twice_and_a_rerun_add_nothing(engine, tmp_path):
    inbox = tmp_path / "inbox"
    _write(inbox, "police_incidents_2026-09-30.csv", f"{HEADER}\n{GOOD}\n{_good('DP2')}\n")
    _write(inbox, "police_incidents_copy_2026-09-30.csv", f"{HEADER}\n{GOOD}\n{_good('DP2')}\n")
    first = _ingest(engine, inbox)
    assert [report.status for report in first.values()] == ["loaded", "already_loaded"]
    second = _ingest(engine, inbox)
    assert [report.status for report in second.values()] == ["already_loaded", "already_loaded"]
    staged = read_staged(engine, staged_tables(load_partner_contract())["police_incidents"])
    assert staged.height == 2


ROW_KINDS = {
    "good": lambda n: _good(f"G{n}"),
    "ragged": lambda n: f"R{n},14/03/2025,call_out",
    "empty": lambda n: ",,,,,,,,",
    "bad_date": lambda n: f"D{n},2025-02-30,call_out,Ann,Hardy,,F,x,DT4 7QE",
    "bad_code": lambda n: f"C{n},14/03/2025,burglary,Ann,Hardy,,F,x,DT4 7QE",
    "missing_required": lambda n: f"M{n},,call_out,Ann,Hardy,,F,x,DT4 7QE",
}
EXPECTED_REASON = {"ragged": "ragged_row", "empty": "empty_row", "bad_date": "bad_date", "bad_code": "bad_code",
                   "missing_required": "missing_required"}


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(sorted(ROW_KINDS)), min_size=1, max_size=40))
def test_every_row_is_counted_once_accepted_or_quarantined_for_its_planted_reason(kinds):
    source = load_partner_contract().by_id("police_incidents")
    text = "\n".join([HEADER, *(ROW_KINDS[kind](number) for number, kind in enumerate(kinds))]) + "\n"
    rows = read_rows(Path("police_incidents_x.csv"), text.encode())
    validated = validate_rows(source, rows)
    assert validated.rows_read == len(kinds)
    assert validated.accepted.get_column("row_number").to_list() == [
        number + 1 for number, kind in enumerate(kinds) if kind == "good"]
    assert dict(zip(validated.quarantined.get_column("row_number").to_list(),
                    validated.quarantined.get_column("reason").to_list(), strict=True)) == {
        number + 1: EXPECTED_REASON[kind] for number, kind in enumerate(kinds) if kind != "good"}


def test_case_rows_that_would_break_the_linked_contract_are_quarantined(engine, tmp_path):
    episodes = ("episode_ref,family_ref,cohort,eligibility_date,attachment_date,route_into_support,team_code,"
                "lead_practitioner_key,assessment_date,plan_date,closure_date,closure_reason,comparison_status,"
                "prior_contacts\n"
                "EP1,DFM1,supported,2024-01-01,2024-01-20,school,,,,,2024-10-01,outcomes_achieved,,3\n"
                "EP2,DFM2,supported,2024-01-01,,school,,,,,,,,3\n"  # supported without attachment
                "EP3,DFM3,comparison,2024-01-01,2024-01-20,school,,,,,,,,3\n"  # comparison with attachment
                "EP4,DFM4,supported,2024-01-01,2024-01-20,school,,,,,2023-12-01,other,,3\n")  # closed before
    families = ("family_ref,locality_code,postcode_district,family_type,deprivation_decile\n"
                "DFM1,CHE,dt4,lone_parent,2\nDFM2,CHE,4DT,lone_parent,2\nDFM3,che,,two_parent,11\n")
    _write(tmp_path / "inbox", "case_episodes_2026-09-30.csv", episodes)
    _write(tmp_path / "inbox", "case_families_2026-09-30.csv", families)
    reports = _ingest(engine, tmp_path / "inbox")
    assert (reports["case_episodes_2026-09-30.csv"].rows_accepted,
            reports["case_episodes_2026-09-30.csv"].rows_quarantined) == (1, 3)
    assert (reports["case_families_2026-09-30.csv"].rows_accepted,
            reports["case_families_2026-09-30.csv"].rows_quarantined) == (1, 2)
    with engine.connect() as connection:
        reasons = sorted(connection.execute(select(ingest_quarantine.c.reason)).scalars())
    assert reasons == ["bad_format", "bad_number", "inconsistent_row", "inconsistent_row", "inconsistent_row"]
