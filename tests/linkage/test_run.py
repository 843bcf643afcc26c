"""`python -m linkage run` end to end with the truth stand-in linker: report, exit codes, reruns, stable ids.

The command is run in-process through linkage.run_cli.main (the same code `python -m linkage run` runs) with the
stand-in injected; tests/linkage/test_kill.py runs it as a separate process.
"""

from __future__ import annotations

import json

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_access.engine import make_engine
from data_access.staging import latest_model_json, save_decisions
from linkage.ingest import FileReport
from linkage.run import RunReport
from linkage.run_cli import main
from tests.linkage.conftest import read_linked
from tests.linkage.standin_linkers import read_truth, truth_linker

CASE_SYSTEM = ["case_"]


def _run(args, truth_csv, calls=None) -> int:
    return main([str(arg) for arg in args], link_people=truth_linker(truth_csv, calls))


def test_report_exit_codes_and_a_rerun_that_changes_nothing(db_url, messy_extracts, tmp_path, capsys):
    inbox = messy_extracts.inbox_copy(tmp_path / "inbox")
    (inbox / "notes_for_the_analyst.txt").write_text("not a partner file\n")
    report_path = tmp_path / "report.json"
    calls: list = []
    code = _run(["--inbox", inbox, "--db", db_url, "--report", report_path, "--synthetic"],
                messy_extracts.truth_csv, calls)
    assert code == 3  # one file rejected
    report = json.loads(report_path.read_text())
    lines = {line["file"]: line for line in report["files"]}
    assert lines["notes_for_the_analyst.txt"]["status"] == "rejected"
    assert lines["notes_for_the_analyst.txt"]["reason"].startswith("unknown_source")
    assert all(line["rows_read"] == line["rows_accepted"] + line["rows_quarantined"] for line in lines.values())
    assert sum(line["status"] == "loaded" for line in lines.values()) == 15
    assert set(report["files"][0]) == {"file", "source", "status", "rows_read", "rows_accepted", "rows_quarantined",
                                       "reason"}
    assert report["linked_tables"]["status"] == "loaded"

    engine = make_engine(db_url)
    try:
        linked = read_linked(engine)
        truth = read_truth(messy_extracts.truth_csv)
        person_rows = truth.filter(pl.col("person_key") != "")
        assert linked["record_link"].height == person_rows.height  # every accepted person record, once
        assert linked["record_link"].get_column("record_id").sort().equals(
            person_rows.get_column("record_id").sort())
        assert latest_model_json(engine) == '{"model": "truth stand-in"}'
        assert dict(linked["dataset_info"].iter_rows())["is_synthetic"] == "true"
    finally:
        engine.dispose()

    # No personal value reaches the console: check every name and NHS number of the truth's world.
    printed = capsys.readouterr()
    world = messy_extracts.world["person_identifier"]
    for value in world.get_column("family_name").unique().to_list()[:200] + world.get_column("nhs_number").drop_nulls(
            ).to_list()[:200]:
        assert value not in printed.out and value not in printed.err

    (inbox / "notes_for_the_analyst.txt").unlink()
    assert _run(["--inbox", inbox, "--db", db_url, "--report", report_path], messy_extracts.truth_csv, calls) == 0
    again = json.loads(report_path.read_text())
    assert {line["status"] for line in again["files"]} == {"already_loaded"}
    assert again["linked_tables"]["status"] == "up_to_date"
    assert len(calls) == 1  # nothing new: the linker was not even asked
    engine = make_engine(db_url)
    try:
        after = read_linked(engine)
    finally:
        engine.dispose()
    for name, frame in linked.items():
        if name != "dataset_info":
            assert after[name].sort(after[name].columns).equals(frame.sort(frame.columns)), name


