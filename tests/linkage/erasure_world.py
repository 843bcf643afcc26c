"""A small synthetic Dorset sent as partner files, with one planted person to erase or correct, and the searches.

The planted person keeps their family, but gets identifiers nobody else has (given and family name, date of birth,
NHS number, NI number, UPN), so "no value of the person appears anywhere" can be checked by searching for them.
Values they share with others (the household's address and postcode, a middle name drawn from a common pool) are
not theirs alone and are not searched for; `values_of_the_person` works out which of their values in the partner
files are theirs alone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy import create_engine, text

from data_access.engine import normalise_url, sqlite_path
from data_access.identifiers import nhs_check_digit, upn_check_letter
from linkage.contract import PERSON_FIELDS, load_partner_contract
from linkage.normalise import normalise_people
from linkage.readers import read_rows
from synthetic import generate_world
from synthetic.partner_errors import ExtractSettings
from synthetic.partner_extracts import write_partner_extracts
from tests.linkage.standin_linkers import NO_PAIRS, PersonLinks, read_truth

FAMILIES = 30
SEED = 515
PLANTED = {"given_name": "Zephyrine", "family_name": "Quillfeather", "date_of_birth": date(2010, 2, 17),
           "ni_number": "ZX918273D"}


def _planted_nhs() -> str:
    first_nine = "987650432"
    return first_nine + str(nhs_check_digit(first_nine))


def _planted_upn() -> str:
    body = "838432109876"
    return upn_check_letter(body) + body


def planted_world():
    """The world and the planted person's person_id."""
    world = generate_world(FAMILIES, SEED)
    people = world["person_identifier"]
    person_id = people.filter(pl.col("upn").is_not_null()).sort("person_id").item(0, "person_id")
    planted = {**PLANTED, "nhs_number": _planted_nhs(), "upn": _planted_upn()}
    assert planted["nhs_number"] not in people.get_column("nhs_number").to_list()
    assert PLANTED["date_of_birth"] not in people.get_column("date_of_birth").to_list()
    changed = people.with_columns(
        pl.when(pl.col("person_id") == person_id).then(pl.lit(value)).otherwise(pl.col(name)).alias(name)
        for name, value in planted.items())
    return dataclasses.replace(world, tables={**world.tables, "person_identifier": changed}), person_id


def write_inbox(world, inbox: Path) -> Path:
    write_partner_extracts(world, inbox, settings=ExtractSettings.clean())
    return inbox / "truth" / "records.csv"


def truth_then_exact_linker(truth_csv: Path):
    """The truth for the records it knows; a record it does not (a re-sent copy) joins the person whose known
    record has the same normalised first name, surname and date of birth, else a person of its own."""
    truth = read_truth(truth_csv).select("record_id", "person_key")

    def link_people(records: pl.DataFrame, *, model_json: str | None = None,
                    decisions: pl.DataFrame | None = None) -> PersonLinks:
        normalised = normalise_people(records).select("record_id", "first_name", "surname", "date_of_birth")
        known = normalised.join(truth, on="record_id", how="inner").filter(pl.col("person_key") != "")
        by_identity = known.drop_nulls(["first_name", "surname", "date_of_birth"]).unique(
            ["first_name", "surname", "date_of_birth"], keep="first").drop("record_id")
        clusters = (normalised.join(truth, on="record_id", how="left")
                    .join(by_identity.rename({"person_key": "exact_key"}), on=["first_name", "surname",
                                                                               "date_of_birth"], how="left")
                    .select("record_id", pl.coalesce(pl.when(pl.col("person_key") != "").then(pl.col("person_key")),
                                                     "exact_key", pl.format("unknown:{}", pl.col("record_id")))
                            .alias("person_key")))
        return PersonLinks(clusters, NO_PAIRS, model_json or '{"model": "truth stand-in"}')

    return link_people


def _file_rows(path: Path):
    """(source, frame of the file's rows as text with record_id) for a partner file in the inbox."""
    contract = load_partner_contract()
    source = contract.source_for(path.name)
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    frame = read_rows(path, data).frame.with_columns(
        pl.format("{}:{}:{}", pl.lit(source.id), pl.lit(digest[:12]), pl.col("row_number").cast(pl.String)
                  .str.zfill(7)).alias("record_id"))
    return source, frame


