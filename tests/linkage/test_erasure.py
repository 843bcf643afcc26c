"""Erasure and correction of one person (python -m linkage.erasure), on SQLite and PostgreSQL.

Erasure: afterwards no value of the person appears in any table, file or log (SQLite files searched byte-wise with
their -wal and -shm; every PostgreSQL table's text; every file the pipeline wrote: reports, extracts, the access
log, the publication), and neither reloading the original extract nor a re-sent copy with different bytes brings
them back. Correction: the corrected values reach the linked row and the partner records and survive a rebuild.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from pyrage import x25519
from sqlalchemy import insert, select, text

from data_access.access_log import access_event, access_log_metadata
from data_access.engine import make_engine
from data_access.lifecycle_log import read_events, read_extract_log
from data_access.partner_schema import ingest_quarantine
from data_access.schema import person_identifier
from linkage.erasure import main as erasure
from linkage.extract.command import main as extract
from linkage.run_cli import main as linkage_run
from tests.linkage import erasure_world as ew

SECRET = "5e" * 32


@pytest.fixture
def pipeline(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The planted world sent as partner files, loaded and linked; extracts made; the access log naming them."""
    monkeypatch.setenv("FAMILIES_ERASURE_KEY", SECRET)
    sqlite = db_url.startswith("sqlite")
    folder = tmp_path / "access-log"
    if sqlite:
        monkeypatch.setenv("FAMILIES_ACCESS_LOG_DIR", str(folder))
    world, person_id = ew.planted_world()
    inbox = tmp_path / "inbox"
    truth_csv = ew.write_inbox(world, inbox)
    linker = ew.truth_then_exact_linker(truth_csv)
    out = tmp_path / "out"
    assert linkage_run(["--inbox", str(inbox), "--db", db_url, "--report", str(out / "report.json"),
                        "--synthetic"], link_people=linker) == 0
    identity = x25519.Identity.generate()
    assert extract(["national-impact-study", "--db", db_url, "--out", str(out / "outbox"),
                    "--recipient", str(identity.to_public())]) == 0
    assert extract(["national-impact-study", "--db", db_url, "--out", str(out / "checks"), "--no-encryption"]) == 0
    nhs = world["person_identifier"].filter(pl.col("person_id") == person_id).item(0, "nhs_number")
    if sqlite:
        folder.mkdir()
        (folder / "access.jsonl").write_text(ew.access_log_lines(nhs))
    else:
        engine = make_engine(db_url)
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE SCHEMA access_log")
            access_log_metadata.create_all(connection)
            entries = [json.loads(line) for line in ew.access_log_lines(nhs).splitlines()]
            connection.execute(insert(access_event), [  # a list: no key is fetched first (an identity column)
                {**entry, "detail": json.dumps(entry["detail"])} for entry in entries])
        engine.dispose()
    values = ew.values_of_the_person(inbox, truth_csv, person_id) | ew.planted_values()
    return {"url": db_url, "inbox": inbox, "truth": truth_csv, "linker": linker, "person_id": person_id,
            "values": values, "root": tmp_path, "out": out, "sqlite": sqlite, "nhs": nhs}


def _found_anywhere(pipeline: dict, extra_inboxes: tuple[Path, ...] = ()) -> dict[str, list[str]]:
    files = ew.files_written(pipeline["root"], [pipeline["inbox"], *extra_inboxes])
    hits = ew.search_files(files, pipeline["values"])
    if not pipeline["sqlite"]:
        for value, tables in ew.search_postgresql(pipeline["url"], pipeline["values"]).items():
            hits.setdefault(value, []).extend(tables)
    return hits


def _erase(pipeline: dict, monkeypatch, **request) -> int:
    monkeypatch.setenv("ERASE_PERSON", json.dumps(request))
    return erasure(["erase", "--db", pipeline["url"], "--person-env", "ERASE_PERSON", "--operator", "dpo.team"])