def test_new_files_keep_everyones_person_family_and_episode_ids(sqlite_url, messy_extracts, tmp_path):
    """First the case system's files, then the partners' a month later: ids given in the first run stay."""
    inbox = messy_extracts.inbox_copy(tmp_path / "inbox", CASE_SYSTEM)
    stored_decisions = pl.DataFrame({"record_id_l": ["a"], "record_id_r": ["b"], "is_match": [False]})
    calls: list = []
    assert _run(["--inbox", inbox, "--db", sqlite_url], messy_extracts.truth_csv, calls) == 0
    engine = make_engine(sqlite_url)
    try:
        first = read_linked(engine)
        save_decisions(engine, stored_decisions)
    finally:
        engine.dispose()
    messy_extracts.inbox_copy(inbox)
    assert _run(["--inbox", inbox, "--db", sqlite_url], messy_extracts.truth_csv, calls) == 0
    engine = make_engine(sqlite_url)
    try:
        second = read_linked(engine)
    finally:
        engine.dispose()
    assert calls[1]["model_json"] == '{"model": "truth stand-in"}'  # the stored model goes back to the linker
    engine = make_engine(sqlite_url)
    try:
        save_decisions(engine, pl.DataFrame({"record_id_l": ["a"], "record_id_r": ["c"], "is_match": [True]}))
    finally:
        engine.dispose()
    assert _run(["--inbox", inbox, "--db", sqlite_url], messy_extracts.truth_csv, calls) == 0
    assert len(calls) == 3 and calls[2]["decisions"].height == 2  # new decisions: linked again, with them
    assert calls[1]["decisions"].select("record_id_l", "record_id_r", "is_match").equals(stored_decisions)
    kept = first["record_link"].join(second["record_link"], on="record_id", suffix="_second")
    assert kept.height == first["record_link"].height
    assert kept.filter(pl.col("person_id") != pl.col("person_id_second")).height == 0
    assert second["record_link"].height > first["record_link"].height
    assert first["family"].get_column("family_id").equals(second["family"].get_column("family_id"))
    assert first["programme_episode"].select("episode_id", "family_id").sort("episode_id").equals(
        second["programme_episode"].select("episode_id", "family_id").sort("episode_id"))


def test_a_failing_linker_fails_the_run_and_leaves_the_linked_tables_as_they_were(sqlite_url, clean_extracts,
                                                                                  tmp_path, capsys):
    inbox = clean_extracts.inbox_copy(tmp_path / "inbox", CASE_SYSTEM)
    assert _run(["--inbox", inbox, "--db", sqlite_url], clean_extracts.truth_csv) == 0
    engine = make_engine(sqlite_url)
    before = read_linked(engine)
    engine.dispose()

    def broken_linker(records, **_):
        raise ValueError(f"cannot link {records.get_column('surname').drop_nulls()[0]}")  # quotes a surname

    clean_extracts.inbox_copy(inbox)
    code = main(["--inbox", str(inbox), "--db", sqlite_url], link_people=broken_linker)
    assert code == 1
    err = capsys.readouterr().err
    assert "ValueError" in err and "cannot link" not in err  # the kind of failure, never its (personal) message
    engine = make_engine(sqlite_url)
    after = read_linked(engine)
    engine.dispose()
    for name, frame in before.items():
        assert after[name].equals(frame), name


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["loaded", "rejected", "already_loaded"]),
                          st.integers(0, 50), st.integers(0, 50)), max_size=8))
def test_exit_code_and_report_arithmetic(lines):
    files = [FileReport(f"f{index}", "s", status, accepted + quarantined if status == "loaded" else 0,
                        accepted if status == "loaded" else 0, quarantined if status == "loaded" else 0,
                        "why" if status == "rejected" else None)
             for index, (status, accepted, quarantined) in enumerate(lines)]
    report = RunReport(files)
    for line in report.as_json()["files"]:
        assert line["rows_read"] == line["rows_accepted"] + line["rows_quarantined"]
    set_aside = any(status == "rejected" or (status == "loaded" and quarantined) for status, _, quarantined in lines)
    assert report.exit_code == (3 if set_aside else 0)


@pytest.mark.parametrize("bad", ["missing_inbox", "bad_url"])
def test_failures_exit_1(tmp_path, bad, messy_extracts):
    args = ["--inbox", tmp_path / "nowhere", "--db", f"sqlite:///{tmp_path / 'x.db'}"] if bad == "missing_inbox" \
        else ["--inbox", tmp_path, "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none"]
    assert _run(args, messy_extracts.truth_csv) == 1
