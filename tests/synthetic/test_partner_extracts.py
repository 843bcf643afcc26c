"""Synthetic partner extracts: the files, their formats, the truth beside them, and determinism.

Every planted error rate is measured back from the written files against the world (through the truth's
person_key), with tolerances of about four binomial standard errors.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from data_access.identifiers import is_valid_nhs_number
from linkage.contract import load_partner_contract
from linkage.person_records import record_date_column
from linkage.readers import read_rows
from linkage.validation import validate_rows
from synthetic import generate_world
from synthetic.partner_errors import ExtractSettings, nickname_table, swap_day_and_month
from synthetic.partner_extracts import write_partner_extracts

RATES = ExtractSettings(typo=0.06, nickname=0.25, surname_change=0.1, dob_swap=0.12, nhs_missing=0.15,
                        nhs_bad_check=0.08, move=0.2, duplicate=0.05, blank=0.07, stray_space=0.09, mixed_case=0.11)


@pytest.fixture(scope="module")
def extracts(tmp_path_factory):
    world = generate_world(700, 99)
    directory = tmp_path_factory.mktemp("rates")
    summary = write_partner_extracts(world, directory, settings=RATES)
    return world, directory, summary


@pytest.fixture(scope="module")
def records(extracts) -> pl.DataFrame:
    """Every person row of every file (read as the ingest reads it), with its truth and the world's person."""
    world, directory, _ = extracts
    contract = load_partner_contract()
    truth = pl.read_csv(directory / "truth" / "records.csv", infer_schema=False)
    frames = []
    for path in sorted(directory.iterdir()):
        if not path.is_file():
            continue
        source = contract.source_for(path.name)
        data = path.read_bytes()
        typed = validate_rows(source, read_rows(path, data))
        assert typed.quarantined.height == 0, path.name  # the generator writes only valid rows
        if source.kind != "person":
            continue
        prefix = f"{source.id}:{hashlib.sha256(data).hexdigest()[:12]}:"
        fields = source.fields
        frames.append(typed.accepted.select(
            pl.format("{}{}", pl.lit(prefix), pl.col("row_number").cast(pl.String).str.zfill(7)).alias("record_id"),
            pl.lit(source.id).alias("source"),
            *(pl.col(column).cast(pl.String).alias(name) for name, column in fields.items()
              if name in ("first_name", "surname", "nhs_number", "ni_number", "upn", "postcode", "sex")),
            (pl.col(fields["date_of_birth"]).alias("dob")),
            (pl.col(record_date_column(source)) if record_date_column(source) else pl.lit(None, dtype=pl.Date))
            .alias("day"),
        ))
    people = world["person_identifier"].select(
        pl.format("P{}", pl.col("person_id")).alias("person_key"), pl.col("given_name").alias("true_first"),
        pl.col("family_name").alias("true_surname"), pl.col("date_of_birth").alias("true_dob"),
        pl.col("nhs_number").alias("true_nhs"), pl.col("ni_number").alias("true_ni"),
        pl.col("postcode").alias("true_postcode"), pl.col("upn").alias("true_upn"), "person_id")
    joined = pl.concat(frames, how="diagonal").join(truth, on="record_id", how="left")
    assert joined.get_column("person_key").null_count() == 0  # every row has its truth
    return joined.join(people, on="person_key", how="inner")


def _close(measured: float, rate: float, n: int) -> None:
    assert n > 200, n
    assert abs(measured - rate) <= 4 * math.sqrt(rate * (1 - rate) / n) + 0.005, (measured, rate, n)