@pytest.mark.slow  # about 12 s: two linkage runs, two extracts, a republish and three searches
def test_erasure_leaves_no_value_anywhere_and_reloading_does_not_bring_them_back(pipeline, monkeypatch, capsys,
                                                                                  tmp_path: Path):
    values = pipeline["values"]
    assert {"zephyrine", "quillfeather"} <= values
    before = _found_anywhere(pipeline)
    assert "zephyrine" in before and "quillfeather" in before, "guard: the search finds them before"
    if pipeline["sqlite"]:
        assert any(name.endswith(".db") for name in before["zephyrine"])
        assert "access.jsonl" in before[pipeline["nhs"]]
    assert "people.csv" in before["quillfeather"], "guard: the plain extract holds them"
    capsys.readouterr()

    people_before = _people(pipeline["url"])
    # found by NHS number alone (as written with spaces), given in the environment, never on the command line
    nhs = pipeline["nhs"]
    assert _erase(pipeline, monkeypatch, nhs_number=f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}") == 0
    printed = capsys.readouterr()
    assert "erased: 1 linked person(s)" in printed.out
    assert "extracts that included them: 1, 2" in printed.out
    for value in values:
        assert value not in (printed.out + printed.err).lower()

    assert _found_anywhere(pipeline) == {}, "no value of the person in any table, file or log"
    engine = make_engine(pipeline["url"])
    try:
        extracts = read_extract_log(engine)
        events = read_events(engine)
    finally:
        engine.dispose()
    assert _people(pipeline["url"]) == people_before - 1
    assert extracts.get_column("output_removed_at").null_count() == 0, "both extracts' copies were deleted"
    assert not any((pipeline["out"] / "outbox").iterdir()) and not any((pipeline["out"] / "checks").iterdir())
    detail = json.loads(events.filter(pl.col("event") == "erasure").item(0, "detail"))
    assert detail["people"] == 1 and detail["records"] > 0 and detail["access_log_entries"] == 1
    assert detail["extract_copies_deleted"] == 2 and detail["register_keys_added"] > 0
    assert detail["republished"] == "yes"
    if pipeline["sqlite"]:
        remaining = (pipeline["root"] / "access-log" / "access.jsonl").read_text()
        assert "manager@council.example" in remaining and "analyst@council.example" not in remaining

    # the original extract again (the same bytes): already loaded, nothing comes back
    capsys.readouterr()
    assert linkage_run(["--inbox", str(pipeline["inbox"]), "--db", pipeline["url"]],
                       link_people=pipeline["linker"]) == 0
    assert "already_loaded" in capsys.readouterr().out
    assert _found_anywhere(pipeline) == {}

    # a re-sent copy with different bytes (rows in another order, a later date in the name)
    resent = tmp_path / "resent"
    resent.mkdir()
    source_file, rows_of_the_person = _resend_a_file_holding_them(pipeline, resent)
    report = tmp_path / "resent-report.json"
    assert linkage_run(["--inbox", str(resent), "--db", pipeline["url"], "--report", str(report)],
                       link_people=pipeline["linker"]) == 3
    (line,) = json.loads(report.read_text())["files"]
    assert line["status"] == "loaded" and line["rows_quarantined"] == rows_of_the_person
    engine = make_engine(pipeline["url"])
    try:
        with engine.connect() as connection:
            erased_rows = connection.execute(select(ingest_quarantine.c.raw_row).where(
                ingest_quarantine.c.reason == "erased")).scalars().all()
    finally:
        engine.dispose()
    assert len(erased_rows) == rows_of_the_person and set(erased_rows) == {None}
    assert _found_anywhere(pipeline, (resent,)) == {}, f"{source_file} brought nothing of them back"


