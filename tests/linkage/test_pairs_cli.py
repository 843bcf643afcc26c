"""`python -m linkage pairs` as a user runs it: a real subprocess, real files, exit codes and messages.

Bad input must end in one clear sentence and a non-zero exit without quoting any cell of the file; the FEBRL
check (F1 >= 0.999 on dataset 4, the published truth being the shared rec-N number) is the quality bar.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from linkage.pairs import PAIRS_INPUT_COLUMNS
from tests.linkage.conftest import PROJECT_ROOT
from tests.linkage.messy_people import MessyPeople

PLANTED_NAME = "Zebediah"  # appears in the bad files; must never appear in a message


def run_pairs(left: Path, right: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "linkage", "pairs", "--left", str(left), "--right", str(right), "--out", str(out)]
    return subprocess.run([*command, *extra], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)


def good_row(record_id: str) -> str:
    return f"{record_id},{PLANTED_NAME},,Quarrington,1980-01-02,M,DT4 7QE,1 High Street,"


HEADER = ",".join(PAIRS_INPUT_COLUMNS)


@pytest.fixture
def good_file(tmp_path: Path) -> Path:
    path = tmp_path / "good.csv"
    path.write_text("\n".join([HEADER, *(good_row(f"g{i}") for i in range(30))]) + "\n", encoding="utf-8")
    return path


BAD_FILES = {
    "missing columns": ("record_id,first_name,surname\nx1,Zebediah,Quarrington\n", "lacks column(s)"),
    "empty file": ("", "is empty"),
    "header only": (HEADER + "\n", "no records"),
    "ragged rows": (HEADER + "\n" + good_row("b1") + ",extra,fields\n", "not a well-formed CSV"),
    "unclosed quote": (HEADER + '\nb1,"Zebediah,,Smith\n', "not a well-formed CSV"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_input_gets_a_clear_message_and_a_non_zero_exit(tmp_path, good_file, case):
    content, expected = BAD_FILES[case]
    bad = tmp_path / "bad.csv"
    bad.write_text(content, encoding="utf-8")
    out = tmp_path / "pairs.csv"
    result = run_pairs(bad, good_file, out)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert PLANTED_NAME not in result.stderr + result.stdout
    assert not out.exists()


def test_wrong_encoding_is_refused_without_quoting(tmp_path, good_file):
    bad = tmp_path / "latin.csv"
    bad.write_bytes((HEADER + "\n" + good_row("b1").replace("Quarrington", "Quérrington") + "\n").encode("cp1252"))
    result = run_pairs(good_file, bad, tmp_path / "pairs.csv")
    assert result.returncode == 2 and "not UTF-8" in result.stderr
    assert PLANTED_NAME not in result.stderr + result.stdout


def test_missing_file_and_duplicate_ids(tmp_path, good_file):
    result = run_pairs(tmp_path / "nowhere.csv", good_file, tmp_path / "pairs.csv")
    assert result.returncode == 2 and "does not exist" in result.stderr
    duplicated = tmp_path / "dup.csv"
    duplicated.write_text("\n".join([HEADER, *(good_row("same") for _ in range(25))]) + "\n", encoding="utf-8")
    result = run_pairs(duplicated, good_file, tmp_path / "pairs.csv")
    assert result.returncode == 2 and "repeats" in result.stderr
    assert PLANTED_NAME not in result.stderr


@pytest.mark.slow
def test_two_files_of_messy_people_link_to_the_same_people(tmp_path, small_messy_people: MessyPeople):
    """Each person's first record goes left, their second right: the truth is the person behind both."""
    records = small_messy_people.records.join(small_messy_people.truth.select("record_id", "person_id"), on="record_id")
    ranked = records.with_columns(pl.int_range(pl.len()).over("person_id").alias("rank"))
    left, right = ranked.filter(pl.col("rank") == 0), ranked.filter(pl.col("rank") == 1)
    for frame, name in ((left, "left.csv"), (right, "right.csv")):
        frame.select(PAIRS_INPUT_COLUMNS).write_csv(tmp_path / name)
    result = run_pairs(tmp_path / "left.csv", tmp_path / "right.csv", tmp_path / "pairs.csv")
    assert result.returncode == 0, result.stderr
    pairs = pl.read_csv(tmp_path / "pairs.csv", infer_schema=False)
    assert pairs.columns == ["left_id", "right_id", "match_probability", "is_match"]
    person = dict(records.select("record_id", "person_id").iter_rows())
    linked = pairs.filter(pl.col("is_match") == "true")
    true_links = sum(person[a] == person[b] for a, b in linked.select("left_id", "right_id").iter_rows())
    assert true_links / linked.height >= 0.99
    assert true_links / right.height >= 0.95


@pytest.mark.slow
def test_febrl_dataset_4_f1_of_at_least_0_999(tmp_path, febrl4):
    """FEBRL 4: 5,000 originals and 5,000 duplicates, rec-N-org <-> rec-N-dup-0, soc_sec_id not used."""
    left, right = febrl4
    left.write_csv(tmp_path / "a.csv")
    right.write_csv(tmp_path / "b.csv")
    result = run_pairs(tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "pairs.csv")
    assert result.returncode == 0, result.stderr
    pairs = pl.read_csv(tmp_path / "pairs.csv", schema_overrides={"match_probability": pl.Float64})
    linked = pairs.filter(pl.col("is_match"))
    number = r"rec-(\d+)-"
    true_positives = linked.filter(
        pl.col("left_id").str.extract(number) == pl.col("right_id").str.extract(number)
    ).height
    precision, recall = true_positives / linked.height, true_positives / 5000
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 >= 0.999, (true_positives, linked.height, f1)