def _flat(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars().str.replace_all(r"\s+", " ").str.to_lowercase()


def test_files_formats_and_truth(extracts):
    world, directory, summary = extracts
    names = {path.name for path in directory.iterdir() if path.is_file()}
    assert len(names) == len(load_partner_contract().sources)
    assert any(name.endswith(".xlsx") for name in names) and any(name.endswith(".parquet") for name in names)
    windows = (directory / "police_missing_2026-09-30.csv").read_bytes()
    windows.decode("cp1252")
    assert b"\r\n" in windows
    assert (directory / "early_years_reviews_2026-09-30.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    truth = pl.read_csv(directory / "truth" / "records.csv", infer_schema=False)
    assert truth.columns == ["source", "record_id", "person_key", "family_key"]
    assert truth.height == summary.total_records and truth.get_column("record_id").is_unique().all()


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    world = generate_world(60, 5)
    first, second = tmp_path / "a", tmp_path / "b"
    write_partner_extracts(world, first)
    write_partner_extracts(world, second)
    for path in sorted(first.rglob("*")):
        if path.is_file():
            assert path.read_bytes() == (second / path.relative_to(first)).read_bytes(), path.name


def test_typos_and_nicknames_in_first_names(records):
    table = nickname_table()
    has_nick = pl.col("true_first").str.to_lowercase().is_in(list(table))
    plain = records.filter(~has_nick & pl.col("first_name").is_not_null())
    typos = plain.filter(_flat("first_name") != pl.col("true_first").str.to_lowercase()).height
    _close(typos / plain.height, RATES.typo, plain.height)
    nicknamed = records.filter(has_nick & pl.col("first_name").is_not_null())
    found = sum(value in table[true.lower()] for value, true in nicknamed.select(_flat("first_name"), "true_first")
                .iter_rows())
    _close(found / nicknamed.height, RATES.nickname * (1 - RATES.typo), nicknamed.height)


def test_day_and_month_swaps(records):
    dated = records.filter(pl.col("dob").is_not_null() & pl.col("true_dob").is_not_null())
    true_days = dated.get_column("true_dob").cast(pl.Int64).to_numpy()
    swapped_days = swap_day_and_month(true_days, np.ones(len(true_days), dtype=bool))
    swappable = swapped_days != true_days
    sent = dated.get_column("dob").cast(pl.Int64).to_numpy()
    assert np.all((sent == true_days) | (sent == swapped_days))  # no other change to a date of birth
    _close(float(np.mean(sent[swappable] == swapped_days[swappable])), RATES.dob_swap, int(swappable.sum()))


def test_missing_and_broken_nhs_numbers(records):
    carried = records.filter(pl.col("source").is_in(["early_years_reviews", "adult_mental_health", "child_wellbeing",
                                                     "substance_misuse", "case_members"])
                             & pl.col("true_nhs").is_not_null())
    _close(carried.get_column("nhs_number").null_count() / carried.height, RATES.nhs_missing, carried.height)
    sent = carried.get_column("nhs_number").drop_nulls().str.replace_all(" ", "").to_list()
    _close(sum(not is_valid_nhs_number(value) for value in sent) / len(sent), RATES.nhs_bad_check, len(sent))


def test_blanks_stray_spaces_and_mixed_case(records):
    with_ni = records.filter(pl.col("true_ni").is_not_null() & pl.col("source").is_in(
        ["council_tax_arrears", "housing_options", "case_members"]))
    _close(with_ni.get_column("ni_number").null_count() / with_ni.height, RATES.blank, with_ni.height)
    firsts = records.get_column("first_name").drop_nulls()
    spaced = firsts.str.contains(r"^\s|\s$|\s\s").sum()
    _close(spaced / firsts.len(), RATES.stray_space, firsts.len())
    surnames = records.get_column("surname").drop_nulls().str.strip_chars()
    surnames = surnames.filter(surnames.str.len_chars() > 1)
    shouted = ((surnames == surnames.str.to_uppercase()) | (surnames == surnames.str.to_lowercase())).sum()
    _close(shouted / surnames.len(), RATES.mixed_case, surnames.len())


def test_surname_changes_show_on_records_before_the_change(records):
    """Each person whose name changed has a record with their former surname (a different word, not a typo)."""
    def distance(left: str, right: str) -> int:
        if abs(len(left) - len(right)) > 2:
            return 3
        previous = list(range(len(right) + 1))
        for i, a in enumerate(left, 1):
            current = [i]
            for j, b in enumerate(right, 1):
                current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
            previous = current
        return previous[-1]

    sent = records.filter(pl.col("surname").is_not_null()).select("person_key", _flat("surname").alias("sent"),
                                                                    pl.col("true_surname").str.to_lowercase())
    per_person = {}
    for key, value, true in sent.iter_rows():
        per_person[key] = per_person.get(key, False) or distance(value, true) > 2
    # People who only appear on the extract date (case records alone) cannot show a change.
    earlier = set(records.filter(pl.col("day").is_not_null()).get_column("person_key").to_list())
    eligible = [changed for key, changed in per_person.items() if key in earlier]
    _close(sum(eligible) / len(eligible), RATES.surname_change, len(eligible))


def test_moves_change_the_case_records_postcode(records):
    case = records.filter((pl.col("source") == "case_members") & pl.col("postcode").is_not_null()
                          & pl.col("true_postcode").is_not_null())
    compact = pl.col("postcode").str.replace_all(r"\s+", "").str.to_uppercase()
    by_family = case.group_by("family_key").agg(
        (compact != pl.col("true_postcode").str.replace(" ", "")).mean().alias("moved_share"))
    moved = by_family.get_column("moved_share") > 0.5
    _close(moved.mean(), RATES.move, by_family.height)


def test_duplicates_within_a_source(extracts):
    _, directory, _ = extracts
    contract = load_partner_contract()
    truth = pl.read_csv(directory / "truth" / "records.csv", infer_schema=False)
    originals = copies = 0
    for source in contract.person_sources:
        if "family_ref" in source.fields:
            continue
        path = next(directory.glob(f"{source.id}_*"))
        rows = validate_rows(source, read_rows(path, path.read_bytes())).accepted
        payload = [column.name for column in source.columns if column.field is None and not (
            column.type == "text" and column.required)]
        keyed = rows.with_columns(pl.int_range(1, pl.len() + 1).alias("position")).join(
            truth.filter(pl.col("source") == source.id).with_row_index("position", offset=1).select(
                pl.col("position").cast(pl.Int64), "person_key"), on="position")
        groups = keyed.group_by(["person_key", *payload]).agg(pl.len().alias("n"))
        copies += int((groups.get_column("n") - 1).sum())
        originals += groups.height
    _close(copies / originals, RATES.duplicate, originals)


def test_upns_only_for_pupils_of_school_age(records):
    with_upn = records.filter(pl.col("upn").is_not_null())
    assert with_upn.height > 100
    assert (with_upn.get_column("upn").str.strip_chars().str.to_uppercase() == with_upn.get_column("true_upn")).all()
    ages = with_upn.filter(pl.col("source") == "school_attendance").select(
        ((pl.col("day") - pl.col("true_dob")).dt.total_days() / 365.25).alias("age")).get_column("age")
    assert ages.min() >= 4 and ages.max() < 19


def test_the_truth_is_not_in_the_inbox(extracts):
    _, directory, _ = extracts
    assert not any(path.suffix == ".csv" and path.name == "records.csv" for path in Path(directory).iterdir())