def values_of_the_person(inbox: Path, truth_csv: Path, person_id: int) -> set[str]:
    """Every value of the person's records in the partner files that no other person's record holds, in the
    forms a search should look for (as sent, and dates also as YYYY-MM-DD and DD/MM/YYYY)."""
    truth = read_truth(truth_csv).select("record_id", "person_key")
    key = f"P{person_id}"
    mine: set[str] = set()
    others: set[str] = set()
    for path in sorted(inbox.iterdir()):
        if not path.is_file():
            continue
        source, frame = _file_rows(path)
        if source.kind != "person":
            continue
        owners = frame.join(truth, on="record_id", how="left")
        for name in PERSON_FIELDS:
            column = source.fields.get(name)
            if column is None or name == "sex":
                continue
            values = owners.select(pl.col(column).str.strip_chars().str.to_lowercase(), "person_key").drop_nulls(
                column).filter(pl.col(column) != "")
            mine |= set(values.filter(pl.col("person_key") == key).get_column(column))
            others |= set(values.filter(pl.col("person_key") != key).get_column(column))
    unique = mine - others
    forms = set(unique)
    for value in unique:
        if len(value) == 10 and value[2] == "/" and value[5] == "/":  # DD/MM/YYYY
            forms.add(f"{value[6:]}-{value[3:5]}-{value[:2]}")
        if len(value) == 10 and value[4] == "-":
            forms.add(f"{value[8:]}/{value[5:7]}/{value[:4]}")
        compact = "".join(value.split())
        if compact != value and len(compact) >= 8:
            forms.add(compact)
    return forms


def planted_values() -> set[str]:
    """The planted identifiers in the forms they are stored and sent."""
    nhs = _planted_nhs()
    born = PLANTED["date_of_birth"]
    return {PLANTED["given_name"].lower(), PLANTED["family_name"].lower(), nhs, f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}",
            PLANTED["ni_number"].lower(), _planted_upn().lower(), born.isoformat(), born.strftime("%d/%m/%Y")}


def files_written(root: Path, skip: Iterable[Path]) -> list[Path]:
    """Every file under `root` (the pipeline's outputs: databases with -wal/-shm, reports, extracts, logs),
    except the partner files in the given inboxes."""
    skipped = [folder.resolve() for folder in skip]
    found = []
    for folder, _, names in os.walk(root):
        here = Path(folder).resolve()
        if any(here == inbox or inbox in here.parents for inbox in skipped):
            continue
        found += [Path(folder) / name for name in names]
    return found


def search_files(paths: Iterable[Path], values: Iterable[str]) -> dict[str, list[str]]:
    """{value: [file, ...]} for every value found byte-wise (ASCII case-insensitive) in the files."""
    needles = {value: value.lower().encode() for value in values}
    hits: dict[str, list[str]] = {}
    for path in paths:
        haystack = path.read_bytes().lower()
        for value, needle in needles.items():
            if needle in haystack:
                hits.setdefault(value, []).append(path.name)
    return hits


def search_postgresql(url: str, values: Iterable[str]) -> dict[str, list[str]]:
    """{value: [schema.table, ...]} for every value found in the text of any row of any table of the database."""
    engine = create_engine(normalise_url(url))
    hits: dict[str, list[str]] = {}
    try:
        with engine.connect() as connection:
            tables = connection.execute(text(
                "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                "AND table_schema NOT IN ('pg_catalog', 'information_schema')")).all()
            for schema, table in tables:
                rows = connection.execute(text(f'SELECT lower(t::text) FROM "{schema}"."{table}" AS t')).scalars()
                content = "\n".join(rows)
                for value in values:
                    if value.lower() in content:
                        hits.setdefault(value, []).append(f"{schema}.{table}")
    finally:
        engine.dispose()
    return hits


def database_files(url: str) -> list[Path]:
    path = sqlite_path(url)
    return [] if path is None else [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")
                                    if Path(f"{path}{suffix}").exists()]


def access_log_lines(person_nhs: str) -> str:
    """Two access-log lines: a visitor who typed the person's NHS number into a selection, and an ordinary view."""
    lines = [{"at": "2026-09-01T10:00:00+00:00", "who": "analyst@council.example", "role": "analyst",
              "event": "view", "page": "measures", "detail": {"locality": person_nhs}},
             {"at": "2026-09-01T10:05:00+00:00", "who": "manager@council.example", "role": "service_manager",
              "event": "view", "page": "overview", "detail": {"locality": "Chesil"}}]
    return "".join(json.dumps(line) + "\n" for line in lines)