def _people(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return len(connection.execute(select(person_identifier.c.person_id)).scalars().all())
    finally:
        engine.dispose()


def _resend_a_file_holding_them(pipeline: dict, folder: Path) -> tuple[str, int]:
    """A CSV file of the inbox that holds the person's records, rewritten with its rows reversed, under a new date."""
    truth = pl.read_csv(pipeline["truth"], infer_schema=False)
    theirs = truth.filter(pl.col("person_key") == f"P{pipeline['person_id']}")
    for path in sorted(pipeline["inbox"].glob("*.csv")):
        source, frame = ew._file_rows(path)
        count = frame.join(theirs, on="record_id", how="semi").height
        if source.kind != "person" or count == 0:
            continue
        raw = path.read_bytes()
        encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else ("utf-8" if _is_utf8(raw) else "cp1252")
        lines = raw.decode(encoding).splitlines(keepends=True)
        reordered = (lines[0] + "".join(reversed(lines[1:]))).encode(encoding)
        assert reordered != raw
        (folder / path.name.replace("2026-09-30", "2026-10-31")).write_bytes(reordered)
        return source.id, count
    raise AssertionError("guard: some CSV file holds the person's records")


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.slow  # about 10-20 s per database: ingest, link and republish twice
def test_without_the_council_secret_the_ingest_refuses_rather_than_let_them_back(pipeline, monkeypatch, capsys,
                                                                                  tmp_path: Path):
    assert _erase(pipeline, monkeypatch, given_name="ZEPHYRINE", family_name="Quill-feather",
                  date_of_birth="2010-02-17") == 0
    capsys.readouterr()
    resent = tmp_path / "resent"
    resent.mkdir()
    _resend_a_file_holding_them(pipeline, resent)
    monkeypatch.delenv("FAMILIES_ERASURE_KEY")
    assert linkage_run(["--inbox", str(resent), "--db", pipeline["url"]], link_people=pipeline["linker"]) == 1
    assert "FAMILIES_ERASURE_KEY" in capsys.readouterr().err
    monkeypatch.setenv("FAMILIES_ERASURE_KEY", "6f" * 32)  # another secret
    assert linkage_run(["--inbox", str(resent), "--db", pipeline["url"]], link_people=pipeline["linker"]) == 1
    assert "not the one the register was made with" in capsys.readouterr().err
    assert _found_anywhere(pipeline, (resent,)) == {}


def test_ambiguous_or_thin_requests_change_nothing(pipeline, monkeypatch, capsys):
    assert _erase(pipeline, monkeypatch, family_name="Quillfeather") == 1  # too few identifiers
    assert "could find someone else" in capsys.readouterr().err
    assert _erase(pipeline, monkeypatch, nhs_number=pipeline["nhs"], shoe_size="5") == 1
    err = capsys.readouterr().err
    assert "shoe_size" in err and pipeline["nhs"] not in err
    assert "zephyrine" in _found_anywhere(pipeline)


def test_correction_reaches_the_linked_row_and_the_partner_records_and_survives_a_rebuild(pipeline, monkeypatch,
                                                                                          capsys, tmp_path: Path):
    person_file = tmp_path / "correction.toml"
    person_file.write_text(f'nhs_number = "{pipeline["nhs"]}"\n\n[correct]\ndate_of_birth = 2010-03-19\n'
                           'family_name = "Quill-Fether"\n')
    assert erasure(["correct", "--db", pipeline["url"], "--person-file", str(person_file), "--no-publish"]) == 0
    printed = capsys.readouterr().out
    assert "corrected date_of_birth, family_name" in printed and "Fether" not in printed
    old = {"quillfeather", "2010-02-17", "17/02/2010"}

    def stored() -> dict:
        engine = make_engine(pipeline["url"])
        try:
            with engine.connect() as connection:
                return dict(connection.execute(select(person_identifier).where(
                    person_identifier.c.nhs_number == pipeline["nhs"])).mappings().one())
        finally:
            engine.dispose()

    row = stored()
    assert row["family_name"] == "Quill-Fether" and str(row["date_of_birth"]) == "2010-03-19"
    def in_the_database(values: set[str]) -> dict:
        if pipeline["sqlite"]:
            return ew.search_files(ew.database_files(pipeline["url"]), values)
        return ew.search_postgresql(pipeline["url"], values)

    assert in_the_database(old) == {}, "the old values are gone from the database"
    assert "quill-fether" in in_the_database({"quill-fether"})
    # a rebuild from the partner records (forced by --as-of) keeps the corrected values
    assert linkage_run(["--inbox", str(pipeline["inbox"]), "--db", pipeline["url"], "--as-of", "2026-09-30"],
                       link_people=pipeline["linker"]) == 0
    row = stored()
    assert row["family_name"] == "Quill-Fether" and str(row["date_of_birth"]) == "2010-03-19"
    engine = make_engine(pipeline["url"])
    try:
        detail = json.loads(read_events(engine).filter(pl.col("event") == "correction").item(0, "detail"))
        with engine.connect() as connection:
            logged = "\n".join(connection.execute(text("SELECT detail FROM lifecycle_log")).scalars())
    finally:
        engine.dispose()
    assert detail["fields"] == ["date_of_birth", "family_name"] and detail["records"] > 0
    assert "Fether" not in logged and "2010-03-19" not in logged


def test_python_dash_m_runs_and_needs_the_person_outside_the_command_line(sqlite_url: str):
    import os
    import subprocess
    import sys

    environment = {key: value for key, value in os.environ.items() if not key.startswith("FAMILIES_")}
    root = Path(__file__).resolve().parents[2]
    for misplaced in (["--nhs-number", "9434765919"], ["--person-env", "X", "--nhs-number", "9434765919"]):
        result = subprocess.run([sys.executable, "-m", "linkage.erasure", "erase", "--db", sqlite_url, *misplaced],
                                cwd=root, env=environment, capture_output=True, text=True, timeout=120)
        assert result.returncode == 2 and "9434765919" not in result.stderr, "argparse must not echo it"
    result = subprocess.run([sys.executable, "-m", "linkage.erasure", "erase", "--db", sqlite_url, "--person-env",
                             "NOBODY_SET_THIS"], cwd=root, env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "NOBODY_SET_THIS is not set" in result.stderr


def test_their_quarantined_rows_go_a_neighbours_stay(pipeline, monkeypatch, capsys):
    from data_access.partner_schema import ingest_file

    engine = make_engine(pipeline["url"])
    rows = [  # quarantined police_incidents rows: columns as the contract declares them, or one ragged line
        (90001, "bad_date", ["DP/9", "not a date", "call_out", "ZEPHYRINE", "Quill-Feather", "17/02/2010", "F",
                             "1 Mill Lane", "DT4 7QE"]),
        (90002, "ragged_row", ["DP/10,01/01/2020,call_out,Zephyrine,Quillfeather,17/02/2010,F,,,,"]),
        (90003, "ragged_row", ["DP/11,01/01/2020,call_out,Ann,Other,01/01/1990,F,1 Mill Lane,DT4 7QE,,"]),
    ]
    try:
        with engine.begin() as connection:
            file_id = connection.execute(select(ingest_file.c.file_id).where(
                ingest_file.c.source == "police_incidents")).scalars().first()
            connection.execute(insert(ingest_quarantine), [
                {"file_id": file_id, "row_number": number, "reason": reason, "column_name": None,
                 "raw_row": json.dumps(raw)} for number, reason, raw in rows])
        monkeypatch.setenv("ERASE_PERSON", json.dumps({"nhs_number": pipeline["nhs"]}))
        assert erasure(["erase", "--db", pipeline["url"], "--person-env", "ERASE_PERSON", "--no-publish"]) == 0
        assert "2 quarantined row(s)" in capsys.readouterr().out
        with engine.connect() as connection:
            left = connection.execute(select(ingest_quarantine.c.row_number).where(
                ingest_quarantine.c.row_number >= 90000)).scalars().all()
    finally:
        engine.dispose()
    assert left == [90003]


def test_a_person_the_linker_split_is_found_whole(pipeline, monkeypatch, capsys):
    """The NHS number finds one half; that half's name and date of birth find the other (which has no NHS number):
    two people, refused until --all-matches, then both go."""
    engine = make_engine(pipeline["url"])
    try:
        with engine.begin() as connection:
            half = dict(connection.execute(select(person_identifier).where(
                person_identifier.c.nhs_number == pipeline["nhs"])).mappings().one())
            other_id = connection.execute(select(person_identifier.c.person_id).order_by(
                person_identifier.c.person_id.desc())).scalars().first() + 1
            connection.execute(insert(person_identifier), [{**half, "person_id": other_id, "nhs_number": None,
                                                             "ni_number": None, "upn": None}])
        before = _people(pipeline["url"])
        monkeypatch.setenv("ERASE_PERSON", json.dumps({"nhs_number": pipeline["nhs"]}))
        assert erasure(["erase", "--db", pipeline["url"], "--person-env", "ERASE_PERSON", "--no-publish"]) == 4
        assert "match 2 linked people" in capsys.readouterr().err
        assert _people(pipeline["url"]) == before
        assert erasure(["erase", "--db", pipeline["url"], "--person-env", "ERASE_PERSON", "--no-publish",
                        "--all-matches"]) == 0
        assert "erased: 2 linked person(s)" in capsys.readouterr().out
        assert _people(pipeline["url"]) == before - 2
    finally:
        engine.dispose()
