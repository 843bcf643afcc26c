"""`python -m linkage review`: the queue exported side by side, decisions imported, checked and kept.

The person linker is the truth stand-in with a chosen review queue (two pairs of one person's records, one pair of
two people), so every expected value comes from the planted truth and the staged rows, not from the code under test.
"""

from __future__ import annotations

import stat

import polars as pl
import pytest

from data_access.config import load_localities, load_measures
from data_access.engine import make_engine
from data_access.staging import read_decisions, read_staged
from linkage.__main__ import main
from linkage.contract import PERSON_FIELDS, load_partner_contract
from linkage.ingest import staged_tables
from linkage.person_records import person_records
from linkage.review import neutralise_formulas
from linkage.run import run
from tests.linkage.standin_linkers import read_truth, truth_linker


@pytest.fixture
def reviewed(messy_extracts, tmp_path):
    """A database after one run whose review queue holds three chosen pairs; the linker's calls are recorded."""
    truth = read_truth(messy_extracts.truth_csv).filter(pl.col("person_key") != "")
    people = (truth.filter(pl.col("source") != "case_families").group_by("person_key").agg(pl.col("record_id").sort())
              .filter(pl.col("record_id").list.len() >= 3).sort("person_key").head(3))
    same = [ids[:2] for ids in people.get_column("record_id").to_list()[:2]]
    different = [people.item(0, "record_id")[2], people.item(2, "record_id")[0]]
    pairs = pl.DataFrame([(*sorted(pair), probability) for pair, probability in
                          ((same[0], 0.93), (same[1], 0.81), (different, 0.62))],
                         schema={"record_id_l": pl.String, "record_id_r": pl.String, "match_probability": pl.Float64},
                         orient="row")
    calls: list = []
    url = f"sqlite:///{tmp_path / 'linked.db'}"
    inbox = messy_extracts.inbox_copy(tmp_path / "inbox")
    linker = truth_linker(messy_extracts.truth_csv, calls, review_pairs=pairs)
    engine = make_engine(url)
    run(engine, inbox, load_partner_contract(), linker,
        measures=load_measures(), localities=load_localities(), is_synthetic=True)
    yield {"url": url, "engine": engine, "pairs": pairs, "calls": calls, "inbox": inbox, "linker": linker,
           "truth": truth}
    engine.dispose()


def export(reviewed, tmp_path, capsys) -> pl.DataFrame:
    path = tmp_path / "review.csv"
    assert main(["review", "--db", reviewed["url"], "--export", str(path)]) == 0
    assert "3 pair(s)" in capsys.readouterr().out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    return pl.read_csv(path, infer_schema=False)


def test_export_puts_each_pair_side_by_side(reviewed, tmp_path, capsys):
    sheet = export(reviewed, tmp_path, capsys)
    assert sheet.select("record_id_l", "record_id_r").rows() == reviewed["pairs"].select(
        "record_id_l", "record_id_r").rows()  # strongest first
    assert sheet.get_column("decision").is_null().all()
    truth = dict(reviewed["truth"].select("record_id", "source").iter_rows())
    for side in ("l", "r"):
        assert [truth[record] for record in sheet.get_column(f"record_id_{side}")] == \
            sheet.get_column(f"source_{side}").to_list()
    # Each side shows its record's identifiers as staged (values as received).
    contract = load_partner_contract()
    staged = {source: read_staged(reviewed["engine"], table) for source, table in staged_tables(contract).items()}
    records = person_records(contract, staged)
    for side in ("l", "r"):
        shown = sheet.select(pl.col(f"record_id_{side}").alias("record_id"),
                             *(pl.col(f"{field}_{side}").alias(field) for field in PERSON_FIELDS))
        assert shown.equals(records.join(shown.select("record_id"), on="record_id", how="semi")
                            .select(shown.columns).sort(pl.col("record_id").replace_strict(
                                {record: index for index, record in enumerate(shown.get_column("record_id"))})))


def test_a_second_export_overwrites_a_wider_file_as_owner_only(reviewed, tmp_path, capsys):
    path = tmp_path / "review.csv"
    path.write_text("old")
    path.chmod(0o644)
    assert main(["review", "--db", reviewed["url"], "--export", str(path)]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and not path.read_text().startswith("old")


def test_formula_like_cells_are_neutralised():
    frame = pl.DataFrame({"text": ["=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "Smith", None],
                          "number": [1.5] * 8})
    cleaned = neutralise_formulas(frame)
    assert cleaned.get_column("text").to_list() == ["'=HYPERLINK(1)", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx",
                                                    "Smith", None]
    assert cleaned.get_column("number").to_list() == [1.5] * 8


def test_imported_decisions_are_stored_and_the_next_run_relinks_with_them(reviewed, tmp_path, capsys):
    sheet = export(reviewed, tmp_path, capsys)
    decided = sheet.with_columns(pl.Series("decision", ["match", " Not_Match ", None]))
    path = tmp_path / "decided.csv"
    decided.write_csv(path)
    assert main(["review", "--db", reviewed["url"], "--import", str(path)]) == 0
    assert "1 match and 1 not_match" in capsys.readouterr().out
    stored = read_decisions(reviewed["engine"]).sort("record_id_l")
    expected = reviewed["pairs"].head(2).with_columns(pl.Series("is_match", [True, False])).drop("match_probability")
    assert stored.select("record_id_l", "record_id_r", "is_match").sort("record_id_l").equals(
        expected.sort("record_id_l"))
    # The next run relinks (no new file) and passes the decisions to the linker; the one after has nothing to do.
    report = run(reviewed["engine"], reviewed["inbox"], load_partner_contract(), reviewed["linker"],
                 measures=load_measures(), localities=load_localities())
    assert report.linked["status"] == "loaded"
    passed = reviewed["calls"][-1]["decisions"].sort("record_id_l")
    assert passed.select("record_id_l", "record_id_r", "is_match").equals(expected.sort("record_id_l"))
    again = run(reviewed["engine"], reviewed["inbox"], load_partner_contract(), reviewed["linker"],
                measures=load_measures(), localities=load_localities())
    assert again.linked["status"] == "up_to_date"
    # Importing the same file again is harmless (the pairs are known now as decided ones).
    assert main(["review", "--db", reviewed["url"], "--import", str(path)]) == 0


def test_a_bad_file_stores_nothing_and_names_the_rows_not_the_values(reviewed, tmp_path, capsys):
    sheet = export(reviewed, tmp_path, capsys)
    first, second = sheet.row(0, named=True), sheet.row(1, named=True)
    rows = [
        {**first, "decision": "match"},                               # row 2: fine
        {**second, "decision": "maybe Smith"},                        # row 3: not a decision
        {**second, "record_id_l": "police_incidents:nothere:0000001", "decision": "match"},  # row 4: unknown pair
        {**first, "decision": "not_match"},                           # row 5: contradicts row 2
    ]
    path = tmp_path / "bad.csv"
    pl.DataFrame(rows).write_csv(path)
    assert main(["review", "--db", reviewed["url"], "--import", str(path)]) == 2
    message = capsys.readouterr().err
    assert "row 3:" in message and "row 4:" in message and "rows 2, 5:" in message
    assert "Smith" not in message and "nothere" not in message and first["record_id_l"] not in message
    assert read_decisions(reviewed["engine"]).is_empty()


@pytest.mark.parametrize("content", ["", "record_id_l,decision\nx,match\n", 'record_id_l,record_id_r,decision\n"a,b\n'])
def test_unreadable_files_are_refused_plainly(reviewed, tmp_path, capsys, content):
    path = tmp_path / "broken.csv"
    path.write_text(content)
    assert main(["review", "--db", reviewed["url"], "--import", str(path)]) == 2
    assert "No decision was stored" in capsys.readouterr().err
    assert read_decisions(reviewed["engine"]).is_empty()
